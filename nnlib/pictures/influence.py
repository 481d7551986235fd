"""SVG drawing of an influence diagram (notebooks 01 and 03): boxes in columns, arrows carrying
their local derivatives, one path highlighted.

CSS hooks: ``<svg class="nnlib-influence">``; nodes ``<rect class="nnlib-node" data-node="g1">``
(the diagram's node names); edges ``<line class="nnlib-edge" data-edge="x->g1">``; each edge label
``<text class="nnlib-edge-label">`` sits on a white ``<rect class="nnlib-edge-label-bg">`` so it
stays readable where edges cross; highlighted items add ``nnlib-hl``, the focus ``nnlib-focus``.
"""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

from nnlib.notation import edge_id, fmt

from .svg import COLORS, label_size, node_style, number, svg_open, text

__all__ = ["influence_svg"]


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
        w, h = label_size(texts[edge])
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


def influence_svg(diagram, *, highlight_path: Sequence[str] | None = None, focus: str | None = None,
                  show_values: bool = True, show_local: bool = True, precision: int = 4,
                  col_gap: float = 170.0, row_gap: float = 78.0) -> str:
    """An :class:`nnlib.lessons.influence.InfluenceDiagram` as an SVG string.

    Nodes are boxes laid out in columns (``diagram.columns()``), edges are arrows labelled with
    their local derivative. ``highlight_path`` (a sequence of node names, e.g. ``path.names``)
    is drawn in the highlight colour; ``focus`` (default: the path's first node) in the focus colour.
    """
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

    parts = svg_open("nnlib-influence", width, height, diagram.title or "influence diagram")
    for tail, head in sorted(diagram.edges, key=lambda e: e in hl_edges):
        parts += _arrow_svg(tail, head, pos, box_w, (tail, head) in hl_edges)
    if show_local:
        parts += _edge_labels_svg(diagram, pos, box_w, box_h, hl_edges, show_values, precision)
    for name, (x, y) in pos.items():
        parts += _box_svg(diagram.nodes[name], x, y, box_w[name], box_h, name in hl_nodes,
                          name == focus, show_values, precision)
    parts.append("</svg>")
    return "\n".join(parts)


def _arrow_svg(tail, head, pos, box_w, hl) -> list[str]:
    """The edge tail → head from box to box, with an arrowhead pointing along it."""
    (x1, y1), (x2, y2) = pos[tail], pos[head]
    x1, x2 = x1 + box_w[tail] / 2, x2 - box_w[head] / 2
    color = COLORS["edge_hl"] if hl else COLORS["edge"]
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / length, dy / length
    bx, by = x2 - 9 * ux, y2 - 9 * uy
    pts = [(x2, y2), (bx - 4.5 * uy, by + 4.5 * ux), (bx + 4.5 * uy, by - 4.5 * ux)]
    return [f'<line class="nnlib-edge{" nnlib-hl" if hl else ""}" data-edge="{escape(edge_id(tail, head))}" '
            f'x1="{number(x1)}" y1="{number(y1)}" x2="{number(x2)}" y2="{number(y2)}" stroke="{color}" '
            f'stroke-width="{"3" if hl else "1.4"}"/>',
            f'<polygon class="nnlib-arrow" points="{" ".join(f"{number(a)},{number(b)}" for a, b in pts)}" '
            f'fill="{color}"/>']


def _edge_labels_svg(diagram, pos, box_w, box_h, hl_edges, show_values, precision) -> list[str]:
    """Each edge's local derivative on a white box, placed where it covers no node and no value."""
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
    parts = []
    for edge in diagram.edges:
        hl = edge in hl_edges
        (cx, cy), (w, h) = spots[edge], label_size(values[edge])
        parts.append(f'<rect class="nnlib-edge-label-bg" data-edge="{escape(edge_id(*edge))}" '
                     f'x="{number(cx - w / 2)}" y="{number(cy - h / 2)}" width="{number(w)}" height="{number(h)}" '
                     f'rx="3" fill="white" fill-opacity="0.9"/>')
        parts.append(text(cx, cy + 4, values[edge], size=11,
                          css="nnlib-edge-label" + (" nnlib-hl" if hl else ""),
                          color=COLORS["edge_hl"] if hl else COLORS["muted"], bold=hl))
    return parts


def _box_svg(node, x, y, w, box_h, hl, is_focus, show_values, precision) -> list[str]:
    """One node: its box, its label and (optionally) its value under it."""
    css = ["nnlib-node"] + (["nnlib-hl"] if hl else []) + (["nnlib-focus"] if is_focus else [])
    fill, stroke, sw = node_style(css)
    parts = [f'<rect class="{" ".join(css)}" data-node="{escape(node.name)}" x="{number(x - w / 2)}" '
             f'y="{number(y - box_h / 2)}" width="{number(w)}" height="{number(box_h)}" rx="8" '
             f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>',
             text(x, y + 4, node.label, size=12, css="nnlib-node-label")]
    if show_values and node.value is not None:
        parts.append(text(x, y + box_h / 2 + 13, f"= {fmt(node.value, precision)}", size=11,
                          css="nnlib-node-value", color=COLORS["muted"], halo=True))
    return parts
