"""Tests for nnlib.lessons.jacobians: layer Jacobians, the vector backward pass, explorer and bridge state."""
import subprocess
import sys

import numpy as np
import pytest

import nnlib
from nnlib.gradcheck import numerical_gradient, numerical_jacobian
from nnlib.lessons.jacobians import (BridgeState, JacobianExplorerState, bridge_steps, layer_jacobians,
                                     vector_backward, vector_jacobian_product)
from nnlib.lessons.network import example_network
from nnlib.lessons.network import sigmoid_softmax_network as net_442

X442 = np.array([2.0, 5.0, 3.0, 3.0])
D442 = np.array([1.0, 0.0])


def random_net(seed=0):
    rng = np.random.default_rng(seed)
    return nnlib.Sequential(
        nnlib.Linear(3, 4, W=rng.normal(size=(4, 3)), b=rng.normal(size=4)), nnlib.Tanh(),
        nnlib.Linear(4, 4, W=rng.normal(size=(4, 4)), b=rng.normal(size=4)), nnlib.ReLU(),
        nnlib.Linear(4, 2, W=rng.normal(size=(2, 4)), b=rng.normal(size=2)))   # last layer: no activation


def nnlib_grads(model, x, d, loss):
    loss.forward(model.forward(np.asarray(x, float)[None, :]), np.asarray(d, float)[None, :])
    model.backward(loss.backward())
    linears = [layer for layer in model.layers if isinstance(layer, nnlib.Linear)]
    return [layer.grads["W"].copy() for layer in linears], [layer.grads["b"].copy() for layer in linears]


# ---------------------------------------------------------------------------- layer Jacobians
def test_layer_jacobians_list_every_layer_with_lecture_symbols():
    """One entry per nnlib layer, labelled with the lecture's z⁽ᵏ⁾/y⁽ᵏ⁾ and the right kind and structure."""
    choices = layer_jacobians(example_network(), [1.0, 2.0])
    assert [c.kind for c in choices] == ["affine", "activation"] * 3
    assert [c.structure for c in choices] == ["W", "diagonal", "W", "diagonal", "W", "full"]
    assert choices[0].label == "layer 1 affine: z⁽¹⁾ = W₁ y⁽⁰⁾ + b₁"
    assert choices[5].label == "layer 3 activation: y⁽³⁾ = Softmax(z⁽³⁾)"
    assert [c.position for c in choices] == list(range(6))
    assert (choices[5].in_symbol, choices[5].out_symbol) == ("z⁽³⁾", "y⁽³⁾")


def test_affine_jacobian_is_W_and_activation_jacobians_match_central_differences():
    """J of a Linear is its W (out × in); each activation's J equals a numerical Jacobian."""
    model = random_net(3)
    x = np.array([0.3, -1.1, 0.7])
    for c in layer_jacobians(model, x):
        layer = model.layers[c.position]
        numerical = numerical_jacobian(lambda v: layer.forward(v[None, :])[0], np.array(c.x))
        np.testing.assert_allclose(c.jacobian, numerical, atol=1e-7)
        assert c.jacobian.shape == (len(c.y), len(c.x))
        if c.kind == "affine":
            np.testing.assert_array_equal(c.jacobian, layer.W)


def test_softmax_jacobian_is_full_and_sigmoid_diagonal():
    """Scalar activations give diagonal Jacobians; softmax a full, symmetric one with rows summing to 0."""
    choices = layer_jacobians(net_442(), X442)
    J_sig, J_soft = choices[1].jacobian, choices[3].jacobian
    np.testing.assert_array_equal(J_sig, np.diag(np.diag(J_sig)))
    assert np.all(J_soft != 0)
    np.testing.assert_allclose(J_soft, J_soft.T, rtol=1e-12)
    np.testing.assert_allclose(J_soft.sum(axis=1), 0.0, atol=1e-15)


def test_layer_jacobians_leave_the_model_caches_alone():
    """Computing Jacobians runs on a copy: the model's cached batch from the student's forward stays."""
    model = net_442()
    batch = np.ones((3, 4))
    model.forward(batch)
    layer_jacobians(model, X442)
    assert model.layers[0].Y.shape == (3, 4)


