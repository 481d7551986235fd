"""Grades that can be trusted: sample submissions graded through real nbgrader, exact scores."""

import warnings

import nbformat
import numpy as np
import pytest
from nbgrader.utils import determine_grade

from autograder.stages.export import rows

from .conftest import CELL_TIMEOUT, scores

FULL = {"test_square": 1.0, "test_sigmoid": 2.0, "test_mean_loss": 2.0}


def test_solution_gets_full_marks(graded):
    """The solution scores every test, including the hidden ones."""
    assert scores(graded["perfect"]) == FULL
    assert (graded["perfect"].status, graded["perfect"].score) == ("graded", 5.0)


def test_untouched_student_version_scores_zero_without_crashing(graded):
    """The student version (stubs) gets 0 on every autograded test and is graded normally."""
    assert scores(graded["stub"]) == dict.fromkeys(FULL, 0.0)
    assert graded["stub"].status == "graded"


def test_partly_right_submission_gets_exactly_the_right_questions(graded):
    """square right; sigmoid (sign flipped) and mean_loss (doubled) wrong."""
    assert scores(graded["partial"]) == {"test_square": 1.0, "test_sigmoid": 0.0,
                                         "test_mean_loss": 0.0}


def test_syntax_error_and_exception_leave_the_rest_graded(graded):
    """A syntax error in square and an exception in mean_loss cost only those questions."""
    assert scores(graded["broken"]) == {"test_square": 0.0, "test_sigmoid": 2.0,
                                        "test_mean_loss": 0.0}
    assert graded["broken"].status == "graded"


def test_infinite_loop_times_out_one_question(graded):
    """square loops forever: its test times out (0), the others are graded."""
    result = graded["looper"]
    assert scores(result) == {"test_square": 0.0, "test_sigmoid": 2.0, "test_mean_loss": 2.0}
    assert "timed out" in result.reason and "test_square" in result.reason
    assert result.seconds < CELL_TIMEOUT + 25


def test_a_notebook_of_loops_is_bounded_in_total_time(graded):
    """Three looping answers with an 8 s budget: stopped by the budget, not 3 x the cell timeout."""
    result = graded["allloop"]
    assert result.status == "timeout"
    assert "8 s budget" in result.reason
    assert scores(result) == dict.fromkeys(FULL, 0.0)
    assert result.seconds < 8 + 20          # 20 s: worker and kernel start-up, under load


def test_kernel_crash_is_recorded_with_a_reason(graded):
    """os._exit in mean_loss: the earlier questions keep their points, the crash is explicit."""
    result = graded["crasher"]
    assert result.status == "crashed"
    assert "kernel died" in result.reason and "test_mean_loss" in result.reason
    assert scores(result) == {"test_square": 1.0, "test_sigmoid": 2.0, "test_mean_loss": 0.0}


def test_memory_blow_up_is_recorded_with_a_reason(graded):
    """square allocates without end: MemoryError under the worker's limit, the rest graded."""
    result = graded["hog"]
    assert result.status == "memory", result.reason
    assert "MemoryError" in result.reason and "test_square" in result.reason
    assert scores(result) == {"test_square": 0.0, "test_sigmoid": 2.0, "test_mean_loss": 2.0}


def test_other_students_unaffected_by_crashes(graded):
    """Grading in the same batch as the crash, the hog and the loops changes nobody else."""
    assert scores(graded["perfect"]) == FULL
    assert scores(graded["partial"])["test_square"] == 1.0
    assert len(graded) == 11


def test_edited_and_deleted_tests_and_monkeypatching_change_nothing(graded):
    """test_square edited to `pass`: restored; test_sigmoid deleted: restored and graded;
    mean_loss wrong while np.allclose, assert_allclose, check_array, check_scalar and
    nnlib.SquaredError.forward are patched in the kernel to agree: still 0 (the tests run in the
    checker, which none of it reaches)."""
    result = graded["tamperer"]
    assert scores(result) == {"test_square": 1.0, "test_sigmoid": 2.0, "test_mean_loss": 0.0}
    assert "restored" in result.reason and "test_sigmoid" in result.reason


def test_metadata_less_notebook_is_flagged_for_manual_grading(graded, course):
    """Cells copied into a fresh notebook: status manual with a reason, no score, no crash."""
    result = graded["nometa"]
    assert result.status == "manual"
    assert "no nbgrader cell metadata" in result.reason
    row = [r for r in rows(course) if r["student"] == "nometa"][0]
    assert row["score"] is None and row["status"] == "manual"


def test_calling_nnlib_earns_no_credit(graded):
    """Answers that only call nnlib's implementation score 0; forbid's message says why."""
    result = graded["cheater"]
    assert scores(result) == dict.fromkeys(FULL, 0.0)
    messages = {f["grade_id"]: f["message"] for f in result.failures}
    assert "earns no credit" in messages["test_sigmoid"]


def test_nbgrader_zeroes_a_test_cell_with_stderr_output():
    """nbgrader's rule that grades do not follow here: any stderr output in a test cell scores 0
    (the checker's verdict decides, not the cell's outputs)."""
    cell = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "solution": False, "points": 2, "grade_id": "t", "locked": True}})
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="RuntimeWarning: ...")]
    assert determine_grade(cell) == (0, 2.0)


def test_the_sigmoid_solution_warns_yet_gets_full_marks(graded):
    """The naive sigmoid overflows (a RuntimeWarning) on the hidden test, and still scores 2."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_allclose(1.0 / (1.0 + np.exp(-np.array([-1000.0, 1000.0]))), [0, 1])
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)
    assert scores(graded["perfect"])["test_sigmoid"] == 2.0


def test_gradebook_holds_the_same_grades(graded, course):
    """The course gradebook (nbgrader's) agrees with the results, crash included."""
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        for student in ("perfect", "crasher", "tamperer"):
            submission = gb.find_submission("fx_basics", student)
            assert submission.score == pytest.approx(graded[student].score)
