"""The trusted checker against a real kernel-side server in a process of its own (no Jupyter):
test cells run in the checker, the student's names are proxies, and nothing of a test but the
inputs of its calls reaches the student's process.  The whole pipeline (nbgrader, sandbox,
Jupyter kernel) is tested in test_real_notebooks.py and test_hostile.py; here each rule of the
checker is shown on a small notebook."""

import os
import socket
import subprocess
import sys
import textwrap

import nbformat
import numpy as np
import pytest

from autograder.checker.plan import make_plan
from autograder.checker.session import Session

# The student's kernel: the answers run in one namespace, then each test cell is served in turn;
# every request the kernel receives is written to a log (what the student's process sees).
KERNEL = textwrap.dedent("""
    import json, sys
    import autograder.kernel.wire as wire
    log = open(sys.argv[2], "w")
    _recv = wire.recv
    def recv(sock, limits, deadline=None):
        header, buffers = _recv(sock, limits, deadline)
        log.write(json.dumps(header) + "\\n" + repr([bytes(b) for b in buffers]) + "\\n")
        log.flush()
        return header, buffers
    wire.recv = recv
    namespace = {"__name__": "__main__"}
    exec(compile(sys.stdin.read(), "<notebook>", "exec"), namespace)
    from autograder.kernel.serve import serve
    while True:
        try:
            serve(sys.argv[1], namespace)
        except RuntimeError:         # the checker stopped listening: the notebook is over
            break
""")

IMPORTS = ("import numpy as np\nimport nnlib\n"
           "from nnlib.checks import check_array, check_loops, earlier_answers, forbid, "
           "grading_rng, peak_memory\n")


def notebook(cells):
    """A source notebook from [(kind, grade_id, source)], kind: instructor, answer, test."""
    nb = nbformat.v4.new_notebook()
    for kind, gid, source in cells:
        cell = nbformat.v4.new_code_cell(textwrap.dedent(source))
        if kind != "instructor":
            cell.metadata["nbgrader"] = {"grade": kind == "test", "solution": kind == "answer",
                                         "grade_id": gid, "points": 1, "locked": kind == "test",
                                         "schema_version": 3}
        nb.cells.append(cell)
    return nb


class Run:
    """A kernel process serving ``answers`` and a checker session over ``nb``."""

    def __init__(self, tmp_path, cells, answers, seed=1):
        cells = list(cells)
        cells.insert(1, ("answer", "answers", answers))     # the student's answers, after imports
        nb = notebook(cells)
        self.path = str(tmp_path / "calls")
        self.log = tmp_path / "kernel.log"
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.kernel = subprocess.Popen([sys.executable, "-c", KERNEL, self.path, str(self.log)],
                                       stdin=subprocess.PIPE, text=True,
                                       env={**os.environ, "MPLBACKEND": "Agg"})
        self.kernel.stdin.write(IMPORTS + textwrap.dedent(answers))
        self.kernel.stdin.close()
        submitted = [(i, "test" if c.metadata.get("nbgrader", {}).get("grade") else "answer"
                      if c.metadata.get("nbgrader", {}).get("solution") else "other",
                      c.metadata.get("nbgrader", {}).get("grade_id"), c.source)
                     for i, c in enumerate(nb.cells)]
        self.session = Session(nb, submitted, seed)

    def test(self, gid, timeout=30):
        conn, _ = self.listener.accept()
        try:
            return self.session.run_test(gid, conn, timeout)
        finally:
            conn.close()

    def close(self):
        self.listener.close()
        self.kernel.wait(30)

    def seen(self):
        return self.log.read_text()


@pytest.fixture
def run(tmp_path):
    made = []

    def start(cells, answers, seed=1):
        made.append(Run(tmp_path / str(len(made)), cells, answers, seed))
        return made[-1]
    for index in range(3):
        (tmp_path / str(index)).mkdir()
    yield start
    for one in made:
        one.close()


