"""Export: the grades as CSV, one row per submission with its status and the reason for it.

A score that cannot be trusted (a crash, a manual-grading flag, not graded yet) is left blank, never
a silent 0.  canvas.py writes the same rows in Canvas's format; summary.py summarises them.  Both
writers pass every row through ``spreadsheet_safe``: no cell of theirs runs as a formula.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.course import files
from autograder.jobs import NO_SCORE

EXPORT_FIELDS = ["student", "assignment", "score", "max_score", "status", "reason"]
# A spreadsheet opening a CSV runs a text cell that starts with one of these as a formula
# (=HYPERLINK(...), @SUM(...), -1+2, or a tab/CR before one): OWASP's CSV injection.  Student ids
# are the folder names collect took, so they are anyone's to choose.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cells):
    """``cells`` (one CSV row) as every writer here writes them: a text cell that starts like a
    formula gets a leading ``'`` (so the spreadsheet shows it as text); numbers, whatever their
    sign, and everything else stay as they are.

    >>> spreadsheet_safe(["@SUM(1+1)", "-1+2", "ada", -1.5, 3, ""])
    ["'@SUM(1+1)", "'-1+2", 'ada', -1.5, 3, '']
    """
    return [f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell
            for cell in cells]


def scores(gb):
    """{(student, assignment): (score, max_score)} of every submission in the gradebook.

    One grouped query over the grades (a grade's ``score`` is nbgrader's own expression: manual
    over automatic, extra credit included).  Asking each submission for its ``score`` is a query
    per row, and nbgrader's ``submission_dicts`` a plan SQLite runs in quadratic time: either
    would make a class's export grow with the square of its size."""
    from nbgrader.api import Assignment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func

    maximum = {a.name: a.max_score for a in gb.assignments}
    totals = (gb.db.query(SubmittedAssignment.student_id, Assignment.name,
                          func.coalesce(func.sum(Grade.score), 0.0))
              .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
              .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
              .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
              .group_by(SubmittedAssignment.id, SubmittedAssignment.student_id, Assignment.name))
    return {(student, name): (score, maximum[name]) for student, name, score in totals}


STALE = "stale"       # the status of a result whose submission has changed since it was graded


def rows(course):
    """One dict per submission: score from the gradebook, status and reason from results.

    A result counts only for the files it graded: one whose submission changed since is
    ``stale`` (no score), one that cannot be read is ``not graded`` with its path in the reason."""
    from nbgrader.api import Gradebook

    # Results first, the gradebook after: autograde commits a submission's scores before it
    # writes its result, so a result read here has its scores in the gradebook read next (an
    # export taken while autograde records never pairs a new result with old scores).
    states = [(student, assignment, course.state(student, assignment, stamp))
              for student, assignment, stamp in course.submissions()]
    rows = []
    with Gradebook(course.db_url) as gb:
        known = scores(gb)
        for student, assignment, (result, why) in states:
            score, max_score = known.get((student, assignment), (None, None))
            if result is None:
                status, reason, score = "not graded", why, None
            elif why is not None:
                status, reason, score = STALE, why, None
            else:
                status, reason = str(result.status), result.reason
                if result.status in NO_SCORE:
                    score = None      # no trustworthy number: never a silent 0.0
            rows.append({"student": student, "assignment": assignment,
                         "score": None if score is None else round(float(score), 2),
                         "max_score": None if max_score is None else round(float(max_score), 2),
                         "status": status, "reason": reason,
                         "sandboxed": result.sandboxed if result else True,
                         "failures": result.failures if result and why is None else []})
    return rows


def export(course, path=None):
    path = Path(path or course.root / "reports" / "grades.csv")
    table = rows(course)
    with files.replacing(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(spreadsheet_safe(EXPORT_FIELDS))
        for row in table:
            writer.writerow(spreadsheet_safe(["" if row[k] is None else row[k]
                                              for k in EXPORT_FIELDS]))
    return path
