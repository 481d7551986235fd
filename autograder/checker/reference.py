"""Independent reference implementations for hidden tests (grader-only).

Written element by element with ``math`` -- no numpy broadcasting, no nnlib -- so a hidden test
compares the student's answer with something that shares no code (and no bug) with either.  Slow
on purpose-small inputs only.  Shapes follow nnlib: a batch is (N, D), one example per row,
W is (out_features, in_features).

Examples
--------
>>> sigmoid([[0.0, 2.0]])
[[0.5, 0.8807970779778823]]
>>> linear([[1.0, 2.0]], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, 1.0])
[[1.0, 2.0, 4.0]]
"""

from __future__ import annotations

import math


def _rows(X):
    X = X.tolist() if hasattr(X, "tolist") else X
    return [[float(v) for v in row] for row in X]


def linear(Y, W, b):
    """Z[n][j] = sum_i W[j][i] Y[n][i] + b[j];  Y: (N, in), W: (out, in), b: (out,)."""
    Y, W = _rows(Y), _rows(W)
    b = [float(v) for v in (b.tolist() if hasattr(b, "tolist") else b)]
    return [[sum(w * y for w, y in zip(W[j], row)) + b[j] for j in range(len(W))] for row in Y]


def _sigmoid(z):
    # two branches so that neither exp overflows
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid(Z):
    """Entry-wise 1 / (1 + e^(-z)); Z: (N, D)."""
    return [[_sigmoid(z) for z in row] for row in _rows(Z)]


def relu(Z):
    """Entry-wise max(0, z); Z: (N, D)."""
    return [[z if z > 0 else 0.0 for z in row] for row in _rows(Z)]


def softmax(Z):
    """Row-wise e^(z_j - max z) / sum_k e^(z_k - max z); Z: (N, D)."""
    out = []
    for row in _rows(Z):
        top = max(row)
        exps = [math.exp(z - top) for z in row]
        total = math.fsum(exps)
        out.append([e / total for e in exps])
    return out


def squared_error(Y, D):
    """Mean over the rows of sum_j (y_j - d_j)^2 (no 1/2), as nnlib.SquaredError."""
    Y, D = _rows(Y), _rows(D)
    return math.fsum(math.fsum((y - d) ** 2 for y, d in zip(ry, rd)) for ry, rd in zip(Y, D)) / len(Y)


def cross_entropy(Y, D):
    """Mean over the rows of -sum_j d_j log y_j (Y: probabilities), as nnlib.CrossEntropy."""
    Y, D = _rows(Y), _rows(D)
    return math.fsum(-math.fsum(d * math.log(y) for y, d in zip(ry, rd) if d)
                     for ry, rd in zip(Y, D)) / len(Y)
