"""Tests for nnlib.pictures.jacobians and nnlib.pictures.tables: the HTML of notebook 04's explorers."""

import re

import numpy as np

import nnlib
from nnlib.lessons.jacobians import BridgeState, JacobianExplorerState
from nnlib.lessons.network import sigmoid_softmax_network as net_442
from nnlib.pictures.jacobians import bridge_html, explorer_heatmap_html, vjp_html
from nnlib.pictures.tables import heat_color, heatmap_html

X442 = np.array([2.0, 5.0, 3.0, 3.0])
D442 = np.array([1.0, 0.0])


def test_heat_color_signs_and_scale():
    """White at 0, pure red at +scale, pure blue at −scale, clipped beyond."""
    assert heat_color(0.0, 1.0) == "rgb(255,255,255)"
    assert heat_color(2.0, 2.0) == "rgb(255,0,0)"
    assert heat_color(-5.0, 2.0) == "rgb(0,0,255)"
    assert heat_color(1.0, 0.0) == "rgb(255,255,255)"


def test_heatmap_html_has_one_cell_per_entry_with_values():
    """An M × D matrix gives M·D td.nnlib-heat-cell with data-row/data-col and the value as text."""
    J = np.array([[1.0, -0.5, 0.0], [0.25, 2.0, -2.0]])
    html = heatmap_html(J, ["y₁", "y₂"], ["z₁", "z₂", "z₃"], caption="J")
    cells = re.findall(r'<td class="nnlib-heat-cell" data-row="(\d)" data-col="(\d)"', html)
    assert cells == [(str(r), str(c)) for r in range(2) for c in range(3)]
    assert 'class="nnlib-heatmap"' in html and "∂y₂/∂z₃ = −2" in html and ">−0.5<" in html


def test_explorer_and_vjp_html_show_the_state():
    """The explorer HTML holds the heatmap, the check result; the VJP HTML the formula and result."""
    state = JacobianExplorerState(net_442(), X442, D442, nnlib.SquaredError(), layer=3)
    html = explorer_heatmap_html(state)
    assert html.count("nnlib-heat-cell") == 4 and "nnlib-check-ok" in html
    vjp = vjp_html(state)
    assert "∇_z⁽²⁾ Div = ∇_y⁽²⁾ Div · J_y⁽²⁾(z⁽²⁾)" in vjp
    assert 'class="nnlib-vjp-upstream"' in vjp and 'class="nnlib-vjp-result"' in vjp
    from nnlib.notation import fmt
    assert f"<b>{fmt(state.vjp[0])}</b>" in vjp


def test_bridge_html_fills_entries_step_by_step():
    """Entries appear as they are computed; the current one is nnlib-focus; the last step shows dW and the check."""
    state = BridgeState(net_442(), X442, D442, nnlib.SquaredError())
    assert bridge_html(state, 0).count("nnlib-filled") == 0
    html = bridge_html(state, 3)                          # third entry: (i, j) = (1, 0)
    assert html.count('class="nnlib-bridge-cell nnlib-filled') == 3
    assert 'nnlib-filled nnlib-focus" data-row="1" data-col="0"' in html
    outer = bridge_html(state, len(state.steps) - 2)
    assert outer.count("nnlib-filled") == 8 and "nnlib-bridge-dw" not in outer
    last = bridge_html(state, len(state.steps) - 1)
    assert "nnlib-bridge-dw" in last and "nnlib-check-ok" in last and last.count("nnlib-heat-cell") == 8
