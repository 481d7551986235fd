"""autograder.checker.references: each hidden tests' reference agrees with nnlib's own code (an
implementation written another way), on random inputs; and the drawn edge cases are edge cases."""

import numpy as np
import pytest

import nnlib
from autograder.checker import references

pytestmark = pytest.mark.filterwarnings("error")
RTOL = 1e-10


@pytest.fixture
def rng():
    return np.random.default_rng(12)


def _nnlib_gradients(Ws, bs, kinds, X, D, loss):
    """nnlib's (dWs, dbs) of a network of Linear layers and the activations ``kinds``."""
    layers = []
    for W, b, kind in zip(Ws, bs, kinds):
        layers += [nnlib.Linear(W.shape[1], W.shape[0], W=W, b=b), references.nnlib_activation(kind)]
    net = nnlib.Sequential(*layers)
    loss(net(X), D)
    net.backward(loss.backward())
    return [layer.grads["W"] for layer in net.layers[::2]], [layer.grads["b"] for layer in net.layers[::2]]


def test_shared_maths_agree_with_nnlib(rng):
    """sigmoid, softmax (ordinary and huge logits) and the softmax Jacobian are nnlib's."""
    Z = rng.normal(size=(5, 4)) * 5
    np.testing.assert_allclose(references.sigmoid(Z), nnlib.sigmoid(Z), rtol=RTOL)
    for logits in (Z, references.huge_logits(rng, (5, 4))):
        np.testing.assert_allclose(references.softmax(logits), nnlib.softmax(logits, axis=1),
                                   rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(references.softmax_jacobian(Z[0]), nnlib.Softmax().jacobian(Z[0]),
                               rtol=RTOL, atol=1e-15)


def test_huge_logits_break_a_softmax_without_the_max_shift(rng):
    """Every row of huge_logits makes exp(z) / sum(exp(z)) NaN; the reference stays a distribution."""
    for _ in range(20):
        Z = references.huge_logits(rng, (6, 3))
        with np.errstate(all="ignore"):
            naive = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        assert np.isnan(naive).any(axis=1).all()
        np.testing.assert_allclose(references.softmax(Z).sum(axis=1), 1.0, rtol=1e-12)


def test_helpers(rng):
    """close, by_element, one_hot, with_zero, slope and best_step do what they say."""
    assert references.close([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]))
    assert not references.close([1.0, 2.1], np.array([1.0, 2.0]))
    assert not references.close([1.0, 2.0], np.array([[1.0, 2.0]]))
    X = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(references.by_element(abs, X), np.abs(X))
    D = references.one_hot(rng, 7, 4)
    assert D.shape == (7, 4) and (D.sum(axis=1) == 1).all() and set(np.unique(D)) == {0.0, 1.0}
    zeroed = references.with_zero(rng, X + 10)
    assert (zeroed == 0).sum() == 1 and zeroed.shape == X.shape and (X + 10 != 0).all()
    xs, ys = rng.normal(size=6), rng.normal(size=6)
    assert references.slope(xs, ys) == pytest.approx(np.polyfit(xs, ys, 1)[0], rel=1e-12)
    hs, errors = rng.uniform(size=9), rng.uniform(size=9)
    assert references.best_step(hs, errors) == hs[np.argmin(errors)]


@pytest.mark.parametrize("batch", [False, True])
def test_forward_is_nnlibs(rng, batch):
    """forward gives nnlib's z and y of every layer, for one example and for a batch."""
    layers = references.random_layers(rng, (3, 5, 2), (references.relu, np.tanh))
    x = rng.normal(size=(4, 3) if batch else 3)
    modules = [(nnlib.Linear(3, 5, W=layers[0][0], b=layers[0][1]), nnlib.ReLU()),
               (nnlib.Linear(5, 2, W=layers[1][0], b=layers[1][1]), nnlib.Tanh())]
    from nnlib.checks import forward_trace
    for got, want in zip(sum(references.forward(layers, x), []), sum(forward_trace(modules, x), [])):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-15)


def test_scalar_backprop_references(rng):
    """03: the two-layer sigmoid gradients are nnlib's; the output weight's gradient is the
    numerical derivative of the loss."""
    for _, args, grads in references.sigmoid_network_cases(rng):
        W1, b1, W2, b2, x, d = args
        dWs, dbs = _nnlib_gradients([W1, W2], [b1, b2], ["sigmoid", "sigmoid"], x[None, :], d[None, :],
                                    nnlib.SquaredError())
        for got, want in [(grads["W1"], dWs[0]), (grads["b1"], dbs[0]), (grads["W2"], dWs[1]),
                          (grads["b2"], dbs[1])]:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-14)
    W1, W2, x, d = rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.normal(size=3), np.array([0.2, 0.1])

    def loss(W):
        return float(((nnlib.softmax(W @ nnlib.sigmoid(W1 @ x)) - d) ** 2).sum())
    numeric = nnlib.numerical_gradient(loss, W2.copy())
    for j, i in [(0, 1), (1, 3)]:
        assert references.output_weight_gradient(W1, W2, x, d, j, i) == pytest.approx(numeric[j, i], rel=1e-6)


