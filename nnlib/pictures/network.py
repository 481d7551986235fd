"""SVG drawings of layered networks and of a trace's current step, as plain strings (no graphviz).

The drawings are pure and deterministic: the same arguments give the same bytes, so tests can
check the structure of the output and notebooks can show it with ``IPython.display.SVG`` or inside
an ``ipywidgets.HTML``. Colours are written as attributes (not a stylesheet), so a drawing looks the
same wherever it is pasted; CSS classes and ``data-*`` attributes are hooks for tests and browser
tests:

* ``<svg class="nnlib-network">``
* nodes: ``<circle class="nnlib-node" data-node="n1_0">`` (ids from
  :func:`nnlib.notation.neuron_id`, the loss node is ``"loss"``)
* edges: ``<line class="nnlib-edge" data-edge="n0_0->n1_0">``
* edge labels: ``<text class="nnlib-edge-label">``
* highlighted items add the class ``nnlib-hl``; the node being computed adds ``nnlib-focus``.

Examples
--------
>>> svg = network_svg([2, 3, 1], highlight_edges=[("n0_0", "n1_0")], focus="n1_0")
>>> svg.count("<circle"), svg.count("<line")
(6, 9)
>>> svg.count('class="nnlib-edge nnlib-hl"')
1
"""

from __future__ import annotations

from html import escape
from typing import Iterable, Mapping, Sequence

from nnlib.notation import LOSS_ID, edge_id, neuron_id, symbol

from .svg import COLORS, node_style, number, svg_open, text

__all__ = ["network_svg", "trace_svg"]


