"""The fault suite: an instructor's bad day, for real, and what the grader does about it.

Every fault is injected as it happens: signals to a real ``python -m autograder autograde``, a
second real ``autograde`` beside it, a small tmpfs that really fills up, a read-only mount, a file
cut off in the middle, a PostgreSQL server really stopped and started.  For each the test asserts
what the user saw (one line, no traceback), that once the cause is gone a plain re-run ends with
the export of a clean run, that every submission has exactly one current result, and that nothing
of the run (processes, job, sandbox and zygote folders) is left a few seconds after it ended.
"""

from __future__ import annotations

import contextlib
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
        extra = []
        if argv[0] == "autograde":   # one worker: a fault then strikes between two results
            extra = ["--no-progress"] + ([] if "--workers" in argv else ["--workers", "1"])
        self.process = subprocess.Popen([sys.executable, "-m", "autograder", *argv, *common, *extra],
                                        env=dict(os.environ, **{name: value}),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _RUNS.append(self)

    def stop(self):
        """Kill the run and whatever it started, if still running; close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        for pid in self.left():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not hasattr(self, "out"):
            self.out, self.err = self.process.communicate(timeout=60)

    def wait(self, timeout=300):
        self.out, self.err = self.process.communicate(timeout=timeout)
        return self.process.returncode

    def signal(self, signum):
        self.process.send_signal(signum)

    def left(self):
        return _processes_marked(self.marker.encode().decode())


_RUNS = []


@pytest.fixture(autouse=True)
def _no_run_outlives_its_test():
    """A test that fails while a run is going leaves no process (nor open pipe) to later tests."""
    yield
    while _RUNS:
        _RUNS.pop().stop()


def cli(root, *argv, db=None, timeout=300):
    """(exit code, stdout, stderr) of one command run to its end: ``autograde`` in a process of
    its own (it grades in real worker processes), the others -- which grade nothing -- through
    the same ``main`` in this process, which saves a Python start-up per call."""
    if argv[0] == "autograde":
        run = Run(root, *argv, db=db)
        code = run.wait(timeout)
        return code, run.out, run.err
    import contextlib
    import io
    from autograder.cli import main
    common = ["--course", str(root), "--notebooks", str(DATA), "--cell-timeout",
              str(CELL_TIMEOUT), "--notebook-timeout", str(NOTEBOOK_TIMEOUT)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, *common, *(["--db", db] if db else [])])
    return code, out.getvalue(), err.getvalue()


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


# ------------------------------------------------------------------------------ damaged files
def test_a_cut_off_result_is_reported_by_path_and_graded_again(graded, reference):
    path = graded / "results" / "bo" / f"{ASSIGNMENT}.json"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])           # what a kill mid-write used to leave
    for command in (["export", "--output", str(graded / "x.csv")], ["summary"]):
        code, out, err = cli(graded, *command)
        assert code == 0, err
        assert f"warning: {path} cannot be read (JSONDecodeError: " in err
        assert "treated as not graded" in err and "Traceback" not in err
    rows = export_rows(graded)
    assert rows[("bo", ASSIGNMENT)]["status"] == "not graded"
    assert rows[("bo", ASSIGNMENT)]["reason"].startswith(
        f"its result results/bo/{ASSIGNMENT}.json is unreadable (JSONDecodeError: ")
    assert rows[("bo", ASSIGNMENT)]["score"] == ""
    code, out, err = cli(graded, "autograde")
    assert code == 0, err
    assert [line.split(" / ")[0] for line in lines(out)] == ["bo"]
    assert (path.parent / f"{ASSIGNMENT}.json.damaged").read_bytes() == data[: len(data) // 2]
    assert export_rows(graded) == reference[1]
    assert_one_current_result_each(graded)


def test_a_changed_submission_is_stale_until_graded_again(graded, reference, template):
    """A submission whose files changed after grading (copied in by hand, or by an older version
    collecting beside a run) shows as stale, with no score, and the next run grades it."""
    stub = template / "submitted" / "cy" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    shutil.copyfile(stub, graded / "submitted" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    rows = export_rows(graded)
    assert rows[("ada", ASSIGNMENT)]["status"] == "stale"
    assert rows[("ada", ASSIGNMENT)]["score"] == ""
    assert rows[("ada", ASSIGNMENT)]["reason"].startswith(
        "STALE: the submission changed after it was graded (graded ")
    code, out, err = cli(graded, "summary")
    assert "ada / fx_basics: stale -- STALE: the submission changed" in out
    code, out, err = cli(graded, "autograde")
    assert code == 0 and [line.split(" / ")[0] for line in lines(out)] == ["ada"]
    after = export_rows(graded)
    assert after[("ada", ASSIGNMENT)] == {**reference[1][("cy", ASSIGNMENT)], "student": "ada"}
    assert_one_current_result_each(graded)


# ------------------------------------------------------------------------------ bad uploads
def _v3_notebook():
    return {"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0,
            "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python",
                                       "metadata": {}, "outputs": [], "prompt_number": 1}],
                            "metadata": {}}]}


def test_one_bad_upload_is_that_submission_s_result_and_the_class_is_graded(fresh, reference):
    """Every kind of broken upload beside the class: each refused by collect with its reason or
    graded as an error that says what is wrong; the class's grades are those of a clean run."""
    source, release = assignment_notebooks(Course(fresh, DATA))
    inbox = fresh.parent / "bad"
    good = make_submission("perfect", source, release)
    for student in ("ann lee", "Zoë", "stamp-future", "stamp-garbage", "big"):
        write_submission(inbox, student, good)
    (inbox / "stamp-garbage" / ASSIGNMENT / "timestamp.txt").write_text("last tuesday\n")
    (inbox / "stamp-future" / ASSIGNMENT / "timestamp.txt").write_text("2099-01-01 00:00:00 UTC\n")
    big = make_submission("perfect", source, release)
    big.cells.append(nbformat.v4.new_markdown_cell("x" * (50 * 2 ** 20)))     # a 50 MB notebook
    write_submission(inbox, "big", big)
    broken = {"empty": b"", "notjson": b'{"cells": [', "jsonlist": b"[1, 2]",
              "v3": json.dumps(_v3_notebook()).encode(), "latin1": b'{"x": "\xe9"}'}
    for student, data in broken.items():
        folder = inbox / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(data)
    write_submission(inbox, "new\nline", good)
    write_submission(inbox, ".hidden", good)
    code, out, err = cli(fresh, "collect", str(inbox))
    assert code == 0 and "Traceback" not in err, err
    said = {line.split(" / ")[0]: line.split(": ", 1)[1] for line in lines(out)}
    assert said["stamp-garbage"] == ("skipped: timestamp.txt is not a date ('last tuesday'); fix "
                                     "or remove it (then the time of collection is used)")
    assert said["stamp-future"].startswith("skipped: timestamp.txt is in the future")
    assert said["'new\\nline'"] == ("skipped: the student folder's name contains a control "
                                    "character (U+000A); rename it")
    assert said["'.hidden'"] == "skipped: the student folder's name starts with a dot; rename it"
    for student in ("ann lee", "Zoë", "big"):
        assert said[student] == "new"
    assert said["empty"] == ("new; WARNING: the notebook is empty (0 bytes): the upload was cut off "
                             "or the file was never saved, so it will be graded as an error")
    assert said["notjson"].startswith("new; WARNING: the notebook is not JSON (")
    assert said["jsonlist"] == ("new; WARNING: the notebook is JSON but not a notebook (no "
                                "'nbformat' field), so it will be graded as an error")
    assert said["latin1"].startswith("new; WARNING: the notebook is not text (not UTF-8 at byte")
    assert said["v3"] == "new"                         # nbformat 3 reads (converted to 4)
    # a timestamp spoiled by hand after collect: graded as an error, not a stopped class
    (fresh / "submitted" / "di" / ASSIGNMENT / "timestamp.txt").write_text("garbage\n")
    code, out, err = cli(fresh, "autograde", "--workers", "2")
    assert code == 0 and "Traceback" not in err, err
    rows = export_rows(fresh)
    for student in ("ada", "bo", "cy", "eve"):
        assert rows[(student, ASSIGNMENT)] == reference[1][(student, ASSIGNMENT)]
    for student in ("ann lee", "Zoë", "big"):
        assert rows[(student, ASSIGNMENT)] == {**reference[1][("ada", ASSIGNMENT)],
                                               "student": student}
    reason = {s: rows[(s, ASSIGNMENT)]["reason"] for s in ("di", *broken)}
    assert all(rows[(s, ASSIGNMENT)]["status"] == "error" for s in reason if s != "v3")
    assert reason["latin1"] == (f"the submitted notebook {ASSIGNMENT}.ipynb is not text (not UTF-8 "
                                "at byte 7)")
    assert all(rows[(s, ASSIGNMENT)]["score"] == "" for s in reason if s != "v3")
    assert reason["di"] == ("its timestamp.txt is not a date ('garbage'); collect the submission "
                            "again")
    assert reason["empty"] == (f"the submitted notebook {ASSIGNMENT}.ipynb is empty (0 bytes): the "
                               "upload was cut off or the file was never saved")
    assert reason["notjson"].startswith(f"the submitted notebook {ASSIGNMENT}.ipynb is not JSON "
                                        "(Expecting ")
    assert "traceback" not in " ".join(reason.values()).lower()
    # a v3 notebook has no nbgrader cells: for a human to grade, never a silent 0
    assert rows[("v3", ASSIGNMENT)]["status"] == "manual", rows[("v3", ASSIGNMENT)]
    assert rows[("v3", ASSIGNMENT)]["reason"].startswith("no nbgrader cell metadata")
    # broken submissions are not retried until they change; the rest is not graded twice
    code, out, err = cli(fresh, "autograde")
    assert "nothing to grade" in out
    assert_one_current_result_each(fresh)


# ------------------------------------------------------------------------------ the machine
@pytest.fixture
def mounted(tmp_path):
    """Mount points made for a test, unmounted after it."""
    made = []

    def mount(*argv):
        subprocess.run(["mount", *map(str, argv)], check=True, capture_output=True)
        made.append(str(argv[-1]))

    yield mount
    for point in reversed(made):
        subprocess.run(["umount", "-l", point], capture_output=True)


def _fill(folder):
    """Write a file in ``folder`` until its filesystem is full; its path."""
    filler = Path(folder) / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 2 ** 20)
        except OSError:
            pass
    try:
        with open(filler, "ab", buffering=0) as handle:
            while True:
                handle.write(b"\0" * 4096)
    except OSError:
        pass
    return filler


