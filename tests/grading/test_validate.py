"""validate: the exit status reflects the visible tests (unlike `nbgrader validate`)."""

import nbformat

from autograder.tools.sample_class import make_submission
from autograder.student.validate import validate

from .conftest import ASSIGNMENT


def test_validate_fails_on_the_student_version_and_prints_messages(course, tmp_path):
    """The untouched student version: exit status 1 and every test reported FAIL."""
    lines = []
    code = validate(course.release_path(ASSIGNMENT), cell_timeout=20, out=lines.append)
    assert code == 1
    text = "\n".join(lines)
    assert text.count("FAIL") == 3 and "NotImplementedError" in text


def test_validate_passes_a_correct_notebook(notebooks, tmp_path):
    """A correct submission: exit status 0."""
    source, release = notebooks
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(make_submission("perfect", source, release), path)
    lines = []
    assert validate(path, cell_timeout=20, out=lines.append) == 0, lines
    assert "3/3 visible tests pass" in lines[-1]
