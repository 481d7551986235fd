"""Misconception matching: which known wrong variant of the expected value an answer equals.

A misconception is only named when the answer actually matches a wrong variant of the expected
value; nothing is guessed. "Matches" means: equal within a tolerance relative to the size of the
values (so 1e-14 and 3.6e-12 are different), with the variant itself far outside that tolerance
of the right answer (so an answer that is merely a little off, such as a numerical estimate, is
reported as "values differ" with no cause), and a variant fitted to the answer (a factor, a
shift) met at the caller's own tolerance.
"""

from __future__ import annotations

import math

from .frozen import (np_abs, np_all, np_any, np_array, np_broadcast_to, np_errstate, np_float64,
                     np_isfinite, np_isnan, np_outer, np_vdot)
from .messages import format_array, format_fraction, format_number
from .values import all_close, as_float

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
# ... and the change of a logarithm's base, which scales a log by exactly these numbers
_LOG_FACTORS = (1 / math.log(10), math.log(10), 1 / math.log(2), math.log(2))


# what an answer that is all zeros says -- several mechanisms, so all of them
ZEROS = ("nothing reached the result: it was never filled in or accumulated (np.zeros(...) "
         "returned as is), everything was multiplied by a zero, two terms that should add "
         "cancelled (a sign), or an integer division (//, or int()) rounded it down.")


def _largest(a):
    """The largest finite magnitude in ``a`` (0 when there is none)."""
    with np_errstate(all="ignore"):
        finite = np_abs(a[np_isfinite(a)])
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
    with np_errstate(all="ignore"):
        diff = np_abs(a - b)
        same = (a == b) | (np_isnan(a) & np_isnan(b))
    diff = np_array(diff, dtype=np_float64, copy=True).reshape(-1)
    diff[same.reshape(-1)] = 0.0
    diff[np_isnan(diff)] = math.inf
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
        if not all_close(got, wrong, tr, ta):
            continue
        if wrong.shape != expected.shape:
            return True                 # a different shape already tells them apart
        if all_close(wrong, expected, _DISTINCT * tr, _DISTINCT * ta):
            continue
        if _gap(got, wrong) <= _CLOSER * _gap(got, expected):
            return True
    return False


def _explain_scale(c, expected, n=None):
    """(summary, cause) for ``got = c * expected``; ``n`` is the batch size N when known."""
    if expected.size == 1:
        text = f"it is exactly {format_fraction(c)} times the expected value."
    else:
        text = f"it equals the expected value times a constant c = {format_fraction(c)}."
    if n and n > 2 and (math.isclose(abs(c), n, rel_tol=1e-6)
                        or math.isclose(abs(c), 1 / n, rel_tol=1e-6)):
        which = "N" if abs(c) > 1 else "1/N"
        cause = (f"c = {which} with N = {n}, the number of examples in the batch: a missing "
                 f"or extra 1/N — the loss is the MEAN over the batch (so its gradient "
                 f"carries a factor 1/N): divide by N once, not zero or two times.")
    elif math.isclose(abs(c), 2, rel_tol=1e-6) or math.isclose(abs(c), 0.5, rel_tol=1e-6):
        cause = ("a factor 2 too many or too few, the same in every entry: compare the 2s of "
                 "your formula with the right one's (the 2 of a square's derivative, as in "
                 "d(x²)/dx = 2x, or a term counted twice or halved).")
        if n == 2:
            cause += (" With N = 2 examples it may also be a missing or extra 1/N (the loss "
                      "is the mean over the batch).")
    elif _log_base(c):
        cause = _log_base(c)
    elif expected.size == 1:
        k = round(abs(c)) if abs(c) > 1 else round(1 / abs(c))
        cause = (f"a factor of {k} too many or too few: a term counted {k} times instead "
                 f"of once (or once instead of {k} times), or a count ({k} examples, paths "
                 f"or terms) multiplied in or divided out by mistake.")
    else:
        # no simple factor: naming a 1/N or a learning rate here would be a guess
        cause = ("the structure is right but one factor common to every entry is off: find the "
                 "term of your formula that multiplies everything (a scale, a count, a derivative "
                 "evaluated at the wrong point) and compare it with the expected formula.")
    if c < 0:
        cause += " The factor is negative, so the sign is flipped as well."
    return text, cause


def _log_base(c):
    """The cause of a factor that is a change of logarithm base (1/ln 10, ln 10, 1/ln 2, ln 2)."""
    for value, name, text in ((1 / math.log(10), "1/ln 10", "log10 where the natural log is meant"),
                              (math.log(10), "ln 10", "the natural log where log10 is meant"),
                              (1 / math.log(2), "1/ln 2", "log2 where the natural log is meant"),
                              (math.log(2), "ln 2", "the natural log where log2 is meant")):
        if math.isclose(abs(c), value, rel_tol=1e-6):
            return (f"c = {format_number(abs(c))} = {name}, the factor between two logarithms: "
                    f"a {text} (log10(x) = ln(x) / ln 10; np.log is the natural log).")
    return None