def test_jacobian_backprop_references(rng):
    """04: the one-example and batch backward passes, the softmax backward by its Jacobian and the
    fused linear-softmax-cross-entropy gradient are nnlib's."""
    kinds = ["tanh", "relu", "sigmoid", "softmax"]
    Ws, bs = references.random_network(rng, [3, 4, 4, 5, 3])
    X, D = rng.normal(size=(6, 3)), references.one_hot(rng, 6, 3)
    want_W, want_b = _nnlib_gradients(Ws, bs, kinds, X, D, nnlib.SquaredError())
    got_W, got_b = references.batch_backward(Ws, bs, kinds, X, D, lambda y, d: 2 * (y - d))
    one_W, one_b = references.vector_backward(Ws, bs, kinds, X[0], lambda y: 2 * (y - D[0]))
    first_W, first_b = _nnlib_gradients(Ws, bs, kinds, X[:1], D[:1], nnlib.SquaredError())
    for got, want in zip(got_W + got_b + one_W + one_b, want_W + want_b + first_W + first_b):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-14)
    P, dP = nnlib.softmax(X, axis=1), rng.normal(size=X.shape)
    softmax = nnlib.Softmax()
    softmax(X)
    for got in (references.softmax_backward_by_jacobian(P, dP), references.softmax_vjp(P, dP)):
        np.testing.assert_allclose(got, softmax.backward(dP), rtol=1e-9, atol=1e-15)
    W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    loss, dW, db = references.linear_softmax_cross_entropy(W, b, X, D)
    (want_dW,), (want_db,) = _nnlib_gradients([W], [b], ["identity"], X, D, nnlib.SoftmaxCrossEntropy())
    fused = nnlib.SoftmaxCrossEntropy()
    assert loss == pytest.approx(fused(X @ W.T + b, D), rel=1e-12)
    np.testing.assert_allclose(dW, want_dW, rtol=1e-10)
    np.testing.assert_allclose(db, want_db, rtol=1e-10, atol=1e-16)


def test_subgradient_validators():
    """05: valid ReLU and max backward passes are accepted, wrong ones are not."""
    Z, dY = np.array([[0.0, 1.0, -1.0, 0.0]]), np.array([[-2.0, 3.0, 4.0, 0.0]])
    assert references.valid_relu_backward(Z, dY, np.array([[-1.0, 3.0, 0.0, 0.0]]))   # slope 1/2 at 0
    assert not references.valid_relu_backward(Z, dY, np.array([[1.0, 3.0, 0.0, 0.0]]))  # slope −1/2
    assert not references.valid_relu_backward(Z, dY, np.array([[0.0, 3.0, 4.0, 0.0]]))  # z < 0 passed
    Z, dy = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]]), np.array([-2.0, 1.0])
    assert references.valid_max_backward(Z, dy, np.array([[0.0, -1.5, -0.5], [1.0, 0.0, 0.0]]))
    assert not references.valid_max_backward(Z, dy, np.array([[0.0, -2.0, -2.0], [1.0, 0.0, 0.0]]))
    assert not references.valid_max_backward(Z, dy, np.array([[-2.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))


def test_digit_references(rng):
    """06: the binary cross-entropy, the 64-H-K network's gradients and the accuracy are nnlib's."""
    Z, D1 = rng.normal(size=(8, 1)) * 3, (rng.random((8, 1)) < 0.5).astype(float)
    assert references.binary_cross_entropy(Z, D1) == pytest.approx(
        nnlib.BinaryCrossEntropy()(nnlib.sigmoid(Z), D1), rel=1e-9)
    for K, kinds, D, loss in [(1, ["relu", "sigmoid"], D1, nnlib.BinaryCrossEntropy()),
                              (4, ["relu", "identity"], references.one_hot(rng, 8, 4), nnlib.SoftmaxCrossEntropy())]:
        Ws, bs = references.random_network(rng, [64, 5, K])
        X = rng.random((8, 64))
        got = references.relu_network_backward({"W1": Ws[0], "b1": bs[0], "W2": Ws[1], "b2": bs[1]}, X, D)
        want_W, want_b = _nnlib_gradients(Ws, bs, kinds, X, D, loss)
        for name, want in [("W1", want_W[0]), ("b1", want_b[0]), ("W2", want_W[1]), ("b2", want_b[1])]:
            np.testing.assert_allclose(got[name], want, rtol=1e-7, atol=1e-12)
    Y, D = rng.random((9, 4)), references.one_hot(rng, 9, 4)
    assert references.accuracy(Y, D) == pytest.approx(np.mean(Y.argmax(axis=1) == D.argmax(axis=1)))
    assert references.accuracy(Y[:, :1], D[:, :1]) == pytest.approx(np.mean((Y[:, 0] > 0.5) == (D[:, 0] == 1)))
