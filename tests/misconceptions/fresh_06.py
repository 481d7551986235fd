NOTEBOOK = "06_digit_recognition.ipynb"

_BCE_HEAD = '''def sigmoid_bce(Z, D):
    """Sigmoid output layer and binary cross-entropy for a batch."""
'''
_BW_HEAD = '''def backward(params, cache, D):
    """Gradients of the mean divergence for the 64-H-K network of `forward`."""
    X, Z1, Y1, Y = cache["X"], cache["Z1"], cache["Y1"], cache["Y"]
    N = X.shape[0]
'''
_BW_OK_HIDDEN = '''    dY1 = dZ2 @ params["W2"]
    dZ1 = dY1 * (Z1 >= 0)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''
_SGD_HEAD = '''def sgd_train(params, X, D, *, epochs=1, batch_size=32, lr=0.5, seed=0):
    """Minibatch SGD on the mean divergence; updates `params` in place and returns it."""
'''

WRONG = [
    # ---------------- (a) sigmoid_bce ----------------
    dict(id="bce-no-negative-term", answer="sigmoid_bce", test="test_sigmoid_bce",
         source=_BCE_HEAD + '''    Y = 1 / (1 + np.exp(-Z))
    L = float(-np.mean(D * np.log(Y)))
    return Y, L, (Y - D) / len(Z)
''', mistake="left out the (1 − d)·log(1 − y) term of the binary cross-entropy"),
    dict(id="bce-grad-wrt-y", answer="sigmoid_bce", test="test_sigmoid_bce",
         source=_BCE_HEAD + '''    Y = 1 / (1 + np.exp(-Z))
    N = len(Z)
    L = float(-np.mean(D * np.log(Y) + (1 - D) * np.log(1 - Y)))
    dZ = (-D / Y + (1 - D) / (1 - Y)) / N
    return Y, L, dZ
''', mistake="returns ∂L/∂Y instead of ∂L/∂Z: the sigmoid's slope is missing from the chain"),
    dict(id="bce-extra-slope", answer="sigmoid_bce", test="test_sigmoid_bce",
         source=_BCE_HEAD + '''    Y = 1 / (1 + np.exp(-Z))
    N = len(Z)
    L = float(-np.mean(D * np.log(Y) + (1 - D) * np.log(1 - Y)))
    dZ = (Y - D) / N * Y * (1 - Y)
    return Y, L, dZ
''', mistake="multiplies (Y − D)/N by the sigmoid slope once more (squared-error habit)"),
    dict(id="bce-no-mean-grad", answer="sigmoid_bce", test="test_sigmoid_bce",
         source=_BCE_HEAD + '''    Y = 1 / (1 + np.exp(-Z))
    L = float(-np.mean(D * np.log(Y) + (1 - D) * np.log(1 - Y)))
    return Y, L, Y - D
''', mistake="gradient without the 1/N of the mean"),
    dict(id="bce-sum-loss", answer="sigmoid_bce", test="test_sigmoid_bce",
         source=_BCE_HEAD + '''    Y = 1 / (1 + np.exp(-Z))
    L = float(-np.sum(D * np.log(Y) + (1 - D) * np.log(1 - Y)))
    return Y, L, (Y - D) / len(Z)
''', mistake="loss summed over the batch instead of averaged"),
    # ---------------- (b) backward ----------------
    dict(id="bw-db2-axis1", answer="backward", test="test_backward",
         source=_BW_HEAD + '''    dZ2 = (Y - D) / N
    dW2 = dZ2.T @ Y1
    db2 = dZ2.sum(axis=1)
''' + _BW_OK_HIDDEN, mistake="db2 summed over the wrong axis (per example instead of over the batch)"),
    dict(id="bw-no-relu-mask", answer="backward", test="test_backward",
         source=_BW_HEAD + '''    dZ2 = (Y - D) / N
    dW2 = dZ2.T @ Y1
    db2 = dZ2.sum(axis=0)
    dZ1 = dZ2 @ params["W2"]
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
''', mistake="forgot the ReLU's derivative 1[Z1 ≥ 0] in the hidden layer"),
    dict(id="bw-dW2-transposed", answer="backward", test="test_backward",
         source=_BW_HEAD + '''    dZ2 = (Y - D) / N
    dW2 = Y1.T @ dZ2
    db2 = dZ2.sum(axis=0)
''' + _BW_OK_HIDDEN, mistake="dW2 = Y1ᵀ dZ2, the lecture's layout (transpose of W2; silently wrong when H = K)"),
    dict(id="bw-W2-transposed-down", answer="backward", test="test_backward",
         source=_BW_HEAD + '''    dZ2 = (Y - D) / N
    dW2 = dZ2.T @ Y1
    db2 = dZ2.sum(axis=0)
    dY1 = dZ2 @ params["W2"].T
    dZ1 = dY1 * (Z1 >= 0)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