def test_vjp_shapes_and_transposed_jacobian_message():
    """∇_in = ∇_out · J maps M entries to D; a transposed J is refused with both shapes named."""
    J = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(vector_jacobian_product([1.0, 2.0], J), [6.0, 9.0, 12.0])
    with pytest.raises(ValueError, match=r"\(3, 2\).*transposed"):
        vector_jacobian_product([1.0, 2.0], J.T)


# ---------------------------------------------------------------------------- vector backward
@pytest.mark.parametrize("make, x, d, loss", [
    (net_442, X442, D442, nnlib.SquaredError()),
    (example_network, np.array([1.0, 2.0]), np.array([1.0, 0.0]), nnlib.CrossEntropy()),
    (random_net, np.array([0.5, -0.2, 1.3]), np.array([0.0, 1.0]), nnlib.SquaredError()),
])
def test_vector_backward_matches_nnlib_backward(make, x, d, loss):
    """dWs (nnlib layout) and dbs of the Jacobian-based backward pass equal nnlib's grads."""
    back = vector_backward(make(), x, d, loss)
    dWs, dbs = nnlib_grads(make(), x, d, loss)
    for k in range(1, len(dWs) + 1):
        np.testing.assert_allclose(back.dWs[k], dWs[k - 1], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(back.dbs[k], dbs[k - 1], rtol=1e-10, atol=1e-14)
        np.testing.assert_array_equal(back.grad_W_lecture(k), back.dWs[k].T)


def test_vector_backward_matches_numerical_gradients_of_the_loss():
    """Every dW agrees with central differences of the loss w.r.t. that W (relative error < 1e-7)."""
    model, loss = net_442(), nnlib.SquaredError()
    back = vector_backward(model, X442, D442, loss)
    for k, layer in ((1, model.layers[0]), (2, model.layers[2])):
        numerical = numerical_gradient(lambda _: loss(model(X442[None, :]), D442[None, :]), layer.W)
        assert nnlib.relative_error(back.dWs[k], numerical) < 1e-7


def test_notes_weights_true_gradients_are_about_twice_the_printed_ones():
    """For the 4-4-2 example the true ∂Div/∂w_212 and ∂Div/∂w_131 are ≈ 2× the notes' −0.065 and 0.001595."""
    back = vector_backward(net_442(), X442, D442, nnlib.SquaredError())
    assert back.dWs[2][0, 1] == pytest.approx(-0.13038, abs=5e-5)
    assert back.dWs[1][2, 0] == pytest.approx(0.003159, abs=5e-6)


# ---------------------------------------------------------------------------- explorer state
def test_explorer_state_upstream_choices_and_vjp():
    """Unit upstream vectors pick rows of J, ones sum them, and 'div' is the real backward gradient."""
    state = JacobianExplorerState(net_442(), X442, D442, nnlib.SquaredError(), layer=2)   # Linear 4→2
    assert state.upstream == "div"
    assert [k for _, k in state.upstream_choices()] == ["div", "ones", "e0", "e1"]
    W2 = net_442()[2].W
    state.set_upstream("e1")
    np.testing.assert_array_equal(state.vjp, W2[1])
    state.set_upstream("ones")
    np.testing.assert_allclose(state.vjp, W2.sum(axis=0))
    state.set_upstream("div")
    back = vector_backward(net_442(), X442, D442, nnlib.SquaredError())
    np.testing.assert_allclose(state.upstream_gradient, back.dzs[2])
    np.testing.assert_allclose(state.vjp, back.dys[1])
    with pytest.raises(ValueError, match="e7"):
        state.set_upstream("e7")


def test_explorer_state_select_keeps_or_resets_upstream():
    """Switching to a narrower layer resets a unit vector that no longer exists; without a loss 'ones' is the default."""
    state = JacobianExplorerState(net_442(), X442)
    assert state.upstream == "ones" and not state.has_loss
    state.set_upstream("e3")                      # layer 0 has 4 outputs
    state.select(3)                               # softmax: 2 outputs, e3 does not exist
    assert state.upstream == "ones"
    with pytest.raises(ValueError, match="does not exist"):
        state.select(4)


def test_explorer_state_new_input_changes_relu_jacobian():
    """Moving x so that a ReLU input turns negative zeroes that diagonal entry."""
    state = JacobianExplorerState(example_network(), [1.0, 2.0], layer=1)
    np.testing.assert_array_equal(np.diag(state.jacobian), [1.0, 1.0, 1.0])
    state.set_input([-3.0, 0.5])                  # z1 = [-0.35, -0.75, -1.15]
    np.testing.assert_array_equal(state.jacobian, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="shape"):
        state.set_input([1.0, 2.0, 3.0])


def test_explorer_numerical_error_is_tiny_for_every_layer():
    """The numerical check shown under the heatmap agrees for every layer of a random network."""
    state = JacobianExplorerState(random_net(1), [0.2, 0.4, -0.9])
    for position in range(len(state.choices)):
        state.select(position)
        assert state.numerical_error() < 1e-7


def test_explanations_name_structure_and_shape():
    """The text under the heatmap gives the M × D shape and says W / diagonal / full."""
    state = JacobianExplorerState(net_442(), X442)
    texts = []
    for position in range(4):
        state.select(position)
        texts.append(state.explanation())
    assert "4 × 4" in texts[0] and "J = W₁" in texts[0]
    assert "diagonal" in texts[1]
    assert "2 × 4" in texts[2]
    assert "full" in texts[3] and "δ_ij" in texts[3]


# ---------------------------------------------------------------------------- HTML


# ---------------------------------------------------------------------------- bridge
def test_bridge_steps_one_per_weight_then_outer_then_nnlib():
    """Steps: start, D_in·D_out entries ∂Div/∂w_ij = y_i ∂Div/∂z_j (row by row), outer product, nnlib's dW."""
    y, dz = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0])
    steps = bridge_steps(y, dz, k=2)
    assert [s.kind for s in steps] == ["start"] + ["entry"] * 6 + ["outer", "nnlib"]
    entries = steps[1:7]
    assert [(s.i, s.j) for s in entries] == [(i, j) for i in range(3) for j in range(2)]
    assert [s.value for s in entries] == [y[i] * dz[j] for i in range(3) for j in range(2)]
    assert entries[1].formula == "∂Div/∂w₁₂⁽²⁾ = y₁⁽¹⁾ · ∂Div/∂z₂⁽²⁾"
    assert entries[1].substituted == "1 · (−1)" and entries[1].result == "−1"
    assert "3 × 2" in steps[7].result and "2 × 3" in steps[8].result


