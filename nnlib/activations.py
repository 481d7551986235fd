"""Activation layers: Identity, Sigmoid, Tanh, ReLU (scalar, applied elementwise) and Softmax (vector).

Conventions
-----------
* Input ``Z`` is a batch of pre-activations, shape ``(N, D)``, one example per row; the output
  ``Y = f(Z)`` has the same shape and dtype (float32 stays float32).
* ``backward(dY)`` takes ``dY = ∂L/∂Y`` and returns ``dZ = ∂L/∂Z``. Activations have no parameters.
* ``jacobian(z)`` takes ONE example ``z`` of shape ``(D,)`` and returns the ``(D, D)`` matrix
  ``J[j, i] = ∂y_j/∂z_i`` (row = output j, column = input i, like ``W[j, i]``): diagonal for the scalar activations, full for softmax.
  For a batch, ``backward`` applies the same Jacobian row by row (a vector-Jacobian product
  ``dz = dy J``) without ever building an ``(N, D, D)`` array.
* Scalar activations also have ``derivative(z)``: the elementwise ``f'(z)``, any shape.
* Each activation describes itself (``name``, ``symbol``, ``formula``, ``substituted``,
  ``derivative_text``, ``has_kink``; see :class:`Activation`): traces and explorers ask the object.

Examples
--------
>>> import numpy as np
>>> import nnlib
>>> nnlib.ReLU().jacobian(np.array([-1.0, 0.0, 2.0]))
array([[0., 0., 0.],
       [0., 1., 0.],
       [0., 0., 1.]])
"""

from __future__ import annotations

import numpy as np

from .errors import ShapeError, _float_array
from .layers import Layer

__all__ = ["Activation", "Identity", "Sigmoid", "Tanh", "ReLU", "Softmax", "sigmoid", "softmax",
           "log_softmax"]


def sigmoid(z):
    """Logistic function ``σ(z) = 1 / (1 + e^(−z))``, computed without overflow for large |z|.

    Uses ``e = exp(−|z|) ≤ 1``: ``σ(z) = 1/(1+e)`` for z ≥ 0 and ``e/(1+e)`` for z < 0, which are
    the same function, so no ``exp`` ever overflows. Keeps float32 as float32.

    Examples
    --------
    >>> sigmoid(np.array([0.0, 1000.0, -1000.0]))
    array([0.5, 1. , 0. ])
    """
    z = _float_array(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e).astype(z.dtype, copy=False) / (1 + e)


def softmax(Z, axis=-1):
    """Softmax along ``axis`` (default: each row), stable: subtracts the row max before ``exp``.

    ``softmax(z)_j = e^(z_j) / Σ_k e^(z_k)``; shifting z by a constant does not change it.

    Examples
    --------
    >>> softmax(np.array([[1.885, 2.454]])).round(3)
    array([[0.361, 0.639]])
    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    Z = _float_array(Z)
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def log_softmax(Z, axis=-1):
    """``log softmax(Z) = Z − lse(Z)`` along ``axis``, with ``lse(z) = m + log Σ_k e^(z_k − m)``.

    Never takes ``log 0`` and never overflows (``m = max_k z_k``); the cross-entropy of logits
    uses it.

    Examples
    --------
    >>> log_softmax(np.array([[0.0, 0.0]])).round(4)
    array([[-0.6931, -0.6931]])
    """
    Z = _float_array(Z)
    m = Z.max(axis=axis, keepdims=True)
    return Z - (m + np.log(np.exp(Z - m).sum(axis=axis, keepdims=True)))


class Activation(Layer):
    """Base of the activations: no parameters; ``Y = f(Z)`` forward, ``dZ`` from ``dY`` backward.

    The :class:`~nnlib.layers.Layer` template checks Z (a finite float batch) and dY (the shape of
    Y) around each subclass's ``forward`` and ``backward``, so those are just the formulas; forward
    caches ``Z`` and ``Y``.

    Each activation carries its own description, for code that explains it (traces, steppers,
    explorers) to ask the object instead of matching class names:

    * ``name``: how a sentence names it ("the sigmoid");
    * ``symbol``: as a function in a formula, ``ReLU(z⁽¹⁾)``;
    * ``formula``: y written out, ``{z}`` standing for the pre-activation's symbol;
    * ``substituted``: the same with the number in (``{z}``, or ``{z_factor}`` when it is a factor);
    * ``derivative_text``: f′ in words;
    * ``has_kink``: f has a point without a derivative (z = 0), where a central difference
      averages two slopes.
    """

    upstream = "dY with the shape of forward's output {shape} = (N, D)"
    name = "f"
    symbol = "f"
    formula = "f({z})"
    substituted = "f({z})"
    derivative_text = "f′ comes from the activation's derivative"
    has_kink = False

    @staticmethod
    def _one_example(z, who):
        z = _float_array(z)
        if z.ndim != 1:
            raise ShapeError(f"{who}.jacobian takes ONE example z of shape (D,), but got shape "
                             f"{z.shape}. For row n of a batch pass Z[n].")
        return z


class _ScalarActivation(Activation):
    """An activation applied to each entry separately: its Jacobian is diagonal."""

    def derivative(self, z):
        """Elementwise derivative ``f'(z)``, same shape as z."""
        raise NotImplementedError  # pragma: no cover

    def jacobian(self, z):
        """``(D, D)`` Jacobian ``∂y/∂z`` for one example z of shape (D,): ``diag(f'(z))``."""
        return np.diag(self.derivative(self._one_example(z, repr(self))))


