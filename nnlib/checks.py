"""Answer checks for the notebooks: a wrong answer fails with a message that says why.

Every check raises ``AssertionError`` when the answer is wrong and returns ``None``
silently when it is right.  The message says what was checked, shows the expected
and the received values (compact and rounded: small arrays whole, large ones
summarised), their shapes, the largest absolute error, and — when it can be
*detected* — the likely misconception.  A misconception is only named when the
answer actually matches a wrong variant of the expected value; nothing is guessed.
"Matches" means: equal within a tolerance relative to the size of the values (so
1e-14 and 3.6e-12 are different), with the variant itself far outside that tolerance
of the right answer (so an answer that is merely a little off, such as a numerical
estimate, is reported as "values differ" with no cause), and a variant fitted to the
answer (a factor, a shift) met at the caller's own tolerance.

Built-in wrong variants (tried after the caller's own ``variants``):

- ``None`` (a function without ``return``), a Python list or tuple, a single
  number where an array was expected, an object, boolean or complex array;
- NaN or inf (overflow in ``exp``, ``log(0)``, ``0 * inf``);
- the transpose (shape or values), the negation (sign flipped);
- a constant factor ``c`` common to all entries of an array (printed; recognises
  ``N``, ``1/N`` and ``2``, ``1/2``); between two single numbers, which are always
  multiples of each other, only a meaningful factor: ±2, ±1/2, ±3, ±1/3, ±4, ±1/4,
  and ±N, ±1/N when ``check_scalar`` is given ``batch_size=N``;
- the same vector added to every row (a missing or doubled bias);
- right values in the wrong shape (lost ``keepdims=True``), an ``(n, n)`` array
  made by broadcasting ``(n,)`` against ``(n, 1)``, an array that was not summed
  (or averaged) over an axis, and the "divided along the wrong axis" pattern of
  square arrays;
- integer dtype that truncated the fractional part; all zeros.

``forbid(...)`` is the fourth tool: while its block runs, calling the named nnlib
classes, functions or methods raises a teaching AssertionError, so an answer that
merely calls nnlib's own implementation earns nothing (``reason=`` says what to do
instead; ``message=`` replaces the whole text).

Axis mistakes that need the input to recognise (``X.sum(axis=0)`` instead of
``X.sum(axis=1)`` for a square ``X``) are best passed by the caller as
``variants={"summed over axis 0 instead of axis 1": X.sum(axis=0)}``.

The numpy callables used here are captured when this module is imported, so a
notebook that rebinds ``np.isclose`` (or similar) afterwards does not change
what these checks compute.  These checks teach; they are not the grader's
tamper-proofing, which lives in ``autograder/`` (grader-only, hidden tests).

Examples
--------
>>> import numpy as np
>>> from nnlib.checks import check_array
>>> check_array(np.array([[1.0, 2.0]]), np.array([[1.0, 2.0]]), name="Z")   # right: silent
>>> check_array(np.array([[-1.0, -2.0]]), np.array([[1.0, 2.0]]), name="Z")
Traceback (most recent call last):
    ...
AssertionError: Z is not right: its sign is flipped (it equals -1 times the expected value).
  expected (shape (1, 2)): [[1. 2.]]
  got (shape (1, 2)):      [[-1. -2.]]
  max abs error: 4 at index (0, 1) (expected 2, got -2)
  Likely cause: a minus sign too many or too few — e.g. (d - y) instead of (y - d), or a gradient step taken uphill.
"""

from __future__ import annotations

import builtins
import importlib
import math
from fractions import Fraction

import numpy as np

__all__ = ["check_array", "check_scalar", "check_shape", "forbid"]

# Captured at import time: a notebook that later rebinds np.isclose & co. (on purpose or by
# accident) must not change what the checks compute.
_np_array = np.array
_np_asarray = np.asarray
_np_isclose = np.isclose
_np_isfinite = np.isfinite
_np_isnan = np.isnan
_np_abs = np.abs
_np_argmax = np.argmax
_np_unravel_index = np.unravel_index
_np_errstate = np.errstate
_np_array2string = np.array2string
_np_trunc = np.trunc
_np_floor = np.floor
_np_outer = np.outer
_np_ndarray = np.ndarray
_np_generic = np.generic
_np_bool = np.bool_
_np_float64 = np.float64
_np_nonzero = np.nonzero
_np_any = np.any
_np_all = np.all
_np_vdot = np.vdot
_np_broadcast_to = np.broadcast_to
_isinstance = builtins.isinstance
_AssertionError = builtins.AssertionError

_SMALL = 24            # arrays with at most this many entries are shown whole
_OVERFLOW = ("overflow: np.exp(z) is inf for z > 709, and inf/inf or inf - inf is NaN — subtract "
             "the row maximum before exp (softmax is unchanged by it); or log(0) = -inf, and "
             "0 * -inf = NaN — clip probabilities away from 0 or use a log-sum-exp.")
_LINE = 96


# --------------------------------------------------------------------------- formatting
def _num(x):
    """A float as a short string: 6 significant digits, no trailing noise."""
    x = float(x)
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def _fraction(c):
    """``c`` as '0.25 (= 1/4)' when it is close to a simple fraction, else '0.2513'."""
    text = _num(c)
    frac = Fraction(c).limit_denominator(64)
    if frac.denominator > 1 and abs(float(frac) - c) <= 1e-6 * max(1.0, abs(c)):
        text += f" (= {frac.numerator}/{frac.denominator})"
    return text


def _arr(a):
    """An array as compact text; large arrays are summarised (shape, range, corners)."""
    a = _np_asarray(a)
    if a.ndim == 0:
        return _num(a.item()) if a.dtype.kind in "fiub" else repr(a.item())
    with _np_errstate(all="ignore"):
        body = _np_array2string(
            a, precision=4, suppress_small=True, threshold=_SMALL, edgeitems=2,
            max_line_width=_LINE, floatmode="maxprec", sign="-", separator=" ",
        )
    lines = body.split("\n")
    if len(lines) > 8:
        lines = lines[:3] + ["  ..."] + lines[-2:]
    if a.size > _SMALL and a.dtype.kind in "fiu":
        with _np_errstate(all="ignore"):
            finite = a[_np_isfinite(a)]
        if finite.size:
            lines.insert(0, f"min {_num(finite.min())}, max {_num(finite.max())}, "
                            f"mean {_num(finite.mean())}")
    # multi-line arrays start on their own line so that their rows stay aligned
    return lines[0] if len(lines) == 1 else "\n    " + "\n    ".join(lines)


def _index(idx):
    return "(" + ", ".join(str(int(i)) for i in idx) + ")" if len(idx) != 1 else f"({int(idx[0])},)"


