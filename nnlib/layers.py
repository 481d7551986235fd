"""Layers: the :class:`Layer` protocol, :class:`Linear` and :class:`Sequential`.

Conventions (the same everywhere in nnlib)
------------------------------------------
* A batch is a 2-D array of shape ``(N, D)``: **one example per row**. A single example ``x`` of
  shape ``(D,)`` is passed as ``x[None, :]`` (shape ``(1, D)``); layers raise a :class:`ShapeError`
  with that fix for 1-D input instead of guessing.
* ``Linear`` stores ``W`` with shape ``(out_features, in_features)``, as in the lecture's per-example
  formula ``z = W y + b`` and as in PyTorch. For a batch (rows are examples) that becomes
  ``Z = Y Wᵀ + b``.
* Gradients are stored with the **parameter's shape**: ``grads["W"]`` has W's shape
  ``(out_features, in_features)``. (The lecture's ``∇_W Div`` is written as a row-vector gradient
  and so has the transposed shape ``(in_features, out_features)``; nnlib's ``dW`` is its transpose.)
* ``backward`` *overwrites* ``grads`` (it does not accumulate), and returns the gradient of the loss
  with respect to the layer's input.
* float64 by default; ``dtype=np.float32`` on request, and float32 stays float32 through forward and
  backward.

Examples
--------
>>> import numpy as np
>>> import nnlib
>>> layer = nnlib.Linear(2, 3, W=[[0.2, 0.3], [0.4, 0.5], [0.6, 0.7]], b=[0.1, 0.2, 0.3])
>>> layer(np.array([[1.0, 2.0]]))
array([[0.9, 1.6, 2.3]])
"""

from __future__ import annotations

import functools
from collections import namedtuple

import numpy as np

from .errors import ForwardFirst, ShapeError, as_batch, check_finite

__all__ = ["Parameter", "Layer", "Linear", "Sequential"]

Parameter = namedtuple("Parameter", ["name", "value", "grad"])
Parameter.__doc__ = """A trainable array together with its gradient.

``value`` is the live array (optimizers update it in place); ``grad`` has the same shape and holds
the gradient from the last ``backward``.
"""


class Layer(ForwardFirst):
    """Base class: ``forward`` caches what ``backward`` needs; ``backward`` applies the chain rule.

    Subclasses set ``params`` and ``grads`` (dicts with the same keys, arrays of the same shapes)
    and write ``forward(X)`` and ``backward(dOut)`` as the lecture's equations. The base wraps
    both (a template around them, installed by ``__init_subclass__``):

    * forward receives X as a float batch ``(N, in_features)`` (:func:`~nnlib.errors.as_batch`),
      converted to the layer's ``dtype`` when it has one, and finite; the layer is then marked
      as run;
    * backward is refused before forward and receives ``dOut`` with the dtype of forward's
      output, after its shape was checked against that output (``upstream`` names dOut in the
      error message).

    A container that hands batches on to its own layers (``Sequential``) sets
    ``checks_input = False`` and is left as written.
    """

    params: dict
    grads: dict
    checks_input = True
    in_features = None        # required input width; None: any
    dtype = None              # dtype inputs are converted to; None: float32/float64 kept
    upstream = "dOut with the shape of forward's output {shape}"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.checks_input:
            for name, check in (("forward", _checked_forward), ("backward", _checked_backward)):
                if name in vars(cls):
                    setattr(cls, name, check(vars(cls)[name]))

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._forward_done = False

    def __call__(self, X):
        return self.forward(X)

    def forward(self, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dOut):  # pragma: no cover - abstract
        raise NotImplementedError

    def parameters(self):
        """Yield a :class:`Parameter` (name, value, grad) for each trainable array."""
        for name, value in self.params.items():
            yield Parameter(name, value, self.grads[name])

    def __repr__(self):
        return f"{type(self).__name__}()"


def _checked_forward(forward):
    """``forward`` behind the input checks of the :class:`Layer` template."""
    @functools.wraps(forward)
    def checked_forward(self, X):
        X = as_batch(X, repr(self), self.in_features)
        if self.dtype is not None and X.dtype != self.dtype:
            X = X.astype(self.dtype)
        check_finite(X, repr(self))
        out = forward(self, X)
        self._output_like = (out.shape, out.dtype)
        self._forward_done = True
        return out
    return checked_forward


def _checked_backward(backward):
    """``backward`` behind the forward-first and upstream-shape checks of the :class:`Layer` template."""
    @functools.wraps(backward)
    def checked_backward(self, dOut, **kwargs):
        self._check_forward_done()
        shape, dtype = self._output_like
        dOut = np.asarray(dOut, dtype=dtype)
        if dOut.shape != shape:
            raise ShapeError(f"{self!r}.backward expects {self.upstream.format(shape=shape)}, "
                             f"but got {dOut.shape}.")
        return backward(self, dOut, **kwargs)
    return checked_backward


