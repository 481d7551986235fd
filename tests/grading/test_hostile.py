"""A hostile class graded through the real pipeline (Course API, two workers, sandbox on).

Every attack family of issues 9 and 16 has a submission (tests/grading/hostile) with its exact
expected scores, status and reason; two honest students graded in the same batch get exactly the
grades they get alone; nothing outside the sandbox changed (the course's gradebook, source,
release and config, nnlib, a loopback listener and a process the test opened, a file a lingering
process tries to write after grading); nothing of the hidden tests is in any graded notebook or
feedback page, nor in the kernel's memory while the tests run; the hidden tests' inputs are new
at every grading.  Never run unsandboxed: without a working sandbox the class is skipped with the
reason (several attacks would reach the machine).
"""

import ast
import hashlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder.stages.autograde import autograde
from autograder.stages.collect import collect
from autograder.stages.feedback import feedback
from autograder.course import REPO

from .conftest import ASSIGNMENT, built_course, scores, write_submission
from .hostile import EXPECTED, FORMULA_ID, Context, make_class, page_url

NOTEBOOK_TIMEOUT = 40


def _sandbox_or_skip():
    from autograder.sandbox import check
    ok, lines = check.check()
    if not ok:
        pytest.skip("the sandbox cannot run here, so the hostile class is not graded: "
                    + " | ".join(lines))


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection (the network attack's target)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            self.connections.append(peer)
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _digest(paths):
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def _processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except OSError:
                continue
    return found


def _outputs(path):
    """Everything the notebook's cells printed (not their source)."""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(o.get("text", "") + str(o.get("evalue", "")) for c in nb.cells
                     if c.cell_type == "code" for o in c.outputs)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    _sandbox_or_skip()
    base = tmp_path_factory.mktemp("hostile")
    course, source, release = built_course(base / "course", notebook_timeout=NOTEBOOK_TIMEOUT)
    listener = Listener()
    victim = subprocess.Popen(["sleep", "300"], start_new_session=True)
    marker = f"agk-linger-{uuid.uuid4().hex}"
    try:
        ctx = Context(course_root=str(course.root), repo=str(REPO), port=listener.port,
                      victim=victim.pid, marker=marker, late_file=str(base / "late.txt"),
                      home=str(Path.home()))
        made = make_class(source, release, ctx)
        # the honest students alone first
        inbox = base / "inbox"
        for student in ("honest_a", "honest_b"):
            write_submission(inbox, student, made[student])
        collect(course, inbox)
        alone = {r.student: r for r in autograde(course, workers=2, progress=False)}
        protected = [course.root / "gradebook.db", course.root / "nbgrader_config.py",
                     course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                     course.release_path(ASSIGNMENT)]
        protected += sorted((REPO / "nnlib").rglob("*.py"))
        before = _digest(protected[1:])      # the gradebook legitimately changes when recording
        for student, nb in made.items():
            if not student.startswith("honest"):
                write_submission(inbox, student, nb)
        collect(course, inbox)
        results = {r.student: r for r in autograde(course, workers=2, force=True,
                                                      progress=False)}
        first_leak = _outputs(results["leak"].autograded)
        again = autograde(course, workers=1, force=True, students=["leak"], progress=False)[0]
        feedback(course)
        time.sleep(5)            # the lingering process would write 4 s after it started
        yield {"course": course, "alone": alone, "results": results, "listener": listener,
               "victim": victim, "ctx": ctx, "before": before, "after": _digest(protected[1:]),
               "leaks": (first_leak, _outputs(again.autograded))}
    finally:
        listener.close()
        victim.kill()
        victim.wait()
        for pid in _processes_with(marker):       # only if an attack escaped: clean up
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_exact_grade_status_and_reason(hostile, student):
    """Scores per test, the status and the reason are exactly the expected ones."""
    result = hostile["results"][student]
    want_scores, want_status, phrases = EXPECTED[student]
    assert result.sandboxed is True
    assert (scores(result), result.status) == (want_scores, want_status), result.reason
    assert result.max_score == 5.0
    for phrase in phrases:
        assert phrase in result.reason, (phrase, result.reason)


def test_honest_students_grade_as_they_do_alone(hostile):
    """Graded in the same batch as every attack, the honest students get their grades alone."""
    for student in ("honest_a", "honest_b"):
        alone, batch = hostile["alone"][student], hostile["results"][student]
        assert (scores(batch), batch.status, batch.reason) == \
            (scores(alone), alone.status, alone.reason)


def test_the_course_gradebook_holds_the_verified_grades(hostile):
    """Gradebook writes from a kernel never land: the course gradebook has the worker's scores."""
    from nbgrader.api import Gradebook
    course = hostile["course"]
    with Gradebook(course.db_url) as gb:
        for student, result in hostile["results"].items():
            assert gb.find_submission(ASSIGNMENT, student).score == pytest.approx(result.score)


def test_nothing_outside_the_sandbox_changed(hostile):
    """Course config, source, release and nnlib are byte for byte the same; no stray file."""
    assert hostile["after"] == hostile["before"]
    assert not (REPO / "nnlib" / "pwn.py").exists()


def test_no_attack_reached_anything_outside(hostile):
    """Every attempt of the escape notebook was blocked; no later kernel ran a planted file."""
    course = hostile["course"]
    texts = {s: _outputs(r.autograded) for s, r in hostile["results"].items()
             if r.autograded}
    escape = texts["escape"]
    assert "ESCAPED" not in escape, [l for l in escape.splitlines() if "ESCAPED" in l]
    for attempt in ("write the course gradebook", "read another student's submission",
                    "connect to the host's loopback listener", "find a route off the machine",
                    "SIGKILL a process outside the sandbox", "open nnlib's checks for writing"):
        assert f"blocked: {attempt}" in escape, attempt
    assert not any("STARTUP-PWNED" in text for text in texts.values())
    assert course.root.joinpath("gradebook.db").exists()


def test_network_process_and_late_write_attacks_left_no_trace(hostile):
    """No connection reached the listener, the victim lives, nothing lingered or wrote late."""
    assert hostile["listener"].connections == []
    assert hostile["victim"].poll() is None
    assert _processes_with(hostile["ctx"].marker) == []
    assert not Path(hostile["ctx"].late_file).exists()


# what the hidden tests of fx_basics contain and the student version does not
HIDDEN = ("HIDDEN-SQUARE-SECRET", "HIDDEN-LOSS-SECRET", "BEGIN HIDDEN", "check_scalar(mean_loss",
          "square(_x.copy())", "uniform(900.0, 1100.0")


def test_nothing_of_the_hidden_tests_reaches_a_student(hostile):
    """IPython's In/_ih/Out and history, every function's constants, every module printed into
    the notebook, the memory scanned: neither the graded notebooks nor the feedback pages hold a
    word of the hidden tests (which run only in the checker)."""
    course = hostile["course"]
    for student, result in hostile["results"].items():
        texts = [_outputs(result.autograded)] if result.autograded else []
        page = course.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        if page.exists():
            texts.append(page.read_text(encoding="utf-8"))
        for text in texts:
            assert not [h for h in HIDDEN if h in text], student
    leak = _outputs(hostile["results"]["leak"].autograded)
    assert "IN [" in leak and "CONSTS [" in leak and "HISTORY [" in leak     # it did print them


def test_the_kernels_memory_holds_nothing_of_the_tests(hostile):
    """The whole readable memory of the kernel, read through numpy at every call: the scan finds
    its own control string (it works) and nothing of the hidden tests."""
    lines = [l for l in _outputs(hostile["results"]["memory_scan"].autograded).splitlines()
             if l.startswith("SCANNED")]
    assert len(lines) == 3, lines
    for line in lines:
        assert line.endswith("FOUND ['the control']"), line
        assert int(line.split()[1]) > 50 * 2 ** 20           # it read the heap, not a page


def test_lying_objects_never_run_in_the_checker(hostile):
    """An ndarray subclass with overridden comparisons, ufuncs and array functions, an object
    whose __array__ is the visible answer, a float equal to everything: each is a handle in the
    checker, whose checks never call into it (its methods would print what frames they see)."""
    result = hostile["results"]["liars"]
    messages = {f["grade_id"]: f["message"] for f in result.failures}
    assert "it is a _Liar, not a numpy array" in messages["test_square"]
    assert "it is a _Duck, not a numpy array" in messages["test_sigmoid"]
    assert "it is a _Always, not a number" in messages["test_mean_loss"]
    assert "CALLERS" not in _outputs(result.autograded)


def test_hidden_inputs_are_new_at_every_grading(hostile):
    """An answer that records what it is called with, printed at the end of the notebook: the
    visible test's input is the same at two gradings, the hidden test's is not."""
    first, second = (next(l for l in text.splitlines() if l.startswith("SEEN "))
                     for text in hostile["leaks"])
    seen = [ast.literal_eval(line[len("SEEN "):]) for line in (first, second)]
    assert [len(s) for s in seen] == [2, 2]
    assert seen[0][0] == seen[1][0] == ("square", [1.0, -2.0])      # the visible test's
    assert seen[0][1] != seen[1][1]                                  # the hidden test's


def test_malformed_answers_fail_with_their_reason(hostile):
    """A message claiming 4 GB, JSON nested 200 000 deep, an object-dtype array, an answer of
    320 MB: each test fails, saying what came, and the next test is graded afresh."""
    wire = {f["grade_id"]: f["message"] for f in hostile["results"]["wire_attack"].failures}
    assert "a message of 4096 MB is larger than the 256 MB allowed" in wire["test_square"]
    assert "the header is not JSON (RecursionError)" in wire["test_sigmoid"]
    assert "array dtype '|O8' is not allowed" in wire["test_mean_loss"]
    huge = {f["grade_id"]: f["message"] for f in hostile["results"]["huge"].failures}
    assert "the answer was too large: a message of 305 MB" in huge["test_square"]
    assert "the answer cannot be sent: nested deeper than 64 levels" in huge["test_sigmoid"]
    assert "it is a ndarray, not a number" in huge["test_mean_loss"]


def test_no_page_attack_is_live_in_the_feedback_or_the_graded_notebook(hostile):
    """The page attacks' student: its feedback page and the formgrader's page of its graded
    notebook run and load nothing (the same reading as tests/grading/test_sanitize.py: the
    formgrader's own buttons, which an honest student's page has too, aside), and what was
    removed is recorded with the result."""
    from collections import Counter

    from .test_sanitize import formgrader_page, live
    course, result = hostile["course"], hostile["results"]["page_scripts"]
    url = page_url(hostile["ctx"])
    page = course.root / "feedback" / "page_scripts" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert live(page.read_text(encoding="utf-8"), url) == []
    own = Counter(live(formgrader_page(course, "honest_a"), url))
    assert Counter(live(formgrader_page(course, "page_scripts"), url)) - own == Counter()
    assert result.notes.get("sanitized"), result.notes


def test_a_formula_student_id_is_text_in_every_csv(hostile, tmp_path):
    """grades.csv and the Canvas CSV of the hostile class write the formula-like id as text (a
    leading quote), read back by the csv module exactly so."""
    import csv

    from autograder.stages.canvas import export_canvas
    from autograder.stages.export import export
    course = hostile["course"]
    for path in (export(course, tmp_path / "grades.csv"),
                 export_canvas(course, tmp_path / "canvas.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert "'" + FORMULA_ID in cells and FORMULA_ID not in cells, Path(path).name