def test_a_test_cell_runs_in_the_checker_and_only_its_calls_reach_the_kernel(run):
    """The verdict is the checker's; the kernel sees the call and its input, never the test's
    source, its expected value, or which test asks."""
    r = run([("instructor", None, IMPORTS),
             ("test", "test_double", """
                 expected = np.array([84.8484, 34.3434])
                 check_array(double(np.array([42.4242, 17.1717])), expected, name="double(x)")
                 ### BEGIN HIDDEN TESTS
                 check_array(double(np.array([-1.0])), np.array([-2.0]), name="HIDDEN-NAME")
                 ### END HIDDEN TESTS
                 """)],
            "def double(x):\n    return 2 * x\n")
    assert r.test("test_double").passed
    seen = r.seen()
    assert "42.4242" not in seen                    # inputs go as bytes of arrays ...
    assert np.array([42.4242, 17.1717]).tobytes() in eval(seen.splitlines()[5])[0]    # noqa: S307
    for secret in ("84.8484", "expected", "check_array", "HIDDEN", "double(x)", "test_double"):
        assert secret not in seen, secret


def test_a_wrong_answer_fails_with_the_checks_own_message(run):
    r = run([("instructor", None, IMPORTS),
             ("test", "t", "check_array(double(np.array([1.0, 2.0])), np.array([2.0, 4.0]), "
                           "name='double(x)')")],
            "def double(x):\n    return -2 * x\n")
    verdict = r.test("t")
    assert not verdict.passed and verdict.ename == "AssertionError"
    assert "its sign is flipped" in verdict.evalue
    assert any(line.startswith("Cell In[1], line 1") for line in verdict.traceback)


def test_the_students_errors_keep_their_type_and_traceback(run):
    r = run([("instructor", None, IMPORTS),
             ("test", "t", """
                 try:
                     stub()
                 except NotImplementedError:
                     print("caught the stub's NotImplementedError")
                 broken()
                 """)],
            "def stub():\n    raise NotImplementedError()\n"
            "def broken():\n    return {}['missing']\n")
    verdict = r.test("t")
    assert "caught the stub's NotImplementedError" in verdict.stdout
    assert verdict.ename == "KeyError" and verdict.evalue == "'missing'"
    assert any("in broken" in line for line in verdict.traceback)


def test_callbacks_and_names_the_test_rebinds_reach_the_students_code(run):
    """A function of the test's own given to the answer is called there (through the checker);
    ``global step; step = spy`` rebinds step for the answer's code too, and back."""
    r = run([("instructor", None, IMPORTS),
             ("test", "t", """
                 assert apply(lambda v: v + 1, 2) == 3
                 calls = []
                 def spy():
                     calls.append(1)
                     return "spy"
                 def run_with_spy():
                     global step
                     saved = step
                     step = spy
                     try:
                         return train()
                     finally:
                         step = saved
                 assert run_with_spy() == "spy" and calls == [1]
                 assert train() == "student"
                 """)],
            "def apply(f, x):\n    return f(x)\n"
            "def step():\n    return 'student'\n"
            "def train():\n    return step()\n")
    verdict = r.test("t")
    assert verdict.passed, verdict.traceback


def test_arguments_changed_in_place_are_changed_for_the_test(run):
    """An answer that updates the dict of arrays it was given updates the test's own; one that must
    not change its input, and does, is caught by ``unchanged`` as in the student's kernel."""
    r = run([("instructor", None, IMPORTS + "from nnlib.checks import unchanged\n"),
             ("test", "t", """
                 params = {"W": np.ones(2)}
                 W = params["W"]
                 train(params)
                 assert params["W"] is W and W.tolist() == [0.5, 0.5], W
                 x = np.array([1.0, -2.0])
                 with unchanged("negate(x)", x=x):
                     negate(x)
                 """)],
            "def train(params):\n    params['W'] -= 0.5\n"
            "def negate(x):\n    x *= -1\n    return x\n")
    verdict = r.test("t")
    assert not verdict.passed and "negate(x) changed its argument x in place" in verdict.evalue


