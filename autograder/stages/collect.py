"""Collect: take uploads laid out ``<student>/<assignment>/*.ipynb`` into the course's submitted/.

Uploads come from nbgrader collect or an LMS export and are not trusted: only regular files are
taken, a name or a timestamp no gradebook can hold is refused with the reason, a notebook that does
not read as one is taken but flagged (the student then gets an ``error`` result that says why), and
a resubmission is archived with the result it got, so nothing graded is ever lost.  Every file is
written atomically, under the course's writer lock: a collect never runs beside an autograde.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.course import CourseError, files, now_stamp, sha256, TIMESTAMP_FORMAT
from autograder.course.submission import bad_name, parse_stamp, unreadable_notebook
from autograder.stages.build import ensure_built

# A submission is taken only from regular files: a symbolic link in an upload (an LMS archive can
# hold them) would make collect copy whatever it points to -- the source notebook with its
# solutions, another student's work, a secret file read as the timestamp.
_LINK_SKIP = ("skipped: {} is a symbolic link; submissions are taken only from regular files "
              "(re-upload the notebook itself)")
LAYOUT = "FOLDER/<student>/<assignment>/<assignment>.ipynb (e.g. FOLDER/ada/{a}/{a}.ipynb)"


def collect(course, folder, wait=False, on_wait=None):
    """Take ``folder/<student>/<assignment>/*.ipynb`` into submitted/ (archiving older ones);
    returns [(student, assignment, what happened)]."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"no submissions folder at {folder}")
    with course.writing("collect", wait=wait, on_wait=on_wait):
        ensure_built(course)
        known = set(course.built_assignments())
        report = []
        for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            report.extend(_student(course, student_dir, known))
        if not report:
            raise CourseError(_layout_problem(folder, known))
        return report


def _student(course, student_dir, known):
    student = student_dir.name
    if student_dir.is_symlink():
        return [(student, "-", _LINK_SKIP.format(student_dir.name))]
    if student in known and (student_dir / f"{student}.ipynb").exists():
        return [(student, "-", f"skipped: {student} is an assignment, not a student: expected "
                               f"{LAYOUT.format(a=student)}")]
    problem = bad_name(student)
    report = []
    for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
        assignment = assignment_dir.name
        if problem:
            report.append((repr(student), assignment, f"skipped: the student folder's name "
                                                      f"{problem}; rename it"))
        elif assignment not in known:
            report.append((student, assignment, "skipped: unknown assignment"))
        else:
            report.append((student, assignment, _assignment(course, student, assignment,
                                                            assignment_dir)))
    return report


def _assignment(course, student, assignment, assignment_dir):
    notebooks = sorted(assignment_dir.glob("*.ipynb"))
    exact = assignment_dir / f"{assignment}.ipynb"
    linked = [p.name for p in (assignment_dir, *notebooks, assignment_dir / "timestamp.txt")
              if p.is_symlink()]
    if linked:
        return _LINK_SKIP.format(", ".join(linked))
    if exact.is_file():
        chosen = exact
    elif len(notebooks) == 1 and notebooks[0].is_file():
        chosen = notebooks[0]          # renamed by the student or the LMS
    else:
        return f"skipped: {len(notebooks)} notebooks and none named {assignment}.ipynb"
    stamp_file = assignment_dir / "timestamp.txt"
    if stamp_file.is_file():
        try:
            given = stamp_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            return f"skipped: timestamp.txt cannot be read ({exc}); fix or remove it"
        when, problem = parse_stamp(given)
        if problem:
            return f"skipped: timestamp.txt {problem}; fix or remove it (then the time of collection is used)"
        stamp = when.strftime(TIMESTAMP_FORMAT)
    else:
        stamp = now_stamp()
    how = _take(course, student, assignment, chosen, stamp)
    problem = unreadable_notebook(chosen)
    if problem and how != "unchanged":
        how += f"; WARNING: the notebook {problem}, so it will be graded as an error"
    return how


def _take(course, student, assignment, notebook, stamp):
    dest = course.submission_path(student, assignment)
    target = dest / f"{assignment}.ipynb"
    if target.exists():
        if sha256(target) == sha256(notebook):
            return "unchanged"
        old_stamp = (dest / "timestamp.txt").read_text(errors="replace").strip() \
            if (dest / "timestamp.txt").exists() else "unknown"
        archive = (course.root / "archive" / student / assignment
                   / old_stamp.replace(" ", "_").replace(":", "-"))
        archive.parent.mkdir(parents=True, exist_ok=True)
        if archive.exists():
            shutil.rmtree(archive)
        partial = archive.with_name(archive.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(dest, partial)
        result = course.result_path(student, assignment)
        if result.exists():
            shutil.copyfile(result, partial / "result.json")
        partial.rename(archive)         # the archive appears whole or not at all
        how = f"resubmission (previous one archived in {archive.relative_to(course.root)})"
    else:
        how = "new"
    # the notebook first, the timestamp after: a submission is complete once its stamp is there
    files.copy(notebook, target)
    files.write_text(dest / "timestamp.txt", stamp + "\n")
    return how


def _layout_problem(folder, known):
    """Why nothing in ``folder`` looks like a submission, and the layout that was expected."""
    example = sorted(known)[0] if known else "01_calculus"
    expected = LAYOUT.format(a=example).replace("FOLDER", str(folder))
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if not entries:
        return f"{folder} is empty: no submissions to collect.  Expected {expected}"
    if any(p.suffix == ".ipynb" for p in entries):
        return (f"{folder} holds notebooks directly: is it one student's assignment folder?  "
                f"Expected {expected}")
    if any(p.name in known for p in entries if p.is_dir()):
        return (f"{folder} holds assignment folders at the top: is it one student's folder?  "
                f"Expected {expected}")
    return f"no submissions found in {folder}.  Expected {expected}"
