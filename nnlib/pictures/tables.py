"""HTML tables for matrices and vectors: heatmaps coloured by value, rows or columns of numbers.

Shared by the Jacobian (notebook 04) and softmax (notebook 05) pictures.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

import numpy as np

from nnlib.notation import fmt

__all__ = ["CELL_STYLE", "heat_color", "vector_table", "heatmap_html"]


def heat_color(value: float, scale: float) -> str:
    """Background colour of a heatmap cell: white at 0, red for positive, blue for negative."""
    t = 0.0 if scale <= 0 else max(-1.0, min(1.0, float(value) / scale))
    fade = round(255 * (1 - abs(t)))
    return f"rgb(255,{fade},{fade})" if t >= 0 else f"rgb({fade},{fade},255)"


CELL_STYLE = "padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums;border:1px solid #ddd"


def vector_table(values, css: str, *, column: bool = False, labels: Sequence[str] | None = None,
                 highlight: int | None = None, digits: int = 4) -> str:
    """A vector as a one-row (or, with ``column``, one-column) table of ``td.nnlib-cell[data-index]``."""
    cells = []
    for n, v in enumerate(values):
        style = CELL_STYLE + (";background:#fde68a;font-weight:bold" if n == highlight else "")
        tip = f' title="{escape(labels[n])}"' if labels else ""
        cells.append(f'<td class="nnlib-cell" data-index="{n}" style="{style}"{tip}>{escape(fmt(v, digits))}</td>')
    rows = "".join(f"<tr>{c}</tr>" for c in cells) if column else f"<tr>{''.join(cells)}</tr>"
    return f'<table class="{css}" style="border-collapse:collapse">{rows}</table>'


def heatmap_html(J, row_labels: Sequence[str], col_labels: Sequence[str], *, caption: str = "",
                 digits: int = 3) -> str:
    """An (M, D) matrix as an HTML table whose cells are coloured by value (``table.nnlib-heatmap``).

    Each cell is ``td.nnlib-heat-cell`` with ``data-row``/``data-col`` (0-based) and a tooltip
    ``∂row/∂col = value``; red is positive, blue negative, white zero (scaled by max |J|).
    """
    J = np.asarray(J, dtype=float)
    scale = float(np.max(np.abs(J))) if J.size else 0.0
    head = "<tr><th></th>" + "".join(f"<th style='padding:2px 6px'>{escape(c)}</th>" for c in col_labels) + "</tr>"
    rows = [head]
    for r in range(J.shape[0]):
        cells = []
        for c in range(J.shape[1]):
            v = J[r, c]
            dark = scale > 0 and abs(v) / scale > 0.6          # white text on saturated colours
            style = f"{CELL_STYLE};background:{heat_color(v, scale)}" + (";color:white" if dark else "")
            tip = f"∂{row_labels[r]}/∂{col_labels[c]} = {fmt(v, 6)}"
            cells.append(f'<td class="nnlib-heat-cell" data-row="{r}" data-col="{c}" '
                         f'style="{style}" title="{escape(tip)}">{escape(fmt(v, digits))}</td>')
        rows.append(f"<tr><th style='padding:2px 6px'>{escape(row_labels[r])}</th>{''.join(cells)}</tr>")
    cap = f"<div class='nnlib-heatmap-caption'>{escape(caption)}</div>" if caption else ""
    return (f'{cap}<table class="nnlib-heatmap" style="border-collapse:collapse">'
            + "".join(rows) + "</table>")
