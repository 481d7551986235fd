"""Optimizers. :class:`SGD` updates every Parameter that ``model.parameters()`` yields, in place.

Examples
--------
>>> import numpy as np
>>> import nnlib
>>> layer = nnlib.Linear(1, 1, W=[[2.0]], b=[0.0])
>>> loss = nnlib.SquaredError()
>>> _ = loss(layer(np.array([[1.0]])), np.array([[0.0]]))   # L = (2·1 − 0)² = 4
>>> _ = layer.backward(loss.backward())                      # dL/dW = 2·2·1 = 4
>>> nnlib.SGD(layer, lr=0.1).step()
>>> layer.W
array([[1.6]])
"""

from __future__ import annotations

import numpy as np

__all__ = ["SGD"]


class SGD:
    """Stochastic gradient descent, optionally with (heavy-ball) momentum.

    Parameters
    ----------
    model : object with ``parameters()``
        Any layer or :class:`~nnlib.Sequential`; its parameters are updated in place.
    lr : float
        Learning rate η.
    momentum : float, default 0.0
        Momentum μ in [0, 1). With μ = 0 this is plain ``w ← w − η ∂L/∂w``.

    Notes
    -----
    For each parameter w with gradient g: ``v ← μ v − η g``, then ``w ← w + v`` (v starts at 0).
    Note the minus sign: we step *against* the gradient (the notes' algorithm slide writes
    ``b = b + ηΔb``, which only descends if Δb already means −∂L/∂b).
    """

    def __init__(self, model, lr: float, momentum: float = 0.0):
        if not lr > 0:
            raise ValueError(f"SGD: the learning rate lr must be positive, got {lr!r}.")
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}.")
        self.model = model
        self.lr = float(lr)
        self.momentum = float(momentum)
        self._velocity = {}

    def step(self):
        """Move every parameter one step against its gradient."""
        for p in self.model.parameters():
            w = p.value  # the live array: update it in place, never rebind it
            if self.momentum == 0.0:
                w -= self.lr * p.grad
                continue
            v = self._velocity.get(p.name)
            if v is None:
                v = self._velocity[p.name] = np.zeros_like(p.value)
            v *= self.momentum
            v -= self.lr * p.grad
            w += v

    def zero_grad(self):
        """Set every gradient to 0 (in place).

        nnlib's ``backward`` overwrites gradients rather than adding to them, so this is not needed
        between steps; it exists so training loops read like PyTorch's.
        """
        for p in self.model.parameters():
            p.grad[...] = 0

    def __repr__(self):
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"
