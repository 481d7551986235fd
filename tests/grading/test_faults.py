"""The fault suite: an instructor's bad day, for real, and what the grader does about it.

Every fault is injected as it happens: signals to a real ``python -m autograder autograde``, a
second real ``autograde`` beside it, a small tmpfs that really fills up, a read-only mount, a file
cut off in the middle, a PostgreSQL server really stopped and started.  For each the test asserts
what the user saw (one line, no traceback), that once the cause is gone a plain re-run ends with
the export of a clean run, that every submission has exactly one current result, and that nothing
of the run (processes, job, sandbox and zygote folders) is left a few seconds after it ended.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course
from autograder.tools.sample_class import make_submission

from .conftest import (ASSIGNMENT, CELL_TIMEOUT, DATA, NOTEBOOK_TIMEOUT, assignment_notebooks,
                       built_course, write_submission)
from .servers import _processes_marked

pytestmark = pytest.mark.timeout(600)
CLASS = {"ada": "perfect", "bo": "partial", "cy": "stub", "di": "broken", "eve": "perfect"}
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mounts (tmpfs, read-only bind) need root")


# ------------------------------------------------------------------------------------ helpers
class Run:
    """``python -m autograder COMMAND`` on a course, in a process of its own, marked so that every
    process it starts can be found again."""

    def __init__(self, root, *argv, db=None):
        self.marker = f"AUTOGRADER_FAULT_RUN={uuid.uuid4().hex}"
        name, value = self.marker.split("=")
        common = ["--course", str(root), "--notebooks", str(DATA), "--cell-timeout",
                  str(CELL_TIMEOUT), "--notebook-timeout", str(NOTEBOOK_TIMEOUT)]
        if db:
            common += ["--db", db]
        extra = ["--no-progress", "--workers", "1"] if argv[0] == "autograde" else []
        self.process = subprocess.Popen([sys.executable, "-m", "autograder", *argv, *common, *extra],
                                        env=dict(os.environ, **{name: value}),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout=300):
        self.out, self.err = self.process.communicate(timeout=timeout)
        return self.process.returncode

    def signal(self, signum):
        self.process.send_signal(signum)

    def left(self):
        return _processes_marked(self.marker.encode().decode())


def cli(root, *argv, db=None, timeout=300):
    """(exit code, stdout, stderr) of one command run to its end."""
    run = Run(root, *argv, db=db)
    code = run.wait(timeout)
    return code, run.out, run.err


def export_rows(root, db=None):
    code, out, err = cli(root, "export", "--output", str(Path(root) / "check.csv"), db=db)
    assert code == 0, err
    with open(Path(root) / "check.csv", newline="", encoding="utf-8") as handle:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}


def results_on_disk(root):
    return sorted(p.parent.name for p in Path(root, "results").glob(f"*/{ASSIGNMENT}.json"))


def wait_for(condition, timeout=120, what="a condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def sandbox_leftovers():
    """What grading runs left outside the course that no live process holds: sandbox and zygote
    folders and cgroups of sandbox slots whose lock is free (other runs on this machine, holding
    their slots, are not counted)."""
    from autograder.sandbox.cgroups import parents
    from autograder.sandbox.slots import SLOTS, UID_BASE, lock_slot
    found = []
    for path in [*Path("/tmp").glob("agsandbox-*-*"), *Path("/tmp").glob("agzygote-*-*"),
                 *[p for parent in parents() for p in Path(parent).glob("autograder-*-*")]]:
        uid = path.name.split("-")[1]
        if uid.isdigit() and UID_BASE <= int(uid) < UID_BASE + SLOTS:
            found.append((int(uid), str(path)))
    left = set()
    for uid, path in found:
        fd = lock_slot(uid)
        if fd is not None:              # nobody holds the slot: nobody will remove this
            os.close(fd)
            if os.path.exists(path):
                left.add(path)
    return left


def assert_nothing_left(run, root, seconds=15):
    """Within ``seconds`` of the run's end: no process it started, nothing of its sandboxes, no
    job folder in the course."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (run.left() or sandbox_leftovers()):
        time.sleep(0.2)
    assert run.left() == [], "processes of the run still alive"
    assert sandbox_leftovers() == set()
    assert list(Path(root, ".work").glob("run-*")) == []


def assert_one_current_result_each(root, db=None):
    """Every submission has exactly one result, and it graded the files submitted now."""
    course = Course(root, DATA, db=db)
    submissions = course.submissions()
    assert results_on_disk(root) == sorted(s for s, _, _ in submissions)
    for student, assignment, stamp in submissions:
        result, why = course.state(student, assignment, stamp)
        assert result is not None and why is None, (student, why)
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        graded = [(s.student.id, s.assignment.name) for a in gb.assignments for s in a.submissions]
    assert sorted(graded) == sorted((s, a) for s, a, _ in submissions)


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


