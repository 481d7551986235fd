NOTEBOOK = "03_scalar_backprop.ipynb"

# The given first lines of the two answer cells (a student keeps them and writes below).
_GOW = '''def grad_output_weight(W1, W2, x, d, j, i):
    """∂L/∂W2[j, i] with both softmax paths, for a sigmoid-hidden, 2-softmax-output network."""
    h1 = nnlib.sigmoid(W1 @ x)
    y_hat = nnlib.softmax(W2 @ h1)
'''
_BL = '''def backward_loops(W1, b1, W2, b2, x, d):
    """Gradients of Div = Σ_j (y_j^(2) − d_j)² for a 2-layer sigmoid network, by explicit loops."""
    H, D = W1.shape
    K = W2.shape[0]
    # Forward pass (given): keep z and y of every layer, the backward pass needs them.
    z1 = W1 @ x + b1
    y1 = nnlib.sigmoid(z1)
    z2 = W2 @ y1 + b2
    y2 = nnlib.sigmoid(z2)
    dW1, db1 = np.zeros((H, D)), np.zeros(H)
    dW2, db2 = np.zeros((K, H)), np.zeros(K)
'''
_BL_RETURN = '''    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''
# correct pieces reused by the wrong answers that target the other layer
_OUT_OK = '''    dz2 = np.zeros(K)
    for j in range(K):
        dz2[j] = y2[j] * (1 - y2[j]) * 2 * (y2[j] - d[j])
        db2[j] = dz2[j]
        for i in range(H):
            dW2[j, i] = y1[i] * dz2[j]
'''
_HID_OK = '''    dz1 = np.zeros(H)
    for i in range(H):
        dy1_i = 0.0
        for j in range(K):
            dy1_i += W2[j, i] * dz2[j]
        dz1[i] = y1[i] * (1 - y1[i]) * dy1_i
    for j in range(H):
        db1[j] = dz1[j]
        for i in range(D):
            dW1[j, i] = x[i] * dz1[j]
'''

WRONG = [
    # ---------------- (a) grad_output_weight ----------------
    dict(id="gow-one-path", answer="grad_output_weight", test="test_grad_output_weight",
         source=_GOW + '''    dL_dy = 2 * (y_hat - d)
    return float(dL_dy[j] * y_hat[j] * (1 - y_hat[j]) * h1[i])
''', mistake="the notes' one-path chain: leaves out the path a2j → ŷm → L through the softmax denominator"),
    dict(id="gow-no-factor-2", answer="grad_output_weight", test="test_grad_output_weight",
         source=_GOW + '''    m = 1 - j
    dL_dy = y_hat - d                       # derivative of the square
    dL_da = dL_dy[j] * y_hat[j] * (1 - y_hat[j]) + dL_dy[m] * (-y_hat[j] * y_hat[m])
    return float(dL_da * h1[i])
''', mistake="missing factor 2 in ∂L/∂ŷ = 2(ŷ − d)"),
    dict(id="gow-no-last-link", answer="grad_output_weight", test="test_grad_output_weight",
         source=_GOW + '''    m = 1 - j
    dL_dy = 2 * (y_hat - d)
    return float(dL_dy[j] * y_hat[j] * (1 - y_hat[j]) + dL_dy[m] * (-y_hat[j] * y_hat[m]))
''', mistake="stops at ∂L/∂a2j: forgot the last link ∂a2j/∂W2[j, i] = h1i"),
    dict(id="gow-wrong-index", answer="grad_output_weight", test="test_grad_output_weight",
         source=_GOW + '''    m = 1 - j
    dL_dy = 2 * (y_hat - d)
    dL_da = dL_dy[j] * y_hat[j] * (1 - y_hat[j]) + dL_dy[m] * (-y_hat[j] * y_hat[m])
    return float(dL_da * h1[j])