def _scale_of(got, expected):
    """Least-squares c with got ~ c * expected, or None when expected is (almost) zero."""
    with np_errstate(all="ignore"):
        denom = float(np_vdot(expected.reshape(-1), expected.reshape(-1)))
        if not denom > 0 or not math.isfinite(denom):
            return None
        return float(np_vdot(got.reshape(-1), expected.reshape(-1))) / denom


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
    simple = ((float(n), 1 / n) if n and n > 2 else ()) + _SIMPLE_FACTORS + _LOG_FACTORS
    return [sign * c for c in simple for sign in (1.0, -1.0)]


def _caller_variant(got, expected, rtol, atol, variants):
    """The caller's own explanation, when ``got`` equals one or more of its wrong ``variants``.

    Two mistakes can give the same numbers on one input (feeding Z forward and applying no
    activation agree on the output; a sum over K classes and a mean over N*K entries agree when
    N = 1). Naming only the first would be a guess, so every matching explanation is given.
    """
    found = []
    for explanation, wrong in (variants or {}).items():
        wrong_arr = as_float(wrong)
        if wrong_arr is None:
            continue
        if wrong_arr.size == got.size == 1:
            wrong_arr = wrong_arr.reshape(got.shape)
        if _matches(got, wrong_arr, expected, rtol, atol) and explanation not in found:
            found.append(explanation)
    if not found:
        return None
    if len(found) == 1:
        return "it matches a common mistake.", found[0]
    return (f"it matches {len(found)} common mistakes, which give the same values on this input.",
            " OR ".join(f"({k}) {text}" for k, text in enumerate(found, 1)))


def _sign_transpose_or_zeros(got, expected, rtol, atol):
    """A flipped sign, a transpose (square arrays) or all zeros."""
    if _matches(got, -expected, expected, rtol, atol):
        return ("its sign is flipped (it equals -1 times the expected value).",
                "a minus sign too many or too few — e.g. (d - y) instead of (y - d), or a "
                "gradient step taken uphill.")
    if expected.ndim == 2 and _matches(got, expected.T, expected, rtol, atol):
        return ("it equals the expected value transposed.",
                "a transpose in the wrong place: nnlib stores W as (out_features, "
                "in_features), and a gradient has the shape of what it is the gradient of "
                "(dW like W: dZ.T @ Y, not Y.T @ dZ).")
    zeros = np_broadcast_to(0.0, expected.shape)
    if _matches(got, zeros, expected, rtol, atol):
        return ("it is 0." if got.size == 1 else "it is all zeros.", ZEROS)
    return None


def _constant_factor(got, expected, rtol, atol, n):
    """``got = c * expected`` for a factor worth naming (see ``_candidate_factors``)."""
    # n is the batch size only when the caller says so: the rows of a dW are neurons and the
    # rows of a Jacobian are outputs, and a factor 2 between them is no "1/N with N = 2".
    for c in _candidate_factors(got, expected, n):
        with np_errstate(all="ignore"):
            scaled = c * expected
        if _matches(got, scaled, expected, rtol, atol, fitted=expected.size > 2):
            return _explain_scale(c, expected, n)
    return None


def _constant_shift(got, expected, rtol, atol):
    """The same vector added to every row (a bias), or the same number to every entry."""
    with np_errstate(all="ignore"):
        diff = got - expected
    # a fitted shift is only evidence when it leaves at least two entries to confirm it
    if expected.ndim == 2 and (expected.shape[0] - 1) * expected.shape[1] >= 2:
        with np_errstate(all="ignore"):
            shift = diff.mean(axis=0)
            shifted = expected + shift
        if _matches(got, shifted, expected, rtol, atol, fitted=True):
            return (f"every row is off by the same vector {format_array(shift)}.",
                    "a missing (or doubled) term that is the same for every row — in "
                    "Z = Y @ W.T + b that is the bias b: check the '+ b' (b, not b[:, None]).")
    if expected.ndim <= 1 and expected.size > 2:
        with np_errstate(all="ignore"):
            shift = float(diff.mean())
            shifted = expected + shift
        if _matches(got, shifted, expected, rtol, atol, fitted=True):
            return (f"every entry is off by the same constant {format_number(shift)}.",
                    "a missing or extra additive term (a bias, a shift such as max(z), or a "
                    "'1 -' / '- 1').")
    return None


