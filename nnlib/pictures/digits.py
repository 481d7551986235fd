"""Plots for notebook 06 (digit recognition); matplotlib is imported inside each function.

* :func:`plot_learning_curves` — loss and accuracy per epoch (also drawn live by LiveTraining);
* :func:`plot_confusion_matrix` — true class × predicted class counts;
* :func:`plot_digits` — a grid of 8×8 images with titles (e.g. the misclassified test digits);
* :func:`plot_first_layer_weights` — each hidden neuron's 64 input weights as an 8×8 image;
* :func:`plot_downsampling` — the stages of :func:`nnlib.lessons.digits.downsample_steps`.

Every function draws into ``ax`` (or ``fig``) when given one, else makes a new pyplot figure, and
returns what it drew into (end a notebook line with ``;`` to avoid printing it).
:func:`learning_curves_svg` draws the learning curves as a hand-written SVG string (no matplotlib:
fast enough to redraw every epoch in a live view); :func:`image8_html` and
:func:`probabilities_html` are the digit canvas's 8×8 preview and class-probability bars.
"""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

import numpy as np

__all__ = ["plot_learning_curves", "learning_curves_svg", "plot_confusion_matrix", "plot_digits",
           "plot_first_layer_weights", "plot_downsampling", "image8_html", "probabilities_html"]


def _new(figsize, fig=None):
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained")


