"""Tests for nnlib.training: train, History, accuracy, predict, minibatches."""


import numpy as np
import pytest

import nnlib
from nnlib import Linear, ReLU, Sequential, SoftmaxCrossEntropy


def _toy_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    labels = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, labels, nnlib.one_hot(labels, 2)


def _train_toy(**kwargs):
    X, _, D = _toy_problem()
    model = Sequential(Linear(2, 4, rng=1), ReLU(), Linear(4, 2, rng=2))
    options = dict(epochs=5, batch_size=8, lr=0.1, progress=False, seed=3)
    options.update(kwargs)
    return model, nnlib.train(model, SoftmaxCrossEntropy(), X, D, **options)


def test_training_is_reproducible_with_a_seed():
    """Two runs with the same seeds give identical histories and weights."""
    model_a, history_a = _train_toy()
    model_b, history_b = _train_toy()
    assert history_a.loss == history_b.loss and history_a.accuracy == history_b.accuracy
    np.testing.assert_array_equal(model_a[0].W, model_b[0].W)


def test_shuffle_seed_changes_the_run():
    """A different shuffle seed gives a different history."""
    assert _train_toy(seed=3)[1].loss != _train_toy(seed=4)[1].loss


def test_history_lists_per_epoch_and_loss_decreases():
    """History has one loss/accuracy per epoch, val lists with validation data, loss goes down."""
    X, labels, D = _toy_problem()
    _, history = _train_toy(epochs=10, X_val=X[:20], D_val=D[:20])
    assert history.epochs == 10
    assert len(history.accuracy) == len(history.val_loss) == len(history.val_accuracy) == 10
    assert history.loss[-1] < history.loss[0]
    assert all(0.0 <= a <= 1.0 for a in history.accuracy + history.val_accuracy)


def test_callback_returning_false_stops_training():
    """A callback returning False stops after that epoch and sets history.stop."""
    _, history = _train_toy(epochs=10, callback=lambda epoch, history: epoch < 2)
    assert history.epochs == 3 and history.stop


def test_callback_setting_stop_is_honoured():
    """Setting history.stop inside the callback also stops training."""
    def stop_now(epoch, history):
        history.stop = True

    _, history = _train_toy(epochs=10, callback=stop_now)
    assert history.epochs == 1


def test_progress_bar_writes_no_warnings(capsys):
    """progress=True runs (tqdm.auto) without warnings; the bar itself goes to stderr only."""
    _train_toy(epochs=2, progress=True)
    assert capsys.readouterr().out == ""


def test_accuracy_accepts_labels_one_hot_and_binary_columns():
    """accuracy gives the same answer for integer labels and one-hot rows; 0/1 columns work too."""
    X, labels, D = _toy_problem()
    model, _ = _train_toy(epochs=20)
    assert nnlib.accuracy(model, X, labels) == nnlib.accuracy(model, X, D)
    binary = Sequential(Linear(1, 1, W=[[1.0]]), nnlib.Sigmoid())
    assert nnlib.accuracy(binary, np.array([[2.0], [-2.0]]), np.array([[1.0], [0.0]])) == 1.0


def test_predict_is_argmax():
    """predict returns the index of the largest output of each row."""
    model = Sequential(Linear(2, 2, W=[[1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_array_equal(nnlib.predict(model, np.array([[3.0, 1.0], [0.0, 2.0]])), [0, 1])


def test_minibatches_cover_every_example_once():
    """minibatches yields every example exactly once, last batch smaller."""
    X = np.arange(10.0).reshape(10, 1)
    batches = list(nnlib.minibatches(X, X, 4, rng=0))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate([b[0] for b in batches]).ravel()),
                                  np.arange(10.0))


def test_mismatched_lengths_raise():
    """X and D of different lengths raise ValueError naming both counts."""
    with pytest.raises(ValueError, match="5 examples.*4 target rows"):
        nnlib.train(Linear(2, 2, rng=0), SoftmaxCrossEntropy(), np.zeros((5, 2)),
                    np.zeros((4, 2)), progress=False)


def test_float32_training_stays_float32():
    """Training a float32 model on float32 data keeps its parameters float32."""
    X, _, D = _toy_problem()
    model = Sequential(Linear(2, 4, rng=1, dtype=np.float32), ReLU(),
                       Linear(4, 2, rng=2, dtype=np.float32))
    nnlib.train(model, SoftmaxCrossEntropy(), X.astype(np.float32), D.astype(np.float32),
                epochs=2, progress=False)
    assert all(p.value.dtype == np.float32 for p in model.parameters())


def test_digits_mlp_reaches_97_percent_quickly():
    """A 64-64-10 ReLU MLP trained with the seeded loop reaches ≥ 97% test accuracy on the digits."""
    digits = nnlib.load_digits()
    model = Sequential(Linear(64, 64, rng=0), ReLU(), Linear(64, 10, rng=100))
    # Speed is reported by `make bench`, not asserted here (timings in tests are flaky).
    # 50 epochs of batch-32 SGD at lr 0.1 take about half a second; seed 0 gives 97.6%
    # (other seeds 96.9–97.6%: the test set has 450 images, one image is 0.22%).
    nnlib.train(model, SoftmaxCrossEntropy(), digits.X_train, digits.D_train, epochs=50,
                batch_size=32, lr=0.1, seed=0, progress=False)
    assert nnlib.accuracy(model, digits.X_test, digits.y_test) >= 0.97
