"""Tests for nnlib.widgets, driven headless: clicks and slider moves change what the views show."""
import dataclasses
from html import escape

import pytest

import nnlib
from nnlib.lessons.network import example_network
from nnlib.widgets import BackwardStepper, ForwardStepper

from . import D, X, _classes

# Views render figures to SVG; pyplot stays headless and nbgrader's switch is off.
pytestmark = pytest.mark.usefixtures("headless_widgets")


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


def test_check_numerically_explains_a_relu_kink():
    """At a ReLU kink the disagreement comes with the explanation, not just a red cross."""
    model = nnlib.Sequential(nnlib.Linear(1, 1, W=[[1.0]], b=[-1.0]), nnlib.ReLU(), nnlib.Linear(1, 1, W=[[1.0]]))
    view = BackwardStepper(model, [1.0], [-1.0], nnlib.SquaredError())
    view._slider.value = next(n for n, s in enumerate(view.trace) if s.kind == "dw" and s.layer == 1)
    view._check.click()
    assert "nnlib-check-bad" in view._check_result.value and "nnlib-check-note" in view._check_result.value
