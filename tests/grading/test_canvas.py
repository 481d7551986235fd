"""export --format canvas: the layout of Canvas's gradebook import, one row per student."""

import csv

from autograder.stages.canvas import IDENTITY, canvas_table
from autograder.cli import main

from .conftest import ASSIGNMENT, CELL_TIMEOUT, DATA, NOTEBOOK_TIMEOUT


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_canvas_export_has_one_row_per_student_and_points(graded, course, tmp_path):
    """Header Student, ID, SIS User ID, SIS Login ID, Section, then the assignment; the Points
    Possible row; a student's points, blank where there is no trustworthy score."""
    out = tmp_path / "canvas.csv"
    code = main(["export", "--format", "canvas", "--output", str(out), "--course", str(course.root),
                 "--notebooks", str(DATA), "--cell-timeout", str(CELL_TIMEOUT),
                 "--notebook-timeout", str(NOTEBOOK_TIMEOUT)])
    assert code == 0
    header, points, *rows = _read(out)
    assert header == IDENTITY + [ASSIGNMENT]
    assert points == ["Points Possible", "", "", "", "", "5"]
    by_login = {row[3]: row for row in rows}
    assert len(rows) == len(by_login) == len({s for s, _, _ in course.submissions()})
    assert by_login["perfect"] == ["perfect", "", "", "perfect", "", "5"]
    assert by_login["stub"][5] == "0"
    assert by_login["crasher"][5] == "3"          # crashed: the points it earned before the crash
    assert by_login["nometa"][5] == ""            # manual grading: blank, never a 0


def test_canvas_roster_gives_identities_and_existing_assignment_columns(tmp_path):
    """With Canvas's own export as roster: each student's Canvas identity (matched on SIS Login
    ID, SIS User ID or ID), each assignment's existing column "Name (id)"; several assignments
    are columns of the same row."""
    roster = tmp_path / "export.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,01_derivatives (4711),Quiz 1 (12)\n"
        "    Points Possible,,,,,5.00,10.00\n"
        '"Lovelace, Ada",101,u101,ada,Sec A,,\n'
        '"Turing, Alan",102,alan,aturing,Sec B,,\n', encoding="utf-8")
    rows = [
        {"student": "ada", "assignment": "01_derivatives", "score": 4.0, "max_score": 5.0,
         "status": "graded"},
        {"student": "ada", "assignment": "02_forward", "score": 2.5, "max_score": 3.0,
         "status": "graded"},
        {"student": "alan", "assignment": "01_derivatives", "score": None, "max_score": 5.0,
         "status": "error"},
        {"student": "grace", "assignment": "02_forward", "score": 3.0, "max_score": 3.0,
         "status": "graded"},
    ]
    header, points, body = canvas_table(rows, roster)
    assert header == IDENTITY + ["01_derivatives (4711)", "02_forward"]
    assert points == ["Points Possible", "", "", "", "", 5, 3]
    assert body == [
        ["Lovelace, Ada", "101", "u101", "ada", "Sec A", 4, 2.5],
        ["Turing, Alan", "102", "alan", "aturing", "Sec B", "", ""],     # matched on SIS User ID
        ["grace", "", "", "grace", "", "", 3],                           # not in the roster
    ]
