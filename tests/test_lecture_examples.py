"""The lecture notes' worked examples, recomputed with nnlib (and the notes' slips named).

Notes 000 (2-3-2-2 forward pass) print their weight tables as inputs × neurons, so nnlib's W (neurons
× inputs, z = W y + b) is the transpose of each table. Notes 001 (4-4-2 backprop) store W1 and W2 as
neurons × inputs already, with w_kji = layer k, neuron j, input i, so w_212 = W2[0, 1] and
w_131 = W1[2, 0].
"""

import numpy as np
import pytest

import nnlib
from nnlib import Linear, ReLU, Sequential, Sigmoid, Softmax

# --- notes 000: the 2-3-2-2 forward example ------------------------------------------------------
# Tables as printed (inputs × neurons); nnlib wants their transposes.
W1_TABLE = np.array([[0.2, 0.4, 0.6], [0.3, 0.5, 0.7]])
W2_TABLE = np.array([[0.5, 0.3], [0.4, 0.6], [0.7, 0.2]])
W3_TABLE = np.array([[0.3, 0.4], [0.5, 0.6]])
X_000 = np.array([[1.0, 2.0]])


def _net_000(output_activation):
    return Sequential(
        Linear(2, 3, W=W1_TABLE.T, b=[0.1, 0.2, 0.3]), ReLU(),
        Linear(3, 2, W=W2_TABLE.T, b=[0.1, 0.2]), ReLU(),
        Linear(2, 2, W=W3_TABLE.T, b=[0.1, 0.2]), output_activation)


def test_000_pre_activations():
    """2-3-2-2 net: z1 = [0.9, 1.6, 2.3], z2 = [2.8, 1.89], z3 = [1.885, 2.454] as in the notes."""
    model = _net_000(Sigmoid())
    model(X_000)
    np.testing.assert_allclose(model[1].Z, [[0.9, 1.6, 2.3]], rtol=1e-12)
    np.testing.assert_allclose(model[3].Z, [[2.8, 1.89]], rtol=1e-12)
    np.testing.assert_allclose(model[5].Z, [[1.885, 2.454]], rtol=1e-12)


def test_000_weight_table_must_be_transposed():
    """Passing the notes' 2×3 table as W for Linear(2→3) is refused as transposed."""
    with pytest.raises(nnlib.ShapeError, match="transposed"):
        Linear(2, 3, W=W1_TABLE)


def test_000_sigmoid_outputs():
    """Sigmoid outputs ≈ [0.868, 0.921] (they sum to more than 1, the notes' point)."""
    Y = _net_000(Sigmoid())(X_000)
    np.testing.assert_allclose(Y, [[0.868, 0.921]], atol=5e-4)
    assert Y.sum() > 1


def test_000_softmax_exponentials_and_notes_slip():
    """e^1.885 ≈ 6.586 and e^2.454 ≈ 11.635, sum ≈ 18.221.

    The notes print e^2.454 ≈ 11.661 and the sum ≈ 18.249: arithmetic slips (their 6.588 for
    e^1.885 is also slightly off, 6.586). The softmax outputs they print survive the slip.
    """
    e = np.exp(np.array([1.885, 2.454]))
    np.testing.assert_allclose(e, [6.586, 11.635], atol=5e-4)
    assert e.sum() == pytest.approx(18.221, abs=5e-4)
    assert abs(e[1] - 11.661) > 0.02 and abs(e.sum() - 18.249) > 0.02  # the notes' values are off


def test_000_softmax_outputs_and_cross_entropy():
    """Softmax ≈ [0.361, 0.639]; CE with d = [1, 0] is 1.0176 (notes round to 1.018)."""
    Y = _net_000(Softmax())(X_000)
    np.testing.assert_allclose(Y, [[0.361, 0.639]], atol=5e-4)
    D = np.array([[1.0, 0.0]])
    assert nnlib.CrossEntropy()(Y, D) == pytest.approx(1.0176, abs=5e-5)
    logits = _net_000(nnlib.Identity())(X_000)
    assert nnlib.SoftmaxCrossEntropy()(logits, D) == pytest.approx(1.0176, abs=5e-5)


# --- notes 001: the 4-4-2 sigmoid / softmax example ----------------------------------------------
W1_001 = np.array([[0.1, 0.3, 0.8, -0.4], [-0.3, -0.2, 0.5, 0.5],
                   [-0.3, 0.0, 0.5, 0.4], [0.2, 0.5, -0.9, 0.7]])
W2_001 = np.array([[0.5, 0.8, 0.2, 0.4], [0.5, 0.2, 0.3, -0.5]])
X_001 = np.array([[2.0, 5.0, 3.0, 3.0]])
D_001 = np.array([[1.0, 0.0]])


def _net_001():
    # Zero bias: the notes' first example states b = [0.5 0.3], but its numbers
    # (a1 = [2.9 1.4 2.1 2.3]) are computed with b = 0, as the second example says.
    return Sequential(Linear(4, 4, W=W1_001), Sigmoid(), Linear(4, 2, W=W2_001), Softmax())


