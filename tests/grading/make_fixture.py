"""Writes tests/grading/data/fx_basics.ipynb, the small source notebook most trust tests grade.

Run ``python tests/grading/make_fixture.py`` after editing; the notebook is committed so the tests
do not depend on this script.  Three answers (square 1 pt, sigmoid 2 pts, mean_loss 2 pts), each
test with visible checks (nnlib.checks) and hidden tests; the sigmoid solution is the naive formula,
which is right but warns (overflow in exp) on the hidden test's extreme inputs.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def answer(gid, source):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": gid, "schema_version": 3}})


def test(gid, points, source):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": points, "grade_id": gid,
        "schema_version": 3}})


def locked_markdown(gid, source):
    return new_markdown_cell(source, metadata={"nbgrader": {
        "grade": False, "solution": False, "locked": True, "grade_id": gid, "schema_version": 3}})


def build():
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    nb.cells = [
        new_markdown_cell("# Fixture: three small exercises\nUsed by tests/grading only."),
        new_code_cell("import numpy as np\nimport nnlib\n"
                      "from nnlib.checks import check_array, check_scalar, forbid"),
        answer("square", 'def square(x):\n    """x: array of any shape -> x squared, entry by entry."""\n'
                         "    ### BEGIN SOLUTION\n    return x ** 2\n    ### END SOLUTION"),
        test("test_square", 1,
             '"""Check square on a small array."""\n'
             'check_array(square(np.array([1.0, -2.0])), np.array([1.0, 4.0]), name="square(x)")\n'
             "### BEGIN HIDDEN TESTS\n"
             'assert np.allclose(square(np.array([3.0, 0.5])), [9.0, 0.25]), "HIDDEN-SQUARE-SECRET"\n'
             "### END HIDDEN TESTS"),
        locked_markdown("about_sigmoid", "The sigmoid is $\\sigma(z) = 1 / (1 + e^{-z})$."),
        answer("sigmoid", 'def sigmoid(z):\n    """z: array -> sigma(z), entry by entry."""\n'
                          "    ### BEGIN SOLUTION\n    return 1.0 / (1.0 + np.exp(-z))\n"
                          "    ### END SOLUTION"),
        test("test_sigmoid", 2,
             '"""Check sigmoid against nnlib.sigmoid, also on extreme inputs."""\n'
             "with forbid(nnlib.sigmoid, nnlib.Sigmoid):\n"
             "    got = sigmoid(np.array([0.0, 2.0]))\n"
             'check_array(got, nnlib.sigmoid(np.array([0.0, 2.0])), name="sigmoid(z)")\n'
             "### BEGIN HIDDEN TESTS\n"
             "with forbid(nnlib.sigmoid, nnlib.Sigmoid):\n"
             "    got = sigmoid(np.array([-1000.0, 1000.0]))   # right, but exp overflows: a warning\n"
             "np.testing.assert_allclose(got, [0.0, 1.0], atol=1e-12)\n"
             "### END HIDDEN TESTS"),
        answer("mean_loss", 'def mean_loss(Y, D):\n    """Y, D: (N, K) -> mean over the rows of '
                            'sum_j (y_j - d_j)^2 (a float)."""\n'
                            "    ### BEGIN SOLUTION\n"
                            "    return float(np.mean(np.sum((Y - D) ** 2, axis=1)))\n"
                            "    ### END SOLUTION"),
        test("test_mean_loss", 2,
             '"""Check mean_loss against nnlib.SquaredError."""\n'
             "Y = np.array([[0.5, 0.5], [1.0, 0.0], [0.2, 0.9]])\n"
             "D = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])\n"
             "with forbid(nnlib.SquaredError):\n"
             "    got = mean_loss(Y, D)\n"
             'check_scalar(got, nnlib.SquaredError()(Y, D), name="mean loss")\n'
             "### BEGIN HIDDEN TESTS\n"
             'check_scalar(mean_loss(D, D), 0.0, name="loss of a perfect prediction")\n'
             "assert abs(mean_loss(np.array([[2.0]]), np.array([[0.0]])) - 4.0) < 1e-12, "
             '"HIDDEN-LOSS-SECRET"\n'
             "### END HIDDEN TESTS"),
    ]
    return nb


if __name__ == "__main__":
    out = Path(__file__).with_name("data") / "fx_basics.ipynb"
    nbformat.write(build(), out)
    print(out)
