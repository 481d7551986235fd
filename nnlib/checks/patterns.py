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


def repeated_values(got, expected):
    """A sentence when ``got`` repeats one number where ``expected`` does not (a single number
    broadcast where an array belongs), else ''.

    >>> import numpy as np
    >>> repeated_values(np.array([[1.0, 5, 5], [5, 2, 5], [5, 5, 3]]),
    ...                 np.array([[1.0, 3, 4], [4, 2, 3], [2, 1, 3]]))
    'Every entry off the diagonal is the same number, 5, where the expected ones differ: a single number was broadcast where an array belongs (a dot product where an outer product was meant?).'
    """
    from .messages import format_number
    if got.ndim != 2 or got.shape != expected.shape or got.size < 4:
        return ""
    n, m = got.shape

    def same(values):
        return values.size > 1 and bool(np_all(np_isclose(values, values.reshape(-1)[0], rtol=1e-9,
                                                         atol=1e-12)))
    tail = ("a single number was broadcast where an array belongs (a dot product where an outer "
            "product was meant?).")
    if same(got) and not same(expected):
        return (f"Every entry is the same number, {format_number(got.reshape(-1)[0])}, where the "
                f"expected ones differ: {tail}")
    if n == m and n > 2:
        off = ~np_array([[i == j for j in range(m)] for i in range(n)])
        if same(got[off]) and not same(expected[off]):
            return (f"Every entry off the diagonal is the same number, "
                    f"{format_number(got[off][0])}, where the expected ones differ: {tail}")
    return ""
