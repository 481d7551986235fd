"""nnlib.checks.misconceptions: a wrong answer that equals a known wrong variant is named, and
nothing is guessed."""


import numpy as np
import pytest

from nnlib.checks import check_array, check_scalar

from . import SQUARE, X, message

# The checks run inside notebooks: they must never emit a warning, whatever the answer.
pytestmark = pytest.mark.filterwarnings("error")


def test_transposed_shape_is_named():
    """A transposed answer of the transposed shape is recognised as such."""
    text = message(check_array, X.T, X, name="dW")
    assert "transposed" in text and "(3, 4)" in text and "(4, 3)" in text


def test_transposed_square_values_are_named():
    """A square answer equal to the expected transpose is recognised."""
    assert "transposed" in message(check_array, SQUARE.T, SQUARE, name="dW")


def test_sign_flip_is_named():
    """got = -expected is reported as a flipped sign."""
    assert "sign is flipped" in message(check_array, -X, X, name="dZ")
    assert "sign is flipped" in message(check_scalar, -2.5, 2.5)


def test_missing_one_over_n_is_named_with_n():
    """got = expected * N, with the batch size N given, is reported as the missing 1/N."""
    text = message(check_array, X * 4, X, name="dY", batch_size=4)
    assert "c = 4" in text and "1/N" in text and "N = 4" in text


def test_factor_is_not_blamed_on_rows_without_batch_size():
    """Without batch_size the rows are not taken for examples: a factor 2 on a 2-row dW (rows =
    neurons) or a 4 on 4 rows names no 1/N (04 (b): a diagonal-only softmax Jacobian was told
    "with N = 2 examples it may be a missing 1/N" for one example with two outputs)."""
    two_rows = np.array([[0.1, -0.3, 0.2, 0.05], [-0.1, 0.3, -0.2, -0.05]])
    assert "1/N" not in message(check_array, two_rows * 2, two_rows, name="dW")
    assert "N = 4" not in message(check_array, X * 4, X, name="dY")


def test_arbitrary_constant_factor_is_printed():
    """Any constant factor common to all entries of an array is detected and its value shown."""
    text = message(check_array, X * 0.37, X, name="dW")
    assert "constant c = 0.37" in text


@pytest.mark.parametrize("got, expected", [(1.3, 1.0), (0.3, 0.5), (1.0176 * 1.37, 1.0176),
                                           (5 * 1.0176, 1.0176)],
                         ids=["13/10", "3/5", "1.37", "5-without-batch-size"])
def test_scalar_ratio_is_not_called_a_factor(got, expected):
    """Two numbers are always multiples: an arbitrary ratio (even 3/5) names no factor or cause."""
    text = message(check_scalar, got, expected)
    assert "times" not in text and "constant" not in text and "Likely cause" not in text
    assert "it differs from the expected value" in text


@pytest.mark.parametrize("factor, shown, cause", [
    (2.0, "exactly 2 times", "square"), (0.5, "exactly 0.5 (= 1/2) times", "square"),
    (-2.0, "exactly -2 times", "sign is flipped as well"), (3.0, "exactly 3 times", "counted 3"),
    (0.25, "exactly 0.25 (= 1/4) times", "counted 4")])
def test_scalar_meaningful_factor_is_named(factor, shown, cause):
    """A factor 2, 1/2, 3, 1/4 (either sign) between two numbers is named with a cause."""
    text = message(check_scalar, factor * 1.0176, 1.0176)
    assert shown in text and cause in text


@pytest.mark.parametrize("factor", [5.0, 1 / 5, -5.0])
def test_scalar_factor_n_needs_the_batch_size(factor):
    """N or 1/N between two numbers is named as the mean over the batch when N is passed."""
    text = message(check_scalar, factor * 1.0176, 1.0176, batch_size=5)
    assert "N = 5" in text and "1/N" in text and "MEAN" in text


