"""Autograde: grade every new or changed submission in an isolated job and record what comes back.

The jobs run elsewhere (local job processes or a Dask cluster, see autograder.engines) and never see
the gradebook: this process is its only writer (autograder.course.Course.record), and it takes back
only a graded notebook that reads as one.  It holds the course's writer lock for the whole run
(autograder.course.lock), and its job folders are its own (``.work/run-<id>/``).

One submission's problem is that submission's result: a notebook that does not read as one, a
timestamp that is not a date, a result that cannot be recorded -- each becomes an ``error`` with the
reason, and the rest of the class is graded as if it were not there.  Only what stops everyone (a
full disk, the gradebook unreachable) stops the run: what was recorded stays, and the next run
grades what is missing.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid

from autograder.course import CourseError, files
from autograder.course.errors import operational
from autograder.course.gradebook import Writer, one_line, snapshot
from autograder.course.submission import parse_stamp, unreadable_notebook
from autograder.engines.local import LocalProcessGrader
from autograder.jobs import Job, Outcome, Result, Status
from autograder.stages.build import ensure_built

LOG = logging.getLogger("autograder")


def autograde(course, workers=1, force=False, students=None, assignments=None, progress=True,
              grader=None, wait=False, on_wait=None):
    """Grade every new or changed submission (all with ``force``); returns the results."""
    with course.writing("autograde", wait=wait, on_wait=on_wait):
        return _autograde(course, workers, force, students, assignments, progress, grader)


def todo(course, force=False, students=None, assignments=None):
    """[(student, assignment, timestamp)] to grade: no result, an unreadable one, or one that
    graded other files than the ones submitted now (stale) -- or every one, with ``force``."""
    built = set(course.built_assignments())
    found = []
    for student, assignment, stamp in course.submissions():
        if students and student not in students or assignments and assignment not in assignments:
            continue
        if assignment not in built:
            continue
        result, why = course.state(student, assignment, stamp)
        if force or result is None or why is not None or _retry(result):
            found.append((student, assignment, stamp))
    return found


def _retry(result):
    """An error of the grading itself (a worker that died, a disk that filled up) is no verdict on
    the submission: the next run tries it again.  A submission that is broken itself (its
    notebook or timestamp, ``Outcome.UNGRADABLE``) is not retried until it changes."""
    return result.status == Status.ERROR and Outcome.UNGRADABLE not in result.notes


def _autograde(course, workers, force, students, assignments, progress, grader):
    from tqdm.auto import tqdm

    ensure_built(course)
    work_root = course.root / ".work"
    _remove_old_runs(work_root)       # only this run writes here: every other run folder is stale
    files.remove_partials(course.root)
    if course.sandbox and os.geteuid() == 0:     # what a SIGKILLed run left in the sandboxes
        from autograder.sandbox.slots import remove_stale
        remove_stale()
    pending = todo(course, force, students, assignments)
    if not pending:
        return []
    if course.sandbox:
        from autograder.sandbox import SandboxUnavailable
        from autograder.sandbox.check import require
        try:
            require()
        except SandboxUnavailable as exc:
            raise CourseError(f"cannot grade: the student's code must run in a sandbox and "
                              f"it cannot start here: {exc}.  (`python -m autograder "
                              f"sandbox-check` explains; --no-sandbox grades without it, "
                              f"for debugging only)") from exc
    import nbgrader.api
    nbgrader.api.get_alembic_version()      # once here; the workers inherit it
    run = work_root / f"run-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    run.mkdir(parents=True)
    results = []
    gradebook = Writer(course.db_url)

    def on_result(job, result):         # called in this thread: the only gradebook writer
        try:
            results.append(course.record(job, result, gradebook.open()))
        except Exception as exc:
            if operational(exc):        # the machine's failure, not this submission's: stop
                raise
            LOG.debug("%s / %s: could not be recorded", job.student, job.assignment,
                      exc_info=True)
            failed = Result.failed(job, Status.ERROR, f"grading finished but the result could "
                                   f"not be recorded in the gradebook: {one_line(exc)}")
            failed.digest = job.digest
            course.store_result(failed)
            results.append(failed)

    bar = tqdm(total=len(pending), desc="autograde", unit="nb", disable=not progress)
    try:
        template = run / "gradebook.db"
        # the assignments' definitions only: a job never sees the course's students or grades
        snapshot(course.db_url, sorted({a for _, a, _ in pending}), template)
        jobs = []
        for student, assignment, stamp in pending:
            job, problem = _prepare_job(course, run, student, assignment, stamp, template)
            if problem is None:
                jobs.append(job)
            else:                       # graded as an error at once: no job to run
                failed = Result.failed(job, Status.ERROR, problem)
                failed.notes[Outcome.UNGRADABLE] = problem
                on_result(job, failed)
                bar.update(1)
        if jobs:
            (grader or LocalProcessGrader(workers)).grade(jobs, on_result, progress=bar)
    finally:
        gradebook.close()
        bar.close()
        shutil.rmtree(run, ignore_errors=True)
        if course.sandbox:      # cgroups and folders of workers that were killed
            from autograder.sandbox.slots import remove_stale
            remove_stale()
    return sorted(results, key=lambda r: (r.student, r.assignment))


def _remove_old_runs(work_root):
    if not work_root.is_dir():
        return
    for old in work_root.glob("run-*"):
        shutil.rmtree(old, ignore_errors=True)
    for old in work_root.glob("*__*"):          # job folders of versions before run folders
        shutil.rmtree(old, ignore_errors=True)


def _prepare_job(course, run, student, assignment, stamp, template):
    """(job, None), or (job, why it cannot be graded) for a submission that is broken itself."""
    work = run / f"{student}__{assignment}"
    submitted = course.submission_path(student, assignment)
    (work / "source" / assignment).mkdir(parents=True)
    shutil.copyfile(course.root / "source" / assignment / f"{assignment}.ipynb",
                    work / "source" / assignment / f"{assignment}.ipynb")
    shutil.copytree(submitted, work / "submitted" / student / assignment, symlinks=True)
    shutil.copyfile(template, work / "gradebook.db")
    copied = work / "submitted" / student / assignment
    when, stamp_problem = parse_stamp(stamp)
    job = Job(student=student, assignment=assignment, workdir=str(work),
              timestamp=stamp if stamp_problem is None else None,
              cell_timeout=course.cell_timeout, notebook_timeout=course.notebook_timeout,
              memory_mb=course.memory_mb, sandbox=course.sandbox,
              digest=files.folder_digest(copied))     # what this job grades, not what is there later
    if stamp_problem is not None:
        return job, f"its timestamp.txt {stamp_problem}; collect the submission again"
    problem = unreadable_notebook(copied / f"{assignment}.ipynb")
    if problem is not None:
        return job, f"the submitted notebook {assignment}.ipynb {problem}"
    return job, None
