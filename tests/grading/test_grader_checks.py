"""autograder.checks and autograder.reference: the grader-only helpers hidden tests may use."""

import doctest

import numpy as np
import pytest

import autograder.checker.checks
import autograder.checker.reference
from autograder.checker.checks import assert_close
from autograder.checker import reference


@pytest.mark.parametrize("module", [autograder.checker.checks, autograder.checker.reference])
def test_docstring_examples(module):
    """The examples in the modules' docstrings run as written."""
    assert doctest.testmod(module).failed == 0


def test_assert_close_ignores_a_patched_numpy(monkeypatch):
    """Rebinding numpy's comparisons does not make a wrong answer pass."""
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    with pytest.raises(AssertionError, match="hidden test: Z is not right"):
        assert_close(np.array([[1.0, 2.0]]), [[1.0, 2.5]], what="Z")
    with pytest.raises(AssertionError, match="shape"):
        assert_close(np.array([1.0, 2.0]), [[1.0, 2.0]])
    with pytest.raises(AssertionError):
        assert_close(np.array([np.nan]), [1.0])


def test_reference_agrees_with_numpy_formulas():
    """The loop-by-loop references match the vectorised formulas (stable softmax on big logits)."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((3, 4))
    np.testing.assert_allclose(reference.softmax(Z), np.exp(Z) / np.exp(Z).sum(1, keepdims=True),
                               rtol=1e-12)
    np.testing.assert_allclose(reference.softmax([[1000.0, 1000.0]]), [[0.5, 0.5]], rtol=1e-12)
    np.testing.assert_allclose(reference.sigmoid([[-1000.0, 0.0]]), [[0.0, 0.5]], atol=1e-300)
    W, b, Y = rng.standard_normal((2, 4)), rng.standard_normal(2), rng.standard_normal((3, 4))
    np.testing.assert_allclose(reference.linear(Y, W, b), Y @ W.T + b, rtol=1e-12)
    D = np.eye(4)[:3]
    P = np.asarray(reference.softmax(Z))
    assert reference.cross_entropy(P, D) == pytest.approx(-np.mean(np.sum(D * np.log(P), 1)), rel=1e-12)
    assert reference.squared_error(P, D) == pytest.approx(np.mean(np.sum((P - D) ** 2, 1)), rel=1e-12)
    np.testing.assert_allclose(reference.relu([[-1.0, 2.0]]), [[0.0, 2.0]])
