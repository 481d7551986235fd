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


@pytest.mark.skipif(not REAL, reason="no notebooks yet")
def test_feedback_shows_the_notebooks_markdown_as_written(real_graded):
    """Sanitising (Course.record, feedback) keeps the instructor's markdown: the graded copy's
    markdown cells are the student version's, and the feedback page has each cell's text, math,
    tables, inline code and headings as nbconvert renders them."""
    from bs4 import BeautifulSoup
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from autograder.stages.feedback import feedback

    course, _ = real_graded
    pages = {path.parts[-2]: path for path in feedback(course) if path.parts[-3] == "perfect"}

    def text(node):
        return " ".join(node.get_text(" ").split())

    def structure(soup):
        return [(tag.name, text(tag)) for tag in soup.find_all(["table", "code", "h1", "h2", "h3"])]

    for name in REAL:
        release = nbformat.read(course.release_path(name), 4)
        graded = nbformat.read(course.root / "autograded" / "perfect" / name / f"{name}.ipynb", 4)
        markdown = [cell.source for cell in release.cells if cell.cell_type == "markdown"]
        assert [c.source for c in graded.cells if c.cell_type == "markdown"] == markdown
        page = BeautifulSoup(pages[name].read_text(encoding="utf-8"), "html.parser")
        shown, shown_text = structure(page), text(page)
        for source in markdown:
            rendered = BeautifulSoup(markdown2html_mistune(source), "html.parser")
            assert text(rendered).replace("¶", "").strip() in shown_text.replace("¶", "")
            for item in structure(rendered):
                assert item in shown, (name, item)
