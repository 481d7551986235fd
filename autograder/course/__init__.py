"""The instructor's process: the course folder, its paths, its submissions and their results, and
the ONLY writer of its gradebook (``Course.record``).

Each grading stage (autograder.stages) is a module of its own that takes the course: build, collect,
autograde, feedback, export, summary.

Layout (everything here is generated; ``notebooks/`` stays the single source of truth)::

    course/
      nbgrader_config.py        copy of autograder/nbgrader_config.py (plain nbgrader works here)
      gradebook.db              nbgrader's gradebook
      source/<a>/<a>.ipynb      copied from notebooks/<a>.ipynb (only the notebook)
      release/<a>/<a>.ipynb     student versions (nbgrader generate_assignment)
      submitted/<s>/<a>/        the current submission + timestamp.txt
      autograded/<s>/<a>/       the graded copy (nbgrader autograde), sanitised (course.sanitize)
      feedback/<s>/<a>/<a>.html feedback, hidden tests removed
      results/<s>/<a>.json      status, reason, per-test failures, what was graded (a digest of
                                the submitted files), history of earlier results
      archive/<s>/<a>/<time>/   earlier submissions (with the result they got)
      reports/grades.csv, summary.png
      .writer.lock              held by the one command writing to the course (course.lock)
      .work/run-<id>/           one private folder per grading run, one per job inside; removed
                                when the run ends (and by the next run, after a SIGKILL)
      .work/failed/<s>__<a>/    the job folder of the last job that failed, kept to debug it

Every file written here is replaced atomically (course.files): a kill or a full disk leaves the
old file or the new one.  A result file that cannot be read is reported by its path and treated
as not graded; it never stops a command.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import shutil
from pathlib import Path

from autograder.course import files
from autograder.course.errors import CourseError
from autograder.course.gradebook import (GradebookError, course_url, default_url, probe, redact,
                                         remember)
from autograder.course.sanitize import sanitize_notebook
from autograder.jobs import (CELL_TIMEOUT, FLAGGED, MEMORY_LIMIT_MB, NOTEBOOK_TIMEOUT, Outcome,
                             Result, Status)
from autograder.nbgrader_config import make_config
from autograder.nbgrader_setup import setup as _setup_nbgrader

_setup_nbgrader()
REPO = Path(__file__).resolve().parents[2]
LOG = logging.getLogger("autograder")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
# Leads the reason of every result graded with --no-sandbox (CSV, summary, results/*.json).
UNSANDBOXED = "UNSANDBOXED (graded with --no-sandbox: the student's code ran with the grader's rights)"


def _quiet_logger():
    log = logging.getLogger("autograder.nbgrader")
    log.setLevel(logging.ERROR)
    return log


def sha256(path):
    """Hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def now_stamp():
    return dt.datetime.now(dt.timezone.utc).strftime(TIMESTAMP_FORMAT)


def run_nbgrader(converter_class, cfg, failure):
    """Run one of nbgrader's converters (forced, quiet); its failure becomes a CourseError."""
    from nbgrader.coursedir import CourseDirectory  # nbgrader loads slowly: only when grading

    converter = converter_class(coursedir=CourseDirectory(config=cfg), config=cfg,
                                log=_quiet_logger())
    converter.force = True
    try:
        converter.start()
    except Exception as exc:
        raise CourseError(f"nbgrader {failure}: {exc}") from exc


@contextlib.contextmanager
def _one_transaction(gb):
    """nbgrader's ``update_or_create_*`` commit as they go (a new submission first, with grades
    of 0, then its scores): inside this block their commits only flush, so the caller's one
    commit records a submission whole, and a reader (an export while autograde records) sees it
    before or after, never in between."""
    gb.db.commit = gb.db.flush          # an attribute of this session proxy only
    try:
        yield
    finally:
        del gb.db.commit


