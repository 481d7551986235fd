"""Tests for nnlib.widgets.tangent: TangentExplorer follows its sliders."""
import numpy as np
import pytest

from nnlib.lessons.tangent import tangent_approximation
from nnlib.widgets import TangentExplorer

from . import _classes

pytestmark = pytest.mark.usefixtures("headless_widgets")


def test_tangent_explorer_numbers_follow_the_sliders():
    """Moving Δx updates the table to the pure tangent_approximation numbers and redraws the plot."""
    view = TangentExplorer(np.exp, np.exp, x0=0.0, dx=0.5, x_range=(-2, 2), label="eˣ")
    assert "<svg" in view._plot.value and "nnlib-tangent-plot" in _classes(view._plot)
    first_plot = view._plot.value
    view._dx_slider.value = 0.1
    expected = tangent_approximation(np.exp, np.exp, 0.0, 0.1)
    assert view.state == expected
    assert f"{expected.true_change:.6g}" in view._numbers.value
    assert f"{expected.linear_change:.6g}" in view._numbers.value
    assert view._plot.value != first_plot
    view._x_slider.value = 1.0
    assert f"{np.exp(1.0):.6g}" in view._numbers.value


def test_tangent_explorer_default_is_the_lecture_function():
    """Without f the explorer shows x² + sin x; giving f without df is an error."""
    view = TangentExplorer()
    assert view.state.slope == pytest.approx(2 + np.cos(1.0))
    with pytest.raises(ValueError, match="both f and its derivative"):
        TangentExplorer(np.sin)
