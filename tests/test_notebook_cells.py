"""Every graded test cell passes on the solution and fails on the student stub, for every notebook.

Each notebook in notebooks/ is executed twice per session (its solution version and
the student version nbgrader makes of it); the per-cell outcomes are cached and each
test looks up one cell.  The second half of this file tests the harness itself on
tests/data/tiny_assignment.ipynb.

One notebook only: ``pytest tests/test_notebook_cells.py -k 02_forward_pass``.
"""

import copy

import pytest

import notebook_tools as nt


def _notebook_cases():
    """(path, grade_id) for every graded test cell of every notebook, read at collection."""
    cells, notebooks = [], []
    for path in nt.notebook_paths():
        notebooks.append(pytest.param(path, id=path.stem))
        try:
            ids = nt.graded_test_ids(nt.read(path))
        except Exception:       # noqa: BLE001 - the test itself reports the read error
            ids = ["<unreadable>"]
        cells.extend(pytest.param(path, gid, id=f"{path.stem}/{gid}") for gid in ids)
    skip = pytest.mark.skip(reason="no notebooks (or no graded test cells) in notebooks/ yet")
    return (cells or [pytest.param(None, None, marks=skip, id="none")],
            notebooks or [pytest.param(None, marks=skip, id="none")])


CELL_CASES, NOTEBOOK_CASES = _notebook_cases()


