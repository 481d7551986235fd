"""``check_cases``: one answer tried on several inputs, and a cause named only with evidence.

One wrong number fits many explanations: an answer twice the right one may carry the 2 of a
square's derivative, or a sum over an input that happens to add up to 2.  So this check calls
the answer on every input it is given (at least two) and reasons from all of them at once, as a
TA does who tries a second example before saying what is wrong:

1. **Evidence.** A cause -- the test's own ``variants`` or a built-in hypothesis (sign flipped,
   transposed, all zeros, the same factor, an index shifted by one, an input returned as is) --
   is named only when it reproduces the answer on *every* input tried, and at least two of the
   inputs tell it apart from the right answer.  When two causes fit, both are named.
2. **Description.** Otherwise the message describes the difference: on which inputs the answer
   is wrong, and which entries (one column, the diagonal, the last row, where ``z < 0`` ...),
   and says that no cause was identified -- it never guesses.
3. **Crashes.** An exception in the answer becomes a message naming the input, the student's
   line and the shapes of the arguments, never a bare traceback.

The answer is always called on copies, so an answer that modifies its inputs cannot change the
next input or the reference; an in-place change is reported as such.
"""

from __future__ import annotations

import builtins
import contextlib
import math
from dataclasses import dataclass, field

from .comparisons import (_as_answer_array, _as_answer_number, _non_finite_failure,
                          agreeing_digits)
from .crashes import crash_cause, student_line
from .patterns import where_wrong
from .frozen import np_array, np_array_equal, np_broadcast_to, np_errstate, np_ndarray
from .messages import format_array, max_error, shape_of, wrong_answer
from .misconceptions import (_LOG_FACTORS, _SIMPLE_FACTORS, ZEROS, _explain_scale, _log_base,
                             _matches, _scale_of, _variant_tolerance, match_shapes)
from .values import all_close, as_float

_AssertionError = builtins.AssertionError
_isinstance = builtins.isinstance
MIN_CASES = 2


@dataclass
class _Case:
    """One input the check tried: its label, arguments, the right answer and the student's."""

    label: str
    args: tuple
    expected: object
    got: object = None                # as a float array (None until read)
    right: bool = False
    masks: dict = field(default_factory=dict)
    changed: list = field(default_factory=list)
    raw: object = None                # what the answer returned
    error: Exception | None = None    # ... or what it raised


def _copy(value):
    """A deep enough copy of an argument: arrays and (nested) lists/tuples/dicts of them."""
    if _isinstance(value, np_ndarray):
        return np_array(value, copy=True)
    if _isinstance(value, list):
        return [_copy(v) for v in value]
    if _isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if _isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _shapes(args, names):
    """'W (2, 3), b (2,), y (3,)': what the answer was given."""
    parts = []
    for i, value in enumerate(args):
        label = names[i] if i < len(names) else f"argument {i + 1}"
        if _isinstance(value, np_ndarray):
            parts.append(f"{label} of shape {shape_of(value)}")
        elif _isinstance(value, (int, float)):
            parts.append(f"{label} = {value!r}")
        else:
            parts.append(f"{label} ({type(value).__name__})")
    return ", ".join(parts)


def _crash(name, case, cases, names, fitting):
    """The failure for an answer that raised on ``case`` instead of returning."""
    error = case.error
    kind = type(error).__name__
    text = str(error).strip()
    where = student_line(error)
    lines = [f"{name} is not right: it raised {kind} on {case.label}" + (f": {text}" if text else
             (" (no message: the exercise is not answered yet -- the stub is still there)"
              if _isinstance(error, NotImplementedError) else " (no message)") + ".")]
    if where and where[2]:
        lines.append(f"  your line {where[1]}: {where[2]}")
    lines.append(f"  it was given {_shapes(case.args, names)}.")
    others = [c for c in cases if c.error is None]
    if others:
        right = [c.label for c in others if c.right]
        wrong = [c.label for c in others if not c.right]
        lines.append("  On the other inputs it " + "; ".join(
            part for part in (f"is right on {', '.join(right)}" if right else "",
                              f"is wrong on {', '.join(wrong)}" if wrong else "") if part) + ".")
    cause = _join_causes(fitting) if fitting else crash_cause(error, text)
    if fitting:
        lines.append("  On every input it matches a common mistake (which raises on "
                     f"{case.label} too).")
    if cause:
        lines.append(f"  Likely cause: {cause}")
    return _AssertionError("\n".join(lines))


