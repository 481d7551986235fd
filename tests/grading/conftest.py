"""Fixtures for the grading trust tests: a class graded ONCE through real nbgrader, shared.

The fixture assignment tests/grading/data/fx_basics.ipynb has three questions (square 1 pt,
sigmoid 2 pts, mean_loss 2 pts) with visible and hidden tests.  Short bounds keep the suite fast:
5 s per cell, 30 s per notebook.
"""

import copy
from pathlib import Path

import nbformat
import pytest

from autograder.stages.autograde import autograde
from autograder.stages.build import build
from autograder.stages.collect import collect
from autograder.course import Course
from autograder.tools.sample_class import KINDS, make_submission

DATA = Path(__file__).with_name("data")
ASSIGNMENT = "fx_basics"
CELL_TIMEOUT, NOTEBOOK_TIMEOUT = 5, 30


def built_course(root, **timeouts):
    """(course, source, release): the fixture assignment built in a new course at ``root`` (the
    grading tests' short timeouts unless given), and its source and student notebooks."""
    timeouts = {"cell_timeout": CELL_TIMEOUT, "notebook_timeout": NOTEBOOK_TIMEOUT, **timeouts}
    course = Course(root, DATA, **timeouts)
    build(course)
    return course, *assignment_notebooks(course)


def class_course(root, notebooks, students):
    """A new course at ``root``/course with ``students`` ({name: sample kind}) collected."""
    source, release = notebooks
    course = Course(root / "course", DATA, cell_timeout=CELL_TIMEOUT,
                    notebook_timeout=NOTEBOOK_TIMEOUT)
    build(course)
    for name, kind in students.items():
        write_submission(root / "inbox", name, make_submission(kind, source, release))
    collect(course, root / "inbox")
    return course


def assignment_notebooks(course, assignment=ASSIGNMENT):
    """(source, release) of a built assignment."""
    source = nbformat.read(course.root / "source" / assignment / f"{assignment}.ipynb", 4)
    return source, nbformat.read(course.release_path(assignment), 4)


def write_submission(folder, student, nb, assignment=ASSIGNMENT):
    target = Path(folder) / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target / f"{assignment}.ipynb")


def all_answers_loop(source_nb, release_nb):
    """Every answer loops forever when called: one cell timeout per test would add up."""
    from autograder.tools.sample_class import _nbg, _replace_calls
    nb = copy.deepcopy(release_nb)
    source = {_nbg(c).get("grade_id"): c for c in source_nb.cells}
    for cell in nb.cells:
        meta = _nbg(cell)
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            cell.source = _replace_calls(source[meta["grade_id"]], "    while True:\n        pass")
    return nb


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    return built_course(tmp_path_factory.mktemp("grading") / "course")[0]


@pytest.fixture(scope="session")
def notebooks(course):
    return assignment_notebooks(course)


@pytest.fixture(scope="session")
def graded(course, notebooks, tmp_path_factory):
    """Every kind of sample submission, plus one whose answers all loop, graded in one batch."""
    source, release = notebooks
    inbox = tmp_path_factory.mktemp("inbox")
    for kind in KINDS:
        write_submission(inbox, kind, make_submission(kind, source, release))
    short = copy.deepcopy(course)
    write_submission(inbox, "allloop", all_answers_loop(source, release))
    collect(course, inbox)
    # the all-loop notebook gets an 8 s budget so the bound (not 3 x 5 s of timeouts) is what stops it
    results = {r.student: r for r in autograde(course, workers=2, progress=False,
                                                  students=[k for k in KINDS])}
    short.notebook_timeout = 8
    results.update({r.student: r for r in autograde(short, workers=1, progress=False,
                                                      students=["allloop"])})
    return results


def scores(result):
    return {gid: g.auto_score for gid, g in result.grades.items()}
