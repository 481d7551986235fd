"""The public checks: ``check_array``, ``check_scalar`` and ``check_shape``.

Each returns ``None`` silently when the answer is right and raises ``AssertionError`` when it
is wrong, with a message that names the likely misconception when one is detected
(:mod:`nnlib.checks.misconceptions`).
"""

from __future__ import annotations

import builtins
import math

from .frozen import (np_abs, np_any, np_argmax, np_asarray, np_bool, np_errstate, np_floor,
                     np_generic, np_isclose, np_isfinite, np_isnan, np_ndarray, np_trunc,
                     np_unravel_index)
from .messages import (OVERFLOW, format_index, format_number, max_error, no_return_message,
                       not_arraylike, shape_of, wrong_answer)
from .misconceptions import match_shapes, match_values, same_values
from .patterns import repeated_values, where_wrong
from .values import all_close, as_float

_isinstance = builtins.isinstance


def _as_answer_array(got, exp, name, rtol, atol, hint):
    """(failure, got as float array, notes): a failure when ``got`` is not an array of numbers."""
    kind = "a numpy array"
    if got is None:
        return wrong_answer(name, "it is None (the function returned nothing).", exp,
                            cause=no_return_message(name, kind), hint=hint), None, []
    if _isinstance(got, (list, tuple)):
        return _sequence_as_array(got, exp, name, rtol, atol, hint)
    if got.__class__ is bool or _isinstance(got, np_bool):
        return wrong_answer(name, f"it is {got!r}, a truth value, not an array of numbers.", exp,
                            cause="a comparison (==, <, >) instead of a computation?",
                            hint=hint), None, []
    if _isinstance(got, (int, float, np_generic)) or (
            _isinstance(got, np_ndarray) and got.ndim == 0):
        return _number_as_array(got, exp, name, rtol, atol, hint)
    if not _isinstance(got, np_ndarray):
        return wrong_answer(name, f"it is a {type(got).__name__}, not a numpy array.", exp,
                            cause=not_arraylike(name, got, kind), hint=hint), None, []
    failure = _dtype_failure(got, exp, name, hint)
    if failure is not None:
        return failure, None, []
    arr = as_float(got)
    if arr is None:
        return wrong_answer(name, f"it cannot be read as numbers (dtype {got.dtype}).", exp,
                            hint=hint), None, []
    return _truncation_failure(got, arr, exp, name, rtol, atol, hint), arr, []


def _sequence_as_array(got, exp, name, rtol, atol, hint):
    """A list or tuple: a failure when it cannot be one array or is right but not an array."""
    arr, tname = as_float(got), type(got).__name__
    if arr is None:
        return wrong_answer(name, f"it is a Python {tname} that numpy cannot turn into one "
                            "array (rows of different lengths, or non-numbers inside).", exp,
                            cause=f"build {name} as a numpy array (np.array, np.zeros, or array "
                            "arithmetic) rather than a list.", hint=hint), None, []
    if all_close(arr, exp, rtol, atol):
        return wrong_answer(name, f"the values are right, but it is a Python {tname}, not a "
                            "numpy array.", cause=f"return a numpy array: np.array(...) around "
                            f"your {tname}, or compute with array operations instead of a "
                            "Python loop that appends.", hint=hint), None, []
    return None, arr, [f"Also: {name} is a Python {tname}; return a numpy array."]


def _number_as_array(got, exp, name, rtol, atol, hint):
    """A single number: right when one was expected, else a failure naming the reduction."""
    value = as_float(got)
    if value is None:
        return wrong_answer(name, f"it is {got!r} ({type(got).__name__}), not a real number.",
                            exp, hint=hint), None, []
    if exp.ndim == 0:
        return None, value, []
    with np_errstate(all="ignore"):
        total, mean = float(exp.sum()), float(exp.mean())
    if same_values(value, np_asarray(total), rtol, atol):
        cause = ("it equals the sum of ALL expected entries: np.sum without axis= adds "
                 "everything up; give the axis (e.g. axis=0 to sum over the examples) to "
                 "keep one value per row/column.")
    elif same_values(value, np_asarray(mean), rtol, atol):
        cause = ("it equals the mean of ALL expected entries: np.mean without axis= "
                 "averages everything; give the axis.")
    else:
        cause = ("a reduction (sum/mean/max, or .item()/float()) collapsed the array, or a "
                 "loop returned its last value instead of collecting all of them.")
    return wrong_answer(name, f"it is a single number ({format_number(value)}), but an array "
                        f"of shape {shape_of(exp)} was expected.", exp, value, cause=cause,
                        hint=hint), None, []


