"""Tests for nnlib.optim.SGD."""

import numpy as np
import pytest

import nnlib
from nnlib import SGD, Linear, Sequential


def _layer_with_grads(W, dW, b=(0.0,), db=(0.0,)):
    layer = Linear(len(W[0]), len(W), W=W, b=b)
    layer.grads["W"][...] = dW
    layer.grads["b"][...] = db
    return layer


def test_plain_step_is_w_minus_lr_grad():
    """SGD without momentum: w ← w − η ∂L/∂w for every parameter, in place."""
    layer = _layer_with_grads([[1.0, 2.0]], [[0.5, -1.0]], db=[2.0])
    W_before = layer.W
    SGD(layer, lr=0.1).step()
    np.testing.assert_allclose(layer.W, [[0.95, 2.1]], rtol=1e-15)
    np.testing.assert_allclose(layer.b, [-0.2], rtol=1e-15)
    assert layer.W is W_before  # updated in place, not rebound


def test_momentum_accumulates_velocity():
    """With momentum μ: v ← μv − ηg, w ← w + v; two steps with the same g by hand."""
    layer = _layer_with_grads([[0.0]], [[1.0]])
    opt = SGD(layer, lr=0.1, momentum=0.9)
    opt.step()
    np.testing.assert_allclose(layer.W, [[-0.1]], rtol=1e-15)
    opt.step()
    np.testing.assert_allclose(layer.W, [[-0.1 - 0.19]], rtol=1e-14)


def test_zero_grad_zeroes_every_gradient():
    """zero_grad sets every gradient of a Sequential to 0, keeping the arrays."""
    model = Sequential(Linear(2, 2, rng=0), nnlib.ReLU(), Linear(2, 1, rng=1))
    model(np.ones((3, 2)))
    model.backward(np.ones((3, 1)))
    SGD(model, lr=0.1).zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_sgd_decreases_loss_on_a_small_problem():
    """A few SGD steps on least squares decrease the loss."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    D = X @ np.array([[1.0], [-2.0], [0.5]])  # realisable: the optimum has loss 0
    model, loss = Linear(3, 1, rng=0), nnlib.SquaredError()
    opt = SGD(model, lr=0.05)
    first = loss(model(X), D)
    for _ in range(20):
        loss(model(X), D)
        model.backward(loss.backward())
        opt.step()
    assert loss(model(X), D) < 0.5 * first


def test_float32_parameters_stay_float32():
    """A step keeps float32 parameters float32."""
    layer = Linear(2, 2, rng=0, dtype=np.float32)
    layer(np.ones((1, 2), dtype=np.float32))
    layer.backward(np.ones((1, 2), dtype=np.float32))
    SGD(layer, lr=0.1, momentum=0.5).step()
    assert layer.W.dtype == layer.b.dtype == np.float32


@pytest.mark.parametrize("kwargs, match", [({"lr": 0.0}, "learning rate"),
                                            ({"lr": 0.1, "momentum": 1.0}, "momentum")])
def test_invalid_hyperparameters_raise(kwargs, match):
    """lr ≤ 0 or momentum outside [0, 1) raise ValueError naming the hyperparameter."""
    with pytest.raises(ValueError, match=match):
        SGD(Linear(1, 1, rng=0), **kwargs)
