"""Tests for nnlib.checks: right answers pass silently, wrong ones explain themselves."""

import math
import warnings

import numpy as np
import pytest

from nnlib import checks
from nnlib.checks import check_array, check_scalar, check_shape, forbid

# The checks run inside notebooks: they must never emit a warning, whatever the answer.
pytestmark = pytest.mark.filterwarnings("error")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))          # a generic (N, D) batch, N = 4
SQUARE = RNG.normal(size=(3, 3))     # not symmetric


def message(check, *args, **kwargs):
    """The AssertionError message of a check that must fail."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- passing answers
@pytest.mark.parametrize("got", [X.copy(), X.astype(np.float32), X + 1e-12],
                         ids=["same", "float32", "within-tolerance"])
def test_check_array_passes_silently(got, capsys):
    """A right array returns None and prints nothing."""
    assert check_array(got, X, name="Z") is None
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("got", [1.5, np.float64(1.5), np.array(1.5), np.float32(1.5)],
                         ids=["float", "np.float64", "0-d", "np.float32"])
def test_check_scalar_passes_silently(got, capsys):
    """Any kind of single number is accepted and nothing is printed."""
    assert check_scalar(got, 1.5) is None
    assert capsys.readouterr() == ("", "")


def test_check_array_accepts_matching_integer_array():
    """Integer arrays with the right values are right answers."""
    check_array(np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]), name="y")


def test_check_shape_passes_and_allows_wildcards():
    """check_shape accepts the exact shape, and None matches any length."""
    check_shape(np.zeros((4, 3)), (4, 3))
    check_shape(np.zeros((7, 3)), (None, 3))


# --------------------------------------------------------------------------- misconceptions
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
    """got = expected * N (N rows) is reported as the missing 1/N with N printed."""
    text = message(check_array, X * 4, X, name="dY")
    assert "c = 4" in text and "1/N" in text and "N = 4" in text


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


def test_none_means_missing_return():
    """None is explained as a function without return."""
    for text in (message(check_array, None, X, name="Z"), message(check_scalar, None, 1.0),
                 message(check_shape, None, (4, 3))):
        assert "None" in text and "return" in text


def test_nan_and_inf_point_at_overflow():
    """NaN or inf entries are counted, located and blamed on overflow / log(0)."""
    bad = X.copy()
    bad[1, 2] = np.nan
    text = message(check_array, bad, X, name="Y")
    assert "NaN" in text and "1 of 12" in text and "(1, 2)" in text and "overflow" in text
    assert "overflow" in message(check_scalar, float("inf"), 1.0)


def test_list_with_right_values_is_named():
    """A Python list with the right values is told to become a numpy array."""
    text = message(check_array, X.tolist(), X, name="Z")
    assert "Python list" in text and "values are right" in text


def test_list_with_wrong_values_still_gets_diagnosed():
    """A wrong list gets both the list note and the value diagnosis."""
    text = message(check_array, (-X).tolist(), X, name="Z")
    assert "sign is flipped" in text and "Python list" in text


def test_scalar_where_array_expected_is_named():
    """A single number for an array is reported, and a total sum recognised."""
    text = message(check_array, float(X.sum()), X, name="Z")
    assert "single number" in text and "sum of ALL" in text


def test_array_where_scalar_expected_is_named():
    """Per-example losses (mean not taken) and size-1 arrays are explained."""
    assert "MEAN" in message(check_scalar, np.array([1.0, 2.0, 3.0]), 2.0)
    assert "single number" in message(check_scalar, np.array([2.0]), 2.0)


def test_wrong_shape_is_reported():
    """A plain wrong shape shows both shapes."""
    text = message(check_array, X[:, :2], X, name="Y")
    assert "(4, 2)" in text and "(4, 3)" in text
    assert "(3, 2)" in message(check_shape, np.zeros((3, 2)), (2, 3))
    assert "transposed" in message(check_shape, np.zeros((3, 2)), (2, 3))
    assert "keepdims" in message(check_shape, np.zeros(4), (4, 1))


def test_caller_variants_win():
    """A caller's variant explanation is used when the answer matches it."""
    wrong = X[::-1]
    text = message(check_array, wrong, X, name="Y", variants={"you reversed the rows": wrong})
    assert "you reversed the rows" in text
    assert "forgot the bias" in message(check_scalar, 1.5, 1.0,
                                        variants={"forgot the bias": 1.5})


def test_no_detection_gives_counts_and_max_error():
    """Without a recognised pattern the message still counts and locates errors."""
    got = X.copy()
    got[2, 1] += 1.0
    text = message(check_array, got, X, name="dW")
    assert "1 of 12 entries" in text and "max abs error: 1 at index (2, 1)" in text
    assert "Likely cause" not in text          # nothing is guessed


