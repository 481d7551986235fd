"""Independent references for the notebooks' hidden tests, and the inputs they are drawn for.

A hidden test draws its inputs afresh at every grading (``nnlib.checks.grading_rng``), so it
cannot compare with values written down once: it computes them here.  Each reference is written
differently from the solution it checks and from the nnlib implementation the exercise forbids
(explicit loops, log-sum-exp instead of a max shift, closed forms, another identity), so that a
slip the two might share cannot pass unseen.

Trusted side only: the hidden tests import this module inside their ``### BEGIN HIDDEN TESTS``
block, which nbgrader removes from the student version and which, at grading, runs only in the
checker; the student's kernel never imports it (the sandbox holds autograder.kernel alone).

Sections follow the notebooks: shared maths first, then one group per notebook (01 calculus,
02 forward, 03 scalar backprop, 04 Jacobians and layers, 05 softmax and subgradients, 06 digits).
"""

from __future__ import annotations

import math

import numpy as np


# --------------------------------------------------------------------------- shared maths
def sigmoid(z):
    """σ(z) = (1 + tanh(z / 2)) / 2: no exponential, so not the formula an answer uses."""
    return 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=float) / 2.0))


def softmax(Z):
    """Softmax along the last axis by log-sum-exp (np.logaddexp), not by a max shift."""
    Z = np.asarray(Z, dtype=float)
    return np.exp(Z - np.logaddexp.reduce(Z, axis=-1, keepdims=True))


def softmax_jacobian(z):
    """J[j, i] = ∂y_j/∂z_i = y_j (δ_ij − y_i) of one example, entry by entry."""
    y = softmax(z)
    size = len(y)
    J = np.empty((size, size))
    for j in range(size):
        for i in range(size):
            J[j, i] = y[j] * ((1.0 if i == j else 0.0) - y[i])
    return J


def close(got, want, rtol=1e-7, atol=1e-10):
    """True when every entry of ``got`` is within ``atol + rtol |want|`` of ``want`` (plain
    Python arithmetic, entry by entry: a second opinion beside check_array)."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    return got.shape == want.shape and all(
        abs(g - w) <= atol + rtol * abs(w) for g, w in zip(got.ravel().tolist(), want.ravel().tolist()))


def by_element(function, X):
    """``function`` (of one Python float, e.g. written with ``math``) applied to every entry of X,
    one at a time: no numpy ufunc, so not the code of a vectorised answer."""
    X = np.asarray(X, dtype=float)
    return np.array([function(v) for v in X.ravel().tolist()]).reshape(X.shape)


def one_hot(rng, N, K):
    """(N, K) one-hot targets with classes drawn from ``rng``."""
    return np.eye(K)[rng.integers(0, K, size=N)]


def with_zero(rng, array):
    """``array`` with one entry, at a position drawn from ``rng``, set to exactly 0."""
    array = np.array(array, dtype=float)
    array.flat[rng.integers(array.size)] = 0.0
    return array


# --------------------------------------------------------------------------- 01 calculus
def slope(xs, ys):
    """The least-squares slope of ys against xs, Σ (x − x̄)(y − ȳ) / Σ (x − x̄)², in math."""
    xs, ys = [float(v) for v in xs], [float(v) for v in ys]
    mx, my = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    return (math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
            / math.fsum((x - mx) ** 2 for x in xs))


def best_step(hs, errors):
    """The step at the smallest error, by a plain loop (at a tie, the first)."""
    best = 0
    for k in range(1, len(errors)):
        if errors[k] < errors[best]:
            best = k
    return float(hs[best])


# --------------------------------------------------------------------------- 02 forward pass
def relu(z):
    """max(0, z), for a number (a numpy scalar back, as an answer's own activation gives) or an
    array: the hidden tests hand it to the student's functions as a layer's activation."""
    return np.maximum(z, 0.0)


def identity(z):
    """z itself (a number or an array), the output layer's activation."""
    return z


def random_layers(rng, sizes, activations):
    """[(W, b, f)] of a network with layer sizes ``sizes`` (nnlib's W: neurons × inputs)."""
    return [(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out), f)
            for n_in, n_out, f in zip(sizes[:-1], sizes[1:], activations)]


def forward(layers, x):
    """(zs, ys) of every layer by einsum, for one example (D,) or a batch (N, D)."""
    zs, ys, y = [], [], np.asarray(x, dtype=float)
    for W, b, f in layers:
        z = np.einsum("ji,...i->...j", W, y) + b
        y = f(z)
        zs.append(z)
        ys.append(y)
    return zs, ys


# --------------------------------------------------------------------------- 03 scalar backprop
def output_weight_gradient(W1, W2, x, d, j, i):
    """∂L/∂W2[j, i] of a = W2 σ(W1 x), ŷ = softmax(a), L = Σ (ŷ − d)², through the full softmax
    Jacobian (both paths at once)."""
    h = sigmoid(np.einsum("hd,d->h", W1, x))
    a = np.einsum("kh,h->k", W2, h)
    return float((softmax_jacobian(a).T @ (2.0 * (softmax(a) - d)))[j] * h[i])


