"""Grading on a real Dask cluster started here (``dask scheduler`` + two ``dask worker``s on 127.0.0.1).

The same sample submissions are graded through ``autograde --cluster`` and compared with local
grading (the session's ``graded`` class); then a worker is SIGKILLed mid-job, a job kills its worker
every time it runs, and the client is interrupted with Ctrl-C.  Every server is stopped at the end
and no process they started may be left over.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from autograder.stages.autograde import autograde
from autograder.cli import main
from autograder.engines.cluster import DaskGrader, accept
from autograder.course import REPO
from autograder.stages.export import rows
from autograder.jobs import Job

from .conftest import ASSIGNMENT, CELL_TIMEOUT, DATA, NOTEBOOK_TIMEOUT, class_course, scores
from .servers import DaskCluster

pytestmark = pytest.mark.timeout(600)

# kinds whose grading is quick (no cell timeouts): what the cluster tests grade
KINDS = ("perfect", "stub", "partial", "broken", "crasher", "tamperer", "nometa")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    servers = DaskCluster(tmp_path_factory.mktemp("dask"), workers=2, allowed_failures=1)
    yield servers
    left = servers.stop()
    assert not left, f"processes of the Dask cluster were still running after stop: {left}"


def _gradebook_scores(course):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}


def test_cluster_grades_exactly_like_local_workers(cluster, graded, notebooks, tmp_path):
    """autograde --cluster: same scores, statuses, reasons and failed tests as local grading."""
    course = class_course(tmp_path, notebooks, {kind: kind for kind in KINDS})
    code = main(["autograde", "--course", str(course.root), "--notebooks", str(DATA),
                 "--cell-timeout", str(CELL_TIMEOUT), "--notebook-timeout", str(NOTEBOOK_TIMEOUT),
                 "--cluster", cluster.address, "--no-progress"])
    assert code == 0
    for kind in KINDS:
        remote, local = course.load_result(kind, ASSIGNMENT), graded[kind]
        assert scores(remote) == scores(local), kind
        assert (remote.status, remote.reason) == (local.status, local.reason), kind
        assert ([f["grade_id"] for f in remote.failures]
                == [f["grade_id"] for f in local.failures]), kind
        assert course.history(kind, ASSIGNMENT) == []
    # the graded notebooks came back as data and were recorded in the course folder
    assert (course.root / "autograded" / "perfect" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert _gradebook_scores(course)["perfect"] == 5.0
    assert autograde(course, grader=DaskGrader(cluster.address), progress=False) == []


def test_a_worker_killed_mid_job_loses_nothing(cluster, graded, notebooks, tmp_path):
    """SIGKILL a worker while it grades: its job runs again elsewhere, one result per submission."""
    students = {f"s{i}_{kind}": kind for i, kind in enumerate(("perfect", "partial", "stub",
                                                               "perfect", "broken", "partial"))}
    course = class_course(tmp_path, notebooks, students)
    seen = []

    class Counting(DaskGrader):
        def grade(self, jobs, on_result, progress=None):
            def record(job, result):
                seen.append(job.student)
                on_result(job, result)
            super().grade(jobs, record, progress)

    before = cluster.worker_pids()
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault(
        "results", autograde(course, grader=Counting(cluster.address), progress=False)))
    thread.start()
    victim = None
    with cluster.client() as client:
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items()
                    if any(str(k).startswith("autograde-") for k in keys)]
            if busy:
                time.sleep(1.0)           # let the job get going: a forked worker, a kernel
                victim = busy[0]
            time.sleep(0.1)
    assert victim is not None, "no job ever started on the cluster"
    os.kill(before[victim], signal.SIGKILL)
    thread.join(timeout=400)
    assert not thread.is_alive()
    results = outcome["results"]
    assert sorted(seen) == sorted(students) == sorted(r.student for r in results)
    for name, kind in students.items():
        result = course.load_result(name, ASSIGNMENT)
        assert course.history(name, ASSIGNMENT) == []        # recorded once
        assert (scores(result), result.status) == (scores(graded[kind]),
                                                     graded[kind].status), result.reason
    assert _gradebook_scores(course) == {n: graded[k].score for n, k in students.items()}
    assert victim not in cluster.worker_pids()        # it really died (the nanny started a new one)


def test_a_job_that_always_kills_its_worker_is_recorded_as_an_error(cluster, notebooks, tmp_path):
    """KilledWorker, also when run again alone: an error with its reason; the other jobs of the
    batch, blamed by Dask too when they shared a dying worker, are graded."""
    course = class_course(tmp_path, notebooks, {"victim": "perfect", "honest": "partial"})

    class Crashing(DaskGrader):
        def grade(self, jobs, on_result, progress=None):
            for job in jobs:
                if job.student == "victim":       # test-only option: the task calls os._exit
                    job.extra["debug_exit_worker"] = True
            super().grade(jobs, on_result, progress)

    results = {r.student: r for r in autograde(course, grader=Crashing(cluster.address),
                                                  progress=False)}
    assert results["victim"].status == "error"
    assert results["victim"].reason.startswith(
        "KilledWorker: the Dask worker running this grading job died every time it ran, alone on "
        "the cluster, 2 times in a row (the last: tcp://127.0.0.1:")
    assert results["victim"].score is None
    assert (results["honest"].status, results["honest"].score) == ("graded", 1.0), results["honest"].reason
    row = {r["student"]: r for r in rows(course)}["victim"]
    assert (row["score"], row["status"]) == (None, "error")


def test_ctrl_c_leaves_a_consistent_gradebook_and_the_next_run_grades_the_rest(
        cluster, graded, notebooks, tmp_path):
    """SIGINT to `autograde --cluster` after its first result: what is recorded is whole, and
    the next autograde grades exactly the submissions that have no result yet."""
    students = {f"c{i}": kind for i, kind in enumerate(("perfect", "partial", "stub", "broken",
                                                        "perfect", "partial", "stub", "broken"))}
    course = class_course(tmp_path, notebooks, students)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "autograde", "--course", str(course.root),
         "--notebooks", str(DATA), "--cell-timeout", str(CELL_TIMEOUT), "--notebook-timeout",
         str(NOTEBOOK_TIMEOUT), "--cluster", cluster.address, "--no-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    results = course.root / "results"
    deadline = time.monotonic() + 300
    while not list(results.glob(f"*/{ASSIGNMENT}.json")) and time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 130, output
    assert "interrupted" in output
    done = {p.parent.name for p in results.glob(f"*/{ASSIGNMENT}.json")}
    assert done and done < set(students)
    # every recorded result is in the gradebook with its score, and nothing else is
    recorded = _gradebook_scores(course)
    assert set(recorded) == done
    for name in done:
        assert recorded[name] == course.load_result(name, ASSIGNMENT).score
    rest = autograde(course, grader=DaskGrader(cluster.address), progress=False)
    assert sorted(r.student for r in rest) == sorted(set(students) - done)
    for name, kind in students.items():
        result = course.load_result(name, ASSIGNMENT)
        assert course.history(name, ASSIGNMENT) == [] and scores(result) == scores(graded[kind]), name
    assert _gradebook_scores(course) == {n: graded[k].score for n, k in students.items()}


def _job(tmp_path, course):
    work = tmp_path / "job"
    (work / "source" / ASSIGNMENT).mkdir(parents=True)
    (work / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_bytes(
        (course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes())
    return Job(student="alice", assignment=ASSIGNMENT, workdir=str(work), timestamp="t0")


@pytest.mark.parametrize("change, problem", [
    ({"student": "bob"}, "student is 'bob'"),
    ({"timestamp": "t1"}, "timestamp is 't1'"),
    ({"sandboxed": False}, "sandboxed is False"),
    ({"status": "excellent"}, "unknown status 'excellent'"),
    ({"grades": {"test_bonus": {"auto_score": 9, "max_score": 9, "needs_manual_grade": False}}},
     "a score for 'test_bonus', which is not a graded cell"),
    ({"grades": {"test_square": {"auto_score": 1, "max_score": 50, "needs_manual_grade": False}}},
     "test_square is worth 1 points, not 50"),
    ({"grades": {"test_square": {"auto_score": 7, "max_score": 1, "needs_manual_grade": False}}},
     "test_square scored 7 of 1 points"),
])
def test_the_client_rejects_a_result_it_cannot_verify(course, tmp_path, change, problem):
    """A result for another job, with an unknown status, extra cells or impossible points is an
    error, never a grade; the totals are always recomputed by the client."""
    job = _job(tmp_path, course)
    good = {"student": "alice", "assignment": ASSIGNMENT, "timestamp": "t0", "sandboxed": True,
            "status": "graded", "reason": "", "score": 1000.0, "max_score": 1.0,
            "grades": {"test_square": {"auto_score": 1.0, "max_score": 1.0,
                                       "needs_manual_grade": False}}}
    taken = accept(job, {"result": dict(good), "notebook": None})
    assert (taken.status, taken.score, taken.max_score) == ("graded", 1.0, 1.0)
    rejected = accept(job, {"result": {**good, **change}, "notebook": None})
    assert rejected.status == "error" and rejected.score is None
    assert rejected.reason.startswith(f"the cluster's result was rejected: {problem}")
    assert accept(job, {"nonsense": 1}).reason.startswith("the cluster's result was rejected")
