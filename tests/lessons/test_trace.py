"""Tests for nnlib.lessons.trace: the scalar forward/backward traces agree with nnlib and with numerics."""
import dataclasses

import numpy as np
import pytest

import nnlib
from nnlib.activations import Activation
from nnlib.gradcheck import numerical_gradient
from nnlib.lessons.network import (example_network, forward_values, network_layers,
                                  sigmoid_softmax_network)
from nnlib.lessons.trace import Stepper, backward_trace, check_model, forward_trace, numerical_check
from nnlib.notation import neuron_id, symbol

X_LECTURE = np.array([1.0, 2.0])
D_LECTURE = np.array([1.0, 0.0])


def _net(activations, sizes, seed):
    """Sequential with Linear(sizes[k], sizes[k+1]) each followed by activations[k] (None: none)."""
    rng = np.random.default_rng(seed)
    layers = []
    for k, act in enumerate(activations):
        layers.append(nnlib.Linear(sizes[k], sizes[k + 1], W=rng.normal(size=(sizes[k + 1], sizes[k])),
                                   b=rng.normal(size=sizes[k + 1])))
        if act is not None:
            layers.append(act)
    return nnlib.Sequential(*layers)


# (model factory, x, d, loss): cover every activation and every loss the trace knows
CASES = {
    "lecture 2-3-2-2 relu/softmax + CE": (example_network, X_LECTURE, D_LECTURE, nnlib.CrossEntropy),
    "sigmoid/tanh + squared error": (lambda: _net([nnlib.Sigmoid(), nnlib.Tanh()], [3, 4, 2], 1),
                                     np.array([0.5, -1.0, 2.0]), np.array([0.2, 0.7]), nnlib.SquaredError),
    "identity output + softmax CE (logits)": (lambda: _net([nnlib.Tanh(), None], [2, 3, 3], 2),
                                               np.array([1.5, -0.5]), np.array([0.0, 0.0, 1.0]),
                                               nnlib.SoftmaxCrossEntropy),
    "sigmoid output + binary CE": (lambda: _net([nnlib.ReLU(), nnlib.Sigmoid()], [2, 3, 1], 3),
                                   np.array([0.3, 0.8]), np.array([1.0]), nnlib.BinaryCrossEntropy),
    "softmax hidden + identity": (lambda: _net([nnlib.Softmax(), nnlib.Identity()], [2, 3, 2], 4),
                                  np.array([0.1, -0.4]), np.array([0.5, -0.5]), nnlib.SquaredError),
}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request):
    factory, x, d, loss_cls = CASES[request.param]
    return factory(), x, d, loss_cls()


def _nnlib_gradients(model, x, d, loss):
    """Gradients from nnlib's vectorised backward: (list of (dW, db) per Linear, dX)."""
    Y = model.forward(x[None, :])
    loss.forward(Y, d[None, :])
    dX = model.backward(loss.backward())
    grads = [(layer.linear.grads["W"].copy(), layer.linear.grads["b"].copy()) for layer in network_layers(model)]
    return grads, dX[0]


def test_lecture_forward_numbers():
    """The 2-3-2-2 example reproduces the notes' z values, softmax outputs and loss (exact 1.0176)."""
    trace = forward_trace(example_network(), X_LECTURE, D_LECTURE, nnlib.CrossEntropy())
    z = {(s.layer, s.index[0]): s.value for s in trace if s.kind == "z"}
    y3 = [s.value for s in trace if s.kind == "y" and s.layer == 3]
    np.testing.assert_allclose([z[1, 0], z[1, 1], z[1, 2], z[2, 0], z[2, 1], z[3, 0], z[3, 1]],
                               [0.9, 1.6, 2.3, 2.8, 1.89, 1.885, 2.454], rtol=1e-12)
    np.testing.assert_allclose(y3, [0.36146, 0.63854], atol=1e-5)
    assert trace[-1].kind == "loss"
    np.testing.assert_allclose(trace[-1].value, -np.log(y3[0]), rtol=1e-12)
    assert round(trace[-1].value, 4) == 1.0176


