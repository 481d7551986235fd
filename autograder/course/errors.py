"""What the instructor's process reports as one line (the CLI prints it without a traceback).

``CourseError`` is a problem with what the instructor asked for.  ``operational`` recognises the
failures of the machine under a run -- a full disk, a read-only folder, a gradebook that is locked,
unreachable or damaged -- which stop a run (whatever was recorded stays) rather than being
blamed on the submission that happened to be recorded when they struck.
"""

from __future__ import annotations

import errno
import os


class CourseError(Exception):
    """A problem the instructor can fix; the CLI prints it without a traceback."""


_DISK = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
         errno.EROFS: "the folder is on a read-only filesystem",
         errno.EACCES: "permission denied", errno.EPERM: "permission denied",
         errno.EIO: "an input/output error (a failing disk?)"}


def operational(exc):
    """One line saying what failed and what to do, if ``exc`` is the machine's failure (not a
    submission's); else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:      # nbgrader and SQLAlchemy wrap causes
        seen.add(id(exc))
        line = _operational(exc)
        if line:
            return line
        exc = exc.__cause__ or exc.__context__
    return None


_DO = {errno.ENOSPC: "free space", errno.EDQUOT: "free space", errno.EROFS: "make it writable",
       errno.EACCES: "fix the rights", errno.EPERM: "fix the rights", errno.EIO: "check the disk"}


def _operational(exc):
    if isinstance(exc, OSError):
        code = exc.errno
        if code is None:             # shutil.copytree gathers its failures into one message
            code = next((c for c in _DISK if os.strerror(c) in str(exc)), None)
        if code in _DISK:
            where = f" (writing {exc.filename})" if exc.filename else ""
            return (f"{_DISK[code]}{where}: {_DO[code]} and run the command again; everything "
                    f"recorded so far is kept")
    try:
        from sqlalchemy import exc as sa
    except ImportError:              # pragma: no cover -- SQLAlchemy comes with nbgrader
        return None
    if not isinstance(exc, sa.DBAPIError) or isinstance(exc, (sa.IntegrityError, sa.DataError)):
        return None
    text = str(getattr(exc, "orig", exc)).strip().splitlines()
    detail = text[0] if text else type(exc).__name__
    low = detail.lower()
    if "locked" in low:
        cause, todo = ("the gradebook is locked by another program",
                       "close the program writing to it (a formgrader, an nbgrader command) and "
                       "run the command again")
    elif "not a database" in low or "malformed" in low:
        cause, todo = ("the gradebook file is damaged",
                       "restore it from a backup, or move it away and run `build --force`, then "
                       "`autograde --force`, to grade everything into a new one")
    elif "disk" in low and "full" in low:
        cause, todo = "the disk is full", "free space and run the command again"
    elif "readonly" in low or "read-only" in low:
        cause, todo = "the gradebook cannot be written", "fix its rights and run the command again"
    elif isinstance(exc, (sa.OperationalError, sa.InterfaceError)):
        cause, todo = ("the gradebook's database cannot be reached",
                       "check that it is running and the --db URL, then run the command again")
    else:
        cause, todo = "the gradebook's database refused the command", "see --debug"
    return f"{cause} ({detail[:200]}): {todo}; everything recorded so far is kept"
