"""The course's real notebooks through the real pipeline: solution full marks, stub zero."""

from pathlib import Path

import nbformat
import pytest

from autograder.stages.autograde import autograde
from autograder.stages.build import build
from autograder.stages.collect import collect
from autograder.course import Course
from autograder.tools.sample_class import graded_test_ids, make_submission

from .conftest import write_submission

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
REAL = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def real_graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("real") / "course"
    course = Course(root, NOTEBOOKS, cell_timeout=60, notebook_timeout=180)
    build(course)
    inbox = tmp_path_factory.mktemp("real_inbox")
    for name in REAL:
        source = nbformat.read(course.root / "source" / name / f"{name}.ipynb", 4)
        release = nbformat.read(course.release_path(name), 4)
        for kind in ("perfect", "stub"):
            write_submission(inbox, kind, make_submission(kind, source, release), assignment=name)
    collect(course, inbox)
    results = autograde(course, workers=2, progress=False)
    return course, {(r.student, r.assignment): r for r in results}


@pytest.mark.skipif(not REAL, reason="no notebooks yet")
@pytest.mark.parametrize("name", REAL)
def test_solution_full_marks_and_stub_zero(real_graded, name):
    """Solution: every test full marks; student version: every test 0; both status graded."""
    course, results = real_graded
    source = nbformat.read(course.root / "source" / name / f"{name}.ipynb", 4)
    tests = graded_test_ids(source)
    perfect, stub = results[("perfect", name)], results[("stub", name)]
    assert perfect.status == "graded", perfect.reason
    assert {g: v.auto_score for g, v in perfect.grades.items()} == {
        g: v.max_score for g, v in perfect.grades.items()}, perfect.failures
    assert set(perfect.grades) == set(tests)
    assert not any(c.get("integrity") for c in perfect.cells.values()), perfect.cells  # no false alarms
    assert stub.status == "graded", stub.reason
    assert all(v.auto_score == 0 for v in stub.grades.values()), stub.grades
