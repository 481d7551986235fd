"""nnlib.pictures.digits: the figures of notebook 06 (drawn with the Agg backend)."""

import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from nnlib.lessons.digits import DigitDrawing  # noqa: E402
from nnlib.pictures import digits as digit_plots  # noqa: E402
from nnlib.pictures.digits import image8_html, probabilities_html  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_import_does_not_load_matplotlib():
    """Importing nnlib.pictures.digits does not import matplotlib (it loads inside each function)."""
    code = "import sys, nnlib.pictures.digits; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_learning_curves_split_loss_and_accuracy():
    """Series named *loss* go left, the others right, one line per series."""
    history = {"loss": [1.0, 0.5, 0.2], "train accuracy": [0.5, 0.8, 0.9],
               "test accuracy": [0.4, 0.7, 0.85]}
    ax_loss, ax_acc = digit_plots.plot_learning_curves(history, epochs=5)
    assert len(ax_loss.lines) == 1 and len(ax_acc.lines) == 2
    np.testing.assert_allclose(ax_acc.lines[1].get_ydata(), history["test accuracy"])
    assert ax_loss.get_xlim() == (0.5, 5.5)


def test_learning_curves_legend_covers_no_curve():
    """The matplotlib legends sit outside their axes, so they cannot hide a rising accuracy."""
    history = {"loss": [1.0, 0.5, 0.2], "train accuracy": [0.5, 0.9, 0.999],
               "test accuracy": [0.4, 0.8, 0.97]}
    ax_loss, ax_acc = digit_plots.plot_learning_curves(history, epochs=3)
    ax_acc.figure.canvas.draw()
    for ax in (ax_loss, ax_acc):
        legend, frame = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert legend.y1 <= frame.y0, (legend, frame)


def test_learning_curves_svg_legend_below_the_panels():
    """Every SVG legend line lies below the plot frames (the curves' area), one per series."""
    import re

    svg = digit_plots.learning_curves_svg({"loss": [1.0, 0.2], "train accuracy": [0.5, 1.0],
                                           "test accuracy": [0.4, 0.97]}, epochs=5)
    frames = [float(y) + float(h) for y, h in
              re.findall(r'<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"', svg)]
    legends = [float(y) for y in re.findall(r'class="nnlib-legend" x="[^"]+" y="([^"]+)"', svg)]
    assert len(frames) == 2 and len(legends) == 3
    assert min(legends) > max(frames)
    assert max(legends) < 250                                   # and inside the picture
    assert "train accuracy 1" in svg


def test_learning_curves_svg_has_one_polyline_per_series():
    """The live view's SVG has a polyline per series with as many points as epochs."""
    svg = digit_plots.learning_curves_svg({"loss": [1.0, 0.5, 0.25], "test accuracy": [0.5, 0.9, 0.95]},
                                          epochs=10, title="t")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="nnlib-curve"') == 2
    loss_line = svg.split('data-name="loss" points="')[1].split('"')[0]
    assert len(loss_line.split()) == 3


def test_learning_curves_svg_survives_nan_and_empty():
    """A diverged run (nan loss) and an empty history still give an SVG."""
    assert "<svg" in digit_plots.learning_curves_svg({"loss": [1.0, float("nan")]})
    assert "<svg" in digit_plots.learning_curves_svg({})


def test_confusion_matrix_plot_writes_counts():
    """Every non-zero count is written in its cell; the title gives right out of total."""
    C = np.array([[5, 1], [0, 4]])
    ax = digit_plots.plot_confusion_matrix(C)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1", "4", "5"]
    assert ax.get_title() == "9 of 10 right"


def test_plot_digits_grid_and_titles():
    """n images tiled in rows of ncols on one mosaic, each titled; an empty set says (none)."""
    images = np.arange(13 * 64, dtype=float).reshape(13, 64) / (13 * 64)
    ax = digit_plots.plot_digits(images, titles=[str(k) for k in range(13)], ncols=5)
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (3 * 9 - 1, 5 * 9 - 1)
    np.testing.assert_allclose(mosaic[9:17, 18:26], images[7].reshape(8, 8))   # row 1, col 2
    assert bool(mosaic.mask[8, 0]) and bool(mosaic.mask[20, 30])                 # gap, empty tile
    assert [t.get_text() for t in ax.texts] == [str(k) for k in range(13)]
    ax = digit_plots.plot_digits(np.zeros((0, 64)))
    assert ax.texts[0].get_text() == "(none)"


def test_first_layer_weights_as_images():
    """Each neuron's 64 weights become one 8×8 tile, scaled by its own largest |weight|."""
    W1 = np.arange(3 * 64, dtype=float).reshape(3, 64) - 50
    ax = digit_plots.plot_first_layer_weights(W1, count=3, ncols=3)
    image = ax.images[0]
    tile = image.get_array()[0:8, 9:17]
    np.testing.assert_allclose(tile, W1[1].reshape(8, 8) / np.abs(W1[1]).max())
    assert image.get_clim() == (-1.0, 1.0)
    with pytest.raises(ValueError, match="transposed"):
        digit_plots.plot_first_layer_weights(W1.T)


def test_downsampling_plot_shows_four_stages():
    """The pipeline plot has the ink, the padded square, the 32×32 bitmap and the 8×8 image."""
    d = DigitDrawing(size=64, line_width=6)
    d.add_stroke([(10, 10), (50, 50)])
    fig = digit_plots.plot_downsampling(d.downsample_steps())
    assert len(fig.axes) == 4
    assert fig.axes[2].images[0].get_array().shape == (32, 32)
    np.testing.assert_allclose(fig.axes[3].images[0].get_array(), d.downsampled())


def test_html_helpers():
    """The preview is an 8×8 table; bars carry data-class and data-probability, top one marked."""
    html = image8_html(np.eye(8))
    assert html.count("<tr>") == 8 and html.count("<td") == 64
    bars = probabilities_html([0.2, 0.8], labels=["not 2", "2"])
    assert bars.count("<div class='nnlib-digit-prob") == 2
    assert "data-probability='0.800000'" in bars and "nnlib-digit-best' data-class='1'" in bars
    with pytest.raises(ValueError):
        image8_html(np.zeros(10))
