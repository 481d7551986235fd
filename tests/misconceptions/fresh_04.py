NOTEBOOK = "04_jacobian_backprop.ipynb"

# ---- correct pieces of the two multi-part answer cells (a wrong answer changes one piece) ----
_SIG = '''def sigmoid_jacobian(z):
    """Jacobian of the elementwise sigmoid at one example."""
    s = nnlib.sigmoid(z)
    return np.diag(s * (1 - s))
'''
_TANH = '''def tanh_jacobian(z):
    """Jacobian of the elementwise tanh at one example."""
    return np.diag(1 - np.tanh(z) ** 2)
'''
_RELU = '''def relu_jacobian(z):
    """Jacobian of the elementwise ReLU at one example."""
    return np.diag(np.where(z >= 0, 1.0, 0.0))
'''
_SMJ = '''def softmax_jacobian(z):
    """Jacobian of softmax at one example."""
    y = nnlib.softmax(z)
    return np.diag(y) - np.outer(y, y)
'''


def _jac(sig=_SIG, tanh=_TANH, relu=_RELU, smj=_SMJ):
    return sig + "\n\n" + tanh + "\n\n" + relu + "\n\n" + smj


_LIN_INIT = '''class Linear(Layer):
    """Affine layer z = W y + b; for a batch Z = Y W^T + b, one example per row."""

    def __init__(self, W, b):
        self.W = np.array(W, dtype=float)
        self.b = np.array(b, dtype=float)
'''
_LIN_FWD = '''
    def forward(self, Y):
        self.Y = Y
        return Y @ self.W.T + self.b
'''
_LIN_BWD = '''
    def backward(self, dZ):
        self.dW = dZ.T @ self.Y
        self.db = dZ.sum(axis=0)
        return dZ @ self.W
'''
_LIN_STEP = '''
    def step(self, lr):
        self.W = self.W - lr * self.dW
        self.b = self.b - lr * self.db
'''
_SM_FWD = '''


class Softmax(Layer):
    """Row-wise softmax (a vector activation)."""

    def forward(self, Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        self.Y = E / E.sum(axis=1, keepdims=True)
        return self.Y
'''
_SM_BWD = '''
    def backward(self, dY):
        Y = self.Y
        return Y * (dY - (dY * Y).sum(axis=1, keepdims=True))
'''
_CE_FWD = '''


class CrossEntropy:
    """Mean cross-entropy of probabilities Y against targets D (both (N, K))."""

    def forward(self, Y, D):
        self.Y, self.D = Y, D
        return float(-np.sum(D * np.log(Y)) / Y.shape[0])
'''
_CE_BWD = '''
    def backward(self):
        return -self.D / (self.Y.shape[0] * self.Y)
'''


def _cls(init=_LIN_INIT, fwd=_LIN_FWD, bwd=_LIN_BWD, step=_LIN_STEP, smf=_SM_FWD, smb=_SM_BWD,
         cef=_CE_FWD, ceb=_CE_BWD):
    return init + fwd + bwd + step + smf + smb + cef + ceb


_BV_FWD = '''def backward_vector(Ws, bs, activations, x, grad_output):
    """Gradients of Div for ONE example, by the vector backward pass."""
    ys, zs = [x], []
    for W, b, f in zip(Ws, bs, activations):
        z = W @ ys[-1] + b
        zs.append(z)
        ys.append(f(z[None, :])[0])
    g = grad_output(ys[-1])
    n_layers = len(Ws)
    dWs, dbs = [None] * n_layers, [None] * n_layers
'''
_BB_FWD = '''def backward_batch(Ws, bs, activations, X, D, div_grad):
    """Gradients of L = (1/N) sum_n Div(y_n, d_n) for a batch, in nnlib's layout."""
    N = X.shape[0]
    Ys, Zs = [X], []
    for W, b, f in zip(Ws, bs, activations):
        Z = Ys[-1] @ W.T + b
        Zs.append(Z)
        Ys.append(f(Z))
'''