# ------------------------------------------------------------------------------ hypotheses
@dataclass
class _Hypothesis:
    """A candidate cause: what it predicts on each input, and how it reads when it fits."""

    key: str
    summary: str
    cause: str | None
    predict: object                   # case -> predicted answer (float array) or None
    caller: bool = False              # one of the test's own variants


_RAISES = object()                   # a hypothesis that raises on an input, as an answer can


def _predictions(case, hypothesis):
    try:
        with np_errstate(all="ignore"):
            value = hypothesis.predict(case)
    except Exception:                 # noqa: BLE001 - a mistake that crashes on this input
        return _RAISES
    value = as_float(value) if value is not None else None
    if value is not None and case.expected is not None and value.size == case.expected.size == 1:
        value = value.reshape(case.expected.shape)
    return value


def _verdict(case, predicted, rtol, atol):
    """'fits' (reproduces the answer and differs from the right one), 'neutral' (this input
    cannot tell it from the right answer, and the answer is right) or 'contradicts'."""
    if case.error is not None:        # the answer raised here: so must the mistake
        return "neutral" if predicted is _RAISES else "contradicts"
    if predicted is None or predicted is _RAISES or predicted.shape != case.got.shape:
        return "contradicts"
    if predicted.shape == case.expected.shape:
        vr, va = _variant_tolerance(case.expected, predicted, rtol, atol)
        if all_close(predicted, case.expected, vr, va):
            return "neutral" if case.right else "contradicts"
    return "fits" if _matches(case.got, predicted, case.expected, rtol, atol) else "contradicts"


def _evidence(cases, hypothesis, rtol, atol):
    """True when ``hypothesis`` reproduces the answer on every input, on two or more of them
    differing from the right answer."""
    verdicts = [_verdict(c, _predictions(c, hypothesis), rtol, atol) for c in cases]
    return "contradicts" not in verdicts and verdicts.count("fits") >= MIN_CASES


def _caller_hypotheses(variants):
    return [_Hypothesis(f"variant {i}", "it matches a common mistake.", text,
                        (lambda case, f=fn: f(*_copy(case.args))), caller=True)
            for i, (text, fn) in enumerate((variants or {}).items())]


def _builtin_hypotheses(cases, names, batch):
    """The built-in hypotheses worth trying for these cases."""
    first = next(c for c in cases if not c.right)
    exp = first.expected
    found = [
        _Hypothesis("sign", "its sign is flipped (-1 times the expected value) on every input.",
                    "a minus sign too many or too few -- e.g. (d - y) instead of (y - d), or a "
                    "gradient step taken uphill.", lambda c: -c.expected),
        _Hypothesis("zeros", "it is all zeros on every input." if exp.size > 1 else
                    "it is 0 on every input.",
                    ZEROS,
                    lambda c: np_broadcast_to(0.0, c.expected.shape)),
    ]
    if exp.ndim == 2:
        found.append(_Hypothesis(
            "transpose", "it equals the expected value transposed, on every input.",
            "a transpose in the wrong place: nnlib stores W as (out_features, in_features) and "
            "a batch as (N, features); a gradient has the shape of what it is the gradient of.",
            lambda c: c.expected.T))
    for axis in range(exp.ndim):
        for step in (1, -1):
            found.append(_Hypothesis(
                f"roll {axis} {step}",
                f"every entry holds the value that belongs {'one place ' + ('later' if step < 0 else 'earlier')}"
                f"{' along axis ' + str(axis) if exp.ndim > 1 else ''} (shifted by one index), "
                "on every input.",
                "an off-by-one index: a range() that starts or stops one too early, or i - 1 / "
                "i + 1 where i was meant.",
                (lambda c, a=axis, s=step: _roll(c.expected, s, a))))
    found += _factor_hypotheses(cases, batch)
    for i, arg_name in enumerate(names):
        found.append(_Hypothesis(
            f"input {i}", f"it equals the argument {arg_name} as it was given, on every input.",
            f"the function returns (or modifies and returns) its input {arg_name} instead of the "
            "result computed from it.", (lambda c, k=i: c.args[k])))
    return found


