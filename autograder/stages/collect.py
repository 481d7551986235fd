"""Collect: take uploads laid out ``<student>/<assignment>/*.ipynb`` into the course's submitted/.

Uploads come from nbgrader collect or an LMS export and are not trusted: only regular files are
taken, and a resubmission is archived with the result it got, so nothing graded is ever lost.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.stages.build import ensure_built
from autograder.course import CourseError, now_stamp, sha256

# A submission is taken only from regular files: a symbolic link in an upload (an LMS archive can
# hold them) would make collect copy whatever it points to -- the source notebook with its
# solutions, another student's work, a secret file read as the timestamp.
_LINK_SKIP = ("skipped: {} is a symbolic link; submissions are taken only from regular files "
              "(re-upload the notebook itself)")


def collect(course, folder):
    """Take ``folder/<student>/<assignment>/*.ipynb`` into submitted/ (archiving older ones)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"no submissions folder at {folder}")
    ensure_built(course)
    known = set(course.built_assignments())
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
            report.append((student, assignment, _take(course, student, assignment, chosen,
                                                         assignment_dir)))
    return report


def _take(course, student, assignment, notebook, origin):
    dest = course.root / "submitted" / student / assignment
    target = dest / f"{assignment}.ipynb"
    stamp_file = origin / "timestamp.txt"
    stamp = (stamp_file.read_text().strip() if stamp_file.exists() else now_stamp())
    if target.exists():
        if sha256(target) == sha256(notebook):
            return "unchanged"
        old_stamp = (dest / "timestamp.txt").read_text().strip() \
            if (dest / "timestamp.txt").exists() else "unknown"
        archive = (course.root / "archive" / student / assignment
                   / old_stamp.replace(" ", "_").replace(":", "-"))
        archive.parent.mkdir(parents=True, exist_ok=True)
        if archive.exists():
            shutil.rmtree(archive)
        shutil.copytree(dest, archive)
        result = course.result_path(student, assignment)
        if result.exists():
            shutil.copyfile(result, archive / "result.json")
        shutil.rmtree(dest)
        how = f"resubmission (previous one archived in {archive.relative_to(course.root)})"
    else:
        how = "new"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, target)
    (dest / "timestamp.txt").write_text(stamp + "\n")
    return how
