"""Tests for nnlib.activations: values, derivatives, Jacobians, backward, stability."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import Identity, ReLU, ShapeError, Sigmoid, Softmax, Tanh, numerical_jacobian

SCALAR_ACTIVATIONS = [Identity, Sigmoid, Tanh, ReLU]
ALL_ACTIVATIONS = [*SCALAR_ACTIVATIONS, Softmax]


def test_exact_values_small_case():
    """Each activation's forward on a tiny input equals hand-computed values."""
    Z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_allclose(Identity()(Z), Z, rtol=0)
    np.testing.assert_allclose(ReLU()(Z), [[0.0, 0.0, 2.0]], rtol=0)
    np.testing.assert_allclose(Sigmoid()(Z), 1 / (1 + np.exp(-Z)), rtol=1e-15)
    np.testing.assert_allclose(Tanh()(Z), np.tanh(Z), rtol=1e-15)
    e = np.exp([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(Softmax()(Z), [e / e.sum()], rtol=1e-15)


def test_sigmoid_derivative_at_zero_is_quarter():
    """σ'(0) = σ(0)(1 − σ(0)) = 1/4."""
    np.testing.assert_allclose(Sigmoid().derivative(np.array([0.0])), [0.25], rtol=1e-15)


def test_relu_subgradient_at_zero_default_and_selectable():
    """ReLU'(0) is 1 by default (as in the notes) and any chosen value otherwise."""
    z = np.array([[-2.0, 0.0, 3.0]])
    for s, expected in [(1.0, [0, 1, 1]), (0.0, [0, 0, 1]), (0.5, [0, 0.5, 1])]:
        relu = ReLU(subgradient_at_zero=s) if s != 1.0 else ReLU()
        np.testing.assert_array_equal(relu.derivative(z[0]), expected)
        relu(z)
        np.testing.assert_array_equal(relu.backward(np.ones_like(z)), [expected])


@pytest.mark.parametrize("cls", SCALAR_ACTIVATIONS)
def test_scalar_jacobian_is_diagonal_of_derivative(cls, rng):
    """For scalar activations jacobian(z) = diag(f'(z)) and matches numerical_jacobian."""
    act = cls()
    z = rng.standard_normal(5)
    J = act.jacobian(z)
    np.testing.assert_array_equal(J, np.diag(np.diag(J)))
    np.testing.assert_allclose(np.diag(J), act.derivative(z), rtol=1e-15)
    J_num = numerical_jacobian(lambda v: act.forward(v[None, :])[0], z.copy())
    np.testing.assert_allclose(J, J_num, rtol=1e-6, atol=1e-9)


def test_softmax_jacobian_formula_and_numerical(rng):
    """Softmax Jacobian: diagonal y_i(1 − y_i), off-diagonal −y_i y_j; equals numerical."""
    z = rng.standard_normal(4)
    y = nnlib.softmax(z)
    J = Softmax().jacobian(z)
    np.testing.assert_allclose(np.diag(J), y * (1 - y), rtol=1e-14)
    np.testing.assert_allclose(J[0, 1], -y[0] * y[1], rtol=1e-14)
    J_num = numerical_jacobian(lambda v: nnlib.softmax(v), z.copy())
    np.testing.assert_allclose(J, J_num, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("cls", ALL_ACTIVATIONS)
def test_backward_is_row_wise_vector_jacobian_product(cls, rng):
    """backward(dY)[n] equals dY[n] @ jacobian(Z[n]) for every row."""
    act = cls()
    Z = rng.standard_normal((3, 4))
    dY = rng.standard_normal((3, 4))
    act(Z)
    dZ = act.backward(dY)
    for n in range(3):
        np.testing.assert_allclose(dZ[n], dY[n] @ act.jacobian(Z[n]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls", ALL_ACTIVATIONS)
def test_backward_matches_numerical(cls, rng, layer_gradient_errors):
    """Every activation's backward agrees with central differences to 1e-7 (away from kinks)."""
    Z = rng.standard_normal((5, 4))
    Z[np.abs(Z) < 1e-3] = 0.5  # keep ReLU away from its kink
    errors = layer_gradient_errors(cls(), Z, rng)
    assert errors["X"] < 1e-7, errors


def test_softmax_backward_does_not_use_the_loss_shortcut(rng):
    """Softmax.backward of an arbitrary dY is not (Y − D)-like: it is J-weighted, rows sum to 0."""
    sm = Softmax()
    sm(rng.standard_normal((3, 5)))
    dZ = sm.backward(rng.standard_normal((3, 5)))
    # Softmax is invariant to adding a constant to z, so every row of dZ sums to zero.
    np.testing.assert_allclose(dZ.sum(axis=1), 0, atol=1e-15)


def test_sigmoid_stable_for_large_inputs():
    """Sigmoid of ±1000 gives 1 and 0 with no overflow warning and no NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = Sigmoid()(np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]]))
        d = Sigmoid().derivative(np.array([-1000.0, 1000.0]))
    assert np.isfinite(Y).all() and Y[0, 0] == 0.0 and Y[0, -1] == 1.0
    np.testing.assert_allclose(Y[0, 1], np.exp(-50.0), rtol=1e-12)  # tiny values keep precision
    np.testing.assert_array_equal(d, [0.0, 0.0])


def test_softmax_stable_for_large_inputs():
    """Softmax of huge logits gives finite probabilities summing to 1, no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = Softmax()(np.array([[1000.0, 1000.0, -1000.0], [-800.0, -801.0, -5000.0]]))
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(Y[0], [0.5, 0.5, 0.0], atol=1e-300)


@pytest.mark.parametrize("cls", ALL_ACTIVATIONS)
def test_float32_preserved(cls):
    """float32 in gives float32 out of forward and backward."""
    act = cls()
    Y = act(np.ones((2, 3), dtype=np.float32))
    assert Y.dtype == np.float32
    assert act.backward(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("cls", ALL_ACTIVATIONS)
def test_backward_before_forward_raises(cls):
    """backward before forward raises RuntimeError saying to call forward first."""
    with pytest.raises(RuntimeError, match="call forward first"):
        cls().backward(np.ones((1, 2)))


@pytest.mark.parametrize("cls", ALL_ACTIVATIONS)
def test_one_dimensional_input_refused(cls):
    """A 1-D z given to forward raises ShapeError naming the activation and the fix."""
    with pytest.raises(ShapeError, match=rf"{cls.__name__}.*x\[None, :\]"):
        cls()(np.ones(3))


def test_jacobian_wants_one_example():
    """jacobian of a (1, D) batch raises ShapeError suggesting Z[n]."""
    with pytest.raises(ShapeError, match=r"ONE example.*Z\[n\]"):
        Softmax().jacobian(np.ones((1, 3)))


def test_nan_input_raises_naming_activation():
    """NaN input to Sigmoid raises ValueError naming Sigmoid."""
    with pytest.raises(ValueError, match="Sigmoid.*NaN"):
        Sigmoid()(np.array([[np.nan]]))


def test_activations_have_no_parameters():
    """Activations yield no parameters."""
    assert all(list(cls().parameters()) == [] for cls in ALL_ACTIVATIONS)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       index=st.integers(0, len(ALL_ACTIVATIONS) - 1))
def test_property_backward_matches_numerical_any_shape(n, d, seed, index):
    """For random shapes (N, D), every activation's backward matches central differences."""
    rng = np.random.default_rng(seed)
    act = ALL_ACTIVATIONS[index]()
    Z = rng.standard_normal((n, d))
    Z[np.abs(Z) < 1e-3] = 0.5
    G = rng.standard_normal((n, d))
    act(Z)
    dZ = act.backward(G)
    num = nnlib.numerical_gradient(lambda z: float((act.forward(z) * G).sum()), Z)
    assert nnlib.relative_error(dZ, num) < 1e-7


def test_relu_subgradient_zero_matches_pytorch():
    """PyTorch's relu backward gives 0 at z = 0 (not 1 as the notes claim): ReLU(0.0) matches it."""
    torch = pytest.importorskip("torch")
    z = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.relu(z).sum().backward()
    relu = ReLU(subgradient_at_zero=0.0)
    relu(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3)))[0], z.grad.numpy())
