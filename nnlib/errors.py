"""Errors that speak the course's language, and the cheap input checks every layer runs.

A :class:`ShapeError` names the layer, the shape it expected (in the lecture's terms: a batch is
``(N, D)``, one example per row), the shape it got, and the most likely cause with a fix.

Examples
--------
>>> import numpy as np
>>> import nnlib
>>> nnlib.Linear(2, 3, rng=0)(np.ones((2, 1)))
Traceback (most recent call last):
...
nnlib.errors.ShapeError: Linear(2→3) expects a batch of shape (N, 2), one example per row, but got shape (2, 1). This looks like a column vector x: nnlib wants one example per ROW, so pass x.reshape(1, -1) or x.T (shape (1, 2)).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ShapeError", "ForwardFirst", "as_batch", "check_finite"]


class ShapeError(ValueError):
    """An array has the wrong shape for the layer or loss it was given to.

    Subclasses :class:`ValueError`, so ``except ValueError`` also catches it.
    """


class ForwardFirst:
    """Refuses ``backward`` before ``forward``: backward needs what forward cached.

    Shared by layers and losses; ``_forward_call`` and ``_forward_gives`` finish the sentence.
    """

    _forward_done = False
    _forward_call = "forward()"
    _forward_gives = "the layer has the input it needs for the chain rule"

    def _check_forward_done(self):
        if not self._forward_done:
            raise RuntimeError(f"{self!r}.backward() was called before {self._forward_call}: call "
                               f"forward first, so {self._forward_gives}.")


def _float_array(X):
    """Return X as a floating-point ndarray, keeping float32/float64 as they are (no copy)."""
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    return X


def as_batch(X, who: str, n_features: int | None = None):
    """Check that X is a 2-D batch ``(N, n_features)``; return it as a float array.

    Parameters
    ----------
    X : array_like
        The input batch, one example per row.
    who : str
        How to name the layer or loss in the error message, e.g. ``"Linear(2→3)"``.
    n_features : int, optional
        The required number of columns; ``None`` accepts any.

    Raises
    ------
    ShapeError
        If X is not 2-D or has the wrong number of columns; the message says how to fix it.

    Examples
    --------
    >>> as_batch([[1, 2]], "Sigmoid").dtype
    dtype('float64')
    >>> as_batch(np.ones(3), "Sigmoid")
    Traceback (most recent call last):
    ...
    nnlib.errors.ShapeError: Sigmoid expects a 2-D batch (N, D), one example per row, but got a 1-D array of shape (3,). For one example x pass x[None, :] or x.reshape(1, -1) (shape (1, 3)).
    """
    X = _float_array(X)
    want = f"(N, {n_features})" if n_features is not None else "(N, D)"
    if X.ndim != 2:
        if X.ndim == 1:
            raise ShapeError(
                f"{who} expects a 2-D batch {want}, one example per row, but got a 1-D array of "
                f"shape {X.shape}. For one example x pass x[None, :] or x.reshape(1, -1) "
                f"(shape (1, {X.shape[0]}))."
            )
        raise ShapeError(f"{who} expects a 2-D batch {want}, one example per row, but got a "
                         f"{X.ndim}-D array of shape {X.shape}. Flatten each example into one row: "
                         f"X.reshape(len(X), -1).")
    if n_features is not None and X.shape[1] != n_features:
        N, D = X.shape
        if D == 1 and N == n_features:
            cause = (f"This looks like a column vector x: nnlib wants one example per ROW, so pass "
                     f"x.reshape(1, -1) or x.T (shape (1, {n_features})).")
        elif N == n_features:
            cause = (f"The batch looks transposed (features down the rows): pass X.T "
                     f"(shape ({D}, {N})).")
        else:
            cause = (f"Each example has {D} features but this layer takes {n_features}: check the "
                     f"previous layer's out_features or the data's width.")
        raise ShapeError(f"{who} expects a batch of shape {want}, one example per row, but got "
                         f"shape {X.shape}. {cause}")
    return X


def check_finite(X, who: str):
    """Raise ValueError naming ``who`` if X contains NaN or ±inf.

    One ``np.isfinite(X).all()`` pass: cheap next to the matrix product that follows it.

    Examples
    --------
    >>> check_finite(np.array([[1.0, np.nan]]), "Linear(2→3)")
    Traceback (most recent call last):
    ...
    ValueError: Linear(2→3) got 1 NaN/inf value(s) in its input of shape (1, 2) (first at index (0, 1)). Check the data (missing values?) or an earlier step that overflowed (learning rate too large?).
    """
    if not np.isfinite(X).all():
        bad = ~np.isfinite(X)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{who} got {int(bad.sum())} NaN/inf value(s) in its input of shape {X.shape} "
            f"(first at index {first}). Check the data (missing values?) or an earlier step that "
            f"overflowed (learning rate too large?)."
        )
