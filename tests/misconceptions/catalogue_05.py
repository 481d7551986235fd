"""Notebook 05 (softmax and subgradients): typical wrong answers and what their messages must say."""

from .harness import Entry

NOTEBOOK = "05_softmax_subgradients.ipynb"
STUB_SOFTMAX = "def stable_softmax(Z):\n    Z = np.asarray(Z, dtype=float)\n    raise NotImplementedError()\n"
SOFTMAX_J = "    y = stable_softmax(z[None, :])[0]\n    return np.diag(y) - np.outer(y, y)"
VJP = "return Y * (dY - (dY * Y).sum(axis=1, keepdims=True))"
FUSED = "return (stable_softmax(Z) - D) / Z.shape[0]"
RELU = "return dY * (Z > 0)          # slope 0 at the kink, as PyTorch does; any slope in [0, 1] is valid"
MAX = "dZ[np.arange(Z.shape[0]), winners] = dy"

ENTRIES = [
    # --- (a) stable_softmax
    Entry("a-unshifted", "stable_softmax", "test_stable_softmax",
          sub=[("E = np.exp(Z - Z.max(axis=1, keepdims=True))", "E = np.exp(Z)")], names="by its max"),
    Entry("a-global-max", "stable_softmax", "test_stable_softmax",
          sub=[("Z.max(axis=1, keepdims=True)", "Z.max()")], names="shift each row"),
    Entry("a-columns", "stable_softmax", "test_stable_softmax",
          sub=[("Z.max(axis=1, keepdims=True)", "Z.max(axis=0, keepdims=True)"),
               ("E.sum(axis=1, keepdims=True)", "E.sum(axis=0, keepdims=True)")], names="normalised each COLUMN"),
    Entry("a-sum-no-keepdims", "stable_softmax", "test_stable_softmax",
          sub=[("E.sum(axis=1, keepdims=True)", "E.sum(axis=1)")], names="broadcast"),
    Entry("a-max-no-keepdims", "stable_softmax", "test_stable_softmax",
          sub=[("Z.max(axis=1, keepdims=True)", "Z.max(axis=1)")], names="broadcast"),
    Entry("a-whole-batch-sum", "stable_softmax", "test_stable_softmax",
          sub=[("E.sum(axis=1, keepdims=True)", "E.sum()")], not_names=("1/N", "transpos", "COLUMN")),
    # --- (b) softmax_jacobian
    Entry("b-diagonal-only", "softmax_jacobian", "test_softmax_jacobian",
          sub=[("return np.diag(y) - np.outer(y, y)", "return np.diag(y * (1 - y))")], names="only the diagonal"),
    Entry("b-diagonal-formula-everywhere", "softmax_jacobian", "test_softmax_jacobian",
          sub=[("return np.diag(y) - np.outer(y, y)", "return np.tile(y * (1 - y), (len(y), 1))")],
          names="in every entry"),
    Entry("b-outer-everywhere", "softmax_jacobian", "test_softmax_jacobian",
          sub=[("return np.diag(y) - np.outer(y, y)", "return -np.outer(y, y)")], names="also on the diagonal"),
    Entry("b-of-z", "softmax_jacobian", "test_softmax_jacobian",
          sub=[(SOFTMAX_J, "    return np.diag(z) - np.outer(z, z)")], names="used z"),
    Entry("b-stable-softmax-missing", "softmax_jacobian", "test_softmax_jacobian",
          sub=[("z = np.asarray(z, dtype=float)", "z = np.asarray(z, dtype=float)  # uses (a)")],
          also={"stable_softmax": STUB_SOFTMAX}, names="stable_softmax"),
    Entry("b-unshifted", "softmax_jacobian", "test_softmax_jacobian", fails="hidden",
          sub=[(SOFTMAX_J, "    y = np.exp(z) / np.exp(z).sum()\n    return np.diag(y) - np.outer(y, y)")],
          not_names=("1/N", "transpos", "diagonal")),
    # --- (c) softmax_backward
    Entry("c-diagonal-only", "softmax_backward", "test_softmax_backward",
          sub=[(VJP, "return Y * (1 - Y) * dY")], names="only the diagonal"),
    Entry("c-wrong-axis", "softmax_backward", "test_softmax_backward",
          sub=[(VJP, "return Y * (dY - (dY * Y).sum(axis=0, keepdims=True))")], names="wrong axis"),
    Entry("c-builds-jacobians", "softmax_backward", "test_softmax_backward",
          sub=[(VJP, "return np.stack([dY[n] @ (np.diag(Y[n]) - np.outer(Y[n], Y[n])) for n in range(len(Y))])")],
          names="Jacobian"),
    Entry("c-no-keepdims", "softmax_backward", "test_softmax_backward",
          sub=[(VJP, "return Y * (dY - (dY * Y).sum(axis=1))")], names="broadcast"),
    Entry("c-sign", "softmax_backward", "test_softmax_backward",
          sub=[(VJP, "return Y * ((dY * Y).sum(axis=1, keepdims=True) - dY)")], names="sign"),
    # --- (d) softmax_cross_entropy_grad
    Entry("d-no-mean", "softmax_cross_entropy_grad", "test_softmax_cross_entropy_grad",
          sub=[(FUSED, "return stable_softmax(Z) - D")], names="forgot the 1/N"),
    Entry("d-sign", "softmax_cross_entropy_grad", "test_softmax_cross_entropy_grad",
          sub=[(FUSED, "return (D - stable_softmax(Z)) / Z.shape[0]")], names="sign flipped"),
    Entry("d-logits", "softmax_cross_entropy_grad", "test_softmax_cross_entropy_grad",
          sub=[(FUSED, "return (Z - D) / Z.shape[0]")], names="used the logits"),
    Entry("d-by-classes", "softmax_cross_entropy_grad", "test_softmax_cross_entropy_grad",
          sub=[(FUSED, "return (stable_softmax(Z) - D) / Z.shape[1]")], names="number of classes"),
    Entry("d-unshifted", "softmax_cross_entropy_grad", "test_softmax_cross_entropy_grad",
          sub=[(FUSED, "E = np.exp(Z)\n    return (E / E.sum(axis=1, keepdims=True) - D) / Z.shape[0]")],
          names="maximum"),
    Entry("d-stable-softmax-missing", "softmax_cross_entropy_grad", "test_softmax_cross_entropy_grad",
          sub=[("Z, D = np.asarray(Z, dtype=float), np.asarray(D, dtype=float)",
                "Z, D = np.asarray(Z, dtype=float), np.asarray(D, dtype=float)  # uses (a)")],
          also={"stable_softmax": STUB_SOFTMAX}, names="stable_softmax"),
    # --- (e) relu_backward
    Entry("e-swapped", "relu_backward", "test_relu_backward",
          sub=[(RELU, "return dY * (Z < 0)")], names="slope 1"),
    Entry("e-slopes-only", "relu_backward", "test_relu_backward",
          sub=[(RELU, "return (Z > 0).astype(float)")], names="multiplies each slope"),
    Entry("e-forward-instead", "relu_backward", "test_relu_backward",
          sub=[(RELU, "return np.maximum(Z, 0)")], not_names=("multiplies each slope",)),
    Entry("e-constant-at-kink", "relu_backward", "test_relu_backward",
          sub=[(RELU, "return np.where(Z > 0, dY, np.where(Z == 0, 0.5, 0.0))")], names="in [0, 1]"),
    Entry("e-transposed", "relu_backward", "test_relu_backward",
          sub=[(RELU, "return (dY * (Z > 0)).T")], names="shape"),
    Entry("e-no-return", "relu_backward", "test_relu_backward",
          sub=[(RELU, "dZ = dY * (Z > 0)")], names="None"),
    Entry("e-slope-two-at-kink", "relu_backward", "test_relu_backward",
          sub=[(RELU, "return dY * np.where(Z > 0, 1.0, np.where(Z == 0, 2.0, 0.0))")], names="in [0, 1]"),
    # --- (f) max_backward
    Entry("f-every-tie-gets-all", "max_backward", "test_max_backward",
          sub=[("    dZ = np.zeros_like(Z)\n    winners = np.argmax(Z, axis=1)                 # at a tie: the first maximal entry gets it all\n    " + MAX,
                "    dZ = (Z == Z.max(axis=1, keepdims=True)) * dy[:, None]")], names="sum"),
    Entry("f-ones-not-dy", "max_backward", "test_max_backward",
          sub=[(MAX, "dZ[np.arange(Z.shape[0]), winners] = 1")], not_names=("tie",)),
    Entry("f-argmax-axis0", "max_backward", "test_max_backward",
          sub=[("np.argmax(Z, axis=1)", "np.argmax(Z, axis=0)")], names="IndexError"),
    Entry("f-broadcast", "max_backward", "test_max_backward",
          sub=[("    dZ = np.zeros_like(Z)\n    winners = np.argmax(Z, axis=1)                 # at a tie: the first maximal entry gets it all\n    " + MAX,
                "    dZ = (Z == Z.max(axis=1, keepdims=True)) * dy")], names="broadcast"),
    Entry("f-int-dtype", "max_backward", "test_max_backward",
          sub=[("dZ = np.zeros_like(Z)", "dZ = np.zeros(Z.shape, dtype=int)")], not_names=("tie",)),
    Entry("f-argmin", "max_backward", "test_max_backward",
          sub=[("np.argmax(Z, axis=1)", "np.argmin(Z, axis=1)")], names="maximum"),
]