def assert_one_line_error(err, starts):
    assert "Traceback" not in err, err
    errors = [line for line in lines(err) if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(starts), err


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A built course with the class collected, not graded (copied for each fault)."""
    base = tmp_path_factory.mktemp("faults")
    course, source, release = built_course(base / "course")
    inbox = base / "inbox"
    for student, kind in CLASS.items():
        write_submission(inbox, student, make_submission(kind, source, release))
    code, out, err = cli(course.root, "collect", str(inbox))
    assert code == 0, err
    return course.root


@pytest.fixture(scope="module")
def reference(template, tmp_path_factory):
    """The clean run: the class graded in one go, and its export."""
    root = tmp_path_factory.mktemp("clean") / "course"
    shutil.copytree(template, root)
    code, out, err = cli(root, "autograde")
    assert code == 0, err
    rows = export_rows(root)
    assert {s: rows[(s, ASSIGNMENT)]["status"] for s in CLASS} == {
        "ada": "graded", "bo": "graded", "cy": "graded", "di": "graded", "eve": "graded"}
    return root, rows


@pytest.fixture
def fresh(template, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(template, root)
    return root


@pytest.fixture
def graded(reference, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(reference[0], root)
    return root


def start_and_wait_for_results(root, count=1, *argv):
    run = Run(root, "autograde", *argv)
    wait_for(lambda: len(results_on_disk(root)) >= count or run.process.poll() is not None,
             what="the first result")
    assert run.process.poll() is None, "the run ended before it could be interrupted"
    return run


# ------------------------------------------------------------------------------ one writer
def test_a_second_writer_refuses_naming_the_first_and_waits_when_asked(fresh, reference):
    """While one autograde runs, a second autograde and a collect refuse at once, naming it;
    ``--wait`` waits for it; the class is graded once, as in a clean run."""
    first = Run(fresh, "autograde")
    lock = fresh / ".writer.lock"
    wait_for(lambda: lock.exists() and f'"pid": {first.process.pid}' in lock.read_text(),
             what="the first run to take the lock")
    code, out, err = cli(fresh, "autograde")
    assert code == 2
    assert_one_line_error(err, f"error: {fresh} is being written by `autograde` (pid "
                               f"{first.process.pid} on ")
    assert err.rstrip().endswith("wait for it to finish (or pass --wait)")
    inbox = fresh.parent / "again"
    write_submission(inbox, "ada", nbformat.read(fresh / "submitted/ada" / ASSIGNMENT
                                                 / f"{ASSIGNMENT}.ipynb", 4))
    code, out, err = cli(fresh, "collect", str(inbox))
    assert code == 2 and "is being written by `autograde`" in err
    waiting = Run(fresh, "autograde", "--wait")
    assert first.wait() == 0, first.err
    assert waiting.wait() == 0, waiting.err
    assert f"waiting for `autograde` (pid {first.process.pid}" in waiting.err
    assert "nothing to grade" in waiting.out
    assert len(lines(first.out)) == len(CLASS)
    assert export_rows(fresh) == reference[1]
    assert_one_current_result_each(fresh)


# ------------------------------------------------------------------------------ signals
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_like_ctrl_c(fresh, reference, signum):
    run = start_and_wait_for_results(fresh)
    run.signal(signum)
    assert run.wait(60) == 128 + signum
    name = signal.Signals(signum).name
    assert lines(run.err)[-1] == (f"interrupted ({name}): every result recorded so far is kept; "
                                  f"run the command again to finish"), run.err
    assert "Traceback" not in run.err
    assert_nothing_left(run, fresh)
    done = results_on_disk(fresh)
    assert 1 <= len(done) < len(CLASS)
    code, out, err = cli(fresh, "autograde")
    assert code == 0, err
    assert sorted(line.split(" / ")[0] for line in lines(out)) == sorted(set(CLASS) - set(done))
    assert export_rows(fresh) == reference[1]
    assert_one_current_result_each(fresh)


def test_after_a_sigkill_nothing_outlives_the_run_and_the_next_run_cleans_up(fresh, reference):
    run = start_and_wait_for_results(fresh)
    run.signal(signal.SIGKILL)
    run.wait(30)
    # the workers, the zygote and the kernels die with it (PR_SET_PDEATHSIG, --die-with-parent);
    # its folders stay until the next run
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and run.left():
        time.sleep(0.2)
    assert run.left() == []
    assert list((fresh / ".work").glob("run-*")), "the killed run's folder"
    done = results_on_disk(fresh)
    again = Run(fresh, "autograde")            # no stale lock to remove by hand
    assert again.wait() == 0, again.err
    assert sorted(line.split(" / ")[0] for line in lines(again.out)) == sorted(set(CLASS) - set(done))
    assert_nothing_left(again, fresh)
    assert export_rows(fresh) == reference[1]
    assert_one_current_result_each(fresh)
