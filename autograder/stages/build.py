"""Build: the student versions nbgrader releases, from ``notebooks/`` (the single source of truth).

Every later stage starts with ``ensure_built``, so a source notebook edited since the last build is
never graded against a stale release.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder import nbgrader_config
from autograder.course import REPO, CourseError, files, run_nbgrader, sha256


def build(course, assignments=None, force=False, wait=False, on_wait=None):
    """Student versions of every (or the named) notebook; returns {assignment: 'built'|'up to date'}.
    The only command that creates a course folder."""
    names = assignments or course.assignments()
    unknown = sorted(set(names) - set(course.assignments()))
    if unknown:
        raise CourseError(f"no source notebook for {', '.join(unknown)} in {course.notebooks}")
    course.check_db()             # a new --db must connect before anything is made for it
    course.root.mkdir(parents=True, exist_ok=True)
    with course.writing("build", wait=wait, on_wait=on_wait):
        return _build(course, names, force)


def _build(course, names, force):
    from nbgrader.converters import GenerateAssignment

    course.remember_db()
    files.copy(Path(nbgrader_config.__file__), course.root / "nbgrader_config.py")
    done = {}
    for name in names:
        src = course.notebooks / f"{name}.ipynb"
        dest_dir = course.root / "source" / name
        dest = dest_dir / f"{name}.ipynb"
        if (not force and dest.exists() and sha256(dest) == sha256(src)
                and course.release_path(name).exists()):
            done[name] = "up to date"
            continue
        if dest_dir.exists():      # only the notebook: nbgrader copies every file it finds
            shutil.rmtree(dest_dir)
        dest_dir.mkdir(parents=True)
        shutil.copyfile(src, dest)
        cfg = course.config()
        cfg.CourseDirectory.assignment_id = name
        run_nbgrader(GenerateAssignment, cfg, f"generate_assignment failed for {name}")
        done[name] = "built"
    return done


def ensure_built(course, assignments=None):
    names = assignments or course.assignments()
    missing = [a for a in names if not course.release_path(a).exists()
               or not (course.root / "source" / a / f"{a}.ipynb").exists()
               or sha256(course.root / "source" / a / f"{a}.ipynb")
               != sha256(course.notebooks / f"{a}.ipynb")]
    if missing:
        build(course, missing)


def student(course, folder=None):
    """Copy each student version to ``folder/<a>.ipynb`` unless that file already exists."""
    folder = Path(folder or REPO / "student")
    ensure_built(course)
    folder.mkdir(parents=True, exist_ok=True)
    report = {}
    for name in course.assignments():
        target = folder / f"{name}.ipynb"
        if target.exists():
            report[name] = "kept (already there: your work is never overwritten)"
        else:
            shutil.copyfile(course.release_path(name), target)
            report[name] = "copied"
    return report
