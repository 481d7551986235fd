"""HTML of notebook 04's explorers: a layer's Jacobian as a heatmap, the VJP, the gradient bridge.

Pure strings from the state in :mod:`nnlib.lessons.jacobians`; CSS classes are hooks for the
browser tests (see :mod:`nnlib.widgets`).
"""

from __future__ import annotations

from html import escape

import numpy as np

from nnlib.lessons.jacobians import BridgeState, JacobianExplorerState
from nnlib.notation import element, factor, fmt, subscript, superscript, symbol

from .tables import CELL_STYLE, heatmap_html, vector_table

__all__ = ["explorer_heatmap_html", "vjp_html", "bridge_html"]


def explorer_heatmap_html(state: JacobianExplorerState) -> str:
    """The heatmap of the picked layer's Jacobian, with its explanation and numerical check."""
    c = state.current
    M, D = c.jacobian.shape
    rows = [element(c.out_symbol, i) for i in range(M)]
    cols = [element(c.in_symbol, j) for j in range(D)]
    caption = f"J_{c.out_symbol}({c.in_symbol}), shape {M} × {D} (rows: outputs, columns: inputs)"
    error = state.numerical_error()
    ok = error < 1e-6
    check = (f"<div class='nnlib-jacobian-check'><span class='nnlib-check-{'ok' if ok else 'bad'}'>"
             f"central differences give the same matrix: max |J − J_numerical| = {error:.1e}"
             f"{' ✓' if ok else ' ✗'}</span></div>")
    return (heatmap_html(c.jacobian, rows, cols, caption=caption)
            + f"<div style='color:#444;max-width:640px'>{escape(state.explanation())}</div>" + check)


def vjp_html(state: JacobianExplorerState, digits: int = 4) -> str:
    """``∇_in Div = ∇_out Div · J`` with the numbers: row vector, matrix, result row vector."""
    c = state.current
    g, J, r = state.upstream_gradient, state.jacobian, state.vjp
    M, D = J.shape
    formula = (f"∇_{c.in_symbol} Div = ∇_{c.out_symbol} Div · J_{c.out_symbol}({c.in_symbol})"
               f"   (1 × {M}) · ({M} × {D}) = (1 × {D})")
    terms = []
    for j in range(D):
        parts = " + ".join(f"{factor(g[i], digits)}·{factor(J[i, j], digits)}" for i in range(M))
        terms.append(f"<li>∂Div/∂{escape(element(c.in_symbol, j))} = {escape(parts)} = "
                     f"<b>{escape(fmt(r[j], digits))}</b></li>")
    cell = "vertical-align:middle;padding:0 6px"
    return (f"<div><b>{escape(formula)}</b></div>"
            f"<table style='border-collapse:collapse'><tr>"
            f"<td style='{cell}'>{vector_table(g, 'nnlib-vjp-upstream', digits=digits)}</td>"
            f"<td style='{cell}'>·</td>"
            f"<td style='{cell}'>J ({M} × {D})</td><td style='{cell}'>=</td>"
            f"<td style='{cell}'>{vector_table(r, 'nnlib-vjp-result', digits=digits)}</td></tr></table>"
            f"<ul style='margin:4px 0'>{''.join(terms)}</ul>")


def bridge_html(state: BridgeState, position: int, digits: int = 4) -> str:
    """The bridge picture at step ``position``: y (column), ∇_z Div (row), ∇_W Div filling up,
    and on the last step nnlib's dW = (∇_W Div)ᵀ next to what nnlib's backward stored."""
    step = state.steps[position]
    D_in, D_out = state.grad_W.shape
    k = state.k
    done = {(s.i, s.j) for s in state.steps[: position + 1] if s.kind == "entry"}
    full = step.kind in ("outer", "nnlib")
    y_labels = [symbol("y", k - 1, i) for i in range(D_in)]
    z_labels = [f"∂Div/∂{symbol('z', k, j)}" for j in range(D_out)]
    rows = ["<tr><th></th>" + "".join(f"<th style='padding:2px 6px'>{escape(z)}</th>" for z in z_labels) + "</tr>"]
    for i in range(D_in):
        cells = []
        for j in range(D_out):
            classes = ["nnlib-bridge-cell"]
            style = CELL_STYLE
            if full or (i, j) in done:
                classes.append("nnlib-filled")
                text = fmt(state.grad_W[i, j], digits)
                style += ";background:#dbeafe"
            else:
                text = "·"
            if step.kind == "entry" and (i, j) == (step.i, step.j):
                classes.append("nnlib-focus")
                style += ";background:#fde68a;font-weight:bold"
            cells.append(f'<td class="{" ".join(classes)}" data-row="{i}" data-col="{j}" '
                         f'style="{style}" title="∂Div/∂{escape(symbol("w", k, i, j))}">{escape(text)}</td>')
        rows.append(f"<tr><th style='padding:2px 6px'>{escape(y_labels[i])}</th>{''.join(cells)}</tr>")
    grad_table = ('<table class="nnlib-bridge-gradw" style="border-collapse:collapse">'
                  f"<caption style='caption-side:top'>∇_W{subscript(k)} Div ({D_in} × {D_out})</caption>"
                  + "".join(rows) + "</table>")
    hi_i = step.i if step.kind == "entry" else None
    hi_j = step.j if step.kind == "entry" else None
    y_table = vector_table(state.y, "nnlib-bridge-y", column=True, labels=y_labels, highlight=hi_i,
                           digits=digits)
    dz_table = vector_table(state.dz, "nnlib-bridge-dz", labels=z_labels, highlight=hi_j, digits=digits)
    cell = "vertical-align:top;padding:0 10px"
    parts = [f"<table><tr><td style='{cell}'>y{superscript(k - 1)}<br>{y_table}</td>"
             f"<td style='{cell}'>∇_z{superscript(k)} Div<br>{dz_table}<br>{grad_table}</td>"]
    if step.kind == "nnlib":
        dW = heatmap_html(state.dW, [f"neuron {j + 1}" for j in range(D_out)],
                          [f"input {i + 1}" for i in range(D_in)],
                          caption=f"dW = (∇_W Div)ᵀ ({D_out} × {D_in}, like W{subscript(k)})")
        diff = float(np.max(np.abs(state.dW - state.nnlib_dW)))
        ok = diff < 1e-9
        parts.append(f"<td style='{cell}' class='nnlib-bridge-dw'>{dW}"
                     f"<div class='nnlib-bridge-nnlib'><span class='nnlib-check-{'ok' if ok else 'bad'}'>"
                     f"nnlib's backward stores the same grads['W']: max difference {diff:.1e}"
                     f"{' ✓' if ok else ' ✗'}</span></div></td>")
    parts.append("</tr></table>")
    return "".join(parts)
