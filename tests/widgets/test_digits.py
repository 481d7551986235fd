"""nnlib.widgets.digits: LiveTraining and DigitCanvas driven headless (no browser)."""

import os
import threading

import numpy as np

os.environ.setdefault("MPLBACKEND", "Agg")

from nnlib.widgets import DigitCanvas, LiveTraining  # noqa: E402

from . import _classes  # noqa: E402


def _find(widget, css):
    """Depth-first search for the first child widget carrying the CSS class."""
    if css in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        found = _find(child, css)
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- LiveTraining
def test_show_returns_none_under_nbgrader(monkeypatch):
    """Under grading (NBGRADER_EXECUTION) show() builds nothing and returns None."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    calls = []
    assert LiveTraining.show(lambda e: calls.append(e) or {}, epochs=3, autostart=True) is None
    assert DigitCanvas.show(lambda X: np.ones((1, 10)) / 10) is None
    assert calls == []


def test_live_training_has_its_css_hooks():
    """The view and its controls carry the stable CSS classes used by browser tests."""
    view = LiveTraining(lambda e: {"loss": 1.0}, epochs=3)
    assert "nnlib-live-training" in _classes(view)
    for css in ("nnlib-train-start", "nnlib-train-stop", "nnlib-train-progress", "nnlib-train-plot",
                "nnlib-train-status"):
        assert _find(view, css) is not None, css
    assert _find(view, "nnlib-train-stop").disabled          # nothing to stop yet


def test_start_trains_every_epoch_and_updates_view():
    """Start (synchronous mode) runs all epochs; progress, plot and status follow."""
    view = LiveTraining(lambda e: {"loss": 1.0 / (e + 1), "test accuracy": 0.5 + e / 10},
                        epochs=4, background=False)
    _find(view, "nnlib-train-start").click()
    assert view.run.status == "finished" and view.run.epoch == 4
    progress = _find(view, "nnlib-train-progress")
    assert progress.value == progress.max == 4
    plot = _find(view, "nnlib-train-plot").value
    assert plot.count('class="nnlib-curve"') == 2
    assert "finished 4 epochs" in _find(view, "nnlib-train-status").value
    assert _find(view, "nnlib-train-start").disabled and _find(view, "nnlib-train-stop").disabled


def test_stop_button_stops_a_background_run_and_continue_resumes():
    """Clicking Stop while a thread trains ends the run at the next epoch; Start continues it."""
    gate = threading.Semaphore(0)

    def step(epoch):
        gate.acquire(timeout=5)                # each epoch waits for the test's permission
        return {"loss": 1.0 / (epoch + 1)}

    view = LiveTraining(step, epochs=50, min_redraw_seconds=0.0)
    _find(view, "nnlib-train-start").click()
    assert view.running
    gate.release()
    gate.release()
    _find(view, "nnlib-train-stop").click()
    for _ in range(3):
        gate.release()                         # let the epoch in progress finish
    assert view.join(timeout=5)
    assert view.run.status == "stopped"
    assert 1 <= view.run.epoch <= 3
    stopped_at = view.run.epoch
    assert "stopped after epoch" in _find(view, "nnlib-train-status").value
    start = _find(view, "nnlib-train-start")
    assert not start.disabled and start.description == "Continue"
    assert _find(view, "nnlib-train-progress").value == stopped_at
    for _ in range(60):
        gate.release()
    start.click()
    assert view.join(timeout=10)
    assert view.run.status == "finished" and view.run.epoch == 50


def test_error_in_step_is_shown():
    """A step that raises ends the run with the error shown in the status line."""
    def step(epoch):
        raise ValueError("boom")

    view = LiveTraining(step, epochs=2, background=False)
    view.start()
    assert view.run.status == "error"
    assert "boom" in _find(view, "nnlib-train-status").value


def test_not_implemented_step_says_what_to_finish():
    """A step that raises NotImplementedError (an exercise stub) shows the given to-do, not an error."""
    written = []

    def step(epoch):
        if not written:
            raise NotImplementedError()
        return {"loss": 1.0}

    view = LiveTraining(step, epochs=2, background=False,
                        not_implemented="Finish exercise (b) first")
    view.start()
    status = _find(view, "nnlib-train-status").value
    assert "Finish exercise (b) first" in status
    assert "error" not in status and "NotImplementedError()" not in status
    assert not _find(view, "nnlib-train-start").disabled     # Start tries again
    written.append(True)                                     # the student writes the exercise
    view.start()
    assert view.run.status == "finished" and view.run.epoch == 2


def test_not_implemented_has_a_generic_message():
    """Without a not_implemented text the status still says to finish the exercise, not 'error'."""
    def step(epoch):
        raise NotImplementedError()

    view = LiveTraining(step, epochs=2, background=False)
    view.start()
    status = _find(view, "nnlib-train-status").value
    assert "finish that exercise" in status and "error:" not in status


def test_stop_after_the_run_finished_keeps_the_finished_status():
    """Stop pressed when training has already ended changes nothing (regression: it said 'stopping')."""
    view = LiveTraining(lambda e: {"loss": 1.0}, epochs=2, background=False)
    view.start()
    status = _find(view, "nnlib-train-status").value
    assert "finished 2 epochs" in status
    view.stop()
    assert _find(view, "nnlib-train-status").value == status
    assert not view.run.stop_requested and view.run.status == "finished"


def test_stop_before_start_does_nothing():
    """Stop on a view that never started leaves it ready, and Start still trains every epoch."""
    view = LiveTraining(lambda e: {"loss": 1.0}, epochs=3, background=False)
    view.stop()
    assert "ready" in _find(view, "nnlib-train-status").value
    view.start()
    assert view.run.status == "finished" and view.run.epoch == 3


def test_live_training_static_fallback():
    """Without a widget frontend the view falls back to HTML with the curves."""
    view = LiveTraining(lambda e: {"loss": 1.0}, epochs=1, background=False, title="demo")
    view.start()
    html = view._repr_mimebundle_()["text/html"]
    assert "nnlib-static" in html and "<svg" in html and "demo" in html


# --------------------------------------------------------------------------- DigitCanvas
def _uniform(X):
    return np.full((len(X), 10), 0.1)


def test_digit_canvas_has_its_css_hooks():
    """Canvas area, Clear, preview and one probability bar per class carry their classes."""
    view = DigitCanvas(_uniform)
    for css in ("nnlib-digit-canvas", "nnlib-digit-clear", "nnlib-digit-preview",
                "nnlib-digit-probabilities", "nnlib-digit-surface", "nnlib-digit-fallback"):
        assert _find(view, css) is not None, css
    bars = _find(view, "nnlib-digit-probabilities").value
    for k in range(10):
        assert f"data-class='{k}'" in bars


def test_stroke_downsamples_and_predicts():
    """A stroke fed as points updates the 8×8 preview and the probabilities from the model."""
    seen = []

    def predict(X):
        seen.append(X.copy())
        z = np.arange(10.0)
        return np.exp(z)[None, :] / np.exp(z).sum()

    view = DigitCanvas(predict, size=128, line_width=10)
    assert view.probabilities is None
    view.add_stroke([(64, 10), (64, 118)])
    assert seen and seen[-1].shape == (1, 64)
    np.testing.assert_allclose(seen[-1].reshape(8, 8), view.drawing.downsampled())
    p = view.probabilities
    np.testing.assert_allclose(p.sum(), 1.0)
    bars = _find(view, "nnlib-digit-probabilities").value
    assert "nnlib-digit-best' data-class='9'" in bars
    assert "data-class='9'>prediction: <b>9</b>" in _find(view, "nnlib-digit-verdict").value
    assert "nnlib-image8" in _find(view, "nnlib-digit-preview").value


def test_note_is_asked_again_after_every_stroke():
    """A callable note (which model answers) is re-read on every update, so it stays true."""
    model = {"name": "reference model"}
    view = DigitCanvas(_uniform, size=64, note=lambda: f"classifying with: {model['name']}")
    verdict = _find(view, "nnlib-digit-verdict")
    assert "classifying with: reference model" in verdict.value
    model["name"] = "your network"
    view.add_stroke([(10, 10), (50, 50)])
    assert "classifying with: your network" in verdict.value and "prediction" in verdict.value
    assert "your network" in view.static_html()


def test_mouse_events_draw_a_stroke():
    """mouse down, moves and up (the canvas callbacks) add exactly one stroke."""
    view = DigitCanvas(_uniform, size=64, line_width=6)
    view._on_down(10, 10)
    view._on_move(20, 30)
    view._on_move(30, 50)
    view._on_up(30, 50)
    assert len(view.drawing.strokes) == 1
    np.testing.assert_allclose(view.drawing.strokes[0], [[10, 10], [20, 30], [30, 50]])
    view._on_move(40, 40)                      # moving without a pressed button draws nothing
    view._on_up(40, 40)
    assert len(view.drawing.strokes) == 1


def test_clear_button_erases():
    """Clear forgets the strokes and resets the preview and the bars."""
    view = DigitCanvas(_uniform, size=64)
    view.add_stroke([(10, 10), (50, 50)])
    assert not view.drawing.is_empty
    _find(view, "nnlib-digit-clear").click()
    assert view.drawing.is_empty and view.probabilities is None
    assert "draw a digit" in _find(view, "nnlib-digit-verdict").value


def test_client_ready_hides_the_fallback_message():
    """When the browser's canvas reports ready, the 'needs ipycanvas' message is hidden."""
    view = DigitCanvas(_uniform, size=64)
    message = _find(view, "nnlib-digit-fallback")
    assert "ipycanvas" in message.value and message.layout.display != "none"
    view.add_stroke([(10, 10), (50, 50)])
    view._on_client_ready()
    assert message.layout.display == "none"


def test_without_ipycanvas_a_message_replaces_the_canvas(monkeypatch):
    """If ipycanvas cannot be imported the view still works from strokes and says why."""
    import builtins

    real_import = builtins.__import__

    def no_ipycanvas(name, *args, **kwargs):
        if name == "ipycanvas":
            raise ImportError("no ipycanvas")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipycanvas)
    view = DigitCanvas(_uniform, size=64)
    assert _find(view, "nnlib-digit-surface") is None
    assert "not installed" in _find(view, "nnlib-digit-fallback").value
    view.add_stroke([(10, 10), (50, 50)])
    np.testing.assert_allclose(view.probabilities, np.full(10, 0.1))