WRONG = [
    # ---------------- (a) scalar Jacobians ----------------
    dict(id="sj-sigmoid-itself", answer="activation_jacobians", test="test_scalar_jacobians",
         source=_jac(sig='''def sigmoid_jacobian(z):
    return np.diag(nnlib.sigmoid(z))
'''), mistake="sigmoid_jacobian puts σ(z) itself on the diagonal instead of σ(z)(1 − σ(z))"),
    dict(id="sj-tanh-not-squared", answer="activation_jacobians", test="test_scalar_jacobians",
         source=_jac(tanh='''def tanh_jacobian(z):
    return np.diag(1 - np.tanh(z))
'''), mistake="tanh_jacobian uses 1 − tanh(z) instead of 1 − tanh²(z)"),
    dict(id="sj-relu-zero-at-kink", answer="activation_jacobians", test="test_scalar_jacobians",
         source=_jac(relu='''def relu_jacobian(z):
    return np.diag((z > 0).astype(float))
'''), mistake="relu_jacobian takes ReLU'(0) = 0 (z > 0) against the stated convention ReLU'(0) = 1"),
    dict(id="sj-vector-not-matrix", answer="activation_jacobians", test="test_scalar_jacobians",
         source=_jac(sig='''def sigmoid_jacobian(z):
    s = nnlib.sigmoid(z)
    return s * (1 - s)
''', tanh='''def tanh_jacobian(z):
    return 1 - np.tanh(z) ** 2
''', relu='''def relu_jacobian(z):
    return (z >= 0).astype(float)
'''), mistake="returns the elementwise derivative vector f'(z), shape (D,), not the (D, D) diagonal matrix"),
    dict(id="sj-outer-product", answer="activation_jacobians", test="test_scalar_jacobians",
         source=_jac(sig='''def sigmoid_jacobian(z):
    s = nnlib.sigmoid(z)
    return np.outer(s, 1 - s)
'''), mistake="sigmoid_jacobian as np.outer(s, 1 − s): a full matrix, the off-diagonal entries must be 0"),
    # ---------------- (a) softmax Jacobian ----------------
    dict(id="smj-diagonal-only", answer="activation_jacobians", test="test_softmax_jacobian",
         source=_jac(smj='''def softmax_jacobian(z):
    y = nnlib.softmax(z)
    return np.diag(y * (1 - y))
'''), mistake="only the diagonal y(1 − y): treats softmax like a scalar activation"),
    dict(id="smj-no-shift", answer="activation_jacobians", test="test_softmax_jacobian",
         source=_jac(smj='''def softmax_jacobian(z):
    e = np.exp(z)
    y = e / e.sum()
    return np.diag(y) - np.outer(y, y)
'''), mistake="own softmax without the max-shift: NaN for logits near 1000"),
    dict(id="smj-missing-diag", answer="activation_jacobians", test="test_softmax_jacobian",
         source=_jac(smj='''def softmax_jacobian(z):
    y = nnlib.softmax(z)
    return -np.outer(y, y)
'''), mistake="forgot the diag(y) term: −y yᵀ only"),
    dict(id="smj-dot-not-outer", answer="activation_jacobians", test="test_softmax_jacobian",
         source=_jac(smj='''def softmax_jacobian(z):
    y = nnlib.softmax(z)
    return np.diag(y) - y @ y
'''), mistake="y @ y on 1-D arrays is the dot product (a number), not the outer product y yᵀ"),
    dict(id="smj-inplace-shift", answer="activation_jacobians", test="test_softmax_jacobian",
         source=_jac(smj='''def softmax_jacobian(z):
    z -= z.max()                      # stability shift, in place
    e = np.exp(z)
    y = e / e.sum()
    return np.diag(y) - np.outer(y, y)
'''), mistake="mutates the input: the max-shift z -= z.max() changes the caller's array"),

    # ---------------- (b) backward_vector ----------------
    dict(id="bv-no-jacobian", answer="backward_vector", test="test_backward_vector",
         source=_BV_FWD + '''    for k in reversed(range(n_layers)):
        gz = g                              # activation step forgotten
        dWs[k] = np.outer(gz, ys[k])
        dbs[k] = gz
        g = gz @ Ws[k]
    return dWs, dbs
''', mistake="skips the activation's Jacobian: uses ∇_y Div as ∇_z Div"),
    dict(id="bv-diagonal-only", answer="backward_vector", test="test_backward_vector",
         source=_BV_FWD + '''    for k in reversed(range(n_layers)):
        gz = g * np.diag(activations[k].jacobian(zs[k]))     # f'(z) elementwise
        dWs[k] = np.outer(gz, ys[k])
        dbs[k] = gz
        g = gz @ Ws[k]
    return dWs, dbs
''', mistake="uses only the diagonal of each Jacobian (elementwise shortcut), wrong for the softmax"),
    dict(id="bv-lecture-layout", answer="backward_vector", test="test_backward_vector",
         source=_BV_FWD + '''    for k in reversed(range(n_layers)):
        gz = g @ activations[k].jacobian(zs[k])
        dWs[k] = np.outer(ys[k], gz)        # nabla_W Div = y grad_z
        dbs[k] = gz
        g = gz @ Ws[k]
    return dWs, dbs
''', mistake="returns the lecture's ∇_W Div = outer(y, ∇_z) instead of nnlib's dW (its transpose)"),
    dict(id="bv-wrong-layer-input", answer="backward_vector", test="test_backward_vector",
         source=_BV_FWD + '''    for k in reversed(range(n_layers)):
        gz = g @ activations[k].jacobian(zs[k])
        dWs[k] = np.outer(gz, ys[k + 1])    # y of this layer
        dbs[k] = gz
        g = gz @ Ws[k]
    return dWs, dbs
''', mistake="off-by-one layer index: outer product with the layer's own output y_k instead of its input y_(k-1)"),
    dict(id="bv-reversed-lists", answer="backward_vector", test="test_backward_vector",
         source=_BV_FWD + '''    dWs, dbs = [], []
    for k in reversed(range(n_layers)):
        gz = g @ activations[k].jacobian(zs[k])
        dWs.append(np.outer(gz, ys[k]))
        dbs.append(gz)
        g = gz @ Ws[k]
    return dWs, dbs
''', mistake="appends while going backwards and never reverses: dWs[0] is the LAST layer's gradient"),

    # ---------------- (c) backward_batch ----------------
    dict(id="bb-no-mean", answer="backward_batch", test="test_backward_batch",
         source=_BB_FWD + '''    dY = div_grad(Ys[-1], D)
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        dZ = np.stack([dY[n] @ activations[k].jacobian(Zs[k][n]) for n in range(N)])
        dWs[k] = dZ.T @ Ys[k]
        dbs[k] = dZ.sum(axis=0)
        dY = dZ @ Ws[k]
    return dWs, dbs
''', mistake="forgot the 1/N: sums the examples' gradients instead of averaging"),
    dict(id="bb-db-wrong-axis", answer="backward_batch", test="test_backward_batch",
         source=_BB_FWD + '''    dY = div_grad(Ys[-1], D) / N
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        dZ = np.stack([dY[n] @ activations[k].jacobian(Zs[k][n]) for n in range(N)])
        dWs[k] = dZ.T @ Ys[k]
        dbs[k] = dZ.sum(axis=1)
        dY = dZ @ Ws[k]
    return dWs, dbs
''', mistake="db summed over the wrong axis (axis=1, per example) instead of over the examples"),
    dict(id="bb-diagonal-only", answer="backward_batch", test="test_backward_batch",
         source=_BB_FWD + '''    dY = div_grad(Ys[-1], D) / N
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        slopes = np.stack([np.diag(activations[k].jacobian(Zs[k][n])) for n in range(N)])
        dZ = dY * slopes                    # elementwise shortcut for every layer
        dWs[k] = dZ.T @ Ys[k]
        dbs[k] = dZ.sum(axis=0)
        dY = dZ @ Ws[k]
    return dWs, dbs
''', mistake="elementwise shortcut (diagonal of the Jacobian) also for the softmax layer"),
    dict(id="bb-bias-not-averaged", answer="backward_batch", test="test_backward_batch",
         source=_BB_FWD + '''    dY = div_grad(Ys[-1], D)
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        dZ = np.stack([dY[n] @ activations[k].jacobian(Zs[k][n]) for n in range(N)])
        dWs[k] = dZ.T @ Ys[k] / N            # average over the batch
        dbs[k] = dZ.sum(axis=0)
        dY = dZ @ Ws[k]
    return dWs, dbs
''', mistake="applies the 1/N only to dW (dZᵀY/N); db is left as the sum over the batch, N times too large"),
    dict(id="bb-one-jacobian", answer="backward_batch", test="test_backward_batch",
         source=_BB_FWD + '''    dY = div_grad(Ys[-1], D) / N
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        J = activations[k].jacobian(Zs[k][0])       # the Jacobian of the layer
        dZ = dY @ J
        dWs[k] = dZ.T @ Ys[k]
        dbs[k] = dZ.sum(axis=0)
        dY = dZ @ Ws[k]
    return dWs, dbs
''', mistake="uses the first example's Jacobian for every row of the batch"),

    # ---------------- (d) layer classes: forward/backward ----------------
    dict(id="lc-softmax-no-shift", answer="layer_classes", test="test_layer_classes",
         source=_cls(smf='''


class Softmax(Layer):
    def forward(self, Z):
        E = np.exp(Z)
        self.Y = E / E.sum(axis=1, keepdims=True)
        return self.Y
'''), mistake="Softmax.forward without the max-shift: NaN for logits near ±1000"),
    dict(id="lc-ce-backward-no-N", answer="layer_classes", test="test_layer_classes",
         source=_cls(ceb='''
    def backward(self):
        return -self.D / self.Y
'''), mistake="CrossEntropy.backward misses the 1/N of the mean"),
    dict(id="lc-softmax-backward-diag", answer="layer_classes", test="test_layer_classes",
         source=_cls(smb='''
    def backward(self, dY):
        return dY * self.Y * (1 - self.Y)
'''), mistake="Softmax.backward uses only the diagonal of the Jacobian"),
    dict(id="lc-linear-dY-transposed", answer="layer_classes", test="test_layer_classes",
         source=_cls(bwd='''
    def backward(self, dZ):
        self.dW = dZ.T @ self.Y
        self.db = dZ.sum(axis=0)
        return dZ @ self.W.T
'''), mistake="Linear.backward returns dZ Wᵀ instead of dZ W (shape error)"),
    dict(id="lc-softmax-keeps-Z", answer="layer_classes", test="test_layer_classes",
         source=_cls(smf='''


class Softmax(Layer):
    def forward(self, Z):
        self.Z = Z
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)
''', smb='''
    def backward(self, dY):
        E = np.exp(self.Z - self.Z.max(axis=1, keepdims=True))
        Y = E / E.sum(axis=1, keepdims=True)
        return Y * (dY - (dY * Y).sum(axis=1, keepdims=True))
'''), mistake="Softmax.forward keeps its input Z instead of its output self.Y, as the spec asks"),

    # ---------------- (d) layer classes: step ----------------
    dict(id="ls-step-plus", answer="layer_classes", test="test_layer_step",
         source=_cls(step='''
    def step(self, lr):
        self.W = self.W + lr * self.dW
        self.b = self.b + lr * self.db
'''), mistake="Linear.step moves W and b WITH their gradients (uphill)"),
    dict(id="ls-step-forgets-b", answer="layer_classes", test="test_layer_step",
         source=_cls(step='''
    def step(self, lr):
        self.W = self.W - lr * self.dW
'''), mistake="Linear.step updates W but forgets the bias b"),
    dict(id="ls-no-copy", answer="layer_classes", test="test_layer_step",
         source=_cls(init='''class Linear(Layer):
    def __init__(self, W, b):
        self.W = W
        self.b = b
''', step='''
    def step(self, lr):
        self.W -= lr * self.dW
        self.b -= lr * self.db
'''), mistake="__init__ keeps references to the caller's arrays (no float copy), so step's -= mutates them"),
    dict(id="ls-keeps-int-dtype", answer="layer_classes", test="test_layer_step",
         source=_cls(init='''class Linear(Layer):
    def __init__(self, W, b):
        self.W = W.copy()
        self.b = b.copy()
'''), mistake="copies W and b but keeps their dtype: integer weights stay integers"),
    dict(id="ls-step-averages-again", answer="layer_classes", test="test_layer_step",
         source=_cls(step='''
    def step(self, lr):
        N = self.Y.shape[0]
        self.W = self.W - lr * self.dW / N      # average over the batch
        self.b = self.b - lr * self.db / N
'''), mistake="step divides the gradient by N again, although the 1/N is already inside dZ"),
]

