"""Notebook 03 (scalar backprop): typical wrong answers and what their messages must say."""

from .harness import Entry

NOTEBOOK = "03_scalar_backprop.ipynb"
TWO_PATHS = "dL_da = dL_dy[j] * y_hat[j] * (1.0 - y_hat[j]) + dL_dy[m] * (-y_hat[j] * y_hat[m])"
R3 = "dDiv_dy1 += W2[j, i] * dz2[j]                # (R3): every output neuron j"
STEP = "return {name: value - eta * grads[name] for name, value in params.items()}"

ENTRIES = [
    # --- (a) grad_output_weight
    Entry("a-one-path", "grad_output_weight", "test_grad_output_weight",
          sub=[(TWO_PATHS, "dL_da = dL_dy[j] * y_hat[j] * (1.0 - y_hat[j])")], names="one-path"),
    Entry("a-no-last-link", "grad_output_weight", "test_grad_output_weight",
          sub=[("return float(dL_da * h1[i])", "return float(dL_da)")], names="last link"),
    Entry("a-pre-activation", "grad_output_weight", "test_grad_output_weight",
          sub=[("return float(dL_da * h1[i])", "return float(dL_da * (W1 @ x)[i])")], names="before the sigmoid"),
    Entry("a-cross-path-sign", "grad_output_weight", "test_grad_output_weight",
          sub=[("dL_dy[m] * (-y_hat[j] * y_hat[m])", "dL_dy[m] * (y_hat[j] * y_hat[m])")],
          not_names=("1/N", "one-path", "last link", "sigmoid")),
    Entry("a-square-lost-2", "grad_output_weight", "test_grad_output_weight",
          sub=[("dL_dy = 2.0 * (y_hat - d)", "dL_dy = y_hat - d")], names="square"),
    Entry("a-array", "grad_output_weight", "test_grad_output_weight",
          sub=[("return float(dL_da * h1[i])", "return dL_da * h1")], names="single number"),
    # --- (b) backward_loops, output layer
    Entry("b-no-output-slope", "backward_loops", "test_backward_loops_output",
          sub=[("dz2[j] = y2[j] * (1.0 - y2[j]) * dDiv_dy", "dz2[j] = dDiv_dy")], names="forgot f'(z) at the output"),
    Entry("b-slope-at-y", "backward_loops", "test_backward_loops_output",
          sub=[("dz2[j] = y2[j] * (1.0 - y2[j]) * dDiv_dy",
                "dz2[j] = nnlib.sigmoid(y2[j]) * (1.0 - nnlib.sigmoid(y2[j])) * dDiv_dy")], names="slope at y"),
    Entry("b-z-as-input", "backward_loops", "test_backward_loops_output",
          sub=[("dW2[j, i] = y1[i] * dz2[j]", "dW2[j, i] = z1[i] * dz2[j]")], names="used z instead of y"),
    Entry("b-sign", "backward_loops", "test_backward_loops_output",
          sub=[("dDiv_dy = 2.0 * (y2[j] - d[j])", "dDiv_dy = 2.0 * (d[j] - y2[j])")], names="sign"),
    Entry("b-lost-2", "backward_loops", "test_backward_loops_output",
          sub=[("dDiv_dy = 2.0 * (y2[j] - d[j])", "dDiv_dy = y2[j] - d[j]")], names="square"),
    Entry("b-db2-never-set", "backward_loops", "test_backward_loops_output",
          sub=[("        db2[j] = dz2[j]                                  # (R2), bias: input 1\n", "")],
          names="all zeros"),
    # --- (b) backward_loops, hidden layer
    Entry("b-no-hidden-slope", "backward_loops", "test_backward_loops_hidden",
          sub=[("dz1 = y1[i] * (1.0 - y1[i]) * dDiv_dy1", "dz1 = dDiv_dy1")],
          names="forgot f'(z) in the hidden layer"),
    Entry("b-one-output-path", "backward_loops", "test_backward_loops_hidden",
          sub=[("        for j in range(K):\n            " + R3, "        for j in range(1):\n            " + R3)],
          names="forgot a path"),
    Entry("b-diagonal-path", "backward_loops", "test_backward_loops_hidden",
          sub=[(R3, "if i == j:\n                dDiv_dy1 += W2[j, i] * dz2[j]")], names="w_ii"),
    Entry("b-slopes-at-y", "backward_loops", "test_backward_loops_hidden",
          sub=[("dz2[j] = y2[j] * (1.0 - y2[j]) * dDiv_dy",
                "dz2[j] = nnlib.sigmoid(y2[j]) * (1.0 - nnlib.sigmoid(y2[j])) * dDiv_dy"),
               ("dz1 = y1[i] * (1.0 - y1[i]) * dDiv_dy1",
                "dz1 = nnlib.sigmoid(y1[i]) * (1.0 - nnlib.sigmoid(y1[i])) * dDiv_dy1")], names="slopes at y"),
    Entry("b-path-sign", "backward_loops", "test_backward_loops_hidden",
          sub=[(R3, "dDiv_dy1 -= W2[j, i] * dz2[j]")], names="sign"),
    Entry("b-w2-indices-swapped", "backward_loops", "test_backward_loops_hidden",
          sub=[(R3, "dDiv_dy1 += W2[i, j] * dz2[j]")], names="IndexError"),
    Entry("b-hidden-input-is-y1", "backward_loops", "test_backward_loops_hidden",
          sub=[("dW1[i, k] = x[k] * dz1", "dW1[i, k] = y1[k] * dz1")],
          not_names=("1/N", "forgot a path", "transpos")),
    # --- (c) gradient_descent_step
    Entry("c-uphill", "gradient_descent_step", "test_gradient_descent_step",
          sub=[("value - eta * grads[name]", "value + eta * grads[name]")], names="uphill"),
    Entry("c-no-eta", "gradient_descent_step", "test_gradient_descent_step",
          sub=[("value - eta * grads[name]", "value - grads[name]")], names="forgot the learning rate"),
    Entry("c-change-only", "gradient_descent_step", "test_gradient_descent_step",
          sub=[("value - eta * grads[name]", "-eta * grads[name]")], names="only the change"),
    Entry("c-in-place", "gradient_descent_step", "test_gradient_descent_step",
          sub=[(STEP, "for name in params:\n        params[name] -= eta * grads[name]\n    return params")],
          names="in place"),
    Entry("c-shallow-copy", "gradient_descent_step", "test_gradient_descent_step",
          sub=[(STEP, "new = params.copy()\n    for name in new:\n        new[name] -= eta * grads[name]\n"
                      "    return new")], names="in place"),
    Entry("c-list", "gradient_descent_step", "test_gradient_descent_step",
          sub=[(STEP, "return [value - eta * grads[name] for name, value in params.items()]")], names="dict"),
    # --- messages of later checks, reached by answers right on the first quantity checked
    Entry("b-db2-no-slope", "backward_loops", "test_backward_loops_output",
          sub=[("db2[j] = dz2[j]", "db2[j] = dDiv_dy")], names="∂Div/∂b_j = ∂Div/∂z_j"),
    Entry("b-output-slope-missing-seen-below", "backward_loops", "test_backward_loops_hidden",
          sub=[("dz2[j] = y2[j] * (1.0 - y2[j]) * dDiv_dy", "dz2[j] = dDiv_dy")],
          names="so the error reaching the hidden layer is wrong too"),
    Entry("b-hidden-slope-at-y", "backward_loops", "test_backward_loops_hidden",
          sub=[("dz1 = y1[i] * (1.0 - y1[i]) * dDiv_dy1",
                "dz1 = nnlib.sigmoid(y1[i]) * (1.0 - nnlib.sigmoid(y1[i])) * dDiv_dy1")],
          names="slopes at y instead of z (σ"),
    Entry("c-bias-uphill", "gradient_descent_step", "test_gradient_descent_step",
          sub=[("return {name: value - eta * grads[name] for name, value in params.items()}",
                "return {name: value + eta * grads[name] if name.startswith('b') else value - eta * grads[name]\n"
                "            for name, value in params.items()}")], names="notes' bias line"),
]
