"""Autograde: grade every new or changed submission in an isolated job and record what comes back.

The jobs run elsewhere (local job processes or a Dask cluster, see autograder.engines) and never see
the gradebook: this process is its only writer (autograder.course.Course.record), and it takes back
only a graded notebook that reads as one.
"""

from __future__ import annotations

import logging
import shutil

from autograder.course import CourseError
from autograder.course.gradebook import Writer, snapshot
from autograder.engines.local import LocalProcessGrader
from autograder.jobs import Job
from autograder.stages.build import ensure_built

LOG = logging.getLogger("autograder")


def autograde(course, workers=1, force=False, students=None, assignments=None, progress=True,
              grader=None):
    """Grade every new or changed submission (all with ``force``); returns the results."""
    from tqdm.auto import tqdm

    ensure_built(course)
    todo = []
    built = set(course.built_assignments())
    for student, assignment, stamp in course.submissions():
        if students and student not in students or assignments and assignment not in assignments:
            continue
        if assignment not in built:
            continue
        previous = course.load_result(student, assignment)
        if not force and previous and previous.timestamp == stamp:
            continue
        todo.append((student, assignment, stamp))
    if not todo:
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
    work_root = course.root / ".work"
    template = work_root / "gradebook.db"
    work_root.mkdir(parents=True, exist_ok=True)
    # the assignments' definitions only: a job never sees the course's students or grades
    snapshot(course.db_url, sorted({a for _, a, _ in todo}), template)
    jobs = [_prepare_job(course, s, a, t, template) for s, a, t in todo]
    grader = grader or LocalProcessGrader(workers)
    results = []
    gradebook = Writer(course.db_url)

    def on_result(job, result):         # called in this thread: the only gradebook writer
        course.record(job, result, gradebook.open())
        results.append(result)

    bar = tqdm(total=len(jobs), desc="autograde", unit="nb", disable=not progress)
    try:
        grader.grade(jobs, on_result, progress=bar)
    finally:
        gradebook.close()
        bar.close()
        if course.sandbox:      # cgroups and folders of workers that were killed
            from autograder.sandbox.slots import remove_stale
            remove_stale()
    return sorted(results, key=lambda r: (r.student, r.assignment))


def _prepare_job(course, student, assignment, stamp, template):
    work = course.root / ".work" / f"{student}__{assignment}"
    if work.exists():
        shutil.rmtree(work)
    (work / "source" / assignment).mkdir(parents=True)
    shutil.copyfile(course.root / "source" / assignment / f"{assignment}.ipynb",
                    work / "source" / assignment / f"{assignment}.ipynb")
    shutil.copytree(course.root / "submitted" / student / assignment,
                    work / "submitted" / student / assignment)
    shutil.copyfile(template, work / "gradebook.db")
    return Job(student=student, assignment=assignment, workdir=str(work), timestamp=stamp,
               cell_timeout=course.cell_timeout, notebook_timeout=course.notebook_timeout,
               memory_mb=course.memory_mb, sandbox=course.sandbox)
