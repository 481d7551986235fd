"""Tests for nnlib.drawing: well-formed, deterministic SVG with the right elements and hooks."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nnlib
from nnlib.drawing import influence_svg, network_svg, trace_svg
from nnlib.influence import InfluenceDiagram
from nnlib.trace import backward_trace, example_network, forward_trace

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg):
    """Parse as XML (fails on unescaped text) and return the root element."""
    return ET.fromstring(svg)


def _classes(root, tag):
    return [el.get("class").split() for el in root.iter(SVG + tag)]


def test_network_element_counts():
    """A 2-3-2 network has 7 circles and 2·3 + 3·2 = 12 lines; a loss node adds 1 circle, 2 lines."""
    root = _parse(network_svg([2, 3, 2]))
    assert root.get("class") == "nnlib-network"
    assert len(list(root.iter(SVG + "circle"))) == 7
    assert len(list(root.iter(SVG + "line"))) == 12
    with_loss = _parse(network_svg([2, 3, 2], loss=True))
    assert len(list(with_loss.iter(SVG + "circle"))) == 8
    assert len(list(with_loss.iter(SVG + "line"))) == 14
    assert [c.get("data-node") for c in with_loss.iter(SVG + "circle")][-1] == "loss"


def test_highlight_classes():
    """Highlighted edges and nodes carry nnlib-hl; the focus node carries nnlib-focus."""
    root = _parse(network_svg([2, 3, 2], highlight_nodes=["n0_0", "n1_2"],
                              highlight_edges=[("n0_0", "n1_2"), ("n1_2", "n2_1")], focus="n1_2"))
    edges = {el.get("data-edge"): el.get("class").split() for el in root.iter(SVG + "line")}
    assert sorted(e for e, c in edges.items() if "nnlib-hl" in c) == ["n0_0->n1_2", "n1_2->n2_1"]
    nodes = {el.get("data-node"): el.get("class").split() for el in root.iter(SVG + "circle")}
    assert sorted(n for n, c in nodes.items() if "nnlib-hl" in c) == ["n0_0", "n1_2"]
    assert [n for n, c in nodes.items() if "nnlib-focus" in c] == ["n1_2"]


def test_text_is_escaped():
    """Labels with <, & and quotes are escaped, so the SVG stays well-formed."""
    svg = network_svg([1, 1], node_labels={"n0_0": "<b>&\"x\""}, node_text={"n1_0": ["a<b"]},
                      edge_labels={("n0_0", "n1_0"): "1 & 2"}, title="t<1>")
    root = _parse(svg)
    texts = [el.text for el in root.iter(SVG + "text")]
    assert "<b>&\"x\"" in texts and "a<b" in texts and "1 & 2" in texts
    assert "<b>" not in svg


def test_deterministic():
    """The same arguments give byte-identical output."""
    kwargs = dict(highlight_edges=[("n0_1", "n1_0")], focus="n1_0", node_text={"n1_0": ["z=1"]})
    assert network_svg([3, 2, 1], **kwargs) == network_svg([3, 2, 1], **kwargs)
    d = InfluenceDiagram.x_squared_plus_sin(1.0)
    assert influence_svg(d, highlight_path=["x", "g1", "y"]) == influence_svg(d, highlight_path=["x", "g1", "y"])


def test_network_rejects_bad_sizes():
    """A network needs at least an input and an output layer."""
    with pytest.raises(ValueError, match="at least two"):
        network_svg([3])


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


def test_trace_svg_highlights_the_current_step():
    """For a weight step the one edge is highlighted and its gradient label appears on it."""
    trace = backward_trace(example_network(), np.array([1.0, 2.0]), np.array([1.0, 0.0]), nnlib.CrossEntropy())
    p = next(n for n, s in enumerate(trace) if s.kind == "dw")
    root = _parse(trace_svg(trace, p))
    hl = [el.get("data-edge") for el in root.iter(SVG + "line") if "nnlib-hl" in el.get("class")]
    assert hl == ["n2_0->n3_0"]
    labels = [el.text for el in root.iter(SVG + "text") if "nnlib-edge-label" in el.get("class")]
    assert labels == [f"∂w={trace[p].result}"]


def test_trace_svg_reveals_values_step_by_step():
    """Values appear under a node only once the trace has computed them."""
    trace = forward_trace(example_network(), [1.0, 2.0])

    def values(p):
        root = _parse(trace_svg(trace, p))
        return [el.text for el in root.iter(SVG + "text") if "nnlib-node-value" in el.get("class")]

    assert values(0) == ["y=1", "y=2"]
    assert values(1) == ["y=1", "y=2", "z=0.9"]
    assert len(values(len(trace) - 1)) == 2 + 2 * (3 + 2 + 2)


def test_wide_layers_are_compressed():
    """A 64-input layer stays a readable height: small circles, no per-node text."""
    root = _parse(network_svg([64, 16, 10], node_text={"n0_0": ["y=1"]}))
    assert len(list(root.iter(SVG + "circle"))) == 90
    assert float(root.get("height")) < 1000
    assert not [el for el in root.iter(SVG + "text") if "nnlib-node-value" in el.get("class")]


def _notes_diagram():
    """The notes' 4-4-2 network (notebook 03): 19 nodes, dense fans out of the inputs."""
    W1 = np.array([[0.1, 0.3, 0.8, -0.4], [-0.3, -0.2, 0.5, 0.5],
                   [-0.3, 0.0, 0.5, 0.4], [0.2, 0.5, -0.9, 0.7]])
    W2 = np.array([[0.5, 0.8, 0.2, 0.4], [0.5, 0.2, 0.3, -0.5]])
    model = nnlib.Sequential(nnlib.Linear(4, 4, W=W1), nnlib.Sigmoid(), nnlib.Linear(4, 2, W=W2), nnlib.Softmax())
    return InfluenceDiagram.from_model(model, np.array([2.0, 5.0, 3.0, 3.0]), np.array([1.0, 0.0]),
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
