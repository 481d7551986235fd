"""Tangent explorer: how well does Δy ≈ dy/dx·Δx work, and how does it fail as Δx grows?"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from nnlib.lessons.tangent import tangent_approximation
from nnlib.pictures.plots import figure_to_svg, new_figure, plot_tangent
from nnlib.pictures.steps import TABLE_STYLE

from .base import ShowMixin, html_widget

__all__ = ["TangentExplorer"]


def _x2_plus_sin(x):
    import numpy as np

    return x ** 2 + np.sin(x)


def _x2_plus_sin_derivative(x):
    import numpy as np

    return 2 * x + np.cos(x)


class TangentExplorer(ShowMixin, widgets.VBox):
    """Sliders on x and Δx; a plot of f, its tangent, the true Δy and dy/dx·Δx; the numbers.

    Notebook cell::

        TangentExplorer.show(f, df, x0=1.0, dx=0.5, x_range=(-3, 3), label="x² + sin x")

    ``f`` and ``df`` must accept numpy arrays (use ``np.sin``, not ``math.sin``). Without them the
    lecture's example y = x² + sin x is used.
    """

    def __init__(self, f=None, df=None, x0: float = 1.0, dx: float = 0.5, x_range=(-3, 3),
                 label: str = "x² + sin x"):
        if (f is None) != (df is None):
            raise ValueError("give both f and its derivative df, or neither (for x² + sin x)")
        self._f = f if f is not None else _x2_plus_sin
        self._df = df if df is not None else _x2_plus_sin_derivative
        self._x_range = (float(x_range[0]), float(x_range[1]))
        self._label = label
        span = self._x_range[1] - self._x_range[0]
        self._x_slider = widgets.FloatSlider(value=float(x0), min=self._x_range[0], max=self._x_range[1],
                                             step=span / 200, description="x", continuous_update=False,
                                             readout_format=".2f")
        self._x_slider.add_class("nnlib-x-slider")
        self._dx_slider = widgets.FloatSlider(value=float(dx), min=-span / 2, max=span / 2, step=span / 400,
                                              description="Δx", continuous_update=False, readout_format=".3f")
        self._dx_slider.add_class("nnlib-dx-slider")
        self._plot = html_widget("nnlib-tangent-plot")
        self._numbers = html_widget("nnlib-tangent-numbers")
        for s in (self._x_slider, self._dx_slider):
            s.observe(self._on_change, names="value")
        super().__init__([widgets.HBox([self._x_slider, self._dx_slider]), self._plot, self._numbers])
        self.add_class("nnlib-tangent-explorer")
        self._update()

    @property
    def state(self):
        """The current :class:`nnlib.lessons.tangent.TangentApproximation`."""
        return tangent_approximation(self._f, self._df, self._x_slider.value, self._dx_slider.value)

    def _on_change(self, _change) -> None:
        self._update()

    def _update(self) -> None:
        t = self.state
        fig = new_figure()
        ax = fig.add_subplot()
        plot_tangent(self._f, self._df, t.x0, t.dx, ax=ax, x_range=self._x_range, label=self._label)
        self._plot.value = figure_to_svg(fig)
        rel = "—" if t.relative_error == float("inf") else f"{100 * t.relative_error:.2g} %"
        rows = [("f(x)", t.y0), ("f(x + Δx)", t.y1), ("dy/dx at x", t.slope),
                ("true change Δy = f(x + Δx) − f(x)", t.true_change),
                ("approximation dy/dx·Δx", t.linear_change), ("error Δy − dy/dx·Δx", t.error)]
        body = "".join(f"<tr><td>{escape(name)}</td><td style='text-align:right'><b>{value:.6g}</b></td></tr>"
                       for name, value in rows)
        self._numbers.value = (f"{TABLE_STYLE}<table class='nnlib-tangent-table'>{body}"
                               f"<tr><td>relative error</td><td style='text-align:right'>{rel}</td></tr></table>")

    def static_html(self) -> str:
        return self._plot.value + self._numbers.value
