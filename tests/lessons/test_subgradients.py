"""Tests for nnlib.lessons.subgradients: softmax state, the subgradient inequality, and the kink answer checks."""
import numpy as np
import pytest

import nnlib
from nnlib.lessons.subgradients import (KINK_FUNCTIONS, SubgradientState, is_subgradient,
                                        max_backward_problems, relu_backward_problems, softmax_state,
                                        subgradient_interval)



# --------------------------------------------------------------------------- softmax state
def test_softmax_state_matches_the_definition():
    """y is e^z / Σ e^z and sums to 1."""
    z = np.array([1.0, 2.0, 0.5])
    s = softmax_state(z)
    np.testing.assert_allclose(s.y, np.exp(z) / np.exp(z).sum(), rtol=1e-12)
    assert s.y.sum() == pytest.approx(1.0, abs=1e-15)


def test_softmax_jacobian_entries_diagonal_and_off_diagonal():
    """J[j, i] = y_j(δ_ij − y_i): the DIAGONAL (i = j) is y_i(1 − y_i), off it −y_i·y_j."""
    s = softmax_state([0.3, -1.0, 2.0, 0.0])
    y = s.y
    for j in range(4):
        for i in range(4):
            want = y[i] * (1 - y[i]) if i == j else -y[i] * y[j]
            assert s.jacobian[j, i] == pytest.approx(want, rel=1e-12)


def test_softmax_jacobian_matches_numerical_jacobian():
    """The formula agrees with central differences of nnlib.softmax (rows: outputs)."""
    z = np.array([0.2, 1.5, -0.7])
    J_num = nnlib.numerical_jacobian(nnlib.softmax, z.copy())
    np.testing.assert_allclose(softmax_state(z).jacobian, J_num, atol=1e-9)
    assert softmax_state(z).numerical_error() < 1e-9


def test_softmax_state_is_stable_for_large_logits():
    """Large logits give finite outputs (z − max z before exp)."""
    s = softmax_state([1000.0, 1001.0, 1002.0])
    np.testing.assert_allclose(s.y, softmax_state([0.0, 1.0, 2.0]).y, rtol=1e-12)


def test_softmax_state_rejects_bad_input():
    """Empty or non-finite logits raise a clear ValueError."""
    with pytest.raises(ValueError, match="finite"):
        softmax_state([])
    with pytest.raises(ValueError, match="finite"):
        softmax_state([1.0, np.nan])


def test_with_entry_changes_every_output():
    """Moving one logit changes every output (a vector activation) and leaves the old state alone."""
    s = softmax_state([0.0, 0.0, 0.0])
    t = s.with_entry(0, 1.0)
    assert np.all(t.y != s.y) and t.z[0] == 1.0 and s.z[0] == 0.0


# --------------------------------------------------------------------------- subgradients
XS = np.linspace(-3, 3, 601)


@pytest.mark.parametrize("name, inside, outside", [
    ("relu", [0.0, 0.3, 1.0], [-0.01, 1.01, 2.0]),
    ("abs", [-1.0, 0.0, 1.0], [-1.02, 1.02]),
    ("max", [1.0, 1.5, 2.0], [0.99, 2.01]),
])
def test_is_subgradient_accepts_exactly_the_interval(name, inside, outside):
    """Slopes inside [left, right] derivative are subgradients at the kink; slopes outside are not."""
    fn = KINK_FUNCTIONS[name]
    for v in inside:
        assert is_subgradient(fn.f, fn.x0, v, XS), v
    for v in outside:
        assert not is_subgradient(fn.f, fn.x0, v, XS), v


def test_is_subgradient_at_a_smooth_point_only_the_derivative():
    """Where f is differentiable (x² at 1) the derivative 2 passes and nearby slopes fail."""
    f = lambda x: x ** 2  # noqa: E731
    assert is_subgradient(f, 1.0, 2.0, XS)
    assert not is_subgradient(f, 1.0, 2.05, XS) and not is_subgradient(f, 1.0, 1.95, XS)


def test_is_subgradient_vector_case_max_of_two():
    """max(x1, x2) at (0, 0): v = (a, 1 − a) with a in [0, 1] is a subgradient; (1, 1) is not."""
    g = np.linspace(-1, 1, 21)
    pts = np.array([[a, b] for a in g for b in g])
    f = lambda p: max(p[0], p[1])  # noqa: E731
    for a in (0.0, 0.25, 1.0):
        assert is_subgradient(f, np.zeros(2), [a, 1 - a], pts)
    assert not is_subgradient(f, np.zeros(2), [1.0, 1.0], pts)
    assert not is_subgradient(f, np.zeros(2), [1.2, -0.2], pts)
    with pytest.raises(ValueError, match="shape"):
        is_subgradient(f, np.zeros(2), 0.5, pts)


@pytest.mark.parametrize("name", sorted(KINK_FUNCTIONS))
def test_interval_matches_the_one_sided_derivatives(name):
    """subgradient_interval on a grid gives [left slope, right slope] of the kink."""
    fn = KINK_FUNCTIONS[name]
    lo, hi = subgradient_interval(fn.f, fn.x0, np.linspace(*fn.x_range, 401))
    assert (lo, hi) == pytest.approx((fn.left_slope, fn.right_slope), abs=1e-12)