class Runs:
    """Source, student version and executions of notebooks, each computed once."""

    def __init__(self):
        self._cache = {}

    def _get(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def source(self, path):
        return self._get(("source", path), lambda: nt.read(path))

    def student(self, path):
        return self._get(("student", path), lambda: nt.student_version(self.source(path)))

    def run(self, path, version, cwd=nt.NOTEBOOKS_DIR):
        """The execution of one version; both versions are executed together, once."""
        if ("run", path, version) not in self._cache:
            solution, student = nt.execute_many(
                [(self.source(path), f"{path.name} [solution]"),
                 (self.student(path), f"{path.name} [student]")], cwd=cwd)
            self._cache[("run", path, "solution")] = solution
            self._cache[("run", path, "student")] = student
        return self._cache[("run", path, version)]


@pytest.fixture(scope="module")
def runs():
    return Runs()


def _fail_if(problems):
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


# --------------------------------------------------------------------------- the notebooks
@pytest.mark.parametrize("path, grade_id", CELL_CASES)
def test_graded_cell_passes_on_solution(runs, path, grade_id):
    """The test cell runs without error and without stderr on the solution notebook."""
    nb = runs.source(path)
    _fail_if(nt.solution_problems(nb, runs.run(path, "solution"), grade_id))


@pytest.mark.parametrize("path, grade_id", CELL_CASES)
def test_graded_cell_fails_on_student_stub(runs, path, grade_id):
    """The test cell fails (for the right reason) on what students receive."""
    student = runs.student(path)
    _fail_if(nt.student_problems(student, runs.run(path, "student"), grade_id))


@pytest.mark.parametrize("path", NOTEBOOK_CASES)
def test_student_version_hides_solutions_and_hidden_tests(runs, path):
    """No solution code and no hidden test survives in the student version."""
    source, student = runs.source(path), runs.student(path)
    _fail_if(nt.leak_problems(student) + nt.removed_region_problems(source, student))


@pytest.mark.parametrize("path", NOTEBOOK_CASES)
def test_solution_notebook_runs_through(runs, path):
    """The solution notebook executes completely; its other cells raise nothing."""
    run = runs.run(path, "solution")
    _fail_if(([f"{run.name}: {run.crash}"] if run.crash else [])
             + nt.other_cell_problems(runs.source(path), run))


@pytest.mark.parametrize("path", NOTEBOOK_CASES)
def test_student_notebook_runs_through(runs, path):
    """The student version executes to the end without killing the kernel."""
    run = runs.run(path, "student")
    _fail_if([f"{run.name}: {run.crash}"] if run.crash else [])


# --------------------------------------------------------------------------- the harness
TINY = nt.DATA_DIR / "tiny_assignment.ipynb"


@pytest.fixture(scope="module")
def tiny(runs):
    """The fixture notebook: source, student version and both executions."""
    return (runs.source(TINY), runs.student(TINY),
            runs.run(TINY, "solution", cwd=nt.DATA_DIR), runs.run(TINY, "student", cwd=nt.DATA_DIR))


def test_student_version_is_nbgraders(tiny):
    """The stub is nbgrader's, and hidden tests and solutions are gone."""
    source, student, _, _ = tiny
    assert "# YOUR CODE HERE\n    raise NotImplementedError()" in student.cells[2].source
    assert "return 2 * x" not in student.cells[2].source
    assert "double(-x.T)" not in student.cells[4].source
    assert "double(-x.T)" in source.cells[4].source           # the source is left alone
    assert nt.leak_problems(student) == []
    assert nt.removed_region_problems(source, student) == []


def test_tiny_solution_passes_and_stub_fails(tiny):
    """On the fixture, graded cells pass on the solution and fail on the stub."""
    source, student, solution_run, student_run = tiny
    assert nt.graded_test_ids(source) == ["test_double_vector", "test_double_matrix"]
    for gid in nt.graded_test_ids(source):
        assert nt.solution_problems(source, solution_run, gid) == []
        assert nt.student_problems(student, student_run, gid) == []
    assert [student_run.cells[i].ename for i in (3, 4)] == ["NotImplementedError"] * 2
    assert solution_run.crash == student_run.crash == ""


def test_leak_detection():
    """A student version that still holds solution or hidden lines is reported."""
    source = nt.read(TINY)
    leaky = copy.deepcopy(source)            # pretend nbgrader did nothing
    assert any("BEGIN HIDDEN TESTS" in p for p in nt.leak_problems(leaky))
    assert any("solution line" in p for p in nt.removed_region_problems(source, leaky))
    assert any("hidden test line" in p for p in nt.removed_region_problems(source, leaky))


@pytest.fixture(scope="module")
def broken():
    """A fixture variant with four kinds of broken test cells, executed in both versions."""
    nb = nt.read(TINY)
    template = nb.cells[3]
    sources = {
        "test_passes_on_stub": '"""Check that nothing is checked."""\nassert True',
        "test_all_hidden": ('"""Check that a block whose body is hidden breaks."""\nif True:\n'
                            '    ### BEGIN HIDDEN TESTS\n    assert double(1) == 2\n'
                            '    ### END HIDDEN TESTS'),
        "test_stderr": ('"""Check that stderr is noticed."""\nimport sys\n'
                        'print("noise", file=sys.stderr)\nassert double(1) == 2'),
        "test_wrong_on_solution": ('"""Check that a wrong test is noticed."""\n'
                                   'assert double(1) == 3'),
    }
    nb.cells = nb.cells[:3]
    for gid, src in sources.items():
        cell = copy.deepcopy(template)
        cell.source, cell.id = src, gid.replace("_", "-")
        cell.metadata.nbgrader.grade_id = gid
        nb.cells.append(cell)
    student = nt.student_version(nb)
    runs = nt.execute_many([(nb, "broken [solution]"), (student, "broken [student]")],
                           cwd=nt.DATA_DIR)
    return (nb, student, *runs)


def test_harness_reports_broken_cells(broken):
    """Each kind of broken test cell gets a message naming the cell and the cause."""
    nb, student, solution_run, student_run = broken
    passes = nt.student_problems(student, student_run, "test_passes_on_stub")
    assert len(passes) == 1 and "test_passes_on_stub" in passes[0] and "stub" in passes[0]
    hidden = nt.student_problems(student, student_run, "test_all_hidden")
    assert len(hidden) == 1 and "Error" in hidden[0] and "broken for students" in hidden[0]
    stderr = nt.solution_problems(nb, solution_run, "test_stderr")
    assert len(stderr) == 1 and "stderr" in stderr[0] and "noise" in stderr[0]
    wrong = nt.solution_problems(nb, solution_run, "test_wrong_on_solution")
    assert len(wrong) == 1 and "AssertionError" in wrong[0] and "double(1) == 3" in wrong[0]


def test_harness_survives_timeouts_and_dead_kernels():
    """A cell that hangs is interrupted and recorded; a dead kernel stops the run cleanly."""
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import time\ntime.sleep(30)"),
                             new_code_cell("x = 1"),
                             new_code_cell("import os\nos._exit(1)"),
                             new_code_cell("y = 2")],
                      metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    run = nt.execute(nb, "hang", cwd=nt.DATA_DIR, timeout=2)
    assert [run.cells[i].status for i in range(4)] == ["timeout", "passed", "not run", "not run"]
    assert "kernel died" in run.crash