def _dtype_failure(got, exp, name, hint):
    """The failure for an array of objects, complex numbers, strings or booleans, else None."""
    dtype_kind = got.dtype.kind
    if dtype_kind == "O":
        return wrong_answer(name, "it is an array of Python objects (dtype=object), not of "
                            "numbers.", exp, cause="numpy makes an object array when the pieces "
                            "have different shapes (a list of arrays of different lengths?) or "
                            "contain None.", hint=hint)
    if dtype_kind == "c":
        return wrong_answer(name, "it is a complex-valued array.", exp,
                            cause="complex numbers come from np.sqrt/np.power of negative numbers "
                            "in a complex dtype, or np.emath; the answer is real.", hint=hint)
    if dtype_kind in "SUV":
        return wrong_answer(name, f"it is an array of strings (dtype {got.dtype}).", exp,
                            hint=hint)
    if dtype_kind == "b" and exp.dtype.kind != "b":
        return wrong_answer(name, "it is a boolean array (True/False), not numbers.", exp,
                            cause="a comparison such as z > 0 is a mask; multiply it by the "
                            "values (or use np.where) to get numbers.", hint=hint)
    return None


def _truncation_failure(got, arr, exp, name, rtol, atol, hint):
    """The failure for an integer array holding the expected values with their fractions cut."""
    if got.dtype.kind not in "iu" or arr.shape != exp.shape or all_close(arr, exp, rtol, atol):
        return None
    with np_errstate(all="ignore"):
        truncated = (all_close(arr, np_trunc(exp), 1e-9, 1e-9)
                     or all_close(arr, np_floor(exp), 1e-9, 1e-9))
    if not truncated:
        return None
    return wrong_answer(name, f"it has integer dtype ({got.dtype}), so the fractional parts were "
                        "cut off.", exp, got, cause="the array was created with an integer dtype "
                        "(np.zeros_like of an integer array, or np.array([1, 2, 3])) and float "
                        "results were stored into it; create it with dtype=float.", hint=hint)


def check_array(got, expected, *, name="dW", rtol=1e-6, atol=1e-9, variants=None, hint=None,
                nonfinite=None, batch_size=None, near_hint=None):
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
    nonfinite : str or callable, optional
        The likely cause of a NaN or inf in this answer, in the terms of the formula being
        checked (e.g. "a softmax without its max shift"); or a function of the boolean array
        of where the answer is NaN or inf, returning that text (or None), for a test whose rows
        tell the causes apart. Without it the message names no particular function, only what
        produces NaN and inf.
    batch_size : int, optional
        N, when the answer's rows are the N examples of a batch: an answer N or 1/N times the
        expected one is then named as a missing or extra 1/N. Without it no factor is blamed
        on the batch (the rows of a dW are neurons, not examples).
    near_hint : str, optional
        A hint given only when the answer is wrong but agrees with the expected value to at
        least 3 significant digits in every entry (what a numerical estimate does), e.g. "write
        the formula, not a finite difference".

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
    exp = as_float(expected)
    if exp is None:
        raise TypeError(f"check_array: expected value for {name} is not numeric: {expected!r}")
    n = _batch(batch_size, "check_array")     # checked up front: a test author's mistake
    failure, got_arr, notes = _as_answer_array(got, exp, name, rtol, atol, hint)
    if failure is not None:
        raise failure

    failure = _non_finite_failure(got_arr, exp, name, hint, notes, nonfinite)
    if failure is not None:
        raise failure
    if got_arr.shape != exp.shape:
        summary, cause = match_shapes(got_arr, exp, rtol, atol, variants)
        raise wrong_answer(name, summary, exp, got_arr, cause=cause, hint=hint, extra=notes)
    if all_close(got_arr, exp, rtol, atol):
        return None
    summary, cause = (match_values(got_arr, exp, rtol, atol, variants, n)
                      or (_differ_summary(got_arr, exp, rtol, atol, notes), None))
    hint = _near(got_arr, exp, notes, hint, near_hint) if cause is None else hint
    raise wrong_answer(name, summary, exp, got_arr, error=max_error(got_arr, exp), cause=cause,
                       hint=hint, extra=notes)


