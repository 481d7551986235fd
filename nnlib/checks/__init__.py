"""Answer checks for the notebooks: a wrong answer fails with a message that says why.

Every check raises ``AssertionError`` when the answer is wrong and returns ``None``
silently when it is right.  The message says what was checked, shows the expected
and the received values (compact and rounded: small arrays whole, large ones
summarised), their shapes, the largest absolute error, and — when it can be
*detected* — the likely misconception.  A misconception is only named when the
answer actually matches a wrong variant of the expected value; nothing is guessed.
"Matches" means: equal within a tolerance relative to the size of the values (so
1e-14 and 3.6e-12 are different), with the variant itself far outside that tolerance
of the right answer (so an answer that is merely a little off, such as a numerical
estimate, is reported as "values differ" with no cause), and a variant fitted to the
answer (a factor, a shift) met at the caller's own tolerance.

Built-in wrong variants (tried after the caller's own ``variants``):

- ``None`` (a function without ``return``), a Python list or tuple, a single
  number where an array was expected, an object, boolean or complex array;
- NaN or inf (overflow in ``exp``, ``log(0)``, ``0 * inf``);
- the transpose (shape or values), the negation (sign flipped);
- a constant factor ``c`` common to all entries of an array (printed; recognises
  ``N``, ``1/N`` and ``2``, ``1/2``); between two single numbers, which are always
  multiples of each other, only a meaningful factor: ±2, ±1/2, ±3, ±1/3, ±4, ±1/4,
  and ±N, ±1/N when ``check_scalar`` is given ``batch_size=N``;
- the same vector added to every row (a missing or doubled bias);
- right values in the wrong shape (lost ``keepdims=True``), an ``(n, n)`` array
  made by broadcasting ``(n,)`` against ``(n, 1)``, an array that was not summed
  (or averaged) over an axis, and the "divided along the wrong axis" pattern of
  square arrays;
- integer dtype that truncated the fractional part; all zeros.

``forbid(...)`` is the fourth tool: while its block runs, calling the named nnlib
classes, functions or methods raises ``ForbiddenCall`` (an ``AssertionError``), so an
answer that merely calls nnlib's own implementation earns nothing (``reason=`` says what
to do instead; ``message=`` replaces the whole text).

Axis mistakes that need the input to recognise (``X.sum(axis=0)`` instead of
``X.sum(axis=1)`` for a square ``X``) are best passed by the caller as
``variants={"summed over axis 0 instead of axis 1": X.sum(axis=0)}``.

The numpy callables used here are captured when this package is imported, so a
notebook that rebinds ``np.isclose`` (or similar) afterwards does not change
what these checks compute.  These checks teach; they are not the grader's
tamper-proofing, which lives in ``autograder/`` (grader-only, hidden tests).

Modules, one concern each:

- ``comparisons``    the public checks of one value (check_array, check_scalar, check_shape);
- ``cases``          ``check_cases``: one answer on several inputs, a cause named only when it
                     reproduces the answer on every one, else the difference described;
- ``misconceptions`` which known wrong variant an answer equals;
- ``messages``       how values and a failure are written;
- ``values``         reading an answer as numbers and comparing numbers;
- ``frozen``         numpy's callables captured at import time;
- ``forbidden``      ``forbid`` and ``ForbiddenCall``;
- ``calls``          how a test calls the answer: ``earlier_answers`` (a crash in an earlier
                     exercise's function names that exercise), ``unchanged`` (inputs modified
                     in place), ``check_loops`` (matrix products where loops are asked for),
                     ``peak_memory`` (how much memory a call took);
- ``inputs``         ``grading_rng``: a hidden test's inputs, fresh at every grading;
- ``traces``         ``forward_trace`` and ``check_forward_trace``: a network's z and y, layer
                     by layer, and the check of a student's forward pass (loops or batch).

Examples
--------
>>> import numpy as np
>>> from nnlib.checks import check_array
>>> check_array(np.array([[1.0, 2.0]]), np.array([[1.0, 2.0]]), name="Z")   # right: silent
>>> check_array(np.array([[-1.0, -2.0]]), np.array([[1.0, 2.0]]), name="Z")
Traceback (most recent call last):
    ...
AssertionError: Z is not right: its sign is flipped (it equals -1 times the expected value).
  expected (shape (1, 2)): [[1. 2.]]
  got (shape (1, 2)):      [[-1. -2.]]
  max abs error: 4 at index (0, 1) (expected 2, got -2)
  Likely cause: a minus sign too many or too few — e.g. (d - y) instead of (y - d), or a gradient step taken uphill.
"""

from .cases import check_cases
from .calls import check_loops, earlier_answers, hint_if_failing, peak_memory, unchanged
from .comparisons import check_array, check_scalar, check_shape
from .forbidden import ForbiddenCall, forbid
from .inputs import grading_rng
from .traces import check_forward_trace, forward_trace

__all__ = ["check_array", "check_scalar", "check_shape", "check_cases", "check_loops",
           "earlier_answers", "hint_if_failing", "unchanged", "peak_memory", "forbid", "ForbiddenCall", "grading_rng",
           "check_forward_trace", "forward_trace"]
