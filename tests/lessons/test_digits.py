"""nnlib.lessons.digits: drawings, the optdigits-style 8×8 downsampling, probabilities, live-training state."""

import threading

import numpy as np
import pytest

from nnlib.lessons.digits import (DigitDrawing, TrainingRun, class_probabilities, confusion_matrix,
                          downsample_drawing, downsample_steps)


def test_empty_image_gives_zeros():
    """A drawing without ink downsamples to an all-zero 8×8 image."""
    s = downsample_steps(np.zeros((50, 40)))
    assert s.box is None
    np.testing.assert_array_equal(s.image8, np.zeros((8, 8)))


def test_full_square_is_all_ones():
    """A square entirely inked gives 16 ink pixels in every block: 1.0 everywhere."""
    np.testing.assert_array_equal(downsample_drawing(np.ones((64, 64))), np.ones((8, 8)))


def test_block_counts_of_a_known_bitmap():
    """A 32×32 input is taken pixel for pixel and each 4×4 block's ink is counted."""
    img = np.zeros((32, 32))
    img[0:32, 0:1] = 1.0          # a left column of ink; bounding box is 32×1 -> padded to 32×32
    s = downsample_steps(img)
    assert s.box == (0, 32, 0, 1)
    # the 1-pixel column is centred in the 32×32 square: column 15 -> block column 3, 1 pixel/row
    expected = np.zeros((8, 8), dtype=int)
    expected[:, 3] = 4
    np.testing.assert_array_equal(s.counts, expected)
    np.testing.assert_allclose(s.image8, expected / 16)


def test_values_are_multiples_of_one_sixteenth():
    """Every output pixel is (count 0..16) / 16, like the UCI digits."""
    rng = np.random.default_rng(0)
    x = downsample_drawing(rng.random((200, 150)))
    np.testing.assert_allclose(x * 16, np.round(x * 16))
    assert x.min() >= 0 and x.max() <= 1


def test_crop_and_pad_make_position_and_scale_irrelevant():
    """The same shape drawn small in a corner or large in the middle downsamples identically."""
    shape = np.zeros((10, 6))
    shape[:, 0] = shape[0, :] = shape[-1, :] = 1
    small = np.zeros((100, 100))
    small[5:15, 80:86] = shape
    large = np.zeros((100, 100))
    large[10:90, 30:78] = np.kron(shape, np.ones((8, 8)))
    np.testing.assert_array_equal(downsample_drawing(small), downsample_drawing(large))


def test_tall_digit_touches_top_and_bottom_and_is_centred():
    """Aspect ratio is kept: a tall bar fills the height and is centred left to right."""
    img = np.zeros((100, 100))
    img[10:90, 45:55] = 1
    x = downsample_drawing(img)
    assert x[0].any() and x[7].any()
    np.testing.assert_array_equal(x[:, :3], 0)
    np.testing.assert_array_equal(x[:, 5:], 0)


def test_threshold_and_shape_errors():
    """Faint pixels below the threshold are not ink; a 3-D array is refused with a hint."""
    img = np.full((40, 40), 0.4)
    assert downsample_steps(img).box is None
    with pytest.raises(ValueError, match="alpha channel"):
        downsample_steps(np.zeros((4, 4, 4)))


def test_drawing_rasterises_strokes_with_line_width():
    """A horizontal stroke inks a band line_width pixels tall, clipped to the canvas."""
    d = DigitDrawing(size=64, line_width=8)
    d.add_stroke([(10, 32), (50, 32)])
    rows = np.flatnonzero(d.image.any(axis=1))
    assert rows.min() == 28 and rows.max() == 35            # centres within 4 px of y = 32
    cols = np.flatnonzero(d.image.any(axis=0))
    assert cols.min() == 6 and cols.max() == 53
    d.add_stroke([(-20, -20)])                               # off-canvas dot: clipped, no error
    assert len(d.strokes) == 2
    d.clear()
    assert d.is_empty and d.strokes == []


def test_single_point_is_a_dot():
    """A stroke of one point inks a disc of diameter line_width."""
    d = DigitDrawing(size=40, line_width=10)
    d.add_stroke([(20, 20)])
    assert 60 < d.image.sum() < 100                          # π·5² ≈ 78.5 pixels