def _wrong_axis(got, expected, rtol, atol):
    """A square array with the right diagonal whose entry (i, j) is scaled or shifted by row."""
    square = expected.ndim == 2 and expected.shape[0] == expected.shape[1] and expected.shape[0] > 1
    # "its diagonal is right" is a claim about the answer: it must hold at the caller's own
    # tolerance, the one that found the answer wrong (not the looser variant tolerance).
    if not (square and all_close(got.diagonal(), expected.diagonal(), rtol, atol)):
        return None
    cause = ("a per-row quantity applied along the wrong axis: a 1-D (n,) array of row sums "
             "(or maxima, means) broadcasts ACROSS the columns, not down the rows. Keep "
             "it as a column with keepdims=True (z.sum(axis=1, keepdims=True)).")
    with np_errstate(all="ignore"):
        ratio = got / expected
        if bool(np_all(np_isfinite(ratio[:, 0]))) and ratio[0, 0] != 0:
            s = ratio[:, 0] / ratio[0, 0]                # entry (i, j) scaled by s_i / s_j
            scaled = expected * np_outer(s, 1.0 / s)
            if (bool(np_all(np_isfinite(scaled)))
                    and _matches(got, scaled, expected, rtol, atol, fitted=True)):
                return ("its diagonal is right but each off-diagonal entry (i, j) is "
                        "scaled by a factor r_i / r_j.", cause)
        diff = got - expected
        s = diff[:, 0] - diff[0, 0]                      # entry (i, j) shifted by s_i - s_j
        shifted = expected + (s[:, None] - s[None, :])
    if _matches(got, shifted, expected, rtol, atol, fitted=True):
        return ("its diagonal is right but each off-diagonal entry (i, j) is shifted by "
                "s_i - s_j.", cause)
    return None


def match_values(got, expected, rtol, atol, variants, n=None):
    """(summary, cause) for the first wrong variant that ``got`` matches, else None.

    ``got`` and ``expected`` are float arrays of the same shape. The caller's ``variants``
    are tried first, then the built-in ones in order. ``n`` is the batch size N when the
    caller gave it (``batch_size=``); a factor N or 1/N is only named then.
    """
    found = _caller_variant(got, expected, rtol, atol, variants)
    if found is not None or not np_any(np_abs(expected) > 0):
        return found                    # all zeros: no sign, factor or transpose to find
    return (_sign_transpose_or_zeros(got, expected, rtol, atol)
            or _constant_factor(got, expected, rtol, atol, n)
            or _constant_shift(got, expected, rtol, atol)
            or _wrong_axis(got, expected, rtol, atol))


def same_values(values, expected, rtol, atol):
    """True when ``values`` (the answer rearranged or reduced) equal ``expected``."""
    return all_close(values, expected, *_variant_tolerance(expected, values, rtol, atol))


def match_shapes(got, expected, rtol, atol, variants):
    """(summary, cause) explaining a shape mismatch, or a plain summary."""
    gs, es = got.shape, expected.shape
    for explanation, wrong in (variants or {}).items():
        wrong_arr = as_float(wrong)
        if wrong_arr is not None and _matches(got, wrong_arr, expected, rtol, atol):
            return f"its shape is {gs}, expected {es}; it matches a common mistake.", explanation
    if got.ndim == 2 and es == gs[::-1]:
        if same_values(got.T, expected, rtol, atol):
            return (f"its shape is {gs}, expected {es}: it is the expected array transposed.",
                    "a transpose in the wrong place. nnlib stores W as (out_features, "
                    "in_features) and a batch as (N, features); a gradient has the shape of "
                    "what it is the gradient of (dW like W: dZ.T @ Y).")
        return (f"its shape is {gs}, expected {es} (the transposed shape).",
                "is an operand transposed? For a batch Z = Y @ W.T + b (one example per row, "
                "W of shape (out_features, in_features)); compare each factor's shape.")
    if got.size == expected.size:
        if same_values(got.reshape(es), expected, rtol, atol):
            lost_one = (tuple(d for d in gs if d != 1) == tuple(d for d in es if d != 1)
                        and got.ndim < expected.ndim)
            return (f"its shape is {gs}, expected {es}: the values are right but arranged in "
                    "the wrong shape.",
                    "a reduction lost a dimension: use keepdims=True (e.g. "
                    "z.sum(axis=1, keepdims=True)), or reshape to the expected shape."
                    if lost_one else
                    "the entries were computed in another layout (flattened by ravel/flatten or "
                    "a loop over all entries, or reshaped): return an array of the expected shape "
                    f"{es}, e.g. the result of array operations on the input, or .reshape{es}.")
    n = expected.size
    if got.ndim == 2 and gs == (n, n) and n > 1 and (expected.ndim == 1 or 1 in es):
        return (f"its shape is {gs}, expected {es}: a ({n},) array met a ({n}, 1) array and "
                f"numpy broadcast them to ({n}, {n}).",
                "a lost keepdims: a reduction such as z.sum(axis=1) returns shape (n,), which "
                "does not line up with a column (n, 1). Use keepdims=True or reshape(-1, 1).")
    if got.size > expected.size:
        for axis in range(got.ndim):
            for how, verb in (("sum", "summing"), ("mean", "averaging")):
                with np_errstate(all="ignore"):
                    reduced = got.sum(axis=axis) if how == "sum" else got.mean(axis=axis)
                if (reduced.size == expected.size
                        and same_values(reduced.reshape(es), expected, rtol, atol)):
                    return (f"its shape is {gs}, expected {es}; {verb} it over axis {axis} "
                            f"gives the expected values.",
                            f"a missing reduction: take the {how} over axis {axis} (for a bias "
                            f"gradient: db = dZ.sum(axis=0), one entry per output, summed over "
                            f"the examples).")
    return (f"its shape is {gs}, expected {es}.", None)
