"""The text of a failed check: values shown compact and rounded, and the message laid out.

A message says what was checked, shows the expected and the received values (small arrays
whole, large ones summarised), their shapes, the largest absolute error and, when one was
detected, the likely cause.
"""

from __future__ import annotations

import builtins
import math
from fractions import Fraction

from .frozen import (np_abs, np_argmax, np_array, np_array2string, np_asarray, np_errstate,
                     np_isfinite, np_isnan, np_unravel_index)

_AssertionError = builtins.AssertionError

_SMALL = 24            # arrays with at most this many entries are shown whole
_LINE = 96

# The likely cause of a NaN or inf when the caller names none. It names no particular function:
# the same NaN comes from a softmax without its max shift, a sigmoid written exp(z)/(1 + exp(z)),
# or a log of something that contains 0 — only the test cell knows which formula it checks, and
# says so with ``nonfinite=``.
OVERFLOW = ("an overflow or a log(0) on the way: np.exp(z) is inf for z > 709 (and inf/inf, "
            "inf - inf are NaN), np.log(0) is -inf (and 0 * -inf is NaN). Print the intermediate "
            "arrays of your function for this input to find the first inf or NaN.")


def format_number(x):
    """A float as a short string: 6 significant digits, no trailing noise."""
    x = float(x)
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def format_fraction(c):
    """``c`` as '0.25 (= 1/4)' when it is close to a simple fraction, else '0.2513'."""
    text = format_number(c)
    frac = Fraction(c).limit_denominator(64)
    if frac.denominator > 1 and abs(float(frac) - c) <= 1e-6 * max(1.0, abs(c)):
        text += f" (= {frac.numerator}/{frac.denominator})"
    return text


def format_array(a):
    """An array as compact text; large arrays are summarised (shape, range, corners)."""
    a = np_asarray(a)
    if a.ndim == 0:
        return format_number(a.item()) if a.dtype.kind in "fiub" else repr(a.item())
    with np_errstate(all="ignore"):
        body = np_array2string(
            a, precision=4, suppress_small=True, threshold=_SMALL, edgeitems=2,
            max_line_width=_LINE, floatmode="maxprec", sign="-", separator=" ",
        )
    lines = body.split("\n")
    if len(lines) > 8:
        lines = lines[:3] + ["  ..."] + lines[-2:]
    if a.size > _SMALL and a.dtype.kind in "fiu":
        with np_errstate(all="ignore"):
            finite = a[np_isfinite(a)]
        if finite.size:
            lines.insert(0, f"min {format_number(finite.min())}, max {format_number(finite.max())}, "
                            f"mean {format_number(finite.mean())}")
    # multi-line arrays start on their own line so that their rows stay aligned
    return lines[0] if len(lines) == 1 else "\n    " + "\n    ".join(lines)


def format_index(idx):
    return "(" + ", ".join(str(int(i)) for i in idx) + ")" if len(idx) != 1 else f"({int(idx[0])},)"


def wrong_answer(name, summary, expected=None, got=None, *, error=None, cause=None, hint=None,
                 extra=None):
    """The AssertionError to raise (raised by the public check, so tracebacks end there)."""
    lines = [f"{name} is not right: {summary}"]
    shown = [(f"{label}" + (f" (shape {shape_of(value)})" if np_asarray(value).ndim else "") + ":",
              format_array(value)) for label, value in (("expected", expected), ("got", got))
             if value is not None]
    width = max((len(head) for head, _ in shown), default=0)
    for head, body in shown:
        # a multi-line body starts with a newline, so its rows stay aligned
        multiline = body.startswith("\n")
        lines.append(f"  {head}{body}" if multiline else f"  {head.ljust(width)} {body}")
    if error:
        lines.append(f"  {'max abs error' if np_asarray(got).ndim else 'abs error'}: {error}")
    if cause:
        lines.append(f"  Likely cause: {cause}")
    for line in extra or ():
        lines.append(f"  {line}")
    if hint:
        lines.append(f"  Hint: {hint}")
    return _AssertionError("\n".join(lines))


def shape_of(a):
    return tuple(int(n) for n in np_asarray(a).shape)


def max_error(got, expected):
    """'0.25 at index (1, 0) (expected 1, got 1.25)' for same-shape arrays."""
    with np_errstate(all="ignore"):
        diff = np_abs(got - expected)
        diff = np_array(diff, copy=True)
        diff[np_isnan(diff)] = math.inf
    flat = int(np_argmax(diff))
    idx = np_unravel_index(flat, got.shape) if got.ndim else ()
    worst = float(diff.reshape(-1)[flat])
    where = f" at index {format_index(idx)}" if got.ndim else ""
    return (f"{format_number(worst)}{where} (expected {format_number(expected.reshape(-1)[flat])}, "
            f"got {format_number(got.reshape(-1)[flat])})")


def no_return_message(name, kind):
    return (f"{name} is None, not {kind}. A Python function that ends without a `return` "
            f"statement returns None: check that your function ends with `return <result>` "
            f"(also on every if/else branch), and that it does not just print the result.")


def not_arraylike(name, got, kind):
    tname = type(got).__name__
    cause = f"{name} is a {tname} object, not {kind}."
    if hasattr(got, "forward") or callable(got):
        cause += (" Did you return the layer/function itself instead of calling it "
                  "(e.g. `layer` instead of `layer.forward(X)`, or `f` instead of `f(x)`)?")
    elif isinstance(got, str):
        cause += " Did you return a formatted string (f-string / str(...)) instead of the number?"
    elif isinstance(got, dict):
        cause += " Did you return the whole dictionary instead of one of its entries?"
    return cause
