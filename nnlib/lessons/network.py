"""The network as the lecture draws it, evaluated on ONE example: the lessons' shared starting point.

A model is a chain of lecture layers k = 1 … Λ, each one ``Linear`` followed by at most one
activation f_k (none = identity); layer 0 is the input, y⁽⁰⁾ = x. :func:`forward_values` runs
nnlib's own layers (on a copy) and keeps every z⁽ᵏ⁾ and y⁽ᵏ⁾; the traces (notebooks 02/03), the
influence diagrams (01/03) and the Jacobians (04) all start from it.

Examples
--------
>>> record = forward_values(example_network(), [1.0, 2.0])
>>> record.zs[1], record.ys[3].round(3)
(array([0.9, 1.6, 2.3]), array([0.361, 0.639]))
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

__all__ = ["LectureLayer", "network_layers", "is_scalar_activation", "activation_jacobian",
           "ForwardRecord", "one_example", "forward_values", "example_network", "sigmoid_softmax_network",
           "loss_value_and_gradient"]

@dataclass(frozen=True)
class LectureLayer:
    """One lecture layer: a ``Linear`` and the activation after it (None: the identity)."""

    linear: object
    activation: object | None


def network_layers(model) -> list[LectureLayer]:
    """Group an nnlib Sequential into lecture layers (Linear, activation).

    Accepts a Sequential (or any object with ``.layers``), a list of layers, or one Linear. Every
    Linear may be followed by at most one activation; anything else raises a ValueError that says
    what was found.
    """
    from nnlib.layers import Linear

    items = list(getattr(model, "layers", model if isinstance(model, (list, tuple)) else [model]))
    layers: list[LectureLayer] = []
    i = 0
    while i < len(items):
        item = items[i]
        if not isinstance(item, Linear):
            where = "first layer" if i == 0 else f"layer {i} ({item!r}) follows {items[i - 1]!r}"
            raise ValueError(f"traces need Linear layers each followed by at most one activation; "
                             f"the {where}. Build e.g. Sequential(Linear(2, 3), ReLU(), Linear(3, 2), Softmax()).")
        activation = None
        if i + 1 < len(items) and not isinstance(items[i + 1], Linear):
            activation = items[i + 1]
            if not hasattr(activation, "jacobian"):
                raise ValueError(f"{activation!r} after {item!r} is not an activation with a "
                                 f"jacobian(z) method; traces support Identity, Sigmoid, Tanh, ReLU, Softmax.")
            i += 1
        layers.append(LectureLayer(item, activation))
        i += 1
    if not layers:
        raise ValueError("the model has no layers")
    for k in range(1, len(layers)):
        if layers[k].linear.in_features != layers[k - 1].linear.out_features:
            raise ValueError(f"layer {k + 1} ({layers[k].linear!r}) takes {layers[k].linear.in_features} "
                             f"inputs but layer {k} gives {layers[k - 1].linear.out_features}")
    return layers


def is_scalar_activation(activation) -> bool:
    """True when each y_j depends only on z_j (diagonal Jacobian); identity (None) counts."""
    return activation is None or hasattr(activation, "derivative")


def activation_jacobian(activation, z) -> np.ndarray:
    """``J[j, i] = ∂y_j/∂z_i`` for one example z (D,); identity if activation is None."""
    z = np.asarray(z, dtype=float)
    if activation is None:
        return np.eye(len(z))
    return np.asarray(activation.jacobian(z), dtype=float)


@dataclass
class ForwardRecord:
    """Values of one forward pass: ``ys[k]`` = y^(k) (ys[0] = x), ``zs[k]`` = z^(k) (zs[0] unused)."""

    ys: list
    zs: list


def one_example(x, width: int, what: str) -> np.ndarray:
    """``x`` (shape (width,) or (1, width), finite) as a float vector; ``what`` names it in errors."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.shape != (width,):
        raise ValueError(f"{what} must be ONE example of shape ({width},) or (1, {width}); got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} contains NaN or inf: {x}")
    return x


def forward_values(model, x) -> ForwardRecord:
    """Run nnlib's own layers on one example and keep every z^(k) and y^(k) (as float64 vectors).

    The layers run on a copy of the model: layers cache their input for backward, and a trace
    must not replace the cache of a batch the student has just pushed through the real model.
    """
    layers = network_layers(copy.deepcopy(model))
    y = one_example(x, layers[0].linear.in_features, "x")
    ys, zs = [y], [None]
    for layer in layers:
        z = np.asarray(layer.linear.forward(y[None, :]), dtype=float)[0]
        y = z if layer.activation is None else np.asarray(layer.activation.forward(z[None, :]), dtype=float)[0]
        zs.append(z)
        ys.append(y)
    return ForwardRecord(ys, zs)


def example_network():
    """The 2-3-2-2 network of lecture 5a's worked forward pass (ReLU, ReLU, softmax).

    The notes print the weight tables inputs × neurons; nnlib stores W as neurons × inputs,
    hence the transposes. With x = [1, 2] the outputs are softmax(1.885, 2.454) ≈ [0.361, 0.639].
    """
    import nnlib

    W1 = np.array([[0.2, 0.4, 0.6], [0.3, 0.5, 0.7]]).T
    W2 = np.array([[0.5, 0.3], [0.4, 0.6], [0.7, 0.2]]).T
    W3 = np.array([[0.3, 0.4], [0.5, 0.6]]).T
    return nnlib.Sequential(
        nnlib.Linear(2, 3, W=W1, b=[0.1, 0.2, 0.3]), nnlib.ReLU(),
        nnlib.Linear(3, 2, W=W2, b=[0.1, 0.2]), nnlib.ReLU(),
        nnlib.Linear(2, 2, W=W3, b=[0.1, 0.2]), nnlib.Softmax(),
    )


def sigmoid_softmax_network():
    """The 4-4-2 network of the notes' sigmoid/softmax example (zero biases).

    Its example is x = [2, 5, 3, 3] with target d = [1, 0]; the hidden pre-activations are
    [2.9, 1.4, 2.1, 2.3] and the outputs ≈ [0.77, 0.23].
    """
    import nnlib

    W1 = [[0.1, 0.3, 0.8, -0.4], [-0.3, -0.2, 0.5, 0.5], [-0.3, 0.0, 0.5, 0.4], [0.2, 0.5, -0.9, 0.7]]
    W2 = [[0.5, 0.8, 0.2, 0.4], [0.5, 0.2, 0.3, -0.5]]
    return nnlib.Sequential(nnlib.Linear(4, 4, W=W1), nnlib.Sigmoid(),
                            nnlib.Linear(4, 2, W=W2), nnlib.Softmax())


def loss_value_and_gradient(loss, y, d) -> tuple[float, np.ndarray]:
    """(Div, ∂Div/∂y) for one output vector y (D_N,) and target d, via the loss's own code.

    Runs on a copy of the loss, so the caller's loss keeps whatever it cached last.
    """
    y = np.asarray(y, dtype=float)
    d = one_example(d, len(y), "d (the target)")
    loss = copy.deepcopy(loss)
    value = float(loss.forward(y[None, :], d[None, :]))
    return value, np.asarray(loss.backward(), dtype=float).reshape(-1)
