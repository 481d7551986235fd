"""Small plotting helpers for the notebooks (matplotlib is imported inside the functions).

Notebooks call these instead of writing plotting boilerplate, so a cell shows only the idea.
Every plotting function takes an optional matplotlib ``ax`` and returns the ``ax`` it drew on;
without one it makes a new figure with pyplot (shown inline by Jupyter). :func:`figure_to_svg`
renders a figure to an SVG string without pyplot, which the widgets use.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from nnlib.lessons.tangent import tangent_approximation

__all__ = ["plot_function", "plot_tangent", "plot_error_vs_step", "figure_to_svg", "new_figure"]


def new_figure(figsize=(5.5, 3.6)):
    """A matplotlib Figure that does not go through pyplot (nothing is shown or kept globally)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def figure_to_svg(fig) -> str:
    """Render a matplotlib figure to an SVG string (no pyplot, no display)."""
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    # drop the XML prolog and DOCTYPE so the SVG can be inlined in HTML
    return text[text.index("<svg"):]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    return ax


def plot_function(f: Callable, x_range: Sequence[float] = (-3, 3), ax=None, *, label: str | None = None,
                  n: int = 400, **kwargs):
    """Plot y = f(x) over x_range (f must accept numpy arrays)."""
    ax = _axes(ax)
    x = np.linspace(float(x_range[0]), float(x_range[1]), int(n))
    ax.plot(x, f(x), label=label, **kwargs)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    if label:
        ax.legend(loc="best", fontsize=9)
    return ax


def plot_tangent(f: Callable, df: Callable, x0: float, dx: float, ax=None, *,
                 x_range: Sequence[float] | None = None, label: str = "f(x)"):
    """Plot f, its tangent at x0, and the true change Δy next to the approximation f'(x0)·Δx.

    The vertical segments at x0 + Δx show both changes; the gap between their tops is the error of
    the linear approximation, which shrinks like Δx² as Δx → 0.
    """
    ax = _axes(ax)
    t = tangent_approximation(f, df, x0, dx)
    if x_range is None:
        span = max(2.0, 2.5 * abs(dx))
        x_range = (x0 - span, x0 + span)
    plot_function(f, x_range, ax=ax, label=label, color="C0")
    x = np.linspace(float(x_range[0]), float(x_range[1]), 2)
    ax.plot(x, t.y0 + t.slope * (x - x0), color="C1", lw=1.3, label=f"tangent at x = {x0:.3g}")
    x1 = x0 + dx
    ax.plot([x1, x1], [t.y0, t.y1], color="C2", lw=3, label=f"true Δy = {t.true_change:.4g}")
    ax.plot([x1 + 0.02 * (x_range[1] - x_range[0])] * 2, [t.y0, t.y0 + t.linear_change], color="C3",
            lw=3, label=f"dy/dx·Δx = {t.linear_change:.4g}")
    ax.plot([x0, x1], [t.y0, t.y0], color="0.5", lw=1, ls="--")
    ax.plot([x0], [t.y0], "o", color="C1")
    ax.plot([x1], [t.y1], "o", color="C2")
    ax.legend(loc="best", fontsize=8)
    ax.set_title(f"Δx = {dx:.3g}: error of the tangent approximation {t.error:.3g}", fontsize=10)
    return ax


def plot_error_vs_step(hs: Sequence[float], errors: Sequence[float], ax=None, *, order: int = 2,
                       eps: float = float(np.finfo(float).eps), label: str = "measured error"):
    """Log-log plot of a finite-difference error against the step h, with the two reference slopes.

    ``order`` is the truncation order of the formula (2 for central differences, 1 for forward
    differences): the reference line "truncation error ∝ h^order" is fitted to the largest h, and
    "round-off ∝ ε/h" to the smallest h, where ε is the machine epsilon. Each reference line is
    drawn only where it stays within a decade of the measured errors: extended over all of
    ``hs`` it could reach 1e-28 and squash the data into a thin band at the top of the plot.
    """
    ax = _axes(ax)
    hs = np.asarray(hs, dtype=float)
    errors = np.abs(np.asarray(errors, dtype=float))
    if hs.shape != errors.shape or hs.ndim != 1 or len(hs) < 2:
        raise ValueError(f"hs and errors must be 1-D of the same length ≥ 2; got {hs.shape} and {errors.shape}")
    if np.any(hs <= 0):
        raise ValueError("step sizes h must be positive for a log-log plot")
    order_idx = np.argsort(hs)
    hs, errors = hs[order_idx], errors[order_idx]
    shown = np.where(errors > 0, errors, np.nan)  # an exact 0 has no place on a log axis
    ax.loglog(hs, shown, "o-", color="C0", label=label)
    big, small = hs[-1], hs[0]
    c_trunc = (errors[-1] if errors[-1] > 0 else 1.0) / big ** order
    c_round = (errors[0] if errors[0] > 0 else eps) * small / eps
    visible = errors[(errors > 0) & np.isfinite(errors)]
    y_range = (visible.min() / 10, visible.max() * 10) if visible.size else None
    power = "h²" if order == 2 else ("h" if order == 1 else f"h^{order}")
    for coef, exponent, style, color, text in (
            (c_trunc, order, "--", "C1", f"truncation error ∝ {power}"),
            (c_round * eps, -1, ":", "C2", "round-off ∝ ε/h")):
        line = _clipped_power_law(coef, exponent, small, big, y_range)
        if line is not None:
            ax.loglog(*line, style, color=color, label=text)
    ax.set_xlabel("step h")
    ax.set_ylabel("|error|")
    ax.legend(loc="best", fontsize=9)
    return ax


def _clipped_power_law(coef, exponent, h_min, h_max, y_range, n=50):
    """(h, coef·h^exponent) on log-spaced h in [h_min, h_max], cut to where it lies in y_range.

    None when no part of the line is inside ``y_range``; the whole h interval when
    ``y_range`` is None (no positive error to scale against).
    """
    lo, hi = h_min, h_max
    if y_range is not None and exponent != 0 and coef > 0:
        ends = sorted([(y / coef) ** (1 / exponent) for y in y_range])
        lo, hi = max(lo, ends[0]), min(hi, ends[1])
        if not lo < hi:
            return None
    h = np.geomspace(lo, hi, n)
    return h, coef * h ** exponent
