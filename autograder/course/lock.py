"""One writer per course: ``build``, ``collect``, ``autograde`` and ``feedback`` hold the course's
writer lock for as long as they run; a second one refuses at once (or waits, with ``--wait``),
naming the process that holds it.

The lock is an ``flock`` on ``COURSE/.writer.lock``: the kernel releases it when its holder exits,
however it exits (SIGKILL included), so there is never a stale lock to remove by hand.  The file
holds who took it (pid, host, command, since when) only to name the holder in the refusal; the
lock itself is the flock, not the file's existence.  A course whose gradebook is a PostgreSQL
database takes a second lock there (a session advisory lock, released when the connection drops):
two copies of a course folder on two machines that share one database never write at once either.

Readers (``export``, ``summary``, the formgrader) take no lock: every file is replaced atomically
(autograder.course.files) and every result is committed on its own, so they read one state or the
next, never half of one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import threading
import time
from pathlib import Path

from autograder.course.errors import CourseError

LOCK_FILE = ".writer.lock"
_held = {}      # (course root, thread) -> [fd, depth, database lock]: re-entrant in one thread only
_guard = threading.Lock()


class CourseBusy(CourseError):
    """Another process is writing to the course (its message names it)."""


def holder(root):
    """Who holds (or last held) the lock of the course at ``root``: a short description."""
    try:
        info = json.loads((Path(root) / LOCK_FILE).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not isinstance(info, dict):
        return "another process"
    return (f"`{info.get('command', '?')}` (pid {info.get('pid', '?')} on {info.get('host', '?')}, "
            f"since {info.get('since', '?')})")


@contextlib.contextmanager
def writer(course, command, wait=False, on_wait=None):
    """Hold the course's writer lock for the block (re-entrant within one thread)."""
    root = (str(course.root), threading.get_ident())
    with _guard:
        entry = _held.get(root)
        if entry is not None:
            entry[1] += 1
    if entry is None:           # taken outside the guard: a waiting thread blocks no other one
        entry = _take(course, command, wait, on_wait)
        with _guard:
            _held[root] = entry
    try:
        yield
    finally:
        with _guard:
            _held[root][1] -= 1
            if _held[root][1] == 0:
                fd, _, database = _held.pop(root)
                if database is not None:
                    with contextlib.suppress(Exception):
                        database.close()
                os.close(fd)


def holding(course):
    """Does this thread hold the course's writer lock?"""
    return (str(course.root), threading.get_ident()) in _held


def _take(course, command, wait, on_wait):
    path = Path(course.root) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise CourseBusy(f"{course.root} is being written by {holder(course.root)}; "
                                 f"wait for it to finish (or pass --wait)") from None
            if on_wait is not None:
                on_wait(f"waiting for {holder(course.root)} to finish with {course.root}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
              "since": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode() + b"\n", 0)
        database = _database_lock(course, command, wait, on_wait)
    except BaseException:
        os.close(fd)
        raise
    return [fd, 1, database]


# The key of the PostgreSQL advisory lock (advisory locks are per database: one per gradebook)
ADVISORY_KEY = int.from_bytes(b"agwriter", "big") >> 1


def _database_lock(course, command, wait, on_wait, poll=1.0):
    """With a PostgreSQL gradebook: a connection holding the database's writer lock, or None."""
    url = course.db_url
    if not url.startswith("postgresql"):
        return None
    import sqlalchemy
    name = f"autograder {command} pid {os.getpid()} on {socket.gethostname()}"[:63]
    engine = sqlalchemy.create_engine(url, connect_args={"application_name": name,
                                                         "connect_timeout": 10},
                                      poolclass=sqlalchemy.pool.NullPool)
    connection = engine.connect()
    key = ADVISORY_KEY
    announced = False
    while True:
        got = connection.execute(sqlalchemy.text("SELECT pg_try_advisory_lock(:k)"),
                                 {"k": key}).scalar()
        if got:
            connection.commit()
            return connection
        other = connection.execute(sqlalchemy.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND "
            "((l.classid::bigint << 32) | l.objid::bigint) = :k"), {"k": key}).scalar()
        connection.rollback()
        who = f"`{other}`" if other else "another process"
        if not wait:
            connection.close()
            raise CourseBusy(f"the course's gradebook database is being written by {who}; "
                             f"wait for it to finish (or pass --wait)")
        if on_wait is not None and not announced:
            on_wait(f"waiting for {who} to finish with the gradebook database")
            announced = True
        time.sleep(poll)