def _draw_learning_curves(fig, history: Mapping[str, Sequence[float]], epochs=None, title=None):
    losses = {k: v for k, v in history.items() if "loss" in k.lower()}
    others = {k: v for k, v in history.items() if k not in losses}
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, group, ylabel in ((ax_loss, losses, "loss"), (ax_acc, others, "accuracy")):
        for name, values in group.items():
            values = np.asarray(values, dtype=float)
            ax.plot(np.arange(1, len(values) + 1), values, "o-", ms=3, lw=1.5, label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        if epochs:
            ax.set_xlim(0.5, max(int(epochs), 1) + 0.5)
        if group:
            # below the axes: a rising accuracy ends in the top right, a falling loss in the
            # bottom right, and a diverging one anywhere; inside, a legend covers some curve
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=len(group),
                      fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
    if losses:
        ax_loss.set_yscale("log")
    if others:
        last = {k: v[-1] for k, v in others.items() if len(v)}
        if last:
            ax_acc.set_title(", ".join(f"{k} {v:.1%}" for k, v in last.items()), fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return ax_loss, ax_acc


def plot_learning_curves(history: Mapping[str, Sequence[float]], fig=None, *, epochs=None,
                         title=None):
    """Loss (left, log scale) and accuracy (right) against the epoch.

    Parameters
    ----------
    history : mapping of name -> per-epoch values
        Names containing "loss" go to the left plot, all others (accuracies) to the right one.
        An :class:`nnlib.History` works through ``vars(history)``-like dicts, e.g.
        ``{"loss": h.loss, "train accuracy": h.accuracy}``.
    fig : matplotlib Figure, optional
    epochs : int, optional
        Fix the x-axis to 1..epochs (the live view uses it so the axis does not jump).

    Returns
    -------
    (ax_loss, ax_accuracy)
    """
    fig = _new((8, 3), fig)
    return _draw_learning_curves(fig, history, epochs, title)


def learning_curves_svg(history: Mapping[str, Sequence[float]], *, epochs=None, title=None,
                        width: int = 620, height: int = 250) -> str:
    """The learning curves as a small hand-written SVG string (no matplotlib: a few ms per frame).

    Left panel: every series whose name contains "loss"; right panel: the others (accuracies),
    on a 0..1 scale zoomed to the data. ``epochs`` fixes the x-axis to 1..epochs. Each series is a
    ``polyline.nnlib-curve`` with ``data-name``; used by LiveTraining to redraw every epoch. The
    legend (``text.nnlib-legend``, name and last value) sits below each panel, never on a curve.

    Examples
    --------
    >>> svg = learning_curves_svg({"loss": [1.0, 0.5], "test accuracy": [0.8, 0.9]}, epochs=5)
    >>> svg.startswith("<svg") and svg.count("nnlib-curve") == 2
    True
    """
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    losses = {k: list(map(float, v)) for k, v in history.items() if "loss" in k.lower()}
    others = {k: list(map(float, v)) for k, v in history.items() if "loss" not in k.lower()}
    n = max([len(v) for v in history.values()] + [1])
    x_max = max(int(epochs or 0), n, 2)
    rows = max([len(losses), len(others), 1])          # legend lines under each panel
    pw, ph, left, top = (width - 60) / 2 - 30, height - 60 - 15 * rows, 45, 28
    parts = [f'<svg class="nnlib-learning-curves" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'style="font-family:sans-serif;font-size:11px">']
    if title:
        parts.append(f'<text x="{width / 2}" y="12" text-anchor="middle">{escape(title)}</text>')
    for panel, (group, name) in enumerate(((losses, "loss"), (others, "accuracy"))):
        x0 = left + panel * (pw + 75)
        values = [v for series in group.values() for v in series if np.isfinite(v)]
        if name == "accuracy":
            lo, hi = (min(values + [1.0]), 1.0) if values else (0.0, 1.0)
            lo = max(0.0, min(lo, 0.9) - 0.02)
        else:
            lo, hi = (0.0, max(values) * 1.05) if values else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0

        def sx(e):
            return x0 + (e - 1) / (x_max - 1) * pw

        def sy(v):
            return top + ph - (v - lo) / (hi - lo) * ph

        parts.append(f'<rect x="{x0}" y="{top}" width="{pw:.1f}" height="{ph}" fill="none" '
                     f'stroke="#999"/>')
        for frac in (0.0, 0.5, 1.0):
            v = lo + frac * (hi - lo)
            parts.append(f'<text x="{x0 - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
        parts.append(f'<text x="{x0 + pw / 2:.1f}" y="{top + ph + 28}" text-anchor="middle">epoch '
                     f'(1–{x_max})</text>')
        parts.append(f'<text x="{x0 + 4}" y="{top - 6}">{name}</text>')
        for k, (label, series) in enumerate(group.items()):
            colour = colours[(k + 2 * panel) % len(colours)]
            pts = " ".join(f"{sx(e + 1):.1f},{sy(v):.1f}" for e, v in enumerate(series)
                           if np.isfinite(v))
            parts.append(f'<polyline class="nnlib-curve" data-name="{escape(label)}" points="{pts}" '
                         f'fill="none" stroke="{colour}" stroke-width="2"/>')
            last = f" {series[-1]:.4g}" if series else ""
            y = top + ph + 28 + 15 * (k + 1)
            parts.append(f'<line x1="{x0:.1f}" y1="{y - 4}" x2="{x0 + 18:.1f}" y2="{y - 4}" '
                         f'stroke="{colour}" stroke-width="2"/>')
            parts.append(f'<text class="nnlib-legend" x="{x0 + 24:.1f}" y="{y}" '
                         f'fill="{colour}">{escape(label)}{last}</text>')
    parts.append("</svg>")
    return "".join(parts)


def plot_confusion_matrix(C, ax=None, *, labels=None, title=None):
    """Heat map of a confusion matrix ``C[true, predicted]`` with the counts written in.

    The diagonal holds the correct predictions; every off-diagonal count is a kind of mistake
    ("true 8 predicted as 1").
    """
    C = np.asarray(C)
    K = C.shape[0]
    if ax is None:
        ax = _new((4.6, 4.2)).add_subplot()
    labels = list(range(K)) if labels is None else list(labels)
    # log-like colour scale so that the few mistakes are visible next to the large diagonal
    ax.imshow(np.log1p(C), cmap="Blues")
    for i in range(K):
        for j in range(K):
            if C[i, j]:
                ax.text(j, i, str(int(C[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if i == j else "crimson")
    ax.set_xticks(range(K), labels)
    ax.set_yticks(range(K), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or f"{int(np.trace(C))} of {int(C.sum())} right", fontsize=10)
    return ax


def _mosaic(tiles, ncols, gap=1):
    """Tiles (n, 8, 8) laid out in rows of ncols on one array, NaN (drawn white) between them."""
    n = len(tiles)
    nrows = max(1, -(-n // ncols))
    step = 8 + gap
    mosaic = np.full((nrows * step - gap, ncols * step - gap), np.nan)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, ncols)
        mosaic[r * step:r * step + 8, c * step:c * step + 8] = tile
    return mosaic, nrows


def _show_mosaic(ax, mosaic, cmap, vmin, vmax):
    import matplotlib

    colormap = matplotlib.colormaps[cmap].with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(mosaic), cmap=colormap, vmin=vmin, vmax=vmax,
              interpolation="nearest")
    ax.set_axis_off()


def plot_digits(images, titles=None, *, ncols=10, ax=None, cmap="gray_r", size=0.9):
    """A grid of 8×8 images (rows of 64 pixels are reshaped), with an optional title above each.

    Drawn as ONE image (a mosaic) on one axes: fast even for many digits. Returns the axes; the
    mosaic is ``ax.images[0].get_array()`` (tile k at rows 9·(k // ncols), columns 9·(k % ncols)).
    """
    images = np.asarray(images, dtype=float).reshape(-1, 8, 8)
    n = len(images)
    ncols = max(1, min(int(ncols), max(n, 1)))
    mosaic, nrows = _mosaic(images, ncols)
    if ax is None:
        ax = _new((size * ncols + 0.3, size * 1.2 * nrows + 0.3)).add_subplot()
    _show_mosaic(ax, mosaic, cmap, 0.0, 1.0)
    if titles is not None:
        for k in range(n):
            r, c = divmod(k, ncols)
            ax.text(9 * c + 3.5, 9 * r - 0.7, str(titles[k]), ha="center", va="bottom", fontsize=7)
    if n == 0:
        ax.text(0.5, 0.5, "(none)", ha="center", va="center", transform=ax.transAxes)
    return ax


def plot_first_layer_weights(W1, *, count=32, ncols=16, ax=None, title=None):
    """Each hidden neuron's incoming weights ``W1[j]`` (64 values) drawn as an 8×8 image.

    Red = positive weight (ink there raises z_j), blue = negative; each tile is scaled by its own
    largest |weight|, so each shows its own pattern. Tiles in neuron order, one mosaic image.
    Returns the axes.
    """
    W1 = np.asarray(W1, dtype=float)
    if W1.ndim != 2 or W1.shape[1] != 64:
        raise ValueError(f"plot_first_layer_weights expects W1 of shape (hidden, 64) (neurons × "
                         f"inputs, like nnlib), got {W1.shape}; is it transposed?")
    n = min(int(count), len(W1))
    ncols = max(1, min(int(ncols), n))
    scale = np.abs(W1[:n]).max(axis=1, keepdims=True)
    tiles = (W1[:n] / np.where(scale > 0, scale, 1.0)).reshape(n, 8, 8)
    mosaic, nrows = _mosaic(tiles, ncols)
    if ax is None:
        ax = _new((0.7 * ncols + 0.3, 0.7 * nrows + 0.5)).add_subplot()
    _show_mosaic(ax, mosaic, "RdBu_r", -1.0, 1.0)
    ax.set_title(title or f"first-layer weights of neurons 0–{n - 1} (red +, blue −)", fontsize=9)
    return ax


def plot_downsampling(steps, fig=None):
    """The stages of :func:`nnlib.lessons.digits.downsample_steps`: drawing, square crop, 32×32, 8×8."""
    fig = _new((9, 2.4), fig)
    axes = fig.subplots(1, 4)
    panels = [(steps.ink, f"ink {steps.ink.shape[0]}×{steps.ink.shape[1]}"),
              (steps.square, f"cropped, padded {steps.square.shape[0]}×{steps.square.shape[1]}"),
              (steps.bitmap, "32×32 binary"),
              (steps.image8, "8×8: ink per 4×4 block / 16")]
    for ax, (img, title) in zip(axes, panels):
        ax.imshow(np.asarray(img, dtype=float), cmap="gray_r", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if steps.box is not None:
        r0, r1, c0, c1 = steps.box
        axes[0].add_patch(_rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0))
    for k in range(1, 8):       # the 4×4 block grid on the 32×32 bitmap
        axes[2].axhline(4 * k - 0.5, color="C0", lw=0.5)
        axes[2].axvline(4 * k - 0.5, color="C0", lw=0.5)
    return fig


def _rectangle(xy, w, h):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, fill=False, edgecolor="C3", lw=1.2)


def image8_html(image8, cell: int = 14) -> str:
    """An 8×8 image in [0, 1] as an HTML table of grey cells (0 = white, 1 = black)."""
    img = np.clip(np.asarray(image8, dtype=float).reshape(8, 8), 0.0, 1.0)
    rows = []
    for r in range(8):
        tds = "".join(
            f"<td title='{img[r, c]:.2f}' style='width:{cell}px;height:{cell}px;padding:0;"
            f"background:rgb({int(255 * (1 - img[r, c]))},{int(255 * (1 - img[r, c]))},"
            f"{int(255 * (1 - img[r, c]))})'></td>" for c in range(8))
        rows.append(f"<tr>{tds}</tr>")
    return ("<table class='nnlib-image8' style='border-collapse:collapse;border:1px solid #999'>"
            + "".join(rows) + "</table>")


def probabilities_html(probabilities, labels=None) -> str:
    """One horizontal bar per class (``div.nnlib-digit-prob[data-class=k]``); the top one bold."""
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    labels = [str(k) for k in range(p.size)] if labels is None else [str(x) for x in labels]
    best = int(np.argmax(p)) if p.size else -1
    rows = []
    for k, (label, value) in enumerate(zip(labels, p)):
        top = k == best
        rows.append(
            f"<div class='nnlib-digit-prob{' nnlib-digit-best' if top else ''}' data-class='{k}' "
            f"data-probability='{value:.6f}' style='display:flex;align-items:center;gap:6px;"
            f"font-family:monospace;{'font-weight:bold' if top else ''}'>"
            f"<span style='width:1.5em;text-align:right'>{escape(label)}</span>"
            f"<span style='display:inline-block;height:12px;width:{200 * value:.1f}px;"
            f"background:{'#d62728' if top else '#1f77b4'}'></span>"
            f"<span>{value:.3f}</span></div>")
    return "".join(rows)
