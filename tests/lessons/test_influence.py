"""Tests for nnlib.lessons.influence: the sum over paths of products of local derivatives is the derivative."""
import math

import numpy as np
import pytest

import nnlib
from nnlib.lessons.influence import InfluenceDiagram, PathExplorer
from nnlib.lessons.network import example_network, network_layers


@pytest.mark.parametrize("x", [-2.0, 0.0, 1.0, 2.5])
def test_x_squared_plus_sin_is_2x_plus_cos(x):
    """y = x² + sin x: two paths whose products are 2x and cos x, summing to dy/dx."""
    d = InfluenceDiagram.x_squared_plus_sin(x)
    paths = d.paths("x", "y")
    assert [p.names for p in paths] == [("x", "g1", "y"), ("x", "g2", "y")]
    np.testing.assert_allclose([p.product for p in paths], [2 * x, math.cos(x)], rtol=1e-12)
    np.testing.assert_allclose(d.running_sums("x"), [2 * x, 2 * x + math.cos(x)], rtol=1e-12)
    np.testing.assert_allclose(d.derivative("x"), 2 * x + math.cos(x), rtol=1e-12)
    assert d.nodes["y"].value == pytest.approx(x * x + math.sin(x), rel=1e-12)


def test_small_network_matches_a_numerical_derivative():
    """The network-shaped diagram's sum over its two paths equals a central difference of y(x)."""
    w, v, x = (0.5, -1.0), (2.0, 1.0), 0.7

    def y(x):
        return sum(vj / (1 + math.exp(-wj * x)) for wj, vj in zip(w, v))

    d = InfluenceDiagram.small_network(x, w, v)
    assert len(d.paths("x")) == 2 and all(len(p.factors) == 3 for p in d.paths("x"))
    assert d.nodes["y"].value == pytest.approx(y(x), rel=1e-12)
    eps = 1e-6
    assert d.derivative("x") == pytest.approx((y(x + eps) - y(x - eps)) / (2 * eps), rel=1e-7)


def test_from_model_inputs_sum_over_paths_equals_backprop():
    """For the lecture network, Σ over paths from x_i to Div equals nnlib's ∂Div/∂x_i."""
    model, x, d, loss = example_network(), np.array([1.0, 2.0]), np.array([1.0, 0.0]), nnlib.CrossEntropy()
    diagram = InfluenceDiagram.from_model(model, x, d, loss)
    loss.forward(model.forward(x[None, :]), d[None, :])
    dX = model.backward(loss.backward())[0]
    for i in range(2):
        assert diagram.derivative(f"y{i + 1}^(0)") == pytest.approx(dX[i], rel=1e-10)
    # 3 neurons × 2 neurons × (2 softmax inputs × 2 outputs) paths from each input
    assert len(diagram.paths("y1^(0)")) == 3 * 2 * 2 * 2
    assert diagram.output == "Div"


def test_from_model_weight_node_equals_weight_gradient():
    """A weight node's sum over paths equals nnlib's gradient for that weight (W[j, i])."""
    rng = np.random.default_rng(0)
    model = nnlib.Sequential(nnlib.Linear(2, 3, W=rng.normal(size=(3, 2))), nnlib.Sigmoid(),
                             nnlib.Linear(3, 2, W=rng.normal(size=(2, 3))))
    x, d, loss = np.array([0.4, -1.2]), np.array([0.5, 1.0]), nnlib.SquaredError()
    diagram = InfluenceDiagram.from_model(model, x, d, loss, weights=[(1, 1, 2), (2, 0, 1)])
    loss.forward(model.forward(x[None, :]), d[None, :])
    model.backward(loss.backward())
    layers = network_layers(model)
    assert diagram.derivative("w23^(1)") == pytest.approx(layers[0].linear.grads["W"][2, 1], rel=1e-10)
    assert diagram.derivative("w12^(2)") == pytest.approx(layers[1].linear.grads["W"][1, 0], rel=1e-10)
    assert diagram.nodes["w23^(1)"].value == layers[0].linear.W[2, 1]


