"""How a test cell calls the student's function: the earlier answers it relies on, the inputs
it must leave alone, and the loops an exercise asks for.

``hint_if_failing`` gives a "make exercise A pass first" hint only when exercise A fails.
``earlier_answers`` turns a crash inside an earlier exercise's function (a stub's bare
``NotImplementedError``, or any error) into a failure that names that exercise, instead of an
empty error raised somewhere inside the function under test. ``unchanged`` fails an answer that
modified an array it was given. ``check_loops`` fails an answer that vectorises where the
exercise asks for explicit Python loops.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap

from .frozen import np_array, np_array_equal
from .messages import format_array

_AssertionError = builtins.AssertionError
_isinstance = builtins.isinstance


class earlier_answers:
    """Context manager: an error raised inside one of the named earlier answers names it.

    Parameters
    ----------
    **labels : str
        ``function_name="how the notebook names its exercise"`` for every earlier answer the
        checked code calls, e.g. ``affine_loops="exercise (a), affine_loops"``.

    Examples
    --------
    >>> def affine(W, b, y):
    ...     raise NotImplementedError()
    >>> def forward(y):
    ...     return affine(None, None, y)
    >>> with earlier_answers(affine="exercise (a)"):
    ...     forward(1.0)
    Traceback (most recent call last):
        ...
    AssertionError: this test could not check your answer: it calls your affine from exercise (a), which raised NotImplementedError (no message: the exercise is not answered yet — the stub is still there). Answer exercise (a) first; its own test shows what is wrong there.
    """

    def __init__(self, **labels):
        self.labels = labels

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if error is None or _isinstance(error, _AssertionError) and _is_check(error):
            return False
        if issubclass(kind, NameError) and getattr(error, "name", None) in self.labels:
            raise _AssertionError(
                f"this test could not check your answer: {error.name} (from "
                f"{self.labels[error.name]}) is not defined. Run that exercise's cell first "
                f"(and every cell above it).") from None
        name = _earlier_frame(tb, self.labels, error)
        if name is None:
            return False
        text = str(error).strip()
        what = (f"{kind.__name__}: {text}" if text else
                f"{kind.__name__} (no message" + (": the exercise is not answered yet — the "
                "stub is still there)" if issubclass(kind, NotImplementedError) else ")"))
        if issubclass(kind, NotImplementedError) and not text:
            advice = f"Answer {self.labels[name]} first; its own test shows what is wrong there."
        else:
            # the earlier answer may be right and called with what it does not take
            advice = (f"Either {self.labels[name]} is not right yet (its own test says so), or "
                      f"your code calls {name} with arguments it does not take: compare what you "
                      f"pass it with its docstring.")
        raise _AssertionError(
            f"this test could not check your answer: it calls your {name} from "
            f"{self.labels[name]}, which raised {what}. {advice}") from error


def _is_check(error):
    """True for a check's own failure (raised by nnlib.checks), which is already a message."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__", "").startswith("nnlib.checks")


def _earlier_frame(tb, labels, error=None):
    """The name of the innermost traceback frame that runs one of the labelled functions.

    An error the grader brought back from the student's own process carries that process's
    frames as data (``remote_frames``: name, and whether it is the notebook's function of that
    name); they are read the same way."""
    remote = getattr(error, "remote_frames", None)
    if _isinstance(remote, list):
        found = None
        for frame in remote:
            if frame.get("name") in labels and frame.get("student"):
                found = frame["name"]
        return found
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        function = tb.tb_frame.f_globals.get(code.co_name)
        if code.co_name in labels and getattr(function, "__code__", None) is code:
            found = code.co_name
        tb = tb.tb_next
    return found


def hint_if_failing(check, hint):
    """``hint`` when the earlier exercise's own check ``check()`` fails, else None.

    A test that relies on an earlier answer may say "make exercise A's test pass first" -- but
    only when exercise A is in fact wrong: said under a right exercise A, it sends the student to
    fix what is not broken.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.checks import check_scalar
    >>> def square(x):
    ...     return x * x
    >>> hint_if_failing(lambda: check_scalar(square(3.0), 9.0), "fix square first") is None
    True
    >>> hint_if_failing(lambda: check_scalar(square(3.0) + 1, 9.0), "fix square first")
    'fix square first'
    """
    try:
        check()
    except Exception:            # noqa: BLE001 - a crash of the earlier answer is a failure too
        return hint
    return None


