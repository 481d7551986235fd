"""Tests for nnlib.layers: Linear, Sequential, Parameter."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import Linear, ReLU, Sequential, ShapeError, Sigmoid


def test_linear_forward_exact_small_case():
    """Linear computes z = W y + b per row: hand-computed values."""
    layer = Linear(2, 2, W=[[1.0, 2.0], [3.0, 4.0]], b=[10.0, 20.0])
    Z = layer(np.array([[1.0, 0.0], [1.0, 1.0]]))
    np.testing.assert_allclose(Z, [[11.0, 23.0], [13.0, 27.0]], rtol=0, atol=1e-15)


def test_linear_backward_exact_small_case():
    """dW = dZᵀ Y (W's shape), db = column sums of dZ, dY = dZ W: hand-computed values."""
    layer = Linear(2, 2, W=[[1.0, 2.0], [3.0, 4.0]])
    layer(np.array([[1.0, 0.0], [1.0, 1.0]]))
    dY = layer.backward(np.array([[1.0, 0.0], [0.0, 2.0]]))
    np.testing.assert_allclose(layer.grads["W"], [[1.0, 0.0], [2.0, 2.0]], atol=1e-15)
    np.testing.assert_allclose(layer.grads["b"], [1.0, 2.0], atol=1e-15)
    np.testing.assert_allclose(dY, [[1.0, 2.0], [6.0, 8.0]], atol=1e-15)


def test_linear_shapes_follow_pytorch_layout():
    """W is (out_features, in_features), b is (out_features,), grads have the params' shapes."""
    layer = Linear(5, 3, rng=0)
    assert layer.W.shape == (3, 5) and layer.b.shape == (3,)
    assert {k: v.shape for k, v in layer.grads.items()} == {"W": (3, 5), "b": (3,)}
    assert [p.name for p in layer.parameters()] == ["W", "b"]


def test_linear_backward_matches_numerical(rng, layer_gradient_errors):
    """Linear's dX, dW, db agree with central differences to 1e-7."""
    layer = Linear(4, 3, rng=rng)
    layer.b[...] = rng.standard_normal(3)
    errors = layer_gradient_errors(layer, rng.standard_normal((5, 4)), rng)
    assert max(errors.values()) < 1e-7, errors


def test_linear_copies_given_weights():
    """Training must not change the caller's W: Linear keeps its own copy."""
    W = np.array([[1.0, 2.0]])
    layer = Linear(2, 1, W=W)
    layer.W[0, 0] = 5.0
    assert W[0, 0] == 1.0


def test_linear_default_init_is_seeded():
    """The same rng seed gives the same initial W; b starts at zero."""
    np.testing.assert_array_equal(Linear(3, 2, rng=7).W, Linear(3, 2, rng=7).W)
    np.testing.assert_array_equal(Linear(3, 2, rng=7).b, np.zeros(2))


def test_linear_transposed_W_error_mentions_notes_layout():
    """A W given as inputs × neurons (the notes' tables) is refused with the fix."""
    with pytest.raises(ShapeError) as info:
        Linear(2, 3, W=np.ones((2, 3)))
    message = str(info.value)
    assert "(2, 3)" in message and "(3, 2)" in message
    assert "(out_features, in_features)" in message and "transposed" in message
    assert "inputs × neurons" in message


def test_linear_bias_shape_error():
    """A column-vector bias (3, 1) is refused, naming the expected (3,) and the fix."""
    with pytest.raises(ShapeError, match=r"\(3, 1\).*\(3,\).*ravel"):
        Linear(2, 3, b=np.zeros((3, 1)))


def test_column_vector_input_error_gives_fix():
    """Linear(2→3) given a column vector (2, 1) explains one-example-per-row and the reshape."""
    with pytest.raises(ShapeError) as info:
        Linear(2, 3, rng=0)(np.ones((2, 1)))
    message = str(info.value)
    assert "Linear(2→3)" in message and "(N, 2)" in message and "(2, 1)" in message
    assert "x.reshape(1, -1)" in message and "one example per ROW" in message


def test_one_dimensional_input_is_refused_with_fix():
    """A 1-D x raises ShapeError telling how to make a (1, D) batch."""
    with pytest.raises(ShapeError, match=r"1-D array of shape \(2,\).*x\[None, :\]"):
        Linear(2, 3, rng=0)(np.ones(2))


def test_transposed_batch_error():
    """A batch with features down the rows (D, N) is diagnosed as transposed."""
    with pytest.raises(ShapeError, match=r"transposed.*X\.T"):
        Linear(2, 3, rng=0)(np.ones((2, 5)))


def test_wrong_width_error_names_previous_layer():
    """Too many features points at the previous layer's out_features."""
    with pytest.raises(ShapeError, match=r"Linear\(2→3\).*\(4, 5\).*out_features"):
        Linear(2, 3, rng=0)(np.ones((4, 5)))


def test_shape_error_is_a_value_error():
    """ShapeError subclasses ValueError, so generic handlers catch it."""
    assert issubclass(ShapeError, ValueError)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_raises_value_error_naming_layer(bad):
    """NaN/inf in the input raises ValueError naming the layer."""
    X = np.ones((2, 2))
    X[1, 0] = bad
    with pytest.raises(ValueError, match=r"Linear\(2→3\).*NaN/inf.*\(1, 0\)"):
        Linear(2, 3, rng=0)(X)


def test_backward_before_forward_raises():
    """Calling backward first raises RuntimeError saying to call forward first."""
    with pytest.raises(RuntimeError, match="call forward first"):
        Linear(2, 3, rng=0).backward(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match="call forward first"):
        Sequential(Linear(2, 3, rng=0)).backward(np.ones((1, 3)))


def test_backward_with_wrong_dZ_shape_raises():
    """dZ must have the forward output's shape (N, out_features)."""
    layer = Linear(2, 3, rng=0)
    layer(np.ones((4, 2)))
    with pytest.raises(ShapeError, match=r"\(4, 3\).*\(3, 4\)"):
        layer.backward(np.ones((3, 4)))


def test_integer_input_is_converted_to_float():
    """Integer inputs work and give the layer's dtype."""
    Z = Linear(2, 1, W=[[0.5, 0.5]])(np.array([[1, 2]]))
    assert Z.dtype == np.float64
    np.testing.assert_allclose(Z, [[1.5]], rtol=1e-15)


def test_float32_preserved_through_linear():
    """A float32 Linear keeps float32 for output, dY and grads (no silent upcast)."""
    layer = Linear(3, 2, rng=0, dtype=np.float32)
    Z = layer(np.ones((4, 3), dtype=np.float32))
    dY = layer.backward(np.ones((4, 2), dtype=np.float32))
    assert Z.dtype == dY.dtype == layer.grads["W"].dtype == layer.grads["b"].dtype == np.float32


def test_float32_preserved_end_to_end_through_a_model():
    """A float32 model with each activation and loss keeps float32 throughout."""
    rng = np.random.default_rng(0)
    X = rng.random((6, 4), dtype=np.float32)
    D = nnlib.one_hot(rng.integers(0, 3, 6), 3, dtype=np.float32)
    for act in (nnlib.Sigmoid(), nnlib.Tanh(), nnlib.ReLU(), nnlib.Identity()):
        for loss, head in ((nnlib.SoftmaxCrossEntropy(), []),
                           (nnlib.CrossEntropy(), [nnlib.Softmax()]),
                           (nnlib.SquaredError(), [nnlib.Sigmoid()])):
            model = Sequential(Linear(4, 5, rng=1, dtype=np.float32), act,
                               Linear(5, 3, rng=2, dtype=np.float32), *head)
            Y = model(X)
            assert Y.dtype == np.float32
            loss(Y, D)
            dX = model.backward(loss.backward())
            assert dX.dtype == np.float32
            assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_live_parameters_share_memory_with_layer():
    """Parameter.value is the layer's W itself, and grad is updated in place by backward."""
    layer = Linear(2, 2, rng=0)
    p_W = next(layer.parameters())
    assert p_W.value is layer.W
    layer(np.ones((1, 2)))
    layer.backward(np.ones((1, 2)))
    np.testing.assert_array_equal(p_W.grad, np.ones((2, 2)))


def test_sequential_parameter_names_and_container_behaviour():
    """Sequential names parameters "<index>.<name>" and supports len, indexing and slicing."""
    model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1), Sigmoid())
    assert [p.name for p in model.parameters()] == ["0.W", "0.b", "2.W", "2.b"]
    assert len(model) == 4 and isinstance(model[1], ReLU)
    assert isinstance(model[:2], Sequential) and len(model[:2]) == 2
    assert repr(model) == "Sequential(Linear(2→3), ReLU(), Linear(3→1), Sigmoid())"


