"""Tests for nnlib.lessons.tangent: the numbers of the tangent approximation Δy ≈ f'(x)·Δx."""

import math

import numpy as np
import pytest

from nnlib.lessons.tangent import tangent_approximation


def f(x):
    return x ** 2 + np.sin(x)


def df(x):
    return 2 * x + np.cos(x)


def test_tangent_numbers():
    """Δy, dy/dx·Δx and their difference for x² + sin x at x = 1, Δx = 0.5."""
    t = tangent_approximation(f, df, 1.0, 0.5)
    assert t.true_change == pytest.approx(1.5 ** 2 + math.sin(1.5) - 1 - math.sin(1.0), rel=1e-12)
    assert t.linear_change == pytest.approx((2 + math.cos(1.0)) * 0.5, rel=1e-12)
    assert t.error == pytest.approx(t.true_change - t.linear_change, rel=1e-12)


def test_tangent_error_shrinks_like_dx_squared():
    """Halving Δx divides the tangent error by about 4 (it is second order)."""
    e1 = tangent_approximation(f, df, 1.0, 1e-2).error
    e2 = tangent_approximation(f, df, 1.0, 5e-3).error
    assert e1 / e2 == pytest.approx(4.0, rel=0.02)


def test_relative_error_when_nothing_changes():
    """A zero change with a zero error has relative error 0, not a division by zero."""
    t = tangent_approximation(lambda x: 0 * x, lambda x: 0 * x, 1.0, 0.5)
    assert t.relative_error == 0.0
