NOTEBOOK = "01_calculus_refresher.ipynb"

WRONG = [
    # ---------------- Exercise A: central_difference ----------------
    dict(id="cd-forward-difference", answer="central_difference", test="test_central_difference",
         source='''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of the derivative f'(x)."""
    return (f(x + h) - f(x)) / h
''', mistake="forward difference (f(x+h) - f(x))/h instead of the central one"),
    dict(id="cd-divide-by-h", answer="central_difference", test="test_central_difference",
         source='''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of the derivative f'(x)."""
    return (f(x + h) - f(x - h)) / h
''', mistake="missing factor 2: divides by h although x-h and x+h are 2h apart"),
    dict(id="cd-precedence", answer="central_difference", test="test_central_difference",
         source='''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of the derivative f'(x)."""
    return (f(x + h) - f(x - h)) / 2 * h
''', mistake="operator precedence: / 2 * h multiplies by h instead of dividing by 2h"),
    dict(id="cd-mutates-x", answer="central_difference", test="test_central_difference",
         source='''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of the derivative f'(x)."""
    xp = x
    xp += h                 # in place: this also moves the caller's array
    f_plus = f(xp)
    xm = x
    xm -= 2 * h
    f_minus = f(xm)
    return (f_plus - f_minus) / (2 * h)
''', mistake="mutates the input: x += h on an array changes the caller's x (left at x - h)"),
    dict(id="cd-flattens-shape", answer="central_difference", test="test_central_difference",
         source='''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of the derivative f'(x)."""
    values = []
    for xi in np.ravel(x):
        values.append((f(xi + h) - f(xi - h)) / (2 * h))
    return np.array(values)
''', mistake="wrong shape: loops over np.ravel(x), so a 2-D x comes back flat and a number comes back as shape (1,)"),

    # ---------------- Exercise B1: step_errors ----------------
    dict(id="se-forward-difference", answer="step_errors", test="test_step_errors",
         source='''def step_errors(f, df, x, hs):
    estimate = (f(x + hs) - f(x)) / hs
    return np.abs(estimate - df(x))
''', mistake="errors of the forward difference instead of calling central_difference"),
    dict(id="se-signed-error", answer="step_errors", test="test_step_errors",
         source='''def step_errors(f, df, x, hs):
    return central_difference(f, x, hs) - df(x)
''', mistake="no absolute value: returns the signed error"),
    dict(id="se-relative-error", answer="step_errors", test="test_step_errors",
         source='''def step_errors(f, df, x, hs):
    exact = df(x)
    return np.abs(central_difference(f, x, hs) - exact) / np.abs(exact)
''', mistake="relative error |estimate - f'(x)| / |f'(x)| instead of the absolute error"),
    dict(id="se-args-swapped", answer="step_errors", test="test_step_errors",
         source='''def step_errors(f, df, x, hs):
    return np.abs(central_difference(f, hs, x) - df(x))
''', mistake="arguments swapped: central_difference(f, hs, x) differentiates at the points hs with step x"),
    dict(id="se-df-at-hs", answer="step_errors", test="test_step_errors",
         source='''def step_errors(f, df, x, hs):
    return np.abs(central_difference(f, x, hs) - df(hs))
''', mistake="wrong variable: exact derivative evaluated at the steps hs instead of at the point x"),

    # ---------------- Exercise B2: loglog_slope ----------------
    dict(id="ls-axes-swapped", answer="loglog_slope", test="test_loglog_slope",
         source='''def loglog_slope(hs, errors):
    return np.polyfit(np.log10(errors), np.log10(hs), 1)[0]
''', mistake="axes swapped: fits log h against log error, giving 1/p"),
    dict(id="ls-mixed-logs", answer="loglog_slope", test="test_loglog_slope",
         source='''def loglog_slope(hs, errors):
    return np.polyfit(np.log10(hs), np.log(errors), 1)[0]
''', mistake="mixed logarithms: log10 on the h axis, natural log on the error axis"),
    dict(id="ls-no-logs", answer="loglog_slope", test="test_loglog_slope",
         source='''def loglog_slope(hs, errors):
    return np.polyfit(hs, errors, 1)[0]
''', mistake="no logarithms: fits errors against h on linear axes"),
    dict(id="ls-end-points", answer="loglog_slope", test="test_loglog_slope",
         source='''def loglog_slope(hs, errors):
    u, v = np.log10(hs), np.log10(errors)
    return (v[-1] - v[0]) / (u[-1] - u[0])
''', mistake="slope through the two end points only, not the least-squares line"),
    dict(id="ls-intercept", answer="loglog_slope", test="test_loglog_slope",
         source='''def loglog_slope(hs, errors):
    slope_and_intercept = np.polyfit(np.log10(hs), np.log10(errors), 1)
    return slope_and_intercept[1]
''', mistake="took index 1 of np.polyfit's result: the intercept, not the slope"),

    # ---------------- Exercise B3: best_step ----------------
    dict(id="bs-returns-error", answer="best_step", test="test_best_step",
         source='''def best_step(hs, errors):
    return float(np.min(errors))
''', mistake="returns the smallest error instead of the step at which it occurs"),
    dict(id="bs-returns-index", answer="best_step", test="test_best_step",
         source='''def best_step(hs, errors):
    return float(np.argmin(errors))
''', mistake="returns the index of the smallest error, not hs[index]"),
    dict(id="bs-argmax", answer="best_step", test="test_best_step",
         source='''def best_step(hs, errors):
    return float(hs[np.argmax(errors)])
''', mistake="argmax instead of argmin: the step with the largest error"),
    dict(id="bs-smallest-h", answer="best_step", test="test_best_step",
         source='''def best_step(hs, errors):
    # smaller steps are more accurate
    return float(np.min(hs))
''', mistake="assumes the smallest step is best, ignoring the errors (round-off grows as h shrinks)"),
    dict(id="bs-sorted-hs", answer="best_step", test="test_best_step",
         source='''def best_step(hs, errors):
    hs_sorted = np.sort(hs)
    return float(hs_sorted[np.argmin(errors)])
''', mistake="sorts hs but not errors: the index no longer matches when hs is not sorted (the docstring says it need not be)"),

    # ---------------- Exercise C: d_exp_x2 ----------------
    dict(id="dx2-no-inner", answer="d_exp_x2", test="test_d_exp_x2",
         source='''def d_exp_x2(x):
    return np.exp(x**2)
''', mistake="forgot the inner derivative 2x"),
    dict(id="dx2-no-two", answer="d_exp_x2", test="test_d_exp_x2",
         source='''def d_exp_x2(x):
    return x * np.exp(x**2)
''', mistake="dropped the 2 of d(x²)/dx = 2x"),
    dict(id="dx2-no-x", answer="d_exp_x2", test="test_d_exp_x2",
         source='''def d_exp_x2(x):
    return 2 * np.exp(x**2)
''', mistake="dropped the x of 2x: inner derivative taken as 2"),
    dict(id="dx2-power-rule", answer="d_exp_x2", test="test_d_exp_x2",
         source='''def d_exp_x2(x):
    # power rule: d/dx e^u = u e^(u - 1)
    return x**2 * np.exp(x**2 - 1)
''', mistake="applied the power rule to the exponential (u·e^(u-1)) instead of the chain rule"),
    dict(id="dx2-numerical", answer="d_exp_x2", test="test_d_exp_x2",
         source='''def d_exp_x2(x):
    return central_difference(lambda t: np.exp(t**2), x, 1e-5)
''', mistake="a numerical estimate (central difference) instead of the analytic formula"),

    # ---------------- Exercise C: d_exp_exp_x2 ----------------
    dict(id="dee-notes-slip", answer="d_exp_exp_x2", test="test_d_exp_exp_x2",
         source='''def d_exp_exp_x2(x):
    return np.exp(x**2) * np.exp(x**2) * 2 * x
''', mistake="copied the notes' slip: outer factor e^(x²) instead of e^(e^(x²))"),
    dict(id="dee-no-2x", answer="d_exp_exp_x2", test="test_d_exp_exp_x2",
         source='''def d_exp_exp_x2(x):
    return np.exp(np.exp(x**2)) * np.exp(x**2)
''', mistake="forgot the innermost derivative 2x"),
    dict(id="dee-no-middle", answer="d_exp_exp_x2", test="test_d_exp_exp_x2",
         source='''def d_exp_exp_x2(x):
    return np.exp(np.exp(x**2)) * 2 * x
''', mistake="forgot the middle derivative e^(x²)"),
    dict(id="dee-dropped-2", answer="d_exp_exp_x2", test="test_d_exp_exp_x2",
         source='''def d_exp_exp_x2(x):
    return np.exp(np.exp(x**2)) * np.exp(x**2) * x
''', mistake="dropped the 2 of 2x"),
    dict(id="dee-numerical", answer="d_exp_exp_x2", test="test_d_exp_exp_x2",
         source='''def d_exp_exp_x2(x):
    h = 1e-6
    g = lambda t: np.exp(np.exp(t**2))
    return (g(x + h) - g(x - h)) / (2 * h)
''', mistake="a numerical estimate (central difference) instead of the chain-rule formula"),

    # ---------------- Exercise C: d_inv_exp_x2 ----------------
    dict(id="die-sign", answer="d_inv_exp_x2", test="test_d_inv_exp_x2",
         source='''def d_inv_exp_x2(x):
    return 2 * x * np.exp(-x**2)
''', mistake="wrong sign: d(1/h)/dh = -1/h², the minus is missing"),
    dict(id="die-minus-one-over-h", answer="d_inv_exp_x2", test="test_d_inv_exp_x2",
         source='''def d_inv_exp_x2(x):
    h2 = np.exp(x**2)
    return -1 / h2 * h2 * 2 * x
''', mistake="used d(1/h)/dh = -1/h instead of -1/h²"),
    dict(id="die-no-2x", answer="d_inv_exp_x2", test="test_d_inv_exp_x2",
         source='''def d_inv_exp_x2(x):
    return -np.exp(-x**2)
''', mistake="forgot the inner derivative 2x"),
    dict(id="die-reciprocal-of-derivative", answer="d_inv_exp_x2", test="test_d_inv_exp_x2",
         source='''def d_inv_exp_x2(x):
    return 1 / (2 * x * np.exp(x**2))
''', mistake="took the reciprocal of the derivative of e^(x²) instead of differentiating the reciprocal"),
    dict(id="die-no-middle", answer="d_inv_exp_x2", test="test_d_inv_exp_x2",
         source='''def d_inv_exp_x2(x):
    h2 = np.exp(x**2)
    return -1 / h2**2 * 2 * x
''', mistake="forgot the middle factor dh2/dh1 = e^(x²) (gives -2x e^(-2x²))"),

    # ---------------- Exercise C: d_softplus ----------------
    dict(id="dsp-no-inner", answer="d_softplus", test="test_d_softplus",
         source='''def d_softplus(x):
    return 1 / (1 + np.exp(x))
''', mistake="forgot the inner derivative e^x: just 1/h"),
    dict(id="dsp-log-as-h", answer="d_softplus", test="test_d_softplus",
         source='''def d_softplus(x):
    return (1 + np.exp(x)) * np.exp(x)
''', mistake="differentiated log h as h instead of 1/h"),
    dict(id="dsp-only-inner", answer="d_softplus", test="test_d_softplus",
         source='''def d_softplus(x):
    return np.exp(x)
''', mistake="only the inner derivative e^x, the outer 1/h is missing"),
    dict(id="dsp-sigmoid-slope", answer="d_softplus", test="test_d_softplus",
         source='''def d_softplus(x):
    return np.exp(x) / (1 + np.exp(x))**2
''', mistake="squared denominator (quotient-rule habit): this is σ'(x), not σ(x)"),
    dict(id="dsp-log10", answer="d_softplus", test="test_d_softplus",
         source='''def d_softplus(x):
    return np.exp(x) / ((1 + np.exp(x)) * np.log(10))
''', mistake="differentiated log as log10 (extra 1/ln 10 factor); the text says log is the natural log"),

    # ---------------- Exercise D1: path_products ----------------
    dict(id="pp-added", answer="path_products", test="test_path_products",
         source='''def path_products(x):
    u, v = x**2, np.sin(x)
    return np.array([2 * x + v + 1, np.cos(x) + u + 1, np.cos(x) + np.exp(v)])
''', mistake="added the local derivatives along each path instead of multiplying them"),
    dict(id="pp-own-factor", answer="path_products", test="test_path_products",
         source='''def path_products(x):
    u, v = x**2, np.sin(x)
    return np.array([2 * x * u, np.cos(x) * v, np.cos(x) * np.exp(v)])
''', mistake="∂p/∂u = u and ∂p/∂v = v: used the factor itself instead of the other factor"),
    dict(id="pp-dy-dv-one", answer="path_products", test="test_path_products",
         source='''def path_products(x):
    u, v = x**2, np.sin(x)
    return np.array([2 * x * v, np.cos(x) * u, np.cos(x) * 1.0])
''', mistake="∂y/∂v = 1 on the direct path instead of e^v"),
    dict(id="pp-order", answer="path_products", test="test_path_products",
         source='''def path_products(x):
    u, v = x**2, np.sin(x)
    direct = np.cos(x) * np.exp(v)
    via_u = 2 * x * v
    via_v = np.cos(x) * u
    return np.array([direct, via_u, via_v])
''', mistake="right products in the wrong order (direct path first)"),
    dict(id="pp-exp-x", answer="path_products", test="test_path_products",
         source='''def path_products(x):
    u, v = x**2, np.sin(x)
    return np.array([2 * x * v, np.cos(x) * u, np.cos(x) * np.exp(x)])
''', mistake="wrong variable: e^x instead of e^v = e^(sin x) on the direct path"),

    # ---------------- Exercise D2: total_derivative ----------------
    dict(id="td-no-direct-path", answer="total_derivative", test="test_total_derivative",
         source='''def total_derivative(x):
    p = path_products(x)
    return float(p[0] + p[1])
''', mistake="forgot the direct path x → v → y"),
    dict(id="td-no-first-path", answer="total_derivative", test="test_total_derivative",
         source='''def total_derivative(x):
    return float(path_products(x)[1:].sum())
''', mistake="off-by-one slice [1:] drops the path x → u → p → y"),
    dict(id="td-multiplied", answer="total_derivative", test="test_total_derivative",
         source='''def total_derivative(x):
    return float(np.prod(path_products(x)))
''', mistake="multiplied the path products instead of adding them"),
    dict(id="td-mean", answer="total_derivative", test="test_total_derivative",
         source='''def total_derivative(x):
    return float(np.mean(path_products(x)))
''', mistake="averaged the paths instead of summing them"),
    dict(id="td-bad-product-rule", answer="total_derivative", test="test_total_derivative",
         source='''def total_derivative(x):
    # y = x² sin x + e^(sin x), differentiated directly
    return float(2 * x * np.cos(x) + np.cos(x) * np.exp(np.sin(x)))
''', mistake="product rule done as the product of the derivatives: d(x² sin x)/dx taken as 2x·cos x"),
]