def test_sequential_rejects_class_instead_of_instance():
    """Passing nnlib.ReLU (the class) gives a TypeError with the fix."""
    with pytest.raises(TypeError, match=r"nnlib.ReLU\(\)"):
        Sequential(Linear(2, 3, rng=0), ReLU)


def test_sequential_backward_matches_numerical(rng, layer_gradient_errors):
    """A Linear-Tanh-Linear stack: every gradient agrees with central differences to 1e-7."""
    model = Sequential(Linear(3, 4, rng=1), nnlib.Tanh(), Linear(4, 2, rng=2))
    errors = layer_gradient_errors(model, rng.standard_normal((5, 3)), rng)
    assert max(errors.values()) < 1e-7, errors


def test_docstring_formula_matches_code(rng):
    """The docstring's z = W y + b per example equals the batch Z = Y Wᵀ + b row by row."""
    layer = Linear(3, 2, rng=rng)
    layer.b[...] = rng.standard_normal(2)
    Y = rng.standard_normal((4, 3))
    Z = layer(Y)
    for n in range(4):
        np.testing.assert_allclose(Z[n], layer.W @ Y[n] + layer.b, rtol=1e-12)


def test_backward_can_skip_the_input_gradient(rng):
    """input_grad=False fills the same grads but skips dY (returns None), for Linear and Sequential."""
    X = rng.standard_normal((4, 3))
    for make in (lambda: Linear(3, 2, rng=0),
                 lambda: Sequential(Linear(3, 2, rng=0), nnlib.Tanh(), Linear(2, 2, rng=1))):
        full, skipped = make(), make()
        G = np.ones((4, 2))
        full(X)
        skipped(X)
        assert full.backward(G) is not None
        assert skipped.backward(G, input_grad=False) is None
        for p, q in zip(full.parameters(), skipped.parameters()):
            np.testing.assert_array_equal(p.grad, q.grad)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 5), d_in=st.integers(1, 6), d_out=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1))
def test_property_linear_backward_matches_numerical(n, d_in, d_out, seed):
    """For random shapes, Linear's dX, dW, db match central differences to 1e-7."""
    rng = np.random.default_rng(seed)
    layer = Linear(d_in, d_out, rng=rng)
    layer.b[...] = rng.standard_normal(d_out)
    X = rng.standard_normal((n, d_in))
    G = rng.standard_normal((n, d_out))
    layer(X)
    dX = layer.backward(G)
    dW, db = layer.grads["W"].copy(), layer.grads["b"].copy()

    def L(_):
        return float((layer.forward(X) * G).sum())

    assert nnlib.relative_error(dX, nnlib.numerical_gradient(L, X)) < 1e-7
    assert nnlib.relative_error(dW, nnlib.numerical_gradient(L, layer.W)) < 1e-7
    assert nnlib.relative_error(db, nnlib.numerical_gradient(L, layer.b)) < 1e-7
