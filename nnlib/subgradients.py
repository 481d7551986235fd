"""Softmax Jacobians and subgradients at kinks (notebook 05): the pure state behind two views.

:class:`nnlib.widgets.SoftmaxExplorer` and :class:`nnlib.widgets.SubgradientExplorer` only turn
slider moves into calls of the functions here and show the HTML/SVG strings they return. Nothing
here imports a widget or plotting library, so all of it is tested without a browser.

Notation (lecture "Special cases")
----------------------------------
* Softmax ``y_j = e^(z_j) / Σ_k e^(z_k)``; its Jacobian ``J[j, i] = ∂y_j/∂z_i = y_j (δ_ij − y_i)``
  (rows: outputs, columns: inputs). On the diagonal (i = j) the entry is ``y_i (1 − y_i)``, off it
  ``−y_i y_j``. J is symmetric.
* A **subgradient** of a convex f at x₀ is any v with ``f(x) − f(x₀) ≥ vᵀ(x − x₀)`` for every x:
  the line (plane) through ``(x₀, f(x₀))`` with slope v never rises above the graph. Where f is
  differentiable the only subgradient is the gradient; at a kink there is a whole interval of them
  (ReLU at 0: every v in [0, 1]; |x| at 0: [−1, 1]).

Examples
--------
>>> import numpy as np
>>> s = softmax_state([1.0, 2.0, 3.0])
>>> s.y.round(3)
array([0.09 , 0.245, 0.665])
>>> bool(np.allclose(s.jacobian, s.jacobian.T))
True
>>> relu = KINK_FUNCTIONS["relu"]
>>> xs = np.linspace(-2, 2, 401)
>>> is_subgradient(relu.f, 0.0, 0.5, xs), is_subgradient(relu.f, 0.0, 1.2, xs)
(True, False)
>>> subgradient_interval(relu.f, 0.0, xs)
(0.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Callable, Sequence

import numpy as np

from .jacobians import heat_color, heatmap_html

__all__ = ["SoftmaxState", "softmax_state", "softmax_bars_svg", "softmax_heatmap_html",
           "KinkFunction", "KINK_FUNCTIONS", "is_subgradient", "subgradient_interval",
           "SubgradientState", "subgradient_svg", "relu_backward_problems", "max_backward_problems"]


def _stable_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _fmt(value: float, digits: int = 3) -> str:
    value = float(value)
    if value == 0:
        return "0"
    return f"{value:.{digits}g}".replace("-", "−")


# ---------------------------------------------------------------------------- softmax
@dataclass(frozen=True)
class SoftmaxState:
    """Softmax at one logit vector z: the outputs, the Jacobian and how to draw them.

    Attributes
    ----------
    z : (D,) logits.
    y : (D,) ``softmax(z)`` (computed stably: z − max z first).
    jacobian : (D, D), ``J[j, i] = ∂y_j/∂z_i = y_j (δ_ij − y_i)``.
    """

    z: np.ndarray
    y: np.ndarray
    jacobian: np.ndarray

    @property
    def colors(self) -> list[list[str]]:
        """Heatmap background of each Jacobian entry (red positive, blue negative, white 0)."""
        scale = float(np.max(np.abs(self.jacobian))) if self.jacobian.size else 0.0
        return [[heat_color(v, scale) for v in row] for row in self.jacobian]

    def with_entry(self, index: int, value: float) -> "SoftmaxState":
        """The state after setting ``z[index] = value`` (what a slider move does)."""
        z = self.z.copy()
        z[int(index)] = float(value)
        return softmax_state(z)

    def numerical_error(self, eps: float = 1e-6) -> float:
        """max |J − central differences of softmax|: the formula checked against the definition."""
        D = self.z.size
        J_num = np.empty((D, D))
        for i in range(D):
            step = np.zeros(D)
            step[i] = eps
            J_num[:, i] = (_stable_softmax(self.z + step) - _stable_softmax(self.z - step)) / (2 * eps)
        return float(np.max(np.abs(self.jacobian - J_num)))


def softmax_state(z) -> SoftmaxState:
    """:class:`SoftmaxState` for a logit vector ``z`` of shape (D,), D ≥ 1."""
    z = np.array(z, dtype=float).reshape(-1)
    if z.size == 0 or not np.all(np.isfinite(z)):
        raise ValueError(f"softmax_state needs a non-empty vector of finite logits, got {z!r}")
    y = _stable_softmax(z)
    return SoftmaxState(z=z, y=y, jacobian=np.diag(y) - np.outer(y, y))


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
                     f'font-size="10" text-anchor="middle">{_fmt(value)}</text>')
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
             f"<br>every column sums to {_fmt(float(np.max(np.abs(state.jacobian.sum(axis=0)))), 2)} "
             "(≈ 0: the outputs always sum to 1)</div>")
    return table + check


# ---------------------------------------------------------------------------- subgradients
@dataclass(frozen=True)
class KinkFunction:
    """A convex function of one variable with a kink at ``x0``.

    Attributes
    ----------
    name : key in :data:`KINK_FUNCTIONS`.
    label : formula shown to the student.
    f : vectorised callable (numpy array in, array out).
    x0 : the kink.
    x_range : plotting interval around the kink.
    left_slope, right_slope : one-sided derivatives at x0; the subgradients there are exactly the
        interval [left_slope, right_slope].
    """

    name: str
    label: str
    f: Callable
    x0: float
    x_range: tuple
    left_slope: float
    right_slope: float


KINK_FUNCTIONS = {
    "relu": KinkFunction("relu", "ReLU(x) = max(0, x)", lambda x: np.maximum(0.0, x), 0.0, (-2.0, 2.0),
                         0.0, 1.0),
    "abs": KinkFunction("abs", "|x|", np.abs, 0.0, (-2.0, 2.0), -1.0, 1.0),
    "max": KinkFunction("max", "max(x, 2x − 1)", lambda x: np.maximum(x, 2.0 * x - 1.0), 1.0,
                        (-1.0, 3.0), 1.0, 2.0),
}


def _values(f: Callable, xs: np.ndarray) -> np.ndarray:
    return np.array([float(f(x)) for x in xs])


def is_subgradient(f: Callable, x0, v, xs, *, tol: float = 1e-12) -> bool:
    """Whether ``v`` is a subgradient of ``f`` at ``x0``, tested at the points ``xs``.

    Checks ``f(x) − f(x0) ≥ vᵀ(x − x0)`` for every x in ``xs`` (up to ``tol`` relative rounding).

    Parameters
    ----------
    f : callable taking one point (a float, or a (D,) array) and returning a float.
    x0 : float or (D,) array, the point.
    v : float or (D,) array, the candidate slope (gradient-like, same shape as x0).
    xs : (n,) floats or (n, D) points at which the inequality is tested. A finite set of points can
        only *refute* a subgradient; include points on every side of x0 (and close to it).

    Examples
    --------
    >>> xs = np.linspace(-1, 1, 201)
    >>> is_subgradient(abs, 0.0, -1.0, xs), is_subgradient(abs, 0.0, -1.01, xs)
    (True, False)
    >>> pts = np.array([[a, b] for a in (-1, 0, 1) for b in (-1, 0, 1)], dtype=float)
    >>> is_subgradient(lambda p: max(p[0], p[1]), np.zeros(2), [0.5, 0.5], pts)
    True
    """
    x0 = np.asarray(x0, dtype=float)
    v = np.asarray(v, dtype=float)
    xs = np.asarray(xs, dtype=float)
    if v.shape != x0.shape:
        raise ValueError(f"v must have the shape of x0 {x0.shape}, got {v.shape}")
    points = xs.reshape(-1, *x0.shape) if x0.ndim else xs.reshape(-1)
    f0 = float(f(x0.item() if x0.ndim == 0 else x0))
    fx = _values(f, points)
    steps = points - x0
    rise = steps.reshape(len(points), -1) @ v.reshape(-1)
    slack = tol * (1.0 + np.abs(fx) + abs(f0) + np.abs(rise))
    return bool(np.all(fx - f0 >= rise - slack))


def subgradient_interval(f: Callable, x0: float, xs) -> tuple[float, float]:
    """All slopes v that :func:`is_subgradient` accepts at scalar ``x0`` on the points ``xs``.

    For convex f the condition splits by side: for x > x0 it says v ≤ (f(x) − f(x0))/(x − x0),
    for x < x0 it says v ≥ that secant slope. So the valid slopes form the interval
    [max of the secant slopes on the left, min of those on the right] (±inf if a side has no
    points; empty, lo > hi, if f is not convex there).
    """
    xs = np.asarray(xs, dtype=float).reshape(-1)
    f0 = float(f(float(x0)))
    left, right = xs[xs < x0], xs[xs > x0]
    lo = max(((_values(f, left) - f0) / (left - x0)).max(), -np.inf) if left.size else -np.inf
    hi = min(((_values(f, right) - f0) / (right - x0)).min(), np.inf) if right.size else np.inf
    return float(lo) + 0.0, float(hi) + 0.0      # + 0.0 turns −0.0 into 0.0


@dataclass
class SubgradientState:
    """A kink function, the point x0 and a candidate slope v: is the line below the graph?

    ``line(x) = f(x0) + v (x − x0)``. ``valid`` tests the subgradient inequality on ``n_points``
    points of the plotting range (x0 included), ``interval`` is the range of valid slopes (which
    the exact one-sided derivatives confirm: ``function.left_slope``, ``function.right_slope``).
    """

    function: KinkFunction
    v: float = 0.5
    n_points: int = 401
    xs: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        lo, hi = self.function.x_range
        self.xs = np.union1d(np.linspace(lo, hi, self.n_points), [self.function.x0])
        self.v = float(self.v)

    @classmethod
    def named(cls, name: str, v: float | None = None) -> "SubgradientState":
        """State for one of :data:`KINK_FUNCTIONS` (``"relu"``, ``"abs"``, ``"max"``)."""
        if name not in KINK_FUNCTIONS:
            raise ValueError(f"unknown function {name!r}; choose one of {sorted(KINK_FUNCTIONS)}")
        fn = KINK_FUNCTIONS[name]
        return cls(fn, (fn.left_slope + fn.right_slope) / 2 if v is None else v)

    def set_v(self, v: float) -> None:
        self.v = float(v)

    @property
    def f0(self) -> float:
        return float(self.function.f(self.function.x0))

    def line(self, x):
        """The line through (x0, f(x0)) with slope v."""
        return self.f0 + self.v * (np.asarray(x, dtype=float) - self.function.x0)

    @property
    def valid(self) -> bool:
        return is_subgradient(self.function.f, self.function.x0, self.v, self.xs)

    @property
    def interval(self) -> tuple[float, float]:
        return subgradient_interval(self.function.f, self.function.x0, self.xs)

    @property
    def worst_point(self) -> float:
        """The x where the line rises highest above the graph (x0 itself if it never does)."""
        gap = self.line(self.xs) - _values(self.function.f, self.xs)
        return float(self.xs[int(np.argmax(gap))])

    def verdict(self) -> str:
        """One sentence: valid or not, and why."""
        fn, lo, hi = self.function, *self.interval
        head = f"slope v = {_fmt(self.v)} at x₀ = {_fmt(fn.x0)} for f(x) = {fn.label}: "
        if self.valid:
            return (head + f"valid subgradient — the line touches the graph at x₀ and stays below it "
                    f"everywhere (valid slopes: [{_fmt(lo)}, {_fmt(hi)}]).")
        x = self.worst_point
        side = "right" if x > fn.x0 else "left"
        return (head + f"NOT a subgradient — the line rises above the graph on the {side} "
                f"(e.g. at x = {_fmt(x)}: line {_fmt(float(self.line(x)))} > f(x) = "
                f"{_fmt(float(fn.f(x)))}); valid slopes: [{_fmt(lo)}, {_fmt(hi)}].")

    def verdict_html(self) -> str:
        css = "nnlib-check-ok" if self.valid else "nnlib-check-bad"
        mark = "✓" if self.valid else "✗"
        return f"<span class='{css}'>{mark} {escape(self.verdict())}</span>"


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
    fx = _values(fn.f, xs)
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
        (a1, b1), (a2, b2) = seg(lo_v)
        (c1, d1), (c2, d2) = seg(hi_v)
        k = (px(fn.x0), py(state.f0))
        parts.append(f'<polygon class="nnlib-fan" points="{k[0]:.1f},{k[1]:.1f} {a1:.1f},{b1:.1f} '
                     f'{c1:.1f},{d1:.1f}" fill="#bbf7d0" opacity="0.5"/>')
        parts.append(f'<polygon class="nnlib-fan" points="{k[0]:.1f},{k[1]:.1f} {a2:.1f},{b2:.1f} '
                     f'{c2:.1f},{d2:.1f}" fill="#bbf7d0" opacity="0.5"/>')
        for (p1, q1), (p2, q2) in (seg(lo_v), seg(hi_v)):
            parts.append(f'<line class="nnlib-fan-edge" x1="{p1:.1f}" y1="{q1:.1f}" x2="{p2:.1f}" '
                         f'y2="{q2:.1f}" stroke="#15803d" stroke-dasharray="4 3"/>')
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
                 f'v = {escape(_fmt(state.v))}</text>')
    parts.append(f'<text x="{pad}" y="{height - 8}" font-size="10">{escape(_fmt(lo_x))}</text>')
    parts.append(f'<text x="{width - pad}" y="{height - 8}" font-size="10" text-anchor="end">'
                 f'{escape(_fmt(hi_x))}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------- answer checks at kinks
def _as_dZ(got, Z):
    """``got`` as a float array shaped like Z, or the reasons it cannot be checked as a dZ."""
    if got is None:
        return None, ["dZ is None: did you forget to return it?"]
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None, [f"dZ must be a numpy array, got {type(got).__name__}"]
    if got.shape != Z.shape:
        return None, [f"dZ must have Z's shape {Z.shape}, got {got.shape}"]
    if not np.all(np.isfinite(got)):
        return None, ["dZ contains NaN or inf"]
    return got, []


def relu_backward_problems(Z, dY, got, *, atol: float = 1e-9) -> list[str]:
    """Why ``got`` is not a valid ReLU backward ``dZ`` for pre-activations Z and upstream dY ([] if it is).

    Valid: ``dZ = s ⊙ dY`` with s = 1 where Z > 0, s = 0 where Z < 0 and **any** s in [0, 1] where
    Z == 0 exactly (a subgradient of ReLU at its kink), chosen entry by entry.
    """
    Z, dY = np.asarray(Z, dtype=float), np.asarray(dY, dtype=float)
    got, problems = _as_dZ(got, Z)
    if problems:
        return problems
    out = []
    pos, neg, zero = Z > 0, Z < 0, Z == 0
    slopes_only = np.all((got >= 0) & (got <= 1)) and np.all(got[pos] == 1) and np.all(got[neg] == 0)
    bad = pos & ~np.isclose(got, dY, rtol=1e-9, atol=atol)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        out.append(f"where z > 0 ReLU has slope 1, so dZ = dY there; at index {i} z = {_fmt(Z[i], 4)}, "
                   f"dY = {_fmt(dY[i], 4)} but you returned {_fmt(got[i], 4)}")
    bad = neg & ~np.isclose(got, 0.0, atol=atol)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        out.append(f"where z < 0 ReLU is flat (slope 0), so dZ = 0 there; at index {i} z = "
                   f"{_fmt(Z[i], 4)} but you returned {_fmt(got[i], 4)}")
    for i in (tuple(int(k) for k in idx) for idx in np.argwhere(zero)):
        g, u = got[i], dY[i]
        if u == 0:
            if abs(g) > atol:
                out.append(f"at index {i} z = 0 and dY = 0, so dZ must be 0 (slope × 0); you returned {_fmt(g, 4)}")
            continue
        s = g / u
        if s < -1e-9 or s > 1 + 1e-9:
            out.append(f"at index {i} z = 0 exactly (the kink): dZ/dY = {_fmt(s, 4)}, but a subgradient of "
                       f"ReLU at 0 is a slope in [0, 1] (0 = the flat side, 1 = the rising side, or "
                       f"anything in between); a slope of {_fmt(s, 4)} gives a line that crosses "
                       f"above the graph")
            break
    if out and slopes_only:
        return ["you returned the slopes ReLU'(z) (1, 0, or your choice at 0) but not dZ: the chain rule "
                "multiplies each slope by the upstream gradient, dZ = ReLU'(Z) * dY"]
    return out


def max_backward_problems(Z, dy, got, *, atol: float = 1e-9) -> list[str]:
    """Why ``got`` is not a valid backward of y = max(z) (one max per row) ([] if it is).

    Z: (N, D); dy: (N,) upstream ∂Div/∂y for each row's max; got: (N, D). Valid: each row is
    ``dy[n] · w`` with w ≥ 0, Σ w = 1 and w = 0 outside the entries equal to the row's maximum
    (one argmax gets 1; at a tie any split over the tied entries is a valid subgradient).
    """
    Z, dy = np.asarray(Z, dtype=float), np.asarray(dy, dtype=float).reshape(-1)
    got, problems = _as_dZ(got, Z)
    if problems:
        return problems
    out = []
    for n in range(Z.shape[0]):
        row, g, u = Z[n], got[n], dy[n]
        tied = row == row.max()
        where = f"row {n} (z = {np.array2string(row, precision=3)}, dy = {_fmt(u, 4)})"
        if u == 0:
            if np.any(np.abs(g) > atol):
                out.append(f"{where}: dy = 0, so every entry of dZ must be 0")
            continue
        w = g / u
        if (abs(u - 1) > 1e-9 and np.all(g >= -1e-12) and abs(g.sum() - 1) < 1e-9
                and np.all(np.abs(g[~tied]) <= 1e-12)):
            out.append(f"{where}: your row is the weights of a subgradient (they sum to 1) but was not "
                       f"multiplied by the upstream gradient dy[{n}] = {_fmt(u, 4)}: dZ[n] = dy[n] · weights")
        elif np.any(np.abs(w[~tied]) > 1e-9):
            out.append(f"{where}: you sent gradient to entries that are not the maximum "
                       f"(weights {np.array2string(w, precision=3)}); max(z) does not change when a "
                       f"smaller entry moves a little, so their derivative is 0")
        elif np.any(w[tied] < -1e-9):
            out.append(f"{where}: negative weight on a maximal entry (weights "
                       f"{np.array2string(w, precision=3)}); the weights must be ≥ 0")
        elif abs(w.sum() - 1) > 1e-7:
            k = int(tied.sum())
            extra = (f" — {k} entries tie for the maximum: a subgradient gives them weights ≥ 0 that sum "
                     f"to 1 (all on one of them, or 1/{k} each)" + (", not 1 each" if w.sum() > 1 else "")
                     if k > 1 else "")
            out.append(f"{where}: the weights on the maximal entries sum to {_fmt(w.sum(), 4)}, "
                       f"not 1{extra}")
        if len(out) >= 3:
            break
    return out