# --------------------------------------------------------------------------- comparison
def _close(got, expected, rtol, atol):
    """True when two float arrays of the same shape agree elementwise (NaN == NaN)."""
    if got.shape != expected.shape:
        return False
    with _np_errstate(all="ignore"):
        return bool(_np_all(_np_isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)))


def _as_float(value):
    """``value`` as a float64 ndarray, or None when it is not numeric array-like."""
    try:
        arr = _np_array(value, dtype=_np_float64, copy=True, subok=False)
    except (TypeError, ValueError, OverflowError):
        return None
    return arr


def _fail(name, summary, expected=None, got=None, *, error=None, cause=None, hint=None,
          extra=None):
    """The AssertionError to raise (raised by the public check, so tracebacks end there)."""
    lines = [f"{name} is not right: {summary}"]
    shown = [(f"{label}" + (f" (shape {_shape(value)})" if _np_asarray(value).ndim else "") + ":",
              _arr(value)) for label, value in (("expected", expected), ("got", got))
             if value is not None]
    width = max((len(head) for head, _ in shown), default=0)
    for head, body in shown:
        # a multi-line body starts with a newline, so its rows stay aligned
        multiline = body.startswith("\n")
        lines.append(f"  {head}{body}" if multiline else f"  {head.ljust(width)} {body}")
    if error:
        lines.append(f"  {'max abs error' if _np_asarray(got).ndim else 'abs error'}: {error}")
    if cause:
        lines.append(f"  Likely cause: {cause}")
    for line in extra or ():
        lines.append(f"  {line}")
    if hint:
        lines.append(f"  Hint: {hint}")
    return _AssertionError("\n".join(lines))


def _shape(a):
    return tuple(int(n) for n in _np_asarray(a).shape)


def _max_error(got, expected):
    """'0.25 at index (1, 0) (expected 1, got 1.25)' for same-shape arrays."""
    with _np_errstate(all="ignore"):
        diff = _np_abs(got - expected)
        diff = _np_array(diff, copy=True)
        diff[_np_isnan(diff)] = math.inf
    flat = int(_np_argmax(diff))
    idx = _np_unravel_index(flat, got.shape) if got.ndim else ()
    worst = float(diff.reshape(-1)[flat])
    where = f" at index {_index(idx)}" if got.ndim else ""
    return (f"{_num(worst)}{where} (expected {_num(expected.reshape(-1)[flat])}, "
            f"got {_num(got.reshape(-1)[flat])})")


def _no_return_message(name, kind):
    return (f"{name} is None, not {kind}. A Python function that ends without a `return` "
            f"statement returns None: check that your function ends with `return <result>` "
            f"(also on every if/else branch), and that it does not just print the result.")


def _not_arraylike(name, got, kind):
    tname = type(got).__name__
    cause = f"{name} is a {tname} object, not {kind}."
    if hasattr(got, "forward") or callable(got):
        cause += (" Did you return the layer/function itself instead of calling it "
                  "(e.g. `layer` instead of `layer.forward(X)`, or `f` instead of `f(x)`)?")
    elif isinstance(got, str):
        cause += " Did you return a formatted string (f-string / str(...)) instead of the number?"
    elif isinstance(got, dict):
        cause += " Did you return the whole dictionary instead of one of its entries?"
    return cause


# --------------------------------------------------------------------------- variants
# How much closer an answer must be to a wrong variant than to the right answer before the
# variant is named: an answer that is merely a little off (a numerical estimate, rounding)
# is about as far from a variant fitted to it as from the right answer, and gets no cause.
_CLOSER = 0.1
# ... and how much further than the tolerance a variant must be from the right answer.
_DISTINCT = 100.0

# The factors worth naming between two single numbers. Any two non-zero numbers are
# multiples of each other, so "c = 1.3" says nothing; a 2 (a square's derivative), an N
# (a sum instead of a mean) or a small whole count is a lead.
_SIMPLE_FACTORS = (2.0, 0.5, 3.0, 1 / 3, 4.0, 0.25)


def _largest(a):
    """The largest finite magnitude in ``a`` (0 when there is none)."""
    with _np_errstate(all="ignore"):
        finite = _np_abs(a[_np_isfinite(a)])
    return float(finite.max()) if finite.size else 0.0


def _variant_tolerance(expected, wrong, rtol, atol):
    """(rtol, atol) for deciding that an answer *is* a wrong variant.

    The relative tolerance is at least 1e-5, so a float32 answer is still recognised. The
    absolute floor (needed for entries that are 0) is the caller's ``atol``, at least 1e-8,
    but never more than that relative tolerance at the largest magnitude of the two values
    compared: a fixed floor of 1e-8 made every tiny value equal to every other one (a step
    h = 1e-14 "matched" an error of 3.6e-12).
    """
    vr = max(rtol, 1e-5)
    va = max(atol, 1e-8)
    scale = max(_largest(expected), _largest(wrong))
    if scale > 0:
        va = min(va, vr * scale)
    return vr, va


def _gap(a, b):
    """The largest entrywise |a - b| (entries that are both NaN, or the same inf, count 0)."""
    with _np_errstate(all="ignore"):
        diff = _np_abs(a - b)
        same = (a == b) | (_np_isnan(a) & _np_isnan(b))
    diff = _np_array(diff, dtype=_np_float64, copy=True).reshape(-1)
    diff[same.reshape(-1)] = 0.0
    diff[_np_isnan(diff)] = math.inf
    return float(diff.max()) if diff.size else 0.0


def _matches(got, wrong, expected, rtol, atol, fitted=False):
    """True when ``got`` equals the wrong variant and that variant is told apart from the answer.

    At some tolerance (the variant tolerance, or the caller's own when it is stricter):
    ``got`` agrees with ``wrong``; ``wrong`` differs from ``expected`` by far more than
    that tolerance (else an answer that is merely a little off — a numerical estimate,
    rounding — could "match" a variant that is itself almost right); and ``got`` is
    clearly closer to ``wrong`` than to ``expected``.

    A ``fitted`` variant (a factor or a shift computed from the answer itself) can absorb
    part of any error, so it must meet the answer at the caller's own tolerance — the one
    that would have accepted the answer had the variant been the right one.
    """
    if wrong.shape != got.shape:
        return False
    vr, va = _variant_tolerance(expected, wrong, rtol, atol)
    strict = (rtol, min(atol, va))
    for tr, ta in ([strict] if fitted else [(vr, va), strict]):
        if not _close(got, wrong, tr, ta):
            continue
        if wrong.shape != expected.shape:
            return True                 # a different shape already tells them apart
        if _close(wrong, expected, _DISTINCT * tr, _DISTINCT * ta):
            continue
        if _gap(got, wrong) <= _CLOSER * _gap(got, expected):
            return True
    return False


