"""No cell of an exported CSV runs as a formula when a spreadsheet opens it (CSV injection).

Student ids are the folder names ``collect`` takes, so a student can name theirs
``=HYPERLINK(...)``.  A class with such ids is collected, autograded and exported through the real
stages (grades CSV and Canvas CSV), and the files are read back with the csv module.
"""

import csv

import pytest

from autograder.cli import main
from autograder.stages.autograde import autograde
from autograder.stages.collect import collect
from autograder.stages.export import FORMULA_START, rows, spreadsheet_safe
from autograder.tools.sample_class import make_submission

from .conftest import CELL_TIMEOUT, DATA, NOTEBOOK_TIMEOUT, built_course, write_submission

# (no "/" in a folder name: the formula's URL is a plain word)
FORMULA_IDS = ['=HYPERLINK("evil.invalid","click")', "@SUM(1+1)", "+1", "-1+2"]
# a tab or CR in front: collect refuses the folder (a control character), so it never reaches an
# export; the neutraliser still handles them
CONTROL_IDS = ["\tcmd", "\rcmd"]
HONEST_IDS = ["ada", "o'brien", "x=1"]         # a quote or an = inside: left as they are


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(grades CSV rows, Canvas CSV rows, the export's own rows) of the class."""
    base = tmp_path_factory.mktemp("formulas")
    course, source, release = built_course(base / "course")
    inbox = base / "inbox"
    for student in FORMULA_IDS + CONTROL_IDS + HONEST_IDS:
        write_submission(inbox, student, make_submission("partial", source, release))
    report = {student: what for student, _, what in collect(course, inbox)}
    for student in CONTROL_IDS:
        assert report[repr(student)] == ("skipped: the student folder's name contains a control "
                                         f"character (U+{ord(student[0]):04X}); rename it")
    assert sorted(s for s, _, _ in course.submissions()) == sorted(FORMULA_IDS + HONEST_IDS)
    autograde(course, workers=2, progress=False)
    files = {}
    for form in ("csv", "canvas"):
        files[form] = base / f"{form}.csv"
        assert main(["export", "--format", form, "--output", str(files[form]),
                     "--course", str(course.root), "--notebooks", str(DATA),
                     "--cell-timeout", str(CELL_TIMEOUT),
                     "--notebook-timeout", str(NOTEBOOK_TIMEOUT)]) == 0

    def read(path):
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.reader(handle))

    return read(files["csv"]), read(files["canvas"]), rows(course)


def test_the_neutraliser_prefixes_formulas_and_only_text():
    """A text cell starting with = + - @ tab or CR gets a leading '; numbers (negative too),
    blanks and other text stay as they are."""
    assert spreadsheet_safe(FORMULA_IDS + CONTROL_IDS) == [
        "'" + text for text in FORMULA_IDS + CONTROL_IDS]
    assert spreadsheet_safe(HONEST_IDS + [-1.5, 0, 2.5, "", "'quoted"]) == (
        HONEST_IDS + [-1.5, 0, 2.5, "", "'quoted"])


def test_no_cell_of_either_export_starts_like_a_formula(exported):
    """Read back with the csv module, no cell of the grades CSV or the Canvas CSV starts with a
    character a spreadsheet would run it from."""
    grades, canvas, _ = exported
    cells = [cell for row in grades + canvas for cell in row]
    assert cells, "the exports are empty"
    assert [cell for cell in cells if cell.startswith(FORMULA_START)] == []


def test_formula_ids_are_neutralised_and_honest_ids_unchanged(exported):
    """The grades CSV's student column and the Canvas CSV's Student and SIS Login ID columns hold
    each formula id behind a ', and every other id exactly."""
    grades, canvas, _ = exported
    expected = sorted(["'" + s for s in FORMULA_IDS] + HONEST_IDS)
    assert sorted(row[0] for row in grades[1:]) == expected
    students = canvas[2:]
    assert sorted(row[0] for row in students) == expected
    assert sorted(row[3] for row in students) == expected


def test_scores_are_numbers_as_before(exported):
    """Scores stay numbers, each the gradebook's: the grades CSV's score column and each student's
    points in the Canvas CSV (blank where there is no trustworthy score)."""
    grades, canvas, table = exported
    score = {row["student"]: row["score"] for row in table}
    assert [s for s, value in score.items() if value is None] == [], score
    by_id = {row[0]: row for row in grades[1:]}
    canvas_by_id = {row[3]: row for row in canvas[2:]}
    for student in FORMULA_IDS + HONEST_IDS:
        written = student if student in HONEST_IDS else "'" + student
        if score[student] is None:
            assert by_id[written][2] == canvas_by_id[written][5] == ""
        else:
            assert float(by_id[written][2]) == score[student]
            assert float(canvas_by_id[written][5]) == score[student]
    assert canvas[1] == ["Points Possible", "", "", "", "", "5"]