@pytest.mark.parametrize("batch_size", [0, 2.5, True, "4"])
def test_scalar_bad_batch_size_is_the_authors_error(batch_size):
    """A batch_size that is not a positive whole number is a TypeError, even for a right answer."""
    with pytest.raises(TypeError, match="batch_size"):
        check_scalar(1.0, 1.0, batch_size=batch_size)


def test_one_or_two_entry_arrays_get_no_arbitrary_factor():
    """Arrays of one or two entries are treated like numbers: only meaningful factors are named."""
    text = message(check_array, np.array([1.37]), np.array([1.0]), name="y")
    assert "constant" not in text and "Likely cause" not in text
    text = message(check_array, np.array([1.37, 0.685]), np.array([1.0, 0.5]), name="y")
    assert "constant" not in text and "Likely cause" not in text
    assert "constant c = 2" in message(check_array, np.array([2.0, -1.0]), np.array([1.0, -0.5]))


def test_no_factor_claimed_for_arbitrary_wrong_number():
    """A wrong single number is not called a 'constant factor' unless the factor is simple."""
    text = message(check_scalar, 1.37, 1.0)
    assert "constant" not in text and "Likely cause" not in text


def test_factor_two_mentions_the_square():
    """A factor 2 points at the derivative of a square."""
    assert "square" in message(check_array, 2 * X, X, name="dY")


def test_missing_bias_is_named():
    """The same vector added to every row is reported as a bias problem."""
    b = np.array([0.5, -1.0, 2.0])
    text = message(check_array, X - b, X, name="Z")
    assert "bias" in text and "same vector" in text


def test_lost_keepdims_same_values_is_named():
    """Right values in shape (N,) instead of (N, 1) point at keepdims."""
    s = X.sum(axis=1)
    assert "keepdims" in message(check_array, s, s[:, None], name="s")


def test_broadcast_to_square_is_named():
    """An (n, n) array from (n,) + (n, 1) broadcasting is explained."""
    s = X.sum(axis=1)
    text = message(check_array, s[:, None] + s[None, :], s[:, None], name="s")
    assert "broadcast" in text and "keepdims" in text


def test_division_along_wrong_axis_is_named():
    """Softmax divided by row sums along the wrong axis (square input) is recognised."""
    E = np.exp(SQUARE)
    wrong = E / E.sum(axis=1)                   # (n,) broadcasts across columns
    right = E / E.sum(axis=1, keepdims=True)
    text = message(check_array, wrong, right, name="Y")
    assert "wrong axis" in text and "keepdims" in text


def test_subtraction_along_wrong_axis_is_named():
    """Centering with a row mean along the wrong axis (square input) is recognised."""
    wrong = SQUARE - SQUARE.mean(axis=1)
    right = SQUARE - SQUARE.mean(axis=1, keepdims=True)
    assert "wrong axis" in message(check_array, wrong, right, name="Xc")


def test_missing_sum_over_batch_is_named():
    """db returned per example instead of summed over axis 0 is recognised."""
    text = message(check_array, X, X.sum(axis=0), name="db")
    assert "axis 0" in text and "sum" in text


def test_tiny_scalar_variants_are_told_apart():
    """Values far below 1e-8 are compared relative to their size: h = 1e-14 is not 3.6e-12."""
    variants = {"you returned the step h, not the error": 1e-14}
    kwargs = dict(name="error", rtol=1e-12, atol=1e-30, variants=variants)
    text = message(check_scalar, 3.6e-12, 1e-13, **kwargs)
    assert "common mistake" not in text and "Likely cause" not in text
    assert "you returned the step h" in message(check_scalar, 1e-14, 1e-13, **kwargs)


