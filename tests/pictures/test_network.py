"""Tests for nnlib.pictures.network: well-formed, deterministic SVG with the right elements and hooks."""
import numpy as np
import pytest

import nnlib
from nnlib.lessons.network import example_network
from nnlib.lessons.trace import backward_trace, forward_trace
from nnlib.pictures.network import network_svg, trace_svg

from . import SVG, _parse

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


def test_network_rejects_bad_sizes():
    """A network needs at least an input and an output layer."""
    with pytest.raises(ValueError, match="at least two"):
        network_svg([3])


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


def test_deterministic():
    """The same arguments give byte-identical output."""
    kwargs = dict(highlight_edges=[("n0_1", "n1_0")], focus="n1_0", node_text={"n1_0": ["z=1"]})
    assert network_svg([3, 2, 1], **kwargs) == network_svg([3, 2, 1], **kwargs)
