"""Faults of the Dask cluster, with real processes (no mocks): the scheduler SIGKILLed mid-batch,
every worker (and nanny) SIGKILLed mid-batch, a scheduler that never had a worker, a scheduler that
is not there, and the client itself SIGKILLed mid-batch.

For each: the client stops (never hangs) with one line (autograder.engines.base.EngineStopped),
what it recorded is whole (one result per recorded submission, the same as a clean run's), the
jobs it did not finish have no result, and the next autograde grades exactly those.  Each test
starts its own clusters and checks that stopping them had nothing left to kill.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from autograder.course import REPO
from autograder.engines.base import EngineStopped
from autograder.engines.cluster import DaskGrader
from autograder.stages.autograde import autograde

from .conftest import ASSIGNMENT, CELL_TIMEOUT, DATA, NOTEBOOK_TIMEOUT, class_course, scores
from .servers import DaskCluster, free_port

pytestmark = pytest.mark.timeout(240)

# quick kinds (no cell timeouts); two workers grade six of them in a few rounds
KINDS = ("perfect", "partial", "stub", "broken")
STUDENTS = {f"f{i}": kind for i, kind in enumerate(KINDS + ("perfect", "partial"))}
WAIT = 4            # the tests' worker_wait (s)
BOUND = 120         # s: generous bound on anything that waits for grading


@pytest.fixture(scope="module")
def clean(notebooks, tmp_path_factory):
    """{kind: (scores, status)} of a clean run (local grading) of every kind graded here."""
    course = class_course(tmp_path_factory.mktemp("clean"), notebooks, {k: k for k in KINDS})
    results = autograde(course, workers=2, progress=False)
    assert sorted(r.student for r in results) == sorted(KINDS)
    return {r.student: (scores(r), r.status) for r in results}


@pytest.fixture
def clusters(tmp_path):
    """start(workers) -> a new DaskCluster; whatever a test did not stop is stopped after it."""
    started = []

    def start(workers=2):
        folder = tmp_path / f"dask{len(started)}"
        folder.mkdir()
        started.append(DaskCluster(folder, workers=workers, allowed_failures=1))
        return started[-1]
    yield start
    left = [pid for cluster in started for pid in cluster.stop()]
    assert not left, f"processes of a Dask cluster were still running after stop: {left}"


@pytest.fixture
def noise():
    """ERROR records of Dask and asyncio during the test (tracebacks, 'Task was destroyed')."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(f"{record.name}: {record.getMessage()}")
    handler = Keep(logging.ERROR)
    loggers = [logging.getLogger(name) for name in ("distributed", "asyncio", "tornado")]
    for logger in loggers:
        logger.addHandler(handler)
    yield records
    for logger in loggers:
        logger.removeHandler(handler)


def _background(course, grader):
    """autograde(course, grader) in a thread: (thread, outcome {'results'|'error', 'seconds'})."""
    outcome = {}

    def run():
        start = time.monotonic()
        try:
            outcome["results"] = autograde(course, grader=grader, progress=False)
        except BaseException as exc:       # noqa: BLE001 (the test looks at it)
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - start
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _recorded(course):
    return {p.parent.name for p in (course.root / "results").glob(f"*/{ASSIGNMENT}.json")}


def _first_result(course, process=None):
    deadline = time.monotonic() + BOUND
    while not _recorded(course):
        assert time.monotonic() < deadline, "no result was recorded in time"
        if process is not None:
            assert process.poll() is None, process.communicate()[0]
        time.sleep(0.1)


def _gradebook_scores(course):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}


def _consistent(course, clean, names, killed=False):
    """Exactly ``names`` have a result, each exactly one (no history), each the clean run's, and
    the gradebook holds exactly those, with the recorded scores.

    ``killed``: the client was SIGKILLed, maybe between a result's gradebook commit and its result
    file (Course.record's order): the gradebook may also hold a submission without a result (the
    next run grades it and overwrites that row)."""
    assert _recorded(course) == set(names)
    for name in names:
        result = course.load_result(name, ASSIGNMENT)
        assert course.history(name, ASSIGNMENT) == [], name
        assert (scores(result), result.status) == clean[STUDENTS[name]], (name, result.reason)
    in_gradebook = _gradebook_scores(course)
    if killed:
        in_gradebook = {n: score for n, score in in_gradebook.items() if n in names}
    assert in_gradebook == {n: course.load_result(n, ASSIGNMENT).score for n in names}


def _stopped(thread, outcome, begins):
    """The EngineStopped the background autograde ended with; its message starts with ``begins``."""
    thread.join(BOUND)
    assert not thread.is_alive(), "autograde did not stop"
    error = outcome.get("error")
    assert isinstance(error, EngineStopped), outcome
    message = str(error)
    assert message.startswith(begins), message
    assert "\n" not in message and len(message) < 300, message
    return message


