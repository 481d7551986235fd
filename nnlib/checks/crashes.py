"""An exception in the student's answer, read as a TA reads it: which line, and what it says.

A test that calls an answer which raises should fail with one message that names the student's
own line and what the error means, never a bare traceback through the test's and numpy's code.
:func:`student_line` finds the line (also when the grader brings the error back from the
student's process as data); :func:`crash_cause` says what an error of that kind and text says
about the code -- only what it says; :func:`crash_message` puts them together.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import traceback

_isinstance = builtins.isinstance
_HERE = os.path.dirname(os.path.abspath(__file__))
_NNLIB = os.path.dirname(_HERE)


def _library(filename):
    """True for code that is not the student's: nnlib, installed packages, the standard library."""
    return (filename.startswith((_NNLIB + os.sep, "<frozen")) or "site-packages" in filename
            or filename == contextlib.__file__ or filename.startswith(os.path.dirname(os.__file__)))


def student_line(error, skip=()):
    """(function name, line number, text) of the innermost line of the student's own code in
    ``error``'s traceback, or None.  ``skip``: code objects that are the test's own (the test cell
    calling the answer).  An error the grader brought back from the student's process carries
    that process's frames as data (``remote_frames``)."""
    remote = getattr(error, "remote_frames", None)
    if _isinstance(remote, (list, tuple)) and remote:
        own = [f for f in remote if f.get("student")] or [
            f for f in remote if not _library(f.get("file", ""))]
        if own:
            return own[-1].get("name", "?"), own[-1].get("line", 0), own[-1].get("text", "")
        return None
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        code = frame.f_code
        if code in skip or _library(code.co_filename):
            continue
        text = (traceback.linecache.getline(code.co_filename, line) or "").strip()
        found = (code.co_name, line, text)
    return found


def crash_cause(error, text):
    """What an exception of this kind and text says about the code (None when it says nothing)."""
    if "matmul" in text or "shapes" in text and "not aligned" in text:
        return ("the inner dimensions of a matrix product do not match: print the shapes of both "
                "operands (A @ B needs A.shape[-1] == B.shape[0]); a transpose is missing or "
                "one too many.")
    if "broadcast" in text:
        return ("two arrays of incompatible shapes met in an elementwise operation: print their "
                "shapes; a (n,) array lines up with the LAST axis, a column needs shape (n, 1) "
                "(keepdims=True, or [:, None]).")
    if _isinstance(error, AttributeError) and "NoneType" in text:
        return "a value your code uses is None: a function (or a cache) that returned nothing."
    if _isinstance(error, AttributeError) and "has no attribute" in text:
        return ("the object has no such attribute at this point: it is set only by another method "
                "(is it read here before that method ran, or under another name?).")
    if _isinstance(error, IndexError):
        return "an index runs past the end of an axis: check the range() bounds against .shape."
    if _isinstance(error, KeyError):
        return (f"the dictionary has no key {text}: use the keys it has (loop over it, "
                "for name in d) rather than names written into the code.")
    return None


def crash_message(error, skip=()):
    """The failure text for ``error`` raised in the student's code, or None when it was raised
    by the test's own code (no line of the student's in its traceback)."""
    where = student_line(error, skip)
    if where is None:
        return None
    name, line, text = where
    kind = type(error).__name__
    message = str(error).strip()
    lines = [f"your {name} raised {kind}" + (f": {message}" if message else
             (" (no message: the exercise is not answered yet -- the stub is still there)"
              if _isinstance(error, NotImplementedError) else " (no message)"))]
    if text:
        lines.append(f"  at your line {line}: {text}")
    cause = crash_cause(error, message)
    if cause:
        lines.append(f"  Likely cause: {cause}")
    return "\n".join(lines)
