"""Grader-only comparisons for hidden tests (never shipped in a student version).

Hidden tests may write ``from autograder.checks import assert_close`` for a comparison that does
not go through numpy's comparison functions at all: the values are converted to Python floats and
compared with ``math`` functions captured when this module was imported (before student code ran),
so rebinding ``np.allclose``, ``np.isclose`` or ``np.testing`` in a notebook does not change the
verdict.  (The autograder's guard also restores those names before every test cell; this is a
second, independent line.)  Messages are short on purpose: hidden tests' details are not shown to
students.

Examples
--------
>>> assert_close([1.0, 2.0], [1.0, 2.0 + 1e-12])
>>> assert_close(0.5, 0.25, what="sigmoid(0)")
Traceback (most recent call last):
    ...
AssertionError: hidden test: sigmoid(0) is not right
"""

from __future__ import annotations

import math

_isfinite = math.isfinite
_isclose = math.isclose
_float = float
_len = len
_AssertionError = AssertionError


def _flatten(value):
    """(shape, [floats]) of a number, nested sequence or array-like (numpy arrays included)."""
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        value = tolist()
    if isinstance(value, (list, tuple)):
        parts = [_flatten(v) for v in value]
        shapes = {p[0] for p in parts}
        if _len(shapes) > 1:
            raise _AssertionError("ragged")
        inner = parts[0][0] if parts else ()
        return (_len(parts),) + inner, [x for p in parts for x in p[1]]
    return (), [_float(value)]


def assert_close(got, expected, *, rtol=1e-6, atol=1e-9, what="the answer"):
    """Raise AssertionError unless ``got`` has ``expected``'s shape and values (within tolerances)."""
    try:
        got_shape, got_values = _flatten(got)
    except Exception:
        raise _AssertionError(f"hidden test: {what} is not a number or an array of numbers") from None
    expected_shape, expected_values = _flatten(expected)
    if got_shape != expected_shape:
        raise _AssertionError(f"hidden test: {what} has shape {got_shape}, expected {expected_shape}")
    for g, e in zip(got_values, expected_values):
        if not (_isfinite(g) and _isclose(g, e, rel_tol=rtol, abs_tol=atol)):
            raise _AssertionError(f"hidden test: {what} is not right")
