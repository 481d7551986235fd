"""Notebook 01 (calculus refresher): typical wrong answers and what their messages must say."""

from .harness import Entry

NOTEBOOK = "01_calculus_refresher.ipynb"
CD = "return (f(x + h) - f(x - h)) / (2 * h)"
SE = "return np.abs(central_difference(f, x, hs) - df(x))"
FIT = "slope, _ = np.polyfit(np.log10(hs), np.log10(errors), 1)"
BEST = "return float(hs[np.argmin(errors)])"
NUMERICAL = "h = 1e-6\n    return (g(x + h) - g(x - h)) / (2 * h)\n"
PATHS = "return float(np.sum(path_products(x)))"


def _numerical(name, function):
    """A derivative answered by a central difference instead of the chain rule."""
    return (f"def {name}(x):\n    g = lambda v: {function}\n    " + NUMERICAL)


ENTRIES = [
    # --- central_difference
    Entry("a-forward", "central_difference", "test_central_difference",
          sub=[(CD, "return (f(x + h) - f(x)) / h")], names="FORWARD"),
    Entry("a-backward", "central_difference", "test_central_difference",
          sub=[(CD, "return (f(x) - f(x - h)) / h")], names="BACKWARD"),
    Entry("a-over-h", "central_difference", "test_central_difference",
          sub=[(CD, "return (f(x + h) - f(x - h)) / h")], names="divide by 2h"),
    Entry("a-precedence", "central_difference", "test_central_difference",
          sub=[(CD, "return (f(x + h) - f(x - h)) / 2 * h")], names="/ 2 * h"),
    Entry("a-h-ignored", "central_difference", "test_central_difference",
          sub=[(CD, "return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5")],
          not_names=("FORWARD", "BACKWARD", "2h", "1/N")),
    # --- step_errors
    Entry("b-forward", "step_errors", "test_step_errors",
          sub=[(SE, "return np.abs((f(x + hs) - f(x)) / hs - df(x))")], names="FORWARD"),
    Entry("b-signed", "step_errors", "test_step_errors",
          sub=[(SE, "return central_difference(f, x, hs) - df(x)")], names="sign here"),
    Entry("b-signed-reversed", "step_errors", "test_step_errors",
          sub=[(SE, "return df(x) - central_difference(f, x, hs)")], names="wrong one"),
    Entry("b-relative", "step_errors", "test_step_errors",
          sub=[(SE, "return np.abs(central_difference(f, x, hs) - df(x)) / abs(df(x))")], names="RELATIVE"),
    Entry("b-list", "step_errors", "test_step_errors",
          sub=[(SE, "return [abs(central_difference(f, x, h) - df(x)) for h in hs]")], names="not a numpy array"),
    Entry("b-central-missing", "step_errors", "test_step_errors",
          sub=[("hs = np.asarray(hs, dtype=float)", "hs = np.asarray(hs, dtype=float)  # uses (a)")],
          also={"central_difference": "def central_difference(f, x, h=1e-5):\n    raise NotImplementedError()\n"},
          names="central_difference"),
    # --- loglog_slope
    Entry("c-axes-swapped", "loglog_slope", "test_loglog_slope",
          sub=[(FIT, "slope, _ = np.polyfit(np.log10(errors), np.log10(hs), 1)")], names="axes swapped"),
    Entry("c-mixed-logs", "loglog_slope", "test_loglog_slope",
          sub=[(FIT, "slope, _ = np.polyfit(np.log10(hs), np.log(errors), 1)")], names="mixed logarithms"),
    Entry("c-end-points", "loglog_slope", "test_loglog_slope",
          sub=[(FIT, "slope = (np.log10(errors[-1]) - np.log10(errors[0])) / (np.log10(hs[-1]) - np.log10(hs[0]))")],
          names="two end points"),
    Entry("c-no-logs", "loglog_slope", "test_loglog_slope",
          sub=[(FIT, "slope, _ = np.polyfit(hs, errors, 1)")], names="without logarithms"),
    Entry("c-intercept", "loglog_slope", "test_loglog_slope",
          sub=[(FIT, "_, slope = np.polyfit(np.log10(hs), np.log10(errors), 1)")],
          not_names=("axes swapped", "mixed logarithms", "1/N")),
    Entry("c-both-coefficients", "loglog_slope", "test_loglog_slope",
          sub=[(FIT + "\n    return float(slope)", "return np.polyfit(np.log10(hs), np.log10(errors), 1)")],
          names="single number"),
    # --- best_step
    Entry("d-sorts-hs-only", "best_step", "test_best_step",
          source="def best_step(hs, errors):\n    return float(np.sort(hs)[np.argmin(errors)])\n",
          names="sorted hs but not the errors", not_names=("you returned the INDEX", "LARGEST")),
    Entry("d-smallest-error", "best_step", "test_best_step",
          sub=[(BEST, "return float(np.min(errors))")], names="smallest ERROR"),
    Entry("d-smallest-step", "best_step", "test_best_step",
          sub=[(BEST, "return float(np.min(hs))")], names="smallest step"),
    Entry("d-index", "best_step", "test_best_step",
          sub=[(BEST, "return int(np.argmin(errors))")], names="INDEX"),
    Entry("d-argmax", "best_step", "test_best_step",
          sub=[(BEST, "return float(hs[np.argmax(errors)])")], names="LARGEST"),
    Entry("d-step-errors-missing", "best_step", "test_best_step",
          sub=[(BEST, "return float(hs[np.argmin(errors)])  # uses (b) in the test")],
          also={"step_errors": "def step_errors(f, df, x, hs):\n    raise NotImplementedError()\n"},
          names="step_errors"),
    # --- d_exp_x2
    Entry("e1-no-inner", "d_exp_x2", "test_d_exp_x2",
          sub=[("return 2 * x * np.exp(x**2)", "return np.exp(x**2)")], names="inner derivative"),
    Entry("e1-dropped-2", "d_exp_x2", "test_d_exp_x2",
          sub=[("return 2 * x * np.exp(x**2)", "return x * np.exp(x**2)")], names="dropped the 2"),
    Entry("e1-numerical", "d_exp_x2", "test_d_exp_x2",
          source=_numerical("d_exp_x2", "np.exp(v**2)"), names="numerical estimate"),
    Entry("e1-sign", "d_exp_x2", "test_d_exp_x2",
          sub=[("return 2 * x * np.exp(x**2)", "return -2 * x * np.exp(x**2)")], names="sign"),
    Entry("e1-power-rule", "d_exp_x2", "test_d_exp_x2",
          sub=[("return 2 * x * np.exp(x**2)", "return x**2 * np.exp(x**2 - 1)")],
          not_names=("inner derivative", "dropped the 2", "1/N")),
    # --- d_exp_exp_x2
    Entry("e2-notes-slip", "d_exp_exp_x2", "test_d_exp_exp_x2",
          sub=[("return np.exp(h2) * h2 * 2 * x", "return h2 * h2 * 2 * x")], names="notes' printed result"),
    Entry("e2-no-innermost", "d_exp_exp_x2", "test_d_exp_exp_x2",
          sub=[("return np.exp(h2) * h2 * 2 * x", "return np.exp(h2) * h2")], names="innermost"),
    Entry("e2-no-middle", "d_exp_exp_x2", "test_d_exp_exp_x2",
          sub=[("return np.exp(h2) * h2 * 2 * x", "return np.exp(h2) * 2 * x")], names="middle"),
    Entry("e2-numerical", "d_exp_exp_x2", "test_d_exp_exp_x2",
          source=_numerical("d_exp_exp_x2", "np.exp(np.exp(v**2))"), names="numerical estimate"),
    Entry("e2-no-chain", "d_exp_exp_x2", "test_d_exp_exp_x2",
          sub=[("return np.exp(h2) * h2 * 2 * x", "return np.exp(h2)")],
          not_names=("notes' printed", "1/N")),
    # --- d_inv_exp_x2
    Entry("e3-sign", "d_inv_exp_x2", "test_d_inv_exp_x2",
          sub=[("return -1.0 / h2**2 * h2 * 2 * x", "return 1.0 / h2**2 * h2 * 2 * x")], names="sign is wrong"),
    Entry("e3-minus-1-over-h", "d_inv_exp_x2", "test_d_inv_exp_x2",
          sub=[("return -1.0 / h2**2 * h2 * 2 * x", "return -1.0 / h2 * h2 * 2 * x")], names="-1/h;"),
    Entry("e3-no-inner", "d_inv_exp_x2", "test_d_inv_exp_x2",
          sub=[("return -1.0 / h2**2 * h2 * 2 * x", "return -1.0 / h2**2 * h2")], names="inner derivative"),
    Entry("e3-reciprocal", "d_inv_exp_x2", "test_d_inv_exp_x2",
          sub=[("return -1.0 / h2**2 * h2 * 2 * x", "return 1.0 / (h2 * 2 * x)")], names="reciprocal"),
    Entry("e3-numerical", "d_inv_exp_x2", "test_d_inv_exp_x2",
          source=_numerical("d_inv_exp_x2", "1 / np.exp(v**2)"), names="numerical estimate"),
    # --- d_softplus
    Entry("e4-no-inner", "d_softplus", "test_d_softplus",
          sub=[("return np.exp(x) / (1 + np.exp(x))", "return 1 / (1 + np.exp(x))")], names="inner derivative"),
    Entry("e4-outer-missing", "d_softplus", "test_d_softplus",
          sub=[("return np.exp(x) / (1 + np.exp(x))", "return np.exp(x)")], names="outer one",
          not_names=("inner derivative: with",)),
    Entry("e4-log-as-h", "d_softplus", "test_d_softplus",
          sub=[("return np.exp(x) / (1 + np.exp(x))", "return (1 + np.exp(x)) * np.exp(x)")], names="instead of 1/h"),
    Entry("e4-numerical", "d_softplus", "test_d_softplus",
          source=_numerical("d_softplus", "np.log(1 + np.exp(v))"), names="numerical estimate"),
    Entry("e4-function-itself", "d_softplus", "test_d_softplus",
          sub=[("return np.exp(x) / (1 + np.exp(x))", "return np.log(1 + np.exp(x))")],
          not_names=("inner derivative", "1/N")),
    Entry("e4-sigmoid-slope", "d_softplus", "test_d_softplus",
          sub=[("return np.exp(x) / (1 + np.exp(x))", "return np.exp(x) / (1 + np.exp(x))**2")],
          not_names=("1/N", "instead of 1/h")),
    # --- path_products
    Entry("f-added", "path_products", "test_path_products",
          sub=[("return np.array([du_dx * dp_du * dy_dp,     # x → u → p → y\n"
                "                     dv_dx * dp_dv * dy_dp,     # x → v → p → y\n"
                "                     dv_dx * dy_dv])            # x → v → y",
                "return np.array([du_dx + dp_du + dy_dp, dv_dx + dp_dv + dy_dp, dv_dx + dy_dv])")], names="ADDED"),
    Entry("f-partials-swapped", "path_products", "test_path_products",
          sub=[("dp_du, dp_dv = v, u", "dp_du, dp_dv = u, v")], names="OTHER factor"),
    Entry("f-direct-path-1", "path_products", "test_path_products",
          sub=[("dy_dp, dy_dv = 1.0, np.exp(v)", "dy_dp, dy_dv = 1.0, 1.0")], names="∂y/∂v = e^v"),
    Entry("f-order", "path_products", "test_path_products",
          sub=[("return np.array([du_dx * dp_du * dy_dp,     # x → u → p → y\n"
                "                     dv_dx * dp_dv * dy_dp,     # x → v → p → y\n"
                "                     dv_dx * dy_dv])            # x → v → y",
                "return np.array([dv_dx * dy_dv, du_dx * dp_du * dy_dp, dv_dx * dp_dv * dy_dp])")],
          names="another order"),
    Entry("f-list", "path_products", "test_path_products",
          sub=[("return np.array([du_dx * dp_du * dy_dp,", "return list([du_dx * dp_du * dy_dp,")],
          names="not a numpy array"),
    Entry("f-total", "path_products", "test_path_products",
          sub=[("return np.array([du_dx * dp_du * dy_dp,", "return np.sum([du_dx * dp_du * dy_dp,")],
          names="single number"),
    # --- total_derivative
    Entry("g-central-difference", "total_derivative", "test_total_derivative",
          source="def total_derivative(x):\n    y = lambda t: t**2 * np.sin(t) + np.exp(np.sin(t))\n"
                 "    h = 1e-5\n    return (y(x + h) - y(x - h)) / (2 * h)\n",
          names="numerical estimate", not_names=("forgot the path", "MULTIPLIED", "path_products, which")),
    Entry("g-forgot-direct-path", "total_derivative", "test_total_derivative",
          sub=[(PATHS, "return float(np.sum(path_products(x)[:2]))")], names="forgot the path x → v → y"),
    Entry("g-forgot-first-path", "total_derivative", "test_total_derivative",
          sub=[(PATHS, "return float(np.sum(path_products(x)[1:]))")], names="forgot the path x → u → p → y"),
    Entry("g-multiplied", "total_derivative", "test_total_derivative",
          sub=[(PATHS, "return float(np.prod(path_products(x)))")], names="MULTIPLIED"),
    Entry("g-paths-missing", "total_derivative", "test_total_derivative",
          sub=[(PATHS, PATHS + "  # uses (D1)")],
          also={"path_products": "def path_products(x):\n    raise NotImplementedError()\n"},
          names="path_products"),
    Entry("g-array", "total_derivative", "test_total_derivative",
          sub=[(PATHS, "return path_products(x)")], names="SUM of your 3 values"),
    Entry("g-mean", "total_derivative", "test_total_derivative",
          sub=[(PATHS, "return float(np.mean(path_products(x)))")], names="3 examples, paths or terms",
          not_names=("forgot the path", "you MULTIPLIED")),
]