def test_integer_truncation_is_named():
    """An integer array that lost fractions is explained by its dtype."""
    assert "integer dtype" in message(check_array, np.array([1, 2]), np.array([1.5, 2.5]), name="y")


def test_boolean_and_object_arrays_are_named():
    """Masks and object arrays are not numbers."""
    assert "boolean" in message(check_array, X > 0, X, name="Y")
    ragged = np.empty(2, dtype=object)
    ragged[:] = [np.zeros(2), np.zeros(3)]
    assert "dtype=object" in message(check_array, ragged, np.zeros(2), name="Y")


def test_layer_object_returned_is_named():
    """Returning a callable (a layer or a function) instead of its output is explained."""
    assert "instead of calling it" in message(check_array, len, X, name="Z")


def test_all_zeros_is_named():
    """An all-zero answer is explained as never filled in."""
    assert "all zeros" in message(check_array, np.zeros_like(X), X, name="dW")


def test_large_arrays_are_summarised():
    """Large arrays are summarised, keeping the message short."""
    big = RNG.normal(size=(50, 40))
    got = big.copy()
    got[3, 4] += 1
    text = message(check_array, got, big, name="dW")
    assert "..." in text and "min " in text and len(text) < 2500


def test_messages_are_rounded():
    """Values are shown rounded, not with 17 digits."""
    text = message(check_scalar, 1 / 3, 2 / 3, name="p")
    assert "0.333333" in text and "0.3333333333" not in text


def test_checks_ignore_monkeypatched_numpy(monkeypatch):
    """Rebinding np.isclose/np.allclose after import does not make a wrong answer pass."""
    monkeypatch.setattr(np, "isclose", lambda *a, **k: np.ones(np.shape(a[0]), dtype=bool))
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    with pytest.raises(AssertionError):
        check_array(X + 1, X, name="Z")


