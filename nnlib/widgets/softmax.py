"""Softmax explorer and subgradient explorer (notebook 05): thin views over :mod:`nnlib.lessons.subgradients`."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from nnlib.lessons.subgradients import KINK_FUNCTIONS, SubgradientState, softmax_state
from nnlib.pictures.subgradients import (softmax_bars_svg, softmax_heatmap_html, subgradient_svg,
                                         subgradient_verdict_html)

from .base import ShowMixin, html_widget

__all__ = ["SoftmaxExplorer", "SubgradientExplorer"]


class SoftmaxExplorer(ShowMixin, widgets.VBox):
    """One slider per logit z_i; bars for y = softmax(z); the Jacobian ∂y_j/∂z_i as a heatmap.

    Notebook cell::

        SoftmaxExplorer.show([1.0, 2.0, 0.5])          # z (default: three logits)

    Moving one z_i moves **every** bar (the outputs share one denominator) and recolours the whole
    Jacobian; the check line compares the formula y_j(δ_ij − y_i) with central differences.
    """

    def __init__(self, z=(1.0, 2.0, 0.5), *, z_range: float = 6.0):
        self._state = softmax_state(z)
        self._sliders = []
        for i, value in enumerate(self._state.z):
            slider = widgets.FloatSlider(value=float(value), min=-float(z_range), max=float(z_range), step=0.1,
                                         description=f"z{i + 1}", continuous_update=False, readout_format=".1f")
            slider.add_class("nnlib-z-slider")
            slider.observe(self._on_slider, names="value")
            self._sliders.append(slider)
        self._bars = html_widget("nnlib-softmax-bars")
        self._heatmap = html_widget("nnlib-jacobian-heatmap")
        sliders = widgets.VBox(self._sliders)
        super().__init__([widgets.HBox([sliders, self._bars]), self._heatmap])
        self.add_class("nnlib-softmax-explorer")
        self._update()

    @property
    def state(self):
        """The current :class:`nnlib.lessons.subgradients.SoftmaxState`."""
        return self._state

    def _on_slider(self, _change) -> None:
        self._state = softmax_state([s.value for s in self._sliders])
        self._update()

    def _update(self) -> None:
        self._bars.value = softmax_bars_svg(self._state)
        self._heatmap.value = softmax_heatmap_html(self._state)

    def static_html(self) -> str:
        z = ", ".join(f"{v:.2f}" for v in self._state.z)
        return f"<div>z = ({escape(z)})</div>" + self._bars.value + self._heatmap.value


class SubgradientExplorer(ShowMixin, widgets.VBox):
    """A convex function with a kink and a slider on the slope v of a line through the kink.

    Notebook cell::

        SubgradientExplorer.show("relu", v=0.5)        # or "abs" (|x|), "max" (max(x, 2x − 1))

    The line is green when it stays below the graph everywhere (v is a subgradient), red when it
    crosses above it; the dashed fan shows every valid slope, and the verdict says why.
    """

    def __init__(self, function: str = "relu", v: float | None = None, *, v_range=(-3.0, 3.0)):
        self._state = SubgradientState.named(function, v)
        self._function = widgets.Dropdown(options=[(fn.label, name) for name, fn in KINK_FUNCTIONS.items()],
                                          value=function, description="f(x)",
                                          layout=widgets.Layout(width="320px"))
        self._function.add_class("nnlib-subgradient-function")
        self._slope = widgets.FloatSlider(value=self._state.v, min=float(v_range[0]), max=float(v_range[1]),
                                          step=0.05, description="slope v", continuous_update=True,
                                          readout_format=".2f")
        self._slope.add_class("nnlib-slope-slider")
        self._plot = html_widget("nnlib-subgradient-plot")
        self._verdict = html_widget("nnlib-subgradient-verdict")
        self._function.observe(self._on_function, names="value")
        self._slope.observe(self._on_slope, names="value")
        super().__init__([widgets.HBox([self._function, self._slope]), self._plot, self._verdict])
        self.add_class("nnlib-subgradient-explorer")
        self._update()

    @property
    def state(self) -> SubgradientState:
        """The pure state: function, kink and slope."""
        return self._state

    def _on_function(self, change) -> None:
        self._state = SubgradientState.named(change["new"], self._slope.value)
        self._update()

    def _on_slope(self, change) -> None:
        self._state.set_v(change["new"])
        self._update()

    def _update(self) -> None:
        self._plot.value = subgradient_svg(self._state)
        self._verdict.value = subgradient_verdict_html(self._state)

    def static_html(self) -> str:
        return self._plot.value + f"<div>{self._verdict.value}</div>"