def test_tiny_array_variants_are_told_apart():
    """Built-in and caller variants of arrays of size ~1e-12 are still recognised, and only they."""
    tiny = 1e-12 * X
    assert "sign is flipped" in message(check_array, -tiny, tiny, atol=1e-30)
    assert "transposed" in message(check_array, 1e-12 * SQUARE.T, 1e-12 * SQUARE, atol=1e-30)
    text = message(check_array, np.full(X.shape, 1e-14), tiny, atol=1e-30)
    assert "zeros" not in text and "Likely cause" not in text
    hs = np.full(X.shape, 1e-14)
    variants = {"the steps h, not the errors": hs}
    text = message(check_array, 3.6e-12 + 0 * X, tiny, atol=1e-30, variants=variants)
    assert "common mistake" not in text
    assert "the steps h" in message(check_array, hs.copy(), tiny, atol=1e-30, variants=variants)


def test_slightly_off_two_by_two_gets_no_structural_cause():
    """Regression: a 2x2 numerical estimate (expected + 1e-5 noise) is only 'values differ'."""
    expected = np.array([[0.2, -0.7], [0.4, 1.3]])
    rng = np.random.default_rng(7)          # the seed that was once called "scaled r_i / r_j"
    for _ in range(200):
        text = message(check_array, expected + 1e-5 * rng.normal(size=(2, 2)), expected,
                       name="J")
        assert "entries differ from the expected values" in text
        assert "Likely cause" not in text and "diagonal" not in text


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (3, 3), (4, 3), (2,), (3,), (5,)])
@pytest.mark.parametrize("noise", [1e-4, 1e-5, 1e-6])
def test_slightly_off_answers_get_no_cause(shape, noise):
    """Answers a little off (relative or absolute noise) never get a misconception named."""
    rng = np.random.default_rng(1)
    failed = 0
    for trial in range(60):
        expected = rng.normal(size=shape)
        jitter = noise * rng.normal(size=shape)
        got = expected * (1 + jitter) if trial % 2 else expected + jitter
        try:
            check_array(got, expected)
        except AssertionError as error:             # some tiny jitters pass: that is fine
            failed += 1
            assert "Likely cause" not in str(error)
    assert failed >= 30                             # the question was asked


def test_exact_structural_mistakes_on_two_by_two_are_still_named():
    """The tightened heuristics still name exact mistakes on the smallest square arrays."""
    E = np.exp(np.array([[0.5, -1.0], [2.0, 0.25]]))
    right = E / E.sum(axis=1, keepdims=True)
    assert "scaled by a factor r_i / r_j" in message(check_array, E / E.sum(axis=1), right)
    Z = np.array([[0.5, -1.0], [2.0, 0.25]])
    right = Z - Z.max(axis=1, keepdims=True)
    assert "shifted by s_i - s_j" in message(check_array, Z - Z.max(axis=1), right)


def test_all_zeros_is_named():
    """An all-zero answer is explained as never filled in."""
    assert "all zeros" in message(check_array, np.zeros_like(X), X, name="dW")


def test_a_factor_of_one_over_ln_10_is_a_change_of_logarithm():
    expected = np.array([0.2, 0.5, 1.5, 3.0])
    text = message(check_array, expected / np.log(10), expected, name="dL")
    assert "1/ln 10" in text and "log10 where the natural log is meant" in text


def test_a_factor_of_two_names_no_single_source():
    expected = np.array([0.2, -0.5, 1.5, 3.0])
    text = message(check_array, 2 * expected, expected, name="dy")
    assert "factor 2 too many or too few" in text and "this loss" not in text


def test_a_flattened_answer_is_not_blamed_on_a_reduction():
    expected = np.arange(6.0).reshape(2, 3)
    text = message(check_array, expected.ravel(), expected, name="f'(X)")
    assert "keepdims" not in text and "flattened" in text
    column = np.arange(3.0).reshape(3, 1)
    assert "keepdims" in message(check_array, column.ravel(), column, name="s")


def test_all_zeros_lists_every_mechanism_not_one():
    text = message(check_scalar, 0, 0.75, name="accuracy")
    assert "integer division" in text and "never filled in" in text