def test_checks_emit_no_warnings_on_overflowing_answers():
    """Comparisons with inf/NaN/huge values raise AssertionError only, no RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for got in (np.full_like(X, np.inf), np.full_like(X, 1e308), np.full_like(X, np.nan)):
            with pytest.raises(AssertionError):
                check_array(got, X * 1e300, name="Z")


# --------------------------------------------------------------------------- forbid
class Base:
    def __call__(self, x):
        return self.forward(x)


class Doubler(Base):
    def __init__(self):
        super().__init__()                      # gives __init__ a __class__ free variable
        self.factor = 2

    def forward(self, x):
        return self.factor * x

    def backward(self, d):
        return self.factor * d


class Other(Base):
    def forward(self, x):
        return x


def double(x):
    return 2 * x


def make_closure():
    k = 5

    def times_k(x):
        return k * x
    return times_k


times_k = make_closure()


def test_forbid_blocks_direct_calls_and_aliases():
    """A forbidden function raises when called by name or through an alias held earlier."""
    alias = double
    with forbid(double):
        with pytest.raises(AssertionError, match="write double yourself"):
            double(1)
        with pytest.raises(AssertionError, match="earns no credit"):
            alias(1)
    assert double(1) == 2 and alias(1) == 2


def test_forbid_handles_closures():
    """Functions with free variables (closures) are forbidden and restored."""
    with forbid(times_k):
        with pytest.raises(AssertionError):
            times_k(1)
    assert times_k(1) == 5


def test_forbid_blocks_class_instances_and_methods():
    """A forbidden class cannot be built, and instances made before cannot be used."""
    old = Doubler()
    bound = old.forward
    with forbid(Doubler, reason="Multiply by 2 yourself."):
        for call in (Doubler, lambda: old(1), lambda: old.forward(1), lambda: bound(1),
                     lambda: old.backward(1)):
            with pytest.raises(AssertionError, match="Multiply by 2 yourself"):
                call()
        assert Other()(7) == 7                  # the shared base class is untouched
    assert Doubler()(3) == 6 and bound(1) == 2 and old.backward(1) == 2


def test_forbid_class_catches_inherited_bound_aliases():
    """A bound alias of an inherited method, taken before the block, trips for that class only."""
    d, o = Doubler(), Other()
    call_d, call_o = d.__call__, o.__call__         # Base.__call__, shared
    with forbid(Doubler):
        with pytest.raises(AssertionError):
            call_d(1)
        assert call_o(5) == 5
    assert call_d(1) == 2


def test_forbid_inherited_method_by_dotted_name():
    """'module.Class.method' for an inherited method blocks it for that class only."""
    with forbid(f"{__name__}.Doubler.__call__"):
        with pytest.raises(AssertionError, match="Doubler.__call__"):
            Doubler()(1)
        assert Other()(4) == 4
    assert Doubler()(1) == 2


def test_forbid_single_method():
    """Forbidding one method (via the class or a bound method) leaves the others usable."""
    d = Doubler()
    with forbid(Doubler.forward):
        with pytest.raises(AssertionError, match="Doubler.forward"):
            d(1)
        assert d.backward(1) == 2
    with forbid(d.backward):
        with pytest.raises(AssertionError):
            Doubler().backward(1)
    assert d(1) == 2 and d.backward(1) == 2


def test_forbid_restores_after_exception():
    """Everything is restored even when the block raises."""
    with pytest.raises(ZeroDivisionError):
        with forbid(double, Doubler):
            1 / 0
    assert double(2) == 4 and Doubler()(2) == 4


def test_forbid_is_reentrant():
    """Nested forbids of the same target, even the same object, unwind correctly."""
    guard = forbid(double)
    with guard:
        with guard:
            with forbid(double):
                with pytest.raises(AssertionError):
                    double(1)
            with pytest.raises(AssertionError):
                double(1)
        with pytest.raises(AssertionError):
            double(1)
    assert double(1) == 2


def test_forbid_dotted_names():
    """Dotted names resolve; Python functions and builtins are both blocked and restored."""
    with forbid("nnlib.checks.check_shape"):
        with pytest.raises(AssertionError, match="check_shape"):
            check_shape(np.zeros(2), (2,))
    check_shape(np.zeros(2), (2,))
    with forbid("math.sqrt"):
        with pytest.raises(AssertionError, match="sqrt"):
            math.sqrt(4.0)
    assert math.sqrt(4.0) == 2.0


def test_forbid_with_reason_is_neutral():
    """With a reason the message is neutral: a helper is not something to "write yourself"."""
    with forbid(Doubler, double, reason="Multiply the path products yourself."):
        for call in (lambda: Doubler()(1), lambda: double(1)):
            with pytest.raises(AssertionError) as info:
                call()
            text = str(info.value)
            assert text.startswith("This exercise must not use nnlib's ")
            assert text.endswith(": Multiply the path products yourself.")
            assert "yourself —" not in text and "earns no credit" not in text


def test_forbid_message_replaces_the_whole_text():
    """message= is the whole text, for functions, classes and per-instance method gates."""
    text = "Use your own influence diagram here."
    with forbid(double, Doubler, Public.forward, f"{__name__}.Sibling.forward", "math.sqrt",
                message=text):
        for call in (lambda: double(1), lambda: Doubler()(1), lambda: Public().forward(1),
                     lambda: Sibling().forward(1), lambda: math.sqrt(4.0)):
            with pytest.raises(AssertionError) as info:
                call()
            assert str(info.value) == text
    assert double(1) == 2 and Public().forward(1) == 1


def test_forbid_message_and_reason_together_is_the_authors_error():
    """Giving both message= and reason= (or a non-string message) is a TypeError."""
    with pytest.raises(TypeError, match="not both"):
        forbid(double, reason="a", message="b")
    with pytest.raises(TypeError, match="string"):
        forbid(double, message=42)


def test_forbid_bad_target_is_a_clear_error():
    """Unknown names fail loudly for the test author (not as a student AssertionError)."""
    with pytest.raises(ValueError, match="cannot find"):
        with forbid("nnlib.checks.no_such_thing"):
            pass
    with pytest.raises(TypeError):
        with forbid(42):
            pass


class _PrivateBase:
    def forward(self, x):
        return x


class Public(_PrivateBase):
    pass


class Sibling(_PrivateBase):
    pass


def test_forbid_method_of_private_base_names_the_instance_class():
    """Public.forward as an object is _PrivateBase.forward: blocked for all, named per class."""
    with forbid(Public.forward):
        with pytest.raises(AssertionError, match="write Public.forward yourself"):
            Public().forward(1)
        with pytest.raises(AssertionError, match="write Sibling.forward yourself"):
            Sibling().forward(1)
    with forbid(f"{__name__}.Public.forward"):
        assert Sibling().forward(2) == 2       # the string form blocks Public only
        with pytest.raises(AssertionError, match="Public.forward"):
            Public().forward(1)
    assert Public().forward(1) == 1


def test_forbid_failed_enter_restores():
    """If one target cannot be resolved, the ones already patched are restored."""
    with pytest.raises(ValueError):
        with forbid(double, "nnlib.checks.no_such_thing"):
            pass
    assert double(1) == 2


def test_checks_module_exports_contract():
    """The public names are exactly the contract's."""
    assert checks.__all__ == ["check_array", "check_scalar", "check_shape", "forbid"]