def _explain_scale(c, expected, n=None):
    """(summary, cause) for ``got = c * expected``; ``n`` is the batch size N when known."""
    if expected.size == 1:
        text = f"it is exactly {_fraction(c)} times the expected value."
    else:
        text = f"it equals the expected value times a constant c = {_fraction(c)}."
    if n and n > 2 and (math.isclose(abs(c), n, rel_tol=1e-6)
                        or math.isclose(abs(c), 1 / n, rel_tol=1e-6)):
        which = "N" if abs(c) > 1 else "1/N"
        cause = (f"c = {which} with N = {n}, the number of examples in the batch: a missing "
                 f"or extra 1/N — the loss is the MEAN over the batch (so its gradient "
                 f"carries a factor 1/N): divide by N once, not zero or two times.")
    elif math.isclose(abs(c), 2, rel_tol=1e-6) or math.isclose(abs(c), 0.5, rel_tol=1e-6):
        cause = ("a factor of 2 usually comes from a square: d/dy (y - d)^2 = 2 (y - d); "
                 "check whether your formula has (or lost) the 2, or a 1/2 that is not in "
                 "this loss.")
        if n == 2:
            cause += (" With N = 2 examples it may also be a missing or extra 1/N (the loss "
                      "is the mean over the batch).")
    elif expected.size == 1:
        k = round(abs(c)) if abs(c) > 1 else round(1 / abs(c))
        cause = (f"a factor of {k} too many or too few: a term counted {k} times instead "
                 f"of once (or once instead of {k} times), or a count ({k} examples, paths "
                 f"or terms) multiplied in or divided out by mistake.")
    else:
        cause = ("the structure is right but a constant factor is off: look for a missing "
                 "or extra factor (a 1/N, a learning rate, a 2 from a square, a count).")
    if c < 0:
        cause += " The factor is negative, so the sign is flipped as well."
    return text, cause


def _scale_of(got, expected):
    """Least-squares c with got ~ c * expected, or None when expected is (almost) zero."""
    with _np_errstate(all="ignore"):
        denom = float(_np_vdot(expected.reshape(-1), expected.reshape(-1)))
        if not denom > 0 or not math.isfinite(denom):
            return None
        return float(_np_vdot(got.reshape(-1), expected.reshape(-1))) / denom


def _candidate_factors(got, expected, n):
    """The factors c worth testing as ``got = c * expected``.

    For an array of three or more entries, the least-squares c: when every entry carries
    the same factor, that is structure. For one number (or two, where one fitted factor
    leaves a single check) only the meaningful factors: N and 1/N when the batch size is
    known, 2, 1/2, 3, 1/3, 4, 1/4, with either sign.
    """
    if expected.size > 2:
        c = _scale_of(got, expected)
        if (c is None or not math.isfinite(c) or abs(c) <= 1e-12
                or math.isclose(c, 1.0, rel_tol=1e-4)):
            return []
        return [c]
    simple = ((float(n), 1 / n) if n and n > 2 else ()) + _SIMPLE_FACTORS
    return [sign * c for c in simple for sign in (1.0, -1.0)]


def _match_values(got, expected, rtol, atol, variants, n=None):
    """(summary, cause) for the first wrong variant that ``got`` matches, else None.

    ``n`` is the batch size N for a single number (for an array it is its number of rows).
    """
    for explanation, wrong in (variants or {}).items():
        wrong_arr = _as_float(wrong)
        if wrong_arr is None:
            continue
        if wrong_arr.size == got.size == 1:
            wrong_arr = wrong_arr.reshape(got.shape)
        if _matches(got, wrong_arr, expected, rtol, atol):
            return "it matches a common mistake.", explanation

    if not _np_any(_np_abs(expected) > 0):
        return None                     # all zeros: no sign, factor or transpose to find
    if _matches(got, -expected, expected, rtol, atol):
        return ("its sign is flipped (it equals -1 times the expected value).",
                "a minus sign too many or too few — e.g. (d - y) instead of (y - d), or a "
                "gradient step taken uphill.")
    if expected.ndim == 2 and _matches(got, expected.T, expected, rtol, atol):
        return ("it equals the expected value transposed.",
                "a transpose in the wrong place: nnlib stores W as (out_features, "
                "in_features), and a gradient has the shape of what it is the gradient of "
                "(dW like W: dZ.T @ Y, not Y.T @ dZ).")
    zeros = _np_broadcast_to(0.0, expected.shape)
    if _matches(got, zeros, expected, rtol, atol):
        return ("it is 0." if got.size == 1 else "it is all zeros.",
                "the result was never filled in or accumulated (np.zeros(...) returned as is), "
                "or everything was multiplied by a zero (e.g. a derivative evaluated at the "
                "wrong point).")
    if expected.ndim >= 1 and expected.size > 1:
        n = expected.shape[0]
    for c in _candidate_factors(got, expected, n):
        with _np_errstate(all="ignore"):
            scaled = c * expected
        if _matches(got, scaled, expected, rtol, atol, fitted=expected.size > 2):
            return _explain_scale(c, expected, n)
    with _np_errstate(all="ignore"):
        diff = got - expected
    # a fitted shift is only evidence when it leaves at least two entries to confirm it
    if expected.ndim == 2 and (expected.shape[0] - 1) * expected.shape[1] >= 2:
        with _np_errstate(all="ignore"):
            shift = diff.mean(axis=0)
            shifted = expected + shift
        if _matches(got, shifted, expected, rtol, atol, fitted=True):
            return (f"every row is off by the same vector {_arr(shift)}.",
                    "a missing (or doubled) term that is the same for every row — in "
                    "Z = Y @ W.T + b that is the bias b: check the '+ b' (b, not b[:, None]).")
    if expected.ndim <= 1 and expected.size > 2:
        with _np_errstate(all="ignore"):
            shift = float(diff.mean())
            shifted = expected + shift
        if _matches(got, shifted, expected, rtol, atol, fitted=True):
            return (f"every entry is off by the same constant {_num(shift)}.",
                    "a missing or extra additive term (a bias, a shift such as max(z), or a "
                    "'1 -' / '- 1').")
    square = expected.ndim == 2 and expected.shape[0] == expected.shape[1] and expected.shape[0] > 1
    # "its diagonal is right" is a claim about the answer: it must hold at the caller's own
    # tolerance, the one that found the answer wrong (not the looser variant tolerance).
    if square and _close(got.diagonal(), expected.diagonal(), rtol, atol):
        cause = ("a per-row quantity applied along the wrong axis: a 1-D (n,) array of row sums "
                 "(or maxima, means) broadcasts ACROSS the columns, not down the rows. Keep "
                 "it as a column with keepdims=True (z.sum(axis=1, keepdims=True)).")
        with _np_errstate(all="ignore"):
            ratio = got / expected
            if bool(_np_all(_np_isfinite(ratio[:, 0]))) and ratio[0, 0] != 0:
                s = ratio[:, 0] / ratio[0, 0]                # entry (i, j) scaled by s_i / s_j
                scaled = expected * _np_outer(s, 1.0 / s)
                if (bool(_np_all(_np_isfinite(scaled)))
                        and _matches(got, scaled, expected, rtol, atol, fitted=True)):
                    return ("its diagonal is right but each off-diagonal entry (i, j) is "
                            "scaled by a factor r_i / r_j.", cause)
            s = diff[:, 0] - diff[0, 0]                      # entry (i, j) shifted by s_i - s_j
            shifted = expected + (s[:, None] - s[None, :])
        if _matches(got, shifted, expected, rtol, atol, fitted=True):
            return ("its diagonal is right but each off-diagonal entry (i, j) is shifted by "
                    "s_i - s_j.", cause)
    return None


