"""Tests for nnlib.widgets.base and the package: show(), the static fallback, the generic StepperView, CSS hooks."""
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

import nnlib
import nnlib.widgets
from nnlib.lessons.influence import InfluenceDiagram
from nnlib.lessons.network import example_network
from nnlib.lessons.trace import forward_trace
from nnlib.widgets import (BackwardStepper, ForwardStepper, GradientBridge, InfluenceExplorer,
                           JacobianExplorer, StepperView, TangentExplorer)

from . import D, X, _classes

pytestmark = pytest.mark.usefixtures("headless_widgets")


@pytest.mark.parametrize("cls, args", [
    (ForwardStepper, (example_network(), X)),
    (BackwardStepper, (example_network(), X, D, nnlib.CrossEntropy())),
    (TangentExplorer, ()),
    (InfluenceExplorer, (InfluenceDiagram.x_squared_plus_sin(1.0),)),
])
def test_show_displays_once_and_returns_none(cls, args, monkeypatch):
    """show() displays one view and returns None (so the cell does not display it twice)."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert cls.show(*args) is None
    assert len(shown) == 1 and isinstance(shown[0], cls)


@pytest.mark.parametrize("cls", [ForwardStepper, BackwardStepper, TangentExplorer, InfluenceExplorer,
                                 JacobianExplorer, GradientBridge])
def test_show_builds_nothing_under_nbgrader(cls, monkeypatch):
    """Under nbgrader autograding show() returns None without constructing or displaying anything."""
    import IPython.display

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(IPython.display, "display", lambda obj: pytest.fail("displayed under nbgrader"))
    monkeypatch.setattr(cls, "__init__", lambda self, *a, **k: pytest.fail("built under nbgrader"))
    assert cls.show("arguments are not even looked at") is None


def test_static_fallback_in_the_mimebundle():
    """Frontends without widgets get a text/html copy with the current SVG and formula."""
    view = ForwardStepper(example_network(), X)
    view._next.click()
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.startswith('<div class="nnlib-static">') and "<svg" in html
    assert escape(view.trace[1].formula) in html


def test_generic_stepper_view_with_custom_steps():
    """StepperView works with any Step-like list and renderer (the pattern for notebooks 04–06)."""
    steps = forward_trace(example_network(), X)[:3]
    rendered = []

    def render(position):
        rendered.append(position)
        return f"<svg><text>{position}</text></svg>"

    view = StepperView(steps, render, css_class="nnlib-custom", title="custom")
    view._next.click()
    view._next.click()
    view._next.click()
    assert rendered == [0, 1, 2] and view.stepper.at_end
    assert "nnlib-custom" in _classes(view) and "<svg><text>2</text></svg>" == view._diagram.value


def test_documented_css_hooks_match_the_code():
    """Every nnlib-* class used by the views is listed in nnlib.widgets' docstring."""
    used = set()
    for path in Path(nnlib.widgets.__file__).parent.glob("*.py"):
        if path.name != "__init__.py":
            used |= set(re.findall(r"nnlib-[a-z]+(?:-[a-z]+)*", path.read_text(encoding="utf-8")))
    used.discard("nnlib-check")          # prefix of nnlib-check-ok / -bad built in an f-string
    missing = sorted(c for c in used if c not in nnlib.widgets.__doc__)
    assert not missing, f"CSS classes used but not documented: {missing}"


def test_widget_classes_on_children():
    """The hooks browser tests use are on the widgets (not only in the docs)."""
    view = BackwardStepper(example_network(), X, D, nnlib.CrossEntropy())
    hooks = {c for w in (view._formula, view._value, view._next, view._prev, view._play, view._slider,
                         view._check, view._diagram) for c in _classes(w)}
    assert {"nnlib-step-formula", "nnlib-step-value", "nnlib-next", "nnlib-prev", "nnlib-play",
            "nnlib-step-slider", "nnlib-check-numerically", "nnlib-diagram"} <= hooks


def test_pure_modules_do_not_import_widget_or_plot_libraries():
    """nnlib, its lessons and pictures and nnlib.widgets itself stay light."""
    code = ("import sys, nnlib, nnlib.lessons.trace, nnlib.lessons.influence, nnlib.pictures.network, "
            "nnlib.pictures.influence, nnlib.pictures.plots, nnlib.widgets\n"
            "heavy = [m for m in ('ipywidgets', 'matplotlib', 'IPython') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)
