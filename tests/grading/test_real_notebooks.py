"""The course's real notebooks through the real pipeline: solution full marks, stub zero."""

from pathlib import Path

import nbformat
import pytest

from autograder.stages.autograde import autograde
from autograder.stages.build import build
from autograder.stages.collect import collect
from autograder.course import Course
from autograder.tools.sample_class import graded_test_ids, make_submission

from misconceptions.catalogue_05 import SOFTMAX_J, VJP      # tests/ is on the path (rootdir)

from .conftest import write_submission

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
REAL = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
SOFTMAX = "05_softmax_subgradients"

# Wrong answers to notebook 05 that only the grader's own measures catch: a softmax_backward that
# builds every example's K x K Jacobian (right numbers, the memory the exercise is about), the same
# with the kernel's tracemalloc silenced so that its own report says 0 bytes (the kernel's memory
# cgroup, read by the checker, still sees the Jacobians), and a softmax_jacobian without the max
# shift, right on every visible input (only the hidden tests' huge logits, drawn afresh, show it).
_JACOBIANS = ("return np.stack([dY[n] @ (np.diag(Y[n]) - np.outer(Y[n], Y[n])) "
              "for n in range(len(Y))])")
_SILENCED = ("import tracemalloc\ntracemalloc.get_traced_memory = lambda: (0, 0)\n"
             "tracemalloc.reset_peak = lambda: None\n")
WRONG_05 = {
    "jacobians": {"softmax_backward": [(VJP, _JACOBIANS)]},
    "jacobians_silenced": {"softmax_backward": [("", _SILENCED), (VJP, _JACOBIANS)]},
    "unshifted": {"softmax_jacobian": [(SOFTMAX_J, "    y = np.exp(z) / np.exp(z).sum()\n"
                                                   "    return np.diag(y) - np.outer(y, y)")]},
}


def wrong_05(source, release, answers):
    """The solution with the given answer cells' code replaced ("" before: prepended)."""
    nb = make_submission("perfect", source, release)
    for cell in nb.cells:
        for old, new in answers.get(cell.metadata.get("nbgrader", {}).get("grade_id"), ()):
            assert old in cell.source, (old, cell.source)
            cell.source = new + cell.source if old == "" else cell.source.replace(old, new)
    return nb


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
        if name == SOFTMAX:
            for student, answers in WRONG_05.items():
                write_submission(inbox, student, wrong_05(source, release, answers), assignment=name)
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


@pytest.mark.skipif(SOFTMAX not in REAL, reason="no notebook 05")
def test_what_only_the_graders_measures_see_is_caught(real_graded):
    """The Jacobian-building answers score 0 on test_softmax_backward, with the memory message,
    also when the kernel's own measure is silenced; the unshifted softmax_jacobian scores 0 on
    test_softmax_jacobian (its hidden part); every other test keeps its full marks."""
    from autograder.sandbox.cgroups import own_cgroup

    _, results = real_graded
    failed = {"jacobians": "test_softmax_backward", "jacobians_silenced": "test_softmax_backward",
              "unshifted": "test_softmax_jacobian"}
    for student, gid in failed.items():
        if student == "jacobians_silenced" and own_cgroup("memory") is None:
            continue        # no memory cgroup here (not root): only the kernel's word is measured
        result = results[(student, SOFTMAX)]
        assert result.status == "graded", result.reason
        scores = {g: v.auto_score for g, v in result.grades.items()}
        assert scores.pop(gid) == 0, result.failures
        assert all(scores[g] == result.grades[g].max_score for g in scores), result.failures
        message = next(f["message"] for f in result.failures if f["grade_id"] == gid)
        if gid == "test_softmax_backward":
            assert "MB of extra memory" in message and "Jacobian" in message, message


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
