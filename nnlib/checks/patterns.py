"""Where a wrong array is wrong, in words: one column, the diagonal, the last row, where z < 0.

The first thing a TA says looking at a wrong matrix is where it is wrong; the pattern often is
the mistake's signature (a right diagonal and wrong entries off it: the off-diagonal terms of a
Jacobian; only where z < 0: an activation's negative side).  This describes; it names no cause.
"""

from __future__ import annotations

from .frozen import np_all, np_any, np_array, np_array_equal, np_errstate, np_isclose, np_nonzero


def where_wrong(got, expected, rtol, atol, masks=None):
    """The pattern of the wrong entries of ``got`` (same shape as ``expected``), or '' when every
    entry is wrong.  ``masks``: {"z < 0": boolean array} the test knows, tried first.

    >>> import numpy as np
    >>> where_wrong(np.array([1.0, 2.0, 5.0]), np.array([1.0, 2.0, 3.0]), 1e-9, 1e-9)
    'only the last entry is wrong.'
    >>> where_wrong(np.eye(2) * 2, np.eye(2), 1e-9, 1e-9)
    'only the diagonal is wrong; the entries off it are right.'
    """
    with np_errstate(all="ignore"):
        wrong = ~np_isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    count, size = int(wrong.sum()), expected.size
    for label, mask in (masks or {}).items():
        if mask.shape == wrong.shape and bool(np_any(mask)) and not bool(np_all(mask)):
            if np_array_equal(wrong, mask):
                return f"exactly the entries where {label} are wrong; the others are right."
            if not bool(np_any(wrong & ~mask)):
                return f"only entries where {label} are wrong (not all of them)."
    if count == size or count == 0:
        return ""
    if expected.ndim == 1:
        idx = [int(i) for i in np_nonzero(wrong)[0]]
        if idx == [size - 1]:
            return "only the last entry is wrong."
        if idx == [0]:
            return "only the first entry is wrong."
        return f"only entries {idx} are wrong ({count} of {size})."
    if expected.ndim == 2:
        rows = sorted({int(i) for i in np_nonzero(wrong)[0]})
        cols = sorted({int(j) for j in np_nonzero(wrong)[1]})
        n, m = expected.shape
        if n == m and n > 1:
            diag = np_array([[i == j for j in range(m)] for i in range(n)])
            if np_array_equal(wrong, diag):
                return "only the diagonal is wrong; the entries off it are right."
            if np_array_equal(wrong, ~diag):
                return "the diagonal is right; every entry off it is wrong."
        if len(rows) < n and bool(np_all(wrong[rows])):
            which = ("the last row" if rows == [n - 1] else "the first row" if rows == [0]
                     else f"rows {rows}")
            return f"only {which} {'is' if len(rows) == 1 else 'are'} wrong; the others are right."
        if len(cols) < m and bool(np_all(wrong[:, cols])):
            which = ("the last column" if cols == [m - 1] else "the first column"
                     if cols == [0] else f"columns {cols}")
            return f"only {which} {'is' if len(cols) == 1 else 'are'} wrong; the others are right."
        if len(rows) < n:
            return f"only rows {rows} have wrong entries; the others are right."
        if len(cols) < m:
            return f"only columns {cols} have wrong entries; the others are right."
    return f"{count} of {size} entries are wrong."
