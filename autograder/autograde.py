"""Autograde: grade every new or changed submission in an isolated job and record what comes back.

The jobs run elsewhere (local worker processes or a Dask cluster, see autograder.grader) and never
see the gradebook: this process is its only writer, and it takes back only a graded notebook that
reads as one.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import nbformat

from autograder.build import ensure_built
from autograder.course import UNSANDBOXED, CourseError
from autograder.gradebook import snapshot
from autograder.grader import Job, LocalProcessGrader

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
        if not force and previous and previous.get("timestamp") == stamp:
            continue
        todo.append((student, assignment, stamp))
    if not todo:
        return []
    if course.sandbox:
        from autograder.sandbox import SandboxUnavailable, require
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
    gradebook = _Gradebook(course.db_url)

    def on_result(job, result):         # called in this thread: the only gradebook writer
        _record(course, job, result, gradebook.open())
        results.append(result)

    bar = tqdm(total=len(jobs), desc="autograde", unit="nb", disable=not progress)
    try:
        grader.grade(jobs, on_result, progress=bar)
    finally:
        gradebook.close()
        bar.close()
        if course.sandbox:      # cgroups and folders of workers that were killed
            from autograder.sandbox import remove_stale
            remove_stale()
    return sorted(results, key=lambda r: (r["student"], r["assignment"]))


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


class _Gradebook:
    """The course gradebook, opened at the first result and kept open for the run: one connection
    (and SQLAlchemy's statement cache) for all results, each still committed on its own, so an
    interrupted run leaves every recorded result in the gradebook."""

    def __init__(self, url):
        self.url, self.gb = url, None

    def open(self):
        if self.gb is None:
            from nbgrader.api import Gradebook
            self.gb = Gradebook(self.url)
        return self.gb

    def close(self):
        if self.gb is not None:
            self.gb.close()
            self.gb = None


def _record(course, job, result, gb):
    """Copy the graded notebook and the grades into the course (serialized by the caller)."""

    student, assignment = job.student, job.assignment
    if not result.get("sandboxed", True):
        result["reason"] = UNSANDBOXED + (f"; {result['reason']}" if result.get("reason") else "")
    dest = course.root / "autograded" / student / assignment
    if dest.exists():
        shutil.rmtree(dest)
    # Only the graded notebook, and only if it reads as one: nothing else from the job folder.
    graded = Path(job.workdir) / "autograded" / student / assignment / f"{assignment}.ipynb"
    produced, result["autograded"] = result.get("autograded"), None
    if produced and graded.is_file():
        try:
            nbformat.validate(nbformat.read(graded, as_version=4))
        except Exception as exc:          # not a notebook: nbgrader did not write it
            LOG.warning("%s / %s: graded notebook rejected (%s)", student, assignment, exc)
        else:
            dest.mkdir(parents=True)
            shutil.copyfile(graded, dest / f"{assignment}.ipynb")
            result["autograded"] = str(dest / f"{assignment}.ipynb")
    import warnings
    warnings.filterwarnings("ignore", module="nbgrader")        # SQLAlchemy autoflush notes
    warnings.filterwarnings("ignore", message=".*not in session.*")
    flagged = result["status"] in ("manual", "killed", "error", "crashed", "timeout",
                                   "needs-manual")
    try:
        gb.update_or_create_student(student)
        kwargs = {}
        if job.timestamp:
            kwargs["timestamp"] = job.timestamp
        gb.update_or_create_submission(assignment, student, **kwargs)
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        for grade in notebook.grades:
            got = result["grades"].get(grade.name)
            grade.auto_score = got["auto_score"] if got else None
            grade.needs_manual_grade = bool(got["needs_manual_grade"]) if got else flagged
        for comment in notebook.comments:
            comment.auto_comment = None
        gb.db.commit()
    except BaseException:
        gb.db.rollback()        # nothing half-recorded; the next result starts clean
        raise
    course._store_result(result)
    if result["status"] not in ("error", "killed"):    # keep a failed job's folder to debug
        shutil.rmtree(job.workdir, ignore_errors=True)
    return result
