"""Tests for nnlib.pictures.plots: plots that draw what they claim (Agg backend)."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no GUI in tests

import matplotlib.pyplot as plt  # noqa: E402

from nnlib.pictures.plots import (figure_to_svg, new_figure, plot_error_vs_step,  # noqa: E402
                                  plot_function, plot_tangent)


def f(x):
    return x ** 2 + np.sin(x)


def df(x):
    return 2 * x + np.cos(x)


def test_plot_tangent_draws_curve_tangent_and_both_changes():
    """The tangent plot has the curve, the tangent line and the two Δ segments, with a legend."""
    fig = new_figure()
    ax = plot_tangent(f, df, 1.0, 0.5, ax=fig.add_subplot())
    labels = [line.get_label() for line in ax.get_lines()]
    assert any(lbl.startswith("tangent at") for lbl in labels)
    assert any(lbl.startswith("true Δy") for lbl in labels)
    assert any(lbl.startswith("dy/dx·Δx") for lbl in labels)
    svg = figure_to_svg(fig)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_plot_error_vs_step_reference_lines():
    """Log-log axes with the truncation (∝ h²) and round-off (∝ ε/h) reference lines."""
    hs = np.logspace(-10, -1, 10)
    errors = hs ** 2 + 1e-16 / hs
    ax = plot_error_vs_step(hs, errors)
    try:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        labels = [line.get_label() for line in ax.get_lines()]
        assert "truncation error ∝ h²" in labels and "round-off ∝ ε/h" in labels
        trunc = next(line for line in ax.get_lines() if line.get_label().startswith("truncation"))
        x, y = trunc.get_data()
        np.testing.assert_allclose(np.diff(np.log(y)) / np.diff(np.log(x)), 2.0, rtol=1e-10)
    finally:
        plt.close(ax.figure)


def test_plot_error_vs_step_reference_lines_stay_near_the_data():
    """The reference lines are clipped to a decade around the measured errors (not 1e-28)."""
    hs = np.logspace(-14, -1, 14)
    errors = np.abs((np.sin(1.0 + hs) - np.sin(1.0 - hs)) / (2 * hs) - np.cos(1.0))
    ax = plot_error_vs_step(hs, errors)
    try:
        lines = {line.get_label(): line.get_data() for line in ax.get_lines()}
        lo, hi = errors.min() / 10, errors.max() * 10
        for label, slope in (("truncation error ∝ h²", 2.0), ("round-off ∝ ε/h", -1.0)):
            x, y = lines[label]
            assert len(x) >= 2
            assert y.min() >= lo * (1 - 1e-9) and y.max() <= hi * (1 + 1e-9), label
            assert x.min() >= hs.min() and x.max() <= hs.max(), label
            np.testing.assert_allclose(np.diff(np.log(y)) / np.diff(np.log(x)), slope, rtol=1e-9)
        # truncation is fitted at the largest h, round-off at the smallest
        x, y = lines["truncation error ∝ h²"]
        np.testing.assert_allclose([x[-1], y[-1]], [hs[-1], errors[-1]], rtol=1e-12)
        x, y = lines["round-off ∝ ε/h"]
        np.testing.assert_allclose([x[0], y[0]], [hs[0], errors[0]], rtol=1e-12)
        assert ax.get_ylim()[0] >= lo / 10       # the axis is no longer stretched down to 1e-28
    finally:
        plt.close(ax.figure)


def test_plot_error_vs_step_all_zero_errors_still_draws():
    """With no positive error to scale against, the reference lines are drawn unclipped."""
    ax = plot_error_vs_step([1e-3, 1e-2, 1e-1], [0.0, 0.0, 0.0])
    try:
        labels = [line.get_label() for line in ax.get_lines()]
        assert "truncation error ∝ h²" in labels and "round-off ∝ ε/h" in labels
    finally:
        plt.close(ax.figure)


def test_plot_error_vs_step_validates_input():
    """Mismatched lengths and non-positive steps are refused."""
    with pytest.raises(ValueError, match="same length"):
        plot_error_vs_step([1e-3, 1e-2], [1.0])
    with pytest.raises(ValueError, match="positive"):
        plot_error_vs_step([0.0, 1e-2], [1.0, 1.0])


def test_plot_function_on_given_axes():
    """plot_function draws on the axes it is given and returns them."""
    fig = new_figure()
    ax = fig.add_subplot()
    assert plot_function(np.sin, (0, 3), ax=ax, label="sin") is ax
    x, y = ax.get_lines()[0].get_data()
    np.testing.assert_allclose(y, np.sin(x))