class Course:
    """An nbgrader course folder built from a folder of source notebooks."""

    def __init__(self, root=None, notebooks=None, *, cell_timeout=CELL_TIMEOUT,
                 notebook_timeout=NOTEBOOK_TIMEOUT, memory_mb=MEMORY_LIMIT_MB, sandbox=True,
                 db=None):
        self.root = Path(root or REPO / "course").resolve()
        # False only for debugging: every result is then marked unsandboxed (UNSANDBOXED)
        self.sandbox = bool(sandbox)
        self.notebooks = Path(notebooks or REPO / "notebooks").resolve()
        self.cell_timeout = int(cell_timeout)
        self.notebook_timeout = int(notebook_timeout)
        self.memory_mb = int(memory_mb)
        try:     # SQLite in the course folder unless --db (or the course's autograder.json) says
            self._db_url = course_url(self.root, db)
        except GradebookError as exc:
            raise CourseError(str(exc)) from exc
        self._new_db = db if db is not None and db != default_url(self.root) else None
        self._db_checked = False
        self.problems = {}       # path -> why a result file there could not be read

    def exists(self):
        """Has this course been built (``build`` makes it; every other command needs it)?"""
        return (self.root / "nbgrader_config.py").is_file()

    def writing(self, command, wait=False, on_wait=None):
        """The course's writer lock for ``command`` (autograder.course.lock): one at a time."""
        from autograder.course.lock import writer
        return writer(self, command, wait=wait, on_wait=on_wait)

    def check_db(self):
        """A ``--db`` given for the first time: it must connect and hold (or be able to hold) a
        gradebook before the course remembers it; a URL that fails is never written down."""
        if self._new_db is None:
            return
        if not self._db_checked:
            problem = probe(self._new_db)
            if problem:
                raise CourseError(f"--db {redact(self._new_db)}: {problem}.  Nothing was "
                                  f"recorded: the course still uses its gradebook as before")
            self._db_checked = True
        self.remember_db()

    def remember_db(self):
        """Record a checked ``--db`` once the course folder exists (``build`` creates it)."""
        if self._new_db is not None and self._db_checked and self.root.is_dir():
            remember(self.root, self._new_db)
            self._new_db = None

    # ------------------------------------------------------------------ paths
    def config(self, **overrides):
        return make_config(self.root, cell_timeout=self.cell_timeout,
                           notebook_timeout=self.notebook_timeout, memory_mb=self.memory_mb,
                           db_url=self.db_url, **overrides)

    @property
    def db_url(self):
        return self._db_url

    def assignments(self):
        """Assignment names: the stems of the source notebooks, in order."""
        if not self.notebooks.is_dir():
            raise CourseError(f"no notebooks folder at {self.notebooks}")
        return sorted(p.stem for p in self.notebooks.glob("*.ipynb")
                      if not p.name.startswith("."))

    def built_assignments(self):
        return sorted(p.name for p in (self.root / "release").glob("*")
                      if (p / f"{p.name}.ipynb").exists())

    def release_path(self, assignment):
        return self.root / "release" / assignment / f"{assignment}.ipynb"

    # ------------------------------------------------------------------ submissions
    def submissions(self):
        """[(student, assignment, timestamp)] of everything in submitted/ (the timestamp as
        collect wrote it; None if it cannot be read)."""
        found = []
        for path in sorted((self.root / "submitted").glob("*/*/timestamp.txt")):
            assignment, student = path.parent.name, path.parent.parent.name
            try:
                stamp = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                stamp = None
            found.append((student, assignment, stamp))
        return found

    def submission_path(self, student, assignment):
        return self.root / "submitted" / student / assignment

    def digest(self, student, assignment):
        """What the current submission is (course.files.folder_digest of its files)."""
        return files.folder_digest(self.submission_path(student, assignment))

    def state(self, student, assignment, stamp=None):
        """(result or None, why it is not current or None): a result is current when it graded
        the files that are submitted now; ``why`` says what is wrong with it otherwise."""
        result = self.load_result(student, assignment)
        path = self.result_path(student, assignment)
        if result is None:
            if str(path) in self.problems:
                return None, (f"its result {path.relative_to(self.root)} is unreadable "
                              f"({self.problems[str(path)]}); autograde grades it again")
            return None, "submitted but not autograded yet"
        if result.digest is not None:
            if result.digest != self.digest(student, assignment):
                return result, (f"STALE: the submission changed after it was graded "
                                f"(graded {result.graded_at or 'earlier'}); autograde grades it again")
        elif stamp is not None and result.timestamp != stamp:
            return result, "STALE: a newer submission was collected; autograde grades it"
        return result, None

    # ------------------------------------------------------------------ results
    def result_path(self, student, assignment):
        return self.root / "results" / student / f"{assignment}.json"

    def _load_record(self, student, assignment):
        """The stored record (a dict), or None: none yet, or unreadable (then in ``problems``)."""
        path = self.result_path(student, assignment)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            Result.from_dict(record)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:        # cut off by a kill, a full disk, a hand edit
            why = f"{type(exc).__name__}: {exc}"[:200]
            if self.problems.get(str(path)) != why:
                LOG.warning("%s: unreadable result (%s); treated as not graded", path, why)
            self.problems[str(path)] = why
            return None
        self.problems.pop(str(path), None)
        return record

    def load_result(self, student, assignment):
        """The current result of a submission (autograder.jobs.Result), or None (none yet, or
        unreadable: then ``problems`` says why, by path)."""
        record = self._load_record(student, assignment)
        return Result.from_dict(record) if record is not None else None

    def history(self, student, assignment):
        """The results a submission had before its current one, oldest first (as stored: dicts)."""
        record = self._load_record(student, assignment)
        return list(record.get("history", [])) if record else []

    def store_result(self, result):
        """Keep ``result`` as the submission's current result; the one it replaces goes into its
        ``history``."""
        path = self.result_path(result.student, result.assignment)
        previous = self._load_record(result.student, result.assignment)
        history = []
        if previous:
            history = previous.pop("history", [])
            history.append(previous)
        elif path.exists():           # unreadable: kept beside it, for whoever wants to look
            files.copy(path, path.with_name(f"{path.name}.damaged"))
            self.problems.pop(str(path), None)
        result.graded_at = now_stamp()
        files.write_json(path, {**result.to_dict(), "history": history})

    # ------------------------------------------------------------------ the gradebook's one writer
    def record(self, job, result, gb):
        """Copy the graded notebook and the grades of ``result`` into the course (callers serialize
        this: it is the gradebook's only writer).  ``gb`` is an open nbgrader Gradebook."""
        import nbformat

        student, assignment = job.student, job.assignment
        if not result.sandboxed:
            result.reason = UNSANDBOXED + (f"; {result.reason}" if result.reason else "")
        dest = self.root / "autograded" / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        # Only the graded notebook, and only if it reads as one: nothing else from the job folder.
        graded = Path(job.workdir) / "autograded" / student / assignment / f"{assignment}.ipynb"
        produced, result.autograded = result.autograded, None
        if produced and graded.is_file():
            try:
                nb = nbformat.read(graded, as_version=4)
                nbformat.validate(nb)
            except Exception as exc:          # not a notebook: nbgrader did not write it
                LOG.warning("%s / %s: graded notebook rejected (%s)", student, assignment, exc)
            else:
                # the formgrader shows this copy in the instructor's browser: nothing the student
                # wrote or displayed may run or load there
                removed = sanitize_notebook(nb)
                if removed:
                    result.notes[Outcome.SANITIZED] = removed
                files.write_notebook(nb, dest / f"{assignment}.ipynb")
                result.autograded = str(dest / f"{assignment}.ipynb")
        import warnings
        warnings.filterwarnings("ignore", module="nbgrader")        # SQLAlchemy autoflush notes
        warnings.filterwarnings("ignore", message=".*not in session.*")
        # cells without a grade (the job failed before them) are for a human to look at
        flagged = result.status in FLAGGED - {Status.MEMORY}
        try:
            with _one_transaction(gb):
                gb.update_or_create_student(student)
                kwargs = {}
                if job.timestamp:
                    kwargs["timestamp"] = job.timestamp
                gb.update_or_create_submission(assignment, student, **kwargs)
                notebook = gb.find_submission_notebook(assignment, assignment, student)
                for grade in notebook.grades:
                    got = result.grades.get(grade.name)
                    grade.auto_score = got.auto_score if got else None
                    grade.needs_manual_grade = bool(got.needs_manual_grade) if got else flagged
                for comment in notebook.comments:
                    comment.auto_comment = None
            gb.db.commit()
        except BaseException:
            gb.db.rollback()        # nothing half-recorded; the next result starts clean
            raise
        result.digest = job.digest
        self.store_result(result)
        if result.status in (Status.ERROR, Status.KILLED) and Path(job.workdir).is_dir():
            kept = self.root / ".work" / "failed" / f"{student}__{assignment}"    # to debug it
            shutil.rmtree(kept, ignore_errors=True)
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(job.workdir, kept)
        shutil.rmtree(job.workdir, ignore_errors=True)
        return result
