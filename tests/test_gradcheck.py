"""Tests for nnlib.gradcheck: numerical derivatives, relative error, and the gradcheck report."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import (Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, gradcheck,
                   numerical_gradient, numerical_jacobian, relative_error)


def test_numerical_gradient_of_quadratic_and_restores_x():
    """Central differences of Σ x² give 2x (to 1e-8) and leave x unchanged."""
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    np.testing.assert_allclose(numerical_gradient(lambda v: (v ** 2).sum(), x), 2 * before,
                               rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_refuses_integer_arrays():
    """An integer x cannot be nudged by eps in place: TypeError with the fix."""
    with pytest.raises(TypeError, match="dtype=float"):
        numerical_gradient(lambda v: v.sum(), np.array([1, 2]))


def test_numerical_jacobian_shape_and_values():
    """Jacobian of a linear map x ↦ A x is A, shape (M, D), to 1e-8."""
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    J = numerical_jacobian(lambda x: A @ x, np.array([0.1, 0.2, 0.3]))
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, A, rtol=1e-8)


def test_relative_error_values():
    """relative_error: 0 for equal arrays, 1 for opposite ones, scale-free."""
    a = np.array([1.0, -2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0, rel=1e-15)
    assert relative_error(1e-9 * a, 1e-9 * (a + 1e-6)) == pytest.approx(relative_error(a, a + 1e-6),
                                                                        rel=1e-6)
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0


def test_relative_error_shape_mismatch():
    """Comparing arrays of different shapes is an error, not a broadcast."""
    with pytest.raises(ValueError, match="shape"):
        relative_error(np.zeros((2, 3)), np.zeros((3, 2)))


def _mlp(rng_seed=0, hidden=ReLU):
    return Sequential(Linear(4, 5, rng=rng_seed), hidden(), Linear(5, 3, rng=rng_seed + 1))


def test_gradcheck_right_model_is_ok(rng):
    """A correct model passes: every parameter's error ≤ 1e-7, verdict "right", report.ok."""
    X = rng.standard_normal((6, 4))
    D = nnlib.one_hot(rng.integers(0, 3, 6), 3)
    report = gradcheck(_mlp(hidden=Tanh), nnlib.SoftmaxCrossEntropy(), X, D)
    assert report.ok
    assert [c.name for c in report.checks] == ["0.W", "0.b", "2.W", "2.b"]
    assert all(c.verdict == "right" and c.error < 1e-7 for c in report.checks)


class _BuggyLinear(Linear):
    """Linear whose dW is off by a factor 2 (a typical slip)."""

    def backward(self, dZ):
        dY = super().backward(dZ)
        self.grads["W"] *= 2
        return dY


def test_gradcheck_detects_a_wrong_gradient(rng):
    """A layer with a doubled dW gets verdict "wrong" for that parameter and report.ok is False."""
    model = Sequential(_BuggyLinear(4, 3, rng=0), Tanh(), Linear(3, 2, rng=1))
    X = rng.standard_normal((5, 4))
    report = gradcheck(model, nnlib.SquaredError(), X, rng.standard_normal((5, 2)))
    assert not report.ok
    assert report["0.W"].verdict == "wrong" and report["0.W"].error > 1e-2
    assert report["0.b"].verdict == "right"


def test_gradcheck_explains_relu_kinks_instead_of_failing():
    """A ReLU input exactly at 0 gives kink entries that are counted and explained, not failed."""
    model = Sequential(Linear(2, 2, W=[[1.0, -1.0], [0.5, 0.5]], b=[0.0, 0.1]), ReLU(),
                       Linear(2, 1, W=[[1.0, 2.0]]))
    X = np.array([[1.0, 1.0]])  # first hidden pre-activation is exactly 0: a kink
    report = gradcheck(model, nnlib.SquaredError(), X, np.array([[0.0]]))
    assert report.ok
    assert report["0.W"].kink_entries > 0 and "kink" in report["0.W"].note
    assert report["0.W"].error_with_kinks > 1e-2   # what a naive check would have reported
    assert report.near_kinks >= 1 and "kink" in str(report)


def test_gradcheck_report_renders_text_and_html(rng):
    """str(report) and report._repr_html_() show each parameter, its error and verdict."""
    X = rng.standard_normal((3, 4))
    report = gradcheck(_mlp(hidden=Sigmoid), nnlib.SoftmaxCrossEntropy(), X,
                       nnlib.one_hot([0, 1, 2], 3))
    text, page = str(report), report._repr_html_()
    for name in ("0.W", "0.b", "2.W", "2.b"):
        assert name in text and name in page
    assert "right" in text and "OK" in text and "<table>" in page


