"""Shared pieces of the views: ``show()``, the static fallback, and the generic :class:`StepperView`.

A view only turns clicks into state changes and state into HTML. The state lives in
:mod:`nnlib.lessons` and the HTML/SVG is drawn by :mod:`nnlib.pictures`; neither imports a widget
library.
"""

from __future__ import annotations

import os
from html import escape
from typing import Callable, Sequence

import ipywidgets as widgets
import traitlets

from nnlib.lessons.trace import Stepper
from nnlib.pictures.steps import step_details_html

__all__ = ["ShowMixin", "StepperView", "html_widget", "button"]


def html_widget(css_class: str, value: str = "") -> widgets.HTML:
    """An HTML widget carrying a stable CSS class (a hook for browser tests)."""
    w = widgets.HTML(value=value)
    w.add_class(css_class)
    return w


def button(description: str, css_class: str, tooltip: str = "", icon: str = "") -> widgets.Button:
    b = widgets.Button(description=description, tooltip=tooltip or description, icon=icon,
                       layout=widgets.Layout(width="auto"))
    b.add_class(css_class)
    return b


class ShowMixin:
    """``show()`` for notebook cells, and an HTML copy of the view for frontends without widgets."""

    @classmethod
    def show(cls, *args, **kwargs) -> None:
        """Build the view and display it; under nbgrader (NBGRADER_EXECUTION set) do nothing.

        Returns None, so a notebook cell ending in ``View.show(...)`` displays the view once.
        """
        if os.environ.get("NBGRADER_EXECUTION"):
            return None
        from IPython.display import display

        display(cls(*args, **kwargs))
        return None

    def static_html(self) -> str:  # pragma: no cover - overridden by every view
        return ""

    def _repr_mimebundle_(self, **kwargs):
        # JupyterLab renders the widget; nbviewer, GitHub and nbconvert without widget state fall
        # back to this text/html copy of what the view currently shows.
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None:
            data["text/html"] = f'<div class="nnlib-static">{self.static_html()}</div>'
        return data


class StepperView(ShowMixin, widgets.VBox):
    """Generic step-through view: Prev / Next / Play and a slider over any list of steps.

    Parameters
    ----------
    steps : sequence of Step-like objects (attributes ``symbol``, ``formula``, ``substituted``,
        ``result``, ``description``; optional ``terms``/``running``), e.g. a
        :class:`nnlib.lessons.trace.Trace`.
    render : callable(position) -> SVG/HTML string of the picture for that step.
    css_class : extra CSS class of the whole view (e.g. ``"nnlib-forward-stepper"``).
    interval : milliseconds between steps when playing.
    extra : widgets appended under the step details (e.g. a "check numerically" button).

    Subclasses for new notebooks only build their steps and renderer and call this constructor;
    the state (which step) is a :class:`nnlib.lessons.trace.Stepper`.
    """

    def __init__(self, steps: Sequence, render: Callable[[int], str], *, css_class: str = "",
                 interval: int = 1200, extra: Sequence[widgets.Widget] = (), title: str = ""):
        self._stepper = Stepper(steps)
        self._render = render
        last = len(steps) - 1
        self._title = html_widget("nnlib-step-title", f"<b>{escape(title)}</b>" if title else "")
        self._diagram = html_widget("nnlib-diagram")
        self._formula = html_widget("nnlib-step-formula")
        self._value = html_widget("nnlib-step-value")
        self._description = html_widget("nnlib-step-description")
        self._terms = html_widget("nnlib-step-terms")
        self._prev = button("Prev", "nnlib-prev", "previous step", "step-backward")
        self._next = button("Next", "nnlib-next", "next step", "step-forward")
        self._reset = button("Reset", "nnlib-reset", "back to the first step", "undo")
        self._play = widgets.Play(value=0, min=0, max=last, step=1, interval=int(interval),
                                  description="play")
        self._play.add_class("nnlib-play")
        self._slider = widgets.IntSlider(value=0, min=0, max=last, step=1, description="step", readout=False,
                                         continuous_update=True, layout=widgets.Layout(width="360px"))
        self._slider.add_class("nnlib-step-slider")
        # Python-side link: works with a live kernel and in headless tests alike.
        self._link = traitlets.link((self._play, "value"), (self._slider, "value"))
        self._slider.observe(self._on_slider, names="value")
        self._prev.on_click(lambda _: self._goto(self._stepper.position - 1))
        self._next.on_click(lambda _: self._goto(self._stepper.position + 1))
        self._reset.on_click(lambda _: self._goto(0))
        controls = widgets.HBox([self._reset, self._prev, self._next, self._play, self._slider])
        controls.add_class("nnlib-stepper-controls")
        super().__init__([self._title, self._diagram, controls, self._formula, self._value,
                          self._terms, self._description, *extra])
        self.add_class("nnlib-stepper")
        if css_class:
            self.add_class(css_class)
        self._update()

    @property
    def stepper(self) -> Stepper:
        """The pure state: current position and step."""
        return self._stepper

    def _goto(self, position: int) -> None:
        position = max(0, min(int(position), len(self._stepper) - 1))
        self._slider.value = position  # the observer below updates the state and the display

    def _on_slider(self, change) -> None:
        self._stepper.goto(change["new"])
        self._update()

    def _update(self) -> None:
        position = self._stepper.position
        step = self._stepper.current
        self._diagram.value = self._render(position)
        parts = step_details_html(step, position, len(self._stepper))
        self._formula.value = parts["formula"]
        self._value.value = parts["value"]
        self._description.value = parts["description"]
        self._terms.value = parts["terms"]
        self._prev.disabled = self._stepper.at_start
        self._next.disabled = self._stepper.at_end
        if self._slider.value != position:
            self._slider.value = position

    def static_html(self) -> str:
        return "".join(f"<div>{w.value}</div>" for w in (self._title, self._diagram, self._formula,
                                                          self._value, self._terms, self._description))
