NOTEBOOK = "05_softmax_subgradients.ipynb"

_SS_HEAD = '''def stable_softmax(Z):
    """Row-wise softmax that never overflows."""
    Z = np.asarray(Z, dtype=float)
'''
_SJ_HEAD = '''def softmax_jacobian(z):
    """Jacobian of softmax at one example."""
    z = np.asarray(z, dtype=float)
'''
_SB_HEAD = '''def softmax_backward(Y, dY):
    """Backward pass of a row-wise softmax, as a vector-Jacobian product (no Jacobian built)."""
    Y, dY = np.asarray(Y, dtype=float), np.asarray(dY, dtype=float)
'''
_SCE_HEAD = '''def softmax_cross_entropy_grad(Z, D):
    """Gradient of the mean softmax cross-entropy with respect to the logits."""
    Z, D = np.asarray(Z, dtype=float), np.asarray(D, dtype=float)
'''
_RB_HEAD = '''def relu_backward(Z, dY):
    """Backward pass of ReLU, elementwise: dZ = ReLU'(Z) * dY, with a valid subgradient at Z == 0."""
    Z, dY = np.asarray(Z, dtype=float), np.asarray(dY, dtype=float)
'''
_MB_HEAD = '''def max_backward(Z, dy):
    """Backward pass of y = max(z) per row, with a valid subgradient at ties."""
    Z, dy = np.asarray(Z, dtype=float), np.asarray(dy, dtype=float)
'''