def _same_values(values, expected, rtol, atol):
    """True when ``values`` (the answer rearranged or reduced) equal ``expected``."""
    return _close(values, expected, *_variant_tolerance(expected, values, rtol, atol))


def _match_shapes(got, expected, rtol, atol, variants):
    """(summary, cause) explaining a shape mismatch, or a plain summary."""
    gs, es = got.shape, expected.shape
    for explanation, wrong in (variants or {}).items():
        wrong_arr = _as_float(wrong)
        if wrong_arr is not None and _matches(got, wrong_arr, expected, rtol, atol):
            return f"its shape is {gs}, expected {es}; it matches a common mistake.", explanation
    if got.ndim == 2 and es == gs[::-1]:
        if _same_values(got.T, expected, rtol, atol):
            return (f"its shape is {gs}, expected {es}: it is the expected array transposed.",
                    "a transpose in the wrong place. nnlib stores W as (out_features, "
                    "in_features) and a batch as (N, features); a gradient has the shape of "
                    "what it is the gradient of (dW like W: dZ.T @ Y).")
        return (f"its shape is {gs}, expected {es} (the transposed shape).",
                "is an operand transposed? For a batch Z = Y @ W.T + b (one example per row, "
                "W of shape (out_features, in_features)); compare each factor's shape.")
    if got.size == expected.size:
        if _same_values(got.reshape(es), expected, rtol, atol):
            return (f"its shape is {gs}, expected {es}: the values are right but arranged in "
                    "the wrong shape.",
                    "a reduction lost a dimension: use keepdims=True (e.g. "
                    "z.sum(axis=1, keepdims=True)), or reshape to the expected shape.")
    n = expected.size
    if got.ndim == 2 and gs == (n, n) and n > 1 and (expected.ndim == 1 or 1 in es):
        return (f"its shape is {gs}, expected {es}: a ({n},) array met a ({n}, 1) array and "
                f"numpy broadcast them to ({n}, {n}).",
                "a lost keepdims: a reduction such as z.sum(axis=1) returns shape (n,), which "
                "does not line up with a column (n, 1). Use keepdims=True or reshape(-1, 1).")
    if got.size > expected.size:
        for axis in range(got.ndim):
            for how, verb in (("sum", "summing"), ("mean", "averaging")):
                with _np_errstate(all="ignore"):
                    reduced = got.sum(axis=axis) if how == "sum" else got.mean(axis=axis)
                if (reduced.size == expected.size
                        and _same_values(reduced.reshape(es), expected, rtol, atol)):
                    return (f"its shape is {gs}, expected {es}; {verb} it over axis {axis} "
                            f"gives the expected values.",
                            f"a missing reduction: take the {how} over axis {axis} (for a bias "
                            f"gradient: db = dZ.sum(axis=0), one entry per output, summed over "
                            f"the examples).")
    return (f"its shape is {gs}, expected {es}.", None)


def _as_answer_array(got, exp, name, rtol, atol, hint):
    """(failure, got as float array, notes): a failure when ``got`` is not an array of numbers."""
    kind = "a numpy array"
    if got is None:
        return _fail(name, "it is None (the function returned nothing).", exp,
                     cause=_no_return_message(name, kind), hint=hint), None, []
    if _isinstance(got, (list, tuple)):
        arr, tname = _as_float(got), type(got).__name__
        if arr is None:
            return _fail(name, f"it is a Python {tname} that numpy cannot turn into one array "
                         "(rows of different lengths, or non-numbers inside).", exp,
                         cause=f"build {name} as a numpy array (np.array, np.zeros, or array "
                         "arithmetic) rather than a list.", hint=hint), None, []
        if _close(arr, exp, rtol, atol):
            return _fail(name, f"the values are right, but it is a Python {tname}, not a numpy "
                         "array.", cause=f"return a numpy array: np.array(...) around your "
                         f"{tname}, or compute with array operations instead of a Python loop "
                         "that appends.", hint=hint), None, []
        return None, arr, [f"Also: {name} is a Python {tname}; return a numpy array."]
    if got.__class__ is bool or _isinstance(got, _np_bool):
        return _fail(name, f"it is {got!r}, a truth value, not an array of numbers.", exp,
                     cause="a comparison (==, <, >) instead of a computation?", hint=hint), None, []
    if _isinstance(got, (int, float, _np_generic)) or (
            _isinstance(got, _np_ndarray) and got.ndim == 0):
        value = _as_float(got)
        if value is None:
            return _fail(name, f"it is {got!r} ({type(got).__name__}), not a real number.", exp,
                         hint=hint), None, []
        if exp.ndim == 0:
            return None, value, []
        with _np_errstate(all="ignore"):
            total, mean = float(exp.sum()), float(exp.mean())
        if _same_values(value, _np_asarray(total), rtol, atol):
            cause = ("it equals the sum of ALL expected entries: np.sum without axis= adds "
                     "everything up; give the axis (e.g. axis=0 to sum over the examples) to "
                     "keep one value per row/column.")
        elif _same_values(value, _np_asarray(mean), rtol, atol):
            cause = ("it equals the mean of ALL expected entries: np.mean without axis= "
                     "averages everything; give the axis.")
        else:
            cause = ("a reduction (sum/mean/max, or .item()/float()) collapsed the array, or a "
                     "loop returned its last value instead of collecting all of them.")
        return _fail(name, f"it is a single number ({_num(value)}), but an array of shape "
                     f"{_shape(exp)} was expected.", exp, value, cause=cause, hint=hint), None, []
    if not _isinstance(got, _np_ndarray):
        return _fail(name, f"it is a {type(got).__name__}, not a numpy array.", exp,
                     cause=_not_arraylike(name, got, kind), hint=hint), None, []
    dtype_kind = got.dtype.kind
    if dtype_kind == "O":
        return _fail(name, "it is an array of Python objects (dtype=object), not of numbers.", exp,
                     cause="numpy makes an object array when the pieces have different shapes "
                     "(a list of arrays of different lengths?) or contain None.",
                     hint=hint), None, []
    if dtype_kind == "c":
        return _fail(name, "it is a complex-valued array.", exp,
                     cause="complex numbers come from np.sqrt/np.power of negative numbers in a "
                     "complex dtype, or np.emath; the answer is real.", hint=hint), None, []
    if dtype_kind in "SUV":
        return _fail(name, f"it is an array of strings (dtype {got.dtype}).", exp,
                     hint=hint), None, []
    if dtype_kind == "b" and exp.dtype.kind != "b":
        return _fail(name, "it is a boolean array (True/False), not numbers.", exp,
                     cause="a comparison such as z > 0 is a mask; multiply it by the values (or "
                     "use np.where) to get numbers.", hint=hint), None, []
    arr = _as_float(got)
    if arr is None:
        return _fail(name, f"it cannot be read as numbers (dtype {got.dtype}).", exp,
                     hint=hint), None, []
    if dtype_kind in "iu" and arr.shape == exp.shape and not _close(arr, exp, rtol, atol):
        with _np_errstate(all="ignore"):
            truncated = (_close(arr, _np_trunc(exp), 1e-9, 1e-9)
                         or _close(arr, _np_floor(exp), 1e-9, 1e-9))
        if truncated:
            return _fail(name, f"it has integer dtype ({got.dtype}), so the fractional parts "
                         "were cut off.", exp, got,
                         cause="the array was created with an integer dtype (np.zeros_like of an "
                         "integer array, or np.array([1, 2, 3])) and float results were stored "
                         "into it; create it with dtype=float.", hint=hint), None, []
    return None, arr, []