''', mistake="index mix-up: multiplies by h1[j] (the output's index) instead of h1[i]"),
    dict(id="gow-target-minus-output", answer="grad_output_weight", test="test_grad_output_weight",
         source=_GOW + '''    m = 1 - j
    dL_dy = 2 * (d - y_hat)
    dL_da = dL_dy[j] * y_hat[j] * (1 - y_hat[j]) + dL_dy[m] * (-y_hat[j] * y_hat[m])
    return float(dL_da * h1[i])
''', mistake="wrong sign: ∂L/∂ŷ written 2(d − ŷ) instead of 2(ŷ − d)"),

    # ---------------- (b) backward_loops, output layer ----------------
    dict(id="bl-out-no-slope", answer="backward_loops", test="test_backward_loops_output",
         source=_BL + '''    dz2 = np.zeros(K)
    for j in range(K):
        dz2[j] = 2 * (y2[j] - d[j])                 # slope of the sigmoid forgotten
        db2[j] = dz2[j]
        for i in range(H):
            dW2[j, i] = y1[i] * dz2[j]
''' + _HID_OK + _BL_RETURN, mistake="forgot the output sigmoid's slope f'(z2) = y2(1 − y2) in (R1)"),
    dict(id="bl-out-z1-input", answer="backward_loops", test="test_backward_loops_output",
         source=_BL + '''    dz2 = np.zeros(K)
    for j in range(K):
        dz2[j] = y2[j] * (1 - y2[j]) * 2 * (y2[j] - d[j])
        db2[j] = dz2[j]
        for i in range(H):
            dW2[j, i] = z1[i] * dz2[j]              # input of the layer
''' + _HID_OK + _BL_RETURN, mistake="uses z1 (pre-activation) instead of y1 as the input factor of dW2"),
    dict(id="bl-out-lecture-layout", answer="backward_loops", test="test_backward_loops_output",
         source=_BL + '''    dW2 = np.zeros((H, K))                          # rows: inputs i, columns: neurons j
    dz2 = np.zeros(K)
    for j in range(K):
        dz2[j] = y2[j] * (1 - y2[j]) * 2 * (y2[j] - d[j])
        db2[j] = dz2[j]
        for i in range(H):
            dW2[i, j] = y1[i] * dz2[j]
''' + _HID_OK + _BL_RETURN, mistake="dW2 in the lecture's (inputs × neurons) layout, the transpose of W2's shape"),
    dict(id="bl-out-no-factor-2", answer="backward_loops", test="test_backward_loops_output",
         source=_BL + '''    dz2 = np.zeros(K)
    for j in range(K):
        dz2[j] = y2[j] * (1 - y2[j]) * (y2[j] - d[j])      # d/dy of the square
        db2[j] = dz2[j]
        for i in range(H):
            dW2[j, i] = y1[i] * dz2[j]
''' + _HID_OK + _BL_RETURN, mistake="missing factor 2: ∂Div/∂y = 2(y − d) for Div = Σ (y − d)² (no ½)"),
    dict(id="bl-out-db2-forgotten", answer="backward_loops", test="test_backward_loops_output",
         source=_BL + '''    dz2 = np.zeros(K)
    for j in range(K):
        dz2[j] = y2[j] * (1 - y2[j]) * 2 * (y2[j] - d[j])
        for i in range(H):
            dW2[j, i] = y1[i] * dz2[j]
''' + _HID_OK + _BL_RETURN, mistake="forgot to fill db2 (left at zeros)"),

    # ---------------- (b) backward_loops, hidden layer ----------------
    dict(id="bl-hid-no-slope", answer="backward_loops", test="test_backward_loops_hidden",
         source=_BL + _OUT_OK + '''    dz1 = np.zeros(H)
    for i in range(H):
        for j in range(K):
            dz1[i] += W2[j, i] * dz2[j]             # slope of the hidden sigmoid forgotten
    for j in range(H):
        db1[j] = dz1[j]
        for i in range(D):
            dW1[j, i] = x[i] * dz1[j]