def _roll(a, step, axis):
    """``a`` shifted by one along ``axis`` (numpy's roll, written with the captured callables)."""
    out = np_array(a, copy=True)
    index = [slice(None)] * a.ndim
    source = [slice(None)] * a.ndim
    if step > 0:
        index[axis], source[axis] = slice(1, None), slice(None, -1)
        index_first, source_last = [slice(None)] * a.ndim, [slice(None)] * a.ndim
        index_first[axis], source_last[axis] = slice(0, 1), slice(-1, None)
        out[tuple(index_first)] = a[tuple(source_last)]
    else:
        index[axis], source[axis] = slice(None, -1), slice(1, None)
        index_last, source_first = [slice(None)] * a.ndim, [slice(None)] * a.ndim
        index_last[axis], source_first[axis] = slice(-1, None), slice(0, 1)
        out[tuple(index_last)] = a[tuple(source_first)]
    out[tuple(index)] = a[tuple(source)]
    return out


def _factor_hypotheses(cases, batch):
    """``got = c * expected`` with one c for every input (fitted on the first wrong input), and
    ``got = N * expected`` / ``expected / N`` with each input's own batch size N."""
    first = next(c for c in cases if not c.right)
    hypotheses = []
    if first.expected.size > 2:
        fitted = _scale_of(first.got, first.expected)
        candidates = [fitted] if fitted is not None and math.isfinite(fitted) else []
    else:
        candidates = [s * c for c in _SIMPLE_FACTORS + _LOG_FACTORS for s in (1.0, -1.0)]
    for c in candidates:
        if abs(c) <= 1e-12 or math.isclose(c, 1.0, rel_tol=1e-4) or math.isclose(c, -1.0,
                                                                                  rel_tol=1e-4):
            continue
        summary, cause = _explain_scale(c, first.expected)
        summary = summary.rstrip(".") + ", on every input."
        if not _named_factor(c):
            cause = None         # a factor that means nothing by itself: describe, do not guess
        hypotheses.append(_Hypothesis(f"factor {c:.9g}", summary, cause,
                                      (lambda case, k=c: k * case.expected)))
    if batch is not None:
        for power, word in ((1, "N"), (-1, "1/N")):
            hypotheses.append(_Hypothesis(
                f"batch {word}", f"it equals {word} times the expected value on every input "
                "(N, the number of examples, differs between the inputs).",
                "a missing or extra 1/N: the loss is the MEAN over the batch (so its gradient "
                "carries a factor 1/N): divide by N once, not zero or two times.",
                (lambda case, p=power: float(batch(*case.args)) ** p * case.expected)))
    return hypotheses


def _named_factor(c):
    """True for a factor that is a lead by itself (±2, ±1/2, ±3, ±1/3, ±4, ±1/4, a change of
    logarithm base)."""
    return (any(math.isclose(abs(c), f, rel_tol=1e-6) for f in _SIMPLE_FACTORS)
            or _log_base(c) is not None)


# ----------------------------------------------------------------------------- description
def _pattern(case, rtol, atol):
    """Which entries of this input's answer are wrong, in words ('' when every entry is)."""
    if (case.got.shape != case.expected.shape or case.expected.ndim == 0
            or agreeing_digits(case.got, case.expected) >= 3):
        return ""                    # a near miss is noise, whatever entries it hits
    return where_wrong(case.got, case.expected, rtol, atol, case.masks)


