"""Losses: SquaredError, CrossEntropy, BinaryCrossEntropy, SoftmaxCrossEntropy.

Conventions
-----------
* ``loss.forward(Y, D)`` (or ``loss(Y, D)``) takes the network output ``Y`` and the targets ``D``,
  both of shape ``(N, K)`` (one example per row; ``D`` one-hot for classification), and returns a
  Python float: the **mean over the batch** of the per-example divergence ``Div(y, d)``::

      L = (1/N) Σ_n Div(Y[n], D[n])

* ``loss.backward()`` returns ``∂L/∂Y`` with Y's shape and dtype; the ``1/N`` of the mean is in it.
* ``D`` is converted to Y's dtype. A ``D`` of the wrong shape raises :class:`ShapeError` naming the
  likely cause (e.g. integer labels where one-hot rows were expected: use ``nnlib.one_hot``).

Examples
--------
>>> import numpy as np
>>> import nnlib
>>> loss = nnlib.SquaredError()
>>> round(loss(np.array([[0.77, 0.23]]), np.array([[1.0, 0.0]])), 10)  # 4-4-2 example, rounded
0.1058
>>> loss.backward()
array([[-0.46,  0.46]])
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax
from .errors import ForwardFirst, ShapeError, as_batch, check_finite

__all__ = ["Loss", "SquaredError", "CrossEntropy", "BinaryCrossEntropy", "SoftmaxCrossEntropy",
           "EPSILON"]

#: Probabilities are clipped to [EPSILON, 1] before ``log`` in CrossEntropy and
#: BinaryCrossEntropy, so a probability of exactly 0 gives a large finite loss
#: (−log 1e-12 ≈ 27.6) instead of inf/nan and a warning.
EPSILON = 1e-12


class Loss(ForwardFirst):
    """Base class: validates ``Y`` and ``D``, caches them, and checks forward-before-backward."""

    _forward_call = "forward(Y, D)"
    _forward_gives = "the loss knows Y and D"

    def __init__(self):
        self._forward_done = False

    def __call__(self, Y, D):
        return self.forward(Y, D)

    def __repr__(self):
        return f"{type(self).__name__}()"

    def _validate(self, Y, D, what="Y"):
        who = repr(self)
        Y = as_batch(Y, who)
        check_finite(Y, who)
        D_arr = np.asarray(D)
        if D_arr.shape != Y.shape:
            raise ShapeError(self._shape_message(Y, D_arr, what))
        D_arr = D_arr.astype(Y.dtype, copy=False)
        check_finite(D_arr, f"{who} (targets D)")
        return Y, D_arr

    def _shape_message(self, Y, D, what):
        N, K = Y.shape
        msg = (f"{self!r} got {what} of shape {Y.shape} = (N, K) but targets D of shape {D.shape}; "
               f"D must have the same shape, one target row per example.")
        if D.ndim == 1 and D.shape[0] == N and K > 1:
            msg += (f" D looks like integer class labels: turn them into one-hot rows with "
                    f"nnlib.one_hot(labels, {K}).")
        elif D.ndim == 1 and D.shape[0] == N and K == 1:
            msg += " D is 1-D: pass D.reshape(-1, 1) (one column, one row per example)."
        elif D.ndim == 2 and D.shape == (K, N):
            msg += " D looks transposed: pass D.T."
        elif D.ndim == 2 and D.shape[0] == N:
            msg += (f" D has {D.shape[1]} columns but the network outputs {K}: check the last "
                    f"layer's out_features or the number of classes in one_hot.")
        return msg


class SquaredError(Loss):
    """Squared error, ``Div(y, d) = Σ_j (y_j − d_j)²`` (no ½), averaged over the batch.

    Notes
    -----
    ``L = (1/N) Σ_n Σ_j (Y[n, j] − D[n, j])²`` and ``∂L/∂Y = 2 (Y − D) / N``.

    Examples
    --------
    >>> loss = SquaredError()
    >>> loss(np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 1.0]]))
    3.0
    >>> loss.backward()
    array([[ 1.,  2.],
           [ 0., -1.]])
    """

    def forward(self, Y, D):
        Y, D = self._validate(Y, D)
        self.diff = Y - D
        self._forward_done = True
        return float((self.diff * self.diff).sum() / Y.shape[0])

    def backward(self):
        self._check_forward_done()
        return 2 * self.diff / self.diff.shape[0]


class CrossEntropy(Loss):
    """Cross-entropy of probabilities, ``Div(y, d) = −Σ_j d_j log y_j``, averaged over the batch.

    ``Y`` must hold probabilities (e.g. the output of :class:`~nnlib.Softmax`). To avoid ``log 0``,
    Y is clipped to ``[EPSILON, 1]`` with ``EPSILON = 1e-12`` (so the loss stays finite and no
    warning appears). For logits use :class:`SoftmaxCrossEntropy` instead.

    Notes
    -----
    ``L = −(1/N) Σ_n Σ_j D[n, j] log Y[n, j]`` and ``∂L/∂Y = −D / (N Y)`` (Y clipped as above).

    Examples
    --------
    >>> loss = CrossEntropy()
    >>> round(loss(np.array([[0.361, 0.639]]), np.array([[1.0, 0.0]])), 4)
    1.0189
    >>> loss(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])) > 27   # log 0 is clipped, finite
    True
    """

    def forward(self, Y, D):
        Y, D = self._validate(Y, D)
        self.Y_clipped = np.clip(Y, EPSILON, 1.0)
        self.D = D
        self._forward_done = True
        return float(-(D * np.log(self.Y_clipped)).sum() / Y.shape[0])

    def backward(self):
        self._check_forward_done()
        return -self.D / self.Y_clipped / self.D.shape[0]


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy of a sigmoid output, ``Div(y, d) = −[d log y + (1 − d) log(1 − y)]``.

    Made for one sigmoid output per example, ``Y`` of shape ``(N, 1)`` with targets 0/1 of the same
    shape (see :func:`nnlib.two_or_not_two`); with K columns the K divergences are summed per example.
    Y is clipped to ``[EPSILON, 1 − EPSILON]`` before the logs.

    Notes
    -----
    ``L = −(1/N) Σ_n [D log Y + (1 − D) log(1 − Y)]`` and
    ``∂L/∂Y = (Y − D) / (N Y (1 − Y))`` (Y clipped as above).

    Examples
    --------
    >>> loss = BinaryCrossEntropy()
    >>> round(loss(np.array([[0.5], [0.5]]), np.array([[1.0], [0.0]])), 6)  # log 2
    0.693147
    >>> loss.backward()
    array([[-1.],
           [ 1.]])
    """

    def forward(self, Y, D):
        Y, D = self._validate(Y, D)
        self.Y_clipped = np.clip(Y, EPSILON, 1.0 - EPSILON)
        self.D = D
        self._forward_done = True
        Yc = self.Y_clipped
        return float(-(D * np.log(Yc) + (1 - D) * np.log(1 - Yc)).sum() / Y.shape[0])

    def backward(self):
        self._check_forward_done()
        Yc = self.Y_clipped
        return (Yc - self.D) / (Yc * (1 - Yc)) / self.D.shape[0]


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused: takes **logits** Z (not probabilities).

    Computing ``log softmax`` directly with the log-sum-exp trick never takes ``log 0`` and never
    overflows, and the gradient simplifies to ``(softmax(Z) − D) / N``.

    Notes
    -----
    Per example, ``Div(z, d) = −Σ_j d_j log softmax(z)_j = (Σ_j d_j) lse(z) − Σ_j d_j z_j`` with
    ``lse(z) = m + log Σ_k e^(z_k − m)``, ``m = max_k z_k``. The gradient is
    ``∂L/∂Z = (softmax(Z) · Σ_j d_j − D) / N``, which is ``(softmax(Z) − D) / N`` when each row of
    D sums to 1 (one-hot or probability targets).

    Examples
    --------
    >>> loss = SoftmaxCrossEntropy()
    >>> round(loss(np.array([[1.885, 2.454]]), np.array([[1.0, 0.0]])), 4)  # the notes' 2-3-2-2 net
    1.0176
    >>> loss.backward().round(3)
    array([[-0.639,  0.639]])
    """

    def forward(self, Z, D):
        Z, D = self._validate(Z, D, what="logits Z")
        log_P = log_softmax(Z, axis=1)      # Z − lse(Z): never log 0, never overflows
        self.P = np.exp(log_P)              # softmax(Z), kept for backward
        self.D = D
        self.D_rowsum = D.sum(axis=1, keepdims=True)
        self._forward_done = True
        return float(-(D * log_P).sum() / Z.shape[0])

    def backward(self):
        self._check_forward_done()
        return (self.P * self.D_rowsum - self.D) / self.D.shape[0]