# --------------------------------------------------------------------------- public checks
def check_array(got, expected, *, name="dW", rtol=1e-6, atol=1e-9, variants=None, hint=None):
    """Check that ``got`` is a numpy array equal to ``expected`` (shape and values).

    Parameters
    ----------
    got : numpy.ndarray
        The student's answer.
    expected : array_like
        The right answer (its shape is the required shape).
    name : str
        What the answer is called in the lecture (``"dW"``, ``"Z"``...); used in the message.
    rtol, atol : float
        Tolerances: entry-wise ``|got - expected| <= atol + rtol * |expected|``.
    variants : dict of {str: array_like}, optional
        Known wrong answers, ``{"explanation of the misconception": wrong_value}``; when
        ``got`` matches one, the message gives that explanation. Tried before the
        built-in variants.
    hint : str, optional
        One more sentence added to any failure message.

    Returns
    -------
    None
        When the answer is right (nothing is printed).

    Raises
    ------
    AssertionError
        When it is wrong, with a message saying what is wrong and the likely cause.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> check_array(W.copy(), W, name="dW")
    >>> check_array(W.T, W, name="dW")
    Traceback (most recent call last):
        ...
    AssertionError: dW is not right: its shape is (3, 2), expected (2, 3): it is the expected array transposed.
      expected (shape (2, 3)):
        [[1. 2. 3.]
         [4. 5. 6.]]
      got (shape (3, 2)):
        [[1. 4.]
         [2. 5.]
         [3. 6.]]
      Likely cause: a transpose in the wrong place. nnlib stores W as (out_features, in_features) and a batch as (N, features); a gradient has the shape of what it is the gradient of (dW like W: dZ.T @ Y).
    >>> check_array(W / 2, W, name="dW", variants={"you used 1/2 (y - d)^2": W / 2})
    Traceback (most recent call last):
        ...
    AssertionError: dW is not right: it matches a common mistake.
      expected (shape (2, 3)):
        [[1. 2. 3.]
         [4. 5. 6.]]
      got (shape (2, 3)):
        [[0.5 1.  1.5]
         [2.  2.5 3. ]]
      max abs error: 3 at index (1, 2) (expected 6, got 3)
      Likely cause: you used 1/2 (y - d)^2
    """
    __tracebackhide__ = True     # students see their line and the message, not ours
    exp = _as_float(expected)
    if exp is None:
        raise TypeError(f"check_array: expected value for {name} is not numeric: {expected!r}")
    failure, got_arr, notes = _as_answer_array(got, exp, name, rtol, atol, hint)
    if failure is not None:
        raise failure

    # NaN / inf where the answer is finite
    with _np_errstate(all="ignore"):
        bad = ~_np_isfinite(got_arr)
        if got_arr.shape == exp.shape:
            bad &= _np_isfinite(exp)     # a non-finite expected entry is the caller's business
    if bool(_np_any(bad)):
        count = int(bad.sum())
        what = "NaN" if bool(_np_any(_np_isnan(got_arr))) else "inf"
        where = ""
        if got_arr.ndim:
            first = _np_unravel_index(int(_np_argmax(bad.reshape(-1))), got_arr.shape)
            where = f" (first at index {_index(first)})"
        raise _fail(name, f"it contains {what} in {count} of {got_arr.size} entries{where}.",
                    exp, got_arr, cause=_OVERFLOW, hint=hint, extra=notes)

    if got_arr.shape != exp.shape:
        summary, cause = _match_shapes(got_arr, exp, rtol, atol, variants)
        raise _fail(name, summary, exp, got_arr, cause=cause, hint=hint, extra=notes)

    if _close(got_arr, exp, rtol, atol):
        return None

    with _np_errstate(all="ignore"):
        wrong = ~_np_isclose(got_arr, exp, rtol=rtol, atol=atol, equal_nan=True)
    n_wrong = int(wrong.sum())
    found = _match_values(got_arr, exp, rtol, atol, variants)
    if found is None:
        summary = (f"{n_wrong} of {exp.size} entries differ from the expected values "
                   f"(tolerance rtol={rtol:g}, atol={atol:g}).")
        cause = None
        if exp.ndim == 2 and n_wrong:
            rows = sorted({int(i) for i in _np_nonzero(wrong)[0]})
            cols = sorted({int(j) for j in _np_nonzero(wrong)[1]})
            if len(rows) < exp.shape[0]:
                notes.append(f"Only rows {rows} are wrong; the others are right.")
            elif len(cols) < exp.shape[1]:
                notes.append(f"Only columns {cols} are wrong; the others are right.")
    else:
        summary, cause = found
    raise _fail(name, summary, exp, got_arr, error=_max_error(got_arr, exp), cause=cause, hint=hint,
          extra=notes)