def _grade_the_rest(course, clean, done, address):
    """The next autograde (at ``address``) grades exactly what is not recorded; then every
    submission has its one result, the clean run's."""
    rest = autograde(course, grader=DaskGrader(address, worker_wait=60), progress=False)
    assert sorted(r.student for r in rest) == sorted(set(STUDENTS) - done)
    _consistent(course, clean, STUDENTS)


def test_the_scheduler_killed_mid_batch(clusters, clean, notebooks, noise, tmp_path):
    """SIGKILL to the scheduler while jobs run: one line, recorded results stay, the unfinished
    jobs are not recorded (not even as errors), and a new cluster grades only those."""
    course = class_course(tmp_path, notebooks, STUDENTS)
    first = clusters(2)
    thread, outcome = _background(course, DaskGrader(first.address, worker_wait=WAIT))
    _first_result(course)
    first.kill_scheduler()
    message = _stopped(thread, outcome,
                       f"lost the connection to the Dask scheduler at {first.address}; stopped: ")
    done = _recorded(course)
    assert done and done < set(STUDENTS), message
    assert message.endswith(f"the {len(done)} of {len(STUDENTS)} results recorded stay (the next "
                            f"autograde grades the other {len(STUDENTS) - len(done)})"), message
    _consistent(course, clean, done)
    assert first.stop() == []
    assert not noise, noise
    _grade_the_rest(course, clean, done, clusters(2).address)


def test_every_worker_killed_mid_batch(clusters, clean, notebooks, noise, tmp_path):
    """Every worker and its nanny SIGKILLed, the scheduler alive: the client waits worker_wait s,
    then stops; the queued jobs are not recorded; the next run grades them."""
    course = class_course(tmp_path, notebooks, STUDENTS)
    first = clusters(2)
    thread, outcome = _background(course, DaskGrader(first.address, worker_wait=WAIT))
    _first_result(course)
    assert first.kill_workers()
    killed = time.monotonic()
    message = _stopped(thread, outcome,
                       f"no Dask workers were available at {first.address} for {WAIT} s; stopped: ")
    assert time.monotonic() - killed >= WAIT - 1          # it did wait (generous)
    done = _recorded(course)
    assert done and done < set(STUDENTS), message
    assert f"the {len(done)} of {len(STUDENTS)} results recorded stay" in message
    _consistent(course, clean, done)
    assert first.stop() == []
    assert not noise, noise
    _grade_the_rest(course, clean, done, clusters(2).address)


def test_a_scheduler_without_workers(clusters, notebooks, noise, tmp_path):
    """No worker from the start: worker_wait s, then a stop that records nothing."""
    course = class_course(tmp_path, notebooks, {"lonely": "perfect", "alone": "stub"})
    empty = clusters(0)
    thread, outcome = _background(course, DaskGrader(empty.address, worker_wait=WAIT))
    message = _stopped(thread, outcome, f"no Dask workers were available at {empty.address} "
                                        f"for {WAIT} s; stopped before any result was recorded")
    assert outcome["seconds"] >= WAIT - 0.5, outcome
    assert _recorded(course) == set() and _gradebook_scores(course) == {}, message
    assert empty.stop() == []
    assert not noise, noise


def test_no_scheduler_at_the_address(notebooks, noise, tmp_path):
    """Nothing listening: the connection attempt is bounded and ends in one line."""
    course = class_course(tmp_path, notebooks, {"lonely": "perfect"})
    address = f"tcp://127.0.0.1:{free_port()}"
    thread, outcome = _background(course, DaskGrader(address, connect_timeout=2))
    _stopped(thread, outcome, f"cannot reach the Dask scheduler at {address}: ")
    assert str(outcome["error"]).endswith("; nothing was graded")
    assert _recorded(course) == set()
    assert not noise, noise


def test_the_client_killed_mid_batch_and_run_again(clusters, clean, notebooks, tmp_path):
    """SIGKILL to `autograde --cluster` after its first result: the re-run grades exactly the
    submissions without a result, and every submission ends with exactly one."""
    course = class_course(tmp_path, notebooks, STUDENTS)
    cluster = clusters(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "autograde", "--course", str(course.root),
         "--notebooks", str(DATA), "--cluster", cluster.address, "--no-progress",
         "--cell-timeout", str(CELL_TIMEOUT), "--notebook-timeout", str(NOTEBOOK_TIMEOUT)],
        env=dict(os.environ, PYTHONPATH=str(REPO)), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _first_result(course, process)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    done = _recorded(course)
    assert done and done < set(STUDENTS)
    _consistent(course, clean, done, killed=True)
    _grade_the_rest(course, clean, done, cluster.address)
    assert cluster.stop() == []