WRONG = [
    # ---------------- (a) stable_softmax ----------------
    dict(id="ss-no-shift", answer="stable_softmax", test="test_stable_softmax",
         source=_SS_HEAD + '''    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)
''', mistake="forgot the max-shift: overflow (NaN) for logits near 1000"),
    dict(id="ss-axis0", answer="stable_softmax", test="test_stable_softmax",
         source=_SS_HEAD + '''    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
''', mistake="wrong axis: softmax over each column (across the examples)"),
    dict(id="ss-global-max", answer="stable_softmax", test="test_stable_softmax",
         source=_SS_HEAD + '''    E = np.exp(Z - Z.max())
    return E / E.sum(axis=1, keepdims=True)
''', mistake="one max for the whole batch: ordinary rows underflow to 0/0 next to a row near 1000"),
    dict(id="ss-mean-shift", answer="stable_softmax", test="test_stable_softmax",
         source=_SS_HEAD + '''    E = np.exp(Z - Z.mean(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
''', mistake="shifts by the row mean instead of the row max: still overflows for [-1000, 0, 1000]"),
    dict(id="ss-inplace-shift", answer="stable_softmax", test="test_stable_softmax",
         source=_SS_HEAD + '''    Z -= Z.max(axis=1, keepdims=True)      # in place: for a float input this is the caller's array
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z
''', mistake="mutates the input: np.asarray returns the caller's float array itself, and the in-place shift/exp overwrite it"),

    # ---------------- (b) softmax_jacobian ----------------
    dict(id="sj5-diagonal-only", answer="softmax_jacobian", test="test_softmax_jacobian",
         source=_SJ_HEAD + '''    y = stable_softmax(z[None, :])[0]
    return np.diag(y * (1 - y))
''', mistake="only the diagonal y_i(1 − y_i)"),
    dict(id="sj5-same-everywhere", answer="softmax_jacobian", test="test_softmax_jacobian",
         source=_SJ_HEAD + '''    y = stable_softmax(z[None, :])[0]
    K = len(y)
    return np.tile(y * (1 - y), (K, 1))
''', mistake="y_i(1 − y_i) in every entry (the diagonal formula used off the diagonal too)"),
    dict(id="sj5-no-delta", answer="softmax_jacobian", test="test_softmax_jacobian",
         source=_SJ_HEAD + '''    y = stable_softmax(z[None, :])[0]
    return -np.outer(y, y)
''', mistake="forgot the Kronecker delta: −y_j y_i also on the diagonal"),
    dict(id="sj5-1d-into-batch", answer="softmax_jacobian", test="test_softmax_jacobian",
         source=_SJ_HEAD + '''    y = stable_softmax(z)
    return np.diag(y) - np.outer(y, y)
''', mistake="passes the 1-D z to stable_softmax, which works on a batch (N, K) (axis=1 does not exist: crash)"),
    dict(id="sj5-naive-softmax", answer="softmax_jacobian", test="test_softmax_jacobian",
         source=_SJ_HEAD + '''    y = np.exp(z) / np.sum(np.exp(z))
    return np.diag(y) - np.outer(y, y)
''', mistake="own softmax without the max-shift instead of stable_softmax: NaN for large logits"),

    # ---------------- (c) softmax_backward ----------------
    dict(id="sb-diagonal-only", answer="softmax_backward", test="test_softmax_backward",
         source=_SB_HEAD + '''    return Y * (1 - Y) * dY
''', mistake="only the diagonal of the Jacobian: Y(1 − Y)·dY"),
    dict(id="sb-axis0", answer="softmax_backward", test="test_softmax_backward",
         source=_SB_HEAD + '''    return Y * (dY - (dY * Y).sum(axis=0, keepdims=True))
''', mistake="sum over the wrong axis (axis=0, across the batch)"),
    dict(id="sb-builds-jacobian", answer="softmax_backward", test="test_softmax_backward",
         source=_SB_HEAD + '''    dZ = np.empty_like(dY)
    for n in range(Y.shape[0]):
        J = np.diag(Y[n]) - np.outer(Y[n], Y[n])      # K × K
        dZ[n] = dY[n] @ J
    return dZ
''', mistake="builds each row's K × K Jacobian (np.outer): right values but O(K²) memory, forbidden here"),
    dict(id="sb-no-keepdims", answer="softmax_backward", test="test_softmax_backward",
         source=_SB_HEAD + '''    return Y * (dY - (dY * Y).sum(axis=1))
''', mistake="row sums without keepdims: broadcast error (or column-wise subtraction when N = K)"),
    dict(id="sb-unweighted-sum", answer="softmax_backward", test="test_softmax_backward",
         source=_SB_HEAD + '''    return Y * (dY - dY.sum(axis=1, keepdims=True))
''', mistake="forgot to weight the sum by y_j: subtracts Σ_j dy_j instead of Σ_j dy_j y_j"),

    # ---------------- (d) softmax_cross_entropy_grad ----------------
    dict(id="sce-no-mean", answer="softmax_cross_entropy_grad", test="test_softmax_cross_entropy_grad",
         source=_SCE_HEAD + '''    return stable_softmax(Z) - D
''', mistake="forgot the 1/N of the mean"),
    dict(id="sce-logits", answer="softmax_cross_entropy_grad", test="test_softmax_cross_entropy_grad",
         source=_SCE_HEAD + '''    return (Z - D) / len(Z)
''', mistake="uses the logits: (Z − D)/N instead of (softmax(Z) − D)/N"),
    dict(id="sce-divide-by-K", answer="softmax_cross_entropy_grad", test="test_softmax_cross_entropy_grad",
         source=_SCE_HEAD + '''    N, K = Z.shape
    return (stable_softmax(Z) - D) / K
''', mistake="divides by the number of classes K instead of the number of examples N"),
    dict(id="sce-naive-softmax", answer="softmax_cross_entropy_grad", test="test_softmax_cross_entropy_grad",
         source=_SCE_HEAD + '''    E = np.exp(Z)
    return (E / E.sum(axis=1, keepdims=True) - D) / len(Z)
''', mistake="own softmax without the max-shift instead of stable_softmax: NaN for logits near 1000"),
    dict(id="sce-argmax-targets", answer="softmax_cross_entropy_grad", test="test_softmax_cross_entropy_grad",
         source=_SCE_HEAD + '''    N = Z.shape[0]
    dZ = stable_softmax(Z)
    dZ[np.arange(N), D.argmax(axis=1)] -= 1        # subtract 1 at the right class
    return dZ / N
''', mistake="assumes one-hot targets (argmax of D): wrong for targets that are probabilities, which the docstring allows"),

    # ---------------- (e) relu_backward ----------------
    dict(id="rb-mask-only", answer="relu_backward", test="test_relu_backward",
         source=_RB_HEAD + '''    return (Z >= 0).astype(float)
''', mistake="returns ReLU'(Z) and forgets to multiply by the upstream dY"),
    dict(id="rb-mask-swapped", answer="relu_backward", test="test_relu_backward",
         source=_RB_HEAD + '''    return dY * (Z <= 0)
''', mistake="mask inverted: passes the gradient where z < 0"),
    dict(id="rb-times-relu", answer="relu_backward", test="test_relu_backward",
         source=_RB_HEAD + '''    return dY * np.maximum(Z, 0)
''', mistake="multiplies by ReLU(Z) instead of its slope"),
    dict(id="rb-sign", answer="relu_backward", test="test_relu_backward",
         source=_RB_HEAD + '''    return dY * np.sign(Z)
''', mistake="np.sign(Z) as the slope: −1 for negative z (the slope of |z|, not of ReLU)"),
    dict(id="rb-inplace", answer="relu_backward", test="test_relu_backward",
         source=_RB_HEAD + '''    dY[Z < 0] = 0          # np.asarray gave us the caller's float array
    return dY
''', mistake="mutates the input: zeroes entries of the caller's dY in place"),
    # ---------------- (e) max_backward ----------------
    dict(id="mb-all-ties-full", answer="max_backward", test="test_max_backward",
         source=_MB_HEAD + '''    mask = (Z == Z.max(axis=1, keepdims=True)).astype(float)
    return mask * dy[:, None]
''', mistake="at a tie every tied entry gets the full dy (weights sum to k, not 1)"),
    dict(id="mb-argmax-axis0", answer="max_backward", test="test_max_backward",
         source=_MB_HEAD + '''    dZ = np.zeros_like(Z)
    idx = np.argmax(Z, axis=0)                      # the winner of each ... column
    dZ[idx, np.arange(Z.shape[1])] = dy[idx]
    return dZ
''', mistake="argmax over the wrong axis (axis=0, across examples)"),
    dict(id="mb-no-dy", answer="max_backward", test="test_max_backward",
         source=_MB_HEAD + '''    dZ = np.zeros_like(Z)
    dZ[np.arange(len(Z)), np.argmax(Z, axis=1)] = 1.0
    return dZ
''', mistake="puts 1 at the winner but forgets to multiply by the upstream dy"),
    dict(id="mb-dy-not-column", answer="max_backward", test="test_max_backward",
         source=_MB_HEAD + '''    onehot = np.eye(Z.shape[1])[np.argmax(Z, axis=1)]
    return onehot * dy
''', mistake="dy (N,) multiplied without [:, None]: broadcast error, or scaled by column when N = K"),
    dict(id="mb-global-max", answer="max_backward", test="test_max_backward",
         source=_MB_HEAD + '''    mask = Z == Z.max()
    mask = mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return mask * dy[:, None]
''', mistake="one max for the whole batch: rows that do not hold the global maximum get no gradient"),
]