def sigmoid_network_gradients(W1, b1, W2, b2, x, d):
    """{"W1", "b1", "W2", "b2"}: gradients of Σ_j (y_j − d_j)² of a two-layer sigmoid network,
    vectorised (the exercise writes loops): dz2 = σ'(z2) 2(y2 − d), dz1 = σ'(z1) W2ᵀ dz2."""
    y1 = sigmoid(W1 @ x + b1)
    y2 = sigmoid(W2 @ y1 + b2)
    dz2 = y2 * (1.0 - y2) * 2.0 * (y2 - d)
    dz1 = y1 * (1.0 - y1) * (W2.T @ dz2)
    return {"W1": np.outer(dz1, x), "b1": dz1, "W2": np.outer(dz2, y1), "b2": dz2}


def sigmoid_network_cases(rng):
    """(label, args, gradients) for backward_loops' hidden tests: more inputs than outputs, one
    output, square layers (where a transpose has the right shape), soft targets in [0, 1)."""
    for D, H, K in [(5, 3, 4), (2, 6, 1), (4, 4, 4), (3, 2, 3)]:
        args = (rng.normal(size=(H, D)), rng.normal(size=H) * 0.5,
                rng.normal(size=(K, H)), rng.normal(size=K) * 0.5,
                rng.normal(size=D), rng.uniform(size=K))
        yield f"D={D}, H={H}, K={K}", args, sigmoid_network_gradients(*args)


# --------------------------------------------------------------------------- 04 Jacobians, layers
ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "identity": "Identity",
               "softmax": "Softmax"}


def nnlib_activation(kind):
    """A fresh nnlib activation object of ``kind`` (what the student's function is given)."""
    import nnlib
    return getattr(nnlib, ACTIVATIONS[kind])()


def random_network(rng, sizes):
    """(Ws, bs) of a network with layer sizes ``sizes``."""
    Ws = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(size=n_out) for n_out in sizes[1:]]
    return Ws, bs


def _activate(kind, z):
    if kind == "softmax":
        return softmax(z)
    return {"sigmoid": sigmoid, "tanh": np.tanh, "relu": relu, "identity": identity}[kind](z)


def vector_backward(Ws, bs, kinds, x, grad_output):
    """(dWs, dbs) of one example, with explicit loops over entries and each activation's slope
    in closed form; dWs[k] has Ws[k]'s shape (nnlib's layout)."""
    ys, zs = [np.asarray(x, dtype=float)], []
    for W, b, kind in zip(Ws, bs, kinds):
        z = np.array([sum(W[j, i] * ys[-1][i] for i in range(W.shape[1])) + b[j]
                      for j in range(W.shape[0])])
        zs.append(z)
        ys.append(_activate(kind, z))
    g = np.asarray(grad_output(ys[-1]), dtype=float)
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        y, z = ys[k + 1], zs[k]
        if kinds[k] == "softmax":
            gz = np.array([sum(g[i] * y[i] * ((i == j) - y[j]) for i in range(len(y)))
                           for j in range(len(y))])
        else:
            slope = {"sigmoid": y * (1 - y), "tanh": 1 - y ** 2, "relu": (z > 0) * 1.0,
                     "identity": np.ones_like(z)}[kinds[k]]
            gz = g * slope
        dWs[k] = np.array([[gz[j] * ys[k][i] for i in range(len(ys[k]))] for j in range(len(gz))])
        dbs[k] = gz
        g = np.array([sum(Ws[k][j, i] * gz[j] for j in range(len(gz)))
                      for i in range(Ws[k].shape[1])])
    return dWs, dbs


def batch_backward(Ws, bs, kinds, X, D, div_grad):
    """(dWs, dbs) of L = (1/N) Σ_n Div(y_n, d_n): the mean of :func:`vector_backward` over the
    examples, ``div_grad(y, d)`` the gradient of one example's divergence."""
    N = len(X)
    sums_W, sums_b = [np.zeros_like(W) for W in Ws], [np.zeros_like(b) for b in bs]
    for n in range(N):
        dWs, dbs = vector_backward(Ws, bs, kinds, X[n], lambda y, n=n: div_grad(y, D[n]))
        for k in range(len(Ws)):
            sums_W[k] += dWs[k]
            sums_b[k] += dbs[k]
    return [s / N for s in sums_W], [s / N for s in sums_b]


def softmax_backward_by_jacobian(P, dP):
    """dZ, each row dP[n] times the full softmax Jacobian diag(p) − p pᵀ of its probabilities."""
    return np.stack([dP[n] @ (np.diag(P[n]) - np.outer(P[n], P[n])) for n in range(len(P))])