def test_forbidden_calls_are_found_whatever_the_kernel_says(run):
    """forbid fails an answer that calls nnlib's softmax: by the kernel's report of the calls,
    and -- when the answer switched that report off -- by the names its source reaches."""
    forbidding = ("test", "t", "with forbid(nnlib.softmax):\n    mine(np.array([[1.0, 2.0]]))")
    r = run([("instructor", None, IMPORTS), forbidding],
            "def mine(z):\n    return getattr(nnlib, 'soft' + 'max')(z)\n")
    verdict = r.test("t")
    assert verdict.ename == "ForbiddenCall" and "write softmax yourself" in verdict.evalue
    r = run([("instructor", None, IMPORTS), forbidding],
            "import autograder.kernel.serve as s\n"
            "s.Recorder.install = lambda self: None\n"      # no report at all
            "def helper(z):\n    return nnlib.softmax(z)\n"
            "def mine(z):\n    return helper(z)\n")
    verdict = r.test("t")
    assert verdict.ename == "ForbiddenCall" and "write softmax yourself" in verdict.evalue


def test_the_loops_rule_reads_the_submitted_definition(run):
    """check_loops reads the def the submission has (in the checker), not the kernel's word."""
    cells = [("instructor", None, IMPORTS),
             ("test", "t", "check_loops(total, name='total', why='Loops, please.')")]
    loops = "def total(x):\n    s = 0\n    for v in x:\n        s += v\n    return s\n"
    assert run(cells, loops).test("t").passed
    verdict = run(cells, "def total(x):\n    return x @ np.ones(len(x))\n").test("t")
    assert not verdict.passed and "it uses `@`" in verdict.evalue
    verdict = run(cells, loops + "total = lambda x: x @ np.ones(len(x))\n").test("t")
    assert "total is last bound by line" in verdict.evalue and "not by a `def total" in verdict.evalue


def test_memory_is_measured_where_the_answer_runs(run):
    r = run([("instructor", None, IMPORTS),
             ("test", "t", """
                 _, small = peak_memory(lean, 3000)
                 _, large = peak_memory(wasteful, 3000)
                 assert small < 1 < 50 < large, (small, large)
                 """)],
            "def lean(n):\n    return np.ones(n).sum()\n"
            "def wasteful(n):\n    return np.outer(np.ones(n), np.ones(n)).sum()\n")
    assert r.test("t").passed


def test_an_earlier_exercise_is_named_when_its_function_fails(run):
    r = run([("instructor", None, IMPORTS),
             ("test", "t", "with earlier_answers(first='exercise (a), first'):\n    second()")],
            "def first():\n    raise NotImplementedError()\n"
            "def second():\n    return first()\n")
    verdict = r.test("t")
    assert verdict.evalue.startswith("this test could not check your answer: it calls your first "
                                     "from exercise (a), first, which raised NotImplementedError")


def test_hidden_inputs_come_from_this_gradings_seed(tmp_path, run):
    """grading_rng in the checker: the same seed, the same inputs; another seed, others."""
    cells = [("instructor", None, IMPORTS), ("test", "t", "value = grading_rng().integers(10**9)")]
    values = []
    for seed in (1, 1, 2):
        r = run(cells, "", seed=seed)
        assert r.test("t").passed
        values.append(int(r.session.namespace["value"]))
    assert values[0] == values[1] != values[2]


def test_the_plan_takes_the_instructors_names_from_the_checker():
    """Data and helpers the instructor's cells make are made again in the checker (from the source
    notebook); what they compute from the student's code, and the answers, come from the kernel."""
    nb = notebook([
        ("instructor", None, IMPORTS + "W = np.eye(2)\nprint(W)\n"),
        ("answer", "a", "def f(x):\n    return x\n"),
        ("instructor", None, "def helper(x):\n    return f(x) + W.sum()\n"
                             "trained = f(W)\nlimit = 3 * W.sum()\n%time f(1)\n"),
        ("test", "t", "assert helper(W) is not None and trained is not None and limit == 6"),
    ])
    plan = make_plan(nb)
    run_names = {name for i in plan.run for name in plan.statements[i].binds}
    assert {"W", "helper", "limit", "np", "nnlib"} <= run_names
    assert "trained" not in run_names and not any(plan.statements[i].ipython for i in plan.run)
    assert plan.kernel_names["t"] == {"f", "trained"}
