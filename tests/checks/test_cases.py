"""check_cases: a cause is named only when it reproduces the answer on every input tried."""

import numpy as np
import pytest

from nnlib.checks import check_cases, forbid, ForbiddenCall

W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
b = np.array([0.3, -2.0])
INPUTS = {"the first input": (W, b, np.array([1.0, -2.0, 0.5])),
          "a second input": (W * 2 - 1, b[::-1].copy(), np.array([-0.3, 0.7, 2.0]))}


def affine(W, b, y):
    return W @ y + b


def relu_affine(W, b, y):
    return np.maximum(W @ y + b, 0.0)


def fails(answer, **kwargs):
    kwargs.setdefault("name", "z")
    with pytest.raises(AssertionError) as info:
        check_cases(answer, affine, INPUTS, **kwargs)
    return str(info.value)


def test_a_right_answer_passes_silently():
    assert check_cases(lambda W, b, y: np.einsum("ji,i->j", W, y) + b, affine, INPUTS,
                       name="z") is None


def test_a_variant_that_reproduces_every_input_is_named():
    text = fails(lambda W, b, y: W @ y, variants={"the bias is missing": lambda W, b, y: W @ y})
    assert "Likely cause: the bias is missing" in text
    assert "wrong on 2 of 2 inputs tried" in text


def test_a_variant_that_fits_one_input_only_is_not_named():
    # the answer drops the bias on the first input only: "bias missing" does not explain input 2
    def answer(W, b, y):
        return W @ y if y[0] > 0 else W @ y + 2 * b
    text = fails(answer, variants={"the bias is missing": lambda W, b, y: W @ y})
    assert "bias is missing" not in text
    assert "No single cause fits every input tried" in text


def test_one_input_is_no_evidence_even_when_the_other_cannot_tell():
    # ReLU applied: on an input whose z are all positive, it is indistinguishable from the right
    # answer; one input alone where it differs is not enough to name it
    inputs = {"all z > 0": (np.eye(2), np.array([1.0, 2.0]), np.array([1.0, 1.0])),
              "some z < 0": (np.eye(2), np.array([-3.0, 2.0]), np.array([1.0, 1.0]))}
    with pytest.raises(AssertionError) as info:
        check_cases(relu_affine, affine, inputs, name="z",
                    variants={"a ReLU was applied": relu_affine})
    text = str(info.value)
    assert "ReLU" not in text and "No single cause fits" in text
    assert "It is right on: all z > 0" in text


def test_a_variant_with_two_distinguishing_inputs_is_named():
    inputs = {"z = [-2, 3]": (np.eye(2), np.array([-3.0, 2.0]), np.array([1.0, 1.0])),
              "z = [3, -1]": (np.eye(2), np.array([2.0, -2.0]), np.array([1.0, 1.0])),
              "z > 0": (np.eye(2), np.array([1.0, 2.0]), np.array([1.0, 1.0]))}
    with pytest.raises(AssertionError) as info:
        check_cases(relu_affine, affine, inputs, name="z",
                    variants={"a ReLU was applied": relu_affine})
    assert "Likely cause: a ReLU was applied" in str(info.value)


def test_two_variants_that_both_fit_are_both_named():
    text = fails(lambda W, b, y: W @ y, variants={"the bias is missing": lambda W, b, y: W @ y,
                                                  "b was left out": lambda W, b, y: W @ y})
    assert "(1) the bias is missing OR (2) b was left out" in text


def test_a_factor_that_changes_with_the_input_names_no_cause():
    # 2 * (sum of y) * z: exactly 2x on an input whose y sums to 1, not on the other
    inputs = {"y sums to 1": (W, b, np.array([0.5, 0.25, 0.25])),
              "y sums to 3": (W, b, np.array([1.0, 1.0, 1.0]))}
    with pytest.raises(AssertionError) as info:
        check_cases(lambda W, b, y: 2 * y.sum() * (W @ y + b), affine, inputs, name="z")
    text = str(info.value)
    assert "square" not in text and "factor" not in text.split("Likely cause")[-1]
    assert "No single cause fits every input tried" in text


def test_the_same_factor_on_every_input_is_named():
    text = fails(lambda W, b, y: 2 * (W @ y + b))
    assert "times the expected value" not in text or "on every input" in text
    assert "2 times" in text or "c = 2" in text


def test_a_flipped_sign_on_every_input_is_named():
    assert "sign is flipped" in fails(lambda W, b, y: -(W @ y + b))


def test_a_factor_of_n_needs_the_batch_size_of_each_input():
    inputs = {"N = 3": (np.arange(6.0).reshape(3, 2),), "N = 5": (np.arange(10.0).reshape(5, 2) - 4,)}
    with pytest.raises(AssertionError) as info:
        check_cases(lambda X: X.sum(axis=0), lambda X: X.mean(axis=0), inputs, name="mean",
                    batch_size=lambda X: X.shape[0])
    assert "1/N" in str(info.value) and "N times the expected" in str(info.value)


