"""Views of notebook 06: :class:`LiveTraining` (progress, live curves, Stop) and :class:`DigitCanvas`.

Thin views over :mod:`nnlib.lessons.digits` (pure state, tested without widgets):

* ``LiveTraining.show(step, epochs=20)`` — ``step(epoch) -> dict of metrics`` trains one epoch;
  Start runs :class:`nnlib.lessons.digits.TrainingRun` in a background thread (so the kernel stays free to
  receive the Stop click), the progress bar and the learning curves (an SVG in an HTML widget)
  update after every epoch, Stop ends training at the next epoch boundary.
* ``DigitCanvas.show(model_or_predict_fn)`` — draw a digit with the mouse (ipycanvas); when a
  stroke ends, the drawing is downsampled to 8×8 exactly like the training images
  (:func:`nnlib.lessons.digits.downsample_steps`), shown, and the 10 class probabilities are drawn as bars.
  Without ipycanvas (or without its frontend extension) a message says what to install; strokes
  can still be fed as point lists: ``view.add_stroke([(x, y), ...])``.
"""

from __future__ import annotations

import threading
import time
from html import escape

import ipywidgets as widgets
import numpy as np

from nnlib.lessons.digits import DigitDrawing, TrainingRun, class_probabilities
from nnlib.pictures.digits import image8_html, learning_curves_svg, probabilities_html

from .base import ShowMixin, button, html_widget

__all__ = ["LiveTraining", "DigitCanvas"]


# --------------------------------------------------------------------------- live training
_NOT_IMPLEMENTED = ("not written yet: the training step calls a function that raises "
                    "NotImplementedError — finish that exercise, run its cell, then press Start "
                    "again")