def test_interval_one_sided_and_non_convex():
    """No points on one side gives ±inf; a non-convex kink gives an empty interval (lo > hi)."""
    lo, hi = subgradient_interval(abs, 0.0, [0.5, 1.0])
    assert lo == -np.inf and hi == pytest.approx(1.0)
    lo, hi = subgradient_interval(lambda x: -abs(x), 0.0, [-1.0, 1.0])
    assert lo > hi


def test_state_defaults_to_the_middle_of_the_interval_and_rejects_unknown_names():
    """named() without v picks a valid slope; an unknown name raises."""
    assert SubgradientState.named("max").v == 1.5 and SubgradientState.named("max").valid
    with pytest.raises(ValueError, match="unknown function"):
        SubgradientState.named("sigmoid")


# --------------------------------------------------------------------------- answer checks at kinks
Z = np.array([[-1.0, 0.0, 2.0], [0.0, 0.5, -0.5]])
DY = np.array([[0.3, -2.0, 1.5], [4.0, 1.0, 7.0]])


@pytest.mark.parametrize("slope", [0.0, 0.5, 1.0])
def test_relu_backward_accepts_any_slope_in_unit_interval_at_zero(slope):
    """At z == 0 every slope in [0, 1] times the upstream gradient is accepted."""
    got = np.where(Z > 0, DY, np.where(Z == 0, slope * DY, 0.0))
    assert relu_backward_problems(Z, DY, got) == []


@pytest.mark.parametrize("slope, words", [(2.0, "[0, 1]"), (-1.0, "[0, 1]")])
def test_relu_backward_rejects_slopes_outside(slope, words):
    """Slope 2 or −1 at the kink is rejected with a message naming [0, 1]."""
    got = np.where(Z > 0, DY, np.where(Z == 0, slope * DY, 0.0))
    problems = relu_backward_problems(Z, DY, got)
    assert problems and words in problems[0]


def test_relu_backward_rejects_wrong_sides_and_shapes():
    """Gradient through z < 0, missing upstream, wrong shape and None are all reported."""
    assert "z < 0" in relu_backward_problems(Z, DY, DY)[0]
    assert "z > 0" in relu_backward_problems(Z, DY, np.where(Z > 0, 1.0, 0.0) * DY[0, 0])[0]
    assert "multiplies each slope" in relu_backward_problems(Z, DY, (Z >= 0).astype(float))[0]
    ones = np.where(Z < 0, 5.0, 1.0)             # upstream 1 wherever z >= 0: dZ is a 0/1 mask and right
    assert relu_backward_problems(Z, ones, (Z >= 0).astype(float)) == []
    assert "shape" in relu_backward_problems(Z, DY, DY.T)[0]
    assert "None" in relu_backward_problems(Z, DY, None)[0]
    assert "NaN" in relu_backward_problems(Z, DY, DY * np.nan)[0]


ZM = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, -1.0, 0.5, 1.0], [4.0, 4.0, 4.0, 4.0]])
DYM = np.array([2.0, -1.5, 3.0])


@pytest.mark.parametrize("weights", [
    [[0, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]],
    [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]],
    [[0, 0.5, 0.5, 0], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]],
    [[0, 0.9, 0.1, 0], [1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4]],
])
def test_max_backward_accepts_any_convex_combination_over_ties(weights):
    """At ties any nonnegative weights summing to 1 over the tied entries are valid."""
    assert max_backward_problems(ZM, DYM, np.array(weights) * DYM[:, None]) == []


def test_max_backward_rejects_mask_spread_and_negative():
    """Weight 1 on every tied entry, weight on non-maxima, and negative weights are reported."""
    mask = (ZM == ZM.max(axis=1, keepdims=True)) * DYM[:, None]
    assert "sum to 2" in max_backward_problems(ZM, DYM, mask)[0] and "not 1 each" in max_backward_problems(ZM, DYM, mask)[0]
    spread = np.repeat(DYM[:, None] / 4, 4, axis=1)
    assert "not the maximum" in max_backward_problems(ZM, DYM, spread)[0]
    neg = np.array([[0, 1.5, -0.5, 0], [1, 0, 0, 0], [1, 0, 0, 0]]) * DYM[:, None]
    assert "≥ 0" in max_backward_problems(ZM, DYM, neg)[0]
    assert "shape" in max_backward_problems(ZM, DYM, mask.T)[0]
    onehot = np.zeros_like(ZM)
    onehot[np.arange(3), ZM.argmax(axis=1)] = 1.0
    assert "not multiplied by the upstream" in max_backward_problems(ZM, DYM, onehot)[0]
    assert max_backward_problems(ZM, np.ones(3), onehot) == []


def test_pure_module_imports_no_widget_or_plot_library():
    """nnlib.lessons.subgradients stays light (no ipywidgets, matplotlib, IPython)."""
    import subprocess
    import sys
    code = ("import sys, nnlib.lessons.subgradients\n"
            "heavy = [m for m in ('ipywidgets', 'matplotlib', 'IPython') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)