def test_001_forward_values():
    """a1 = [2.9, 1.4, 2.1, 2.3], h1 ≈ [0.95, 0.80, 0.89, 0.91], a2 ≈ [1.66, 0.45], ŷ ≈ [0.77, 0.23]."""
    model = _net_001()
    Y = model(X_001)
    np.testing.assert_allclose(model[1].Z, [[2.9, 1.4, 2.1, 2.3]], rtol=1e-12)
    np.testing.assert_allclose(model[1].Y, [[0.95, 0.80, 0.89, 0.91]], atol=5e-3)
    np.testing.assert_allclose(model[3].Z, [[1.66, 0.45]], atol=5e-3)
    np.testing.assert_allclose(Y, [[0.77, 0.23]], atol=5e-3)


def test_001_bias_stated_in_notes_is_not_the_one_used():
    """With the stated b = [0.5 0.3] (taken as layer-1 biases 0.5, 0.3, 0, 0), a1 ≠ [2.9 1.4 2.1 2.3]."""
    layer = Linear(4, 4, W=W1_001, b=[0.5, 0.3, 0.0, 0.0])
    assert not np.allclose(layer(X_001), [[2.9, 1.4, 2.1, 2.3]], atol=0.05)


def test_001_squared_error_value_and_notes_typo():
    """Squared error: 0.1058 with the rounded ŷ = [0.77, 0.23] and d = [1, 0]; exact ≈ 0.1055.

    The notes write (1 − 0.77)² + (1 − 0.23)² but that is 0.6458; their value 0.1058 is
    (1 − 0.77)² + (0 − 0.23)², since d_2 = 0. (They also label this sum "∂L/∂ŷ1": it is the loss;
    its derivative is −2(d_1 − ŷ_1) = −0.46, which SquaredError.backward gives for a batch of one.)
    """
    loss = nnlib.SquaredError()
    assert loss(np.array([[0.77, 0.23]]), D_001) == pytest.approx(0.1058, abs=1e-12)
    assert (1 - 0.77) ** 2 + (1 - 0.23) ** 2 == pytest.approx(0.6458, abs=1e-12)  # the typo
    np.testing.assert_allclose(loss.backward(), [[-0.46, 0.46]], rtol=1e-12)
    assert loss(_net_001()(X_001), D_001) == pytest.approx(0.10549, abs=1e-5)


def test_001_h13_derivative_rounding():
    """h13(1 − h13) ≈ 0.0972 exactly; the notes' 0.0979 comes from the rounded h13 = 0.89."""
    model = _net_001()
    model(X_001)
    h13 = model[1].Y[0, 2]
    assert h13 * (1 - h13) == pytest.approx(0.09719, abs=1e-5)
    assert 0.89 * 0.11 == pytest.approx(0.0979, abs=1e-12)


def _true_gradients_001():
    model = _net_001()
    loss = nnlib.SquaredError()
    loss(model(X_001), D_001)
    model.backward(loss.backward())
    return model, loss


def test_001_true_gradients_match_numerical():
    """∂L/∂w212 ≈ −0.1304 and ∂L/∂w131 ≈ 0.003159 by backprop, confirmed by central differences."""
    model, loss = _true_gradients_001()
    dW2, dW1 = model[2].grads["W"].copy(), model[0].grads["W"].copy()
    assert dW2[0, 1] == pytest.approx(-0.13038, abs=1e-5)
    assert dW1[2, 0] == pytest.approx(0.0031594, abs=1e-7)

    def L(_):
        return loss.forward(model.forward(X_001), D_001)

    num_W2 = nnlib.numerical_gradient(L, model[2].W)
    num_W1 = nnlib.numerical_gradient(L, model[0].W)
    assert nnlib.relative_error(dW2, num_W2) < 1e-7
    assert nnlib.relative_error(dW1, num_W1) < 1e-7


def test_001_printed_gradients_are_not_the_true_ones():
    """The notes' ∂L/∂w212 = −0.065 and ∂L/∂w131 = 0.001595 are about half the true values.

    The notes chain ∂L/∂ŷ1 · ∂ŷ1/∂a21 only, but with softmax ŷ2 also depends on a21, and the path
    a21 → ŷ2 → L contributes as much again (for two classes, ∂ŷ2/∂a21 = −ŷ1ŷ2 and
    ∂L/∂ŷ2 = −∂L/∂ŷ1 here). Likewise for w131 each of the two paths drops its cross term.
    """
    model, _ = _true_gradients_001()
    true_w212 = model[2].grads["W"][0, 1]
    true_w131 = model[0].grads["W"][2, 0]
    assert abs(true_w212 - (-0.065)) > 0.05
    assert abs(true_w131 - 0.001595) > 0.001
    # The single-path shortcut, recomputed exactly, is half the truth for this 2-class net.
    y = model[3].Y[0]
    h = model[1].Y[0]
    shortcut_w212 = -2 * (1 - y[0]) * y[0] * (1 - y[0]) * h[1]
    assert shortcut_w212 == pytest.approx(true_w212 / 2, rel=1e-9)


def test_001_update_sign():
    """One SGD step (η = 1) moves w212 against the gradient: 0.8 − η ∂L/∂w212 ≈ 0.930."""
    model, _ = _true_gradients_001()
    nnlib.SGD(model, lr=1.0).step()
    assert model[2].W[0, 1] == pytest.approx(0.8 + 0.13038, abs=1e-5)
