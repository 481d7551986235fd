"""Tests for nnlib.widgets.influence: InfluenceExplorer lists paths and their sum."""
import pytest

import nnlib
from nnlib.lessons.influence import InfluenceDiagram
from nnlib.lessons.network import example_network
from nnlib.widgets import InfluenceExplorer

from . import D, X

pytestmark = pytest.mark.usefixtures("headless_widgets")


def test_influence_explorer_lists_paths_and_sum():
    """The table lists every path with its product; Next moves the highlight; the sum is dy/dx."""
    view = InfluenceExplorer(InfluenceDiagram.x_squared_plus_sin(1.0))
    assert view._paths.value.count("<tr class='nnlib-path") == 2
    assert view._paths.value.count("nnlib-selected") == 1
    assert "2.54" in view._total.value
    svg_before = view._diagram.value
    view._next.click()
    assert view.state.path_index == 1 and view._diagram.value != svg_before
    assert 'data-edge="x-&gt;g2"' in view._diagram.value
    view._source.value = "g1"
    assert view._paths.value.count("<tr class='nnlib-path") == 1
    assert "∂y/∂g₁ = sum over 1 path = " in view._total.value


def test_influence_explorer_on_a_network():
    """For a network diagram the explorer's sum for an input equals backprop's ∂Div/∂x."""
    model, loss = example_network(), nnlib.CrossEntropy()
    view = InfluenceExplorer(InfluenceDiagram.from_model(model, X, D, loss), source="y2^(0)")
    loss.forward(model.forward(X[None, :]), D[None, :])
    dX = model.backward(loss.backward())[0]
    assert view.state.total == pytest.approx(dX[1], rel=1e-10)