class LiveTraining(ShowMixin, widgets.VBox):
    """Start / Stop, a progress bar and learning curves that grow while a model trains.

    Notebook cell::

        LiveTraining.show(step, epochs=20)

    Parameters
    ----------
    step : callable ``step(epoch) -> dict``
        Trains ONE epoch and returns its metrics, e.g. ``{"loss": …, "train accuracy": …,
        "test accuracy": …}`` (names containing "loss" are plotted left, the rest right).
    epochs : int, default 20
    title : str, optional
    autostart : bool, default False
        Start training as soon as the view is built.
    background : bool, default True
        Train in a background thread (needed for the Stop button to be heard while training).
        With False, Start trains in the caller's thread (tests, scripts).
    min_redraw_seconds : float, default 0.25
        Redraw the curves at most this often while training (the last epoch is always drawn).
    not_implemented : str, optional
        What the status line says when ``step`` raises NotImplementedError (a student's exercise
        stub): which exercises to finish first. Start tries again once they are written.
    """

    def __init__(self, step, epochs: int = 20, *, title: str = "", autostart: bool = False,
                 background: bool = True, min_redraw_seconds: float = 0.25,
                 not_implemented: str = _NOT_IMPLEMENTED):
        self._run = TrainingRun(step, epochs)
        self._background = bool(background)
        self._min_redraw = float(min_redraw_seconds)
        self._not_implemented = str(not_implemented)
        self._last_draw = 0.0
        self._thread: threading.Thread | None = None
        self._title = html_widget("nnlib-train-title", f"<b>{escape(title)}</b>" if title else "")
        self._start = button("Start", "nnlib-train-start", "train (continue after Stop)", "play")
        self._stop = button("Stop", "nnlib-train-stop", "stop at the end of this epoch", "stop")
        self._stop.disabled = True
        self._progress = widgets.IntProgress(value=0, min=0, max=self._run.epochs,
                                             description="epoch 0/" + str(self._run.epochs),
                                             style={"description_width": "initial"})
        self._progress.add_class("nnlib-train-progress")
        self._status = html_widget("nnlib-train-status")
        self._plot = html_widget("nnlib-train-plot")
        self._start.on_click(lambda _: self.start())
        self._stop.on_click(lambda _: self.stop())
        for fixed in (self._start, self._stop, self._progress):
            fixed.layout.flex = "0 0 auto"     # a long status line wraps instead of squeezing these
        self._status.layout.flex = "1 1 auto"
        controls = widgets.HBox([self._start, self._stop, self._progress, self._status])
        super().__init__([self._title, controls, self._plot])
        self.add_class("nnlib-live-training")
        self._refresh(force=True)
        if autostart:
            self.start()

    @property
    def run(self) -> TrainingRun:
        """The pure state: history, epoch, status, stop flag."""
        return self._run

    def start(self) -> None:
        """Train the remaining epochs (in a background thread unless background=False)."""
        if self.running or self._run.done:
            return
        self._start.disabled = True
        self._stop.disabled = False
        self._status.value = "training…"
        if self._background:
            self._thread = threading.Thread(target=self._train, name="nnlib-live-training",
                                            daemon=True)
            self._thread.start()
        else:
            self._train()

    def stop(self) -> None:
        """Ask training to stop at the next epoch boundary (what the Stop button does).

        Does nothing when no training is running: a click that arrives just after the last epoch
        must not replace the "finished …" status.
        """
        if self._run.status != "running":
            return
        self._run.request_stop()
        self._status.value = "stopping after this epoch…"
        if self._run.status != "running":      # the run ended meanwhile: show how it ended
            self._refresh(force=True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for a background run to end; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _train(self) -> None:
        self._run.run(on_epoch=lambda _: self._refresh())
        self._refresh(force=True)

    def _refresh(self, force: bool = False) -> None:
        run = self._run
        self._progress.value = run.epoch
        self._progress.description = f"epoch {run.epoch}/{run.epochs}"
        now = time.perf_counter()
        if force or run.done or now - self._last_draw >= self._min_redraw:
            self._last_draw = now
            self._plot.value = self._plot_html()
        if run.status == "running":
            return
        self._stop.disabled = True
        self._start.disabled = run.done
        self._start.description = "Continue" if run.status == "stopped" else "Start"
        last = {k: v[-1] for k, v in run.history.items() if v}
        numbers = ", ".join(f"{escape(k)} {v:.4g}" for k, v in last.items())
        if run.status == "error" and isinstance(run.error, NotImplementedError):
            # an exercise stub, not a bug: say what to write instead of showing a bare exception
            self._status.value = (f"<span class='nnlib-train-state' style='color:#a33'>"
                                  f"{escape(self._not_implemented)}</span>")
            return
        text = {"ready": "ready: press Start",
                "stopped": f"stopped after epoch {run.epoch}",
                "finished": f"finished {run.epoch} epochs in {run.seconds:.1f} s",
                "error": f"error: {escape(repr(run.error))}"}[run.status]
        self._status.value = f"<span class='nnlib-train-state'>{text}</span>" + \
            (f" — {numbers}" if numbers and run.status != "error" else "")

    def _plot_html(self) -> str:
        if not self._run.history:
            return "<div style='color:#666'>(the learning curves appear here while training)</div>"
        return learning_curves_svg(self._run.history, epochs=self._run.epochs)

    def static_html(self) -> str:
        return self._title.value + self._status.value + self._plot.value


# --------------------------------------------------------------------------- digit canvas
_FALLBACK = ("<div style='color:#a33'>The drawing area needs <b>ipycanvas</b> in the kernel and "
             "its JupyterLab extension in the browser. {what} You can still try the model by "
             "feeding a stroke as points: <code>view = DigitCanvas(predict); "
             "view.add_stroke([(60, 40), (190, 40), (60, 220)])</code>.</div>")


class DigitCanvas(ShowMixin, widgets.VBox):
    """Draw a digit; see it downsampled to 8×8 and the model's class probabilities.

    Notebook cell::

        DigitCanvas.show(model_or_predict_fn)

    Parameters
    ----------
    model_or_predict_fn : nnlib model (``forward``) or callable ``X (1, 64) -> (1, K)``
        Probabilities or logits (see :func:`nnlib.lessons.digits.class_probabilities`).
    size : int, default 256
        Canvas side in pixels.
    line_width : float, default 18
    labels : list of str, optional
        Class names for the bars (default "0" … "K-1").
    note : str or callable ``() -> str``, optional
        A line under the prediction (inside ``nnlib-digit-verdict``), e.g. which model answers; a
        callable is asked again after every stroke, so the line stays true when the model behind
        ``model_or_predict_fn`` changes.

    Tests and browser tests feed strokes without a mouse: ``view.add_stroke(points)``.
    """

    def __init__(self, model_or_predict_fn, *, size: int = 256, line_width: float = 18.0,
                 labels=None, note=""):
        self._predict = model_or_predict_fn
        self._note = note
        self._labels = labels
        self._drawing = DigitDrawing(size, line_width)
        self._current: list[tuple[float, float]] = []
        self._canvas = None
        self._message = html_widget("nnlib-digit-fallback")
        try:
            import ipycanvas
        except ImportError:
            ipycanvas = None
        if ipycanvas is not None:
            self._canvas = ipycanvas.Canvas(width=self._drawing.size, height=self._drawing.size,
                                            layout=widgets.Layout(border="1px solid #888",
                                                                  width=f"{size}px",
                                                                  height=f"{size}px"))
            self._canvas.add_class("nnlib-digit-surface")
            self._canvas.on_mouse_down(self._on_down)
            self._canvas.on_mouse_move(self._on_move)
            self._canvas.on_mouse_up(self._on_up)
            self._canvas.on_mouse_out(self._on_up)
            self._canvas.on_client_ready(self._on_client_ready)
            # shown until the browser side of the canvas reports that it is ready
            self._message.value = _FALLBACK.format(
                what="If this message stays, the extension is missing (install ipycanvas into "
                     "the environment JupyterLab runs from, then reload the page).")
            area = [self._canvas, self._message]
        else:
            self._message.value = _FALLBACK.format(
                what="ipycanvas is not installed in this kernel (pip install ipycanvas).")
            area = [self._message]
        self._area = widgets.VBox(area)
        self._area.add_class("nnlib-digit-canvas")
        self._clear = button("Clear", "nnlib-digit-clear", "erase the drawing", "eraser")
        self._clear.on_click(lambda _: self.clear())
        self._preview = html_widget("nnlib-digit-preview")
        self._probabilities = html_widget("nnlib-digit-probabilities")
        self._verdict = html_widget("nnlib-digit-verdict")
        right = widgets.VBox([widgets.HTML("<b>what the network sees (8×8)</b>"), self._preview,
                              widgets.HTML("<b>class probabilities</b>"), self._probabilities,
                              self._verdict])
        help_text = widgets.HTML("<span style='color:#555'>Draw one digit, large, filling the "
                                 "box; each stroke updates the prediction.</span>")
        super().__init__([help_text, widgets.HBox([self._area, right]), self._clear])
        self.add_class("nnlib-digit-canvas-view")
        self._prepare_canvas()
        self._update()

    # ---- state access (pure)
    @property
    def drawing(self) -> DigitDrawing:
        return self._drawing

    @property
    def image8(self) -> np.ndarray:
        return self._drawing.downsampled()

    @property
    def probabilities(self) -> np.ndarray | None:
        """The model's class probabilities for the current drawing (None while it is empty)."""
        if self._drawing.is_empty:
            return None
        return class_probabilities(self._predict, self.image8.reshape(1, 64))

    def add_stroke(self, points) -> None:
        """Add a stroke (a list of ``(x, y)`` canvas points), draw it, update the prediction."""
        self._drawing.add_stroke(points)
        self._draw_stroke(self._drawing.strokes[-1])
        self._update()

    def clear(self) -> None:
        self._drawing.clear()
        self._current = []
        self._prepare_canvas()
        self._update()

    # ---- mouse events (canvas coordinates)
    def _on_down(self, x, y):
        self._current = [(float(x), float(y))]

    def _on_move(self, x, y):
        if not self._current:
            return
        x0, y0 = self._current[-1]
        self._current.append((float(x), float(y)))
        if self._canvas is not None:
            self._canvas.stroke_line(x0, y0, float(x), float(y))

    def _on_up(self, x, y):
        if not self._current:
            return
        points, self._current = self._current, []
        if len(points) == 1 and self._canvas is not None:   # a click: a dot
            self._draw_stroke(np.asarray(points))
        self._drawing.add_stroke(points)
        self._update()

    def _on_client_ready(self):
        self._message.layout.display = "none"
        self._prepare_canvas()
        for stroke in self._drawing.strokes:          # a new browser view: replay the drawing
            self._draw_stroke(stroke)

    # ---- pixels
    def _prepare_canvas(self):
        c = self._canvas
        if c is None:
            return
        c.clear()
        c.line_width = self._drawing.line_width
        c.line_cap = "round"
        c.line_join = "round"
        c.stroke_style = "black"
        c.fill_style = "black"

    def _draw_stroke(self, stroke):
        c = self._canvas
        if c is None:
            return
        pts = np.asarray(stroke, dtype=float)
        if len(pts) == 1:
            c.fill_circle(float(pts[0, 0]), float(pts[0, 1]), self._drawing.line_width / 2)
            return
        c.stroke_lines(pts.tolist())

    def _update(self):
        note = self._note() if callable(self._note) else self._note
        note = f"<div style='color:#555'><i>{escape(str(note))}</i></div>" if note else ""
        if self._drawing.is_empty:
            self._preview.value = image8_html(np.zeros((8, 8)))
            p = None
        else:
            self._preview.value = image8_html(self.image8)
            p = self.probabilities
        if p is None:
            k = 10 if self._labels is None else len(self._labels)
            self._probabilities.value = probabilities_html(np.zeros(k), self._labels)
            self._verdict.value = "<i>draw a digit</i>" + note
        else:
            self._probabilities.value = probabilities_html(p, self._labels)
            best = int(np.argmax(p))
            name = str(best) if self._labels is None else str(self._labels[best])
            self._verdict.value = (f"<span class='nnlib-digit-prediction' data-class='{best}'>"
                                   f"prediction: <b>{escape(name)}</b> ({p[best]:.1%})</span>"
                                   + note)

    def static_html(self) -> str:
        return (self._preview.value + self._probabilities.value + self._verdict.value)

