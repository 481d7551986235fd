"""Pictures of notebook 05's state: softmax bars and Jacobian heatmap, the subgradient fan.

Pure strings (inline SVG and HTML) from :mod:`nnlib.lessons.subgradients`; CSS classes are hooks
for the browser tests (see :mod:`nnlib.widgets`).
"""

from __future__ import annotations

from html import escape

import numpy as np

from nnlib.lessons.subgradients import SoftmaxState, SubgradientState
from nnlib.notation import fmt

from .tables import heatmap_html

__all__ = ["softmax_bars_svg", "softmax_heatmap_html", "subgradient_svg", "subgradient_verdict_html"]


def softmax_bars_svg(state: SoftmaxState, *, width: int = 360, height: int = 180) -> str:
    """Bar chart of y = softmax(z) as inline SVG (``svg.nnlib-softmax-svg``).

    One ``rect.nnlib-bar[data-index]`` per output, its value in ``text.nnlib-bar-value``; the
    largest output's bar also has class ``nnlib-bar-max``. Heights are on a fixed 0…1 scale, so
    moving a slider visibly moves probability from one bar to the others.
    """
    D = state.y.size
    top, bottom, left = 18, 24, 30
    plot_h = height - top - bottom
    slot = (width - left - 8) / D
    bar_w = max(4.0, 0.7 * slot)
    biggest = int(np.argmax(state.y))
    parts = [f'<svg class="nnlib-softmax-svg" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">',
             "<title>softmax outputs y_j (bars, scale 0 to 1)</title>",
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#555"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>',
             f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">1</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>']
    for j, value in enumerate(state.y):
        h = plot_h * float(value)
        x = left + j * slot + (slot - bar_w) / 2
        css = "nnlib-bar nnlib-bar-max" if j == biggest else "nnlib-bar"
        colour = "#2563eb" if j == biggest else "#93c5fd"
        parts.append(f'<rect class="{css}" data-index="{j}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"/>')
        parts.append(f'<text class="nnlib-bar-value" x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
                     f'font-size="10" text-anchor="middle">{fmt(value, 3)}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" font-size="11" '
                     f'text-anchor="middle">y{j + 1}</text>')
    parts.append("</svg>")
    return "".join(parts)


def softmax_heatmap_html(state: SoftmaxState) -> str:
    """The Jacobian as a coloured table (``table.nnlib-heatmap``), plus its numerical check.

    Rows are outputs y_j, columns inputs z_i, so cell (j, i) is ∂y_j/∂z_i. The check line is
    ``div.nnlib-softmax-check`` with ``span.nnlib-check-ok`` (or ``nnlib-check-bad``).
    """
    D = state.z.size
    rows = [f"y{j + 1}" for j in range(D)]
    cols = [f"z{i + 1}" for i in range(D)]
    table = heatmap_html(state.jacobian, rows, cols,
                         caption="J[j, i] = ∂y_j/∂z_i = y_j(δ_ij − y_i): diagonal y_i(1 − y_i) > 0, "
                                 "off-diagonal −y_i·y_j < 0")
    error = state.numerical_error()
    ok = error < 1e-6
    check = (f"<div class='nnlib-softmax-check'><span class='nnlib-check-{'ok' if ok else 'bad'}'>"
             f"central differences: max |J − J_numerical| = {error:.1e}{' ✓' if ok else ' ✗'}</span>"
             f"<br>every column sums to {fmt(float(np.max(np.abs(state.jacobian.sum(axis=0)))), 2)} "
             "(≈ 0: the outputs always sum to 1)</div>")
    return table + check


def subgradient_svg(state: SubgradientState, *, width: int = 420, height: int = 280) -> str:
    """The graph of f, the line with slope v through (x0, f(x0)), and the fan of valid lines.

    ``svg.nnlib-subgradient-svg``: the graph ``polyline.nnlib-graph``; the candidate line
    ``line.nnlib-candidate`` with class ``nnlib-valid`` or ``nnlib-invalid`` (green / red); the two
    extreme valid lines ``line.nnlib-fan-edge`` (dashed) with the region between them
    ``polygon.nnlib-fan``; the kink ``circle.nnlib-kink``.
    """
    fn = state.function
    lo_x, hi_x = fn.x_range
    xs = state.xs
    fx = state.f_values
    lo_v, hi_v = state.interval
    ys_all = np.concatenate([fx, state.line([lo_x, hi_x])])
    y_min = min(float(fx.min()) - 0.5, float(ys_all.min()))
    y_max = float(fx.max()) + 0.5
    y_min = max(y_min, y_max - 3 * (y_max - float(fx.min()) + 0.5))   # keep steep lines from squashing f
    pad = 28

    def px(x):
        return pad + (float(x) - lo_x) / (hi_x - lo_x) * (width - 2 * pad)

    def py(y):
        return height - pad - (float(y) - y_min) / (y_max - y_min) * (height - 2 * pad)

    def seg(v):
        ends = [fn.x0 + t for t in (lo_x - fn.x0, hi_x - fn.x0)]
        return [(px(x), py(state.f0 + v * (x - fn.x0))) for x in ends]

    parts = [f'<svg class="nnlib-subgradient-svg" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">',
             f"<title>{escape(fn.label)}: lines through the kink with slope v</title>",
             f'<clipPath id="nnlib-sg-clip"><rect x="{pad}" y="{pad}" width="{width - 2 * pad}" '
             f'height="{height - 2 * pad}"/></clipPath>',
             f'<line x1="{pad}" y1="{py(0):.1f}" x2="{width - pad}" y2="{py(0):.1f}" stroke="#bbb"/>',
             f'<line x1="{px(0):.1f}" y1="{pad}" x2="{px(0):.1f}" y2="{height - pad}" stroke="#bbb"/>',
             '<g clip-path="url(#nnlib-sg-clip)">']
    if np.isfinite(lo_v) and np.isfinite(hi_v) and lo_v <= hi_v:
        parts += _fan_svg(seg(lo_v), seg(hi_v), (px(fn.x0), py(state.f0)))
    points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, fx))
    parts.append(f'<polyline class="nnlib-graph" points="{points}" fill="none" stroke="#111" stroke-width="2.5"/>')
    (p1, q1), (p2, q2) = seg(state.v)
    ok = state.valid
    parts.append(f'<line class="nnlib-candidate {"nnlib-valid" if ok else "nnlib-invalid"}" x1="{p1:.1f}" '
                 f'y1="{q1:.1f}" x2="{p2:.1f}" y2="{q2:.1f}" stroke="{"#16a34a" if ok else "#dc2626"}" '
                 'stroke-width="2"/>')
    parts.append("</g>")
    parts.append(f'<circle class="nnlib-kink" cx="{px(fn.x0):.1f}" cy="{py(state.f0):.1f}" r="4" fill="#111"/>')
    parts.append(f'<text x="{pad}" y="16" font-size="12">f(x) = {escape(fn.label)};  '
                 f'v = {escape(fmt(state.v, 3))}</text>')
    parts.append(f'<text x="{pad}" y="{height - 8}" font-size="10">{escape(fmt(lo_x, 3))}</text>')
    parts.append(f'<text x="{width - pad}" y="{height - 8}" font-size="10" text-anchor="end">'
                 f'{escape(fmt(hi_x, 3))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fan_svg(lowest, highest, kink) -> list[str]:
    """The region between the extreme valid lines (each given by its two drawn ends) and its edges."""
    (a1, b1), (a2, b2) = lowest
    (c1, d1), (c2, d2) = highest
    parts = [f'<polygon class="nnlib-fan" points="{kink[0]:.1f},{kink[1]:.1f} {a1:.1f},{b1:.1f} '
             f'{c1:.1f},{d1:.1f}" fill="#bbf7d0" opacity="0.5"/>',
             f'<polygon class="nnlib-fan" points="{kink[0]:.1f},{kink[1]:.1f} {a2:.1f},{b2:.1f} '
             f'{c2:.1f},{d2:.1f}" fill="#bbf7d0" opacity="0.5"/>']
    for (p1, q1), (p2, q2) in (lowest, highest):
        parts.append(f'<line class="nnlib-fan-edge" x1="{p1:.1f}" y1="{q1:.1f}" x2="{p2:.1f}" '
                     f'y2="{q2:.1f}" stroke="#15803d" stroke-dasharray="4 3"/>')
    return parts


def subgradient_verdict_html(state: SubgradientState) -> str:
    """The verdict as ``span.nnlib-check-ok`` (✓) or ``span.nnlib-check-bad`` (✗)."""
    css = "nnlib-check-ok" if state.valid else "nnlib-check-bad"
    mark = "✓" if state.valid else "✗"
    return f"<span class='{css}'>{mark} {escape(state.verdict())}</span>"
