"""Pure state behind notebook 06 (digit recognition): drawings, 8×8 downsampling, live training.

No widget, plotting or scikit-learn import here: the views in :mod:`nnlib.widgets.digits` only
turn mouse events and clicks into calls on these objects, and the numbers are tested without a
browser.

* :class:`DigitDrawing` — strokes (lists of ``(x, y)`` points in canvas pixels) rasterised into an
  H×W ink image; a test (or a browser test) feeds strokes without a mouse.
* :func:`downsample_steps` / :func:`downsample_drawing` — a drawing turned into the 8×8, 0..1
  format of the training images, the way the UCI "optdigits" (scikit-learn's digits) were made.
* :func:`class_probabilities` — a model's (or a predict function's) class probabilities for one
  8×8 image.
* :func:`confusion_matrix` — counts of (true class, predicted class).
* :class:`TrainingRun` — the state of a live training run: per-epoch history, status, a stop flag
  that another thread (the Stop button) may set.

How scikit-learn's digits were made (UCI "optdigits")
-----------------------------------------------------
Handwritten digits were scanned, normalised by NIST's preprocessing into **32×32 binary bitmaps**,
then each bitmap was cut into 64 non-overlapping **4×4 blocks** and the **ink pixels of each block
counted**: an 8×8 image of integers 0..16 (``nnlib.data.load_digits`` divides by 16). In the data
every digit touches the top and the bottom row of its 8×8 image and sits centred left to right:
the normalisation scaled each digit's bounding box to the full height (keeping its aspect ratio).
:func:`downsample_steps` does the same to a drawing:

1. ink = pixels brighter than ``threshold``;
2. crop to the ink's bounding box;
3. pad the shorter side symmetrically to a square (keeps the aspect ratio, centres the digit);
4. resize the square to 32×32 **binary** by nearest neighbour (each of the 32×32 cells takes the
   pixel at its centre);
5. count the ink pixels of every 4×4 block (0..16) and divide by 16.

Examples
--------
>>> import numpy as np
>>> drawing = DigitDrawing(size=64, line_width=6)
>>> drawing.add_stroke([(32, 8), (32, 56)])            # a vertical bar: a "1"
>>> x = drawing.downsampled()
>>> x.shape, float(x.min()) >= 0.0, float(x.max()) <= 1.0
((8, 8), True, True)
>>> bool(x[:, 0].any()), bool(x[0].any() and x[7].any())   # centred, full height
(False, True)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from nnlib.activations import sigmoid, softmax

__all__ = ["DigitDrawing", "DownsampleSteps", "downsample_steps", "downsample_drawing",
           "class_probabilities", "confusion_matrix", "TrainingRun"]

BITMAP_SIZE = 32   # the NIST-normalised bitmap of the UCI optdigits
BLOCK = 4          # 4×4 blocks -> 8×8 counts 0..16


# --------------------------------------------------------------------------- drawing
class DigitDrawing:
    """Strokes drawn on a square canvas, rasterised into an ink image.

    Parameters
    ----------
    size : int, default 256
        The canvas is ``size × size`` pixels; ``image`` has that shape.
    line_width : float, default 18
        Pen diameter in pixels. Thick lines survive the 32×32 resize of a large digit (a
        200-pixel-tall digit shrinks about 6×, so an 18-pixel pen leaves strokes ~3 bitmap
        pixels wide, like the training digits).

    Attributes
    ----------
    strokes : list of ndarray of shape (P, 2)
        The strokes as ``(x, y)`` points: x to the right, y **down** (canvas convention).
    image : ndarray of shape (size, size)
        1.0 where ink is, else 0.0 (row = y, column = x).
    """

    def __init__(self, size: int = 256, line_width: float = 18.0):
        self.size = int(size)
        self.line_width = float(line_width)
        if self.size < BITMAP_SIZE:
            raise ValueError(f"DigitDrawing: size must be at least {BITMAP_SIZE} pixels, got {size}")
        if not self.line_width > 0:
            raise ValueError(f"DigitDrawing: line_width must be positive, got {line_width}")
        self.strokes: list[np.ndarray] = []
        self.image = np.zeros((self.size, self.size))

    def clear(self) -> None:
        """Forget every stroke."""
        self.strokes = []
        self.image = np.zeros((self.size, self.size))

    @property
    def is_empty(self) -> bool:
        return not self.image.any()

    def add_stroke(self, points) -> None:
        """Add one stroke: a sequence of ``(x, y)`` canvas points, joined by straight segments.

        A single point draws a dot. Points may lie outside the canvas; ink is clipped to it.
        """
        pts = np.asarray(points, dtype=float)
        if pts.size == 0:
            return
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(f"add_stroke: points must be (x, y) pairs, shape (P, 2); got shape "
                             f"{pts.shape}")
        if not np.all(np.isfinite(pts)):
            raise ValueError("add_stroke: points contain NaN or inf")
        self.strokes.append(pts)
        if len(pts) == 1:
            pts = np.vstack([pts, pts])
        for p, q in zip(pts[:-1], pts[1:]):
            self._segment(p, q)

    def _segment(self, p, q) -> None:
        """Ink every pixel whose centre lies within line_width/2 of the segment p–q."""
        r = self.line_width / 2
        x0 = int(max(0, np.floor(min(p[0], q[0]) - r)))
        x1 = int(min(self.size, np.ceil(max(p[0], q[0]) + r) + 1))
        y0 = int(max(0, np.floor(min(p[1], q[1]) - r)))
        y1 = int(min(self.size, np.ceil(max(p[1], q[1]) + r) + 1))
        if x0 >= x1 or y0 >= y1:
            return
        cx, cy = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
        d = q - p
        length2 = float(d @ d)
        # the point of the segment nearest to each pixel centre: p + t (q − p), t clipped to [0, 1]
        t = np.zeros_like(cx) if length2 == 0 else np.clip(((cx - p[0]) * d[0] + (cy - p[1]) * d[1])
                                                            / length2, 0.0, 1.0)
        dist2 = (cx - p[0] - t * d[0]) ** 2 + (cy - p[1] - t * d[1]) ** 2
        self.image[y0:y1, x0:x1][dist2 <= r * r] = 1.0

    def downsample_steps(self) -> "DownsampleSteps":
        """The intermediate images of :func:`downsample_steps` for this drawing."""
        return downsample_steps(self.image)

    def downsampled(self) -> np.ndarray:
        """The drawing as an 8×8 image in [0, 1], like one row of ``load_digits().X_train``."""
        return downsample_drawing(self.image)


# --------------------------------------------------------------------------- downsampling
@dataclass
class DownsampleSteps:
    """Every stage of :func:`downsample_steps` (for plotting the pipeline).

    Attributes
    ----------
    ink : ndarray of bool, shape (H, W)      pixels counted as ink
    box : tuple (row0, row1, col0, col1)     the ink's bounding box (end exclusive), or None
    square : ndarray of bool, shape (S, S)   the cropped ink, padded to a square
    bitmap : ndarray of bool, shape (32, 32) the square resized by nearest neighbour
    counts : ndarray of int, shape (8, 8)    ink pixels of each 4×4 block, 0..16
    image8 : ndarray of float, shape (8, 8)  counts / 16, the network's input format
    """

    ink: np.ndarray
    box: tuple | None
    square: np.ndarray
    bitmap: np.ndarray
    counts: np.ndarray
    image8: np.ndarray


def downsample_steps(image, threshold: float = 0.5) -> DownsampleSteps:
    """Turn an H×W image of ink into the 8×8, 0..1 format of the UCI/scikit-learn digits.

    Parameters
    ----------
    image : array_like of shape (H, W)
        Ink intensity, larger = more ink (e.g. 0..1 grey levels, booleans, or an alpha channel
        scaled to 0..1). Any H and W (the canvas is 256×256).
    threshold : float, default 0.5
        Pixels with ``image > threshold`` are ink.

    Returns
    -------
    DownsampleSteps
        ``.image8`` is the result; the other fields are the stages (see the module docstring).
        An image without ink gives all zeros.

    Examples
    --------
    >>> img = np.zeros((100, 100)); img[10:90, 45:55] = 1.0     # a tall bar, 80 × 10 pixels
    >>> s = downsample_steps(img)
    >>> s.box, s.square.shape, s.bitmap.shape
    ((10, 90, 45, 55), (80, 80), (32, 32))
    >>> s.counts[0]          # 4 bitmap columns of ink (14..17), 2 in each of blocks 3 and 4
    array([0, 0, 0, 8, 8, 0, 0, 0])
    """
    img = np.asarray(image, dtype=float)
    if img.ndim != 2:
        raise ValueError(f"downsample_steps expects a 2-D ink image (H, W), got shape {img.shape}; "
                         f"for RGBA canvas data pass the alpha channel, data[..., 3] / 255")
    ink = img > threshold
    if not ink.any():
        empty = np.zeros((BITMAP_SIZE, BITMAP_SIZE), dtype=bool)
        return DownsampleSteps(ink, None, empty, empty, np.zeros((8, 8), dtype=np.int64),
                               np.zeros((8, 8)))
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    box = (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
    crop = ink[box[0]:box[1], box[2]:box[3]]
    h, w = crop.shape
    s = max(h, w)
    square = np.zeros((s, s), dtype=bool)
    top, left = (s - h) // 2, (s - w) // 2
    square[top:top + h, left:left + w] = crop
    # nearest neighbour: bitmap cell k (of 32) takes the square's pixel under the cell's centre
    idx = np.minimum(((np.arange(BITMAP_SIZE) + 0.5) * s / BITMAP_SIZE).astype(np.int64), s - 1)
    bitmap = square[np.ix_(idx, idx)]
    n = BITMAP_SIZE // BLOCK
    counts = bitmap.reshape(n, BLOCK, n, BLOCK).sum(axis=(1, 3))
    return DownsampleSteps(ink, box, square, bitmap, counts, counts / float(BLOCK * BLOCK))


def downsample_drawing(image, threshold: float = 0.5) -> np.ndarray:
    """The 8×8 image in [0, 1] of :func:`downsample_steps` (reshape(1, 64) to feed a network)."""
    return downsample_steps(image, threshold).image8


# --------------------------------------------------------------------------- predictions
def class_probabilities(model_or_predict_fn, image8) -> np.ndarray:
    """Class probabilities for one 8×8 image.

    Parameters
    ----------
    model_or_predict_fn : nnlib Layer (has ``forward``) or callable
        Maps a batch ``(1, 64)`` to outputs ``(1, K)``: probabilities, or logits (scores that are
        not a probability vector get a softmax; a single output outside [0, 1] gets a sigmoid).
    image8 : array_like with 64 entries (8×8 or (64,) or (1, 64)), values in [0, 1]

    Returns
    -------
    ndarray of shape (K,)
        Non-negative and summing to 1 (for K ≥ 2).

    Examples
    --------
    >>> class_probabilities(lambda X: np.log([[1.0, 3.0]]), np.zeros((8, 8)))   # logits
    array([0.25, 0.75])
    """
    x = np.asarray(image8, dtype=float).reshape(1, -1)
    forward = getattr(model_or_predict_fn, "forward", model_or_predict_fn)
    if not callable(forward):
        raise TypeError("class_probabilities: give an nnlib model or a function X -> outputs")
    out = np.asarray(forward(x), dtype=float).reshape(-1)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"class_probabilities: the model returned non-finite outputs {out}")
    if out.size == 1:
        p = out[0] if 0.0 <= out[0] <= 1.0 else float(sigmoid(out[0]))
        return np.array([p])
    if np.all(out >= 0) and abs(out.sum() - 1.0) < 1e-6:
        return out
    return softmax(out)


def confusion_matrix(labels, predicted, num_classes: int = 10) -> np.ndarray:
    """``C[i, j]`` = number of examples of true class i predicted as class j (int64, K×K).

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], num_classes=3)
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    predicted = np.asarray(predicted).astype(np.int64).reshape(-1)
    if labels.shape != predicted.shape:
        raise ValueError(f"confusion_matrix: {labels.size} labels but {predicted.size} predictions")
    C = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(C, (labels, predicted), 1)
    return C


