"""Notebook 01's tangent line: Δy ≈ dy/dx·Δx at one point, and how far off it is.

The numbers behind :class:`nnlib.widgets.TangentExplorer` and :func:`nnlib.pictures.plots.plot_tangent`.

>>> import numpy as np
>>> t = tangent_approximation(lambda x: x**2 + np.sin(x), lambda x: 2*x + np.cos(x), x0=1.0, dx=0.5)
>>> round(t.true_change, 4), round(t.linear_change, 4), round(t.error, 4)
(1.406, 1.2702, 0.1359)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["TangentApproximation", "tangent_approximation"]


@dataclass(frozen=True)
class TangentApproximation:
    """Δy ≈ dy/dx·Δx at one point: the numbers behind the tangent explorer.

    Attributes: x0, dx, y0 = f(x0), y1 = f(x0 + dx), slope = f'(x0), true_change = y1 − y0,
    linear_change = slope·dx, error = true_change − linear_change.
    """

    x0: float
    dx: float
    y0: float
    y1: float
    slope: float

    @property
    def true_change(self) -> float:
        return self.y1 - self.y0

    @property
    def linear_change(self) -> float:
        return self.slope * self.dx

    @property
    def error(self) -> float:
        return self.true_change - self.linear_change

    @property
    def relative_error(self) -> float:
        """|error| / |Δy| (0 when Δy = 0 and the error is 0 too)."""
        if self.true_change == 0:
            return 0.0 if self.error == 0 else float("inf")
        return abs(self.error) / abs(self.true_change)


def tangent_approximation(f: Callable, df: Callable, x0: float, dx: float) -> TangentApproximation:
    """Evaluate f and f' to compare the true change f(x0+Δx) − f(x0) with f'(x0)·Δx."""
    x0, dx = float(x0), float(dx)
    return TangentApproximation(x0, dx, float(f(x0)), float(f(x0 + dx)), float(df(x0)))