''' + _BL_RETURN, mistake="forgot the hidden sigmoid's slope f'(z1) in (R1)"),
    dict(id="bl-hid-one-output", answer="backward_loops", test="test_backward_loops_hidden",
         source=_BL + _OUT_OK + '''    dz1 = np.zeros(H)
    for i in range(H):
        dz1[i] = y1[i] * (1 - y1[i]) * W2[0, i] * dz2[0]     # through output neuron 1
    for j in range(H):
        db1[j] = dz1[j]
        for i in range(D):
            dW1[j, i] = x[i] * dz1[j]
''' + _BL_RETURN, mistake="forgot a path in (R3): sums only over output neuron 1 instead of every output j"),
    dict(id="bl-hid-dy-not-dz", answer="backward_loops", test="test_backward_loops_hidden",
         source=_BL + '''    dy2 = 2 * (y2 - d)
    dz2 = np.zeros(K)
    for j in range(K):
        dz2[j] = y2[j] * (1 - y2[j]) * dy2[j]
        db2[j] = dz2[j]
        for i in range(H):
            dW2[j, i] = y1[i] * dz2[j]
    dz1 = np.zeros(H)
    for i in range(H):
        dy1_i = 0.0
        for j in range(K):
            dy1_i += W2[j, i] * dy2[j]              # should be dz2[j]
        dz1[i] = y1[i] * (1 - y1[i]) * dy1_i
    for j in range(H):
        db1[j] = dz1[j]
        for i in range(D):
            dW1[j, i] = x[i] * dz1[j]
''' + _BL_RETURN, mistake="wrong variable in (R3): propagates ∂Div/∂y2 instead of ∂Div/∂z2 down through W2"),
    dict(id="bl-hid-y1-as-input", answer="backward_loops", test="test_backward_loops_hidden",
         source=_BL + _OUT_OK + '''    dz1 = np.zeros(H)
    for i in range(H):
        dy1_i = 0.0
        for j in range(K):
            dy1_i += W2[j, i] * dz2[j]
        dz1[i] = y1[i] * (1 - y1[i]) * dy1_i
    for j in range(H):
        db1[j] = dz1[j]
        for i in range(D):
            dW1[j, i] = y1[i] * dz1[j]              # input of the layer?
''' + _BL_RETURN, mistake="wrong input factor for dW1: the hidden output y1_i instead of the network input x_i"),
    dict(id="bl-hid-transposed-W2", answer="backward_loops", test="test_backward_loops_hidden",
         source=_BL + _OUT_OK + '''    dz1 = np.zeros(H)
    for i in range(H):
        dy1_i = 0.0
        for j in range(K):
            dy1_i += W2[j, j] * dz2[j] if i == j else 0.0    # w_ii only
        dz1[i] = y1[i] * (1 - y1[i]) * dy1_i
    for j in range(H):
        db1[j] = dz1[j]
        for i in range(D):
            dW1[j, i] = x[i] * dz1[j]
''' + _BL_RETURN, mistake="uses only the 'diagonal' weights w_ii in (R3) although hidden neuron i feeds every output"),
    # ---------------- (c) gradient_descent_step ----------------
    dict(id="gd-plus", answer="gradient_descent_step", test="test_gradient_descent_step",
         source='''def gradient_descent_step(params, grads, eta):
    return {name: params[name] + eta * grads[name] for name in params}
''', mistake="wrong sign: w + η·dW climbs uphill"),
    dict(id="gd-in-place", answer="gradient_descent_step", test="test_gradient_descent_step",
         source='''def gradient_descent_step(params, grads, eta):
    for name in params:
        params[name] -= eta * grads[name]
    return params
''', mistake="mutates the input: updates params' arrays in place instead of returning new ones"),
    dict(id="gd-shallow-copy", answer="gradient_descent_step", test="test_gradient_descent_step",
         source='''def gradient_descent_step(params, grads, eta):
    new = dict(params)                  # a new dict ...
    for name in new:
        new[name] -= eta * grads[name]  # ... but the same arrays, changed in place
    return new