''', mistake="sends the gradient down through W2ᵀ instead of W2 (silently wrong for square W2)"),
    dict(id="bw-extra-softmax-slope", answer="backward", test="test_backward",
         source=_BW_HEAD + '''    dZ2 = (Y - D) / N * Y * (1 - Y)        # through the output activation
    dW2 = dZ2.T @ Y1
    db2 = dZ2.sum(axis=0)
''' + _BW_OK_HIDDEN, mistake="multiplies (Y − D)/N by Y(1 − Y) again, although the output slope already cancelled"),

    # ---------------- (c) sgd_train ----------------
    dict(id="sgd-no-shuffle", answer="sgd_train", test="test_sgd_train",
         source=_SGD_HEAD + '''    N = X.shape[0]
    for _ in range(epochs):
        for start in range(0, N, batch_size):
            Xb, Db = X[start:start + batch_size], D[start:start + batch_size]
            grads = backward(params, forward(params, Xb), Db)
            for name in params:
                params[name] -= lr * grads[name]
    return params
''', mistake="never shuffles: every epoch takes the batches in the stored order"),
    dict(id="sgd-separate-shuffles", answer="sgd_train", test="test_sgd_train",
         source=_SGD_HEAD + '''    rng = np.random.default_rng(seed)
    N = X.shape[0]
    for _ in range(epochs):
        X_shuffled = X[rng.permutation(N)]
        D_shuffled = D[rng.permutation(N)]
        for start in range(0, N, batch_size):
            Xb, Db = X_shuffled[start:start + batch_size], D_shuffled[start:start + batch_size]
            grads = backward(params, forward(params, Xb), Db)
            for name in params:
                params[name] -= lr * grads[name]
    return params
''', mistake="shuffles X and D with two different permutations: inputs and targets no longer match"),
    dict(id="sgd-same-order-every-epoch", answer="sgd_train", test="test_sgd_train",
         source=_SGD_HEAD + '''    N = X.shape[0]
    for _ in range(epochs):
        rng = np.random.default_rng(seed)       # re-created each epoch
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            grads = backward(params, forward(params, X[idx]), D[idx])
            for name in params:
                params[name] -= lr * grads[name]
    return params
''', mistake="re-creates the generator inside the epoch loop: the same permutation every epoch (for an int seed)"),
    dict(id="sgd-rebinds-params", answer="sgd_train", test="test_sgd_train",
         source=_SGD_HEAD + '''    rng = np.random.default_rng(seed)
    N = X.shape[0]
    for _ in range(epochs):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            grads = backward(params, forward(params, X[idx]), D[idx])
            params = {name: params[name] - lr * grads[name] for name in params}
    return params
''', mistake="builds a new dict each step (params = {...}) instead of updating the caller's arrays in place"),
    dict(id="sgd-off-by-one-range", answer="sgd_train", test="test_sgd_train",
         source=_SGD_HEAD + '''    rng = np.random.default_rng(seed)
    N = X.shape[0]
    for _ in range(epochs):
        order = rng.permutation(N)
        for start in range(0, N - batch_size, batch_size):
            idx = order[start:start + batch_size]
            grads = backward(params, forward(params, X[idx]), D[idx])
            for name in params:
                params[name] -= lr * grads[name]
    return params
''', mistake="off-by-one: range(0, N - batch_size, …) drops the last batch, a FULL one when batch_size divides N"),
    # ---------------- (d) accuracy ----------------
    dict(id="acc-axis0", answer="accuracy", test="test_accuracy",
         source='''def accuracy(Y, D):
    return float(np.mean(np.argmax(Y, axis=0) == np.argmax(D, axis=0)))
''', mistake="argmax over axis 0 (across examples) instead of each row"),
    dict(id="acc-vs-onehot", answer="accuracy", test="test_accuracy",
         source='''def accuracy(Y, D):
    return float(np.mean(np.argmax(Y, axis=1) == D))
''', mistake="compares predicted labels with the one-hot rows themselves (broadcasts to (N, K))"),
    dict(id="acc-count", answer="accuracy", test="test_accuracy",
         source='''def accuracy(Y, D):
    return int(np.sum(np.argmax(Y, axis=1) == np.argmax(D, axis=1)))
''', mistake="returns the number of correct rows, not the fraction"),
    dict(id="acc-no-k1", answer="accuracy", test="test_accuracy",
         source='''def accuracy(Y, D):
    return float(np.mean(np.argmax(Y, axis=1) == np.argmax(D, axis=1)))
''', mistake="no special case for one output (K = 1): argmax of a single column is always 0, so every row looks right"),
    dict(id="acc-integer-division", answer="accuracy", test="test_accuracy",
         source='''def accuracy(Y, D):
    correct = np.sum(np.argmax(Y, axis=1) == np.argmax(D, axis=1))
    return correct // len(Y)