def agreeing_digits(got, expected):
    """How many significant digits ``got`` shares with ``expected`` in its worst entry (0 to 16;
    0 when an entry is off in its first digit, or where the expected value is 0 and got is not).

    >>> import numpy as np
    >>> agreeing_digits(np.array([1.00001, 2.0]), np.array([1.0, 2.0]))
    5
    >>> agreeing_digits(np.array([0.5]), np.array([1.0]))
    0
    """
    with np_errstate(all="ignore"):
        scale = np_abs(expected)
        err = np_abs(got - expected)
        if bool(np_any((scale == 0) & (err > 0))):
            return 0
        rel = err[scale > 0] / scale[scale > 0]
    worst = float(rel.max()) if rel.size else 0.0
    if not math.isfinite(worst):
        return 0
    if worst == 0.0:
        return 16
    return max(0, min(16, int(math.floor(-math.log10(worst) + 1e-6))))


def _near(got, exp, notes, hint, near_hint):
    """Note how close a wrong answer is, and give ``near_hint`` only when it is close."""
    digits = agreeing_digits(got, exp)
    if digits >= 3:
        if exp.size == 1:        # six digits would show the same number twice: show enough
            shown = max(digits + 3, 7)
            notes.append(f"It agrees with the expected value to about {digits} significant digits "
                         f"(expected {float(exp.reshape(-1)[0]):.{shown}g}, got "
                         f"{float(got.reshape(-1)[0]):.{shown}g}), but not to the tolerance.")
        else:
            notes.append(f"Every entry agrees with the expected value to about {digits} "
                         "significant digits, but not to the tolerance.")
        if near_hint:
            return f"{hint} {near_hint}" if hint else near_hint
    return hint


def _batch(batch_size, who):
    """``batch_size`` as an int (None when not given); a TypeError for anything else."""
    if batch_size is not None and (_isinstance(batch_size, bool) or not _isinstance(
            batch_size, (int, np_generic)) or int(batch_size) != batch_size or batch_size < 1):
        raise TypeError(f"{who}: batch_size must be a positive whole number, got {batch_size!r}")
    return None if batch_size is None else int(batch_size)


def _non_finite_failure(got_arr, exp, name, hint, notes, nonfinite=None):
    """The failure for NaN or inf where the answer is finite, else None."""
    with np_errstate(all="ignore"):
        bad = ~np_isfinite(got_arr)
        if got_arr.shape == exp.shape:
            bad &= np_isfinite(exp)     # a non-finite expected entry is the caller's business
    if not bool(np_any(bad)):
        return None
    count = int(bad.sum())
    what = "NaN" if bool(np_any(np_isnan(got_arr))) else "inf"
    where = ""
    if got_arr.ndim:
        first = np_unravel_index(int(np_argmax(bad.reshape(-1))), got_arr.shape)
        where = f" (first at index {format_index(first)})"
    if callable(nonfinite):            # the test reads where the NaN are: evidence for a cause
        nonfinite = nonfinite(bad)
    return wrong_answer(name, f"it contains {what} in {count} of {got_arr.size} entries{where}.",
                        exp, got_arr, cause=nonfinite or OVERFLOW, hint=hint, extra=notes)


def _differ_summary(got_arr, exp, rtol, atol, notes):
    """'k of n entries differ'; adds where they are to ``notes`` when it is a pattern."""
    with np_errstate(all="ignore"):
        wrong = ~np_isclose(got_arr, exp, rtol=rtol, atol=atol, equal_nan=True)
    # a near miss (every entry right to 3 digits or more) is noise, whatever entries it hits
    near = agreeing_digits(got_arr, exp) >= 3
    pattern = where_wrong(got_arr, exp, rtol, atol) if exp.ndim and not near else ""
    if pattern and not pattern.endswith("entries are wrong."):
        notes.append(pattern[:1].upper() + pattern[1:])
    repeated = repeated_values(got_arr, exp) if not near else ""
    if repeated:
        notes.append(repeated)
    return (f"{int(wrong.sum())} of {exp.size} entries differ from the expected values "
            f"(tolerance rtol={rtol:g}, atol={atol:g}).")


def check_scalar(got, expected, *, name="loss", rtol=1e-6, atol=1e-9, variants=None, hint=None,
                 batch_size=None, nonfinite=None, near_hint=None):
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
    nonfinite : str, optional
        The likely cause of a NaN or inf in this answer (see ``check_array``).
    near_hint : str, optional
        A hint given only when the answer is close (see ``check_array``).

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
    exp = as_float(expected)
    if exp is None or exp.size != 1:
        raise TypeError(f"check_scalar: expected value for {name} must be one number, "
                        f"got {expected!r}")
    exp = exp.reshape(())
    # checked up front: a test author's mistake must show even when the answer is right
    n = _batch(batch_size, "check_scalar")
    failure, value = _as_answer_number(got, exp, name, rtol, atol, hint, nonfinite)
    if failure is not None:
        raise failure
    if all_close(value, exp, rtol, atol):
        return None
    found = match_values(value, exp, rtol, atol, variants, n)
    summary, cause = found or (f"it differs from the expected value (tolerance rtol={rtol:g}, "
                               f"atol={atol:g}).", None)
    notes = []
    hint = _near(value, exp, notes, hint, near_hint) if cause is None else hint
    raise wrong_answer(name, summary, exp, value, error=max_error(value, exp), cause=cause,
                       hint=hint, extra=notes)


