"""Tests for nnlib.widgets, driven headless: clicks and slider moves change what the views show."""
import dataclasses
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import numpy as np
import pytest

import nnlib
import nnlib.widgets
from nnlib.influence import InfluenceDiagram
from nnlib.plotting import tangent_approximation
from nnlib.trace import example_network, forward_trace
from nnlib.widgets import BackwardStepper, ForwardStepper, InfluenceExplorer, StepperView, TangentExplorer

X = np.array([1.0, 2.0])
D = np.array([1.0, 0.0])


# Views render figures to SVG; pyplot stays headless and nbgrader's switch is off.
pytestmark = pytest.mark.usefixtures("headless_widgets")


def _classes(widget):
    return set(widget._dom_classes)


def test_forward_stepper_next_prev_follow_the_trace():
    """Next/Prev move one step and the formula/value boxes show exactly that step of the trace."""
    view = ForwardStepper(example_network(), X)
    trace = view.trace
    assert "nnlib-forward-stepper" in _classes(view) and "nnlib-stepper" in _classes(view)
    assert view._prev.disabled and not view._next.disabled
    view._next.click()
    assert view.stepper.position == 1
    assert escape(trace[1].formula) in view._formula.value
    assert "0.2·1 + 0.3·2 + 0.1" in view._value.value and ">0.9<" in view._value.value
    assert 'data-node="n1_0"' in view._diagram.value and "nnlib-focus" in view._diagram.value
    view._next.click()
    assert escape(trace[2].formula) in view._formula.value
    view._prev.click()
    view._prev.click()
    view._prev.click()                       # already at the start: stays there
    assert view.stepper.position == 0 and view._prev.disabled
    assert "y⁽⁰⁾ = x" in view._formula.value


def test_slider_and_play_are_linked_to_the_state():
    """Moving the slider (or Play's value) moves the state; the end disables Next."""
    view = ForwardStepper(example_network(), X, D, nnlib.CrossEntropy())
    last = len(view.trace) - 1
    assert view._slider.max == view._play.max == last
    view._slider.value = 5
    assert view.stepper.position == 5 and view._play.value == 5
    assert escape(view.trace[5].formula) in view._formula.value
    view._play.value = last                  # what a running Play button does, tick by tick
    assert view.stepper.at_end and view._slider.value == last and view._next.disabled
    assert "Div" in view._formula.value
    view._reset.click()
    assert view.stepper.position == 0 and view._play.value == 0


def test_diagram_changes_with_the_step():
    """The SVG follows the step: a later step highlights a different node."""
    view = ForwardStepper(example_network(), X)
    before = view._diagram.value
    view._next.click()
    assert view._diagram.value != before
    assert view._diagram.value.count('class="nnlib-edge nnlib-hl"') == 2   # z₁⁽¹⁾ sums two inputs


def test_backward_stepper_shows_terms_and_running_total():
    """A sum step lists one row per term, and the last running total is the step's result."""
    view = BackwardStepper(example_network(), X, D, nnlib.CrossEntropy())
    p = next(n for n, s in enumerate(view.trace) if s.kind == "dz" and s.layer == 3)
    view._slider.value = p
    step = view.trace[p]
    assert view._terms.value.count('class="nnlib-term"') == len(step.terms) == 2
    assert f"<b>{escape(step.result)}</b>" in view._terms.value
    assert "nnlib-backward-stepper" in _classes(view)


def test_check_numerically_for_the_current_weight():
    """On a weight step the button compares that derivative with a central difference."""
    view = BackwardStepper(example_network(), X, D, nnlib.CrossEntropy())
    p = next(n for n, s in enumerate(view.trace) if s.kind == "dw" and s.layer == 1)
    view._slider.value = p
    view._check.click()
    assert "nnlib-check-ok" in view._check_result.value
    assert escape(view.trace[p].symbol) in view._check_result.value
    view._next.click()
    assert view._check_result.value == ""    # the result belonged to the previous step


def test_check_numerically_flags_a_wrong_value():
    """If the displayed derivative were wrong, the check says so (the button can fail)."""
    view = BackwardStepper(example_network(), X, D, nnlib.CrossEntropy())
    p = next(n for n, s in enumerate(view.trace) if s.kind == "dw")
    view.trace[p] = dataclasses.replace(view.trace[p], value=view.trace[p].value + 0.5)
    view._slider.value = p
    view._check.click()
    assert "nnlib-check-bad" in view._check_result.value and "DISAGREE" in view._check_result.value


def test_check_numerically_whole_model_on_other_steps():
    """On a step that is not about a parameter, every weight and bias is checked."""
    view = BackwardStepper(example_network(), X, D, nnlib.CrossEntropy())
    assert view.trace[0].kind == "loss"
    view._check.click()
    assert "nnlib-check-ok" in view._check_result.value and "all 23" in view._check_result.value


def test_tangent_explorer_numbers_follow_the_sliders():
    """Moving Δx updates the table to the pure tangent_approximation numbers and redraws the plot."""
    view = TangentExplorer(np.exp, np.exp, x0=0.0, dx=0.5, x_range=(-2, 2), label="eˣ")
    assert "<svg" in view._plot.value and "nnlib-tangent-plot" in _classes(view._plot)
    first_plot = view._plot.value
    view._dx_slider.value = 0.1
    expected = tangent_approximation(np.exp, np.exp, 0.0, 0.1)
    assert view.state == expected
    assert f"{expected.true_change:.6g}" in view._numbers.value
    assert f"{expected.linear_change:.6g}" in view._numbers.value
    assert view._plot.value != first_plot
    view._x_slider.value = 1.0
    assert f"{np.exp(1.0):.6g}" in view._numbers.value


def test_tangent_explorer_default_is_the_lecture_function():
    """Without f the explorer shows x² + sin x; giving f without df is an error."""
    view = TangentExplorer()
    assert view.state.slope == pytest.approx(2 + np.cos(1.0))
    with pytest.raises(ValueError, match="both f and its derivative"):
        TangentExplorer(np.sin)


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


@pytest.mark.parametrize("cls", [ForwardStepper, BackwardStepper, TangentExplorer, InfluenceExplorer])
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
    """nnlib, its trace/influence/drawing/plotting modules and nnlib.widgets itself stay light."""
    code = ("import sys, nnlib, nnlib.trace, nnlib.influence, nnlib.drawing, nnlib.plotting, nnlib.widgets\n"
            "heavy = [m for m in ('ipywidgets', 'matplotlib', 'IPython') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_check_numerically_explains_a_relu_kink():
    """At a ReLU kink the disagreement comes with the explanation, not just a red cross."""
    model = nnlib.Sequential(nnlib.Linear(1, 1, W=[[1.0]], b=[-1.0]), nnlib.ReLU(), nnlib.Linear(1, 1, W=[[1.0]]))
    view = BackwardStepper(model, [1.0], [-1.0], nnlib.SquaredError())
    view._slider.value = next(n for n, s in enumerate(view.trace) if s.kind == "dw" and s.layer == 1)
    view._check.click()
    assert "nnlib-check-bad" in view._check_result.value and "nnlib-check-note" in view._check_result.value