CORRECT = [
    dict(id="ok-ss-logsumexp", answer="stable_softmax", test="test_stable_softmax",
         source=_SS_HEAD + '''    m = np.max(Z, axis=1, keepdims=True)
    log_sum = m + np.log(np.sum(np.exp(Z - m), axis=1, keepdims=True))
    return np.exp(Z - log_sum)
''', style="log-sum-exp normaliser, exp(z − logsumexp(z))"),
    dict(id="ok-sj5-loops", answer="softmax_jacobian", test="test_softmax_jacobian",
         source=_SJ_HEAD + '''    y = stable_softmax(z.reshape(1, -1)).ravel()
    K = y.size
    J = np.zeros((K, K))
    for j in range(K):
        for i in range(K):
            if i == j:
                J[j, i] = y[i] * (1 - y[i])
            else:
                J[j, i] = -y[j] * y[i]
    return J
''', style="two loops with the two cases"),
    dict(id="ok-sb-einsum-dot", answer="softmax_backward", test="test_softmax_backward",
         source=_SB_HEAD + '''    inner = np.einsum("nk,nk->n", dY, Y)          # one dot product per row, O(N K)
    return Y * dY - Y * inner[:, None]
''', style="einsum for the row dot products (no K × K array), expanded y⊙dy − y(dy·y)"),
    dict(id="ok-rb-half-at-zero", answer="relu_backward", test="test_relu_backward",
         source=_RB_HEAD + '''    slope = np.where(Z > 0, 1.0, np.where(Z < 0, 0.0, 0.5))    # 1/2 at the kink: a valid subgradient
    return slope * dY
''', style="slope 1/2 at the kink (the central-difference choice), a valid subgradient"),
    dict(id="ok-rb-pytorch", answer="relu_backward", test="test_relu_backward",
         source=_RB_HEAD + '''    return np.where(Z > 0, dY, 0.0)          # PyTorch's choice ReLU'(0) = 0
''', style="np.where with ReLU'(0) = 0 (PyTorch's convention, still a valid subgradient)"),
    dict(id="ok-mb-split-evenly", answer="max_backward", test="test_max_backward",
         source=_MB_HEAD + '''    tied = (Z == Z.max(axis=1, keepdims=True)).astype(float)
    return tied / tied.sum(axis=1, keepdims=True) * dy[:, None]
''', style="splits dy evenly over the tied entries (like torch.amax)"),
]