def test_first_step_formula_text():
    """The first neuron's step reads like the lecture: symbols, then the numbers, then the result."""
    step = forward_trace(example_network(), X_LECTURE)[1]
    assert step.formula == "z₁⁽¹⁾ = w₁₁⁽¹⁾·y₁⁽⁰⁾ + w₂₁⁽¹⁾·y₂⁽⁰⁾ + b₁⁽¹⁾"
    assert step.substituted == "0.2·1 + 0.3·2 + 0.1"
    assert step.equation == "z₁⁽¹⁾ = 0.2·1 + 0.3·2 + 0.1 = 0.9"
    assert step.description.endswith(".")


def test_forward_values_match_nnlib(case):
    """Every traced z and y equals what nnlib's layers compute, and the last y is model(x)."""
    model, x, d, loss = case
    trace = forward_trace(model, x, d, loss)
    record = forward_values(model, x)
    for step in trace:
        if step.kind in ("z", "y"):
            expected = (record.zs if step.kind == "z" else record.ys)[step.layer][step.index[0]]
            np.testing.assert_allclose(step.value, expected, rtol=1e-12, atol=1e-15)
    out = [s.value for s in trace if s.kind == "y" and s.layer == len(trace.sizes) - 1]
    np.testing.assert_allclose(out, model.forward(x[None, :])[0], rtol=1e-12)
    np.testing.assert_allclose(trace[-1].value, loss.forward(model.forward(x[None, :]), d[None, :]), rtol=1e-12)


def test_backward_values_match_nnlib(case):
    """Every traced ∂Div/∂w, ∂Div/∂b and ∂Div/∂x equals nnlib's vectorised backward."""
    model, x, d, loss = case
    trace = backward_trace(model, x, d, loss, input_gradient=True)
    grads, dX = _nnlib_gradients(model, x, d, loss)
    seen = 0
    for step in trace:
        if step.kind == "dw":
            i, j = step.index
            np.testing.assert_allclose(step.value, grads[step.layer - 1][0][j, i], rtol=1e-10, atol=1e-14)
            seen += 1
        elif step.kind == "db":
            np.testing.assert_allclose(step.value, grads[step.layer - 1][1][step.index[0]], rtol=1e-10, atol=1e-14)
            seen += 1
        elif step.kind == "dy" and step.layer == 0:
            np.testing.assert_allclose(step.value, dX[step.index[0]], rtol=1e-10, atol=1e-14)
    assert seen == sum(layer.linear.W.size + layer.linear.b.size for layer in network_layers(model))


def test_backward_weight_gradients_match_numerical(case):
    """Traced ∂Div/∂W agrees with central differences of the loss (nnlib.gradcheck)."""
    model, x, d, loss = case
    trace = backward_trace(model, x, d, loss)
    for k, layer in enumerate(network_layers(model), start=1):
        W = layer.linear.W

        def div(_):
            return loss.forward(model.forward(x[None, :]), d[None, :])

        numerical = numerical_gradient(div, W)
        traced = np.zeros_like(W)
        for step in trace:
            if step.kind == "dw" and step.layer == k:
                i, j = step.index
                traced[j, i] = step.value
        np.testing.assert_allclose(traced, numerical, rtol=1e-6, atol=1e-8)


def test_terms_and_running_totals(case):
    """Each term's product is local × upstream, and the last running total is the step's value."""
    model, x, d, loss = case
    for step in backward_trace(model, x, d, loss):
        if step.terms:
            for term in step.terms:
                assert term.product == pytest.approx(term.local * term.upstream, rel=1e-12, abs=1e-15)
            np.testing.assert_allclose(np.cumsum([t.product for t in step.terms]), step.running, rtol=1e-12)
            assert step.running[-1] == pytest.approx(step.value, rel=1e-12, abs=1e-15)


def test_softmax_dz_sums_over_every_output():
    """For softmax, ∂Div/∂z_i has one term per output y_j, with local derivative y_j(δ_ij − y_i)."""
    trace = backward_trace(example_network(), X_LECTURE, D_LECTURE, nnlib.CrossEntropy())
    step = next(s for s in trace if s.kind == "dz" and s.layer == 3 and s.index == (0,))
    assert len(step.terms) == 2
    y = forward_values(example_network(), X_LECTURE).ys[3]
    np.testing.assert_allclose([t.local for t in step.terms], [y[0] * (1 - y[0]), -y[1] * y[0]], rtol=1e-12)
    # softmax followed by cross-entropy: ∂Div/∂z = y − d
    np.testing.assert_allclose(step.value, y[0] - 1.0, rtol=1e-10)


