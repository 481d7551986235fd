"""SVG drawings of networks and influence diagrams, as plain strings (no graphviz, no browser).

Both functions are pure and deterministic: the same arguments give the same bytes, so tests can
check the structure of the output and notebooks can show it with ``IPython.display.SVG`` or inside
an ``ipywidgets.HTML``. Colours are written as attributes (not a stylesheet), so a drawing looks the
same wherever it is pasted; CSS classes and ``data-*`` attributes are hooks for tests and browser
tests:

* ``<svg class="nnlib-network">`` / ``<svg class="nnlib-influence">``
* nodes: ``<circle class="nnlib-node" data-node="n1_0">`` (network; ids from
  :func:`nnlib.trace.neuron_id`, the loss node is ``"loss"``) or ``<rect class="nnlib-node"
  data-node="g1">`` (influence diagram, ids are the diagram's node names)
* edges: ``<line class="nnlib-edge" data-edge="n0_0->n1_0">``
* edge labels: ``<text class="nnlib-edge-label">``; in an influence diagram each sits on a white
  ``<rect class="nnlib-edge-label-bg" data-edge="x->g1">`` so it stays readable where edges cross
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

__all__ = ["network_svg", "influence_svg", "trace_svg", "COLORS"]

COLORS = {
    "node": "#f7f7f7", "node_stroke": "#555555",
    "hl": "#dbeafe", "hl_stroke": "#1d4ed8",
    "focus": "#fde68a", "focus_stroke": "#b45309",
    "edge": "#b8b8b8", "edge_hl": "#1d4ed8",
    "text": "#222222", "muted": "#555555",
}
_FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def _n(v: float) -> str:
    """Coordinates with one decimal, trailing zeros dropped (deterministic, compact)."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "middle",
          css: str = "nnlib-label", color: str | None = None, halo: bool = False, bold: bool = False) -> str:
    extra = ' stroke="white" stroke-width="3" paint-order="stroke"' if halo else ""
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text class="{css}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" '
            f'font-size="{size}" {_FONT} fill="{color or COLORS["text"]}"{weight}{extra}>'
            f"{escape(str(content))}</text>")


def _label_size(text: str, size: int = 11) -> tuple[float, float]:
    """Width and height of the white box behind an edge label (a bold label fits too)."""
    return 0.66 * size * len(text) + 6, size + 4


def _place_edge_labels(ends: Mapping[tuple[str, str], tuple[tuple[float, float], tuple[float, float]]],
                       texts: Mapping[tuple[str, str], str],
                       blocked: Sequence[tuple[float, float, float, float]]) -> dict:
    """Centre of each edge's label: on its own edge, clear of the nodes and of the other labels.

    ``ends`` maps an edge to its drawn end points, ``blocked`` lists boxes (x0, y0, x1, y1) no label
    may cover. Edges leaving the same node start at different fractions t of their length (0.3 for
    the top one to 0.7 for the bottom one), so labels of a fan do not line up; from there the
    fractions 0.12…0.88 are tried nearest first, and the first spot that overlaps nothing wins
    (else the one with the least overlap). Greedy in a fixed order, so the result is deterministic.
    """
    fan: dict[str, list[tuple[str, str]]] = {}
    for edge in ends:
        fan.setdefault(edge[0], []).append(edge)
    start = {}
    for edges in fan.values():
        edges = sorted(edges, key=lambda e: (ends[e][1][1], ends[e][1][0]))
        for k, edge in enumerate(edges):
            start[edge] = 0.5 if len(edges) == 1 else 0.3 + 0.4 * k / (len(edges) - 1)

    def overlap(a, b):
        return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))

    def candidates(edge):
        """Label boxes along the edge, the staggered start first, then nearest to it first."""
        (x1, y1), (x2, y2) = ends[edge]
        w, h = _label_size(texts[edge])
        fractions = sorted({round(0.12 + 0.02 * i, 2) for i in range(39)}, key=lambda t: (abs(t - start[edge]), t))
        for t in [start[edge]] + fractions:
            cx, cy = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            yield (cx, cy), (cx - w / 2 - 1, cy - h / 2 - 1, cx + w / 2 + 1, cy + h / 2 + 1)

    # the edges with the fewest spots clear of the nodes choose first (e.g. an edge skipping a
    # column, whose middle lies under the skipped node); ties in the diagram's edge order
    room = {edge: sum(all(overlap(box, b) == 0 for b in blocked) for _, box in candidates(edge)) for edge in ends}
    taken = list(blocked)
    spots = {}
    for edge in sorted(ends, key=lambda e: room[e]):
        best = None
        for centre, box in candidates(edge):
            cost = sum(overlap(box, other) for other in taken)
            if best is None or cost < best[0]:
                best = (cost, centre, box)
            if cost == 0:
                break
        spots[edge] = best[1]
        taken.append(best[2])
    return spots


def _node_style(css: list[str]) -> tuple[str, str, str]:
    if "nnlib-focus" in css:
        return COLORS["focus"], COLORS["focus_stroke"], "2.5"
    if "nnlib-hl" in css:
        return COLORS["hl"], COLORS["hl_stroke"], "2.5"
    return COLORS["node"], COLORS["node_stroke"], "1.2"


