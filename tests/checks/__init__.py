"""Tests for nnlib.checks, one module per module of the package; shared answers and helper."""

import numpy as np
import pytest

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))          # a generic (N, D) batch, N = 4
SQUARE = RNG.normal(size=(3, 3))     # not symmetric


def message(check, *args, **kwargs):
    """The AssertionError message of a check that must fail."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)