def test_dw_step_highlights_its_edge():
    """A weight step highlights exactly the edge from input i to neuron j, and records W[j, i]."""
    trace = backward_trace(example_network(), X_LECTURE, D_LECTURE, nnlib.CrossEntropy())
    step = next(s for s in trace if s.kind == "dw" and s.layer == 2 and s.index == (2, 1))
    assert step.edges == ((neuron_id(1, 2), neuron_id(2, 1)),)
    assert step.param == (2, "W", (1, 2))
    assert step.symbol == "∂Div/∂" + symbol("w", 2, 2, 1) == "∂Div/∂w₃₂⁽²⁾"


def test_notes_001_example_true_gradient():
    """The 4-4-2 example of notes 001: the true ∂L/∂w₂₁₂ is about twice the notes' −0.065.

    The notes follow only the path through ŷ₁; a 2-way softmax also sends a21's influence through
    ŷ₂, which doubles the derivative here. The trace sums both paths and agrees with numerics.
    """
    model = sigmoid_softmax_network()
    x, d, loss = np.array([2.0, 5, 3, 3]), np.array([1.0, 0.0]), nnlib.SquaredError()
    trace = backward_trace(model, x, d, loss)
    w212 = next(s for s in trace if s.kind == "dw" and s.layer == 2 and s.index == (1, 0))
    check = numerical_check(model, x, d, loss, k=2, j=0, i=1)
    assert check.agrees and check.traced == pytest.approx(w212.value, rel=1e-12)
    assert w212.value == pytest.approx(-0.13, abs=0.01)   # not the notes' −0.065


def test_numerical_check_detects_a_wrong_value_and_restores_w():
    """A deliberately wrong 'traced' value is flagged, and the weight is left unchanged."""
    model = example_network()
    W = network_layers(model)[0].linear.W
    before = W.copy()
    good = numerical_check(model, X_LECTURE, D_LECTURE, nnlib.CrossEntropy(), k=1, j=2, i=1)
    bad = numerical_check(model, X_LECTURE, D_LECTURE, nnlib.CrossEntropy(), k=1, j=2, i=1,
                          traced=good.traced + 0.01)
    assert good.agrees and good.relative_error < 1e-7
    assert not bad.agrees and "DISAGREE" in str(bad)
    np.testing.assert_array_equal(W, before)


def test_numerical_check_bias_and_whole_model():
    """Bias checks work (i=None) and check_model covers every weight and bias, all agreeing."""
    model = example_network()
    bias = numerical_check(model, X_LECTURE, D_LECTURE, nnlib.CrossEntropy(), k=3, j=1)
    assert bias.symbol == "∂Div/∂b₂⁽³⁾" and bias.agrees
    results = check_model(model, X_LECTURE, D_LECTURE, nnlib.CrossEntropy())
    assert len(results) == 6 + 3 + 6 + 2 + 4 + 2
    assert all(r.agrees for r in results)


def test_numerical_check_rejects_bad_indices():
    """Out-of-range layers and indices give a ValueError naming the shape."""
    with pytest.raises(ValueError, match="layers 1 … 3"):
        numerical_check(example_network(), X_LECTURE, D_LECTURE, nnlib.CrossEntropy(), k=4, j=0, i=0)
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        numerical_check(example_network(), X_LECTURE, D_LECTURE, nnlib.CrossEntropy(), k=1, j=0, i=5)


def test_input_shapes():
    """x may be (D,) or (1, D); anything else is refused with the expected shape in the message."""
    a = forward_trace(example_network(), X_LECTURE)
    b = forward_trace(example_network(), X_LECTURE[None, :])
    assert [s.equation for s in a] == [s.equation for s in b]
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(1, 2\)"):
        forward_trace(example_network(), np.ones((2, 1)))
    with pytest.raises(ValueError, match="NaN"):
        forward_trace(example_network(), [np.nan, 1.0])


