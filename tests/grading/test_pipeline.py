"""The instructor's steps: build, student, collect, feedback, export, summary, resubmission."""

import csv
import json

import numpy as np
import pytest

from autograder.stages.autograde import autograde
from autograder.stages.build import build, student
from autograder.cli import build_parser
from autograder.stages.collect import collect
from autograder.course import Course, CourseError
from autograder.jobs import Result
from autograder.stages.export import export, rows
from autograder.stages.feedback import feedback
from autograder.stages.summary import misconception, render

from .conftest import ASSIGNMENT, DATA, scores, write_submission

SECRETS = ("HIDDEN-SQUARE-SECRET", "HIDDEN-LOSS-SECRET", "BEGIN HIDDEN TESTS", "[[2.0]]",
           "-1000.0, 1000.0", "loss of a perfect prediction")


def test_student_version_has_no_solutions_and_no_hidden_tests(course):
    """build: stubs instead of solutions, hidden tests gone, and nothing but the notebook."""
    release = course.release_path(ASSIGNMENT)
    text = release.read_text()
    for secret in SECRETS + ("return x ** 2", "np.mean(np.sum"):
        assert secret not in text
    assert "raise NotImplementedError()" in text
    assert [p.name for p in release.parent.iterdir()] == [f"{ASSIGNMENT}.ipynb"]
    assert [p.name for p in (course.root / "source" / ASSIGNMENT).iterdir()] == [f"{ASSIGNMENT}.ipynb"]


def test_student_folder_is_never_overwritten(course, tmp_path):
    """student: copies missing notebooks, keeps a student's edited file as it is."""
    assert student(course, tmp_path) == {ASSIGNMENT: "copied"}
    mine = tmp_path / f"{ASSIGNMENT}.ipynb"
    mine.write_text(mine.read_text().replace("# YOUR CODE HERE", "# my work"))
    build(course, [ASSIGNMENT], force=True)
    assert student(course, tmp_path)[ASSIGNMENT].startswith("kept")
    assert "# my work" in mine.read_text()


def test_collect_reports_unknown_assignments_and_missing_folders(course, tmp_path):
    """collect: a clear error for a missing folder; unknown assignments are skipped, not fatal."""
    with pytest.raises(CourseError, match="no submissions folder"):
        collect(course, tmp_path / "nope")
    (tmp_path / "alice" / "99_unknown").mkdir(parents=True)
    assert collect(course, tmp_path) == [("alice", "99_unknown", "skipped: unknown assignment")]