class Identity(_ScalarActivation):
    """``f(z) = z``; ``f'(z) = 1``. Useful as a "no activation" placeholder.

    Examples
    --------
    >>> Identity()(np.array([[-2.0, 3.0]]))
    array([[-2.,  3.]])
    """

    name, symbol = "the identity", "Identity"
    formula = substituted = "{z}"
    derivative_text = "the identity's derivative is 1"

    def forward(self, Z):
        self.Z = self.Y = Z
        return Z

    def backward(self, dY):
        return dY

    def derivative(self, z):
        return np.ones_like(_float_array(z))


class Sigmoid(_ScalarActivation):
    """Logistic sigmoid ``σ(z) = 1 / (1 + e^(−z))``; ``σ'(z) = σ(z)(1 − σ(z))``.

    Stable for large |z| (no overflow warnings): see :func:`sigmoid`.

    Examples
    --------
    >>> Sigmoid()(np.array([[1.885, 2.454]])).round(3)
    array([[0.868, 0.921]])
    >>> Sigmoid().derivative(np.array([0.0]))
    array([0.25])
    """

    name, symbol = "the sigmoid", "Sigmoid"
    formula = "σ({z}) = 1/(1 + e^(−{z}))"
    substituted = "1/(1 + e^(−{z_factor}))"
    derivative_text = "for the sigmoid f′(z) = y(1 − y)"

    def forward(self, Z):
        self.Z, self.Y = Z, sigmoid(Z)   # cache: σ' = Y (1 − Y), no second exp
        return self.Y

    def backward(self, dY):
        return dY * self.Y * (1 - self.Y)

    def derivative(self, z):
        s = sigmoid(z)
        return s * (1 - s)


class Tanh(_ScalarActivation):
    """Hyperbolic tangent ``tanh(z)``; ``tanh'(z) = 1 − tanh(z)²``.

    Examples
    --------
    >>> Tanh().derivative(np.array([0.0]))
    array([1.])
    """

    name, symbol = "tanh", "Tanh"
    formula = substituted = "tanh({z})"
    derivative_text = "for tanh f′(z) = 1 − y²"

    def forward(self, Z):
        self.Z, self.Y = Z, np.tanh(Z)   # cache: tanh' = 1 − Y²
        return self.Y

    def backward(self, dY):
        return dY * (1 - self.Y * self.Y)

    def derivative(self, z):
        return 1 - np.tanh(_float_array(z)) ** 2