def test_gradcheck_leaves_parameters_and_grads_as_backprop_left_them(rng):
    """After gradcheck the parameters are unchanged and grads are backprop's for the unperturbed X."""
    model = _mlp(hidden=Tanh)
    before = [p.value.copy() for p in model.parameters()]
    X = rng.standard_normal((4, 4))
    D = nnlib.one_hot([0, 1, 2, 0], 3)
    gradcheck(model, nnlib.SoftmaxCrossEntropy(), X, D)
    for p, value in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, value)
    grads = [p.grad.copy() for p in model.parameters()]
    loss = nnlib.SoftmaxCrossEntropy()
    loss(model(X), D)
    model.backward(loss.backward())
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_array_equal(p.grad, g)


def test_gradcheck_samples_entries_of_large_parameters(rng):
    """With max_entries, at most that many entries per parameter are checked, chosen by seed."""
    model = Sequential(Linear(30, 20, rng=0))
    X = rng.standard_normal((2, 30))
    report = gradcheck(model, nnlib.SquaredError(), X, np.zeros((2, 20)), max_entries=50)
    assert report["0.W"].checked == 50 and report["0.b"].checked == 20
    assert report.ok


def test_gradcheck_treats_unresolvably_small_gradients_as_zero():
    """A gradient that is 0 up to rounding (1e-16) is not called wrong against a numerical 0."""
    # ReLU kills the second example; the first hidden unit's output weight is 0, so layer 0's
    # gradient is exactly zero in exact arithmetic.
    model = Sequential(Linear(1, 1, W=[[1.0]], b=[0.0]), ReLU(), Linear(1, 1, W=[[0.0]], b=[1.0]))
    report = gradcheck(model, nnlib.SquaredError(), np.array([[2.0]]), np.array([[0.0]]))
    assert report.ok
    assert report["0.W"].error == 0.0


def test_gradcheck_warns_about_float32_in_report(rng):
    """A float32 model's report says to check gradients in float64."""
    model = Sequential(Linear(3, 2, rng=0, dtype=np.float32))
    report = gradcheck(model, nnlib.SquaredError(), rng.standard_normal((2, 3)), np.zeros((2, 2)))
    assert any("float64" in note for note in report.notes)


_HIDDEN = [Sigmoid, Tanh, ReLU, nnlib.Identity, Softmax]
_HEADS = [  # (final activation layers, loss, target maker)
    ([], nnlib.SoftmaxCrossEntropy, "onehot"),
    ([Softmax], nnlib.CrossEntropy, "onehot"),
    ([Sigmoid], nnlib.SquaredError, "onehot"),
    ([Sigmoid], nnlib.BinaryCrossEntropy, "binary"),
    ([], nnlib.SquaredError, "real"),
]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 3), n=st.integers(1, 4),
       data=st.data())
def test_property_random_deep_compositions_pass_gradcheck(seed, depth, n, data):
    """Random stacks of Linear + Sigmoid/Tanh/ReLU/Identity/Softmax with each loss pass gradcheck."""
    rng = np.random.default_rng(seed)
    head, loss_cls, target = data.draw(st.sampled_from(_HEADS))
    # Width ≥ 2 and eps = 1e-5: three stacked sigmoids of width 1 shrink the first layer's gradient
    # so far that the central-difference rounding noise (≈ 1e-16·L/eps) reaches 1e-7 of it; the
    # larger eps lowers that noise while its truncation error (≈ eps²) stays far below 1e-7.
    widths = [int(w) for w in rng.integers(2, 6, depth + 1)]
    out = 1 if target == "binary" else int(rng.integers(2, 5))
    layers = []
    for i in range(depth):
        layers += [Linear(widths[i], widths[i + 1], rng=rng), data.draw(st.sampled_from(_HIDDEN))()]
    layers += [Linear(widths[-1], out, rng=rng)] + [cls() for cls in head]
    for layer in layers:
        if isinstance(layer, Linear):
            layer.b[...] = rng.standard_normal(layer.out_features) * 0.5
    X = rng.standard_normal((n, widths[0]))
    if target == "onehot":
        D = nnlib.one_hot(rng.integers(0, out, n), out)
    elif target == "binary":
        D = rng.integers(0, 2, (n, 1)).astype(float)
    else:
        D = rng.standard_normal((n, out))
    report = gradcheck(Sequential(*layers), loss_cls(), X, D, eps=1e-5)
    assert report.ok, str(report)