def test_bad_strokes_are_refused():
    """Points must be (x, y) pairs of finite numbers."""
    d = DigitDrawing(size=40)
    with pytest.raises(ValueError, match=r"\(P, 2\)"):
        d.add_stroke([1, 2, 3])
    with pytest.raises(ValueError, match="NaN"):
        d.add_stroke([(1, np.nan)])
    with pytest.raises(ValueError):
        DigitDrawing(size=8)


def test_class_probabilities_accepts_probabilities_logits_and_models():
    """Probability rows pass through, logits get a softmax, nnlib models work via forward."""
    import nnlib

    p = np.array([[0.1, 0.2, 0.7]])
    np.testing.assert_allclose(class_probabilities(lambda X: p, np.zeros(64)), p[0])
    logits = np.array([[1.0, 2.0, 3.0]])
    e = np.exp(logits[0] - 3)
    np.testing.assert_allclose(class_probabilities(lambda X: logits, np.zeros((8, 8))), e / e.sum())
    model = nnlib.Sequential(nnlib.Linear(64, 10, rng=0), nnlib.Softmax())
    x = np.linspace(0, 1, 64)
    np.testing.assert_allclose(class_probabilities(model, x), model.forward(x[None, :])[0])
    # one output: a value in [0, 1] is a probability, anything else a logit (sigmoid)
    assert class_probabilities(lambda X: np.array([[0.3]]), x)[0] == 0.3
    np.testing.assert_allclose(class_probabilities(lambda X: np.array([[-2.0]]), x),
                               [1 / (1 + np.exp(2.0))])


def test_class_probabilities_passes_a_64_column_batch():
    """The predict function receives a (1, 64) batch."""
    seen = []
    class_probabilities(lambda X: seen.append(X.shape) or np.ones((1, 2)) / 2, np.zeros((8, 8)))
    assert seen == [(1, 64)]


def test_confusion_matrix_counts():
    """C[i, j] counts true i predicted j; rows sum to the class sizes."""
    C = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=3)
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], [0])


def test_training_run_records_and_finishes():
    """run() trains every epoch, records metrics per epoch and ends 'finished'."""
    run = TrainingRun(lambda e: {"loss": 1.0 / (e + 1), "acc": e / 4}, epochs=4)
    assert run.status == "ready"
    assert run.run() == "finished"
    assert run.epoch == 4 and run.history["loss"] == [1.0, 0.5, 1 / 3, 0.25]
    assert run.run() == "finished" and run.epoch == 4        # nothing left to do


def test_training_run_stops_at_epoch_boundary_and_resumes():
    """request_stop() during an epoch stops before the next one; run() again continues."""
    calls = []
    run = TrainingRun(lambda e: calls.append(e) or {"loss": 1.0}, epochs=6)
    status = run.run(on_epoch=lambda r: r.request_stop() if r.epoch == 3 else None)
    assert status == "stopped" and calls == [0, 1, 2] and run.epoch == 3
    assert run.run() == "finished" and calls == [0, 1, 2, 3, 4, 5]


def test_training_run_stops_from_another_thread():
    """A stop requested from another thread (a button) ends a run blocked in its step."""
    started, release = threading.Event(), threading.Event()

    def step(epoch):
        started.set()
        release.wait(5)
        return {"loss": 0.0}

    run = TrainingRun(step, epochs=100)
    worker = threading.Thread(target=run.run)
    worker.start()
    assert started.wait(5)
    run.request_stop()
    release.set()
    worker.join(5)
    assert not worker.is_alive()
    assert run.status == "stopped" and run.epoch == 1


def test_training_run_reports_errors():
    """An exception in the step ends the run with status 'error' and keeps the exception."""
    def step(epoch):
        raise FloatingPointError("loss is nan")

    run = TrainingRun(step, epochs=3)
    assert run.run() == "error"
    assert isinstance(run.error, FloatingPointError) and run.epoch == 0


def test_training_run_validates_arguments():
    """A non-callable step or zero epochs is refused."""
    with pytest.raises(TypeError):
        TrainingRun(None, 3)
    with pytest.raises(ValueError):
        TrainingRun(lambda e: {}, 0)


def test_module_is_pure():
    """nnlib.lessons.digits imports no widget or plotting library."""
    import subprocess
    import sys

    code = ("import sys, nnlib.lessons.digits; bad = [m for m in ('ipywidgets', 'matplotlib', 'sklearn', "
            "'ipycanvas') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
