"""Influence diagrams: the distributed chain rule as a sum over paths.

An influence diagram is a directed acyclic graph whose nodes are quantities (x, g₁, z₁⁽¹⁾, Div, …)
and whose edges carry *local* derivatives: the edge a → b holds ∂b/∂a, computed as if every other
input of b were held fixed. The derivative of a target with respect to a source is the sum, over
every path from source to target, of the product of the local derivatives along the path:

    dy/dx = Σ_paths Π_edges ∂(head)/∂(tail)

This module is pure (no plotting or widget imports) so it can be tested without a browser; the
drawing lives in :mod:`nnlib.pictures.influence` and the interactive view in :mod:`nnlib.widgets`.

Examples
--------
The notes' example y = x² + sin x, with g₁ = x² and g₂ = sin x:

>>> d = InfluenceDiagram.x_squared_plus_sin(x=1.0)
>>> [p.names for p in d.paths("x", "y")]
[('x', 'g1', 'y'), ('x', 'g2', 'y')]
>>> [round(p.product, 4) for p in d.paths("x", "y")]
[2.0, 0.5403]
>>> round(d.derivative("x", "y"), 4)          # 2x + cos x at x = 1
2.5403
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Union

import numpy as np

from nnlib.activations import sigmoid
from nnlib.notation import node_name, subscript, symbol

from .network import (activation_jacobian, forward_values, is_scalar_activation,
                      loss_value_and_gradient, network_layers)

__all__ = ["Node", "Edge", "Path", "InfluenceDiagram", "PathExplorer"]

LocalDerivative = Union[float, Callable[[float], float]]


@dataclass(frozen=True)
class Node:
    """One quantity in the diagram.

    name: identifier used in the API (ASCII, e.g. ``"z2^(1)"``); label: what a student reads
    (unicode, e.g. ``"z₂⁽¹⁾"``); value: its numerical value (or None); column: horizontal position
    used by the drawing (None: computed from the longest path from a source).
    """

    name: str
    label: str
    value: float | None = None
    column: int | None = None

    @property
    def symbol(self) -> str:
        """The label without its definition: ``"g₁ = x²"`` -> ``"g₁"``."""
        return self.label.split(" = ")[0]


@dataclass(frozen=True)
class Edge:
    """Edge tail → head carrying the local derivative ∂head/∂tail.

    ``local`` is a number, or a callable taking the tail's value and returning the number
    (e.g. ``lambda x: 2 * x`` for the edge x → x²). ``label`` is the symbolic local derivative
    shown to students (e.g. ``"∂g₁/∂x = 2x"``).
    """

    tail: str
    head: str
    local: LocalDerivative
    label: str = ""


@dataclass(frozen=True)
class Path:
    """One path source → … → target with the local derivative of each of its edges."""

    names: tuple[str, ...]
    factors: tuple[float, ...]

    @property
    def product(self) -> float:
        """Product of the local derivatives along the path (this path's share of the derivative)."""
        return float(math.prod(self.factors))

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """The path's edges as (tail, head) pairs."""
        return tuple(zip(self.names[:-1], self.names[1:]))


class InfluenceDiagram:
    """A directed acyclic graph of quantities with local derivatives on its edges.

    Build one with :meth:`add_node` / :meth:`add_edge`, or use a constructor for the lecture's
    examples: :meth:`x_squared_plus_sin`, :meth:`small_network`, :meth:`from_model`.

    Attributes
    ----------
    nodes : dict name -> Node, in insertion order.
    edges : dict (tail, head) -> Edge, in insertion order.
    output : name of the default target (the node the explorer differentiates).
    title : short caption.

    Examples
    --------
    >>> d = InfluenceDiagram(title="chain")
    >>> d.add_node("x", value=2.0); d.add_node("h", value=4.0); d.add_node("y", value=16.0)
    >>> d.add_edge("x", "h", lambda x: 2 * x, label="2x")     # h = x²
    >>> d.add_edge("h", "y", lambda h: 2 * h, label="2h")     # y = h²
    >>> d.derivative("x", "y")                                # 4x³ at x = 2
    32.0
    """

    def __init__(self, title: str = "", output: str | None = None):
        self.title = title
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str], Edge] = {}
        self._output = output

    # ------------------------------------------------------------------ building
    def add_node(self, name: str, *, label: str | None = None, value: float | None = None,
                 column: int | None = None) -> None:
        """Add a node (name must be new)."""
        if name in self.nodes:
            raise ValueError(f"node {name!r} is already in the diagram")
        self.nodes[name] = Node(name, name if label is None else label,
                                None if value is None else float(value), column)

    def add_edge(self, tail: str, head: str, local: LocalDerivative, *, label: str = "") -> None:
        """Add the edge tail → head whose local derivative is ∂head/∂tail.

        Both nodes must exist; an edge that would close a cycle is refused, because a quantity
        cannot influence itself in a feed-forward computation.
        """
        for name in (tail, head):
            if name not in self.nodes:
                raise KeyError(f"unknown node {name!r}: add it with add_node first")
        if (tail, head) in self.edges:
            raise ValueError(f"edge {tail!r} → {head!r} is already in the diagram")
        if tail == head or self._reaches(head, tail):
            raise ValueError(f"edge {tail!r} → {head!r} would make a cycle")
        self.edges[(tail, head)] = Edge(tail, head, local, label)

    # ------------------------------------------------------------------ queries
    @property
    def output(self) -> str:
        """The default target: the one given, else the last node with no outgoing edge."""
        if self._output is not None:
            return self._output
        sinks = [n for n in self.nodes if not self.successors(n)]
        if not sinks:
            raise ValueError("the diagram has no nodes")
        return sinks[-1]

    def successors(self, name: str) -> list[str]:
        """Heads of the edges leaving ``name``, in insertion order."""
        return [h for (t, h) in self.edges if t == name]

    def predecessors(self, name: str) -> list[str]:
        """Tails of the edges entering ``name``, in insertion order."""
        return [t for (t, h) in self.edges if h == name]

    def sources(self) -> list[str]:
        """Nodes that can influence the output (every node with a path to it), output excluded."""
        target = self.output
        return [n for n in self.nodes if n != target and self._reaches(n, target)]

    def local_derivative(self, tail: str, head: str) -> float:
        """Number on the edge tail → head (a callable is evaluated at the tail's value)."""
        edge = self.edges[(tail, head)]
        if callable(edge.local):
            value = self.nodes[tail].value
            if value is None:
                raise ValueError(f"edge {tail!r} → {head!r} needs the value of {tail!r}, which is not set")
            return float(edge.local(value))
        return float(edge.local)

    def paths(self, source: str, target: str | None = None) -> list[Path]:
        """Every path from source to target (default: the output), depth first, in edge order."""
        target = self.output if target is None else target
        for name in (source, target):
            if name not in self.nodes:
                raise KeyError(f"unknown node {name!r}; nodes are {list(self.nodes)}")
        found: list[Path] = []

        def walk(names: list[str], factors: list[float]) -> None:
            here = names[-1]
            if here == target:
                found.append(Path(tuple(names), tuple(factors)))
                return
            for nxt in self.successors(here):
                walk(names + [nxt], factors + [self.local_derivative(here, nxt)])

        walk([source], [])
        return found

    def running_sums(self, source: str, target: str | None = None) -> list[float]:
        """Sum of the path products after each path: the last entry is the derivative."""
        return [float(s) for s in np.cumsum([p.product for p in self.paths(source, target)])]

    def derivative(self, source: str, target: str | None = None) -> float:
        """d target / d source by the distributed chain rule (sum of path products)."""
        return float(sum(p.product for p in self.paths(source, target)))

    def columns(self) -> dict[str, int]:
        """Column of each node for drawing: its own ``column`` or its longest distance from a source."""
        col: dict[str, int] = {}

        def depth(name: str) -> int:
            if name not in col:
                node = self.nodes[name]
                if node.column is not None:
                    col[name] = node.column
                else:
                    preds = self.predecessors(name)
                    col[name] = 1 + max(depth(p) for p in preds) if preds else 0
            return col[name]

        for n in self.nodes:
            depth(n)
        return col

    def _reaches(self, start: str, goal: str) -> bool:
        stack, seen = [start], set()
        while stack:
            here = stack.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                stack.extend(self.successors(here))
        return False

    def __repr__(self) -> str:
        return (f"InfluenceDiagram(title={self.title!r}, {len(self.nodes)} nodes, "
                f"{len(self.edges)} edges, output={self.output!r})")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def x_squared_plus_sin(cls, x: float = 1.0) -> "InfluenceDiagram":
        """y = g₁ + g₂ with g₁ = x² and g₂ = sin x; dy/dx = 2x + cos x (two paths)."""
        d = cls(title="y = x² + sin x", output="y")
        x = float(x)
        d.add_node("x", label="x", value=x)
        d.add_node("g1", label="g₁ = x²", value=x * x)
        d.add_node("g2", label="g₂ = sin x", value=math.sin(x))
        d.add_node("y", label="y = g₁ + g₂", value=x * x + math.sin(x))
        d.add_edge("x", "g1", lambda v: 2.0 * v, label="∂g₁/∂x = 2x")
        d.add_edge("x", "g2", math.cos, label="∂g₂/∂x = cos x")
        d.add_edge("g1", "y", 1.0, label="∂y/∂g₁ = 1")
        d.add_edge("g2", "y", 1.0, label="∂y/∂g₂ = 1")
        return d

    @classmethod
    def chain(cls, x: float, links, *, title: str = "") -> "InfluenceDiagram":
        """A single chain x → h₁ → … → y: the plain chain rule, one path.

        ``links`` lists ``(label, f, df)`` applied in order (f and df take and return floats);
        nodes are named ``"x"``, ``"h1"``, ``"h2"``, …, and the last one ``"y"``.

        >>> import math
        >>> d = InfluenceDiagram.chain(1.0, [("h = x²", lambda v: v * v, lambda v: 2 * v),
        ...                                  ("y = eʰ", math.exp, math.exp)])
        >>> [p.names for p in d.paths("x")], round(d.derivative("x"), 4)   # 2x·e^(x²) at x = 1
        ([('x', 'h1', 'y')], 5.4366)
        """
        links = list(links)
        if not links:
            raise ValueError("a chain needs at least one (label, f, df) link")
        d = cls(title=title or "chain", output="y")
        value = float(x)
        d.add_node("x", label="x", value=value)
        tail = "x"
        for n, (label, f, df) in enumerate(links, start=1):
            head = "y" if n == len(links) else f"h{n}"
            value = float(f(value))
            d.add_node(head, label=label, value=value)
            d.add_edge(tail, head, df, label=f"∂({d.nodes[head].symbol})/∂({d.nodes[tail].symbol})")
            tail = head
        return d

    @classmethod
    def small_network(cls, x: float = 1.0, w: Iterable[float] = (0.5, -1.0),
                      v: Iterable[float] = (2.0, 1.0)) -> "InfluenceDiagram":
        """A network-shaped diagram: x → z_j = w_j x → h_j = σ(z_j) → y = Σ_j v_j h_j.

        One input, two sigmoid hidden units, a linear output: dy/dx = Σ_j v_j σ'(z_j) w_j, a sum of
        two paths of three factors each.
        """
        w, v = [float(a) for a in w], [float(a) for a in v]
        if len(w) != len(v):
            raise ValueError(f"w and v need the same length (one per hidden unit); got {len(w)} and {len(v)}")
        d = cls(title="x → z_j → h_j → y", output="y")
        x = float(x)
        d.add_node("x", label="x", value=x)
        h_values = []
        for j, (wj, vj) in enumerate(zip(w, v), start=1):
            z = wj * x
            h = float(sigmoid(z))
            h_values.append(h)
            d.add_node(f"z{j}", label=f"z{subscript(j)}", value=z)
            d.add_node(f"h{j}", label=f"h{subscript(j)}", value=h)
        d.add_node("y", label="y", value=sum(vj * h for vj, h in zip(v, h_values)))
        for j, (wj, vj) in enumerate(zip(w, v), start=1):
            d.add_edge("x", f"z{j}", wj, label=f"∂z{subscript(j)}/∂x = w{subscript(j)}")
            d.add_edge(f"z{j}", f"h{j}", lambda z: float(sigmoid(z) * (1.0 - sigmoid(z))),
                       label=f"∂h{subscript(j)}/∂z{subscript(j)} = σ(z{subscript(j)})(1 − σ(z{subscript(j)}))")
            d.add_edge(f"h{j}", "y", vj, label=f"∂y/∂h{subscript(j)} = v{subscript(j)}")
        return d

    @classmethod
    def from_model(cls, model, x, d=None, loss=None, *,
                   weights: Iterable[tuple[int, int, int]] = ()) -> "InfluenceDiagram":
        """Influence diagram of a small nnlib network evaluated at one example x.

        Parameters
        ----------
        model : nnlib.Sequential of Linear layers, each optionally followed by one activation.
        x : array of shape (D,) or (1, D).
        d, loss : target of shape (D_N,) or (1, D_N) and an nnlib loss; with both, a node ``"Div"``
            is added after the outputs and becomes the output. Without them the output is the
            single network output (the network must then have exactly one output).
        weights : (k, i, j) triples adding the weight w_ij^(k) (= layer k's W[j, i], indices
            0-based, k counting Linear layers from 1) as a source node feeding z_j^(k).

        Node names: ``"y{i}^(k)"``, ``"z{j}^(k)"`` with 1-based i, j like the lecture
        (``"y1^(0)"`` is x₁), ``"w{i}{j}^(k)"`` (``"w{i},{j}^(k)"`` if an index exceeds 9), ``"Div"``.

        Local derivatives: y_i^(k−1) → z_j^(k) carries w_ij^(k); z_j^(k) → y_j^(k) carries f'_k(z_j)
        (for softmax every z_i → y_j carries ∂y_j/∂z_i); y_j^(N) → Div carries ∂Div/∂y_j;
        w_ij^(k) → z_j^(k) carries y_i^(k−1). The sum over paths from y_i^(0) to Div therefore
        equals backprop's ∂Div/∂x_i, and from a weight node it equals ∂Div/∂w_ij.
        """
        if (d is None) != (loss is None):
            raise ValueError("give both d and loss (to differentiate the divergence) or neither")
        layers = network_layers(model)
        record = forward_values(model, x)
        weights = list(weights)
        diagram = cls(title="network influence diagram")
        diagram._add_network_nodes(record)
        diagram._add_weight_nodes(layers, weights)
        diagram._add_network_edges(layers, record)
        for (k, i, j) in weights:
            diagram.add_edge(node_name("w", k, i, j), node_name("z", k, j),
                             float(record.ys[k - 1][i]), label=symbol("y", k - 1, i))
        N = len(layers)
        ys = record.ys
        if loss is not None:
            value, dY = loss_value_and_gradient(loss, ys[N], d)
            diagram.add_node("Div", label="Div", value=value, column=2 * N + 1)
            for j in range(len(ys[N])):
                diagram.add_edge(node_name("y", N, j), "Div", float(dY[j]),
                                 label=f"∂Div/∂{symbol('y', N, j)}")
            diagram._output = "Div"
        elif len(ys[N]) != 1:
            raise ValueError(f"the network has {len(ys[N])} outputs; give d and loss so the diagram "
                             "ends in a single divergence node")
        else:
            diagram._output = node_name("y", N, 0)
        return diagram

    def _add_network_nodes(self, record) -> None:
        """yᵢ⁽⁰⁾ in column 0, then zⱼ⁽ᵏ⁾ and yⱼ⁽ᵏ⁾ of every layer k in columns 2k − 1 and 2k."""
        ys, zs = record.ys, record.zs
        for i, value in enumerate(ys[0]):
            self.add_node(node_name("y", 0, i), label=symbol("y", 0, i), value=value, column=0)
        for k in range(1, len(ys)):
            for j in range(len(zs[k])):
                self.add_node(node_name("z", k, j), label=symbol("z", k, j), value=zs[k][j],
                              column=2 * k - 1)
            for j in range(len(ys[k])):
                self.add_node(node_name("y", k, j), label=symbol("y", k, j), value=ys[k][j],
                              column=2 * k)

    def _add_weight_nodes(self, layers, weights) -> None:
        """A source node for each requested weight wᵢⱼ⁽ᵏ⁾, in the column before zⱼ⁽ᵏ⁾."""
        for (k, i, j) in weights:
            if not 1 <= k <= len(layers):
                raise ValueError(f"weight layer k={k} out of range: the network has layers 1..{len(layers)}")
            W = layers[k - 1].linear.W
            if not (0 <= j < W.shape[0] and 0 <= i < W.shape[1]):
                raise ValueError(f"weight (k={k}, i={i}, j={j}) out of range: layer {k}'s W has shape "
                                 f"{W.shape} (out, in), so i < {W.shape[1]} and j < {W.shape[0]}")
            self.add_node(node_name("w", k, i, j), label=symbol("w", k, i, j), value=float(W[j, i]),
                          column=2 * k - 2)

    def _add_network_edges(self, layers, record) -> None:
        """yᵢ⁽ᵏ⁻¹⁾ → zⱼ⁽ᵏ⁾ carries wᵢⱼ⁽ᵏ⁾; zᵢ⁽ᵏ⁾ → yⱼ⁽ᵏ⁾ carries ∂yⱼ/∂zᵢ (only i = j for a scalar f)."""
        for k, layer in enumerate(layers, start=1):
            W = np.asarray(layer.linear.W, dtype=float)
            for j in range(W.shape[0]):
                for i in range(W.shape[1]):
                    self.add_edge(node_name("y", k - 1, i), node_name("z", k, j), float(W[j, i]),
                                  label=symbol("w", k, i, j))
            jac = activation_jacobian(layer.activation, record.zs[k])   # jac[j, i] = ∂y_j/∂z_i
            scalar = is_scalar_activation(layer.activation)
            for i in range(len(record.zs[k])):
                for j in range(len(record.ys[k])):
                    if scalar and i != j:
                        continue
                    self.add_edge(node_name("z", k, i), node_name("y", k, j), float(jac[j, i]),
                                  label=f"∂{symbol('y', k, j)}/∂{symbol('z', k, i)}")