# --------------------------------------------------------------------------- live training
class TrainingRun:
    """State of a live training run: what the LiveTraining view shows, without any widget.

    Parameters
    ----------
    step : callable ``step(epoch) -> dict``
        Trains one epoch (epoch counts from 0) and returns that epoch's metrics, e.g.
        ``{"loss": 0.12, "train accuracy": 0.97, "test accuracy": 0.96}``.
    epochs : int
        How many epochs :meth:`run` trains at most.

    Attributes
    ----------
    history : dict of str -> list of float
        One list per metric name, one entry per finished epoch.
    epoch : int
        Epochs finished so far.
    status : str
        "ready", "running", "stopped" (by :meth:`request_stop`), "finished" or "error".
    error : BaseException or None
        What the step raised when status is "error".

    Stopping: :meth:`request_stop` (safe from any thread, e.g. a button's callback while
    :meth:`run` works in a background thread) sets a flag that :meth:`run` reads before every
    epoch, so training stops at the next epoch boundary. A step that wants to stop sooner may read
    :attr:`stop_requested` between minibatches.

    Examples
    --------
    >>> run = TrainingRun(lambda epoch: {"loss": 1.0 / (epoch + 1)}, epochs=5)
    >>> run.run(on_epoch=lambda r: r.request_stop() if r.epoch == 2 else None)
    'stopped'
    >>> run.history["loss"], run.epoch
    ([1.0, 0.5], 2)
    >>> run.run(), run.epoch            # runs again from where it stopped
    ('finished', 5)
    """

    def __init__(self, step: Callable[[int], Mapping[str, float]], epochs: int):
        if not callable(step):
            raise TypeError("TrainingRun: step must be a function step(epoch) -> dict of metrics")
        if int(epochs) < 1:
            raise ValueError(f"TrainingRun: epochs must be at least 1, got {epochs}")
        self.step = step
        self.epochs = int(epochs)
        self.history: dict[str, list[float]] = {}
        self.epoch = 0
        self.status = "ready"
        self.error: BaseException | None = None
        self.seconds = 0.0
        self._stop = threading.Event()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop before its next epoch (thread-safe)."""
        self._stop.set()

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs

    def record(self, metrics: Mapping[str, float]) -> None:
        """Append one epoch's metrics to the history."""
        for name, value in metrics.items():
            self.history.setdefault(str(name), []).append(float(value))
        self.epoch += 1

    def run(self, on_epoch: Callable[["TrainingRun"], None] | None = None) -> str:
        """Train the remaining epochs (or until stopped); return the final status.

        ``on_epoch(run)`` is called after every recorded epoch (the view redraws there). An
        exception in ``step`` ends the run with status "error" (kept in :attr:`error`).
        """
        self._stop.clear()
        if self.done:
            self.status = "finished"
            return self.status
        self.status = "running"
        start = time.perf_counter()
        try:
            while not self.done:
                if self._stop.is_set():
                    self.status = "stopped"
                    break
                metrics = self.step(self.epoch)
                self.record(metrics if metrics is not None else {})
                if on_epoch is not None:
                    on_epoch(self)
            else:
                self.status = "finished"
        except Exception as exc:  # noqa: BLE001 - shown to the user by the view
            self.error = exc
            self.status = "error"
        finally:
            self.seconds += time.perf_counter() - start
        return self.status
