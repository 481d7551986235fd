"""Feedback: one HTML page per autograded submission, for the student to read.

nbgrader's GenerateFeedback runs with HideHiddenTests (see nbgrader_config.py): a hidden test shows
only whether it passed, never its code or its traceback; then SanitizeSubmission: nothing the
submission wrote or displayed runs or loads in the student's browser (autograder.course.sanitize).
"""

from __future__ import annotations

from autograder.course import run_nbgrader


def feedback(course, wait=False, on_wait=None):
    """HTML feedback for every autograded submission (hidden tests removed)."""
    with course.writing("feedback", wait=wait, on_wait=on_wait):
        return _feedback(course)


def _feedback(course):
    from nbgrader.converters import GenerateFeedback

    graded = [(s, a) for s, a, _ in course.submissions()
              if (course.root / "autograded" / s / a / f"{a}.ipynb").exists()]
    if not graded:
        return []
    # one converter for the whole class: nbgrader globs autograded/*/* itself
    cfg = course.config()
    cfg.CourseDirectory.assignment_id = "*"
    cfg.CourseDirectory.student_id = "*"
    run_nbgrader(GenerateFeedback, cfg, "generate_feedback failed")
    made = [course.root / "feedback" / s / a / f"{a}.html" for s, a in graded]
    return [path for path in made if path.exists()]