def _as_answer_number(got, exp, name, rtol, atol, hint, nonfinite=None):
    """(failure, got as a 0-d float array): a failure when ``got`` is not one finite number."""
    kind = "a number"
    if got is None:
        return wrong_answer(name, "it is None (the function returned nothing).", exp,
                            cause=no_return_message(name, kind), hint=hint), None
    if got.__class__ is bool or _isinstance(got, np_bool):
        return wrong_answer(name, f"it is {got!r}, a truth value, not a number.", exp,
                            cause="a comparison (==, <, >) instead of a computation?",
                            hint=hint), None
    if _isinstance(got, (list, tuple)) or (_isinstance(got, np_ndarray) and got.ndim > 0):
        return _not_a_number(got, exp, name, rtol, atol, hint), None
    if not _isinstance(got, (int, float, np_generic, np_ndarray)):
        return wrong_answer(name, f"it is a {type(got).__name__}, not a number.", exp,
                            cause=not_arraylike(name, got, kind), hint=hint), None
    value = as_float(got)
    if value is None or (_isinstance(got, (np_generic, np_ndarray))
                         and got.dtype.kind in "cOSUV"):
        return wrong_answer(name, f"it is {got!r} ({type(got).__name__}), not a real number.",
                            exp, hint=hint), None
    value = value.reshape(())
    if not math.isfinite(float(value)):
        return wrong_answer(name, f"it is {format_number(value)}.", exp, value,
                            cause=nonfinite or OVERFLOW, hint=hint), None
    return None, value


def _not_a_number(got, exp, name, rtol, atol, hint):
    """The failure for a list or an array where one number was expected."""
    arr = as_float(got)
    tname = "Python " + type(got).__name__ if _isinstance(got, (list, tuple)) else "numpy array"
    if arr is None:
        return wrong_answer(name, f"it is a {tname}, not a single number.", exp, hint=hint)
    shape_note = (f" of shape {shape_of(arr)}" if tname == "numpy array"
                  else f" with {arr.size} value{'s' if arr.size != 1 else ''}")
    if arr.size == 1 and all_close(arr.reshape(()), exp, rtol, atol):
        return wrong_answer(name, f"the value is right, but it is a {tname}{shape_note}, not a "
                            "single number.", cause="return a plain number: float(x) or x.item() "
                            "(or reduce without keepdims=True).", hint=hint)
    cause = None
    if arr.size > 1:
        with np_errstate(all="ignore"):
            mean, total = np_asarray(arr.mean()), np_asarray(arr.sum())
        if same_values(mean, exp, rtol, atol):
            cause = (f"the MEAN of your {arr.size} values is the expected {name}: you returned "
                     "one value per example (or entry); average them (np.mean).")
        elif same_values(total, exp, rtol, atol):
            cause = (f"the SUM of your {arr.size} values is the expected {name}: you returned "
                     "the separate terms; add them up (np.sum).")
    return wrong_answer(name, f"it is a {tname}{shape_note}, not a single number.", exp, arr,
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
        raise wrong_answer(name, "it is None (the function returned nothing).",
                           cause=no_return_message(name, f"an array of shape {shown}"), hint=hint)
    if _isinstance(got, (list, tuple)):
        raise wrong_answer(name, f"it is a Python {type(got).__name__}, not a numpy array of "
                           f"shape {shown}.", cause="return a numpy array: np.array(...) or array "
                           "arithmetic instead of a list.", hint=hint)
    if _isinstance(got, (int, float, np_generic)):
        raise wrong_answer(name, f"it is a single number ({got!r}), not an array of shape {shown}.",
                           cause="a reduction (sum/mean/max without axis=) collapsed the array.",
                           hint=hint)
    if not _isinstance(got, np_ndarray):
        raise wrong_answer(name, f"it is a {type(got).__name__}, not a numpy array.",
                           cause=not_arraylike(name, got, "a numpy array"), hint=hint)
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
    raise wrong_answer(name, f"its shape is {gs}, expected {shown}.", cause=cause, hint=hint)
