"""nnlib.checks.comparisons: right answers pass silently; answers of the wrong kind, shape or
value are told so, with rounded values."""

import warnings

import numpy as np
import pytest

from nnlib.checks import check_array, check_scalar, check_shape

from . import RNG, X, message

# The checks run inside notebooks: they must never emit a warning, whatever the answer.
pytestmark = pytest.mark.filterwarnings("error")


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


def test_checks_package_exports_contract():
    """The public names are exactly the contract's."""
    from nnlib import checks
    assert checks.__all__ == ["check_array", "check_scalar", "check_shape", "check_cases",
                              "check_loops", "earlier_answers", "hint_if_failing", "unchanged",
                              "peak_memory", "forbid",
                              "ForbiddenCall", "grading_rng", "check_forward_trace",
                              "forward_trace"]