def check_scalar(got, expected, *, name="loss", rtol=1e-6, atol=1e-9, variants=None, hint=None,
                 batch_size=None):
    """Check that ``got`` is a single number equal to ``expected``.

    Python ints and floats, numpy scalars and 0-d arrays count as numbers; a list,
    an array with dimensions (even of size 1), ``None`` and ``bool`` do not.

    Parameters
    ----------
    got : float
        The student's answer.
    expected : float
        The right answer.
    name : str
        What the number is called in the lecture; used in the message.
    rtol, atol : float
        Tolerances: ``|got - expected| <= atol + rtol * |expected|``.
    variants : dict of {str: float}, optional
        Known wrong answers ``{"explanation": wrong_value}``, tried first.
    hint : str, optional
        One more sentence added to any failure message.
    batch_size : int, optional
        N, the number of examples the number was computed from (for a loss or a mean).
        When given, an answer N or 1/N times the expected one is named as a missing or
        extra 1/N (a sum where the mean was meant, or the mean taken twice).

    Returns
    -------
    None
        When the answer is right.

    Notes
    -----
    Any two non-zero numbers are multiples of each other, so a factor between the answer
    and the expected value is only named when it means something: N or 1/N (with
    ``batch_size``), 2 or 1/2 (a square's derivative), 3, 4, 1/3 or 1/4 (a count), with
    either sign.

    Raises
    ------
    AssertionError
        When it is wrong, with the reason.

    Examples
    --------
    >>> check_scalar(1.0176, 1.0176, name="loss")
    >>> check_scalar(4.0704, 1.0176, name="loss", batch_size=4)
    Traceback (most recent call last):
        ...
    AssertionError: loss is not right: it is exactly 4 times the expected value.
      expected: 1.0176
      got:      4.0704
      abs error: 3.0528 (expected 1.0176, got 4.0704)
      Likely cause: c = N with N = 4, the number of examples in the batch: a missing or extra 1/N — the loss is the MEAN over the batch (so its gradient carries a factor 1/N): divide by N once, not zero or two times.
    >>> check_scalar(1.3, 1.0176, name="loss")         # no meaningful factor: no cause
    Traceback (most recent call last):
        ...
    AssertionError: loss is not right: it differs from the expected value (tolerance rtol=1e-06, atol=1e-09).
      expected: 1.0176
      got:      1.3
      abs error: 0.2824 (expected 1.0176, got 1.3)
    """
    __tracebackhide__ = True     # students see their line and the message, not ours
    kind = "a number"
    exp = _as_float(expected)
    if exp is None or exp.size != 1:
        raise TypeError(f"check_scalar: expected value for {name} must be one number, "
                        f"got {expected!r}")
    exp = exp.reshape(())
    # checked up front: a test author's mistake must show even when the answer is right
    if batch_size is not None and (_isinstance(batch_size, bool) or not _isinstance(
            batch_size, (int, _np_generic)) or int(batch_size) != batch_size or batch_size < 1):
        raise TypeError(f"check_scalar: batch_size must be a positive whole number, "
                        f"got {batch_size!r}")
    n = None if batch_size is None else int(batch_size)
    if got is None:
        raise _fail(name, "it is None (the function returned nothing).", exp,
                    cause=_no_return_message(name, kind), hint=hint)
    if got.__class__ is bool or _isinstance(got, _np_bool):
        raise _fail(name, f"it is {got!r}, a truth value, not a number.", exp,
                    cause="a comparison (==, <, >) instead of a computation?", hint=hint)
    if _isinstance(got, (list, tuple)) or (_isinstance(got, _np_ndarray) and got.ndim > 0):
        raise _not_a_number(got, exp, name, rtol, atol, hint)
    if not _isinstance(got, (int, float, _np_generic, _np_ndarray)):
        raise _fail(name, f"it is a {type(got).__name__}, not a number.", exp,
                    cause=_not_arraylike(name, got, kind), hint=hint)
    value = _as_float(got)
    if value is None or (_isinstance(got, (_np_generic, _np_ndarray))
                         and got.dtype.kind in "cOSUV"):
        raise _fail(name, f"it is {got!r} ({type(got).__name__}), not a real number.", exp,
                    hint=hint)
    value = value.reshape(())
    if not math.isfinite(float(value)):
        raise _fail(name, f"it is {_num(value)}.", exp, value, cause=_OVERFLOW, hint=hint)
    if _close(value, exp, rtol, atol):
        return None
    found = _match_values(value, exp, rtol, atol, variants, n)
    summary, cause = found or (f"it differs from the expected value (tolerance rtol={rtol:g}, "
                               f"atol={atol:g}).", None)
    raise _fail(name, summary, exp, value, error=_max_error(value, exp), cause=cause, hint=hint)


def _not_a_number(got, exp, name, rtol, atol, hint):
    """The failure for a list or an array where one number was expected."""
    arr = _as_float(got)
    tname = "Python " + type(got).__name__ if _isinstance(got, (list, tuple)) else "numpy array"
    if arr is None:
        return _fail(name, f"it is a {tname}, not a single number.", exp, hint=hint)
    shape_note = (f" of shape {_shape(arr)}" if tname == "numpy array"
                  else f" with {arr.size} value{'s' if arr.size != 1 else ''}")
    if arr.size == 1 and _close(arr.reshape(()), exp, rtol, atol):
        return _fail(name, f"the value is right, but it is a {tname}{shape_note}, not a single "
                     "number.", cause="return a plain number: float(x) or x.item() (or reduce "
                     "without keepdims=True).", hint=hint)
    cause = None
    if arr.size > 1:
        with _np_errstate(all="ignore"):
            mean, total = _np_asarray(arr.mean()), _np_asarray(arr.sum())
        if _same_values(mean, exp, rtol, atol):
            cause = (f"the MEAN of your {arr.size} values is the expected {name}: you returned "
                     "one value per example (or entry); average them (np.mean).")
        elif _same_values(total, exp, rtol, atol):
            cause = (f"the SUM of your {arr.size} values is the expected {name}: you returned "
                     "the separate terms; add them up (np.sum).")
    return _fail(name, f"it is a {tname}{shape_note}, not a single number.", exp, arr,
                 cause=cause, hint=hint)