def test_network_layers_rejects_unsupported_models():
    """A model must be Linear layers each followed by at most one activation."""
    with pytest.raises(ValueError, match="Linear layers"):
        network_layers(nnlib.Sequential(nnlib.ReLU(), nnlib.Linear(2, 2)))
    with pytest.raises(ValueError, match="Linear layers"):
        network_layers(nnlib.Sequential(nnlib.Linear(2, 2), nnlib.ReLU(), nnlib.Sigmoid()))
    assert len(network_layers(nnlib.Linear(2, 1))) == 1


def test_forward_trace_needs_both_d_and_loss():
    """Giving d without loss is a mistake worth an error, not a silent skip."""
    with pytest.raises(ValueError, match="both d and loss"):
        forward_trace(example_network(), X_LECTURE, d=D_LECTURE)


def test_long_sums_are_elided():
    """A neuron with many inputs shows the first two terms, '…', and the last."""
    model = nnlib.Sequential(nnlib.Linear(10, 1, W=np.ones((1, 10))))
    step = forward_trace(model, np.arange(10.0))[1]
    assert step.formula == "z₁⁽¹⁾ = w₁₁⁽¹⁾·y₁⁽⁰⁾ + w₂₁⁽¹⁾·y₂⁽⁰⁾ + … + w₁₀,₁⁽¹⁾·y₁₀⁽⁰⁾ + b₁⁽¹⁾"
    assert step.value == 45.0


def test_annotations_reveal_only_what_is_computed():
    """At step p, only values computed in steps 0 … p are shown on the drawing."""
    trace = forward_trace(example_network(), X_LECTURE)
    nodes, _ = trace.annotations(0)
    assert nodes == {"n0_0": ["y=1"], "n0_1": ["y=2"]}
    nodes, _ = trace.annotations(2)
    assert nodes["n1_0"] == ["z=0.9", "y=0.9"] and "n1_1" not in nodes
    back = backward_trace(example_network(), X_LECTURE, D_LECTURE, nnlib.CrossEntropy())
    nodes, _ = back.annotations(0)      # the backward pass starts with every forward y known
    assert nodes["n1_0"] == ["y=0.9"] and nodes["loss"] == [f"Div={back[0].result}"]
    p = next(n for n, s in enumerate(back) if s.kind == "dw")
    nodes, edges = back.annotations(p)
    assert nodes["n3_0"] == ["y=0.3615", "∂y=−2.766", "∂z=−0.6385"]
    assert edges == {back[p].edges[0]: f"∂w={back[p].result}"}


def test_stepper_moves_and_stays_in_bounds():
    """next/prev stop at the ends, goto checks bounds, reset returns to 0, play runs to the end."""
    s = Stepper(list("abcd"))
    assert (s.position, s.current, s.at_start, s.at_end) == (0, "a", True, False)
    assert s.prev() == "a" and s.position == 0
    assert s.goto(-1) == "d" and s.at_end
    assert s.next() == "d" and s.position == 3
    with pytest.raises(IndexError, match="0 … 3"):
        s.goto(4)
    assert s.reset() == "a"
    assert list(s.play()) == ["b", "c", "d"] and s.at_end
    assert list(s.play()) == []
    with pytest.raises(ValueError):
        Stepper([])


def test_steps_are_immutable_records():
    """Steps are frozen, so a view cannot change the numbers it displays by accident."""
    step = forward_trace(example_network(), X_LECTURE)[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.value = 0.0


def test_traces_leave_the_model_and_loss_caches_alone():
    """Tracing one example does not overwrite the caches of a batch just run through the model."""
    model, loss = example_network(), nnlib.CrossEntropy()
    X, D = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]), np.eye(2)[[0, 1, 1]]
    Y = model.forward(X)
    loss.forward(Y, D)
    backward_trace(model, X[0], D[0], loss)
    forward_trace(model, X[0], D[0], loss)
    check_model(model, X[0], D[0], loss)
    dX = model.backward(loss.backward())       # still the batch of 3, not the traced example
    assert dX.shape == (3, 2)


