"""Numerical gradients and gradient checking.

Backpropagation is easy to get subtly wrong; a numerical derivative is slow but hard to get wrong.
Comparing the two is how every gradient in this course is checked.

* :func:`central_difference` — ``(f(x + ε e_i) − f(x − ε e_i)) / 2ε`` for one entry i of ``x``
  (perturbed in place and restored): the one central difference every numerical check in nnlib
  calls.
* :func:`numerical_gradient` — central differences ``(f(x + ε e_i) − f(x − ε e_i)) / 2ε`` of a
  scalar function, one entry of ``x`` at a time (``x`` is perturbed in place and restored).
* :func:`numerical_jacobian` — the same for a vector function: ``J[j, i] ≈ ∂f_j/∂x_i``.
* :func:`relative_error` — ``max|a − b| / max(|a| + |b|)``, as in CS231n.
* :func:`gradcheck` — backprop vs numerical for every parameter of a model, with verdicts.

How big an error to expect (float64, ε = 1e-6): a right gradient gives a relative error around
1e-10 to 1e-8; **≲ 1e-7 is right**, **> 1e-2 is wrong**, anything in between is suspicious.
Run gradient checks in float64: in float32 the ε-perturbation drowns in rounding.

Examples
--------
>>> import numpy as np
>>> x = np.array([1.0, 2.0])
>>> numerical_gradient(lambda x: (x ** 2).sum(), x).round(6)
array([2., 4.])
>>> x          # restored
array([1., 2.])
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

__all__ = ["central_difference", "numerical_gradient", "numerical_jacobian", "relative_error",
           "gradcheck", "GradcheckReport", "ParameterCheck", "RIGHT", "WRONG"]

#: Relative errors up to RIGHT mean the gradient is right; above WRONG it is wrong.
RIGHT = 1e-7
WRONG = 1e-2


def _require_float(x, who):
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"{who} perturbs x in place, so x must be a float numpy array; got "
                        f"{type(x).__name__} with dtype {getattr(x, 'dtype', None)}. "
                        f"Use np.asarray(x, dtype=float).")


def central_difference(f, x, index, eps=1e-6):
    """``(f(x + ε e_i) − f(x − ε e_i)) / 2ε``: the derivative of f along entry ``index`` of x.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a number or an array (then the result is an array of the same shape).
    x : ndarray of float
        Entry ``index`` is set to ``x[index] ± eps`` in place, and restored afterwards (also when f
        raises), so f may read x through a closure.
    index : tuple of int
        Which entry to nudge.
    eps : float, default 1e-6

    Examples
    --------
    >>> x = np.array([3.0, 1.0])
    >>> round(float(central_difference(lambda v: v[0] ** 2, x, (0,))), 6), x
    (6.0, array([3., 1.]))
    """
    old = x[index]
    try:
        x[index] = old + eps
        # a copy: f may return a buffer that its next call overwrites
        f_plus = np.array(f(x), dtype=np.float64)
        x[index] = old - eps
        f_minus = np.array(f(x), dtype=np.float64)
    finally:
        x[index] = old
    return (f_plus - f_minus) / (2 * eps)


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function f at the array x.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar. It is called with the (temporarily perturbed) array x itself, so
        a closure that ignores its argument but reads x also works.
    x : ndarray of float, any shape
        The point; each entry is nudged by ±eps in place and restored afterwards.
    eps : float, default 1e-6

    Returns
    -------
    ndarray of float64, shape of x
        ``g[i] ≈ (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps)``.

    Examples
    --------
    >>> x = np.array([[0.0, 1.0]])
    >>> numerical_gradient(lambda x: float(np.sin(x).sum()), x).round(8)
    array([[1.        , 0.54030231]])
    """
    _require_float(x, "numerical_gradient")
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        grad[i] = central_difference(lambda v: float(f(v)), x, i, eps)
    return grad


def numerical_jacobian(f, x, eps=1e-6):
    """Central-difference Jacobian of a vector function f at x.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns an array (any shape, M entries).
    x : ndarray of float, any shape (D entries)
        Perturbed in place and restored.
    eps : float, default 1e-6

    Returns
    -------
    ndarray of float64, shape (M, D)
        ``J[j, i] ≈ ∂f_j/∂x_i``, with f(x) and x flattened (for vectors this is the usual Jacobian).

    Examples
    --------
    >>> numerical_jacobian(lambda x: np.array([x[0] * x[1], x[0]]), np.array([2.0, 3.0])).round(6)
    array([[3., 2.],
           [1., 0.]])
    """
    _require_float(x, "numerical_jacobian")
    M = np.asarray(f(x)).size
    J = np.zeros((M, x.size), dtype=np.float64)
    for j, i in enumerate(np.ndindex(x.shape)):
        J[:, j] = central_difference(f, x, i, eps).ravel()
    return J


