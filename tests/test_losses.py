"""Tests for nnlib.losses: values, gradients, stability, and error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import (BinaryCrossEntropy, CrossEntropy, ShapeError, SoftmaxCrossEntropy,
                   SquaredError, numerical_gradient, relative_error)

ALL_LOSSES = [SquaredError, CrossEntropy, BinaryCrossEntropy, SoftmaxCrossEntropy]


def _valid_inputs(cls, rng, n=4, k=3):
    """(Y, D) that make sense for the loss: probabilities for CE/BCE, anything otherwise."""
    if cls is BinaryCrossEntropy:
        return rng.uniform(0.05, 0.95, (n, 1)), rng.integers(0, 2, (n, 1)).astype(float)
    D = nnlib.one_hot(rng.integers(0, k, n), k)
    if cls is CrossEntropy:
        return nnlib.softmax(rng.standard_normal((n, k))), D
    return rng.standard_normal((n, k)), D


def test_squared_error_exact_and_no_half():
    """SquaredError = mean over rows of Σ_j (y_j − d_j)², with no ½; gradient 2(Y − D)/N."""
    loss = SquaredError()
    value = loss(np.array([[1.0, 2.0], [3.0, 3.0]]), np.array([[0.0, 0.0], [3.0, 1.0]]))
    assert value == pytest.approx((1 + 4 + 0 + 4) / 2, rel=1e-15)
    np.testing.assert_allclose(loss.backward(), [[1.0, 2.0], [0.0, 2.0]], rtol=1e-15)


def test_cross_entropy_exact():
    """CrossEntropy = −mean Σ d log y: two rows by hand."""
    loss = CrossEntropy()
    value = loss(np.array([[0.5, 0.5], [0.25, 0.75]]), np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert value == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2, rel=1e-15)
    np.testing.assert_allclose(loss.backward(), [[-1.0, 0.0], [0.0, -2 / 3]], rtol=1e-15)


def test_binary_cross_entropy_exact():
    """BinaryCrossEntropy = −mean [d log y + (1−d) log(1−y)] for one sigmoid output."""
    loss = BinaryCrossEntropy()
    value = loss(np.array([[0.8], [0.4]]), np.array([[1.0], [0.0]]))
    assert value == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2, rel=1e-15)
    np.testing.assert_allclose(loss.backward(), [[-1 / 0.8 / 2], [1 / 0.6 / 2]], rtol=1e-14)


def test_softmax_cross_entropy_exact():
    """SoftmaxCrossEntropy of equal logits is log K; gradient (1/K − d)/N."""
    loss = SoftmaxCrossEntropy()
    assert loss(np.zeros((2, 4)), nnlib.one_hot([0, 3], 4)) == pytest.approx(np.log(4), rel=1e-15)
    np.testing.assert_allclose(loss.backward(), (0.25 - nnlib.one_hot([0, 3], 4)) / 2, rtol=1e-15)


def test_forward_returns_python_float():
    """Every loss returns a built-in float (not a numpy scalar or array)."""
    rng = np.random.default_rng(0)
    for cls in ALL_LOSSES:
        assert type(cls()(*_valid_inputs(cls, rng))) is float


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_backward_matches_numerical(cls, rng):
    """Each loss's backward equals central differences of forward to 1e-7."""
    loss = cls()
    Y, D = _valid_inputs(cls, rng)
    loss(Y, D)
    dY = loss.backward()
    assert dY.shape == Y.shape
    assert relative_error(dY, numerical_gradient(lambda y: loss.forward(y, D), Y)) < 1e-7


