"""Benchmark: nnlib's training speed and accuracy beside scikit-learn's MLPClassifier and PyTorch.

Run ``python tests/bench/bench_nnlib.py`` (``make bench``). It prints one table from one run:

(a) the bundled 8×8 digits, 64-64-10 ReLU MLP, batch 32, lr 0.1, 50 epochs, float64;
(b) MNIST-shaped synthetic data, 60000×784 → 128 ReLU → 10, batch 128, lr 0.1, float32
    (seeded class-dependent means plus noise: learnable, and nothing to download).

All three run plain minibatch SGD (no momentum, no weight decay) with the same architecture and batch
size. Seconds per epoch are medians (digits: of several whole runs; MNIST-shaped: of the epochs).
PyTorch is optional (``pip install torch==2.13.0`` in a separate venv, plus ``-e .`` there); it is
limited to as many threads as numpy's BLAS uses, and the thread counts are printed.
Options: ``--threads N`` limits both to N threads (timings on a busy machine are steadier with 1).
Not a test: nothing here is collected by pytest (the file name does not start with ``test_``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings

import numpy as np

import nnlib

DIGITS_EPOCHS = 50
DIGITS_REPEATS = 3
MNIST_EPOCHS = 2
LR = 0.1


def blas_threads():
    """Number of threads numpy's BLAS uses (threadpoolctl ships with scikit-learn)."""
    from threadpoolctl import threadpool_info
    counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else 1


def mnist_shaped(seed=0, n_train=60000, n_test=10000, dim=784, classes=10):
    """Synthetic MNIST-shaped data: y uniform, x = mean[y] + noise, float32."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 0.1, size=(classes, dim)).astype(np.float32)

    def draw(n):
        y = rng.integers(0, classes, n)
        X = rng.standard_normal((n, dim), dtype=np.float32)
        X += means[y]
        return X, y

    X_train, y_train = draw(n_train)
    X_test, y_test = draw(n_test)
    return X_train, X_test, y_train, y_test


# --- nnlib --------------------------------------------------------------------------------------
def nnlib_run(X, y, X_test, y_test, hidden, epochs, batch_size, dtype, seed=0):
    """Train nnlib; return (list of per-epoch seconds, test accuracy)."""
    n_in, n_out = X.shape[1], int(y.max()) + 1
    model = nnlib.Sequential(nnlib.Linear(n_in, hidden, rng=seed, dtype=dtype), nnlib.ReLU(),
                             nnlib.Linear(hidden, n_out, rng=seed + 100, dtype=dtype))
    D = nnlib.one_hot(y, n_out, dtype=dtype)
    stamps = [time.perf_counter()]
    nnlib.train(model, nnlib.SoftmaxCrossEntropy(), X, D, epochs=epochs, batch_size=batch_size,
                lr=LR, seed=seed, progress=False,
                callback=lambda epoch, history: stamps.append(time.perf_counter()))
    return list(np.diff(stamps)), nnlib.accuracy(model, X_test, y_test)


# --- scikit-learn -------------------------------------------------------------------------------
def sklearn_run(X, y, X_test, y_test, hidden, epochs, batch_size, seed=0):
    """Train MLPClassifier with the same SGD; return (seconds per epoch, test accuracy)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(hidden,), activation="relu", solver="sgd", alpha=0.0,
                        batch_size=batch_size, learning_rate="constant", learning_rate_init=LR,
                        momentum=0.0, nesterovs_momentum=False, max_iter=epochs, shuffle=True,
                        random_state=seed, tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # we stop after `epochs` on purpose
        clf.fit(X, y)
    elapsed = time.perf_counter() - start
    return elapsed / clf.n_iter_, float((clf.predict(X_test) == y_test).mean())


# --- PyTorch ------------------------------------------------------------------------------------
def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_run(X, y, X_test, y_test, hidden, epochs, batch_size, seed=0):
    """Train the same MLP in PyTorch on CPU; return (list of per-epoch seconds, test accuracy)."""
    import torch

    torch.manual_seed(seed)
    X_t, y_t = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y.astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, int(y.max()) + 1)).to(X_t.dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X_t), generator=generator)
        X_shuffled, y_shuffled = X_t[order], y_t[order]
        for i in range(0, len(X_t), batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_shuffled[i:i + batch_size]), y_shuffled[i:i + batch_size])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        predicted = model(torch.from_numpy(np.ascontiguousarray(X_test))).argmax(1).numpy()
    return times, float((predicted == y_test).mean())


def validation_overhead(X, D, hidden, batch_size, dtype):
    """Fraction of one nnlib epoch spent in the finite-input checks.

    Each check is timed inside the same epoch (a wrapper adds up its time), which is steadier on a
    busy machine than comparing two separate epochs with and without checks.
    """
    import nnlib.activations
    import nnlib.layers
    import nnlib.losses

    modules = (nnlib.layers, nnlib.activations, nnlib.losses)
    originals = [m.check_finite for m in modules]
    spent = [0.0]

    def timed(check):
        def wrapper(X, who):
            start = time.perf_counter()
            try:
                return check(X, who)
            finally:
                spent[0] += time.perf_counter() - start
        return wrapper

    model = nnlib.Sequential(nnlib.Linear(X.shape[1], hidden, rng=0, dtype=dtype),
                             nnlib.ReLU(), nnlib.Linear(hidden, D.shape[1], rng=1, dtype=dtype))
    try:
        for m, original in zip(modules, originals):
            m.check_finite = timed(original)
        start = time.perf_counter()
        nnlib.train(model, nnlib.SoftmaxCrossEntropy(), X, D, epochs=1, batch_size=batch_size,
                    lr=LR, progress=False)
        epoch = time.perf_counter() - start
    finally:
        for m, original in zip(modules, originals):
            m.check_finite = original
    return spent[0] / epoch


