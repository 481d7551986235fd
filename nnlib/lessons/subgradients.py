"""Softmax Jacobians and subgradients at kinks (notebook 05): the pure state behind two views.

:class:`nnlib.widgets.SoftmaxExplorer` and :class:`nnlib.widgets.SubgradientExplorer` only turn
slider moves into calls of the functions here and show what :mod:`nnlib.pictures.subgradients`
draws of it. Nothing here imports a widget or plotting library or writes HTML, so all of it is
tested without a browser.

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
from typing import Callable

import numpy as np

from nnlib.activations import softmax
from nnlib.gradcheck import numerical_jacobian
from nnlib.notation import fmt

__all__ = ["SoftmaxState", "softmax_state", "KinkFunction", "KINK_FUNCTIONS", "is_subgradient",
           "subgradient_interval", "SubgradientState", "relu_backward_problems",
           "max_backward_problems"]


# ---------------------------------------------------------------------------- softmax
@dataclass(frozen=True)
class SoftmaxState:
    """Softmax at one logit vector z: the outputs, the Jacobian and how to draw them.

    Attributes
    ----------
    z : (D,) logits.
    y : (D,) ``softmax(z)`` (nnlib's, computed stably: z − max z first).
    jacobian : (D, D), ``J[j, i] = ∂y_j/∂z_i = y_j (δ_ij − y_i)``.
    """

    z: np.ndarray
    y: np.ndarray
    jacobian: np.ndarray

    def with_entry(self, index: int, value: float) -> "SoftmaxState":
        """The state after setting ``z[index] = value`` (what a slider move does)."""
        z = self.z.copy()
        z[int(index)] = float(value)
        return softmax_state(z)

    def numerical_error(self, eps: float = 1e-6) -> float:
        """max |J − central differences of softmax|: the formula checked against the definition."""
        numerical = numerical_jacobian(softmax, self.z.copy(), eps=eps)
        return float(np.max(np.abs(self.jacobian - numerical)))


def softmax_state(z) -> SoftmaxState:
    """:class:`SoftmaxState` for a logit vector ``z`` of shape (D,), D ≥ 1."""
    z = np.array(z, dtype=float).reshape(-1)
    if z.size == 0 or not np.all(np.isfinite(z)):
        raise ValueError(f"softmax_state needs a non-empty vector of finite logits, got {z!r}")
    y = softmax(z)
    return SoftmaxState(z=z, y=y, jacobian=np.diag(y) - np.outer(y, y))


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
    def f_values(self) -> np.ndarray:
        """f at every point of ``xs``."""
        return _values(self.function.f, self.xs)

    @property
    def valid(self) -> bool:
        return is_subgradient(self.function.f, self.function.x0, self.v, self.xs)

    @property
    def interval(self) -> tuple[float, float]:
        return subgradient_interval(self.function.f, self.function.x0, self.xs)

    @property
    def worst_point(self) -> float:
        """The x where the line rises highest above the graph (x0 itself if it never does)."""
        gap = self.line(self.xs) - self.f_values
        return float(self.xs[int(np.argmax(gap))])

    def verdict(self) -> str:
        """One sentence: valid or not, and why."""
        fn, lo, hi = self.function, *self.interval
        head = f"slope v = {fmt(self.v, 3)} at x₀ = {fmt(fn.x0, 3)} for f(x) = {fn.label}: "
        if self.valid:
            return (head + f"valid subgradient — the line touches the graph at x₀ and stays below it "
                    f"everywhere (valid slopes: [{fmt(lo, 3)}, {fmt(hi, 3)}]).")
        x = self.worst_point
        side = "right" if x > fn.x0 else "left"
        return (head + f"NOT a subgradient — the line rises above the graph on the {side} "
                f"(e.g. at x = {fmt(x, 3)}: line {fmt(float(self.line(x)), 3)} > f(x) = "
                f"{fmt(float(fn.f(x)), 3)}); valid slopes: [{fmt(lo, 3)}, {fmt(hi, 3)}].")



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
        out.append(f"where z > 0 ReLU has slope 1, so dZ = dY there; at index {i} z = {fmt(Z[i], 4)}, "
                   f"dY = {fmt(dY[i], 4)} but you returned {fmt(got[i], 4)}")
    bad = neg & ~np.isclose(got, 0.0, atol=atol)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        out.append(f"where z < 0 ReLU is flat (slope 0), so dZ = 0 there; at index {i} z = "
                   f"{fmt(Z[i], 4)} but you returned {fmt(got[i], 4)}")
    for i in (tuple(int(k) for k in idx) for idx in np.argwhere(zero)):
        g, u = got[i], dY[i]
        if u == 0:
            if abs(g) > atol:
                out.append(f"at index {i} z = 0 and dY = 0, so dZ must be 0 (slope × 0); you returned {fmt(g, 4)}")
            continue
        s = g / u
        if s < -1e-9 or s > 1 + 1e-9:
            out.append(f"at index {i} z = 0 exactly (the kink): dZ/dY = {fmt(s, 4)}, but a subgradient of "
                       f"ReLU at 0 is a slope in [0, 1] (0 = the flat side, 1 = the rising side, or "
                       f"anything in between); a slope of {fmt(s, 4)} gives a line that crosses "
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
        where = f"row {n} (z = {np.array2string(row, precision=3)}, dy = {fmt(u, 4)})"
        if u == 0:
            if np.any(np.abs(g) > atol):
                out.append(f"{where}: dy = 0, so every entry of dZ must be 0")
            continue
        w = g / u
        if (abs(u - 1) > 1e-9 and np.all(g >= -1e-12) and abs(g.sum() - 1) < 1e-9
                and np.all(np.abs(g[~tied]) <= 1e-12)):
            out.append(f"{where}: your row is the weights of a subgradient (they sum to 1) but was not "
                       f"multiplied by the upstream gradient dy[{n}] = {fmt(u, 4)}: dZ[n] = dy[n] · weights")
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
            out.append(f"{where}: the weights on the maximal entries sum to {fmt(w.sum(), 4)}, "
                       f"not 1{extra}")
        if len(out) >= 3:
            break
    return out