def test_softmax_then_cross_entropy_equals_fused(rng):
    """Softmax → CrossEntropy (chained backward) equals SoftmaxCrossEntropy: (softmax(Z) − D)/N."""
    Z = rng.standard_normal((5, 4))
    D = nnlib.one_hot(rng.integers(0, 4, 5), 4)
    sm, ce, fused = nnlib.Softmax(), CrossEntropy(), SoftmaxCrossEntropy()
    assert ce(sm(Z), D) == pytest.approx(fused(Z, D), rel=1e-12)
    dZ_chained = sm.backward(ce.backward())
    np.testing.assert_allclose(dZ_chained, fused.backward(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(fused.backward(), (nnlib.softmax(Z) - D) / 5, rtol=1e-12)


def test_sigmoid_then_bce_gradient_is_y_minus_d(rng):
    """Sigmoid → BinaryCrossEntropy chains to (σ(z) − d)/N, the binary analogue of the fused rule."""
    Z = rng.standard_normal((6, 1))
    D = rng.integers(0, 2, (6, 1)).astype(float)
    sig, bce = nnlib.Sigmoid(), BinaryCrossEntropy()
    bce(sig(Z), D)
    np.testing.assert_allclose(sig.backward(bce.backward()), (nnlib.sigmoid(Z) - D) / 6,
                               rtol=1e-10)


def test_cross_entropy_zero_probability_is_finite_without_warning():
    """CE with a 0 probability for the true class: finite loss and gradient, no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = CrossEntropy()
        value = loss(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
        dY = loss.backward()
    assert np.isfinite(value) and value == pytest.approx(-np.log(nnlib.losses.EPSILON), rel=1e-12)
    assert np.isfinite(dY).all()


def test_bce_extreme_probabilities_are_finite_without_warning():
    """BCE at y = 0 and y = 1 (wrong and right) stays finite with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = BinaryCrossEntropy()
        value = loss(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]))
        dY = loss.backward()
    assert np.isfinite(value) and np.isfinite(dY).all()


def test_softmax_cross_entropy_huge_logits_stable():
    """Fused loss with logits ±1000 stays finite and exact (log-sum-exp), no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = SoftmaxCrossEntropy()
        value = loss(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]]))
    assert value == pytest.approx(2000.0, rel=1e-12)


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_backward_before_forward_raises(cls):
    """loss.backward() before forward raises RuntimeError saying to call forward first."""
    with pytest.raises(RuntimeError, match="call forward"):
        cls().backward()


def test_integer_labels_where_one_hot_expected():
    """Integer labels (N,) for a (N, 10) output: ShapeError suggests nnlib.one_hot(labels, 10)."""
    with pytest.raises(ShapeError) as info:
        SoftmaxCrossEntropy()(np.zeros((3, 10)), np.array([1, 2, 3]))
    message = str(info.value)
    assert "(3, 10)" in message and "(3,)" in message
    assert "nnlib.one_hot(labels, 10)" in message


def test_one_dimensional_binary_targets_error():
    """BCE targets (N,) for a (N, 1) output: ShapeError suggests D.reshape(-1, 1)."""
    with pytest.raises(ShapeError, match=r"D\.reshape\(-1, 1\)"):
        BinaryCrossEntropy()(np.full((3, 1), 0.5), np.array([1.0, 0.0, 1.0]))


def test_transposed_targets_error():
    """Targets given as (K, N) are diagnosed as transposed."""
    with pytest.raises(ShapeError, match=r"transposed.*D\.T"):
        SquaredError()(np.zeros((4, 2)), np.zeros((2, 4)))


def test_wrong_number_of_classes_error():
    """Targets with the wrong number of columns point at out_features / one_hot's classes."""
    with pytest.raises(ShapeError, match="out_features"):
        CrossEntropy()(np.full((4, 3), 1 / 3), np.zeros((4, 2)))


def test_nan_output_raises_naming_loss():
    """NaN in Y raises ValueError naming the loss."""
    with pytest.raises(ValueError, match="SquaredError.*NaN"):
        SquaredError()(np.array([[np.nan]]), np.array([[0.0]]))


def test_float32_preserved():
    """float32 Y gives a float32 gradient from every loss."""
    rng = np.random.default_rng(0)
    for cls in ALL_LOSSES:
        Y, D = _valid_inputs(cls, rng)
        loss = cls()
        loss(Y.astype(np.float32), D)
        assert loss.backward().dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(2, 6), seed=st.integers(0, 2**32 - 1),
       index=st.integers(0, len(ALL_LOSSES) - 1))
def test_property_backward_matches_numerical(n, k, seed, index):
    """For random batch sizes and class counts, every loss gradient matches central differences."""
    cls = ALL_LOSSES[index]
    rng = np.random.default_rng(seed)
    Y, D = _valid_inputs(cls, rng, n, k)
    loss = cls()
    loss(Y, D)
    dY = loss.backward()  # before the numerical pass, which leaves perturbed caches behind
    num = numerical_gradient(lambda y: loss.forward(y, D), Y)
    assert relative_error(dY, num) < 1e-7
