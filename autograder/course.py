"""The course directory and the grading steps (build, student, collect, autograde, feedback).

Layout (everything here is generated; ``notebooks/`` stays the single source of truth)::

    course/
      nbgrader_config.py        copy of autograder/nbgrader_config.py (plain nbgrader works here)
      gradebook.db              nbgrader's gradebook
      source/<a>/<a>.ipynb      copied from notebooks/<a>.ipynb (only the notebook)
      release/<a>/<a>.ipynb     student versions (nbgrader generate_assignment)
      submitted/<s>/<a>/        the current submission + timestamp.txt
      autograded/<s>/<a>/       the graded copy (nbgrader autograde)
      feedback/<s>/<a>/<a>.html feedback, hidden tests removed
      results/<s>/<a>.json      status, reason, per-test failures, history of earlier results
      archive/<s>/<a>/<time>/   earlier submissions (with the result they got)
      reports/grades.csv, summary.png
      .work/                    one private folder per grading job
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import nbformat

from autograder._nbgrader_setup import setup as _setup_nbgrader
from autograder.gradebook import GradebookError, course_url, snapshot
from autograder.grader import Job, LocalProcessGrader
from autograder.nbgrader_config import (CELL_TIMEOUT, MEMORY_LIMIT_MB, NOTEBOOK_TIMEOUT,
                                        make_config)

_setup_nbgrader()
REPO = Path(__file__).resolve().parents[1]
LOG = logging.getLogger("autograder")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
# Leads the reason of every result graded with --no-sandbox (CSV, summary, results/*.json).
UNSANDBOXED = "UNSANDBOXED (graded with --no-sandbox: the student's code ran with the grader's rights)"


class CourseError(Exception):
    """A problem the instructor can fix; the CLI prints it without a traceback."""


def _quiet_logger():
    log = logging.getLogger("autograder.nbgrader")
    log.setLevel(logging.ERROR)
    return log


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def now_stamp():
    return dt.datetime.now(dt.timezone.utc).strftime(TIMESTAMP_FORMAT)


def _run_nbgrader(converter_class, cfg, failure):
    """Run one of nbgrader's converters (forced, quiet); its failure becomes a CourseError."""
    from nbgrader.coursedir import CourseDirectory  # nbgrader loads slowly: only when grading

    converter = converter_class(coursedir=CourseDirectory(config=cfg), config=cfg,
                                log=_quiet_logger())
    converter.force = True
    try:
        converter.start()
    except Exception as exc:
        raise CourseError(f"nbgrader {failure}: {exc}") from exc


