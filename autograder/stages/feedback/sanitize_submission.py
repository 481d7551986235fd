"""Feedback: the page shows nothing of the submission that could run or load in a browser.

Course.record already keeps the graded notebook sanitised; this step sanitises again while the
feedback is made, so that notebooks recorded before (or edited in course/autograded/ since) are
safe too.  It runs after HideHiddenTests, so it sees the outputs that will be shown.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.course.sanitize import sanitize_notebook


class SanitizeSubmission(NbGraderPreprocessor):
    """autograder.course.sanitize.sanitize_notebook as a step of nbgrader's GenerateFeedback."""

    def preprocess(self, nb, resources):
        removed = sanitize_notebook(nb)
        if removed:
            self.log.info("Sanitised for the feedback page: %s", "; ".join(removed))
        return nb, resources