CORRECT = [
    dict(id="ok-cd-half", answer="central_difference", test="test_central_difference",
         source='''def central_difference(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    up, down = f(x + h), f(x - h)
    return 0.5 * (up - down) / h
''', style="converts x with np.asarray and writes the quotient as 0.5 * (…) / h"),
    dict(id="ok-ls-closed-form-ln", answer="loglog_slope", test="test_loglog_slope",
         source='''def loglog_slope(hs, errors):
    # natural logs on BOTH axes give the same slope; closed-form least squares
    u, v = np.log(hs), np.log(errors)
    du, dv = u - u.mean(), v - v.mean()
    return float(np.sum(du * dv) / np.sum(du * du))
''', style="closed-form least-squares slope cov/var, with natural logs on both axes"),
    dict(id="ok-bs-zip-min", answer="best_step", test="test_best_step",
         source='''def best_step(hs, errors):
    best_error, best_h = min(zip(errors, hs))
    return float(best_h)
''', style="pure Python min over (error, h) pairs"),
    dict(id="ok-dsp-logaddexp", answer="d_softplus", test="test_d_softplus",
         source='''def d_softplus(x):
    # e^x / (1 + e^x) = exp(x - log(1 + e^x)), with log(1 + e^x) = logaddexp(0, x)
    return np.exp(x - np.logaddexp(0.0, x))
''', style="overflow-safe exp(x - logaddexp(0, x))"),
    dict(id="ok-td-formula", answer="total_derivative", test="test_total_derivative",
         source='''def total_derivative(x):
    # differentiate y = x² sin x + e^(sin x) directly: the same three terms
    return float(2 * x * np.sin(x) + x**2 * np.cos(x) + np.cos(x) * np.exp(np.sin(x)))
''', style="closed-form derivative instead of summing path_products"),
    dict(id="ok-pp-loop", answer="path_products", test="test_path_products",
         source='''def path_products(x):
    u, v = x**2, np.sin(x)
    local = {("x", "u"): 2 * x, ("x", "v"): np.cos(x), ("u", "p"): v, ("v", "p"): u,
             ("p", "y"): 1.0, ("v", "y"): np.exp(v)}
    paths = [["x", "u", "p", "y"], ["x", "v", "p", "y"], ["x", "v", "y"]]
    out = []
    for path in paths:
        product = 1.0
        for tail, head in zip(path[:-1], path[1:]):
            product *= local[(tail, head)]
        out.append(product)
    return np.array(out)
''', style="edge dictionary and a loop over the paths, multiplying along each"),
]
