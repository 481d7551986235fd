"""``export --format canvas``: the grades as a CSV that Canvas's gradebook import accepts.

Canvas imports the layout of its own gradebook export (Grades > Export): the columns ``Student``,
``ID``, ``SIS User ID``, ``SIS Login ID`` and ``Section`` say who a row is (Canvas matches a row on
its ID, SIS User ID or SIS Login ID), then one column per assignment, named ``Name (id)`` for an
assignment Canvas already has (a column without ``(id)`` creates a new assignment), holding points.
The row under the header, ``Points Possible``, gives each assignment's points, as in the export.
A blank cell leaves the grade in Canvas as it is: a submission without a trustworthy score (not
graded yet, an error, a manual-grading flag) is blank, never a 0.  Points are numbers; a text cell
that a spreadsheet would run as a formula is written with a leading ``'``
(``export.spreadsheet_safe``), so such a student id no longer matches Canvas's own.

Our students are the folder names ``collect`` took.  Without a roster each becomes a row with that
name as its SIS Login ID and every assignment a new Canvas assignment.  With ``roster`` -- Canvas's
own export of the course's gradebook -- a student is matched to the roster row whose SIS Login ID,
SIS User ID or ID equals their name (their Canvas identity is copied), and an assignment to the
roster column ``<assignment> (<id>)``, so the import updates the existing assignments.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

from autograder.course import files
from autograder.jobs import NO_SCORE
from autograder.stages import export

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
LOG = logging.getLogger("autograder")


def read_roster(path):
    """(identities, columns) of a Canvas gradebook export.

    ``identities`` maps every SIS Login ID, SIS User ID and ID to its row's identity columns,
    ``columns`` maps an assignment name to its column header ``Name (id)``.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    identities, columns = {}, {}
    for row in rows:
        if (row.get("Student") or "").strip() == POINTS_POSSIBLE:
            continue
        identity = {key: row.get(key, "") for key in IDENTITY}
        for key in ("SIS Login ID", "SIS User ID", "ID"):
            if row.get(key):
                identities.setdefault(row[key].strip(), identity)
    header = rows[0].keys() if rows else []
    for name in header:
        match = re.fullmatch(r"(.*\S)\s+\((\d+)\)", name or "")
        if match:
            columns.setdefault(match.group(1), name)
    return identities, columns


def canvas_table(rows, roster=None):
    """(header, points row, student rows) for the course's ``rows`` (autograder.export.rows)."""
    identities, columns = read_roster(roster) if roster else ({}, {})
    assignments = sorted({r["assignment"] for r in rows})
    points, scores = {}, {}
    for row in rows:
        if row["max_score"] is not None:
            points.setdefault(row["assignment"], row["max_score"])
        if row["status"] not in NO_SCORE | {"not graded"} and row["score"] is not None:
            scores[row["student"], row["assignment"]] = row["score"]
    header = IDENTITY + [columns.get(a, a) for a in assignments]
    points_row = [POINTS_POSSIBLE, "", "", "", ""] + [_number(points.get(a)) for a in assignments]
    body, unknown = [], []
    for student in sorted({r["student"] for r in rows}):
        identity = identities.get(student)
        if identity is None:
            if roster:
                unknown.append(student)
            identity = {"Student": student, "ID": "", "SIS User ID": "", "SIS Login ID": student,
                        "Section": ""}
        body.append([identity[key] for key in IDENTITY]
                    + [_number(scores.get((student, a))) for a in assignments])
    if unknown:
        LOG.warning("not in the Canvas roster (Canvas will report them as unknown): %s",
                    ", ".join(unknown))
    return header, points_row, body


def _number(value):
    """Points as a number (an int when whole: 5, not 5.0), or a blank cell."""
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else float(value)


def export_canvas(course, path=None, roster=None):
    """Write the Canvas import file (default ``COURSE/reports/canvas.csv``); return its path."""
    path = Path(path or course.root / "reports" / "canvas.csv")
    header, points_row, body = canvas_table(export.rows(course), roster)
    with files.replacing(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in [header, points_row, *body]:
            writer.writerow(export.spreadsheet_safe(row))
    return path
