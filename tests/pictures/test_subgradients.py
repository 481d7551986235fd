"""Tests for nnlib.pictures.subgradients: softmax bars and heatmap, the subgradient picture and verdict."""

import re

from nnlib.lessons.subgradients import SubgradientState, softmax_state
from nnlib.pictures.subgradients import (softmax_bars_svg, softmax_heatmap_html, subgradient_svg,
                                         subgradient_verdict_html)


def test_heatmap_colors_red_positive_blue_negative():
    """Heatmap colours: diagonal entries (positive) red, off-diagonal (negative) blue."""
    html = softmax_heatmap_html(softmax_state([0.0, 0.0]))
    colour = dict(((int(r), int(c)), rgb) for r, c, rgb in re.findall(
        r'data-row="(\d)" data-col="(\d)" style="[^"]*background:(rgb\([^)]*\))', html))
    assert colour[0, 0].startswith("rgb(255,") and colour[0, 1].endswith(",255)")


def test_bars_svg_has_one_bar_per_output_and_marks_the_max():
    """The SVG has D bars with values; the largest output's bar is marked."""
    svg = softmax_bars_svg(softmax_state([0.0, 3.0, 1.0]))
    assert svg.count('<rect class="nnlib-bar') == 3 and 'nnlib-bar nnlib-bar-max" data-index="1"' in svg
    assert svg.count("nnlib-bar-value") == 3


def test_heatmap_html_has_cells_and_check():
    """D×D heatmap cells and a passing numerical check."""
    html = softmax_heatmap_html(softmax_state([0.5, -0.5, 1.0]))
    assert html.count("nnlib-heat-cell") == 9 and "nnlib-check-ok" in html


def test_state_verdict_and_svg_follow_v():
    """Valid slope: green line, 'valid' verdict; invalid: red line, and the verdict names the side."""
    s = SubgradientState.named("relu", v=0.5)
    assert s.valid and "valid subgradient" in s.verdict() and "nnlib-valid" in subgradient_svg(s)
    s.set_v(1.5)
    assert not s.valid and "on the right" in s.verdict() and "nnlib-invalid" in subgradient_svg(s)
    s.set_v(-0.5)
    assert not s.valid and "on the left" in s.verdict()
    assert "nnlib-check-bad" in subgradient_verdict_html(s)
