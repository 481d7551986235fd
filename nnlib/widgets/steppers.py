"""Forward and backward pass steppers: one number per click, on a drawing of the network."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from nnlib.lessons.trace import backward_trace, check_model, forward_trace, numerical_check
from nnlib.pictures.network import trace_svg

from .base import StepperView, button, html_widget

__all__ = ["ForwardStepper", "BackwardStepper"]


class ForwardStepper(StepperView):
    """Step through the forward pass of one example: z_j^(k), then y_j^(k), neuron by neuron.

    Notebook cell::

        ForwardStepper.show(model, x)                 # optionally d=..., loss=... to end with Div

    Parameters
    ----------
    model : nnlib.Sequential of Linear layers, each optionally followed by one activation.
    x : array of shape (D,) or (1, D).
    d, loss : optional target and nnlib loss; adds a last step computing the divergence.
    digits : significant digits shown.
    """

    def __init__(self, model, x, d=None, loss=None, *, digits: int = 4, interval: int = 1200):
        self._trace = forward_trace(model, x, d, loss, digits=digits)
        super().__init__(self._trace, lambda p: trace_svg(self._trace, p), interval=interval,
                         css_class="nnlib-forward-stepper", title="Forward pass, one number at a time")

    @property
    def trace(self):
        """The :class:`nnlib.lessons.trace.Trace` being shown."""
        return self._trace


class BackwardStepper(StepperView):
    """Step through backpropagation of one example's divergence, derivative by derivative.

    Each step highlights the edges whose terms are being summed and lists each term: local
    derivative × upstream derivative = product, with the running total. "Check numerically"
    compares the current weight's (or bias's) derivative with a central difference, or, on steps
    that are not about a parameter, checks every weight and bias of the model.

    Notebook cell::

        BackwardStepper.show(model, x, d, loss)
    """

    def __init__(self, model, x, d, loss, *, digits: int = 4, interval: int = 1200,
                 input_gradient: bool = False):
        self._model, self._x, self._d, self._loss = model, x, d, loss
        self._trace = backward_trace(model, x, d, loss, digits=digits, input_gradient=input_gradient)
        self._check = button("Check numerically", "nnlib-check-numerically",
                             "compare with a central-difference derivative", "check")
        self._check_result = html_widget("nnlib-check-result")
        self._check.on_click(self._on_check)
        check_row = widgets.HBox([self._check, self._check_result])
        super().__init__(self._trace, lambda p: trace_svg(self._trace, p, show_all_values=False),
                         interval=interval, css_class="nnlib-backward-stepper",
                         title="Backward pass: the chain rule, one derivative at a time",
                         extra=[check_row])

    @property
    def trace(self):
        """The :class:`nnlib.lessons.trace.Trace` being shown."""
        return self._trace

    def _update(self) -> None:
        super()._update()
        self._check_result.value = ""  # a result belongs to the step it was computed for

    def _on_check(self, _=None) -> None:
        step = self._stepper.current
        if step.param is not None:
            k, name, index = step.param
            j, i = (index[0], index[1]) if name == "W" else (index[0], None)
            result = numerical_check(self._model, self._x, self._d, self._loss, k=k, j=j, i=i,
                                     traced=step.value)
            verdict = "agree ✓" if result.agrees else "DISAGREE ✗"
            self._check_result.value = (
                f"<span class='nnlib-check-{'ok' if result.agrees else 'bad'}'>{escape(result.symbol)}: "
                f"backprop {result.traced:.8g}, numerical {result.numerical:.8g}, relative error "
                f"{result.relative_error:.1e}: {verdict}</span>"
                + (f"<div class='nnlib-check-note'>{escape(result.note)}</div>" if result.note else ""))
        else:
            results = check_model(self._model, self._x, self._d, self._loss)
            bad = [r for r in results if not r.agrees]
            worst = max(r.relative_error for r in results)
            if bad:
                listing = "; ".join(escape(str(r)) for r in bad[:5])
                self._check_result.value = (f"<span class='nnlib-check-bad'>{len(bad)} of {len(results)} "
                                            f"derivatives disagree: {listing}</span>")
            else:
                self._check_result.value = (f"<span class='nnlib-check-ok'>all {len(results)} weight and bias "
                                            f"derivatives agree with central differences (worst relative "
                                            f"error {worst:.1e}) ✓</span>")