@ROOT_ONLY
def test_a_disk_that_fills_up_mid_batch_stops_the_run_in_one_line(template, reference, tmp_path,
                                                                    mounted):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted("-t", "tmpfs", "-o", "size=64m", "tmpfs", disk)
    root = disk / "course"
    shutil.copytree(template, root)
    run = start_and_wait_for_results(root)
    filler = _fill(disk)
    assert run.wait() == 1
    assert_one_line_error(run.err, "error: the disk is full")
    assert run.err.rstrip().endswith("free space and run the command again; everything recorded "
                                     "so far is kept")
    filler.unlink()
    again = Run(root, "autograde")
    assert again.wait() == 0, again.err
    assert_nothing_left(again, root)
    assert export_rows(root) == reference[1]
    assert_one_current_result_each(root)
    assert list(root.rglob("*.partial")) == []


@ROOT_ONLY
def test_a_read_only_course_folder_is_named_in_one_line(graded, mounted):
    mounted("--bind", graded, graded)
    mounted("-o", "remount,bind,ro", graded, graded)
    for command in (["autograde"], ["export"], ["collect", str(graded)]):
        code, out, err = cli(graded, *command)
        assert code == 1, (command, err)
        assert_one_line_error(err, "error: the folder is on a read-only filesystem")