def _svg_open(css: str, width: float, height: float, title: str | None) -> list[str]:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" width="{_n(width)}" '
             f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
             f'style="max-width:100%;height:auto">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    return parts


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

    Node ids are ``"n{k}_{j}"`` with 0-based j (see :func:`nnlib.trace.neuron_id`).
    """
    from nnlib.trace import LOSS_ID, edge_id, neuron_id, symbol

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

    pos: dict[str, tuple[float, float]] = {}
    for k, size in enumerate(sizes):
        for j in range(size):
            pos[neuron_id(k, j)] = (margin_x + k * layer_gap, centre_y + (j - (size - 1) / 2) * row_gap)
    if loss:
        pos[LOSS_ID] = (margin_x + len(sizes) * layer_gap, centre_y)

    edges = [(neuron_id(k - 1, i), neuron_id(k, j))
             for k in range(1, len(sizes)) for j in range(sizes[k]) for i in range(sizes[k - 1])]
    if loss:
        edges += [(neuron_id(len(sizes) - 1, j), LOSS_ID) for j in range(sizes[-1])]

    parts = _svg_open("nnlib-network", width, height, title)
    for k in range(len(sizes)):
        name = "input" if k == 0 else ("output" if k == len(sizes) - 1 else "hidden")
        parts.append(_text(margin_x + k * layer_gap, 16, f"layer {k} ({name})", size=11,
                           css="nnlib-layer-title", color=COLORS["muted"]))
    # highlighted edges last, so they are drawn on top of the grey ones
    for edge in sorted(edges, key=lambda e: e in hl_edges):
        (x1, y1), (x2, y2) = pos[edge[0]], pos[edge[1]]
        hl = edge in hl_edges
        parts.append(f'<line class="nnlib-edge{" nnlib-hl" if hl else ""}" data-edge="{escape(edge_id(*edge))}" '
                     f'x1="{_n(x1 + radius)}" y1="{_n(y1)}" x2="{_n(x2 - radius)}" y2="{_n(y2)}" '
                     f'stroke="{COLORS["edge_hl"] if hl else COLORS["edge"]}" '
                     f'stroke-width="{"3" if hl else "1.2"}"/>')
    for edge in edges:
        if edge in edge_labels:
            (x1, y1), (x2, y2) = pos[edge[0]], pos[edge[1]]
            t = 0.38  # nearer the tail: labels of edges into the same node stay apart
            parts.append(_text(x1 + t * (x2 - x1), y1 + t * (y2 - y1) - 4, edge_labels[edge], size=11,
                               css="nnlib-edge-label", color=COLORS["edge_hl"], halo=True))
    for node, (x, y) in pos.items():
        css = ["nnlib-node"] + (["nnlib-hl"] if node in hl_nodes else []) + (["nnlib-focus"] if node == focus else [])
        fill, stroke, sw = _node_style(css)
        parts.append(f'<circle class="{" ".join(css)}" data-node="{escape(node)}" cx="{_n(x)}" cy="{_n(y)}" '
                     f'r="{_n(radius)}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>')
        if node == LOSS_ID:
            default = "Div"
        else:
            k, j = (int(a) for a in node[1:].split("_"))
            default = symbol("x", None, j) if k == 0 else symbol("y", k, j)
        if not roomy and node != LOSS_ID:
            continue
        parts.append(_text(x, y + 4, node_labels.get(node, default), size=12, css="nnlib-node-label"))
        for line_no, line in enumerate(node_text.get(node, ())):
            parts.append(_text(x, y + radius + 13 + 13 * line_no, line, size=11, css="nnlib-node-value",
                               color=COLORS["muted"], halo=True))
    parts.append("</svg>")
    return "\n".join(parts)


def trace_svg(trace, position: int, *, show_all_values: bool = False) -> str:
    """Network drawing for step ``position`` of a :class:`nnlib.trace.Trace`.

    Nodes and edges of the current step are highlighted; the values computed so far (or all of
    them, with ``show_all_values``) are written under the nodes and on the edges.
    """
    step = trace[position]
    node_text, edge_labels = trace.annotations(len(trace) - 1 if show_all_values else position)
    return network_svg(trace.sizes, node_text=node_text, edge_labels=edge_labels,
                       highlight_nodes=step.nodes, highlight_edges=step.edges, focus=step.focus,
                       loss=trace.has_loss, title=f"{trace.title}: {step.symbol}")


def influence_svg(diagram, *, highlight_path: Sequence[str] | None = None, focus: str | None = None,
                  show_values: bool = True, show_local: bool = True, precision: int = 4,
                  col_gap: float = 170.0, row_gap: float = 78.0) -> str:
    """An :class:`nnlib.influence.InfluenceDiagram` as an SVG string.

    Nodes are boxes laid out in columns (``diagram.columns()``), edges are arrows labelled with
    their local derivative. ``highlight_path`` (a sequence of node names, e.g. ``path.names``)
    is drawn in the highlight colour; ``focus`` (default: the path's first node) in the focus colour.
    """
    from nnlib.trace import edge_id, fmt

    columns = diagram.columns()
    by_col: dict[int, list[str]] = {}
    for name in diagram.nodes:
        by_col.setdefault(columns[name], []).append(name)
    n_cols = max(by_col) + 1
    tallest = max(len(v) for v in by_col.values())
    margin_x, margin_y, box_h = 80.0, 30.0, 30.0
    width = 2 * margin_x + (n_cols - 1) * col_gap
    height = 2 * margin_y + (tallest - 1) * row_gap + box_h + (16 if show_values else 0)
    centre_y = margin_y + box_h / 2 + (tallest - 1) * row_gap / 2

    pos, box_w = {}, {}
    for col, names in by_col.items():
        for r, name in enumerate(names):
            pos[name] = (margin_x + col * col_gap, centre_y + (r - (len(names) - 1) / 2) * row_gap)
            box_w[name] = max(36.0, 7.5 * len(diagram.nodes[name].label) + 14)

    path = list(highlight_path or [])
    hl_nodes = set(path)
    hl_edges = set(zip(path[:-1], path[1:]))
    if focus is None and path:
        focus = path[0]

    parts = _svg_open("nnlib-influence", width, height, diagram.title or "influence diagram")
    ordered = sorted(diagram.edges, key=lambda e: e in hl_edges)
    for (tail, head) in ordered:
        (x1, y1), (x2, y2) = pos[tail], pos[head]
        x1, x2 = x1 + box_w[tail] / 2, x2 - box_w[head] / 2
        hl = (tail, head) in hl_edges
        color = COLORS["edge_hl"] if hl else COLORS["edge"]
        parts.append(f'<line class="nnlib-edge{" nnlib-hl" if hl else ""}" data-edge="{escape(edge_id(tail, head))}" '
                     f'x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{color}" '
                     f'stroke-width="{"3" if hl else "1.4"}"/>')
        # arrowhead: a small triangle at the head end, pointing along the edge
        dx, dy = x2 - x1, y2 - y1
        length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        ux, uy = dx / length, dy / length
        bx, by = x2 - 9 * ux, y2 - 9 * uy
        pts = [(x2, y2), (bx - 4.5 * uy, by + 4.5 * ux), (bx + 4.5 * uy, by - 4.5 * ux)]
        parts.append(f'<polygon class="nnlib-arrow" points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in pts)}" '
                     f'fill="{color}"/>')
    if show_local:
        ends = {edge: ((pos[edge[0]][0] + box_w[edge[0]] / 2, pos[edge[0]][1]),
                       (pos[edge[1]][0] - box_w[edge[1]] / 2, pos[edge[1]][1])) for edge in diagram.edges}
        values = {}
        for edge in diagram.edges:
            try:
                values[edge] = fmt(diagram.local_derivative(*edge), precision)
            except ValueError:
                values[edge] = "?"
        # a node's box and the value written under it, with a margin so that a label does not
        # read as part of the value ("1.904 = 0.3157"): no label may cover them
        blocked = [(x - box_w[n] / 2 - 8, y - box_h / 2 - 2, x + box_w[n] / 2 + 8,
                    y + box_h / 2 + (18 if show_values and diagram.nodes[n].value is not None else 2))
                   for n, (x, y) in pos.items()]
        # computed without the highlight, so labels stay put while a widget steps through paths
        spots = _place_edge_labels(ends, values, blocked)
        for edge in diagram.edges:
            hl = edge in hl_edges
            (cx, cy), (w, h) = spots[edge], _label_size(values[edge])
            parts.append(f'<rect class="nnlib-edge-label-bg" data-edge="{escape(edge_id(*edge))}" '
                         f'x="{_n(cx - w / 2)}" y="{_n(cy - h / 2)}" width="{_n(w)}" height="{_n(h)}" '
                         f'rx="3" fill="white" fill-opacity="0.9"/>')
            parts.append(_text(cx, cy + 4, values[edge], size=11,
                               css="nnlib-edge-label" + (" nnlib-hl" if hl else ""),
                               color=COLORS["edge_hl"] if hl else COLORS["muted"], bold=hl))
    for name, (x, y) in pos.items():
        node = diagram.nodes[name]
        css = ["nnlib-node"] + (["nnlib-hl"] if name in hl_nodes else []) + (["nnlib-focus"] if name == focus else [])
        fill, stroke, sw = _node_style(css)
        w = box_w[name]
        parts.append(f'<rect class="{" ".join(css)}" data-node="{escape(name)}" x="{_n(x - w / 2)}" '
                     f'y="{_n(y - box_h / 2)}" width="{_n(w)}" height="{_n(box_h)}" rx="8" '
                     f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>')
        parts.append(_text(x, y + 4, node.label, size=12, css="nnlib-node-label"))
        if show_values and node.value is not None:
            parts.append(_text(x, y + box_h / 2 + 13, f"= {fmt(node.value, precision)}", size=11,
                               css="nnlib-node-value", color=COLORS["muted"], halo=True))
    parts.append("</svg>")
    return "\n".join(parts)
