"""``grading_rng``: where a hidden test takes its inputs from, fresh at every grading.

A hidden test's inputs must not be the same at the next grading: a student whose code recorded
them once (and printed them into a later cell's output, which their feedback shows) would
otherwise know what to answer.  So a hidden test draws them from ``grading_rng()``.  When the
grader runs the test (in its trusted checker, never in the student's process), it seeds these
generators from a secret drawn afresh for every grading and kept in the result, so an instructor
can reproduce a grading's inputs; anywhere else (the source notebook under nbval, an instructor's
own run) they come from ``NNLIB_TEST_SEED``, or a fixed seed, so runs repeat exactly.
"""

from __future__ import annotations

import os
import zlib

DEFAULT_SEED = 20260607
_state = {"seed": None, "test": "", "count": 0}


def seed_grading(seed, test=""):
    """Seed the generators of test cell ``test`` (the grader calls this before each test)."""
    _state.update(seed=int(seed), test=str(test), count=0)


def grading_rng():
    """A fresh numpy Generator for a hidden test's inputs (see the module docstring).

    Each call in a test cell gives another generator, the same ones at every run of the same
    seed: the test's inputs are reproducible from the seed, and differ between gradings.

    >>> seed_grading(1, "test_x")
    >>> a = grading_rng().normal(size=3)
    >>> seed_grading(1, "test_x")
    >>> bool((grading_rng().normal(size=3) == a).all())
    True
    >>> seed_grading(2, "test_x")
    >>> bool((grading_rng().normal(size=3) == a).all())
    False
    """
    import numpy as np
    seed = _state["seed"]
    if seed is None:
        seed = int(os.environ.get("NNLIB_TEST_SEED", DEFAULT_SEED))
    _state["count"] += 1
    return np.random.default_rng([seed, zlib.crc32(_state["test"].encode()), _state["count"]])
