NOTEBOOK = "02_forward_pass.ipynb"

WRONG = [
    # ---------------- (a) affine_loops ----------------
    dict(id="al-notes-layout", answer="affine_loops", test="test_affine_loops",
         source='''def affine_loops(W, b, y):
    z = np.zeros(len(b))
    for j in range(len(b)):
        z[j] = b[j]
        for i in range(len(y)):
            z[j] += W[i, j] * y[i]      # w_ij as in the notes' table
    return z
''', mistake="indexes W[i, j] (the notes' table layout) instead of nnlib's W[j, i]"),
    dict(id="al-no-bias", answer="affine_loops", test="test_affine_loops",
         source='''def affine_loops(W, b, y):
    z = np.zeros(W.shape[0])
    for j in range(W.shape[0]):
        for i in range(W.shape[1]):
            z[j] += W[j, i] * y[i]
    return z
''', mistake="forgot the bias b_j"),
    dict(id="al-bias-in-inner-loop", answer="affine_loops", test="test_affine_loops",
         source='''def affine_loops(W, b, y):
    z = np.zeros(W.shape[0])
    for j in range(W.shape[0]):
        for i in range(W.shape[1]):
            z[j] += W[j, i] * y[i] + b[j]
    return z
''', mistake="adds the bias inside the loop over i, once per input"),
    dict(id="al-off-by-one", answer="affine_loops", test="test_affine_loops",
         source='''def affine_loops(W, b, y):
    z = np.zeros(W.shape[0])
    for j in range(W.shape[0]):
        z[j] = b[j]
        for i in range(1, W.shape[1]):    # inputs 1 .. D_in as in the notes
            z[j] += W[j, i] * y[i]
    return z
''', mistake="off-by-one: the loop over i starts at 1 (the notes count from 1), skipping input 0"),
    dict(id="al-uses-matmul", answer="affine_loops", test="test_affine_loops",
         source='''def affine_loops(W, b, y):
    z = np.zeros(W.shape[0])
    for j in range(W.shape[0]):
        z[j] = W[j] @ y + b[j]
    return z
''', mistake="breaks the exercise's rule: uses @ for the inner sum instead of a loop over the inputs i"),

    # ---------------- (a) forward_loops ----------------
    dict(id="fl-feeds-z", answer="forward_loops", test="test_forward_loops",
         source='''def forward_loops(layers, x):
    zs, ys = [], []
    inp = x
    for W, b, f in layers:
        z = affine_loops(W, b, inp)
        y = np.array([f(v) for v in z])
        zs.append(z)
        ys.append(y)
        inp = z                 # next layer gets z
    return zs, ys
''', mistake="feeds the pre-activation z (not y = f(z)) into the next layer"),
    dict(id="fl-inplace-activation", answer="forward_loops", test="test_forward_loops",
         source='''def forward_loops(layers, x):
    zs, ys = [], []
    y = x
    for W, b, f in layers:
        z = affine_loops(W, b, y)
        zs.append(z)
        for j in range(len(z)):
            z[j] = f(z[j])          # overwrites the array already stored in zs
        y = z
        ys.append(y)
    return zs, ys
''', mistake="applies the activation in place, so the z stored in zs is overwritten by y (aliasing)"),
    dict(id="fl-no-activation", answer="forward_loops", test="test_forward_loops",
         source='''def forward_loops(layers, x):
    zs, ys = [], []
    y = x
    for W, b, f in layers:
        z = affine_loops(W, b, y)
        y = z
        zs.append(z)
        ys.append(y)
    return zs, ys
''', mistake="forgot to apply the activation f"),
    dict(id="fl-skip-last-activation", answer="forward_loops", test="test_forward_loops",
         source='''def forward_loops(layers, x):
    zs, ys = [], []
    y = x
    for k, (W, b, f) in enumerate(layers):
        z = affine_loops(W, b, y)
        if k < len(layers) - 1:
            y = np.array([f(v) for v in z])
        else:
            y = z                    # output layer: no activation
        zs.append(z)
        ys.append(y)
    return zs, ys
''', mistake="assumes the last layer is linear and skips its activation, although the list gives one"),
    dict(id="fl-ys-includes-input", answer="forward_loops", test="test_forward_loops",
         source='''def forward_loops(layers, x):
    zs, ys = [], [x]
    for W, b, f in layers:
        z = affine_loops(W, b, ys[-1])
        zs.append(z)
        ys.append(np.array([f(v) for v in z]))
    return zs, ys
''', mistake="off-by-one: ys starts with the input y^(0) = x, so ys[k-1] is y^(k-1) and ys has one entry too many"),
    # ---------------- (b) affine_batch ----------------
    dict(id="ab-no-transpose", answer="affine_batch", test="test_affine_batch",
         source='''def affine_batch(W, b, Y):
    return Y @ W + b
''', mistake="missing transpose: Y @ W instead of Y @ W.T (silently wrong for square W)"),
    dict(id="ab-no-bias", answer="affine_batch", test="test_affine_batch",
         source='''def affine_batch(W, b, Y):
    return Y @ W.T
''', mistake="forgot the bias"),
    dict(id="ab-transposed-result", answer="affine_batch", test="test_affine_batch",
         source='''def affine_batch(W, b, Y):
    # z = W y + b for every column y
    return W @ Y.T + b[:, None]
''', mistake="returns Z transposed, shape (D_out, N): rows and columns mixed up"),
    dict(id="ab-bias-down-columns", answer="affine_batch", test="test_affine_batch",
         source='''def affine_batch(W, b, Y):
    return Y @ W.T + b[:, None]
''', mistake="wrong broadcasting of b (a column): adds b_n to row n instead of b_j to column j"),
    dict(id="ab-bias-times-din", answer="affine_batch", test="test_affine_batch",
         source='''def affine_batch(W, b, Y):
    return (Y[:, None, :] * W[None, :, :] + b[None, :, None]).sum(axis=2)
''', mistake="bias added inside the sum over the inputs (broadcast along i), so it counts D_in times"),

    # ---------------- (b) forward_batch ----------------
    dict(id="fb-feeds-z", answer="forward_batch", test="test_forward_batch",
         source='''def forward_batch(layers, X):
    Zs, Ys = [], []
    A = X
    for W, b, f in layers:
        Z = affine_batch(W, b, A)
        Zs.append(Z)
        Ys.append(f(Z))
        A = Z
    return Zs, Ys
''', mistake="feeds Z (before the activation) into the next layer"),
    dict(id="fb-inplace-relu", answer="forward_batch", test="test_forward_batch",
         source='''def forward_batch(layers, X):
    Zs, Ys = [], []
    Y = X
    for W, b, f in layers:
        Z = affine_batch(W, b, Y)
        Zs.append(Z)
        Z[:] = f(Z)             # reuse the memory
        Y = Z
        Ys.append(Y)
    return Zs, Ys
''', mistake="activation written in place (Z[:] = f(Z)), overwriting the Z stored in Zs"),
    dict(id="fb-no-activation", answer="forward_batch", test="test_forward_batch",
         source='''def forward_batch(layers, X):
    Zs, Ys = [], []
    Y = X
    for W, b, f in layers:
        Z = affine_batch(W, b, Y)
        Zs.append(Z)
        Ys.append(Z)
        Y = Z
    return Zs, Ys
''', mistake="forgot the activation f"),
    dict(id="fb-always-X", answer="forward_batch", test="test_forward_batch",
         source='''def forward_batch(layers, X):
    Zs, Ys = [], []
    for W, b, f in layers:
        Z = affine_batch(W, b, X)
        Zs.append(Z)
        Ys.append(f(Z))
    return Zs, Ys
''', mistake="wrong variable: every layer is fed the network input X instead of the previous layer's Y (shape error)"),
    dict(id="fb-activation-first", answer="forward_batch", test="test_forward_batch",
         source='''def forward_batch(layers, X):
    Zs, Ys = [], []
    Y = X
    for W, b, f in layers:
        Z = affine_batch(W, b, f(Y))     # squash, then weigh
        Y = Z
        Zs.append(Z)
        Ys.append(Y)
    return Zs, Ys
''', mistake="applies each layer's activation to its input before the affine map instead of after"),

    # ---------------- (c) sigmoid ----------------
    dict(id="sg-sign", answer="sigmoid", test="test_sigmoid",
         source='''def sigmoid(Z):
    return 1 / (1 + np.exp(Z))
''', mistake="sign flipped in the exponent: 1/(1 + e^z)"),
    dict(id="sg-no-one", answer="sigmoid", test="test_sigmoid",
         source='''def sigmoid(Z):
    return 1 / np.exp(-Z)
''', mistake="the '1 +' is missing (gives e^z)"),
    dict(id="sg-overflow-form", answer="sigmoid", test="test_sigmoid",
         source='''def sigmoid(Z):
    E = np.exp(Z)
    return E / (1 + E)
''', mistake="e^z / (1 + e^z) overflows for large z: inf/inf = NaN at z = 1000"),
    dict(id="sg-inplace", answer="sigmoid", test="test_sigmoid",
         source='''def sigmoid(Z):
    Z[...] = 1 / (1 + np.exp(-Z))     # save memory
    return Z
''', mistake="mutates the input: overwrites Z in place with its sigmoid"),
    dict(id="sg-tanh-half-missing", answer="sigmoid", test="test_sigmoid",
         source='''def sigmoid(Z):
    return 0.5 * (1 + np.tanh(Z))
''', mistake="tanh identity without the halving: σ(z) = (1 + tanh(z/2))/2, not (1 + tanh z)/2"),
    # ---------------- (c) softmax ----------------
    dict(id="sm-no-shift", answer="softmax", test="test_softmax",
         source='''def softmax(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)
''', mistake="forgot the max-shift: overflows (NaN) for logits near 1000"),
    dict(id="sm-axis0", answer="softmax", test="test_softmax",
         source='''def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
''', mistake="wrong axis: normalises each column (axis=0) instead of each row"),
    dict(id="sm-no-keepdims", answer="softmax", test="test_softmax",
         source='''def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1)
''', mistake="row sums without keepdims: row n's sum divides column n (wrong broadcasting)"),
    dict(id="sm-global-max", answer="softmax", test="test_softmax",
         source='''def softmax(Z):
    E = np.exp(Z - np.max(Z))
    return E / E.sum(axis=1, keepdims=True)
''', mistake="one max for the whole batch: a row far below it underflows to 0/0"),
    dict(id="sm-min-shift", answer="softmax", test="test_softmax",
         source='''def softmax(Z):
    E = np.exp(Z - Z.min(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
''', mistake="shifts by the row MINIMUM: exponents become positive and overflow when a row spans more than ~709"),

    # ---------------- (d) cross_entropy ----------------
    dict(id="ce-sum-not-mean", answer="cross_entropy", test="test_cross_entropy",
         source='''def cross_entropy(Y, D):
    return float(-np.sum(D * np.log(Y)))
''', mistake="sums over the examples instead of averaging"),
    dict(id="ce-mean-all-entries", answer="cross_entropy", test="test_cross_entropy",
         source='''def cross_entropy(Y, D):
    return float(-np.mean(D * np.log(Y)))
''', mistake="np.mean over all N*K entries: divides by N*K instead of N"),
    dict(id="ce-log-of-targets", answer="cross_entropy", test="test_cross_entropy",
         source='''def cross_entropy(Y, D):
    return float(np.mean(-np.sum(Y * np.log(D), axis=1)))
''', mistake="Y and D swapped: log of the one-hot targets (log 0 = -inf, NaN)"),
    dict(id="ce-predicted-class", answer="cross_entropy", test="test_cross_entropy",
         source='''def cross_entropy(Y, D):
    return float(np.mean(-np.log(Y.max(axis=1))))
''', mistake="picks the PREDICTED class (max of Y) instead of the target class given by D"),
    dict(id="ce-no-minus", answer="cross_entropy", test="test_cross_entropy",
         source='''def cross_entropy(Y, D):
    return float(np.mean(np.sum(D * np.log(Y), axis=1)))
''', mistake="missing minus sign: returns a negative loss"),
]