''', mistake="integer division // turns the fraction into 0 (or 1)"),

    # ---------------- (e) hyperparameters ----------------
    dict(id="hp-suggested-start", answer="hyperparameters", test="test_accuracy_threshold",
         source='''HYPER = {"hidden": 64, "epochs": 10, "batch_size": 32, "lr": 0.1}
''', mistake="kept the suggested starting values, which stop short of 97 % (about 94 %)"),
    dict(id="hp-lr-too-small", answer="hyperparameters", test="test_accuracy_threshold",
         source='''HYPER = {"hidden": 128, "epochs": 30, "batch_size": 16, "lr": 0.001}
''', mistake="learning rate too small: the loss is still falling after 30 epochs"),
    dict(id="hp-lr-too-large", answer="hyperparameters", test="test_accuracy_threshold",
         source='''HYPER = {"hidden": 128, "epochs": 30, "batch_size": 16, "lr": 50.0}
''', mistake="learning rate far too large: training diverges"),
    dict(id="hp-one-epoch", answer="hyperparameters", test="test_accuracy_threshold",
         source='''HYPER = {"hidden": 128, "epochs": 1, "batch_size": 16, "lr": 0.5}
''', mistake="too few epochs (1): the network is nowhere near trained"),
    dict(id="hp-over-limit", answer="hyperparameters", test="test_accuracy_threshold",
         source='''HYPER = {"hidden": 512, "epochs": 60, "batch_size": 16, "lr": 0.5}
''', mistake="breaks the stated limits (hidden ≤ 256, epochs ≤ 40)"),
]

CORRECT = [
    dict(id="ok-bce-logaddexp", answer="sigmoid_bce", test="test_sigmoid_bce",
         source=_BCE_HEAD + '''    N = Z.shape[0]
    Y = np.exp(-np.logaddexp(0.0, -Z))                 # σ(z) = 1 / (1 + e^(-z)), overflow-free
    # -[d log σ(z) + (1 - d) log(1 - σ(z))] = log(1 + e^z) - d z
    L = float(np.mean(np.logaddexp(0.0, Z) - D * Z))
    return Y, L, (Y - D) / N
''', style="overflow-free log-sum-exp form of σ and of the binary cross-entropy"),
    dict(id="ok-bw-einsum", answer="backward", test="test_backward",
         source=_BW_HEAD + '''    dZ2 = (Y - D) / N
    grads = {"W2": np.einsum("nk,nh->kh", dZ2, Y1), "b2": np.einsum("nk->k", dZ2)}
    dZ1 = np.where(Z1 >= 0, np.einsum("nk,kh->nh", dZ2, params["W2"]), 0.0)
    grads["W1"] = np.einsum("nh,ni->hi", dZ1, X)
    grads["b1"] = dZ1.sum(axis=0)
    return grads
''', style="np.einsum for every product and np.where for the ReLU mask"),
    dict(id="ok-sgd-split", answer="sgd_train", test="test_sgd_train",
         source=_SGD_HEAD + '''    rng = np.random.default_rng(seed)
    N = len(X)
    for epoch in range(epochs):
        order = rng.permutation(N)
        for idx in np.split(order, np.arange(batch_size, N, batch_size)):
            cache = forward(params, X[idx])
            grads = backward(params, cache, D[idx])
            for name, g in grads.items():
                params[name][...] = params[name] - lr * g      # write into the same array
    return params
''', style="np.split at multiples of batch_size and an in-place [...] assignment"),
    dict(id="ok-sgd-shuffle-copies", answer="sgd_train", test="test_sgd_train",
         source=_SGD_HEAD + '''    rng = np.random.default_rng(seed)
    N = X.shape[0]
    for _ in range(epochs):
        perm = rng.permutation(N)
        Xs, Ds = X[perm], D[perm]                      # ONE permutation for both
        start = 0
        while start < N:
            Xb, Db = Xs[start:start + batch_size], Ds[start:start + batch_size]
            grads = backward(params, forward(params, Xb), Db)
            for name in params:
                np.subtract(params[name], lr * grads[name], out=params[name])
            start += batch_size
    return params
''', style="shuffled copies of X and D with one permutation, a while loop, np.subtract(out=…)"),
    dict(id="ok-acc-labels", answer="accuracy", test="test_accuracy",
         source='''def accuracy(Y, D):
    if Y.shape[1] == 1:
        predicted, labels = (Y[:, 0] > 0.5).astype(int), D[:, 0].astype(int)
    else:
        predicted, labels = Y.argmax(axis=1), D.argmax(axis=1)
    return np.count_nonzero(predicted == labels) / len(labels)
''', style="labels first, then np.count_nonzero / N"),
    dict(id="ok-hp-small-batches", answer="hyperparameters", test="test_accuracy_threshold",
         source='''HYPER = dict(hidden=96, epochs=35, batch_size=10, lr=0.3)
''', style="HYPER via dict(...), smaller batches and a moderate learning rate"),
]
