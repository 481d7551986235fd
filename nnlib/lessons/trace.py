"""Scalar-by-scalar traces of a network's forward and backward pass, in the lecture's notation.

A trace is a list of :class:`Step` records. Each step computes ONE number (a pre-activation
z_j^(k), an output y_j^(k), the divergence, or one derivative of the divergence) and records the
formula, the same formula with numbers, the result, a one-sentence description and what to
highlight in a drawing of the network. A :class:`Stepper` walks through the steps; the widgets in
:mod:`nnlib.widgets` only display the stepper's current step. This module imports no widget or
plotting library, so it is tested without a browser.

Notation (lecture 5a / "Forward and backward propagation")
----------------------------------------------------------
* Layer k = 1 … Λ is one ``Linear`` followed by its activation f_k (none = identity); layer 0 is the
  input, y^(0) = x.
* w_ij^(k) connects input i (of layer k−1) to neuron j (of layer k). nnlib stores it as
  ``W[j, i]`` of the k-th Linear (W is (out, in)).
* Forward:  z_j^(k) = Σ_i w_ij^(k) y_i^(k−1) + b_j^(k),   y_j^(k) = f_k(z_j^(k)).
* Backward (Div = the divergence of ONE example):
  ∂Div/∂y_i^(N) from the loss;
  ∂Div/∂z_i^(k) = f_k'(z_i^(k)) ∂Div/∂y_i^(k)   (softmax: Σ_j ∂y_j/∂z_i · ∂Div/∂y_j);
  ∂Div/∂w_ij^(k) = y_i^(k−1) ∂Div/∂z_j^(k);   ∂Div/∂b_j^(k) = ∂Div/∂z_j^(k);
  ∂Div/∂y_i^(k−1) = Σ_j w_ij^(k) ∂Div/∂z_j^(k).

Indices in the API (``Step.index``, ``numerical_check``) are numpy's, 0-based; the symbols shown to
students are 1-based like the lecture (index 0 is printed as ₁).

Examples
--------
The worked 2-3-2-2 example of lecture 5a (ReLU, ReLU, softmax):

>>> from nnlib.lessons.network import example_network
>>> model = example_network()
>>> steps = forward_trace(model, [1.0, 2.0])
>>> print(steps[1].formula)
z₁⁽¹⁾ = w₁₁⁽¹⁾·y₁⁽⁰⁾ + w₂₁⁽¹⁾·y₂⁽⁰⁾ + b₁⁽¹⁾
>>> print(steps[1].equation)
z₁⁽¹⁾ = 0.2·1 + 0.3·2 + 0.1 = 0.9
>>> stepper = Stepper(steps)
>>> stepper.goto(len(stepper) - 1).symbol
'y₂⁽³⁾'
>>> round(stepper.current.value, 3)
0.639
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from nnlib.activations import Activation, Identity, softmax
from nnlib.gradcheck import central_difference
from nnlib.notation import (LOSS_ID, factor, fmt, join_sum, neuron_id, subscript, superscript,
                            symbol)

from .network import (activation_jacobian, forward_values, is_scalar_activation,
                      loss_value_and_gradient, network_layers, one_example)

__all__ = ["Term", "Step", "Trace", "Stepper", "NumericalCheck", "forward_trace", "backward_trace",
           "numerical_check", "check_model"]

# ---------------------------------------------------------------------------- steps
@dataclass(frozen=True)
class Term:
    """One term of a backward sum: ``local`` × ``upstream`` = ``product``.

    ``local`` is the local derivative on the edge (w_ij, f'(z), ∂y_j/∂z_i, y_i), ``upstream`` the
    derivative of Div already known at the edge's far end; ``edge`` is the drawn edge (tail, head)
    or None when the edge is inside a neuron (z → y).
    """

    local_symbol: str
    local: float
    upstream_symbol: str
    upstream: float
    product: float
    edge: tuple[str, str] | None = None


@dataclass(frozen=True)
class Step:
    """One computed number of a trace.

    Attributes
    ----------
    kind : "input", "z", "y", "loss" (forward); "dy", "dz", "dw", "db" (backward, ∂Div/∂·).
    layer : lecture layer k (0 = input).
    index : 0-based indices: (j,) for z, y, dz, dy, db; (i, j) for dw (W[j, i]); () for input/loss.
    symbol : what is computed, e.g. ``"z₁⁽¹⁾"`` or ``"∂Div/∂w₁₂⁽²⁾"``.
    formula : the equation in symbols.
    substituted : its right-hand side with the numbers put in.
    value : the result (None for the input step, whose result is a vector).
    result : the result as text.
    description : one sentence saying what happens and why.
    nodes, edges : drawing ids to highlight (see :func:`neuron_id`, :data:`LOSS_ID`).
    focus : the drawing id whose value this step computes (drawn in the focus colour).
    terms, running : for sums, each term and the running total after it.
    param : for dw/db, (k, "W", (j, i)) or (k, "b", (j,)): where the number lives in nnlib.
    """

    kind: str
    layer: int
    index: tuple
    symbol: str
    formula: str
    substituted: str
    value: float | None
    result: str
    description: str
    nodes: tuple = ()
    edges: tuple = ()
    focus: str | None = None
    terms: tuple = ()
    running: tuple = ()
    param: tuple | None = None

    @property
    def equation(self) -> str:
        """``symbol = substituted = result`` on one line."""
        if not self.substituted or self.substituted == self.result:
            return f"{self.symbol} = {self.result}"
        return f"{self.symbol} = {self.substituted} = {self.result}"


class Trace(list):
    """A list of :class:`Step` plus what a drawing needs: layer widths and whether a loss follows."""

    def __init__(self, steps: Sequence[Step], sizes: Sequence[int], has_loss: bool, title: str = "",
                 known: dict | None = None):
        super().__init__(steps)
        self.sizes = tuple(int(s) for s in sizes)
        self.has_loss = bool(has_loss)
        self.title = title
        # values already known before the first step (the backward pass starts from a finished
        # forward pass): node id -> {quantity: text}
        self.known = {node: dict(q) for node, q in (known or {}).items()}

    def annotations(self, position: int) -> tuple[dict, dict]:
        """Text revealed by steps 0 … position: (node id -> list of lines, edge -> text).

        Forward steps put ``z=…``/``y=…`` on neurons; backward steps put ``∂z=…`` on neurons and
        ``∂w=…`` on edges, so a drawing shows exactly what has been computed so far.
        """
        nodes: dict[str, dict[str, str]] = {node: dict(q) for node, q in self.known.items()}
        edges: dict[tuple[str, str], str] = {}
        for step in self[: position + 1]:
            if step.kind == "input":
                for i, text in enumerate(step.result.strip("[]").split(", ")):
                    nodes.setdefault(neuron_id(0, i), {})["y"] = f"y={text}"
            elif step.kind == "dw":
                edges[step.edges[0]] = f"∂w={step.result}"
            elif step.focus is not None and step.kind in ("z", "y", "loss", "dz", "dy"):
                key = {"z": "z", "y": "y", "loss": "Div", "dz": "∂z", "dy": "∂y"}[step.kind]
                nodes.setdefault(step.focus, {})[key] = f"{key}={step.result}"
        return {n: list(v.values()) for n, v in nodes.items()}, edges


def _described(activation):
    """What explains the activation: the object itself; None (no activation) is the identity.

    An activation that is not nnlib's (any object with ``jacobian``) is written as f.
    """
    if activation is None:
        return Identity
    return activation if isinstance(activation, Activation) else Activation


def _activation_text(activation, z_sym: str) -> tuple[str, str]:
    """(name of f, f written out) for the y step."""
    a = _described(activation)
    return a.name, a.formula.format(z=z_sym)


def _activation_substituted(activation, z: float, digits: int) -> str:
    """f written out with the number z in."""
    return _described(activation).substituted.format(z=fmt(z, digits), z_factor=factor(z, digits))


def _derivative_text(activation) -> str:
    return _described(activation).derivative_text


def _loss_texts(loss, y: np.ndarray, d: np.ndarray, N: int, digits: int):
    """(formula, substituted, derivative formulas, derivative substitutions) for a known loss."""
    name = type(loss).__name__
    ys = [symbol("y", N, j) for j in range(len(y))]
    ds = [symbol("d", None, j) for j in range(len(y))]
    f = lambda v: fmt(v, digits)  # noqa: E731 - a short local alias keeps the tables readable
    if name == "SquaredError":
        formula = " + ".join(f"({a} − {b})²" for a, b in zip(ys, ds))
        subst = " + ".join(f"({f(a)} − {f(b)})²" for a, b in zip(y, d))
        dform = [f"2({a} − {b})" for a, b in zip(ys, ds)]
        dsub = [f"2({f(a)} − {f(b)})" for a, b in zip(y, d)]
    elif name == "CrossEntropy":
        formula = "−(" + " + ".join(f"{b}·log {a}" for a, b in zip(ys, ds)) + ")"
        subst = "−(" + " + ".join(f"{f(b)}·log {f(a)}" for a, b in zip(y, d)) + ")"
        dform = [f"−{b}/{a}" for a, b in zip(ys, ds)]
        dsub = [f"−{factor(b, digits)}/{factor(a, digits)}" for a, b in zip(y, d)]
    elif name == "BinaryCrossEntropy" and len(y) == 1:
        a, b = ys[0], ds[0]
        formula = f"−[{b}·log {a} + (1 − {b})·log(1 − {a})]"
        subst = f"−[{f(d[0])}·log {f(y[0])} + (1 − {f(d[0])})·log(1 − {f(y[0])})]"
        dform = [f"−{b}/{a} + (1 − {b})/(1 − {a})"]
        dsub = [f"−{f(d[0])}/{f(y[0])} + (1 − {f(d[0])})/(1 − {f(y[0])})"]
    elif name == "SoftmaxCrossEntropy":
        p = softmax(y)
        formula = f"−Σⱼ dⱼ·log softmax(y{superscript(N)})ⱼ"
        subst = "−(" + " + ".join(f"{f(b)}·log {f(a)}" for a, b in zip(p, d)) + ")"
        dform = [f"softmax(y{superscript(N)})" + f"{subscript(j + 1)} − {ds[j]}" for j in range(len(y))]
        dsub = [f"{f(a)} − {f(b)}" for a, b in zip(p, d)]
    else:
        formula = f"{name}(y{superscript(N)}, d)"
        subst = ""
        dform = [f"(from {name}.backward)"] * len(y)
        dsub = [""] * len(y)
    return formula, subst, dform, dsub


def _prepare(model, x, d=None):
    layers = network_layers(model)
    record = forward_values(model, x)
    sizes = [layers[0].linear.in_features] + [layer.linear.out_features for layer in layers]
    if d is not None:
        d = one_example(d, sizes[-1], "d (the target)")
    return layers, record, sizes, d


def _apply(activation, z: np.ndarray) -> np.ndarray:
    """f(z) for one example, by nnlib's own activation run on a copy (the real one keeps its cache)."""
    return np.asarray(copy.deepcopy(activation).forward(z[None, :]), dtype=float)[0]


def _forward_steps(layers, record, digits: int, max_terms: int) -> list[Step]:
    """The input, then per layer every zⱼ⁽ᵏ⁾ and yⱼ⁽ᵏ⁾."""
    x = record.ys[0]
    steps: list[Step] = [Step(
        kind="input", layer=0, index=(), symbol="y⁽⁰⁾", formula="y⁽⁰⁾ = x",
        substituted="", value=None, result="[" + ", ".join(fmt(v, digits) for v in x) + "]",
        description="The input layer just holds the example: y_i⁽⁰⁾ = x_i.",
        nodes=tuple(neuron_id(0, i) for i in range(len(x))),
    )]
    for k, layer in enumerate(layers, start=1):
        z_steps = _affine_steps(k, layer.linear, record.ys[k - 1], digits, max_terms)
        z_vec = np.array([s.value for s in z_steps])
        if is_scalar_activation(layer.activation):
            y_steps = _scalar_activation_steps(k, layer.activation, z_vec, digits)
            # scalar activations: z_j then y_j, neuron by neuron, as in the lecture's picture
            for z_step, y_step in zip(z_steps, y_steps):
                steps += [z_step, y_step]
        else:
            steps += z_steps + _softmax_steps(k, layer.activation, z_vec, digits, max_terms)
    return steps


def _affine_steps(k: int, linear, y_prev, digits: int, max_terms: int) -> list[Step]:
    """zⱼ⁽ᵏ⁾ = Σᵢ wᵢⱼ⁽ᵏ⁾ yᵢ⁽ᵏ⁻¹⁾ + bⱼ⁽ᵏ⁾ for every neuron j, summed term by term as a student would."""
    W = np.asarray(linear.W, dtype=float)
    b = np.asarray(linear.b, dtype=float)
    steps = []
    for j in range(W.shape[0]):
        z = 0.0
        for i in range(W.shape[1]):
            z += W[j, i] * y_prev[i]
        z += b[j]
        zs = symbol("z", k, j)
        parts = [f"{symbol('w', k, i, j)}·{symbol('y', k - 1, i)}" for i in range(W.shape[1])]
        nums = [f"{factor(W[j, i], digits)}·{factor(y_prev[i], digits)}" for i in range(W.shape[1])]
        steps.append(Step(
            kind="z", layer=k, index=(j,), symbol=zs,
            formula=f"{zs} = {join_sum(parts, max_terms)} + {symbol('b', k, j)}",
            substituted=f"{join_sum(nums, max_terms)} + {factor(b[j], digits)}",
            value=float(z), result=fmt(z, digits),
            description=(f"Neuron {j + 1} of layer {k} weighs each output of layer {k - 1} by the "
                         f"weight on its edge, adds them up and adds its bias."),
            nodes=tuple(neuron_id(k - 1, i) for i in range(W.shape[1])) + (neuron_id(k, j),),
            edges=tuple((neuron_id(k - 1, i), neuron_id(k, j)) for i in range(W.shape[1])),
            focus=neuron_id(k, j),
        ))
    return steps


def _scalar_activation_steps(k: int, activation, z_vec, digits: int) -> list[Step]:
    """yⱼ⁽ᵏ⁾ = fₖ(zⱼ⁽ᵏ⁾) for every neuron j, by nnlib's own activation."""
    y_vec = z_vec if activation is None else _apply(activation, z_vec)
    steps = []
    for j in range(len(z_vec)):
        zs, ys_ = symbol("z", k, j), symbol("y", k, j)
        fname, ftext = _activation_text(activation, zs)
        steps.append(Step(
            kind="y", layer=k, index=(j,), symbol=ys_, formula=f"{ys_} = {ftext}",
            substituted=_activation_substituted(activation, z_vec[j], digits),
            value=float(y_vec[j]), result=fmt(y_vec[j], digits),
            description=f"The activation f{subscript(k)} ({fname}) turns "
                        f"the neuron's pre-activation into its output.",
            nodes=(neuron_id(k, j),), focus=neuron_id(k, j),
        ))
    return steps


def _softmax_steps(k: int, activation, z_vec, digits: int, max_terms: int) -> list[Step]:
    """yⱼ⁽ᵏ⁾ = e^zⱼ / Σᵢ e^zᵢ for every output j: each needs every z of the layer."""
    y_vec = _apply(activation, z_vec)
    exps = [f"e^{symbol('z', k, i)}" for i in range(len(z_vec))]
    steps = []
    for j in range(len(y_vec)):
        ys_ = symbol("y", k, j)
        steps.append(Step(
            kind="y", layer=k, index=(j,), symbol=ys_,
            formula=f"{ys_} = e^{symbol('z', k, j)} / ({join_sum(exps, max_terms)})",
            substituted=(f"e^{factor(z_vec[j], digits)} / (" + join_sum(
                [f"e^{factor(v, digits)}" for v in z_vec], max_terms) + ")"),
            value=float(y_vec[j]), result=fmt(y_vec[j], digits),
            description=(f"Softmax is a vector activation: output {j + 1} depends on every "
                         f"z of layer {k}, so all of them must be computed first."),
            nodes=tuple(neuron_id(k, i) for i in range(len(y_vec))), focus=neuron_id(k, j),
        ))
    return steps


def _loss_step(loss, layers, record, d, digits: int) -> Step:
    N = len(layers)
    y = record.ys[N]
    formula, subst, _, _ = _loss_texts(loss, y, d, N, digits)
    value = float(copy.deepcopy(loss).forward(y[None, :], d[None, :]))
    return Step(
        kind="loss", layer=N + 1, index=(), symbol="Div", formula=f"Div = {formula}",
        substituted=subst, value=value, result=fmt(value, digits),
        description="The divergence compares the network's output with the target d: it is the "
                    "number training tries to make small.",
        nodes=tuple(neuron_id(N, j) for j in range(len(y))) + (LOSS_ID,),
        edges=tuple((neuron_id(N, j), LOSS_ID) for j in range(len(y))), focus=LOSS_ID,
    )


def forward_trace(model, x, d=None, loss=None, *, digits: int = 4, max_terms: int = 6) -> Trace:
    """Trace the forward pass of one example, one number per step.

    Parameters
    ----------
    model : nnlib Sequential of Linear layers, each optionally followed by one activation
        (Identity, Sigmoid, Tanh, ReLU, or Softmax).
    x : array of shape (D,) or (1, D)
    d, loss : optional target (D_N,) and nnlib loss; with both, a last step computes Div.
    digits : significant digits in the displayed numbers (values keep full precision).
    max_terms : longer sums are shown with "…" in the middle.

    Returns
    -------
    Trace (a list of Step): "input", then per layer z_j and y_j (neuron by neuron; for softmax all
    z before the y), then optionally "loss".
    """
    if (d is None) != (loss is None):
        raise ValueError("give both d and loss (to trace the divergence) or neither")
    layers, record, sizes, d = _prepare(model, x, d)
    steps = _forward_steps(layers, record, digits, max_terms)
    if loss is not None:
        steps.append(_loss_step(loss, layers, record, d, digits))
    return Trace(steps, sizes, has_loss=loss is not None, title="forward pass")


def backward_trace(model, x, d, loss, *, digits: int = 4, max_terms: int = 6,
                   input_gradient: bool = False) -> Trace:
    """Trace backpropagation of one example's divergence, one derivative per step.

    Parameters
    ----------
    model, x : as for :func:`forward_trace`.
    d : target of shape (D_N,) or (1, D_N).
    loss : an nnlib loss (SquaredError, CrossEntropy, BinaryCrossEntropy, SoftmaxCrossEntropy, or
        any object with forward(Y, D) and backward()).
    input_gradient : also trace ∂Div/∂x_i (= ∂Div/∂y_i⁽⁰⁾) at the end.

    Returns
    -------
    Trace: "loss" (the divergence, for context); "dy" for every output (from the loss); then for
    k = Λ … 1: "dz" for every neuron, "dw" and "db" for every weight and bias, "dy" for layer
    k − 1 (skipped for the input unless ``input_gradient``). Sums record each term and the running
    total; every value is computed from those scalar terms (tests compare it with nnlib's
    vectorised backward and with numerical derivatives).
    """
    layers, record, sizes, d = _prepare(model, x, d)
    N = len(layers)
    steps: list[Step] = [_loss_step(loss, layers, record, d, digits)]
    dy_steps, dy = _output_gradient_steps(loss, record, d, N, digits)
    steps += dy_steps
    for k in range(N, 0, -1):           # ∂Div/∂y⁽ᵏ⁾ known: through layer k, back to layer k − 1
        layer = layers[k - 1]
        W = np.asarray(layer.linear.W, dtype=float)
        dz_steps, dz = _pre_activation_steps(layer.activation, k, record.zs[k], dy, digits, max_terms)
        steps += dz_steps
        steps += _parameter_steps(k, record.ys[k - 1], dz, W.shape[0], digits)
        if k == 1 and not input_gradient:
            break
        dy_steps, dy = _input_gradient_steps(k, W, dz, digits, max_terms)
        steps += dy_steps
    known = {neuron_id(k, j): {"y": f"y={fmt(v, digits)}"}
             for k, ys in enumerate(record.ys) for j, v in enumerate(ys)}
    return Trace(steps, sizes, has_loss=True, title="backward pass", known=known)


def _output_gradient_steps(loss, record, d, N: int, digits: int) -> tuple[list[Step], np.ndarray]:
    """∂Div/∂yᵢ⁽ᴺ⁾ from the loss, one step per output; and that vector."""
    y_out = record.ys[N]
    _, dy = loss_value_and_gradient(loss, y_out, d)  # ∂Div/∂y^(N) (a batch of one)
    _, _, dform, dsub = _loss_texts(loss, y_out, d, N, digits)
    steps = []
    for i in range(len(dy)):
        sym = f"∂Div/∂{symbol('y', N, i)}"
        steps.append(Step(
            kind="dy", layer=N, index=(i,), symbol=sym, formula=f"{sym} = {dform[i]}",
            substituted=dsub[i], value=float(dy[i]), result=fmt(dy[i], digits),
            description="Backpropagation starts at the loss: how much Div changes per unit change "
                        "of this output.",
            nodes=(neuron_id(N, i), LOSS_ID), edges=((neuron_id(N, i), LOSS_ID),), focus=neuron_id(N, i),
        ))
    return steps, np.array(dy, dtype=float)


def _pre_activation_steps(activation, k: int, z, dy, digits: int,
                          max_terms: int) -> tuple[list[Step], np.ndarray]:
    """∂Div/∂zᵢ⁽ᵏ⁾ = Σⱼ ∂yⱼ/∂zᵢ · ∂Div/∂yⱼ (one term, f′(zᵢ)·∂Div/∂yᵢ, for a scalar activation)."""
    J = activation_jacobian(activation, z)  # J[j, i] = ∂y_j/∂z_i
    scalar = is_scalar_activation(activation)
    steps, dz = [], np.zeros(len(z))
    for i in range(len(z)):
        sym = f"∂Div/∂{symbol('z', k, i)}"
        terms, running, total = [], [], 0.0
        for j in ([i] if scalar else range(len(z))):
            product = J[j, i] * dy[j]
            total += product
            local_sym = (f"f′{subscript(k)}({symbol('z', k, i)})" if scalar
                         else f"∂{symbol('y', k, j)}/∂{symbol('z', k, i)}")
            terms.append(Term(local_sym, float(J[j, i]), f"∂Div/∂{symbol('y', k, j)}",
                              float(dy[j]), float(product)))
            running.append(float(total))
        dz[i] = total
        if scalar:
            formula = f"{sym} = {terms[0].local_symbol}·{terms[0].upstream_symbol}"
            description = ("Going back through the activation multiplies by its slope at z: "
                           f"{_derivative_text(activation)}.")
            nodes = (neuron_id(k, i),)
        else:
            formula = f"{sym} = Σⱼ ∂yⱼ{superscript(k)}/∂{symbol('z', k, i)}·∂Div/∂yⱼ{superscript(k)}"
            description = ("Softmax is a vector activation: z_i influences every output y_j, so "
                           "we add one term per output, ∂y_j/∂z_i = y_j(δ_ij − y_i).")
            nodes = tuple(neuron_id(k, j) for j in range(len(z)))
        steps.append(Step(
            kind="dz", layer=k, index=(i,), symbol=sym, formula=formula,
            substituted=join_sum([f"{factor(t.local, digits)}·{factor(t.upstream, digits)}"
                                  for t in terms], max_terms),
            value=float(dz[i]), result=fmt(dz[i], digits), description=description,
            nodes=nodes, focus=neuron_id(k, i), terms=tuple(terms), running=tuple(running),
        ))
    return steps, dz


def _parameter_steps(k: int, y_prev, dz, n_out: int, digits: int) -> list[Step]:
    """∂Div/∂wᵢⱼ⁽ᵏ⁾ = yᵢ⁽ᵏ⁻¹⁾·∂Div/∂zⱼ⁽ᵏ⁾ for every weight into neuron j, then ∂Div/∂bⱼ⁽ᵏ⁾ = ∂Div/∂zⱼ⁽ᵏ⁾."""
    steps = []
    for j in range(n_out):
        for i in range(len(y_prev)):
            sym = f"∂Div/∂{symbol('w', k, i, j)}"
            value = y_prev[i] * dz[j]
            edge = (neuron_id(k - 1, i), neuron_id(k, j))
            term = Term(symbol("y", k - 1, i), float(y_prev[i]), f"∂Div/∂{symbol('z', k, j)}",
                        float(dz[j]), float(value), edge)
            steps.append(Step(
                kind="dw", layer=k, index=(i, j), symbol=sym,
                formula=f"{sym} = {symbol('y', k - 1, i)}·∂Div/∂{symbol('z', k, j)}",
                substituted=f"{factor(y_prev[i], digits)}·{factor(dz[j], digits)}",
                value=float(value), result=fmt(value, digits),
                description=(f"The weight multiplies {symbol('y', k - 1, i)} on its way into "
                             f"{symbol('z', k, j)}, so its gradient is that input times ∂Div/∂{symbol('z', k, j)}."),
                nodes=edge, edges=(edge,), focus=neuron_id(k, j), terms=(term,),
                running=(float(value),), param=(k, "W", (j, i)),
            ))
        sym = f"∂Div/∂{symbol('b', k, j)}"
        steps.append(Step(
            kind="db", layer=k, index=(j,), symbol=sym,
            formula=f"{sym} = ∂Div/∂{symbol('z', k, j)}", substituted="",
            value=float(dz[j]), result=fmt(dz[j], digits),
            description="The bias is a weight on a constant input 1, so its gradient is ∂Div/∂z itself.",
            nodes=(neuron_id(k, j),), focus=neuron_id(k, j), param=(k, "b", (j,)),
        ))
    return steps


def _input_gradient_steps(k: int, W, dz, digits: int, max_terms: int) -> tuple[list[Step], np.ndarray]:
    """∂Div/∂yᵢ⁽ᵏ⁻¹⁾ = Σⱼ wᵢⱼ⁽ᵏ⁾·∂Div/∂zⱼ⁽ᵏ⁾: the distributed chain rule over neuron i's fan-out."""
    steps, dy_prev = [], np.zeros(W.shape[1])
    for i in range(W.shape[1]):
        sym = f"∂Div/∂{symbol('y', k - 1, i)}"
        terms, running, total = [], [], 0.0
        for j in range(W.shape[0]):
            product = W[j, i] * dz[j]
            total += product
            terms.append(Term(symbol("w", k, i, j), float(W[j, i]), f"∂Div/∂{symbol('z', k, j)}",
                              float(dz[j]), float(product), (neuron_id(k - 1, i), neuron_id(k, j))))
            running.append(float(total))
        dy_prev[i] = total
        steps.append(Step(
            kind="dy", layer=k - 1, index=(i,), symbol=sym,
            formula=f"{sym} = " + join_sum([f"{t.local_symbol}·{t.upstream_symbol}" for t in terms], max_terms),
            substituted=join_sum([f"{factor(t.local, digits)}·{factor(t.upstream, digits)}"
                                  for t in terms], max_terms),
            value=float(total), result=fmt(total, digits),
            description=(f"{symbol('y', k - 1, i)} feeds every neuron of layer {k}; its influence "
                         f"on Div is the sum over those paths (the distributed chain rule)."),
            nodes=(neuron_id(k - 1, i),) + tuple(neuron_id(k, j) for j in range(W.shape[0])),
            edges=tuple(t.edge for t in terms), focus=neuron_id(k - 1, i),
            terms=tuple(terms), running=tuple(running),
        ))
    return steps, dy_prev


# ---------------------------------------------------------------------------- stepping
class Stepper:
    """Position in a list of steps; the state behind every stepping widget.

    >>> s = Stepper(["a", "b", "c"])
    >>> s.current, s.at_start, s.at_end
    ('a', True, False)
    >>> s.next(); s.next(); s.next()          # stays at the end
    'b'
    'c'
    'c'
    >>> s.at_end, s.prev(), s.reset(), s.position
    (True, 'b', 'a', 0)
    >>> list(Stepper(["a", "b", "c"]).play())  # the steps a Play button would show next
    ['b', 'c']
    """

    def __init__(self, steps: Sequence):
        if len(steps) == 0:
            raise ValueError("a Stepper needs at least one step")
        self.steps = steps
        self.position = 0

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def current(self):
        """The step at the current position."""
        return self.steps[self.position]

    @property
    def at_start(self) -> bool:
        return self.position == 0

    @property
    def at_end(self) -> bool:
        return self.position == len(self.steps) - 1

    def goto(self, position: int):
        """Jump to a position (0 … len − 1; negative counts from the end); return the step."""
        n = len(self.steps)
        position = int(position)
        if not -n <= position < n:
            raise IndexError(f"step {position} does not exist: positions are 0 … {n - 1}")
        self.position = position % n
        return self.current

    def next(self):
        """Advance one step (no-op at the end); return the current step."""
        return self.goto(min(self.position + 1, len(self.steps) - 1))

    def prev(self):
        """Go back one step (no-op at the start); return the current step."""
        return self.goto(max(self.position - 1, 0))

    def reset(self):
        """Back to the first step; return it."""
        return self.goto(0)

    def play(self) -> Iterator:
        """Advance to the end one step at a time, yielding each step reached."""
        while not self.at_end:
            yield self.next()


# ---------------------------------------------------------------------------- numerical checks
@dataclass(frozen=True)
class NumericalCheck:
    """A traced derivative next to its central-difference estimate."""

    symbol: str
    traced: float
    numerical: float
    relative_error: float
    agrees: bool
    note: str = ""

    def __str__(self) -> str:
        verdict = "agree" if self.agrees else "DISAGREE"
        note = f"; {self.note}" if self.note else ""
        return (f"{self.symbol}: backprop {self.traced:.8g}, numerical {self.numerical:.8g}, "
                f"relative error {self.relative_error:.1e} ({verdict}{note})")


def _loss_of(model, x, d, loss) -> float:
    y = forward_values(model, x).ys[-1]
    return float(copy.deepcopy(loss).forward(y[None, :], d[None, :]))


def numerical_check(model, x, d, loss, *, k: int, j: int, i: int | None = None,
                    traced: float | None = None, eps: float | None = None,
                    tolerance: float = 1e-6) -> NumericalCheck:
    """Compare ∂Div/∂w_ij^(k) (or ∂Div/∂b_j^(k) when i is None) with a central difference.

    Perturbs layer k's ``W[j, i]`` (or ``b[j]``) by ±eps, re-runs the forward pass and the loss,
    and restores the value. ``traced`` defaults to the value in :func:`backward_trace`.
    eps defaults to 1e-6 (float64) or 1e-3 (float32, whose rounding would swamp a tiny step).
    Agreement: relative error ≤ tolerance, or both below 1e-10 in size (e.g. a dead ReLU).
    A ReLU input sitting exactly at 0 is a kink: there the two may legitimately differ.
    """
    layers, _, sizes, d = _prepare(model, x, d)
    x = one_example(x, sizes[0], "x")
    if not 1 <= k <= len(layers):
        raise ValueError(f"layer k={k} does not exist: the network has layers 1 … {len(layers)}")
    linear = layers[k - 1].linear
    array = linear.W if i is not None else linear.b
    where = (j, i) if i is not None else (j,)
    if not all(0 <= a < s for a, s in zip(where, array.shape)):
        raise ValueError(f"index {where} is outside layer {k}'s {'W' if i is not None else 'b'} "
                         f"of shape {array.shape}")
    sym = f"∂Div/∂{symbol('w', k, i, j) if i is not None else symbol('b', k, j)}"
    if traced is None:
        kind, index = ("dw", (i, j)) if i is not None else ("db", (j,))
        traced = next(s.value for s in backward_trace(model, x, d, loss)
                      if s.kind == kind and s.layer == k and s.index == index)
    if eps is None:
        eps = 1e-3 if array.dtype == np.float32 else 1e-6
    numerical = float(central_difference(lambda _: _loss_of(model, x, d, loss), array, where, eps))
    scale = max(abs(traced), abs(numerical))
    rel = 0.0 if scale < 1e-10 else abs(traced - numerical) / scale
    agrees = bool(rel <= tolerance)
    note = ""
    if not agrees:
        record = forward_values(model, x)
        near_kink = any(getattr(layer.activation, "has_kink", False) and np.any(np.abs(record.zs[n]) < eps)
                        for n, layer in enumerate(layers, start=1))
        if near_kink:
            note = ("a ReLU input is within ε of 0, a kink where ReLU has no derivative: there the "
                    "central difference averages the two slopes and need not match the subgradient")
    return NumericalCheck(sym, float(traced), float(numerical), float(rel), agrees, note)


def check_model(model, x, d, loss, *, tolerance: float = 1e-6) -> list[NumericalCheck]:
    """:func:`numerical_check` for every weight and bias of the network (traced once)."""
    trace = backward_trace(model, x, d, loss)
    results = []
    for step in trace:
        if step.kind == "dw":
            i, j = step.index
            results.append(numerical_check(model, x, d, loss, k=step.layer, j=j, i=i,
                                           traced=step.value, tolerance=tolerance))
        elif step.kind == "db":
            results.append(numerical_check(model, x, d, loss, k=step.layer, j=step.index[0],
                                           traced=step.value, tolerance=tolerance))
    return results