# ---------------------------------------------------------------------------------- check
def check_cases(answer, reference, inputs, *, name, variants=None, where=None, rtol=1e-6,
                atol=1e-9, argnames=None, batch_size=None, nonfinite=None, within=None,
                hint=None, scalar=False):
    """Check ``answer(*args)`` against ``reference(*args)`` on every input; name a cause only
    with evidence from all of them.

    Parameters
    ----------
    answer : callable
        The student's function.
    reference : callable
        The right answer as a function of the same arguments (an independent implementation).
    inputs : dict of {str: tuple}
        ``{"how the message names this input": (arg1, arg2, ...)}``; at least two.  Choose them
        so that the common mistakes give different values (negative and zero pre-activations,
        N != D != K, a non-identity target ...).
    name : str
        What the answer is called in the message (``"affine_loops(W, b, y)"``).
    variants : dict of {str: callable}, optional
        ``{"explanation": wrong_function}``: known wrong answers as functions of the same
        arguments.  An explanation is given only when its function reproduces the answer on
        every input, at least two of which tell it apart from the right answer.
    where : dict of {str: callable}, optional
        ``{"z < 0": lambda W, b, y: W @ y + b < 0}``: boolean masks (of the answer's shape) the
        message may use to say where the answer is wrong.
    rtol, atol : float
        Tolerances, as in ``check_array``.
    argnames : sequence of str, optional
        The arguments' names in the message (default: ``reference``'s parameter names, else
        ``answer``'s).
    batch_size : callable, optional
        ``lambda *args: N``, the number of examples of an input, when the answer's scale depends
        on it (a mean over the batch): an answer N or 1/N times the right one is then named.
    nonfinite : str, optional
        The likely cause of a NaN or inf (see ``check_array``).
    within : callable, optional
        A context manager factory, e.g. ``lambda: forbid(nnlib.Linear)``, around each call.
    hint : str, optional
        One more sentence for any failure.
    scalar : bool
        The answer is one number (as ``check_scalar`` reads it) rather than an array.

    Examples
    --------
    >>> import numpy as np
    >>> def double(x):
    ...     return 2 * x.sum()
    >>> inputs = {"x = [1, 1]": (np.array([1.0, 1.0]),), "x = [1, 2, 3]": (np.array([1.0, 2, 3]),)}
    >>> check_cases(double, lambda x: 2 * x.sum(), inputs, name="double(x)", scalar=True)
    >>> def wrong(x):            # on [1, 1] this is exactly twice the right answer, but not on [1, 2, 3]
    ...     return 2 * x.sum() * x.sum()
    >>> check_cases(wrong, lambda x: 2 * x.sum(), inputs, name="double(x)", scalar=True)
    Traceback (most recent call last):
        ...
    AssertionError: double(x) is not right: it is wrong on 2 of 2 inputs tried: x = [1, 1]; x = [1, 2, 3]. No single cause fits every input tried; the difference is shown for x = [1, 1].
      expected: 4
      got:      8
      abs error: 4 (expected 4, got 8)
      On x = [1, 2, 3]: expected 12, got 72.
    """
    __tracebackhide__ = True     # students see their line and the message, not ours
    if len(inputs) < MIN_CASES:
        raise TypeError(f"check_cases: give at least {MIN_CASES} inputs, got {len(inputs)}")
    names = list(argnames) if argnames else _parameter_names(reference, answer)
    cases = [_run(answer, reference, label, args, names, within) for label, args in inputs.items()]
    for case in cases:
        if case.error is None:
            failure = _read(case, case.raw, name, rtol, atol, hint, nonfinite, scalar)
            if failure is not None:
                raise failure
            for mask_label, mask in (where or {}).items():
                value = as_float(mask(*_copy(case.args)))
                if value is not None:
                    case.masks[mask_label] = value.astype(bool)
            case.right = (case.got.shape == case.expected.shape
                          and all_close(case.got, case.expected, rtol, atol))
    crashed = [c for c in cases if c.error is not None]
    wrong = [c for c in cases if c.error is None and not c.right]
    if not crashed and not wrong:
        changed = [c for c in cases if c.changed]
        if not changed:
            return None
        raise _AssertionError(
            f"{name} is not right: its values are right, but it changed its argument"
            f"{'s' if len(changed[0].changed) > 1 else ''} {', '.join(changed[0].changed)} in place "
            f"(on {changed[0].label}). An answer must not modify the arrays it is given: the caller "
            "still needs them. Compute into a new array (Z = Z - m, not Z -= m; np.array(Z, "
            "dtype=float) makes a copy, np.asarray does not when Z is already float).")
    fitting = [h for h in _caller_hypotheses(variants) if _evidence(cases, h, rtol, atol)]
    if not fitting and not crashed:
        fitting = [h for h in _builtin_hypotheses(cases, names, batch_size)
                   if _evidence(cases, h, rtol, atol)]
    if crashed:
        raise _crash(name, crashed[0], cases, names, fitting)
    head = (f"it is wrong on {len(wrong)} of {len(cases)} inputs tried: "
            + "; ".join(c.label for c in wrong) + "."
            + ("" if len(wrong) == len(cases) else
               " It is right on: " + "; ".join(c.label for c in cases if c.right) + "."))
    first = wrong[0]
    if first.got.shape != first.expected.shape:
        summary, cause = match_shapes(first.got, first.expected, rtol, atol, None)
        if fitting:
            cause = _join_causes(fitting)
        raise wrong_answer(name, f"{head} On {first.label}, {summary}", first.expected,
                           first.got, cause=cause, hint=hint, extra=_changed_notes(cases))
    if fitting:
        summary = (fitting[0].summary if len(fitting) == 1 else
                   f"{len(fitting)} explanations reproduce the answer on every input.")
        summary += f" Shown: {first.label}."
    else:
        summary = ("No single cause fits every input tried; the difference is shown for "
                   f"{first.label}.")
    notes = []
    for case in wrong:
        pattern = _pattern(case, rtol, atol)
        if case is first:
            if pattern:
                notes.append(f"Where: {pattern}")
        else:
            notes.append(f"On {case.label}: " + _short(case)
                         + (f" {_capital(pattern)}" if pattern else ""))
    notes += _changed_notes(cases)
    raise wrong_answer(name, f"{head} {_capital(summary)}", first.expected, first.got,
                       error=max_error(first.got, first.expected), cause=_join_causes(fitting),
                       hint=hint, extra=notes)


