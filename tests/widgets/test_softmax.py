"""Tests for SoftmaxExplorer and SubgradientExplorer, driven headless (slider and dropdown changes)."""
import numpy as np
import pytest

import nnlib.widgets
from nnlib.lessons.subgradients import softmax_state
from nnlib.widgets import SoftmaxExplorer, SubgradientExplorer

from . import _classes


# Views render figures to SVG; pyplot stays headless and nbgrader's switch is off.
pytestmark = pytest.mark.usefixtures("headless_widgets")


def test_softmax_explorer_has_its_hooks():
    """The view, one z slider per logit, the bars and the heatmap carry their CSS classes."""
    view = SoftmaxExplorer([1.0, 2.0, 0.5, -1.0])
    assert "nnlib-softmax-explorer" in _classes(view)
    assert len(view._sliders) == 4 and all("nnlib-z-slider" in _classes(s) for s in view._sliders)
    assert "nnlib-softmax-bars" in _classes(view._bars) and "nnlib-jacobian-heatmap" in _classes(view._heatmap)
    assert view._heatmap.value.count("nnlib-heat-cell") == 16 and "nnlib-check-ok" in view._heatmap.value


def test_softmax_explorer_slider_moves_every_bar_and_the_heatmap():
    """Moving z1 changes the state, all bars and the Jacobian shown."""
    view = SoftmaxExplorer([0.0, 0.0, 0.0])
    bars, heat = view._bars.value, view._heatmap.value
    view._sliders[0].value = 2.0
    np.testing.assert_allclose(view.state.y, softmax_state([2.0, 0.0, 0.0]).y, rtol=1e-12)
    assert view._bars.value != bars and view._heatmap.value != heat
    assert 'nnlib-bar nnlib-bar-max" data-index="0"' in view._bars.value
    assert view.state.numerical_error() < 1e-9


def test_subgradient_explorer_slider_turns_the_verdict():
    """A slope inside [0, 1] is valid (green); 1.5 is not (red), and the verdict says so."""
    view = SubgradientExplorer("relu", v=0.5)
    assert {"nnlib-subgradient-explorer"} <= _classes(view)
    assert "nnlib-slope-slider" in _classes(view._slope)
    assert "nnlib-subgradient-plot" in _classes(view._plot)
    assert "nnlib-subgradient-verdict" in _classes(view._verdict)
    assert "nnlib-check-ok" in view._verdict.value and "nnlib-valid" in view._plot.value
    view._slope.value = 1.5
    assert view.state.v == 1.5 and not view.state.valid
    assert "nnlib-check-bad" in view._verdict.value and "nnlib-invalid" in view._plot.value


def test_subgradient_explorer_function_dropdown():
    """Switching to max(x, 2x − 1) keeps the slope and moves the kink to x0 = 1, valid slopes [1, 2]."""
    view = SubgradientExplorer("abs", v=0.5)
    assert view.state.valid
    view._function.value = "max"
    assert view.state.function.x0 == 1.0 and view.state.v == 0.5 and not view.state.valid
    assert view.state.interval == pytest.approx((1.0, 2.0))
    view._slope.value = 1.25
    assert view.state.valid and "valid slopes: [1, 2]" in view.state.verdict()


@pytest.mark.parametrize("cls, args", [(SoftmaxExplorer, ([1.0, 2.0],)), (SubgradientExplorer, ("abs",))])
def test_show_returns_none_and_displays_once(cls, args, monkeypatch):
    """show() displays the view once and returns None."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert cls.show(*args) is None
    assert len(shown) == 1 and isinstance(shown[0], cls)


@pytest.mark.parametrize("cls", [SoftmaxExplorer, SubgradientExplorer])
def test_show_builds_nothing_under_nbgrader(cls, monkeypatch):
    """Under NBGRADER_EXECUTION show() returns None without building or displaying."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(cls, "__init__", lambda *a, **k: pytest.fail("built under grading"))
    assert cls.show() is None


def test_static_fallback_in_the_mimebundle():
    """Without a widget frontend the views fall back to their SVG/HTML."""
    for view in (SoftmaxExplorer(), SubgradientExplorer()):
        html = view._repr_mimebundle_()["text/html"]
        assert "nnlib-static" in html and "<svg" in html


def test_views_are_registered_and_hooks_documented():
    """Both views load through nnlib.widgets and their CSS hooks are in its docstring."""
    assert "SoftmaxExplorer" in nnlib.widgets.__all__ and "SubgradientExplorer" in nnlib.widgets.__all__
    for hook in ("nnlib-softmax-explorer", "nnlib-z-slider", "nnlib-softmax-bars", "nnlib-jacobian-heatmap",
                 "nnlib-subgradient-explorer", "nnlib-slope-slider", "nnlib-subgradient-plot",
                 "nnlib-subgradient-verdict", "nnlib-subgradient-function"):
        assert hook in nnlib.widgets.__doc__, hook