def test_loss_step_texts_for_squared_error():
    """The divergence and its first derivatives are written out with the numbers put in."""
    model = nnlib.Sequential(nnlib.Linear(1, 2, W=[[1.0], [2.0]], b=[0.0, 0.0]))
    trace = backward_trace(model, [0.5], [0.0, 2.0], nnlib.SquaredError())
    assert trace[0].equation == "Div = (0.5 − 0)² + (1 − 2)² = 1.25"
    assert trace[1].equation == "∂Div/∂y₁⁽¹⁾ = 2(0.5 − 0) = 1"
    assert trace[2].equation == "∂Div/∂y₂⁽¹⁾ = 2(1 − 2) = −2"


def test_unknown_loss_still_traces():
    """A loss the trace has no formula for is still traced through its forward/backward."""

    class Halved(nnlib.SquaredError):
        def forward(self, Y, D):
            return 0.5 * super().forward(Y, D)

        def backward(self):
            return 0.5 * super().backward()

    model = nnlib.Sequential(nnlib.Linear(1, 1, W=[[3.0]], b=[0.0]))
    trace = backward_trace(model, [1.0], [1.0], Halved())
    assert trace[0].formula == "Div = Halved(y⁽¹⁾, d)" and trace[0].value == pytest.approx(2.0)
    assert trace[1].value == pytest.approx(2.0)          # ½ · 2(3 − 1)


def test_numerical_check_explains_a_relu_kink():
    """At z = 0 exactly, ReLU's subgradient and the central difference differ; the check says why."""
    model = nnlib.Sequential(nnlib.Linear(1, 1, W=[[1.0]], b=[-1.0]), nnlib.ReLU(), nnlib.Linear(1, 1, W=[[1.0]]))
    result = numerical_check(model, [1.0], [-1.0], nnlib.SquaredError(), k=1, j=0, i=0)
    # z = 1·1 − 1 = 0: backprop uses slope 1 (→ 2), the central difference averages 1 and 0 (→ ≈ 1)
    assert result.traced == pytest.approx(2.0) and result.numerical == pytest.approx(1.0, rel=1e-5)
    assert not result.agrees
    assert "kink" in result.note and "kink" in str(result)


class _Square(Activation):
    """f(z) = z², an activation nnlib does not have, described only by its own attributes."""

    name, symbol = "the square", "Square"
    formula = "{z}²"
    substituted = "{z_factor}²"
    derivative_text = "for the square f′(z) = 2z"

    def forward(self, Z):
        self.Z, self.Y = Z, Z * Z
        return self.Y

    def backward(self, dY):
        return dY * 2 * self.Z

    def derivative(self, z):
        return 2 * np.asarray(z, dtype=float)

    def jacobian(self, z):
        return np.diag(self.derivative(z))


def test_traces_ask_the_activation_for_its_description():
    """A new activation's formula and derivative text reach the traces without touching trace.py."""
    model = nnlib.Sequential(nnlib.Linear(1, 1, W=[[1.0]], b=[-1.5]), _Square())
    y_step = next(s for s in forward_trace(model, [1.0]) if s.kind == "y")
    assert y_step.formula == "y₁⁽¹⁾ = z₁⁽¹⁾²" and y_step.substituted == "(−0.5)²"
    assert y_step.value == pytest.approx(0.25) and "(the square)" in y_step.description
    dz_step = next(s for s in backward_trace(model, [1.0], [0.0], nnlib.SquaredError()) if s.kind == "dz")
    assert "for the square f′(z) = 2z" in dz_step.description
    assert dz_step.value == pytest.approx(2 * 0.25 * 2 * -0.5)      # ∂Div/∂y · f′(z)


def test_a_new_layer_gets_the_templates_input_and_upstream_checks():
    """The Layer template checks a subclass's input and upstream gradient with the usual messages."""
    square = _Square()
    with pytest.raises(nnlib.ShapeError, match="expects a 2-D batch"):
        square.forward(np.ones(3))
    with pytest.raises(RuntimeError, match="before forward"):
        _Square().backward(np.ones((1, 3)))
    square.forward(np.ones((2, 3)))
    with pytest.raises(nnlib.ShapeError, match=r"expects dY with the shape of forward's output \(2, 3\)"):
        square.backward(np.ones((3, 2)))