class Linear(Layer):
    """Affine layer: ``z = W y + b`` per example; for a batch ``Z = Y Wᵀ + b``, one example per row.

    Parameters
    ----------
    in_features, out_features : int
        Width of the input ``y`` and of the output ``z``.
    W : array_like of shape (out_features, in_features), optional
        Initial weights (copied). Default: He-scaled normal, ``N(0, 2 / in_features)``.
    b : array_like of shape (out_features,), optional
        Initial bias (copied). Default: zeros.
    rng : int or numpy.random.Generator, optional
        Seed or generator for the default initialisation.
    dtype : numpy dtype, default float64
        Dtype of W, b, the gradients and the output; inputs are converted to it.

    Notes
    -----
    Forward, for a batch Y of shape (N, in_features):  ``Z = Y Wᵀ + b``, shape (N, out_features).

    Backward, given ``dZ = ∂L/∂Z`` of shape (N, out_features):

    * ``dW = dZᵀ Y``  (shape of W: (out_features, in_features); the lecture's ∇_W is its transpose)
    * ``db = Σ_n dZ[n]``  (shape (out_features,))
    * ``dY = dZ W``  (shape (N, in_features)), returned.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Linear(2, 1, W=[[1.0, -1.0]], b=[0.5])
    >>> layer(np.array([[3.0, 1.0], [0.0, 2.0]]))
    array([[ 2.5],
           [-1.5]])
    >>> layer.backward(np.array([[1.0], [1.0]]))
    array([[ 1., -1.],
           [ 1., -1.]])
    >>> layer.grads["W"], layer.grads["b"]
    (array([[3., 3.]]), array([2.]))
    """

    def __init__(self, in_features: int, out_features: int, *, W=None, b=None, rng=None,
                 dtype=np.float64):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = np.dtype(dtype)
        if W is None:
            rng = np.random.default_rng(rng)
            W = rng.normal(0.0, np.sqrt(2.0 / self.in_features),
                           size=(self.out_features, self.in_features))
        W = np.array(W, dtype=dtype)  # a copy: training must not change the caller's array
        if W.shape != (self.out_features, self.in_features):
            hint = ""
            if W.shape == (self.in_features, self.out_features):
                hint = (" Is W transposed? The notes' weight tables are inputs × neurons; "
                        "nnlib (like the formula z = W y + b and PyTorch) stores neurons × inputs, "
                        "so pass W.T.")
            raise ShapeError(f"W has shape {W.shape} but {self!r} needs ({self.out_features}, "
                             f"{self.in_features}) = (out_features, in_features).{hint}")
        b = np.zeros(self.out_features, dtype=dtype) if b is None else np.array(b, dtype=dtype)
        if b.shape != (self.out_features,):
            hint = ""
            if b.size == self.out_features:
                hint = " Pass a 1-D bias: np.ravel(b)."
            raise ShapeError(f"b has shape {b.shape} but {self!r} needs ({self.out_features},) = "
                             f"(out_features,), one bias per neuron.{hint}")
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    # W and b are the live arrays in params: an optimizer updating params updates these too.
    @property
    def W(self):
        return self.params["W"]

    @W.setter
    def W(self, value):
        self.params["W"][...] = value

    @property
    def b(self):
        return self.params["b"]

    @b.setter
    def b(self, value):
        self.params["b"][...] = value

    @property
    def dtype(self):
        return self.params["W"].dtype

    upstream = "dZ of shape {shape} = (N, out_features), like forward's output"

    def forward(self, Y):
        """Return ``Z = Y Wᵀ + b`` for a batch Y of shape (N, in_features)."""
        self.Y = Y                       # cache: dW needs the input
        return Y @ self.W.T + self.b

    def backward(self, dZ, *, input_grad=True):
        """Given ``dZ = ∂L/∂Z`` (N, out_features), fill grads and return ``dY = dZ W``.

        With ``input_grad=False`` the layer skips ``dY`` and returns None: the first layer's input
        is the data, which needs no gradient, and ``dZ W`` would be a third of its backward's work.
        """
        # dW = dZᵀ Y and db = Σ_n dZ[n], written into the existing arrays (out=) so
        # Parameter.grad references stay live and no new arrays are allocated per batch.
        np.matmul(dZ.T, self.Y, out=self.grads["W"])
        np.sum(dZ, axis=0, out=self.grads["b"])
        if not input_grad:
            return None
        return dZ @ self.W

    def __repr__(self):
        return f"Linear({self.in_features}→{self.out_features})"


class Sequential(Layer):
    """A chain of layers: forward runs them in order, backward in reverse.

    Parameters
    ----------
    *layers : Layer
        The layers, first to last. Available as ``.layers``; ``model[i]`` and ``len(model)`` work.

    Examples
    --------
    >>> import numpy as np
    >>> import nnlib
    >>> model = nnlib.Sequential(nnlib.Linear(2, 3, rng=0), nnlib.ReLU(), nnlib.Linear(3, 1, rng=1))
    >>> model
    Sequential(Linear(2→3), ReLU(), Linear(3→1))
    >>> [p.name for p in model.parameters()]
    ['0.W', '0.b', '2.W', '2.b']
    >>> model(np.zeros((5, 2))).shape
    (5, 1)
    """

    checks_input = False      # each layer checks its own input

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if isinstance(layer, type):
                raise TypeError(f"Sequential: item {i} is the class {layer.__name__}, not a layer: "
                                f"add parentheses to make one, e.g. nnlib.{layer.__name__}().")
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"Sequential: item {i} ({layer!r}) is not a layer: it needs "
                                f"forward and backward methods.")
        self.layers = list(layers)

    def forward(self, X):
        """Run X through every layer in order; return the last layer's output."""
        for layer in self.layers:
            X = layer.forward(X)
        self._forward_done = True
        return X

    def backward(self, dOut, *, input_grad=True):
        """Run the chain rule backwards through every layer; return ∂L/∂(model input).

        With ``input_grad=False`` a first layer that supports it (Linear, Sequential) skips the
        gradient with respect to the data, and None is returned; :func:`nnlib.train` uses this.
        """
        self._check_forward_done()
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and isinstance(layer, (Linear, Sequential)):
                return layer.backward(dOut, input_grad=False)
            dOut = layer.backward(dOut)
        return dOut

    def parameters(self):
        """Yield Parameters named ``"<layer index>.<name>"``, e.g. ``"0.W"``, ``"2.b"``."""
        for i, layer in enumerate(self.layers):
            for p in layer.parameters():
                yield Parameter(f"{i}.{p.name}", p.value, p.grad)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        return f"Sequential({', '.join(repr(layer) for layer in self.layers)})"