class unchanged:
    """Context manager: fails when the block modified one of the given arrays in place.

    Parameters
    ----------
    call : str
        How the call reads in the message, e.g. ``"sigmoid(Z3)"``.
    **arrays : numpy.ndarray
        ``argument_name=array`` for every array passed to the student's function.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([1.0, -2.0])
    >>> def negate(Z):
    ...     Z *= -1
    ...     return Z
    >>> with unchanged("negate(Z)", Z=Z):
    ...     _ = negate(Z)
    Traceback (most recent call last):
        ...
    AssertionError: negate(Z) changed its argument Z in place: before the call [ 1. -2.], after it [-1.  2.]. An answer must not modify the arrays it is given (the caller still needs them): compute into a new array (Z = -Z, not Z *= -1; np.array(W, dtype=float) or W.copy(), not W itself, when you keep or update it).
    """

    def __init__(self, call, **arrays):
        self.call, self.arrays = call, arrays
        self.before = {name: np_array(value, copy=True) for name, value in arrays.items()}

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        for name, value in self.arrays.items():
            if not np_array_equal(value, self.before[name], equal_nan=True):
                raise _AssertionError(
                    f"{self.call} changed its argument {name} in place: before the call "
                    f"{format_array(self.before[name])}, after it {format_array(value)}. An answer "
                    f"must not modify the arrays it is given (the caller still needs them): "
                    f"compute into a new array (Z = -Z, not Z *= -1; np.array(W, dtype=float) or "
                    f"W.copy(), not W itself, when you keep or update it).") from error
        return False


# calls that do a whole sum (of products) at once; the builtin sum() over a loop's generator is
# still a loop, but np.sum / array.sum is not
_VECTOR_CALLS = {"dot", "matmul", "einsum", "tensordot", "inner", "vdot", "outer"}
_VECTOR_METHODS = _VECTOR_CALLS | {"sum"}


def source_of(function):
    """The source text of ``function``'s definition.

    The grader runs tests beside the student's process, where the answer is a proxy: its class
    then provides ``__submitted_source__``, the definition as the submitted notebook has it
    (raising AssertionError, with the reason, when the notebook does not define it with a
    ``def``).  Anywhere else this is ``inspect.getsource``.
    """
    provider = getattr(type(function), "__submitted_source__", None)
    if provider is not None:
        return provider(function)
    return textwrap.dedent(inspect.getsource(function))


def vectorised_operations(function):
    """[(line, operation, text)] of the whole-array sums in ``function``'s source ([] if none).

    ``@``, calls of ``dot``, ``matmul``, ``einsum``, ``tensordot``, ``inner``, ``vdot`` and
    ``outer``, and ``np.sum`` / ``array.sum`` count; elementwise arithmetic and the builtin
    ``sum`` over a generator do not. An unreadable source gives ``[]``.
    """
    try:
        source = source_of(function)
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return []                      # no source to read (a builtin, a lost cell): no verdict
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        name = None
        if _isinstance(node, ast.BinOp) and _isinstance(node.op, ast.MatMult):
            name = "@"
        elif _isinstance(node, ast.Call):
            func = node.func
            if _isinstance(func, ast.Attribute):
                name = func.attr if func.attr in _VECTOR_METHODS else None
            else:
                name = func.id if getattr(func, "id", "") in _VECTOR_CALLS else None
        if name:
            found.append((node.lineno, name, lines[node.lineno - 1].strip()))
    return sorted(set(found))


def check_loops(function, *, name, why):
    """Fail when ``function`` sums whole arrays (``@``, ``np.dot``, ``np.sum``...) where explicit
    loops are asked for.

    Parameters
    ----------
    function : callable
        The student's function (its source is read).
    name : str
        The function's name in the message.
    why : str
        What the loops are for, one sentence for the message.

    Examples
    --------
    >>> def affine(W, b, y):
    ...     return W @ y + b
    >>> check_loops(affine, name="affine", why="The loops show z_j = sum_i w_ij y_i + b_j.")
    Traceback (most recent call last):
        ...
    AssertionError: affine is not written with explicit loops: it uses `@` (line 2: return W @ y + b). The exercise asks for explicit Python loops (for ... in range(...)), one multiplication w_ij * y_i at a time. The loops show z_j = sum_i w_ij y_i + b_j.
    """
    found = vectorised_operations(function)
    if found:
        line, op, text = found[0]
        raise _AssertionError(
            f"{name} is not written with explicit loops: it uses `{op}` (line {line}: {text}). "
            f"The exercise asks for explicit Python loops (for ... in range(...)), one "
            f"multiplication w_ij * y_i at a time. {why}")


def peak_memory(function, *args, **kwargs):
    """(``function(*args, **kwargs)``, megabytes): the result and the peak of the memory the call
    allocated beyond what was in use before it (Python's allocations, numpy's arrays included).

    Where the grader runs the answer in the student's own process, the answer is a proxy whose
    class provides ``__measured_call__``: the call is measured there (and, where the grader can,
    from outside that process too).

    >>> import numpy as np
    >>> _, megabytes = peak_memory(np.zeros, (1000, 1000))
    >>> 7.9 < megabytes < 8.1
    True
    """
    measured = getattr(type(function), "__measured_call__", None)
    if measured is not None:
        result, peak_bytes = measured(function, args, kwargs)
        return result, peak_bytes / 1e6
    import tracemalloc
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        result = function(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, max(0, peak - base) / 1e6