class PathExplorer:
    """State behind the influence explorer: which source node and which of its paths is selected.

    >>> state = PathExplorer(InfluenceDiagram.x_squared_plus_sin(1.0))
    >>> state.source, len(state.paths), state.path_index
    ('x', 2, 0)
    >>> state.next_path(); state.path.names
    ('x', 'g2', 'y')
    >>> round(state.total, 4)
    2.5403
    """

    def __init__(self, diagram: InfluenceDiagram, source: str | None = None):
        self.diagram = diagram
        self.target = diagram.output
        self.choices = diagram.sources()
        if not self.choices:
            raise ValueError("the diagram has no node with a path to its output")
        self.source = ""
        self.paths: list[Path] = []
        self.running: list[float] = []
        self.path_index = 0
        self.select_source(self.choices[0] if source is None else source)

    def select_source(self, source: str) -> None:
        """Choose the node to differentiate with respect to; selects its first path."""
        if source not in self.choices:
            raise KeyError(f"{source!r} has no path to {self.target!r}; choose one of {self.choices}")
        self.source = source
        self.paths = self.diagram.paths(source, self.target)
        self.running = [float(s) for s in np.cumsum([p.product for p in self.paths])]
        self.path_index = 0

    def select_path(self, index: int) -> None:
        """Choose the path to highlight (0-based)."""
        if not 0 <= index < len(self.paths):
            raise IndexError(f"path {index} does not exist: there are {len(self.paths)} paths")
        self.path_index = int(index)

    def next_path(self) -> None:
        """Highlight the next path (wraps around)."""
        self.path_index = (self.path_index + 1) % len(self.paths)

    def prev_path(self) -> None:
        """Highlight the previous path (wraps around)."""
        self.path_index = (self.path_index - 1) % len(self.paths)

    @property
    def path(self) -> Path:
        """The highlighted path."""
        return self.paths[self.path_index]

    @property
    def total(self) -> float:
        """d(output)/d(source): the sum of all path products."""
        return self.running[-1]

    def path_text(self, index: int) -> str:
        """The path as symbols joined by arrows, e.g. ``"x → g₁ → y"`` (labels without "= …")."""
        return " → ".join(self.diagram.nodes[n].symbol for n in self.paths[index].names)