def test_a_damaged_or_locked_gradebook_ends_in_one_line(graded, reference):
    gradebook = graded / "gradebook.db"
    whole = gradebook.read_bytes()
    # locked: another program holds a write transaction on it
    holder = sqlite3.connect(gradebook, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, out, err = cli(graded, "autograde", "--force")
    finally:
        holder.rollback()
        holder.close()
    assert code == 1
    assert_one_line_error(err, "error: the gradebook is locked by another program")
    # damaged: cut off
    gradebook.write_bytes(whole[: len(whole) // 3])
    code, out, err = cli(graded, "export")
    assert code == 1
    assert_one_line_error(err, "error: the gradebook file is damaged")
    code, out, err = cli(graded, "export", "--debug")
    assert "Traceback" in err and "error: the gradebook file is damaged" in err
    # ... and what the message says to do works: a new gradebook, every grade as before
    gradebook.rename(graded / "gradebook.db.damaged")
    for command in (["build", "--force"], ["autograde", "--force"]):
        code, out, err = cli(graded, *command)
        assert code == 0, err
    assert export_rows(graded) == reference[1]
    assert_one_current_result_each(graded)


# ------------------------------------------------------------------------------ command line
def test_bad_input_at_the_command_line_gets_one_clear_line(graded, tmp_path):
    missing = tmp_path / "no-such-course"
    for command in (["autograde"], ["export"], ["summary"], ["feedback"],
                    ["collect", str(tmp_path)]):
        code, out, err = cli(missing, *command)
        assert code == 2, (command, err)
        assert_one_line_error(err, f"error: no course at {missing} (no such folder): `python -m "
                                   f"autograder build --course {missing}` makes one")
        assert not missing.exists()
    empty = tmp_path / "uploads"
    empty.mkdir()
    code, out, err = cli(graded, "collect", str(empty))
    assert code == 2
    assert_one_line_error(err, f"error: {empty} is empty: no submissions to collect.  Expected "
                               f"{empty}/<student>/<assignment>/<assignment>.ipynb (e.g. "
                               f"{empty}/ada/{ASSIGNMENT}/{ASSIGNMENT}.ipynb)")
    shutil.copyfile(graded / "submitted" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                    empty / f"{ASSIGNMENT}.ipynb")
    code, out, err = cli(graded, "collect", str(empty))
    assert code == 2 and "holds notebooks directly: is it one student's assignment folder?" in err
    # validate: a student's broken file, in one line for them
    (tmp_path / "notes.txt").write_text("my notes")
    (tmp_path / "cut.ipynb").write_text('{"cells": [{"cell_type": "code", "sou')
    for name, why in (("notes.txt", "is not JSON (Expecting value: line 1 column 1 (char 0))"),
                      ("cut.ipynb", "is not JSON (Unterminated string starting at")):
        code, out, err = cli(graded, "validate", str(tmp_path / name))
        assert code == 2 and "Traceback" not in err
        assert lines(err) == [line for line in lines(err) if line.startswith(str(tmp_path / name))]
        assert len(lines(err)) == 1 and why in err, err
    # a --db that cannot connect is not remembered; the course goes on with its gradebook
    wrong = "postgresql://grader@/grades?host=/nonexistent-socket-folder"
    code, out, err = cli(graded, "export", db=wrong)
    assert code == 2
    assert_one_line_error(err, f"error: --db {wrong}: cannot connect: ")
    assert not (graded / "autograder.json").exists()
    code, out, err = cli(graded, "export")
    assert code == 0, err


# ------------------------------------------------------------------------------ PostgreSQL
@pytest.fixture(scope="module")
def postgres():
    from .postgres_setup import MISSING, ensure_postgres
    from .servers import PostgresServer, in_ci, postgres_bindir
    bindir, message = ensure_postgres() if in_ci() else (postgres_bindir(), MISSING)
    if bindir is None:
        if in_ci():
            pytest.fail(f"CI=true and no PostgreSQL server: {message}", pytrace=False)
        pytest.skip(message)
    server = PostgresServer(bindir)
    yield server
    assert server.stop() == [], "PostgreSQL processes left after stop"


@pytest.fixture
def pg_course(postgres, template, tmp_path):
    """The class collected into a new course whose gradebook is a new PostgreSQL database."""
    url = postgres.create_database(f"faults_{uuid.uuid4().hex[:8]}")
    root = tmp_path / "course"
    for command in (["build"], ["collect", str(template.parent / "inbox")]):
        code, out, err = cli(root, *command, db=url)
        assert code == 0, err
    assert json.loads((root / "autograder.json").read_text()) == {"db": url}
    return root, url


def test_postgres_stopped_mid_batch_and_restarted_loses_nothing(postgres, pg_course, reference):
    root, url = pg_course
    run = start_and_wait_for_results(root)
    postgres.halt()
    try:
        assert run.wait() == 1
    finally:
        postgres.start()
    assert_one_line_error(run.err, "error: the gradebook's database cannot be reached (")
    assert run.err.rstrip().endswith("check that it is running and the --db URL, then run the "
                                     "command again; everything recorded so far is kept")
    assert_nothing_left(run, root)
    again = Run(root, "autograde")
    assert again.wait() == 0, again.err
    assert export_rows(root) == reference[1]
    assert_one_current_result_each(root)


def test_export_reads_while_autograde_writes_and_a_second_folder_on_one_database_waits(
        pg_course, reference, tmp_path):
    """Exports taken while a run records see, for each submission, its clean-run row or
    "not graded" -- never a half-recorded one; a second course folder on the same database is
    refused while the first writes, naming it."""
    root, url = pg_course
    twin = tmp_path / "twin"
    shutil.copytree(root, twin)
    run = Run(root, "autograde")
    wait_for(lambda: (root / ".writer.lock").exists() and
             f'"pid": {run.process.pid}' in (root / ".writer.lock").read_text(),
             what="the run to take the lock")
    code, out, err = cli(twin, "autograde")
    assert code == 2
    assert_one_line_error(err, f"error: the course's gradebook database is being written by "
                               f"`autograder autograde pid {run.process.pid} on ")
    seen = []
    while run.process.poll() is None:
        rows = export_rows(root)
        seen.append(sum(row["status"] != "not graded" for row in rows.values()))
        for key, row in rows.items():
            assert row == reference[1][key] or (row["status"], row["score"]) == ("not graded", ""), row
    assert run.wait() == 0, run.err
    assert len(seen) >= 2 and seen == sorted(seen), seen
    assert export_rows(root) == reference[1]
    assert_one_current_result_each(root)


def test_the_writer_lock_is_re_entrant_in_one_thread_only(tmp_path):
    """``build`` inside ``collect`` takes the lock again in its thread; another thread of the same
    process is refused, or waits with ``wait``."""
    import threading

    from autograder.course.lock import CourseBusy
    tmp_path.mkdir(exist_ok=True)
    course = Course(tmp_path, DATA)
    order = []
    with course.writing("collect"):
        with course.writing("build"):
            order.append("nested")
        refused = []

        def other(wait):
            try:
                with course.writing("autograde", wait=wait, on_wait=order.append):
                    order.append("other")
            except CourseBusy as exc:
                refused.append(str(exc))

        thread = threading.Thread(target=other, args=(False,))
        thread.start()
        thread.join(30)
        assert len(refused) == 1 and "is being written by `collect` (pid" in refused[0]
        waiting = threading.Thread(target=other, args=(True,))
        waiting.start()
        wait_for(lambda: len(order) == 2, what="the waiting thread to say so")
        assert order[1].startswith("waiting for `collect` (pid")
    waiting.join(30)
    assert order[2] == "other"
