"""Tests for nnlib.pictures.influence: the influence diagram as well-formed SVG with its hooks."""

import numpy as np
import pytest

import nnlib
from nnlib.lessons.influence import InfluenceDiagram
from nnlib.lessons.network import example_network, sigmoid_softmax_network
from nnlib.pictures.influence import influence_svg

from . import SVG, _parse


def _notes_diagram():
    """The notes' 4-4-2 network (notebook 03): 19 nodes, dense fans out of the inputs."""
    return InfluenceDiagram.from_model(sigmoid_softmax_network(), np.array([2.0, 5.0, 3.0, 3.0]), np.array([1.0, 0.0]),
                                       nnlib.SquaredError(), weights=[(2, 1, 0), (1, 0, 2)])


def _exercise_diagram():
    """Notebook 01's exercise D: the edge v → y skips the column of p."""
    x0 = 0.7
    u0, v0 = x0**2, np.sin(x0)
    d = InfluenceDiagram(title="y = x² sin x + e^(sin x)", output="y")
    for name, label, value in [("x", "x", x0), ("u", "u = x²", u0), ("v", "v = sin x", v0),
                               ("p", "p = u·v", u0 * v0), ("y", "y = p + eᵛ", u0 * v0 + np.exp(v0))]:
        d.add_node(name, label=label, value=value)
    for tail, head, local in [("x", "u", lambda x: 2 * x), ("x", "v", np.cos), ("u", "p", v0),
                              ("v", "p", u0), ("p", "y", 1.0), ("v", "y", np.exp(v0))]:
        d.add_edge(tail, head, local)
    return d


def _boxes(root, css):
    return {el.get("data-edge") or el.get("data-node"):
            (float(el.get("x")), float(el.get("y")),
             float(el.get("x")) + float(el.get("width")), float(el.get("y")) + float(el.get("height")))
            for el in root.iter(SVG + "rect") if css in el.get("class").split()}


def _overlap(a, b):
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def test_deterministic():
    """The same arguments give byte-identical output."""
    d = InfluenceDiagram.x_squared_plus_sin(1.0)
    assert influence_svg(d, highlight_path=["x", "g1", "y"]) == influence_svg(d, highlight_path=["x", "g1", "y"])


def test_influence_diagram_structure():
    """One box per node, one line and one arrowhead per edge; the chosen path is highlighted."""
    d = InfluenceDiagram.x_squared_plus_sin(1.0)
    root = _parse(influence_svg(d, highlight_path=["x", "g2", "y"]))
    assert root.get("class") == "nnlib-influence"
    assert [r.get("data-node") for r in root.iter(SVG + "rect") if "nnlib-node" in r.get("class").split()] == [
        "x", "g1", "g2", "y"]
    assert len(list(root.iter(SVG + "line"))) == 4
    assert len(list(root.iter(SVG + "polygon"))) == 4
    edges = {el.get("data-edge"): el.get("class").split() for el in root.iter(SVG + "line")}
    assert sorted(e for e, c in edges.items() if "nnlib-hl" in c) == ["g2->y", "x->g2"]
    focus = [r.get("data-node") for r in root.iter(SVG + "rect") if "nnlib-focus" in r.get("class")]
    assert focus == ["x"]
    labels = [el.text for el in root.iter(SVG + "text") if "nnlib-edge-label" in el.get("class")]
    assert "0.5403" in labels   # cos(1), the local derivative on x → g₂


def test_influence_from_model_is_well_formed():
    """A network's influence diagram (17 nodes, 27 edges) draws without overlapping ids."""
    d = InfluenceDiagram.from_model(example_network(), [1.0, 2.0], [1.0, 0.0], nnlib.CrossEntropy())
    root = _parse(influence_svg(d))
    ids = [r.get("data-node") for r in root.iter(SVG + "rect") if "nnlib-node" in r.get("class").split()]
    assert len(ids) == len(set(ids)) == 2 + 6 + 4 + 4 + 1
    assert len(d.edges) == 6 + 3 + 6 + 2 + 4 + 2 * 2 + 2   # softmax: every z feeds every y
    assert len(list(root.iter(SVG + "line"))) == len(d.edges)


@pytest.mark.parametrize("make", [_notes_diagram, _exercise_diagram])
def test_edge_labels_do_not_overlap(make):
    """Every edge has one label, on a white box that overlaps no other label and no node."""
    d = make()
    root = _parse(influence_svg(d))
    labels = _boxes(root, "nnlib-edge-label-bg")
    assert sorted(labels) == sorted(f"{t}->{h}" for t, h in d.edges)
    texts = [el for el in root.iter(SVG + "text") if "nnlib-edge-label" in el.get("class").split()]
    assert len(texts) == len(d.edges)
    items = sorted(labels.items())
    clashes = [(a, b) for i, (a, box_a) in enumerate(items) for b, box_b in items[i + 1:] if _overlap(box_a, box_b)]
    assert clashes == []
    nodes = _boxes(root, "nnlib-node")
    assert [(e, n) for e, box in labels.items() for n, node in nodes.items() if _overlap(box, node)] == []


def test_edge_labels_sit_on_their_edge():
    """Each label's centre lies on its own edge's line, away from both ends (t within 0.15…0.85)."""
    root = _parse(influence_svg(_notes_diagram()))
    lines = {el.get("data-edge"): [float(el.get(k)) for k in ("x1", "y1", "x2", "y2")] for el in root.iter(SVG + "line")}
    for edge, (x0, y0, x1, y1) in _boxes(root, "nnlib-edge-label-bg").items():
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ax, ay, bx, by = lines[edge]
        t = (cx - ax) / (bx - ax)
        assert 0.14 <= t <= 0.86, edge
        assert abs(ay + t * (by - ay) - cy) < 0.3, edge   # one-decimal rounding of the coordinates


def test_skipping_edge_label_clears_the_skipped_node():
    """The label of v → y (skipping p's column) is not under p's box or p's value."""
    root = _parse(influence_svg(_exercise_diagram()))
    label = _boxes(root, "nnlib-edge-label-bg")["v->y"]
    p = _boxes(root, "nnlib-node")["p"]
    p_with_value = (p[0] - 6, p[1], p[2] + 6, p[3] + 17)   # the value is written under the box
    assert not _overlap(label, p_with_value)