class ReLU(_ScalarActivation):
    """Rectified linear unit ``f(z) = max(0, z)``.

    Parameters
    ----------
    subgradient_at_zero : float, default 1.0
        The value used for ``f'(0)``, where ReLU has a kink and no derivative. Any value in [0, 1]
        is a valid subgradient. The default 1 follows the lecture notes. (PyTorch uses 0: its
        ``relu`` backward passes gradient only where ``z > 0``.)

    Notes
    -----
    ``f'(z) = 1`` for z > 0, ``0`` for z < 0, ``subgradient_at_zero`` at z = 0.

    Examples
    --------
    >>> ReLU().derivative(np.array([-1.0, 0.0, 1.0]))
    array([0., 1., 1.])
    >>> ReLU(subgradient_at_zero=0.0).derivative(np.array([-1.0, 0.0, 1.0]))
    array([0., 0., 1.])
    """

    name, symbol = "ReLU", "ReLU"
    formula = substituted = "max(0, {z})"
    derivative_text = ("for ReLU f′(z) is 1 where z > 0 and 0 where z < 0, and at z = 0 nnlib uses "
                       "the ReLU's subgradient_at_zero")
    has_kink = True

    def __init__(self, subgradient_at_zero: float = 1.0):
        super().__init__()
        self.subgradient_at_zero = float(subgradient_at_zero)

    def forward(self, Z):
        self.Z, self.Y = Z, np.maximum(Z, 0)   # cache: the slope depends on the sign of z
        return self.Y

    def backward(self, dY):
        # A boolean mask times dY is cheaper than building f'(Z) as floats first.
        if self.subgradient_at_zero == 1.0:
            return dY * (self.Z >= 0)
        if self.subgradient_at_zero == 0.0:
            return dY * (self.Z > 0)
        return dY * self.derivative(self.Z)

    def derivative(self, z):
        z = _float_array(z)
        s = self.subgradient_at_zero
        if s == 1.0:
            return (z >= 0).astype(z.dtype)
        if s == 0.0:
            return (z > 0).astype(z.dtype)
        return np.where(z > 0, 1.0, np.where(z == 0, s, 0.0)).astype(z.dtype)

    def __repr__(self):
        if self.subgradient_at_zero == 1.0:
            return "ReLU()"
        return f"ReLU(subgradient_at_zero={self.subgradient_at_zero:g})"


class Softmax(Activation):
    """Softmax of each row: ``y_j = e^(z_j) / Σ_k e^(z_k)`` (a vector activation).

    Every output depends on every input of its row, so the Jacobian is full:
    ``∂y_j/∂z_i = y_j (δ_ij − y_i)`` (diagonal entries ``y_j(1 − y_j)``, off-diagonal ``−y_j y_i``).

    Notes
    -----
    ``backward`` applies that Jacobian to each row (a vector-Jacobian product):
    ``dz_i = Σ_j dy_j y_j (δ_ij − y_i) = y_i (dy_i − Σ_j dy_j y_j)``, i.e. for the batch
    ``dZ = Y * (dY − sum(dY * Y, axis=1, keepdims=True))``. It uses no (N, D, D) array and no
    shortcut through the loss, so it is right for any loss that follows.

    Examples
    --------
    >>> sm = Softmax()
    >>> sm(np.array([[1.885, 2.454]])).round(3)
    array([[0.361, 0.639]])
    >>> sm.jacobian(np.array([0.0, 0.0]))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """

    name, symbol = "softmax", "Softmax"

    def forward(self, Z):
        self.Z, self.Y = Z, softmax(Z, axis=1)   # cache: the Jacobian is built from Y
        return self.Y

    def backward(self, dY):
        Y = self.Y
        return Y * (dY - (dY * Y).sum(axis=1, keepdims=True))

    def jacobian(self, z):
        """``(D, D)`` Jacobian for one example: ``J = diag(y) − y yᵀ``, with ``y = softmax(z)``."""
        y = softmax(self._one_example(z, repr(self)))
        return np.diag(y) - np.outer(y, y)
