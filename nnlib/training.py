"""Training loop: :func:`train`, :class:`History`, :func:`accuracy`, :func:`predict`, :func:`minibatches`.

Conventions
-----------
* ``X`` has shape ``(N, D)`` (one example per row) and ``D`` holds the targets in the shape the loss
  wants: one-hot rows ``(N, K)`` for softmax outputs, ``(N, 1)`` 0/1 for one sigmoid output.
* Each epoch visits every example once, in minibatches drawn from a shuffle made with
  ``np.random.default_rng(seed)``: the same seed gives the same run.

Examples
--------
>>> import numpy as np
>>> import nnlib
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> D = nnlib.one_hot([0, 1, 1, 1], 2)                     # logical OR
>>> model = nnlib.Sequential(nnlib.Linear(2, 2, rng=0))
>>> history = nnlib.train(model, nnlib.SoftmaxCrossEntropy(), X, D, epochs=200, batch_size=4,
...                       lr=1.0, progress=False)
>>> nnlib.accuracy(model, X, [0, 1, 1, 1])
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .layers import Linear, Sequential
from .optim import SGD

__all__ = ["History", "train", "accuracy", "predict", "minibatches"]


@dataclass
class History:
    """Per-epoch record of a training run.

    Attributes
    ----------
    loss, accuracy : list of float
        Mean training loss and accuracy of each epoch, measured on each minibatch as it was
        trained on (before that minibatch's update), so they cost no extra forward pass.
    val_loss, val_accuracy : list of float
        Loss and accuracy on ``(X_val, D_val)`` after each epoch (empty without validation data).
    stop : bool
        Set it to True (e.g. in a callback) to stop after the current epoch.
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    stop: bool = False

    @property
    def epochs(self) -> int:
        return len(self.loss)


def _class_labels(D):
    """Integer labels from one-hot rows (N, K), 0/1 column (N, 1) or labels (N,)."""
    D = np.asarray(D)
    if D.ndim == 2 and D.shape[1] > 1:
        return D.argmax(axis=1)
    return D.reshape(-1).round().astype(np.int64)


def _predicted_labels(Y):
    """argmax of each row; for a single output column, 1 where the output exceeds 0.5."""
    if Y.shape[1] == 1:
        return (Y[:, 0] > 0.5).astype(np.int64)
    return Y.argmax(axis=1)


def predict(model, X):
    """Predicted class of each example: row-wise argmax (or output > 0.5 for one output column).

    Parameters
    ----------
    model : Layer
    X : ndarray of shape (N, D)

    Returns
    -------
    ndarray of int64, shape (N,)
    """
    return _predicted_labels(model.forward(X))


def accuracy(model, X, labels_or_onehot):
    """Fraction of examples in X whose predicted class equals the target.

    ``labels_or_onehot`` may be integer labels (N,), one-hot rows (N, K) or a 0/1 column (N, 1).
    """
    labels = _class_labels(labels_or_onehot)
    if labels.shape[0] != len(X):
        raise ValueError(f"accuracy: X has {len(X)} examples but there are {labels.shape[0]} "
                         f"labels.")
    return float((predict(model, X) == labels).mean())


def minibatches(X, D, batch_size, rng):
    """Yield ``(X_batch, D_batch)`` pairs covering X once in a random order.

    The data are permuted once per call (one copy) and then sliced, so each batch is a contiguous
    view: cheaper than fancy-indexing every batch. The last batch may be smaller.
    """
    order = np.random.default_rng(rng).permutation(len(X))
    # np.take along axis 0 is several times faster than X[order] for large arrays.
    X, D = np.take(X, order, axis=0), np.take(D, order, axis=0)
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], D[start:start + batch_size]


