"""Jacobians of a network's layers and the per-weight → matrix gradient bridge (notebook 04).

The pure state behind :class:`nnlib.widgets.JacobianExplorer` and
:class:`nnlib.widgets.GradientBridge`; the HTML they show is drawn by :mod:`nnlib.pictures.jacobians`.
No widget, plotting or HTML here: every function is tested without a browser.

Notation (lecture "Vector formulation / the backward pass")
-----------------------------------------------------------
* Layer k: ``z_k = W_k y_{k−1} + b_k`` (a ``Linear``), then ``y_k = f_k(z_k)`` (its activation).
* A gradient of the scalar Div is a **row** vector: ``∇_z Div`` is 1 × D for z of length D.
* The Jacobian of y ∈ R^{D_out} w.r.t. z ∈ R^{D_in} is D_out × D_in: ``J_y(z)[j, i] = ∂y_j/∂z_i`` (rows = outputs, like ``W[j, i]``).
  The affine map's Jacobian is ``J_z(y) = W``; a scalar activation's is diagonal, softmax's full.
* Chain rule, outer function first: ``∇_z Div = ∇_y Div · J_y(z)`` (a vector–Jacobian product),
  ``∇_{y_{k−1}} Div = ∇_{z_k} Div · W_k``, ``∇_{b_k} Div = ∇_{z_k} Div``.
* ``∇_{W_k} Div = y_{k−1} ∇_{z_k} Div`` (column times row: shape (D_{k−1}, D_k), the shape of
  ``W_kᵀ``; entry (i, j) is ∂Div/∂w_ij = y_i ∂Div/∂z_j). nnlib stores ``dW`` with W's shape:
  ``dW = (∇_W Div)ᵀ = ∇_z Divᵀ y_{k−1}ᵀ``.

Examples
--------
>>> import numpy as np, nnlib
>>> from nnlib.lessons.network import example_network
>>> back = vector_backward(example_network(), [1.0, 2.0], [1.0, 0.0], nnlib.CrossEntropy())
>>> back.dzs[3].round(3)                       # ∇_z Div at the softmax input: y − d
array([-0.639,  0.639])
>>> back.grad_W_lecture(3).shape, back.dWs[3].shape   # ∇_W Div is (in, out); nnlib's dW is (out, in)
((2, 2), (2, 2))
>>> state = JacobianExplorerState(example_network(), [1.0, 2.0])
>>> [c.label for c in state.choices][:2]
['layer 1 affine: z⁽¹⁾ = W₁ y⁽⁰⁾ + b₁', 'layer 1 activation: y⁽¹⁾ = ReLU(z⁽¹⁾)']
>>> state.jacobian.shape                        # J_z(y) = W₁ (3 neurons × 2 inputs)
(3, 2)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from nnlib.gradcheck import numerical_jacobian
from nnlib.notation import factor, fmt, subscript, superscript, symbol

from .network import (activation_jacobian, forward_values, is_scalar_activation,
                      loss_value_and_gradient, network_layers)

__all__ = ["LayerJacobian", "VectorBackward", "BridgeStep", "BridgeState", "JacobianExplorerState",
           "layer_jacobians", "vector_jacobian_product", "vector_backward", "bridge_steps"]


# ---------------------------------------------------------------------------- Jacobians
@dataclass(frozen=True)
class LayerJacobian:
    """One nnlib layer of a model, at one input: its Jacobian and what it maps.

    Attributes
    ----------
    label : what the dropdown shows, e.g. ``"layer 2 activation: y⁽²⁾ = ReLU(z⁽²⁾)"``.
    kind : ``"affine"`` (a Linear: J = W) or ``"activation"``.
    k : lecture layer number (1 … Λ).
    position : index of the layer in ``model.layers``.
    in_symbol, out_symbol : ``"y⁽⁰⁾"``, ``"z⁽¹⁾"`` …
    x, y : the layer's input (D,) and output (M,) for this example.
    jacobian : (M, D), ``J[j, i] = ∂out_j/∂in_i``.
    structure : ``"full"``, ``"diagonal"`` or ``"W"`` (affine), for the explanation.
    """

    label: str
    kind: str
    k: int
    position: int
    in_symbol: str
    out_symbol: str
    x: np.ndarray
    y: np.ndarray
    jacobian: np.ndarray
    structure: str

    @property
    def shape_text(self) -> str:
        M, D = self.jacobian.shape
        return f"{M} × {D}"


def _activation_name(activation) -> str:
    return "identity" if activation is None else getattr(activation, "symbol", "f")


def layer_jacobians(model, x) -> list[LayerJacobian]:
    """The Jacobian of every layer (each Linear and each activation) of ``model`` at input ``x``.

    ``model`` is a Sequential of Linear layers, each optionally followed by one activation;
    ``x`` one example, shape (D,) or (1, D). The model itself is not touched (its cached values
    stay as they were).
    """
    layers = network_layers(model)
    record = forward_values(model, x)
    out, position = [], 0
    for k, layer in enumerate(layers, start=1):
        W = np.asarray(layer.linear.W, dtype=float)
        out.append(LayerJacobian(
            label=f"layer {k} affine: z{superscript(k)} = W{subscript(k)} y{superscript(k - 1)} + b{subscript(k)}",
            kind="affine", k=k, position=position, in_symbol=f"y{superscript(k - 1)}",
            out_symbol=f"z{superscript(k)}", x=record.ys[k - 1], y=record.zs[k], jacobian=W.copy(),
            structure="W"))
        position += 1
        if layer.activation is not None:
            name = _activation_name(layer.activation)
            out.append(LayerJacobian(
                label=f"layer {k} activation: y{superscript(k)} = {name}(z{superscript(k)})",
                kind="activation", k=k, position=position, in_symbol=f"z{superscript(k)}",
                out_symbol=f"y{superscript(k)}", x=record.zs[k], y=record.ys[k],
                jacobian=activation_jacobian(layer.activation, record.zs[k]),
                structure="diagonal" if is_scalar_activation(layer.activation) else "full"))
            position += 1
    return out


def vector_jacobian_product(upstream, jacobian) -> np.ndarray:
    """``∇_in Div = ∇_out Div · J``: the row vector upstream (M,) times J (M, D) → (D,).

    Raises ValueError with both shapes when they do not fit (e.g. J transposed).
    """
    g = np.asarray(upstream, dtype=float).reshape(-1)
    J = np.asarray(jacobian, dtype=float)
    if J.ndim != 2 or J.shape[0] != g.shape[0]:
        raise ValueError(f"the upstream gradient has {g.shape[0]} entries (one per OUTPUT), but the "
                         f"Jacobian has shape {J.shape} = (outputs, inputs): they do not fit. "
                         f"Is the Jacobian transposed?")
    return g @ J


# ---------------------------------------------------------------------------- vector backward
@dataclass
class VectorBackward:
    """Result of :func:`vector_backward`; lists indexed by lecture layer k (index 0: the input).

    ``ys[k]``, ``zs[k]`` (zs[0] None), ``dys[k] = ∇_{y_k} Div``, ``dzs[k] = ∇_{z_k} Div``,
    ``dWs[k]`` (nnlib layout, W's shape), ``dbs[k]``; ``div`` the divergence.
    """

    ys: list
    zs: list
    dys: list
    dzs: list
    dWs: list
    dbs: list
    div: float

    def grad_W_lecture(self, k: int) -> np.ndarray:
        """The lecture's ``∇_{W_k} Div = y_{k−1} ∇_{z_k} Div``, shape (D_{k−1}, D_k) = W_kᵀ's."""
        return np.outer(self.ys[k - 1], self.dzs[k])


def vector_backward(model, x, d, loss) -> VectorBackward:
    """The lecture's vector backward pass for one example, with explicit Jacobians.

    ∇_{y_Λ} Div from the loss; then for k = Λ … 1: ∇_{z_k} = ∇_{y_k} · J_{y_k}(z_k),
    ∇_{W_k} = y_{k−1} ∇_{z_k} (stored transposed, like nnlib), ∇_{b_k} = ∇_{z_k},
    ∇_{y_{k−1}} = ∇_{z_k} · W_k. The model and loss are not touched.
    """
    layers = network_layers(model)
    record = forward_values(model, x)
    div, dy = loss_value_and_gradient(loss, record.ys[-1], d)
    N = len(layers)
    dys, dzs = [None] * (N + 1), [None] * (N + 1)
    dWs, dbs = [None] * (N + 1), [None] * (N + 1)
    dys[N] = dy
    for k in range(N, 0, -1):
        layer = layers[k - 1]
        dzs[k] = vector_jacobian_product(dys[k], activation_jacobian(layer.activation, record.zs[k]))
        dWs[k] = np.outer(dzs[k], record.ys[k - 1])     # (∇_W Div)ᵀ: W's shape
        dbs[k] = dzs[k].copy()
        dys[k - 1] = dzs[k] @ np.asarray(layer.linear.W, dtype=float)
    return VectorBackward(record.ys, record.zs, dys, dzs, dWs, dbs, div)


# ---------------------------------------------------------------------------- explorer state
class JacobianExplorerState:
    """Which layer is picked, at which input, with which upstream gradient.

    Parameters
    ----------
    model : Sequential of Linear layers, each optionally followed by one activation.
    x : one example (D,) or (1, D).
    d, loss : optional target and nnlib loss; they add the upstream choice "∇ of Div" (the
        gradient the real backward pass brings to the picked layer's output).

    Upstream choices (``upstream_choices``): ``"div"`` (when d and loss are given), ``"ones"``
    (the VJP sums J's rows), ``"e0"``, ``"e1"`` … (a unit vector picks one row of J).
    """

    def __init__(self, model, x, d=None, loss=None, *, layer: int = 0, upstream: str | None = None):
        self.model, self.d, self.loss = model, d, loss
        self.x = np.asarray(x, dtype=float).reshape(-1).copy()
        self._position = int(layer)
        self._recompute()
        if not 0 <= self._position < len(self.choices):
            raise ValueError(f"layer {layer} does not exist: the model has layers 0 … {len(self.choices) - 1}")
        self.upstream = upstream or ("div" if self.has_loss else "ones")
        self._check_upstream(self.upstream)

    @property
    def has_loss(self) -> bool:
        return self.d is not None and self.loss is not None

    def _recompute(self) -> None:
        self.choices = layer_jacobians(self.model, self.x)
        self._backward = (vector_backward(self.model, self.x, self.d, self.loss)
                          if self.has_loss else None)

    # selection ------------------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self._position

    @property
    def current(self) -> LayerJacobian:
        return self.choices[self._position]

    @property
    def jacobian(self) -> np.ndarray:
        return self.current.jacobian

    def select(self, position: int) -> LayerJacobian:
        """Pick layer ``position`` (index into ``choices``); keep the upstream kind if it fits."""
        position = int(position)
        if not 0 <= position < len(self.choices):
            raise ValueError(f"layer {position} does not exist: choices are 0 … {len(self.choices) - 1}")
        self._position = position
        if self.upstream not in dict(self.upstream_choices()).values():
            self.upstream = "div" if self.has_loss else "ones"
        return self.current

    def set_input(self, x) -> None:
        """A new example x (same length); every Jacobian is recomputed."""
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.shape != self.x.shape:
            raise ValueError(f"x must keep its shape {self.x.shape}; got {x.shape}")
        self.x = x.copy()
        self._recompute()

    def set_upstream(self, kind: str) -> None:
        self._check_upstream(kind)
        self.upstream = kind

    # upstream gradient and VJP -----------------------------------------------------------------
    def upstream_choices(self) -> list[tuple[str, str]]:
        """(label, kind) pairs for the current layer's output size."""
        M = self.jacobian.shape[0]
        out = self.current.out_symbol
        choices = []
        if self.has_loss:
            choices.append((f"∇ of Div from the loss (the real backward pass at {out})", "div"))
        choices.append(("all ones (adds up J's rows)", "ones"))
        choices += [(f"unit vector e{subscript(j + 1)} (picks row {j + 1} of J)", f"e{j}") for j in range(M)]
        return choices

    def _check_upstream(self, kind: str) -> None:
        kinds = [k for _, k in self.upstream_choices()]
        if kind not in kinds:
            raise ValueError(f"upstream {kind!r} is not one of {kinds}")

    @property
    def upstream_gradient(self) -> np.ndarray:
        """The chosen ∇_out Div, a vector with one entry per output of the picked layer."""
        M = self.jacobian.shape[0]
        if self.upstream == "ones":
            return np.ones(M)
        if self.upstream == "div":
            c = self.current
            return (self._backward.dzs[c.k] if c.kind == "affine" else self._backward.dys[c.k]).copy()
        g = np.zeros(M)
        g[int(self.upstream[1:])] = 1.0
        return g

    @property
    def vjp(self) -> np.ndarray:
        """``∇_in Div = ∇_out Div · J`` for the picked layer and upstream gradient."""
        return vector_jacobian_product(self.upstream_gradient, self.jacobian)

    def numerical_error(self, eps: float = 1e-6) -> float:
        """Largest |J − numerical J| of the picked layer (central differences on a copy)."""
        c = self.current
        layer = copy.deepcopy(list(getattr(self.model, "layers", self.model))[c.position])
        numerical = numerical_jacobian(lambda v: np.asarray(layer.forward(v[None, :]), dtype=float)[0],
                                       np.array(c.x, dtype=float), eps=eps)
        return float(np.max(np.abs(numerical - c.jacobian)))

    def explanation(self) -> str:
        """One or two sentences on the picked Jacobian's shape and structure."""
        c = self.current
        M, D = c.jacobian.shape
        head = (f"J = ∂{c.out_symbol}/∂{c.in_symbol} has one row per output ({M}) and one column "
                f"per input ({D}): {M} × {D}. ")
        if c.structure == "W":
            return head + (f"For the affine map every entry is a weight: J = W{subscript(c.k)} "
                           f"(row j holds the weights into neuron j), whatever the input.")
        if c.structure == "diagonal":
            return head + ("A scalar activation: y_j depends on z_j only, so J is diagonal with "
                           "f′(z_j) on the diagonal.")
        return head + ("A vector activation: every y_j depends on every z_i, so J is full "
                       "(softmax: ∂y_j/∂z_i = y_j(δ_ij − y_i)).")


# ---------------------------------------------------------------------------- gradient bridge
@dataclass(frozen=True)
class BridgeStep:
    """One step of the bridge from per-weight derivatives to the matrix ∇_W Div.

    ``kind``: ``"start"``, ``"entry"`` (one ∂Div/∂w_ij, indices ``i``, ``j`` 0-based),
    ``"outer"`` (the whole matrix as y ∇_z Div) or ``"nnlib"`` (dW = (∇_W Div)ᵀ).
    """

    kind: str
    symbol: str
    formula: str
    substituted: str
    result: str
    description: str
    value: float | None = None
    i: int | None = None
    j: int | None = None


class BridgeState:
    """Numbers behind :class:`nnlib.widgets.GradientBridge` for layer k of ``model``.

    Attributes: ``k``, ``y`` = y_{k−1} (D_in,), ``dz`` = ∇_{z_k} Div (D_out,), ``grad_W`` = the
    lecture's ∇_W Div (D_in, D_out), ``dW`` = its transpose (nnlib layout), ``nnlib_dW`` = what
    nnlib's own backward stores in ``grads["W"]`` (computed on a copy of the model), ``steps``.
    """

    def __init__(self, model, x, d, loss, *, layer: int | None = None, digits: int = 4):
        layers = network_layers(model)
        self.k = len(layers) if layer is None else int(layer)
        if not 1 <= self.k <= len(layers):
            raise ValueError(f"layer {layer} does not exist: the network has layers 1 … {len(layers)}")
        back = vector_backward(model, x, d, loss)
        self.y = back.ys[self.k - 1]
        self.dz = back.dzs[self.k]
        self.grad_W = back.grad_W_lecture(self.k)
        self.dW = back.dWs[self.k]
        self.div = back.div
        self.nnlib_dW = _nnlib_dW(model, x, d, loss, self.k)
        self.steps = bridge_steps(self.y, self.dz, self.k, digits=digits)


def _nnlib_dW(model, x, d, loss, k: int) -> np.ndarray:
    """nnlib's own dW of lecture layer k for one example (on copies: the caller's caches stay)."""
    model, loss = copy.deepcopy(model), copy.deepcopy(loss)
    layers = network_layers(model)
    X = np.asarray(x, dtype=float).reshape(1, -1)
    D = np.asarray(d, dtype=float).reshape(1, -1)
    loss.forward(model.forward(X), D)
    model.backward(loss.backward())
    return np.asarray(layers[k - 1].linear.grads["W"], dtype=float).copy()


def bridge_steps(y, dz, k: int, *, digits: int = 4) -> list[BridgeStep]:
    """Steps: the known vectors, then ∂Div/∂w_ij = y_i ∂Div/∂z_j entry by entry (row i of ∇_W at a
    time), then the whole matrix as the outer product y ∇_z Div, then nnlib's dW = (∇_W Div)ᵀ."""
    y = np.asarray(y, dtype=float).reshape(-1)
    dz = np.asarray(dz, dtype=float).reshape(-1)
    D_in, D_out = len(y), len(dz)
    K = superscript(k)
    steps = [BridgeStep(
        "start", f"y{superscript(k - 1)}, ∇_z{K} Div", f"z{K} = W{subscript(k)} y{superscript(k - 1)} + b{subscript(k)}", "",
        f"y{superscript(k - 1)} = [{', '.join(fmt(v, digits) for v in y)}],  "
        f"∇_z{K} Div = [{', '.join(fmt(v, digits) for v in dz)}]",
        f"Known from the forward and backward passes: the layer's input y{superscript(k - 1)} "
        f"({D_in} numbers) and the derivative of Div w.r.t. its pre-activations z{K} ({D_out} numbers). "
        f"Every weight derivative of this layer is a product of one of each.")]
    for i in range(D_in):
        for j in range(D_out):
            value = y[i] * dz[j]
            w = symbol("w", k, i, j)
            y_sym, z_sym = symbol("y", k - 1, i), symbol("z", k, j)
            steps.append(BridgeStep(
                "entry", f"∂Div/∂{w}", f"∂Div/∂{w} = {y_sym} · ∂Div/∂{z_sym}",
                f"{factor(y[i], digits)} · {factor(dz[j], digits)}", fmt(value, digits),
                f"Notebook 03's rule for one weight: w{subscript(i + 1)}{subscript(j + 1)} carries input "
                f"{i + 1} into neuron {j + 1}, so its derivative is that input times neuron {j + 1}'s "
                f"∂Div/∂z. It fills row {i + 1}, column {j + 1} of ∇_W Div.",
                value=float(value), i=i, j=j))
    steps.append(BridgeStep(
        "outer", f"∇_W{subscript(k)} Div", f"∇_W{subscript(k)} Div = y{superscript(k - 1)} ∇_z{K} Div",
        f"({D_in} × 1 column) · (1 × {D_out} row)", f"{D_in} × {D_out} matrix",
        f"All {D_in * D_out} products at once: the column y{superscript(k - 1)} times the row ∇_z Div is "
        f"their outer product. Its shape ({D_in} × {D_out}, inputs × neurons) is that of "
        f"W{subscript(k)}ᵀ, not W{subscript(k)}: the lecture writes gradients as rows."))
    steps.append(BridgeStep(
        "nnlib", "dW (nnlib, grads['W'])", f"dW = (∇_W Div)ᵀ = ∇_z Divᵀ y{superscript(k - 1)}ᵀ",
        f"({D_out} × 1) · (1 × {D_in})", f"{D_out} × {D_in} matrix, W's shape",
        "nnlib stores the gradient with the parameter's shape (neurons × inputs), so that "
        "W −= lr · dW lines up entry by entry: dW is the transpose, dW[j, i] = ∂Div/∂w_ij."))
    return steps