def _run(answer, reference, label, args, names, within):
    """Call the answer on copies of one input's arguments: a case with its answer or its error."""
    args = tuple(args) if _isinstance(args, (tuple, list)) else (args,)
    given = _copy(args)
    case = _Case(label, args, None)
    with (within() if within else contextlib.nullcontext()):
        try:                         # caught inside the block: the crash is reasoned about here
            case.raw = answer(*given)
        except _AssertionError:
            raise                    # a check of its own (forbid, earlier_answers): a message
        except Exception as error:   # noqa: BLE001 - every crash of the answer is a diagnosis
            case.error = error
    case.changed = [names[i] if i < len(names) else f"argument {i + 1}"
                    for i, (a, b) in enumerate(zip(args, given))
                    if _isinstance(a, np_ndarray) and not np_array_equal(a, b, equal_nan=True)]
    case.expected = as_float(reference(*_copy(args)))
    if case.expected is None:
        raise TypeError(f"check_cases: the reference gave a non-numeric value on {label}")
    return case


def _capital(text):
    return text[:1].upper() + text[1:]


def _join_causes(fitting):
    causes = [h.cause for h in fitting if h.cause]
    if not causes:
        return None
    if len(causes) == 1:
        return causes[0]
    return " OR ".join(f"({k}) {text}" for k, text in enumerate(causes, 1))


def _short(case):
    """'expected 12, got 72.' (a number) or the max error (an array)."""
    if case.expected.size == 1:
        return (f"expected {format_array(case.expected.reshape(()))}, got "
                f"{format_array(case.got.reshape(()))}.")
    return f"max abs error {max_error(case.got, case.expected)}."


def _changed_notes(cases):
    changed = sorted({n for c in cases for n in c.changed})
    if not changed:
        return []
    return [f"Also: it changed its argument{'s' if len(changed) > 1 else ''} "
            f"{', '.join(changed)} in place; an answer must not modify the arrays it is given."]


def _read(case, got, name, rtol, atol, hint, nonfinite, scalar):
    """Read the answer of one input as numbers (a failure for None, a list, NaN ...)."""
    exp = case.expected
    if scalar:
        failure, value = _as_answer_number(got, exp.reshape(()), name, rtol, atol, hint,
                                           nonfinite)
        if failure is None:
            case.expected = exp.reshape(())
            case.got = value
        return _labelled(failure, case.label)
    failure, arr, _notes = _as_answer_array(got, exp, name, rtol, atol, hint)
    if failure is None:
        failure = _non_finite_failure(arr, exp, name, hint, [], nonfinite)
    if failure is None:
        case.got = arr
    return _labelled(failure, case.label)


def _labelled(failure, label):
    """The failure with the input named in its first line."""
    if failure is None:
        return None
    text = str(failure)
    head, _, rest = text.partition("\n")
    return _AssertionError(f"{head} (on {label})" + (f"\n{rest}" if rest else ""))


def _parameter_names(*functions):
    """The named parameters of the first function that has them (the reference first: it is the
    test's own, the same wherever the test runs; the answer may be a proxy taking ``*args``)."""
    import inspect
    for function in functions:
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            continue
        named = [p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if named:
            return named
    return []