def main(argv=None):
    import argparse

    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="limit numpy's BLAS and torch to this many threads (default: numpy's "
                             "BLAS default). On a busy machine 1 gives steadier numbers.")
    args = parser.parse_args(argv)
    if args.threads is not None:
        threadpool_limits(args.threads)
    threads = blas_threads()
    have_torch = torch_available()
    if have_torch:
        import torch
        torch.set_num_threads(threads)  # same thread budget as numpy's BLAS, for fairness
    rows = []

    # (a) digits, float64
    digits = nnlib.load_digits()
    Xd, Xd_test, yd, yd_test = digits.X_train, digits.X_test, digits.y_train, digits.y_test
    runs = [nnlib_run(Xd, yd, Xd_test, yd_test, 64, DIGITS_EPOCHS, 32, np.float64)
            for _ in range(DIGITS_REPEATS)]
    nn_epoch = statistics.median(sum(times) / len(times) for times, _ in runs)
    nn_acc = runs[0][1]
    sk = [sklearn_run(Xd, yd, Xd_test, yd_test, 64, DIGITS_EPOCHS, 32)
          for _ in range(DIGITS_REPEATS)]
    sk_epoch, sk_acc = statistics.median(t for t, _ in sk), sk[0][1]
    if have_torch:
        tr = [torch_run(Xd, yd, Xd_test, yd_test, 64, DIGITS_EPOCHS, 32)
              for _ in range(DIGITS_REPEATS)]
        torch_epoch = statistics.median(sum(t) / len(t) for t, _ in tr)
        rows.append(("digits 64-64-10, b32, f64", nn_epoch, nn_acc, sk_epoch, sk_acc,
                     torch_epoch, tr[0][1]))
    else:
        rows.append(("digits 64-64-10, b32, f64", nn_epoch, nn_acc, sk_epoch, sk_acc, None, None))
    overhead_digits = validation_overhead(Xd, digits.D_train, 64, 32, np.float64)

    # (b) MNIST-shaped synthetic, float32
    Xm, Xm_test, ym, ym_test = mnist_shaped()
    nn_times, nn_acc = nnlib_run(Xm, ym, Xm_test, ym_test, 128, MNIST_EPOCHS, 128, np.float32)
    sk_epoch, sk_acc = sklearn_run(Xm, ym, Xm_test, ym_test, 128, MNIST_EPOCHS, 128)
    row = ["MNIST-shaped 784-128-10, b128, f32", statistics.median(nn_times), nn_acc,
           sk_epoch, sk_acc, None, None]
    if have_torch:
        t_times, t_acc = torch_run(Xm, ym, Xm_test, ym_test, 128, MNIST_EPOCHS, 128)
        row[5:] = [statistics.median(t_times), t_acc]
    rows.append(tuple(row))
    overhead_mnist = validation_overhead(Xm[:20000], nnlib.one_hot(ym[:20000], 10, np.float32),
                                         128, 128, np.float32)

    # One table.
    import sklearn
    torch_version = f"torch {torch.__version__}" if have_torch else "torch not installed"
    print(f"nnlib benchmark — numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
          f"{torch_version}; Python {sys.version.split()[0]}")
    torch_threads = torch.get_num_threads() if have_torch else "-"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"threads: numpy BLAS {threads}, torch {torch_threads}; {os.cpu_count()} CPUs, "
          f"load average {load} (timings from a busy machine are noisy)")
    head = (f"{'task':36} {'nnlib s/ep':>10} {'acc':>6} {'sklearn s/ep':>12} {'acc':>6} "
            f"{'torch s/ep':>10} {'acc':>6} {'sk/nn':>6} {'torch/nn':>8}")
    print(head)
    print("-" * len(head))
    for task, nn_t, nn_a, sk_t, sk_a, t_t, t_a in rows:
        torch_cells = (f"{t_t:10.4f} {t_a:6.1%}" if t_t is not None
                       else f"{'not installed':>17}")
        torch_ratio = f"{t_t / nn_t:8.2f}" if t_t is not None else f"{'-':>8}"
        print(f"{task:36} {nn_t:10.4f} {nn_a:6.1%} {sk_t:12.4f} {sk_a:6.1%} {torch_cells} "
              f"{sk_t / nn_t:6.2f} {torch_ratio}")
    print(f"ratios > 1: nnlib is faster. Input finite-checks cost {overhead_digits:.1%} (digits) "
          f"and {overhead_mnist:.1%} (MNIST-shaped) of an nnlib epoch.")


if __name__ == "__main__":
    main()