def check_shape(got, expected_shape, *, name="Z", hint=None):
    """Check that ``got`` is a numpy array of shape ``expected_shape``.

    Parameters
    ----------
    got : numpy.ndarray
        The student's answer.
    expected_shape : tuple of int or None
        The required shape; ``None`` in a position accepts any length there.
    name : str
        What the array is called in the lecture; used in the message.
    hint : str, optional
        One more sentence added to any failure message.

    Returns
    -------
    None
        When the shape is right.

    Raises
    ------
    AssertionError
        When ``got`` is not an array or has another shape.

    Examples
    --------
    >>> import numpy as np
    >>> check_shape(np.zeros((4, 3)), (4, 3), name="Z")
    >>> check_shape(np.zeros((7, 2)), (None, 2), name="Z")     # None: any number of rows
    >>> check_shape(np.zeros((4,)), (4, 1), name="s")
    Traceback (most recent call last):
        ...
    AssertionError: s is not right: its shape is (4,), expected (4, 1).
      Likely cause: a reduction lost a dimension: use keepdims=True (e.g. z.sum(axis=1, keepdims=True)) or reshape(-1, 1).
    """
    __tracebackhide__ = True     # students see their line and the message, not ours
    want = (tuple(expected_shape) if _isinstance(expected_shape, (tuple, list))
            else (expected_shape,))
    shown = ("(" + ", ".join("any" if d is None else str(d) for d in want)
             + ("," if len(want) == 1 else "") + ")")
    if got is None:
        raise _fail(name, "it is None (the function returned nothing).",
                    cause=_no_return_message(name, f"an array of shape {shown}"), hint=hint)
    if _isinstance(got, (list, tuple)):
        raise _fail(name, f"it is a Python {type(got).__name__}, not a numpy array of shape "
                    f"{shown}.", cause="return a numpy array: np.array(...) or array arithmetic "
                    "instead of a list.", hint=hint)
    if _isinstance(got, (int, float, _np_generic)):
        raise _fail(name, f"it is a single number ({got!r}), not an array of shape {shown}.",
                    cause="a reduction (sum/mean/max without axis=) collapsed the array.",
                    hint=hint)
    if not _isinstance(got, _np_ndarray):
        raise _fail(name, f"it is a {type(got).__name__}, not a numpy array.",
                    cause=_not_arraylike(name, got, "a numpy array"), hint=hint)
    gs = tuple(int(n) for n in got.shape)
    if len(gs) == len(want) and all(w is None or w == g for w, g in zip(want, gs)):
        return None
    cause = None
    fixed = tuple(g if w is None else w for w, g in zip(want, gs)) if len(gs) == len(want) else want
    if len(gs) == 2 and None not in fixed and gs[::-1] == fixed:
        cause = ("the shape is transposed: is W transposed (Y @ W vs Y @ W.T), or are examples "
                 "in columns instead of rows? nnlib: batch (N, features), W (out_features, "
                 "in_features).")
    elif None not in want and tuple(d for d in gs if d != 1) == tuple(d for d in want if d != 1):
        cause = ("a reduction lost a dimension: use keepdims=True (e.g. z.sum(axis=1, "
                 "keepdims=True)) or reshape(-1, 1)." if len(gs) < len(want) else
                 "an extra dimension of length 1: index it away (x[:, 0]) or reshape.")
    elif len(gs) == 2 and gs[0] == gs[1] and want in ((gs[0],), (gs[0], 1), (1, gs[0])):
        cause = (f"a ({gs[0]},) array met a ({gs[0]}, 1) array and numpy broadcast them to "
                 f"{gs}: keep the column shape with keepdims=True or reshape(-1, 1).")
    raise _fail(name, f"its shape is {gs}, expected {shown}.", cause=cause, hint=hint)