def test_an_index_shifted_by_one_is_named():
    inputs = {"x = 1..5": (np.arange(1.0, 6.0),), "x = squares": (np.arange(1.0, 6.0) ** 2,)}
    with pytest.raises(AssertionError) as info:
        check_cases(lambda x: np.roll(np.cumsum(x), 1), np.cumsum, inputs, name="running sum")
    assert "off-by-one" in str(info.value)


def test_an_input_returned_as_is_is_named():
    inputs = {"a": (np.array([1.0, -2.0, 3.0]),), "b": (np.array([0.5, 4.0, -1.0]),)}
    with pytest.raises(AssertionError) as info:
        check_cases(lambda z: z, lambda z: np.tanh(z), inputs, name="tanh(z)")
    assert "It equals the argument z as it was given" in str(info.value)


def test_the_difference_is_located_by_the_tests_own_mask():
    inputs = {"one": (np.array([1.0, -2.0, 3.0, -0.5]),), "two": (np.array([-1.0, 2.0, 0.5, 4.0]),)}
    with pytest.raises(AssertionError) as info:
        check_cases(lambda z: np.abs(z), lambda z: z, inputs, name="y", where={"z < 0": lambda z: z < 0})
    text = str(info.value)
    assert "Where: exactly the entries where z < 0 are wrong" in text
    assert "No single cause fits" in text


@pytest.mark.parametrize("answer, phrase", [
    (lambda A: np.vstack([A[:-1], A[-1:] + 1]), "only the last row is wrong"),
    (lambda A: np.hstack([A[:, :1] * 3, A[:, 1:]]), "only the first column is wrong"),
    (lambda A: A + np.diag(np.arange(1.0, 4.0)), "only the diagonal is wrong"),
])
def test_the_pattern_of_the_difference_is_described(answer, phrase):
    rng = np.random.default_rng(0)
    inputs = {"A": (rng.normal(size=(3, 3)),), "B": (rng.normal(size=(3, 3)),)}
    with pytest.raises(AssertionError) as info:
        check_cases(answer, lambda A: A.copy(), inputs, name="Y")
    assert phrase in str(info.value)


def test_a_crash_names_the_input_the_line_and_the_shapes():
    def answer(W, b, y):
        z = y @ W + b
        return z
    text = fails(answer)
    line = answer.__code__.co_firstlineno + 1       # the line as the file (or cell) numbers it
    assert "z is not right: it raised ValueError on the first input" in text
    assert f"your line {line}: z = y @ W + b" in text
    assert "W of shape (2, 3), b of shape (2,), y of shape (3,)" in text
    assert "inner dimensions of a matrix product" in text
    assert "Traceback" not in text


def test_a_mistake_that_also_crashes_where_the_answer_crashes_is_named():
    """W used transposed: wrong values on square layers, an error on the others -- as the
    mistake itself does; named, with the crash shown."""
    rng = np.random.default_rng(1)
    inputs = {f"{n} x {m}": (rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=m))
              for n, m in [(2, 2), (3, 3), (3, 2)]}

    def transposed(W, b, y):
        return W.T @ y + b
    with pytest.raises(AssertionError) as info:
        check_cases(transposed, affine, inputs, name="z",
                    variants={"W used in the notes' layout": transposed})
    text = str(info.value)
    assert "raised ValueError on 3 x 2" in text and "is wrong on 2 x 2, 3 x 3" in text
    assert "Likely cause: W used in the notes' layout" in text


def test_a_crash_on_one_input_says_how_the_others_went():
    def answer(W, b, y):
        if y[0] < 0:
            raise IndexError("index 3 is out of bounds for axis 0 with size 3")
        return W @ y + b
    text = fails(answer)
    assert "it raised IndexError on a second input" in text
    assert "On the other inputs it is right on the first input" in text
    assert "range() bounds" in text


def test_an_unanswered_stub_says_so():
    def answer(W, b, y):
        raise NotImplementedError()
    assert "the stub is still there" in fails(answer)


def test_inputs_are_copies_and_an_in_place_change_is_reported():
    def answer(W, b, y):
        y *= 2
        return W @ (y / 2) + b
    before = INPUTS["the first input"][2].copy()
    assert "its values are right, but it changed its argument y in place" in fails(answer)
    assert np.array_equal(INPUTS["the first input"][2], before)   # the test's arrays: untouched

    def wrong(W, b, y):
        y *= 2
        return W @ y
    assert "changed its argument y in place" in fails(wrong)


def test_a_non_array_answer_is_labelled_with_its_input():
    text = fails(lambda W, b, y: None)
    assert "(on the first input)" in text.splitlines()[0]


def test_a_forbidden_call_is_the_message():
    import nnlib
    with pytest.raises(ForbiddenCall):
        check_cases(lambda W, b, y: nnlib.activations.sigmoid(y), affine, INPUTS, name="z",
                    within=lambda: forbid(nnlib.activations.sigmoid))


def test_one_input_is_refused():
    with pytest.raises(TypeError, match="at least 2 inputs"):
        check_cases(affine, affine, {"one": INPUTS["the first input"]}, name="z")