def train(model, loss, X, D, *, epochs=10, batch_size=32, lr=0.1, optimizer=None, momentum=0.0,
          seed=0, X_val=None, D_val=None, progress=True, callback=None):
    """Train ``model`` with minibatch SGD; return a :class:`History`.

    Parameters
    ----------
    model : Layer or Sequential
    loss : Loss
    X : ndarray of shape (N, D)
    D : ndarray
        Targets in the shape the loss expects (one-hot (N, K) or (N, 1)).
    epochs : int, default 10
    batch_size : int, default 32
    lr : float, default 0.1
        Learning rate of the default optimizer ``SGD(model, lr, momentum)``.
    optimizer : object with ``step()``, optional
        Used instead of the default SGD.
    momentum : float, default 0.0
    seed : int, default 0
        Seeds the shuffling (``np.random.default_rng(seed)``): same seed, same history.
    X_val, D_val : ndarray, optional
        Evaluated after every epoch into ``history.val_loss`` and ``history.val_accuracy``.
    progress : bool, default True
        Show a progress bar over epochs (``tqdm.auto``).
    callback : callable, optional
        ``callback(epoch, history)`` after every epoch; returning False (or setting
        ``history.stop = True``) stops training.

    Returns
    -------
    History
    """
    X = np.asarray(X)
    D = np.asarray(D)
    if len(X) != len(D):
        raise ValueError(f"train: X has {len(X)} examples but D has {len(D)} target rows.")
    if (X_val is None) != (D_val is None):
        raise ValueError("train: pass both X_val and D_val, or neither.")
    rng = np.random.default_rng(seed)
    if optimizer is None:
        optimizer = SGD(model, lr, momentum=momentum)
    labels = _class_labels(D)
    # The data need no gradient: nnlib's own layers can skip it (a third of the first Linear's
    # backward). Other layer classes get the plain backward(dOut) call.
    skip_input_grad = {"input_grad": False} if isinstance(model, (Linear, Sequential)) else {}
    history = History()
    epoch_range = range(epochs)
    if progress:
        from tqdm.auto import tqdm  # lazy: keeps `import nnlib` light
        epoch_range = tqdm(epoch_range, desc="training", unit="epoch")
    for epoch in epoch_range:
        mean_loss, accuracy_ = _one_epoch(model, loss, optimizer, X, D, labels, batch_size, rng,
                                          skip_input_grad)
        history.loss.append(mean_loss)
        history.accuracy.append(accuracy_)
        if X_val is not None:
            Y_val = model.forward(X_val)
            history.val_loss.append(loss.forward(Y_val, D_val))
            history.val_accuracy.append(float((_predicted_labels(Y_val)
                                               == _class_labels(D_val)).mean()))
        if progress:
            postfix = {"loss": f"{history.loss[-1]:.4f}", "acc": f"{history.accuracy[-1]:.3f}"}
            if history.val_accuracy:
                postfix["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
            epoch_range.set_postfix(postfix)
        if callback is not None and callback(epoch, history) is False:
            history.stop = True
        if history.stop:
            break
    if progress:
        epoch_range.close()
    return history


def _one_epoch(model, loss, optimizer, X, D, labels, batch_size, rng, backward_kwargs):
    """One pass over the shuffled data in minibatches: forward, loss, backward, step.

    Returns the mean loss and the accuracy over the epoch (each measured on its batch before the
    step, as the batches go by).
    """
    total_loss = 0.0
    correct = 0
    order = rng.permutation(len(X))
    # One shuffled copy per epoch, then contiguous slices; np.take beats X[order] by ~4×.
    X_shuffled = np.take(X, order, axis=0)
    D_shuffled = np.take(D, order, axis=0)
    labels_shuffled = labels[order]
    for start in range(0, len(X), batch_size):
        X_batch = X_shuffled[start:start + batch_size]
        D_batch = D_shuffled[start:start + batch_size]
        Y = model.forward(X_batch)
        total_loss += loss.forward(Y, D_batch) * len(X_batch)
        correct += int((_predicted_labels(Y) == labels_shuffled[start:start + batch_size]).sum())
        model.backward(loss.backward(), **backward_kwargs)
        optimizer.step()
    return total_loss / len(X), correct / len(X)