''', mistake="shallow copy: dict(params) copies the dict, not the arrays, so -= still modifies params"),
    dict(id="gd-bias-plus", answer="gradient_descent_step", test="test_gradient_descent_step",
         source='''def gradient_descent_step(params, grads, eta):
    new = {}
    for name in params:
        if name.startswith("b"):
            new[name] = params[name] + eta * grads[name]      # the notes' bias line
        else:
            new[name] = params[name] - eta * grads[name]
    return new
''', mistake="copies the notes' bias update b + η·Δb: biases move uphill"),
    dict(id="gd-hardcoded-names", answer="gradient_descent_step", test="test_gradient_descent_step",
         source='''def gradient_descent_step(params, grads, eta):
    return {"W1": params["W1"] - eta * grads["W1"], "b1": params["b1"] - eta * grads["b1"],
            "W2": params["W2"] - eta * grads["W2"], "b2": params["b2"] - eta * grads["b2"]}
''', mistake="hard-codes the example names W1, b1, W2, b2 instead of looping over params (KeyError for other names)"),
]

CORRECT = [
    dict(id="ok-gow-jacobian-row", answer="grad_output_weight", test="test_grad_output_weight",
         source=_GOW + '''    J = np.diag(y_hat) - np.outer(y_hat, y_hat)        # J[m, j] = ∂ŷ_m/∂a_2j
    dL_da = 2 * (y_hat - d) @ J[:, j]
    return float(dL_da * h1[i])
''', style="full 2×2 softmax Jacobian column instead of the two written-out paths"),
    dict(id="ok-gow-sigmoid-diff", answer="grad_output_weight", test="test_grad_output_weight",
         source=_GOW + '''    # two outputs: ŷ_j = σ(a_j − a_m), and L = (ŷ_j − d_j)² + (1 − ŷ_j − d_m)²
    m = 1 - j
    yj = y_hat[j]
    dL_dyj = 2 * (yj - d[j]) - 2 * (1 - yj - d[m])
    return float(dL_dyj * yj * (1 - yj) * h1[i])
''', style="uses ŷ_m = 1 − ŷ_j to write L through ŷ_j alone"),
    dict(id="ok-bl-vectorised-rows", answer="backward_loops", test="test_backward_loops_output",
         source=_BL + '''    dz2 = 2 * (y2 - d) * y2 * (1 - y2)                 # (R1), all output neurons
    for j in range(K):
        dW2[j, :] = dz2[j] * y1                        # (R2) one row at a time
        db2[j] = dz2[j]
    dy1 = np.zeros(H)
    for j in range(K):
        dy1 += dz2[j] * W2[j, :]                       # (R3) accumulate row by row
    dz1 = dy1 * y1 * (1 - y1)
    for j in range(H):
        dW1[j, :] = dz1[j] * x
        db1[j] = dz1[j]
''' + _BL_RETURN, style="loops over neurons only, with numpy row operations inside (R3 accumulated row by row)"),
    dict(id="ok-bl-outer", answer="backward_loops", test="test_backward_loops_hidden",
         source=_BL + '''    dz2 = 2 * (y2 - d) * y2 * (1 - y2)
    dW2 = np.outer(dz2, y1)
    db2 = dz2.copy()
    dz1 = (W2.T @ dz2) * y1 * (1 - y1)
    dW1 = np.outer(dz1, x)
    db1 = dz1.copy()
''' + _BL_RETURN, style="fully vectorised with np.outer and W2.T @ dz2 (ignores the loop suggestion; values identical)"),
    dict(id="ok-gd-copy-then-subtract", answer="gradient_descent_step", test="test_gradient_descent_step",
         source='''def gradient_descent_step(params, grads, eta):
    new = {}
    for name, value in params.items():
        updated = np.array(value, dtype=float, copy=True)
        updated -= eta * np.asarray(grads[name])
        new[name] = updated
    return new
''', style="explicit deep copy, then an in-place update of the copy"),
]
