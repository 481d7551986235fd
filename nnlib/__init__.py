"""nnlib: a small numpy library for learning how neural networks learn (backpropagation).

Layout (dependencies point up: each layer uses only the ones above it)
---------------------------------------------------------------------
* ``nnlib/*.py``         the core the lecture builds: layers, activations, losses, optim, training,
                         data, gradcheck, notation, errors;
* ``nnlib/lessons/``     each notebook's pure state (steps, explorers, diagrams), no widgets, no HTML;
* ``nnlib/pictures/``    that state drawn as SVG/HTML strings and matplotlib figures;
* ``nnlib/widgets/``     the ipywidgets views, which only wire clicks to state and state to pictures;
* ``nnlib/checks/``      the students' answer checks and ``forbid`` (they use the core only).

Conventions (see each module's docstring for details)
-----------------------------------------------------
* A batch is 2-D, shape ``(N, D)``, **one example per row**. One example ``x`` is ``x[None, :]``.
* ``Linear`` stores ``W`` as ``(out_features, in_features)``, as in ``z = W y + b`` and PyTorch;
  for a batch ``Z = Y Wᵀ + b``. The forward-pass notes' weight tables and the student summary's
  ``XW + b`` are inputs × neurons (nnlib's W transposed); the backprop notes and the slides already
  write W as neurons × inputs, like nnlib.
* Gradients have the parameter's shape (``dW`` like ``W``); the lecture's ``∇_W Div`` is the
  transpose of nnlib's ``dW``.
* float64 by default; float32 on request (``dtype=np.float32``), preserved end to end.
* Losses return the mean over the batch of the per-example divergence.

``import nnlib`` is light: the plotting, widget, data (scikit-learn) and progress-bar (tqdm)
dependencies load only when the submodule that needs them is first used.

Examples
--------
>>> import numpy as np
>>> import nnlib
>>> model = nnlib.Sequential(nnlib.Linear(2, 3, rng=0), nnlib.ReLU(), nnlib.Linear(3, 2, rng=1))
>>> loss = nnlib.SoftmaxCrossEntropy()
>>> X, D = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]])
>>> L = loss(model(X), D)
>>> dX = model.backward(loss.backward())
>>> nnlib.gradcheck(model, loss, X, D).ok
True
"""

from __future__ import annotations

import importlib

from .activations import Identity, ReLU, Sigmoid, Softmax, Tanh, sigmoid, softmax
from .errors import ShapeError
from .gradcheck import (GradcheckReport, gradcheck, numerical_gradient, numerical_jacobian,
                        relative_error)
from .layers import Layer, Linear, Parameter, Sequential
from .losses import BinaryCrossEntropy, CrossEntropy, Loss, SoftmaxCrossEntropy, SquaredError
from .optim import SGD
from .training import History, accuracy, minibatches, predict, train

__version__ = "0.1.0"

# Submodules loaded on first attribute access, so `import nnlib` does not pull in matplotlib,
# ipywidgets, scikit-learn or tqdm.
_LAZY_SUBMODULES = {"checks", "lessons", "pictures", "widgets", "data", "notation"}
# Functions of nnlib.data re-exported at top level, also loaded lazily.
_LAZY_FROM_DATA = {"load_digits", "one_hot", "two_or_not_two", "read_idx", "Digits"}

__all__ = [
    "ShapeError", "Parameter", "Layer", "Linear", "Sequential",
    "Identity", "Sigmoid", "Tanh", "ReLU", "Softmax", "sigmoid", "softmax",
    "Loss", "SquaredError", "CrossEntropy", "BinaryCrossEntropy", "SoftmaxCrossEntropy",
    "SGD", "numerical_gradient", "numerical_jacobian", "relative_error", "gradcheck",
    "GradcheckReport", "train", "History", "accuracy", "predict", "minibatches",
    *sorted(_LAZY_FROM_DATA),
]


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_FROM_DATA:
        return getattr(importlib.import_module(".data", __name__), name)
    raise AttributeError(f"module 'nnlib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES | _LAZY_FROM_DATA)
