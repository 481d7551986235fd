"""validate shows a crash in a cell that is not a test, not only the tests that fail after it."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.student.validate import validate


def _notebook(tmp_path):
    """An answer that crashes, a training cell that calls it, and a test that sees no training."""
    answer = new_code_cell("def backward(x):\n    return x[5]          # IndexError on a short list\n")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                   "grade_id": "backward", "schema_version": 3}
    training = new_code_cell("history = [backward([1, 2, 3])]\n")
    test = new_code_cell('"""Check that training ran."""\n'
                         'assert "history" in globals(), "the training did not run"\n')
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                 "grade_id": "test_training", "schema_version": 3}
    nb = new_notebook(cells=[answer, training, test],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    path = tmp_path / "crash.ipynb"
    nbformat.write(nb, path)
    return path


def test_validate_reports_the_crash_of_a_non_test_cell(tmp_path):
    """The crash (its cell and its error) is printed before the failing test's own line."""
    lines = []
    assert validate(_notebook(tmp_path), cell_timeout=30, out=lines.append) == 1
    text = "\n".join(lines)
    assert "ERROR cell 1 (history = [backward([1, 2, 3])])" in text
    assert "IndexError: list index out of range" in text
    assert text.index("IndexError") < text.index("FAIL  test_training")