def test_feedback_never_shows_hidden_tests(graded, course):
    """feedback: no hidden test source, message or traceback; a neutral line instead."""
    made = feedback(course)
    assert len(made) == len([r for r in graded.values() if r.autograded])
    for path in made:
        html = path.read_text()
        for secret in SECRETS:
            assert secret not in html, (path, secret)
        if "nometa" not in str(path):
            assert "hidden tests:" in html
    perfect = (course.root / "feedback" / "perfect" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert perfect.count("[hidden tests: passed]") == 3


def test_export_says_why_instead_of_a_silent_zero(graded, course, tmp_path):
    """export: one row per submission; crash, timeout and manual rows carry a status and reason."""
    path = export(course, tmp_path / "grades.csv")
    with open(path, newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert list(next(iter(rows.values())).keys()) == ["student", "assignment", "score",
                                                      "max_score", "status", "reason"]
    assert (rows["perfect"]["score"], rows["perfect"]["status"]) == ("5.0", "graded")
    assert (rows["crasher"]["score"], rows["crasher"]["status"]) == ("3.0", "crashed")
    assert "kernel died" in rows["crasher"]["reason"]
    assert (rows["nometa"]["score"], rows["nometa"]["status"]) == ("", "manual")
    assert rows["allloop"]["status"] == "timeout" and rows["allloop"]["reason"]


def test_summary_names_failed_tests_and_misconceptions(graded, course, tmp_path):
    """summary: the table, the flagged submissions and the misconceptions; plot saved."""
    from autograder.stages.summary import plot
    table = rows(course)
    text = render(table)
    assert "crasher / fx_basics: crashed" in text
    assert "nometa / fx_basics: manual" in text
    assert "fx_basics:test_mean_loss" in text
    assert "a minus sign too many or too few" in text            # partial's flipped sigmoid
    assert "called nnlib's own implementation in test_sigmoid instead of writing it" in text
    assert plot(table, tmp_path / "s.png").stat().st_size > 1000


def test_misconception_labels():
    """The labels come from nnlib.checks' 'Likely cause' and forbid's message."""
    assert misconception({"ename": "AssertionError", "message":
                          "dW is not right: x\n  Likely cause: a transpose.\n  Hint: h"}) == "a transpose."
    assert misconception({"ename": "NotImplementedError", "message": ""}).startswith("not attempted")
    assert misconception({"ename": "AssertionError", "message": "plain"}) is None


def test_forbid_is_recognised_by_its_type_whatever_its_wording():
    """forbid's failures are labelled by the exception's type, with or without reason=/message=."""
    import nnlib
    from nnlib.checks import ForbiddenCall, forbid
    labels = []
    for kwargs in ({}, {"reason": "Multiply the local derivatives yourself."},
                   {"message": "Write it yourself."}):
        try:
            with forbid(nnlib.numerical_gradient, **kwargs):
                nnlib.numerical_gradient(lambda x: float(x.sum()), np.ones(2))
        except ForbiddenCall as error:
            labels.append(misconception({"ename": type(error).__name__, "message": str(error),
                                         "grade_id": "test_gradient"}))
    assert labels == ["called nnlib's own implementation in test_gradient instead of writing it"] * 3
    # the same words from a plain AssertionError are not a forbidden call
    assert misconception({"ename": "AssertionError", "grade_id": "t",
                          "message": "This exercise asks you to write x yourself"}) is None


def test_resubmission_replaces_the_grade_and_keeps_history(graded, course, tmp_path, notebooks):
    """partial resubmits the solution: new grade, old notebook and grade archived."""
    from autograder.tools.sample_class import make_submission
    source, release = notebooks
    write_submission(tmp_path, "partial", make_submission("perfect", source, release))
    assert collect(course, tmp_path)[0][2].startswith("resubmission")
    results = autograde(course, workers=1, progress=False)
    assert [r.student for r in results] == ["partial"]       # only what changed is regraded
    current = course.load_result("partial", ASSIGNMENT)
    assert current.score == 5.0
    assert [h["score"] for h in course.history("partial", ASSIGNMENT)] == [1.0]
    archived = list((course.root / "archive" / "partial" / ASSIGNMENT).iterdir())
    assert len(archived) == 1
    assert json.loads((archived[0] / "result.json").read_text())["score"] == 1.0
    assert (archived[0] / f"{ASSIGNMENT}.ipynb").exists()
    row = [r for r in rows(course) if r["student"] == "partial"][0]
    assert row["score"] == 5.0


def test_regrading_gives_the_same_grades(graded, course):
    """autograde --force on the same submissions reproduces every grade."""
    again = autograde(course, workers=2, force=True, progress=False,
                      students=["perfect", "tamperer"])
    for result in again:
        assert scores(result) == scores(graded[result.student]), result.student
        assert result.status == graded[result.student].status


@pytest.mark.parametrize("command", ["build", "student", "collect", "autograde", "feedback",
                                     "export", "summary", "validate", "demo", "bench"])
def test_every_subcommand_has_help(command, capsys):
    """python -m autograder COMMAND --help works and describes the command."""
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_demo_never_deletes_a_folder_it_did_not_make(tmp_path):
    """demo --course pointing at a real course folder refuses instead of wiping it."""
    import argparse
    from autograder.tools.demo import run_demo
    (tmp_path / "gradebook.db").write_text("precious")
    args = argparse.Namespace(course=str(tmp_path), notebooks=str(DATA), cell_timeout=5,
                              notebook_timeout=30, memory_mb=2048, workers=1)
    with pytest.raises(CourseError, match="not a demo folder"):
        run_demo(args)
    assert (tmp_path / "gradebook.db").read_text() == "precious"


def test_collect_takes_no_symbolic_link(course, notebooks, tmp_path):
    """Links in an upload (to the source notebook, another student's folder, a secret file read as
    the timestamp) are refused with the reason, and nothing of them is taken."""
    _, release = notebooks
    source = course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir()
    (inbox / "linker" / ASSIGNMENT).mkdir(parents=True)          # the notebook -> the solutions
    (inbox / "linker" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").symlink_to(source)
    (inbox / "dirlinker").mkdir()                                # the assignment folder -> source/
    (inbox / "dirlinker" / ASSIGNMENT).symlink_to(source.parent)
    write_submission(elsewhere, "honest", release)               # a whole student -> someone else
    (inbox / "copycat").symlink_to(elsewhere / "honest")
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t\n")
    write_submission(inbox, "stamper", release)                  # the timestamp -> a secret file
    (inbox / "stamper" / ASSIGNMENT / "timestamp.txt").symlink_to(secret)

    report = {student: how for student, _, how in collect(course, inbox)}
    assert set(report) == {"linker", "dirlinker", "copycat", "stamper"}
    for name, how in report.items():
        assert how.startswith("skipped: ") and "is a symbolic link" in how, (name, how)
    taken = {student for student, _, _ in course.submissions()}
    assert not taken & set(report)


@pytest.mark.filterwarnings("ignore:Object of type:sqlalchemy.exc.SAWarning")   # nbgrader's own
def test_export_asks_the_gradebook_the_same_number_of_questions_for_any_class_size(tmp_path):
    """rows() (export, summary, Canvas) must not grow worse than linearly with the class: the
    number of SQL statements it sends is the same for 2 students as for 8, and the scores are
    what nbgrader's own per-submission ``score`` says."""
    from nbgrader.api import Gradebook
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from .conftest import ASSIGNMENT, DATA
    course = Course(tmp_path / "course", DATA)
    build(course)
    statements = {}
    for size in (2, 8):
        with Gradebook(course.db_url) as gb:
            for i in range(len(statements) * 2, size):
                student = f"s{i}"
                gb.add_student(student)
                submission = gb.add_submission(ASSIGNMENT, student)
                for grade in submission.notebooks[0].grades:
                    grade.auto_score = grade.max_score / (i + 1)
                gb.db.commit()
                folder = course.root / "submitted" / student / ASSIGNMENT
                folder.mkdir(parents=True)
                (folder / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC\n")
                course.store_result(Result(student=student, assignment=ASSIGNMENT,
                                           timestamp="2026-01-01 00:00:00.000000 UTC",
                                           status="graded"))
        count = []
        listener = lambda *args: count.append(1)          # noqa: E731
        event.listen(Engine, "before_cursor_execute", listener)
        try:
            table = rows(course)
        finally:
            event.remove(Engine, "before_cursor_execute", listener)
        statements[size] = len(count)
        assert len(table) == size
        with Gradebook(course.db_url) as gb:
            for row in table:
                own = gb.find_submission(ASSIGNMENT, row["student"])
                assert (row["score"], row["max_score"]) == (round(own.score, 2),
                                                            round(own.max_score, 2))
                assert row["score"] < row["max_score"] or row["student"] == "s0"
    assert statements[2] == statements[8], statements