def network_svg(sizes: Sequence[int], *,
                node_labels: Mapping[str, str] | None = None,
                node_text: Mapping[str, Sequence[str]] | None = None,
                highlight_nodes: Iterable[str] = (),
                highlight_edges: Iterable[tuple[str, str]] = (),
                focus: str | None = None,
                edge_labels: Mapping[tuple[str, str], str] | None = None,
                loss: bool = False,
                title: str | None = None,
                layer_gap: float = 150.0, row_gap: float = 86.0, radius: float = 21.0) -> str:
    """A layered, fully connected network as an SVG string.

    Parameters
    ----------
    sizes : widths D_0, D_1, …, D_N (inputs first).
    node_labels : id -> label inside the circle; default ``x₁ …`` for inputs and ``y₁⁽ᵏ⁾`` after.
    node_text : id -> lines written under the node (e.g. ``["z=0.9", "y=0.9"]``).
    highlight_nodes, highlight_edges : drawn in the highlight colour (class ``nnlib-hl``);
        edges are (tail id, head id) pairs.
    focus : the node being computed (class ``nnlib-focus``).
    edge_labels : (tail, head) -> short text written on the edge.
    loss : add a ``Div`` node (id ``"loss"``) fed by every output.
    title : accessible title (``<title>``).

    Node ids are ``"n{k}_{j}"`` with 0-based j (see :func:`nnlib.notation.neuron_id`).
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two layer widths ≥ 1, got {sizes}")
    node_labels = dict(node_labels or {})
    node_text = dict(node_text or {})
    edge_labels = dict(edge_labels or {})
    hl_nodes = set(highlight_nodes)
    hl_edges = {tuple(e) for e in highlight_edges}

    tallest = max(sizes)
    if tallest > 8:
        # wide layers (e.g. 64 pixel inputs): shrink so the drawing stays about 8 rows tall;
        # small circles get no label and no values (there is no room; the formula shows them)
        row_gap = min(row_gap, max(12.0, 8 * row_gap / tallest))
        radius = min(radius, 0.4 * row_gap)
    roomy = row_gap >= 60 and radius >= 12
    margin_x, margin_top, bottom = 60.0, 34.0, 48.0
    columns = len(sizes) + (1 if loss else 0)
    width = 2 * margin_x + (columns - 1) * layer_gap
    height = margin_top + (tallest - 1) * row_gap + 2 * radius + bottom
    centre_y = margin_top + radius + (tallest - 1) * row_gap / 2
    pos, edges = _layout(sizes, loss, margin_x, centre_y, layer_gap, row_gap)

    parts = svg_open("nnlib-network", width, height, title)
    for k in range(len(sizes)):
        name = "input" if k == 0 else ("output" if k == len(sizes) - 1 else "hidden")
        parts.append(text(margin_x + k * layer_gap, 16, f"layer {k} ({name})", size=11,
                          css="nnlib-layer-title", color=COLORS["muted"]))
    parts += _edges_svg(pos, edges, hl_edges, edge_labels, radius)
    for node, (x, y) in pos.items():
        parts += _node_svg(node, x, y, radius, node_labels, node_text,
                           node in hl_nodes, node == focus, roomy or node == LOSS_ID)
    parts.append("</svg>")
    return "\n".join(parts)


def trace_svg(trace, position: int, *, show_all_values: bool = False) -> str:
    """Network drawing for step ``position`` of a :class:`nnlib.lessons.trace.Trace`.

    Nodes and edges of the current step are highlighted; the values computed so far (or all of
    them, with ``show_all_values``) are written under the nodes and on the edges.
    """
    step = trace[position]
    node_text, edge_labels = trace.annotations(len(trace) - 1 if show_all_values else position)
    return network_svg(trace.sizes, node_text=node_text, edge_labels=edge_labels,
                       highlight_nodes=step.nodes, highlight_edges=step.edges, focus=step.focus,
                       loss=trace.has_loss, title=f"{trace.title}: {step.symbol}")


def _layout(sizes, loss, margin_x, centre_y, layer_gap, row_gap):
    """Centre of every node (each layer a column, centred vertically) and every edge."""
    pos: dict[str, tuple[float, float]] = {}
    for k, size in enumerate(sizes):
        for j in range(size):
            pos[neuron_id(k, j)] = (margin_x + k * layer_gap, centre_y + (j - (size - 1) / 2) * row_gap)
    edges = [(neuron_id(k - 1, i), neuron_id(k, j))
             for k in range(1, len(sizes)) for j in range(sizes[k]) for i in range(sizes[k - 1])]
    if loss:
        pos[LOSS_ID] = (margin_x + len(sizes) * layer_gap, centre_y)
        edges += [(neuron_id(len(sizes) - 1, j), LOSS_ID) for j in range(sizes[-1])]
    return pos, edges


def _edges_svg(pos, edges, hl_edges, edge_labels, radius) -> list[str]:
    """The edges, highlighted ones last (on top of the grey ones), then their labels."""
    parts = []
    for edge in sorted(edges, key=lambda e: e in hl_edges):
        (x1, y1), (x2, y2) = pos[edge[0]], pos[edge[1]]
        hl = edge in hl_edges
        parts.append(f'<line class="nnlib-edge{" nnlib-hl" if hl else ""}" data-edge="{escape(edge_id(*edge))}" '
                     f'x1="{number(x1 + radius)}" y1="{number(y1)}" x2="{number(x2 - radius)}" y2="{number(y2)}" '
                     f'stroke="{COLORS["edge_hl"] if hl else COLORS["edge"]}" '
                     f'stroke-width="{"3" if hl else "1.2"}"/>')
    for edge in edges:
        if edge in edge_labels:
            (x1, y1), (x2, y2) = pos[edge[0]], pos[edge[1]]
            t = 0.38  # nearer the tail: labels of edges into the same node stay apart
            parts.append(text(x1 + t * (x2 - x1), y1 + t * (y2 - y1) - 4, edge_labels[edge], size=11,
                              css="nnlib-edge-label", color=COLORS["edge_hl"], halo=True))
    return parts


def _node_svg(node, x, y, radius, node_labels, node_text, hl, is_focus, labelled) -> list[str]:
    """One neuron (or the loss node): its circle and, when there is room, its label and values."""
    css = ["nnlib-node"] + (["nnlib-hl"] if hl else []) + (["nnlib-focus"] if is_focus else [])
    fill, stroke, sw = node_style(css)
    parts = [f'<circle class="{" ".join(css)}" data-node="{escape(node)}" cx="{number(x)}" cy="{number(y)}" '
             f'r="{number(radius)}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>']
    if not labelled:
        return parts
    if node == LOSS_ID:
        default = "Div"
    else:
        k, j = (int(a) for a in node[1:].split("_"))
        default = symbol("x", None, j) if k == 0 else symbol("y", k, j)
    parts.append(text(x, y + 4, node_labels.get(node, default), size=12, css="nnlib-node-label"))
    for line_no, line in enumerate(node_text.get(node, ())):
        parts.append(text(x, y + radius + 13 + 13 * line_no, line, size=11, css="nnlib-node-value",
                          color=COLORS["muted"], halo=True))
    return parts
