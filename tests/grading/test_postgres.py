"""The whole pipeline on a real PostgreSQL gradebook, on a server this test starts itself.

build, collect, autograde, regrade, feedback, export (CSV and Canvas), summary -- every command
through the CLI with ``--db postgresql://...``; the grades must be those of the SQLite course (the
session's ``graded`` class), stored in PostgreSQL (no gradebook.db anywhere), and plain nbgrader run
from the course folder must see the same database.  Without PostgreSQL the test skips and says why,
except under CI=true, where it fails.
"""

import csv
import os
import subprocess
import sys

import pytest

from autograder.cli import main
from autograder.course import Course, CourseError
from autograder.course.gradebook import remember
from autograder.tools.sample_class import make_submission

from .conftest import ASSIGNMENT, CELL_TIMEOUT, DATA, NOTEBOOK_TIMEOUT, scores, write_submission
from .postgres_setup import MISSING, ensure_postgres
from .servers import PostgresServer, in_ci, postgres_bindir

pytestmark = pytest.mark.timeout(900)
KINDS = ("perfect", "partial", "stub", "crasher", "nometa")


def _unavailable(message):
    if in_ci():
        pytest.fail(f"CI=true and no PostgreSQL server: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def postgres():
    bindir, message = ensure_postgres() if in_ci() else (postgres_bindir(), MISSING)
    if bindir is None:
        _unavailable(message)
    try:
        server = PostgresServer(bindir)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        _unavailable(f"PostgreSQL could not start here: {exc}")
    yield server
    left = server.stop()
    assert not left, f"PostgreSQL processes still running after stop: {left}"


def _cli(*argv, root, db=None):
    common = ["--course", str(root), "--notebooks", str(DATA), "--cell-timeout", str(CELL_TIMEOUT),
              "--notebook-timeout", str(NOTEBOOK_TIMEOUT)] + (["--db", db] if db else [])
    return main([*argv, *common])


def test_whole_pipeline_on_a_postgresql_gradebook(postgres, graded, notebooks, tmp_path, capsys):
    """Every step against PostgreSQL gives the SQLite course's grades, stored in PostgreSQL."""
    import sqlalchemy

    url = postgres.create_database("grades")
    root = tmp_path / "course"
    assert _cli("build", root=root, db=url) == 0
    assert not (root / "gradebook.db").exists()
    source, release = notebooks
    for kind in KINDS:
        write_submission(tmp_path / "inbox", kind, make_submission(kind, source, release))
    # the course remembers its database: no --db needed from here on
    assert _cli("collect", str(tmp_path / "inbox"), root=root) == 0
    assert _cli("autograde", "--workers", "2", "--no-progress", root=root) == 0
    course = Course(root, DATA)
    assert course.db_url == url
    for kind in KINDS:
        result = course.load_result(kind, ASSIGNMENT)
        assert (scores(result), result.status) == (scores(graded[kind]),
                                                     graded[kind].status), kind

    # regrade: the same grades again, the earlier result kept as history
    assert _cli("autograde", "--force", "--student", "perfect", "--student", "partial",
                "--no-progress", root=root, db=url) == 0
    for kind in ("perfect", "partial"):
        result = course.load_result(kind, ASSIGNMENT)
        assert scores(result) == scores(graded[kind]) and len(course.history(kind, ASSIGNMENT)) == 1

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            stored = dict(connection.execute(sqlalchemy.text(
                "SELECT student.id, SUM(grade.auto_score) FROM grade "
                "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
                "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
                "JOIN student ON submitted_assignment.student_id = student.id "
                "GROUP BY student.id")).all())
    finally:
        engine.dispose()
    assert set(stored) == set(KINDS)
    for kind in ("perfect", "partial", "stub", "crasher"):
        assert stored[kind] == graded[kind].score, kind
    assert not (root / "gradebook.db").exists()

    assert _cli("feedback", root=root) == 0
    html = (root / "feedback" / "perfect" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "[hidden tests: passed]" in html
    assert _cli("export", "--output", str(tmp_path / "grades.csv"), root=root) == 0
    with open(tmp_path / "grades.csv", newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert (rows["perfect"]["score"], rows["perfect"]["status"]) == ("5.0", "graded")
    assert (rows["nometa"]["score"], rows["nometa"]["status"]) == ("", "manual")
    assert _cli("export", "--format", "canvas", "--output", str(tmp_path / "canvas.csv"),
                root=root) == 0
    assert "perfect,,,perfect,,5" in (tmp_path / "canvas.csv").read_text().splitlines()
    capsys.readouterr()
    assert _cli("summary", "--plot", str(tmp_path / "summary.png"), root=root) == 0
    assert "crasher / fx_basics: crashed" in capsys.readouterr().out

    # plain nbgrader, run from the course folder, reads the same PostgreSQL gradebook
    listed = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "list"], cwd=root,
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PATH=os.path.dirname(sys.executable)
                                     + os.pathsep + os.environ["PATH"]))
    assert listed.returncode == 0, listed.stderr
    for kind in KINDS:
        assert kind in listed.stdout + listed.stderr


def test_a_course_keeps_one_gradebook(tmp_path):
    """--db different from the course's recorded database is refused (no second gradebook)."""
    remember(tmp_path, "postgresql://grader@/one?host=/run/pg")
    with pytest.raises(CourseError, match="would start a second one"):
        Course(tmp_path, DATA, db="postgresql://grader@/two?host=/run/pg")
    assert Course(tmp_path, DATA).db_url == "postgresql://grader@/one?host=/run/pg"


def test_a_db_that_does_not_connect_is_never_remembered(tmp_path):
    """A mistyped --db fails with one line naming it, and the course keeps no trace of it (its
    socket folder does not exist: no packet is sent anywhere)."""
    course = Course(tmp_path, DATA, db="postgresql://grader@/grades?host=/nonexistent-socket-dir")
    with pytest.raises(CourseError) as caught:
        course.check_db()
    assert str(caught.value).startswith("--db postgresql://grader@/grades?host=/nonexistent-socket-dir: "
                                        "cannot connect: ")
    assert "Nothing was recorded" in str(caught.value)
    assert not (tmp_path / "autograder.json").exists()
    assert Course(tmp_path, DATA).db_url.startswith("sqlite:///")