def linear_softmax_cross_entropy(W, b, X, D):
    """(loss, dW, db) of the mean cross-entropy of softmax(X Wᵀ + b), by the fused gradient
    (P − D)/N, which the exercise's chain of three layers does not use."""
    P = softmax(np.einsum("ki,ni->nk", W, X) + b)
    G = (P - D) / len(X)
    return -np.mean(np.log(P[D.astype(bool)])), np.einsum("nk,ni->ki", G, X), G.sum(axis=0)


# --------------------------------------------------------------------------- 05 softmax, kinks
def softmax_vjp(Y, dY):
    """dZ row by row: dz = y (dy − dy·y), for a batch of softmax outputs Y."""
    out = np.empty_like(np.asarray(Y, dtype=float))
    for n in range(Y.shape[0]):
        out[n] = Y[n] * (dY[n] - float(np.dot(dY[n], Y[n])))
    return out


def huge_logits(rng, shape):
    """Logits of ``shape`` ((K,) or (N, K)) 800 to 1000 away from 0, the rows alternately above
    and below it (which one first drawn from ``rng``): exp overflows (inf/inf) or underflows (0/0)
    on every row, and one maximum for the whole batch underflows every row below 0, so only a
    softmax that subtracts each row's own maximum gets them right."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    rows = shape[0] if len(shape) == 2 else 1
    signs = np.where((np.arange(rows) + rng.integers(2)) % 2 == 0, 1.0, -1.0)
    offsets = (signs * rng.uniform(800.0, 1000.0, size=rows)).reshape(shape[:-1] + (1,))
    return rng.normal(size=shape) + offsets


def valid_relu_backward(Z, dY, got):
    """True when ``got`` is a valid ReLU backward of upstream ``dY`` at ``Z``: dY where z > 0,
    0 where z < 0, and at z == 0 exactly any slope in [0, 1] times dY."""
    got = np.asarray(got, dtype=float)
    if got.shape != Z.shape or not np.all(np.isfinite(got)):
        return False
    for z, u, g in zip(Z.ravel().tolist(), dY.ravel().tolist(), got.ravel().tolist()):
        if z > 0 and abs(g - u) > 1e-9 * (1 + abs(u)):
            return False
        if z < 0 and abs(g) > 1e-12:
            return False
        if z == 0:
            if u == 0:
                if abs(g) > 1e-12:
                    return False
            elif not -1e-9 <= g / u <= 1 + 1e-9:
                return False
    return True


def valid_max_backward(Z, dy, got):
    """True when ``got`` is a valid backward of the row maximum: all of each row's dy on its
    maximal entries, split over tied maxima with non-negative weights that add up to 1."""
    got = np.asarray(got, dtype=float)
    if got.shape != Z.shape or not np.all(np.isfinite(got)):
        return False
    for row, u, g in zip(Z.tolist(), dy.tolist(), got.tolist()):
        top = max(row)
        if u == 0:
            if any(abs(v) > 1e-12 for v in g):
                return False
            continue
        weights = [v / u for v in g]
        if any(abs(w) > 1e-9 for z, w in zip(row, weights) if z != top):
            return False
        if any(w < -1e-9 for w in weights) or abs(sum(weights) - 1.0) > 1e-9:
            return False
    return True


# --------------------------------------------------------------------------- 06 digits
def binary_cross_entropy(Z, D):
    """Mean of −[d log σ(z) + (1 − d) log(1 − σ(z))] as log(1 + e^(∓z)) (np.logaddexp)."""
    Z, D = np.asarray(Z, dtype=float), np.asarray(D, dtype=float)
    return float(np.mean(D * np.logaddexp(0.0, -Z) + (1.0 - D) * np.logaddexp(0.0, Z)))


def relu_network_backward(P, X, D):
    """Gradients of the mean divergence of the 64-H-K network (ReLU hidden layer; sigmoid + binary
    cross-entropy when K = 1, softmax + cross-entropy otherwise), by einsum."""
    Z1 = np.einsum("hi,ni->nh", P["W1"], X) + P["b1"]
    Y1 = np.where(Z1 > 0, Z1, 0.0)
    Z2 = np.einsum("kh,nh->nk", P["W2"], Y1) + P["b2"]
    Y = sigmoid(Z2) if Z2.shape[1] == 1 else softmax(Z2)
    dZ2 = (Y - D) / len(X)
    dZ1 = np.einsum("nk,kh->nh", dZ2, P["W2"]) * (Z1 >= 0)
    return {"W1": np.einsum("nh,ni->hi", dZ1, X), "b1": dZ1.sum(axis=0),
            "W2": np.einsum("nk,nh->kh", dZ2, Y1), "b2": dZ2.sum(axis=0)}


def accuracy(Y, D):
    """The fraction of rows classified right, row by row: the largest output against the target's
    class (K >= 2), or y > 0.5 against a 0/1 target (K = 1)."""
    right = 0
    for y, d in zip(Y.tolist(), D.tolist()):
        if len(y) == 1:
            right += (y[0] > 0.5) == (d[0] == 1.0)
        else:
            right += max(range(len(y)), key=y.__getitem__) == max(range(len(d)), key=d.__getitem__)
    return right / len(Y)