def test_from_model_without_loss_needs_one_output():
    """Without a loss the single output is the target; several outputs need a loss to be summed."""
    model = nnlib.Sequential(nnlib.Linear(2, 1, W=[[2.0, -3.0]], b=[0.5]), nnlib.Tanh())
    diagram = InfluenceDiagram.from_model(model, [0.1, 0.2])
    z = 2 * 0.1 - 3 * 0.2 + 0.5
    assert diagram.output == "y1^(1)"
    assert diagram.derivative("y2^(0)") == pytest.approx(-3 * (1 - math.tanh(z) ** 2), rel=1e-12)
    with pytest.raises(ValueError, match="2 outputs"):
        InfluenceDiagram.from_model(example_network(), [1.0, 2.0])
    with pytest.raises(ValueError, match="both d and loss"):
        InfluenceDiagram.from_model(example_network(), [1.0, 2.0], d=[1.0, 0.0])
    with pytest.raises(ValueError, match="out of range"):
        InfluenceDiagram.from_model(example_network(), [1.0, 2.0], [1.0, 0.0], nnlib.CrossEntropy(),
                                    weights=[(1, 2, 0)])


def test_building_rules():
    """Unknown nodes, duplicates and cycles are refused with clear messages."""
    d = InfluenceDiagram()
    d.add_node("a", value=1.0)
    d.add_node("b")
    d.add_edge("a", "b", 3.0)
    with pytest.raises(KeyError, match="add_node"):
        d.add_edge("a", "c", 1.0)
    with pytest.raises(ValueError, match="already"):
        d.add_node("a")
    with pytest.raises(ValueError, match="already"):
        d.add_edge("a", "b", 1.0)
    with pytest.raises(ValueError, match="cycle"):
        d.add_edge("b", "a", 1.0)
    with pytest.raises(KeyError, match="unknown node"):
        d.paths("zz")


def test_callable_local_derivative_needs_the_tail_value():
    """A callable local derivative is evaluated at the tail's value; without a value, an error."""
    d = InfluenceDiagram()
    d.add_node("x")
    d.add_node("y")
    d.add_edge("x", "y", lambda x: 2 * x)
    with pytest.raises(ValueError, match="needs the value"):
        d.derivative("x", "y")


def test_paths_in_a_diamond_with_a_shortcut():
    """Paths of different lengths are all found and each contributes its own product."""
    d = InfluenceDiagram()
    for name in "abcd":
        d.add_node(name)
    d.add_edge("a", "b", 2.0)
    d.add_edge("a", "c", 3.0)
    d.add_edge("b", "d", 5.0)
    d.add_edge("c", "d", 7.0)
    d.add_edge("a", "d", 11.0)
    assert [p.names for p in d.paths("a")] == [("a", "b", "d"), ("a", "c", "d"), ("a", "d")]
    assert d.derivative("a") == 2 * 5 + 3 * 7 + 11
    assert d.columns() == {"a": 0, "b": 1, "c": 1, "d": 2}
    assert d.sources() == ["a", "b", "c"]


def test_path_explorer_state():
    """The explorer selects sources and paths, wraps around, and refuses impossible choices."""
    state = PathExplorer(InfluenceDiagram.x_squared_plus_sin(1.0))
    assert state.choices == ["x", "g1", "g2"]
    assert state.path_text(0) == "x → g₁ → y"
    state.prev_path()
    assert state.path_index == 1
    state.next_path()
    assert state.path_index == 0
    state.select_source("g2")
    assert len(state.paths) == 1 and state.total == 1.0
    with pytest.raises(KeyError, match="no path"):
        state.select_source("y")
    with pytest.raises(IndexError):
        state.select_path(3)


def test_chain_is_the_plain_chain_rule():
    """1/e^(x²) as x → h₁ = x² → h₂ = e^h₁ → y = 1/h₂: one path, derivative −2x e^(−x²)."""
    x = 0.8
    d = InfluenceDiagram.chain(x, [("h₁ = x²", lambda v: v * v, lambda v: 2 * v),
                                   ("h₂ = e^h₁", math.exp, math.exp),
                                   ("y = 1/h₂", lambda v: 1 / v, lambda v: -1 / v ** 2)])
    assert [p.names for p in d.paths("x")] == [("x", "h1", "h2", "y")]
    assert d.derivative("x") == pytest.approx(-2 * x * math.exp(-x * x), rel=1e-12)
    assert d.nodes["y"].value == pytest.approx(math.exp(-x * x), rel=1e-12)
    with pytest.raises(ValueError, match="at least one"):
        InfluenceDiagram.chain(x, [])