def test_bridge_state_matrices_agree_with_nnlib():
    """∇_W = y ∇_z Div (in × out), dW its transpose, equal to nnlib's grads['W'] for the default (last) layer."""
    state = BridgeState(net_442(), X442, D442, nnlib.SquaredError())
    assert state.k == 2 and state.grad_W.shape == (4, 2) and state.dW.shape == (2, 4)
    np.testing.assert_array_equal(state.grad_W, np.outer(state.y, state.dz))
    np.testing.assert_array_equal(state.dW, state.grad_W.T)
    np.testing.assert_allclose(state.dW, state.nnlib_dW, rtol=1e-12)
    first = BridgeState(net_442(), X442, D442, nnlib.SquaredError(), layer=1)
    np.testing.assert_allclose(first.dW, nnlib_grads(net_442(), X442, D442, nnlib.SquaredError())[0][0],
                               rtol=1e-10, atol=1e-15)
    with pytest.raises(ValueError, match="layers 1 … 2"):
        BridgeState(net_442(), X442, D442, nnlib.SquaredError(), layer=3)


def test_module_imports_no_widget_or_plot_library():
    """nnlib.lessons.jacobians is pure: importing it loads neither ipywidgets, matplotlib nor IPython."""
    code = ("import sys, nnlib.lessons.jacobians\n"
            "heavy = [m for m in ('ipywidgets', 'matplotlib', 'IPython') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)