def relative_error(a, b, floor=0.0):
    """Relative error ``max_i |a_i − b_i| / max(max_i (|a_i| + |b_i|), floor, tiny)``.

    The largest absolute difference, measured against the size of the gradient as a whole (as in
    CS231n's ``rel_error``, but with one denominator for the whole array). A per-entry ratio would
    blow up on entries that are 0 in one array and 1e-11 of rounding noise in the other, which
    central differences always produce. ``tiny`` (the smallest normal float64) only prevents 0/0:
    two all-zero arrays have error 0. A larger ``floor`` says "differences below floor·1e-7 do not
    matter": :func:`gradcheck` uses it for gradients too small for central differences to resolve.

    Examples
    --------
    >>> float(np.round(relative_error(np.array([1.0, 0.0]), np.array([1.0 + 1e-9, 0.0])), 12))
    5e-10
    >>> relative_error(np.zeros(3), np.zeros(3))
    0.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: a has shape {a.shape} but b has shape {b.shape}.")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a) + np.abs(b))), floor, np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b)) / scale)


def verdict(error):
    """Name the verdict for a relative error: "right", "suspicious" or "wrong"."""
    if error <= RIGHT:
        return "right"
    if error > WRONG:
        return "wrong"
    return "suspicious"


_MEANING = {
    "right": "≲ 1e-7: backprop agrees with the numerical gradient",
    "suspicious": "between 1e-7 and 1e-2: look closer (float32? a kink? a tiny bug?)",
    "wrong": "> 1e-2: backprop and the numerical gradient disagree — a bug",
}


@dataclass
class ParameterCheck:
    """Result for one parameter: the relative error over the entries checked, and why."""

    name: str
    shape: tuple
    checked: int
    error: float
    verdict: str
    kink_entries: int = 0
    error_with_kinks: float = 0.0
    note: str = ""


@dataclass
class GradcheckReport:
    """Per-parameter relative errors of backprop vs central differences, with verdicts.

    ``ok`` is True when every parameter's verdict is "right". Entries whose ±eps nudge moved a ReLU
    input across 0 (a kink, where the numerical derivative mixes two slopes) are reported but not
    counted. Shows as a text table (``print(report)``) or an HTML table in Jupyter.
    """

    checks: list = field(default_factory=list)
    loss: float = float("nan")
    eps: float = 1e-6
    near_kinks: int = 0
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.verdict == "right" for c in self.checks)

    @property
    def max_error(self) -> float:
        return max((c.error for c in self.checks), default=0.0)

    def __getitem__(self, name):
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def _rows(self):
        for c in self.checks:
            yield (c.name, str(c.shape), str(c.checked), f"{c.error:.1e}", c.verdict,
                   c.note or _MEANING[c.verdict])

    def __str__(self):
        head = ("parameter", "shape", "checked", "rel. error", "verdict", "meaning")
        rows = [head, *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = [f"gradcheck (eps={self.eps:g}, loss={self.loss:.6g}): "
                 f"{'OK' if self.ok else 'NOT OK'}"]
        for r in rows:
            lines.append("  ".join(s.ljust(w) for s, w in zip(r[:5], widths)) + "  " + r[5])
        lines.extend(self.notes)
        return "\n".join(lines)

    def _repr_html_(self):
        colour = {"right": "#d4edda", "suspicious": "#fff3cd", "wrong": "#f8d7da"}
        head = "".join(f"<th>{h}</th>" for h in
                       ("parameter", "shape", "checked", "rel. error", "verdict", "meaning"))
        body = ""
        for c, row in zip(self.checks, self._rows()):
            cells = "".join(f"<td>{html.escape(s)}</td>" for s in row)
            body += f'<tr style="background:{colour[c.verdict]}">{cells}</tr>'
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        status = "OK" if self.ok else "NOT OK"
        return (f"<div><b>gradcheck: {status}</b> (eps={self.eps:g}, loss={self.loss:.6g})"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{notes}</div>")


def _walk(layer):
    """Yield layer and, for containers, every layer inside, depth first."""
    yield layer
    for inner in getattr(layer, "layers", ()):
        yield from _walk(inner)


def gradcheck(model, loss, X, D, *, eps=1e-6, seed=0, max_entries=200):
    """Compare backprop's gradients with central differences for every parameter of ``model``.

    Parameters
    ----------
    model : Layer or Sequential
        Use float64 parameters (float32 is too coarse for ε = 1e-6).
    loss : Loss
        E.g. :class:`~nnlib.SoftmaxCrossEntropy`.
    X, D : ndarray
        A small batch ``(N, D_in)`` and its targets.
    eps : float, default 1e-6
        Step of the central difference.
    seed : int, default 0
        Seeds which entries are checked when a parameter has more than ``max_entries``.
    max_entries : int or None, default 200
        At most this many randomly chosen entries per parameter (None: all).

    Returns
    -------
    GradcheckReport
        ``report.ok``, ``report["0.W"].error``, ``print(report)``.

    Notes
    -----
    At a ReLU kink (pre-activation z within about ε of 0) the numerical derivative averages the two
    one-sided slopes and so disagrees with any subgradient: such entries are detected (the sign of
    some ReLU input differs between x + ε and x − ε), excluded from the verdict and counted.

    Central differences carry rounding noise of about ``1e-16·|L|/ε``. Errors are measured with
    :func:`relative_error` using ``floor = 1e-13·max(|L|, 1)/ε``, so a gradient that is zero up to
    that noise is not called wrong. Very deep or saturated nets (tiny gradients) may need a larger
    ε, e.g. 1e-5, to get their errors below 1e-7.

    Examples
    --------
    >>> import nnlib
    >>> model = nnlib.Sequential(nnlib.Linear(3, 4, rng=0), nnlib.Tanh(), nnlib.Linear(4, 2, rng=1))
    >>> X, D = np.ones((2, 3)), np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> report = gradcheck(model, nnlib.SoftmaxCrossEntropy(), X, D)
    >>> report.ok, report.max_error < 1e-7
    (True, True)
    """
    from .activations import ReLU

    relus = [layer for layer in _walk(model) if isinstance(layer, ReLU)]

    def loss_value():
        return loss.forward(model.forward(X), D)

    L = loss_value()
    # Central differences carry rounding noise of about 1e-16·|L|/eps (≈ 1e-10·|L| for eps = 1e-6);
    # gradients smaller than 1000× that cannot be checked to 1e-7, so they count as zero.
    floor = 1e-13 * max(abs(L), 1.0) / eps
    near = sum(int((np.abs(layer.Z) <= eps * 10).sum()) for layer in relus)
    model.backward(loss.backward())
    params = list(model.parameters())
    analytic = {p.name: np.array(p.grad, dtype=np.float64) for p in params}
    probe = _KinkProbe(loss_value, relus)

    report = GradcheckReport(loss=L, eps=eps, near_kinks=near)
    rng = np.random.default_rng(seed)
    for p in params:
        indices = _entries_to_check(p.value.shape, max_entries, rng)
        a = np.array([analytic[p.name][i] for i in indices])
        report.checks.append(_check_parameter(p, indices, a, probe, eps, floor))
    if any(p.value.dtype != np.float64 for p in params):
        report.notes.append("Some parameters are not float64: expect errors around 1e-3 from "
                            "rounding alone. Check gradients with a float64 copy of the model.")
    if near:
        report.notes.append(f"{near} ReLU pre-activation(s) lie within 10·eps of 0 (kinks).")
    # Leave the model as backprop left it: caches and grads from the unperturbed input.
    loss_value()
    model.backward(loss.backward())
    return report


class _KinkProbe:
    """The loss as a function of a nudged parameter, noting whether the nudge crossed a ReLU kink.

    A nudge that moves some ReLU input across 0 mixes two slopes in the central difference, so
    that entry says nothing about backprop (see :func:`gradcheck`'s Notes).
    """

    def __init__(self, loss_value, relus):
        self.loss_value, self.relus = loss_value, relus
        self.base = self._signs()
        self.crossed = False

    def _signs(self):
        return [np.sign(layer.Z) for layer in self.relus]

    def __call__(self, _):
        value = self.loss_value()
        self.crossed |= any(not np.array_equal(s0, s) for s0, s in zip(self.base, self._signs()))
        return value


def _entries_to_check(shape, max_entries, rng):
    """Every index of a parameter, or ``max_entries`` of them drawn at random (in order)."""
    indices = list(np.ndindex(shape))
    if max_entries is not None and len(indices) > max_entries:
        chosen = rng.choice(len(indices), size=max_entries, replace=False)
        indices = [indices[k] for k in sorted(chosen)]
    return indices


def _check_parameter(p, indices, a, probe, eps, floor):
    """Backprop's entries ``a`` of parameter ``p`` against central differences of the loss."""
    numeric = np.empty(len(indices))
    crossed = np.zeros(len(indices), dtype=bool)
    for k, i in enumerate(indices):
        probe.crossed = False
        numeric[k] = central_difference(probe, p.value, i, eps)
        crossed[k] = probe.crossed
    smooth = ~crossed
    error = relative_error(a[smooth], numeric[smooth], floor)
    error_all = relative_error(a, numeric, floor)
    note = ""
    if a.size and np.max(np.abs(a) + np.abs(numeric)) < floor:
        note = (f"gradient below {floor:.0e}, what central differences can resolve here "
                f"(rounding noise ≈ 1e-16·|L|/eps): treated as zero")
    if crossed.any():
        note = (f"{int(crossed.sum())} entr{'y' if crossed.sum() == 1 else 'ies'} skipped: the "
                f"±eps nudge moved a ReLU input across 0 (a kink); with them the error is "
                f"{error_all:.1e}")
    return ParameterCheck(p.name, tuple(p.value.shape), len(indices), error, verdict(error),
                          int(crossed.sum()), error_all, note)