# A submission is taken only from regular files: a symbolic link in an upload (an LMS archive can
# hold them) would make collect copy whatever it points to -- the source notebook with its
# solutions, another student's work, a secret file read as the timestamp.
_LINK_SKIP = ("skipped: {} is a symbolic link; submissions are taken only from regular files "
              "(re-upload the notebook itself)")


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

    # ------------------------------------------------------------------ build
    def build(self, assignments=None, force=False):
        """Student versions of every (or the named) notebook; returns {assignment: 'built'|'up to date'}."""
        from nbgrader.converters import GenerateAssignment

        names = assignments or self.assignments()
        unknown = sorted(set(names) - set(self.assignments()))
        if unknown:
            raise CourseError(f"no source notebook for {', '.join(unknown)} in {self.notebooks}")
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(__file__).with_name("nbgrader_config.py"),
                        self.root / "nbgrader_config.py")
        done = {}
        for name in names:
            src = self.notebooks / f"{name}.ipynb"
            dest_dir = self.root / "source" / name
            dest = dest_dir / f"{name}.ipynb"
            if (not force and dest.exists() and _sha(dest) == _sha(src)
                    and self.release_path(name).exists()):
                done[name] = "up to date"
                continue
            if dest_dir.exists():      # only the notebook: nbgrader copies every file it finds
                shutil.rmtree(dest_dir)
            dest_dir.mkdir(parents=True)
            shutil.copyfile(src, dest)
            cfg = self.config()
            cfg.CourseDirectory.assignment_id = name
            _run_nbgrader(GenerateAssignment, cfg, f"generate_assignment failed for {name}")
            done[name] = "built"
        return done

    def ensure_built(self, assignments=None):
        names = assignments or self.assignments()
        missing = [a for a in names if not self.release_path(a).exists()
                   or not (self.root / "source" / a / f"{a}.ipynb").exists()
                   or _sha(self.root / "source" / a / f"{a}.ipynb")
                   != _sha(self.notebooks / f"{a}.ipynb")]
        if missing:
            self.build(missing)

    # ------------------------------------------------------------------ student
    def student(self, folder=None):
        """Copy each student version to ``folder/<a>.ipynb`` unless that file already exists."""
        folder = Path(folder or REPO / "student")
        self.ensure_built()
        folder.mkdir(parents=True, exist_ok=True)
        report = {}
        for name in self.assignments():
            target = folder / f"{name}.ipynb"
            if target.exists():
                report[name] = "kept (already there: your work is never overwritten)"
            else:
                shutil.copyfile(self.release_path(name), target)
                report[name] = "copied"
        return report

    # ------------------------------------------------------------------ collect
    def collect(self, folder):
        """Take ``folder/<student>/<assignment>/*.ipynb`` into submitted/ (archiving older ones)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise CourseError(f"no submissions folder at {folder}")
        self.ensure_built()
        known = set(self.built_assignments())
        report = []
        for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            student = student_dir.name
            if student_dir.is_symlink():
                report.append((student, "-", _LINK_SKIP.format(student_dir.name)))
                continue
            for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
                assignment = assignment_dir.name
                if assignment not in known:
                    report.append((student, assignment, "skipped: unknown assignment"))
                    continue
                notebooks = sorted(assignment_dir.glob("*.ipynb"))
                exact = assignment_dir / f"{assignment}.ipynb"
                linked = [p.name for p in (assignment_dir, *notebooks, assignment_dir / "timestamp.txt")
                          if p.is_symlink()]
                if linked:
                    report.append((student, assignment, _LINK_SKIP.format(", ".join(linked))))
                    continue
                if exact.is_file():
                    chosen = exact
                elif len(notebooks) == 1 and notebooks[0].is_file():
                    chosen = notebooks[0]          # renamed by the student or the LMS
                else:
                    report.append((student, assignment,
                                   f"skipped: {len(notebooks)} notebooks and none named "
                                   f"{assignment}.ipynb"))
                    continue
                report.append((student, assignment, self._take(student, assignment, chosen,
                                                               assignment_dir)))
        return report

    def _take(self, student, assignment, notebook, origin):
        dest = self.root / "submitted" / student / assignment
        target = dest / f"{assignment}.ipynb"
        stamp_file = origin / "timestamp.txt"
        stamp = (stamp_file.read_text().strip() if stamp_file.exists() else now_stamp())
        if target.exists():
            if _sha(target) == _sha(notebook):
                return "unchanged"
            old_stamp = (dest / "timestamp.txt").read_text().strip() \
                if (dest / "timestamp.txt").exists() else "unknown"
            archive = (self.root / "archive" / student / assignment
                       / old_stamp.replace(" ", "_").replace(":", "-"))
            archive.parent.mkdir(parents=True, exist_ok=True)
            if archive.exists():
                shutil.rmtree(archive)
            shutil.copytree(dest, archive)
            result = self.result_path(student, assignment)
            if result.exists():
                shutil.copyfile(result, archive / "result.json")
            shutil.rmtree(dest)
            how = f"resubmission (previous one archived in {archive.relative_to(self.root)})"
        else:
            how = "new"
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
        (dest / "timestamp.txt").write_text(stamp + "\n")
        return how

    def submissions(self):
        """[(student, assignment, timestamp)] of everything in submitted/."""
        found = []
        for path in sorted((self.root / "submitted").glob("*/*/timestamp.txt")):
            assignment, student = path.parent.name, path.parent.parent.name
            found.append((student, assignment, path.read_text().strip()))
        return found

    # ------------------------------------------------------------------ results
    def result_path(self, student, assignment):
        return self.root / "results" / student / f"{assignment}.json"

    def load_result(self, student, assignment):
        path = self.result_path(student, assignment)
        if path.exists():
            return json.loads(path.read_text())
        return None

    def _store_result(self, result):
        path = self.result_path(result["student"], result["assignment"])
        path.parent.mkdir(parents=True, exist_ok=True)
        previous = self.load_result(result["student"], result["assignment"])
        history = []
        if previous:
            history = previous.pop("history", [])
            history.append(previous)
        result["history"] = history
        result["graded_at"] = now_stamp()
        path.write_text(json.dumps(result, indent=1))

    # ------------------------------------------------------------------ autograde
    def autograde(self, workers=1, force=False, students=None, assignments=None, progress=True,
                  grader=None):
        """Grade every new or changed submission (all with ``force``); returns the results."""
        from tqdm.auto import tqdm

        self.ensure_built()
        todo = []
        for student, assignment, stamp in self.submissions():
            if students and student not in students or assignments and assignment not in assignments:
                continue
            if assignment not in self.built_assignments():
                continue
            previous = self.load_result(student, assignment)
            if not force and previous and previous.get("timestamp") == stamp:
                continue
            todo.append((student, assignment, stamp))
        if not todo:
            return []
        if self.sandbox:
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
        work_root = self.root / ".work"
        template = work_root / "gradebook.db"
        work_root.mkdir(parents=True, exist_ok=True)
        # the assignments' definitions only: a job never sees the course's students or grades
        snapshot(self.db_url, sorted({a for _, a, _ in todo}), template)
        jobs = [self._prepare_job(s, a, t, template) for s, a, t in todo]
        grader = grader or LocalProcessGrader(workers)
        results = []

        def on_result(job, result):         # called in this thread: the only gradebook writer
            self._record(job, result)
            results.append(result)

        bar = tqdm(total=len(jobs), desc="autograde", unit="nb", disable=not progress)
        try:
            grader.grade(jobs, on_result, progress=bar)
        finally:
            bar.close()
            if self.sandbox:      # cgroups and folders of workers that were killed
                from autograder.sandbox import remove_stale
                remove_stale()
        return sorted(results, key=lambda r: (r["student"], r["assignment"]))

    def _prepare_job(self, student, assignment, stamp, template):
        work = self.root / ".work" / f"{student}__{assignment}"
        if work.exists():
            shutil.rmtree(work)
        (work / "source" / assignment).mkdir(parents=True)
        shutil.copyfile(self.root / "source" / assignment / f"{assignment}.ipynb",
                        work / "source" / assignment / f"{assignment}.ipynb")
        shutil.copytree(self.root / "submitted" / student / assignment,
                        work / "submitted" / student / assignment)
        shutil.copyfile(template, work / "gradebook.db")
        return Job(student=student, assignment=assignment, workdir=str(work), timestamp=stamp,
                   cell_timeout=self.cell_timeout, notebook_timeout=self.notebook_timeout,
                   memory_mb=self.memory_mb, sandbox=self.sandbox)

    def _record(self, job, result):
        """Copy the graded notebook and the grades into the course (serialized by the caller)."""
        from nbgrader.api import Gradebook, MissingEntry

        student, assignment = job.student, job.assignment
        if not result.get("sandboxed", True):
            result["reason"] = UNSANDBOXED + (f"; {result['reason']}" if result.get("reason") else "")
        dest = self.root / "autograded" / student / assignment
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
        with Gradebook(self.db_url) as gb:
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
        self._store_result(result)
        if result["status"] not in ("error", "killed"):    # keep a failed job's folder to debug
            shutil.rmtree(job.workdir, ignore_errors=True)
        return result

    # ------------------------------------------------------------------ feedback
    def feedback(self):
        """HTML feedback for every autograded submission (hidden tests removed)."""
        from nbgrader.converters import GenerateFeedback

        graded = [(s, a) for s, a, _ in self.submissions()
                  if (self.root / "autograded" / s / a / f"{a}.ipynb").exists()]
        if not graded:
            return []
        # one converter for the whole class: nbgrader globs autograded/*/* itself
        cfg = self.config()
        cfg.CourseDirectory.assignment_id = "*"
        cfg.CourseDirectory.student_id = "*"
        _run_nbgrader(GenerateFeedback, cfg, "generate_feedback failed")
        made = [self.root / "feedback" / s / a / f"{a}.html" for s, a in graded]
        return [path for path in made if path.exists()]

    # ------------------------------------------------------------------ export
    EXPORT_FIELDS = ["student", "assignment", "score", "max_score", "status", "reason"]

    def rows(self):
        """One dict per submission: score from the gradebook, status and reason from results."""
        from nbgrader.api import Gradebook, MissingEntry

        rows = []
        with Gradebook(self.db_url) as gb:
            for student, assignment, _ in self.submissions():
                result = self.load_result(student, assignment)
                try:
                    submission = gb.find_submission(assignment, student)
                    score, max_score = submission.score, submission.max_score
                except MissingEntry:
                    score, max_score = None, None
                if result is None:
                    status, reason = "not graded", "submitted but not autograded yet"
                    score = None
                else:
                    status, reason = result["status"], result.get("reason", "")
                    if status in ("manual", "killed", "error"):
                        score = None      # no trustworthy number: never a silent 0.0
                rows.append({"student": student, "assignment": assignment,
                             "score": None if score is None else round(float(score), 2),
                             "max_score": None if max_score is None else round(float(max_score), 2),
                             "status": status, "reason": reason,
                             "sandboxed": (result or {}).get("sandboxed", True),
                             "failures": (result or {}).get("failures", [])})
        return rows

    def export(self, path=None):
        path = Path(path or self.root / "reports" / "grades.csv")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.EXPORT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            for row in self.rows():
                writer.writerow({k: ("" if row[k] is None else row[k]) for k in self.EXPORT_FIELDS})
        return path
