"""Reading an answer as numbers, and comparing numbers (NaN equal to NaN)."""

from __future__ import annotations

from .frozen import np_all, np_array, np_errstate, np_float64, np_isclose


def as_float(value):
    """``value`` as a float64 ndarray, or None when it is not numeric array-like."""
    try:
        arr = np_array(value, dtype=np_float64, copy=True, subok=False)
    except (TypeError, ValueError, OverflowError):
        return None
    return arr


def all_close(got, expected, rtol, atol):
    """True when two float arrays of the same shape agree elementwise (NaN == NaN)."""
    if got.shape != expected.shape:
        return False
    with np_errstate(all="ignore"):
        return bool(np_all(np_isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)))