CORRECT = [
    dict(id="ok-jac-loops-and-eye", answer="activation_jacobians", test="test_softmax_jacobian",
         source=_jac(sig='''def sigmoid_jacobian(z):
    s = 1 / (1 + np.exp(-z))
    return np.eye(len(z)) * (s * (1 - s))
''', relu='''def relu_jacobian(z):
    J = np.zeros((len(z), len(z)))
    for i in range(len(z)):
        J[i, i] = 1.0 if z[i] >= 0 else 0.0
    return J
''', smj='''def softmax_jacobian(z):
    e = np.exp(z - np.max(z))
    y = e / e.sum()
    K = len(z)
    J = np.empty((K, K))
    for j in range(K):
        for i in range(K):
            J[j, i] = y[j] * ((1.0 if i == j else 0.0) - y[i])
    return J
'''), style="identity-matrix broadcasting for the sigmoid, explicit loops for ReLU and for the softmax (own stable softmax)"),
    dict(id="ok-jac-tanh-cosh", answer="activation_jacobians", test="test_scalar_jacobians",
         source=_jac(tanh='''def tanh_jacobian(z):
    return np.diag(1 / np.cosh(z) ** 2)          # sech²
''', smj='''def softmax_jacobian(z):
    y = nnlib.softmax(z)
    return y[:, None] * (np.eye(len(y)) - y[None, :])
'''), style="tanh' as sech² = 1/cosh², softmax Jacobian by broadcasting y_j (δ_ij − y_i)"),
    dict(id="ok-bv-elementwise-scalar", answer="backward_vector", test="test_backward_vector",
         source='''def backward_vector(Ws, bs, activations, x, grad_output):
    ys, zs = [np.asarray(x, dtype=float)], []
    for W, b, f in zip(Ws, bs, activations):
        zs.append(W @ ys[-1] + b)
        ys.append(f(zs[-1][None, :])[0])
    g = grad_output(ys[-1])
    dWs, dbs = [], []
    for W, z, y_in, f in reversed(list(zip(Ws, zs, ys[:-1], activations))):
        gz = f.jacobian(z).T @ g                   # column form Jᵀ g, the same row g J
        dWs.insert(0, gz[:, None] * y_in[None, :])
        dbs.insert(0, gz)
        g = W.T @ gz
    return dWs, dbs
''', style="column form (Jᵀ g, Wᵀ g) with insert(0, …) and broadcasting for the outer product"),
    dict(id="ok-bb-per-example", answer="backward_batch", test="test_backward_batch",
         source='''def backward_batch(Ws, bs, activations, X, D, div_grad):
    N = X.shape[0]
    # forward once for div_grad's rows, then reuse backward_vector per example
    Y = X
    for W, b, f in zip(Ws, bs, activations):
        Y = f(Y @ W.T + b)
    G = div_grad(Y, D)
    dWs = [np.zeros_like(W, dtype=float) for W in Ws]
    dbs = [np.zeros_like(b, dtype=float) for b in bs]
    for n in range(N):
        dW_n, db_n = backward_vector(Ws, bs, activations, X[n], lambda y, g=G[n]: g)
        for k in range(len(Ws)):
            dWs[k] += dW_n[k] / N
            dbs[k] += db_n[k] / N
    return dWs, dbs
''', style="reuses backward_vector per example and averages (the notes' training loop)"),
    dict(id="ok-bb-einsum", answer="backward_batch", test="test_backward_batch",
         source='''def backward_batch(Ws, bs, activations, X, D, div_grad):
    N = len(X)
    Ys, Zs = [X], []
    for W, b, f in zip(Ws, bs, activations):
        Zs.append(Ys[-1] @ W.T + b)
        Ys.append(f(Zs[-1]))
    dY = div_grad(Ys[-1], D) / N
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in range(len(Ws) - 1, -1, -1):
        Js = np.array([activations[k].jacobian(z) for z in Zs[k]])      # (N, K, K), small here
        dZ = np.einsum("nj,nji->ni", dY, Js)
        dWs[k] = np.einsum("nj,ni->ji", dZ, Ys[k])
        dbs[k] = np.einsum("nj->j", dZ)
        dY = np.einsum("nj,ji->ni", dZ, Ws[k])
    return dWs, dbs
''', style="np.einsum for every product, with a stack of per-row Jacobians"),
    dict(id="ok-lc-inplace-step-copies", answer="layer_classes", test="test_layer_step",
         source=_cls(init='''class Linear(Layer):
    def __init__(self, W, b):
        self.W = np.asarray(W, dtype=float).copy()
        self.b = np.asarray(b, dtype=float).copy()
''', step='''
    def step(self, lr):
        self.W -= lr * self.dW          # safe: self.W is our own copy
        self.b -= lr * self.db
''', smb='''
    def backward(self, dY):
        dZ = np.empty_like(dY)
        for n in range(dY.shape[0]):            # one row (example) at a time
            y = self.Y[n]
            dZ[n] = y * dY[n] - y * np.dot(dY[n], y)
        return dZ
''', ceb='''
    def backward(self):
        N = len(self.Y)
        return -(1.0 / N) * self.D / self.Y
'''), style="in-place step on private float copies, softmax backward row by row with np.dot"),
]
