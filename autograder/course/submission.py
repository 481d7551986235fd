"""What is wrong with one upload, said in one line: its names, its timestamp, its notebook.

``collect`` refuses what cannot be a submission (a student or assignment name no gradebook can
hold, a timestamp that is not a date or is in the future) and flags what is one but will not grade
(a notebook that does not read as one: still collected, so the student gets an ``error`` result
with the reason); ``autograde`` checks the same again, because submitted/ can be written by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

# nbformat reads a notebook whole; bigger than this, a student's upload is not a course notebook
MAX_NOTEBOOK_MB = 100
# a clock a little ahead (another machine, a time zone missing from the stamp) is not a mistake
FUTURE_SLACK = dt.timedelta(days=1)


def bad_name(name):
    """Why ``name`` (a student's or an assignment's folder name) cannot be used, or None.

    >>> bad_name("ada lovelace"), bad_name("Zoë")
    (None, None)
    >>> bad_name("ada\\nlovelace")
    'contains a control character (U+000A)'
    >>> bad_name(".hidden")
    'starts with a dot'
    """
    for char in name:
        if unicodedata.category(char)[0] == "C":
            return f"contains a control character (U+{ord(char):04X})"
    if not name.strip():
        return "is empty"
    if name != name.strip():       # nbgrader strips ids: it would find no such student
        return "starts or ends with white space"
    if name.startswith("."):
        return "starts with a dot"
    if len(name.encode("utf-8")) > 200:
        return "is longer than 200 bytes"
    return None


def parse_stamp(stamp):
    """(UTC datetime, None), or (None, why ``stamp`` is not a submission time).

    >>> parse_stamp("2026-12-07 10:00:00.000000 UTC")[0]
    datetime.datetime(2026, 12, 7, 10, 0)
    >>> parse_stamp("garbage")[1]
    "is not a date ('garbage')"
    """
    from nbgrader.utils import parse_utc
    if stamp is None:
        return None, "cannot be read"
    try:
        when = parse_utc(stamp)
    except (ValueError, OverflowError, TypeError) as exc:
        return None, f"is not a date ({stamp[:60]!r})" if "Unknown string" in str(exc) or \
            "does not contain" in str(exc) else f"is not a date ({stamp[:60]!r}: {exc})"
    if when > dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + FUTURE_SLACK:
        return None, f"is in the future ({stamp[:60]!r})"
    return when, None


def unreadable_notebook(path):
    """Why the file at ``path`` is not a notebook nbgrader can grade (one line), or None."""
    import nbformat
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if size == 0:
        return "is empty (0 bytes): the upload was cut off or the file was never saved"
    if size > MAX_NOTEBOOK_MB * 2 ** 20:
        return f"is {size / 2 ** 20:.0f} MB, more than the {MAX_NOTEBOOK_MB} MB a notebook may be"
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"is not text (not UTF-8 at byte {exc.start})"
    try:
        data = json.loads(text)
    except ValueError as exc:
        return f"is not JSON ({exc}): the file is cut off or is not a notebook"
    if not isinstance(data, dict) or "nbformat" not in data:
        return "is JSON but not a notebook (no 'nbformat' field)"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:            # nbformat's own words
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"is not a valid notebook ({first[:200]})"
    return None