CORRECT = [
    dict(id="ok-al-bias-trick", answer="affine_loops", test="test_affine_loops",
         source='''def affine_loops(W, b, y):
    # the bias as weight w_0j on a constant input y_0 = 1
    y_aug = [1.0] + list(y)
    z = []
    for j in range(W.shape[0]):
        weights = [b[j]] + list(W[j])
        total = 0.0
        for i in range(len(y_aug)):
            total += weights[i] * y_aug[i]
        z.append(total)
    return np.array(z)
''', style="the bias trick of section 2: augmented input y_0 = 1 and w_0j = b_j, loops in pure Python lists"),
    dict(id="ok-fl-while", answer="forward_loops", test="test_forward_loops",
         source='''def forward_loops(layers, x):
    zs, ys = [], []
    y = np.asarray(x, dtype=float)
    k = 0
    while k < len(layers):
        W, b, f = layers[k]
        z = affine_loops(W, b, y)
        y = np.empty_like(z)
        for j in range(len(z)):
            y[j] = f(z[j])
        zs.append(z.copy())
        ys.append(y)
        k += 1
    return zs, ys
''', style="while loop over the layers and a preallocated y filled neuron by neuron"),
    dict(id="ok-ab-einsum", answer="affine_batch", test="test_affine_batch",
         source='''def affine_batch(W, b, Y):
    return np.einsum("ji,ni->nj", W, Y) + b[None, :]
''', style="np.einsum with explicit index names"),
    dict(id="ok-sg-stable-where", answer="sigmoid", test="test_sigmoid",
         source='''def sigmoid(Z):
    Z = np.asarray(Z, dtype=float)
    e = np.exp(-np.abs(Z))                     # never overflows
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))
''', style="overflow-free two-branch form with e = exp(-|z|)"),
    dict(id="ok-sm-logsumexp", answer="softmax", test="test_softmax",
         source='''def softmax(Z):
    m = Z.max(axis=1, keepdims=True)
    log_norm = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    return np.exp(Z - log_norm)
''', style="via a log-sum-exp normaliser, exp(z - logsumexp(z))"),
    dict(id="ok-ce-pick-index", answer="cross_entropy", test="test_cross_entropy",
         source='''def cross_entropy(Y, D):
    N = Y.shape[0]
    right = np.argmax(D, axis=1)               # one-hot: the right class
    return float(-np.log(Y[np.arange(N), right]).sum() / N)
''', style="fancy indexing of the right class's probability instead of multiplying by D"),
]