# --------------------------------------------------------------------------- forbid
def _resolve(target):
    """The object a dotted name such as 'nnlib.losses.SoftmaxCrossEntropy' refers to."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise ValueError(f"forbid: cannot find {target!r} ({attr!r} missing)") from None
        return obj
    raise ValueError(f"forbid: cannot import any module of {target!r}")


def _public_name(obj):
    """'nnlib.Softmax' when nnlib exports the object, else its module path + qualname."""
    module = getattr(obj, "__module__", None) or "?"
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    top = module.split(".")[0]
    head = qual.split(".")[0]
    try:
        package = importlib.import_module(top)
        if getattr(package, head, None) is _resolve(f"{module}.{head}"):
            return f"{top}.{qual}"
    except Exception:  # the name is only used in a message; never fail because of it
        pass
    return f"{module}.{qual}"


_GATE_MARK = "__nnlib_checks_forbid_gate__"
_TEMPLATES = {}


def _gate_template(freevars):
    """Code for ``def f(*args, **kwargs): return GATE(args, kwargs)`` with the given free variables.

    A function's ``__code__`` may only be swapped for code with the same free
    variables (e.g. ``__class__`` in methods that call ``super()``); CPython sorts
    free variables by name, so declaring the same names reproduces their order.
    GATE is a string constant here, replaced by the real gate in ``_gate_code``.
    """
    if freevars not in _TEMPLATES:
        assign = "".join(f"    {v} = None\n" for v in freevars)
        touch = "".join(f"        {v}\n" for v in freevars)
        source = (f"def _outer():\n{assign}"
                  f"    def forbidden(*args, **kwargs):\n{touch}"
                  f"        __tracebackhide__ = True\n"
                  f"        gate = {_GATE_MARK!r}\n"
                  f"        return gate(args, kwargs)\n"
                  f"    return forbidden\n")
        namespace = {}
        exec(compile(source, "<nnlib.checks.forbid>", "exec"), namespace)
        code = namespace["_outer"]().__code__
        if code.co_freevars != freevars:
            raise RuntimeError(f"forbid: cannot mirror free variables {freevars}")
        _TEMPLATES[freevars] = code
    return _TEMPLATES[freevars]


def _gate_code(freevars, gate):
    template = _gate_template(freevars)
    consts = tuple(gate if _isinstance(c, str) and c == _GATE_MARK else c
                   for c in template.co_consts)
    return template.replace(co_consts=consts)


def _make_gate(original, owner, message, method=None, wording=None):
    """Raise for calls on instances of ``owner`` (every call when owner is None), else delegate.

    ``method`` (the forbidden function, when it is a method) names the error after the
    class of the instance it is called on: Sigmoid.backward, not _Activation.backward;
    ``wording(short, full)`` makes that message.
    """
    def gate(args, kwargs):
        __tracebackhide__ = True
        if owner is None or (args and _isinstance(args[0], owner)):
            text = message
            if method is not None and args:
                cls = type(args[0])
                if getattr(cls, method.__name__, None) is method:
                    text = wording(f"{cls.__qualname__}.{method.__name__}",
                                   f"{_public_name(cls)}.{method.__name__}")
            raise _AssertionError(text)
        return original(*args, **kwargs)
    return gate


def _message(short, full, reason=None, message=None):
    """The text of the AssertionError raised when ``short`` (dotted path ``full``) is called.

    Without a ``reason`` the blocked callable is the exercise's subject ("write it
    yourself"). With one, it may just as well be a helper the exercise must do without
    (nnlib.numerical_gradient, InfluenceDiagram), so the wording is neutral and the reason
    says what to do instead. A ``message`` replaces the whole text.
    """
    if message is not None:
        return message
    where = "" if full == f"nnlib.{short}" else f" ({full})"
    if reason:
        return f"This exercise must not use nnlib's {short}{where}: {reason}"
    return (f"This exercise asks you to write {short} yourself — calling nnlib's {short}{where} "
            f"earns no credit here. Write it with numpy operations; nnlib's version "
            f"is what your answer is compared against.")


def _names(obj):
    """(short, full) names for messages: ('Softmax.forward', 'nnlib.Softmax.forward')."""
    full = _public_name(obj)
    return getattr(obj, "__qualname__", None) or full, full


def _is_plain_function(obj):
    return type(obj) is type(_num) and hasattr(obj, "__code__")


class forbid:
    """Make nnlib callables raise a teaching AssertionError while the block runs.

    Used by test cells so that an answer which merely calls nnlib's own
    implementation earns nothing.  Targets may be classes, functions, methods,
    bound methods, or dotted-name strings (``"nnlib.losses.SoftmaxCrossEntropy"``).

    - A Python function or method has its ``__code__`` swapped for a gate that
      raises, so aliases the student already holds (``f = nnlib.softmax``,
      ``m = layer.forward``) trip as well.
    - A class has ``__init__``, ``__call__`` and every public method raise when called
      on the class or its instances (also instances created earlier, and
      subclasses).  Methods it inherits are gated for its instances only, so
      sibling classes sharing a base keep working.
    - A method named by a dotted string (``"nnlib.Softmax.forward"``) that the class
      inherits is likewise gated for that class only.  The same method given as an
      object (``nnlib.Softmax.forward``) *is* the base class's function: it is
      blocked for every class sharing it (the message names the instance's class,
      ``Sigmoid.forward``); use the string to block one class only.
    - Anything else (builtins, numpy ufuncs) is replaced where the dotted name
      points; only then may aliases escape.

    Everything is restored on exit, also after an exception; nesting (even of the
    same target, even the same ``forbid`` object) is fine.

    Parameters
    ----------
    *targets : class, function, method or str
        What the student must not call.
    reason : str, optional
        What to do instead, appended to a neutral message: "This exercise must not use
        nnlib's numerical_gradient (nnlib.gradcheck.numerical_gradient): <reason>". Without
        it the message treats the target as the exercise's subject ("This exercise asks
        you to write softmax yourself — … earns no credit here …").
    message : str, optional
        The whole message, used as is for every target (instead of the generated one);
        give ``message`` or ``reason``, not both.

    Raises
    ------
    ValueError
        On entry, when a dotted name does not resolve (a mistake of the test's author).
    TypeError
        On entry, when a target cannot be forbidden.

    Examples
    --------
    >>> import numpy as np
    >>> with forbid(check_shape):
    ...     check_shape(np.zeros(3), (3,))
    Traceback (most recent call last):
        ...
    AssertionError: This exercise asks you to write check_shape yourself — calling nnlib's check_shape (nnlib.checks.check_shape) earns no credit here. Write it with numpy operations; nnlib's version is what your answer is compared against.
    >>> with forbid(check_shape, reason="Compare got.shape with the tuple yourself."):
    ...     check_shape(np.zeros(3), (3,))
    Traceback (most recent call last):
        ...
    AssertionError: This exercise must not use nnlib's check_shape (nnlib.checks.check_shape): Compare got.shape with the tuple yourself.
    >>> with forbid(check_shape, message="Read the shape yourself: got.shape is a tuple."):
    ...     check_shape(np.zeros(3), (3,))
    Traceback (most recent call last):
        ...
    AssertionError: Read the shape yourself: got.shape is a tuple.
    >>> check_shape(np.zeros(3), (3,))      # restored after the block
    """

    def __init__(self, *targets, reason=None, message=None):
        if not targets:
            raise TypeError("forbid: give at least one target")
        if message is not None and not _isinstance(message, str):
            raise TypeError(f"forbid: message must be a string, got {message!r}")
        if reason is not None and message is not None:
            raise TypeError("forbid: give message= (the whole text) or reason= (appended to "
                            "the generated text), not both")
        self._targets = targets
        self._reason = reason
        self._custom = message
        self._stack = []

    def _wording(self, short, full):
        return _message(short, full, self._reason, self._custom)

    def _gate_function(self, func, owner, message, undo, by_instance=False):
        code = func.__code__
        original = type(func)(code, func.__globals__, func.__name__, func.__defaults__,
                              func.__closure__)
        original.__kwdefaults__ = func.__kwdefaults__
        gate = _make_gate(original, owner, message, func if by_instance else None, self._wording)
        undo.append(("code", func, code))
        func.__code__ = _gate_code(code.co_freevars, gate)

    @staticmethod
    def _raising_function(message):
        def forbidden(*args, **kwargs):
            __tracebackhide__ = True
            raise _AssertionError(message)
        return forbidden

    def _patch_class(self, cls, message, undo):
        seen = set()
        for klass in cls.__mro__[:-1]:                  # every base but object
            for name, value in vars(klass).items():
                if name in seen:
                    continue
                seen.add(name)                          # the first in the MRO is the one used
                if _is_plain_function(value) and (not name.startswith("_")
                                                  or name in ("__init__", "__call__")):
                    self._gate_function(value, None if klass is cls else cls, message, undo)
        if "__init__" not in seen:                      # object.__init__: shadow it
            undo.append(("attr", cls, "__init__", False, None))
            cls.__init__ = self._raising_function(message)

    def _patch(self, target, undo):
        if _isinstance(target, str):
            obj = _resolve(target)
            owner_path, _, attr = target.rpartition(".")
            owner = _resolve(owner_path) if owner_path else None
        else:
            obj, owner, attr = target, None, None
        obj = getattr(obj, "__func__", obj)             # bound method -> its function
        if _isinstance(obj, type):
            self._patch_class(obj, self._wording(*_names(obj)), undo)
        elif _is_plain_function(obj):
            if _isinstance(owner, type) and attr not in vars(owner):
                # an inherited method named through a subclass: block it for that class only
                short = f"{owner.__qualname__}.{attr}"
                full = f"{_public_name(owner)}.{attr}"
                self._gate_function(obj, owner, self._wording(short, full), undo)
            else:
                # a method object may be a base class's (nnlib.Sigmoid.backward *is*
                # _Activation.backward): it is blocked for every class sharing it, and the
                # message names the class of the instance it is called on
                self._gate_function(obj, None, self._wording(*_names(obj)), undo,
                                    by_instance="." in obj.__qualname__)
        elif _isinstance(target, str) and callable(obj) and owner is not None:
            undo.append(("attr", owner, attr, True, getattr(owner, attr)))
            setattr(owner, attr, self._raising_function(self._wording(attr, target)))
        else:
            raise TypeError(f"forbid: cannot forbid {target!r}; give an nnlib class, function, "
                            "method, or its dotted name as a string")

    def __enter__(self):
        undo = []
        try:
            for target in self._targets:
                self._patch(target, undo)
        except BaseException:
            self._undo(undo)
            raise
        self._stack.append(undo)
        return self

    @staticmethod
    def _undo(undo):
        for entry in reversed(undo):
            if entry[0] == "code":
                entry[1].__code__ = entry[2]
            else:
                _, owner, attr, had, old = entry
                if had:
                    setattr(owner, attr, old)
                else:
                    try:
                        delattr(owner, attr)
                    except AttributeError:
                        pass

    def __exit__(self, exc_type, exc, tb):
        self._undo(self._stack.pop())
        return False
