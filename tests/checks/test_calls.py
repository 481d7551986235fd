"""nnlib.checks.calls: earlier answers named, inputs kept, loops enforced; and the NaN/inf and
coinciding-variant messages of the comparisons."""

import numpy as np
import pytest

from nnlib.checks import check_array, check_loops, check_scalar, earlier_answers, unchanged

from . import X, message

pytestmark = pytest.mark.filterwarnings("error")


def _stub(W, b, y):
    raise NotImplementedError()


def _broken(W, b, y):
    return W[10]


def _forward(y, affine):
    return affine(None, None, y)


def _raised(block):
    with pytest.raises(AssertionError) as info:
        block()
    return str(info.value)


def test_earlier_stub_is_named_with_its_exercise():
    """A stub's bare NotImplementedError inside an earlier answer names that exercise."""
    def run():
        with earlier_answers(_stub="exercise (a), affine_loops"):
            _forward(1.0, _stub)
    text = _raised(run)
    assert "your _stub from exercise (a), affine_loops" in text and "not answered yet" in text


def test_earlier_crash_shows_its_error():
    """Any other error inside an earlier answer is named with its type and message."""
    def run():
        with earlier_answers(_broken="exercise (a)"):
            _forward(1.0, _broken)
    text = _raised(run)
    assert "raised TypeError: 'NoneType' object is not subscriptable" in text


def test_earlier_undefined_name_says_run_the_cell():
    """An earlier answer never defined (its cell not run) is named, with what to do."""
    def run():
        with earlier_answers(not_defined_here="exercise (c)"):
            not_defined_here()       # noqa: F821 - the missing name is the point
    assert "not_defined_here (from exercise (c)) is not defined" in _raised(run)


def test_errors_elsewhere_pass_through():
    """A crash in the function under test itself, or a check's own failure, is not renamed."""
    with pytest.raises(ZeroDivisionError):
        with earlier_answers(_stub="exercise (a)"):
            1 / 0
    with pytest.raises(AssertionError, match="sign is flipped"):
        with earlier_answers(_stub="exercise (a)"):
            check_array(-X, X, name="Z")


def test_unchanged_names_the_modified_argument():
    """An array modified in place is named with its values before and after."""
    Z = np.array([1.0, -2.0])

    def run():
        with unchanged("f(Z)", Z=Z):
            Z[0] = 5.0
    text = _raised(run)
    assert "f(Z) changed its argument Z in place" in text and "[ 1. -2.]" in text


def test_unchanged_is_silent_when_inputs_survive():
    """Reading (or copying) the inputs passes."""
    Z = np.array([1.0, np.nan])
    with unchanged("f(Z)", Z=Z):
        _ = Z.copy() * 2


def _loops(W, b, y):
    z = np.zeros(W.shape[0])
    for j in range(W.shape[0]):
        for i in range(W.shape[1]):
            z[j] += W[j, i] * y[i]
    return z + b


def _dot(W, b, y):
    return np.dot(W, y) + b


def test_check_loops_accepts_loops_and_names_a_matrix_product():
    """Explicit loops pass; np.dot (or @) is named with its line."""
    check_loops(_loops, name="affine", why="")
    text = _raised(lambda: check_loops(_dot, name="affine", why="Why."))
    assert "uses `dot` (line 2: return np.dot(W, y) + b)" in text


def test_nonfinite_default_names_no_function():
    """Without nonfinite=, a NaN's cause names neither softmax nor a row maximum."""
    text = message(check_array, np.array([[np.nan, 1.0]]), np.array([[0.5, 0.5]]), name="Y")
    assert "softmax" not in text and "row max" not in text and "log(0)" in text


def test_nonfinite_cause_is_the_callers():
    """The test cell's nonfinite= text replaces the generic cause, for arrays and numbers."""
    text = message(check_array, np.array([np.inf]), np.array([1.0]), name="y", nonfinite="exp(z) at z = 1000")
    assert "Likely cause: exp(z) at z = 1000" in text
    assert "Likely cause: log of the targets" in message(check_scalar, np.inf, 1.0, nonfinite="log of the targets")


def test_coinciding_variants_are_all_named():
    """Two mistakes that give the same numbers are both named, not the first one only."""
    text = message(check_array, X * 0.5, X, name="dW", variants={"one path": X * 0.5, "lost 2": X / 2})
    assert "2 common mistakes" in text and "(1) one path OR (2) lost 2" in text


def _np_sum(W, b, y):
    return np.array([np.sum(W[j] * y) for j in range(len(b))]) + b


def _builtin_sum(W, b, y):
    return np.array([sum(W[j, i] * y[i] for i in range(len(y))) for j in range(len(b))]) + b


def test_check_loops_names_np_sum_but_accepts_builtin_sum():
    """np.sum over a row is a vectorised sum (named); the builtin sum over a generator is a loop."""
    assert "uses `sum`" in _raised(lambda: check_loops(_np_sum, name="affine", why=""))
    check_loops(_builtin_sum, name="affine", why="")
