"""Tests for JacobianExplorer and GradientBridge, driven headless (dropdowns, sliders, clicks)."""
from html import escape

import numpy as np
import pytest

import nnlib
import nnlib.widgets
from nnlib.lessons.jacobians import vector_backward
from nnlib.lessons.network import example_network
from nnlib.notation import fmt
from nnlib.widgets import GradientBridge, JacobianExplorer

from . import D, X, _classes

# Views render figures to SVG; pyplot stays headless and nbgrader's switch is off.
pytestmark = pytest.mark.usefixtures("headless_widgets")


def test_views_are_registered_in_nnlib_widgets():
    """Both views load lazily from nnlib.widgets and are listed in __all__."""
    assert {"JacobianExplorer", "GradientBridge"} <= set(nnlib.widgets.__all__)
    assert nnlib.widgets.JacobianExplorer is JacobianExplorer


def test_explorer_layer_dropdown_changes_the_heatmap():
    """Picking another layer redraws the heatmap with that layer's Jacobian and its shape."""
    view = JacobianExplorer(example_network(), X, D, nnlib.CrossEntropy())
    assert "nnlib-jacobian-explorer" in _classes(view)
    assert view._heatmap.value.count("nnlib-heat-cell") == 6          # W1: 3 × 2
    view._layer.value = 5                                            # softmax 2 × 2
    assert view.state.position == 5
    assert view._heatmap.value.count("nnlib-heat-cell") == 4
    assert "shape 2 × 2" in view._heatmap.value and "full" in view._heatmap.value


def test_explorer_upstream_dropdown_changes_the_vjp():
    """A unit upstream vector makes the VJP equal to that row of J; 'div' gives the real backward gradient."""
    view = JacobianExplorer(example_network(), X, D, nnlib.CrossEntropy(), layer=4)   # Linear 2→2 (W3)
    back = vector_backward(example_network(), X, D, nnlib.CrossEntropy())
    np.testing.assert_allclose(view.state.vjp, back.dys[2])
    view._upstream.value = "e0"
    np.testing.assert_array_equal(view.state.vjp, example_network()[4].W[0])
    assert f"<b>{escape(fmt(view.state.vjp[1]))}</b>" in view._vjp.value


def test_explorer_upstream_options_follow_the_layer_width():
    """The upstream dropdown offers one unit vector per output of the picked layer."""
    view = JacobianExplorer(example_network(), X)
    assert [k for _, k in view._upstream.options] == ["ones", "e0", "e1", "e2"]   # z⁽¹⁾ has 3 entries
    view._upstream.value = "e2"
    view._layer.value = 2                                                          # z⁽²⁾ has 2
    assert [k for _, k in view._upstream.options] == ["ones", "e0", "e1"]
    assert view._upstream.value == "ones" == view.state.upstream


def test_explorer_input_slider_recomputes_the_jacobian():
    """Moving x so that every first-layer ReLU input is negative zeroes that Jacobian."""
    view = JacobianExplorer(example_network(), X, layer=1)
    assert view._heatmap.value.count(">1<") == 3
    view._inputs[0].value = -2.0
    view._inputs[1].value = -1.0
    np.testing.assert_array_equal(view.state.x, [-2.0, -1.0])
    np.testing.assert_array_equal(view.state.jacobian, np.zeros((3, 3)))
    assert "nnlib-jacobian-input" in _classes(view._inputs[0])


def test_explorer_static_fallback():
    """Frontends without widgets get the heatmap and the VJP as text/html."""
    view = JacobianExplorer(example_network(), X, D, nnlib.CrossEntropy())
    html = view._repr_mimebundle_()["text/html"]
    assert html.startswith('<div class="nnlib-static">') and "nnlib-heatmap" in html and "Div" in html


def test_bridge_steps_with_next_prev_and_slider():
    """Next/Prev/slider walk the per-weight steps; the formula box shows y_i · ∂Div/∂z_j with numbers."""
    model, loss = example_network(), nnlib.CrossEntropy()
    view = GradientBridge(model, X, D, loss)
    assert {"nnlib-gradient-bridge", "nnlib-stepper"} <= _classes(view)
    assert len(view.stepper) == 2 * 2 + 3                          # W3 is 2 × 2
    view._next.click()
    step = view.bridge.steps[1]
    assert escape(step.formula) in view._formula.value
    assert f">{escape(step.result)}<" in view._value.value
    assert 'nnlib-focus" data-row="0" data-col="0"' in view._diagram.value
    view._slider.value = len(view.stepper) - 1
    assert view.stepper.at_end and view._next.disabled
    assert "nnlib-bridge-dw" in view._diagram.value and "nnlib-check-ok" in view._diagram.value
    view._prev.click()
    assert "nnlib-bridge-dw" not in view._diagram.value


def test_bridge_layer_argument():
    """layer=k bridges lecture layer k (here W1: 3 neurons × 2 inputs → 6 entries)."""
    view = GradientBridge(example_network(), X, D, nnlib.CrossEntropy(), layer=1)
    assert view.bridge.k == 1 and len(view.stepper) == 6 + 3
    assert "(layer 1)" in view._title.value


@pytest.mark.parametrize("cls, args", [
    (JacobianExplorer, (example_network(), X, D, nnlib.CrossEntropy())),
    (GradientBridge, (example_network(), X, D, nnlib.CrossEntropy())),
])
def test_show_displays_once_and_returns_none(cls, args, monkeypatch):
    """show() displays one view and returns None."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert cls.show(*args) is None
    assert len(shown) == 1 and isinstance(shown[0], cls)


def test_css_hooks_are_on_the_widgets_and_documented():
    """The hooks browser tests use are on the children, and every one is in nnlib.widgets' docstring."""
    explorer = JacobianExplorer(example_network(), X, D, nnlib.CrossEntropy())
    hooks = {c for w in (explorer._layer, explorer._upstream, explorer._heatmap, explorer._vjp) for c in _classes(w)}
    assert hooks == {"nnlib-jacobian-layer", "nnlib-jacobian-upstream", "nnlib-jacobian-heatmap", "nnlib-vjp"}
    for hook in ("nnlib-jacobian-explorer", "nnlib-jacobian-heatmap", "nnlib-vjp", "nnlib-gradient-bridge",
                 "nnlib-heat-cell", "nnlib-bridge-cell", "nnlib-bridge-gradw", "nnlib-bridge-dw",
                 "nnlib-jacobian-input", "nnlib-vjp-result", "nnlib-filled"):
        assert hook in nnlib.widgets.__doc__, hook
