"""What the review of the fresh set found, entry by entry (ids of ``fresh_0N.WRONG``/``CORRECT``).

The fresh set (``fresh_0N.py``) was written by a helper who saw only the student notebooks -- not
the checks, not the catalogue: for every graded test, wrong answers as a student would write them
(each with the mistake it makes), and correct answers in unusual styles.  Its messages were then
read one by one.  ``WRONG_CAUSES`` keeps, for the entries that once got a wrong diagnosis, the
phrase of that wrong cause (it must never come back).  ``OPEN`` lists the entries whose message is
still bare, or that a test still accepts, with why: each is an expected failure of the fresh-set
test (strict: it fails as soon as it is fixed, so that it is taken off this list).
"""

WRONG_CAUSES = {
    # a factor 2 blamed on the square of a loss, for a chain-rule derivative that lost the 2 of 2x
    ("01", "dee-dropped-2"): ("this loss",),
    # a flattened answer blamed on a reduction that lost keepdims
    ("01", "cd-flattens-shape"): ("keepdims",),
    # an integer division blamed on "never filled in" alone
    ("06", "acc-integer-division"): ("was never filled in or accumulated (np.zeros(...) returned as is), or",),
    # "answer exercise (a) first" although (a) is right (it was called with a 1-D z)
    ("05", "sj5-1d-into-batch"): ("Answer exercise (a), stable_softmax first",),
    # "levelled off: try more hidden units" for a run whose steps were far too small
    ("06", "hp-lr-too-small"): ("more hidden units", "levelled off"),
}

OPEN = {
    ("03", "gow-wrong-index"): "h1[j] for h1[i]: no variant of test_grad_output_weight reproduces it, and "
                               "a single number cannot show where the index went wrong",
    ("03", "bl-hid-y1-as-input"): "dW1 with y1 for x: test_backward_loops_hidden has no variant for it yet",
    ("04", "bb-one-jacobian"): "the first example's Jacobian for every row: test_backward_batch has no "
                               "variant for it and a gradient summed over the batch hides which row",
}
