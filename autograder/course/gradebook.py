"""Where the course's gradebook lives, and the snapshot a grading job gets instead of it.

The gradebook is nbgrader's own SQLAlchemy ``Gradebook`` at a database URL: a SQLite file in the
course folder by default (``sqlite:///COURSE/gradebook.db``), or a PostgreSQL database
(``--db postgresql://user@host/name``).  A course remembers its URL in ``COURSE/autograder.json``
(written the first time ``--db`` is given), so every later command -- and plain ``nbgrader`` run
from the course folder, through ``COURSE/nbgrader_config.py`` -- uses the same database.

A grading job never sees that database: it gets :func:`snapshot`, a private SQLite file holding
only the definitions of the assignment it grades (notebooks, graded cells, points, source cells),
copied through nbgrader's API.  No student, no submission, no grade of anyone is in it, so a job can
run on another machine, and what it writes to its snapshot is thrown away.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.nbgrader_config import COURSE_ID, SETTINGS, recorded_url


class GradebookError(Exception):
    """The database URL is unusable or contradicts the one the course already uses."""


def default_url(root):
    return "sqlite:///" + os.path.join(os.path.abspath(root), "gradebook.db")


def course_url(root, db=None):
    """The gradebook URL of the course at ``root``: ``db`` (from ``--db``) when given, else the
    one the course recorded, else its SQLite file.  Nothing is written here: a new ``db`` is
    recorded by :func:`remember` once it has connected (``Course.check_db``).

    A course keeps one gradebook: a ``db`` different from the recorded one is refused rather
    than silently splitting the grades between two databases.

    >>> import tempfile; root = tempfile.mkdtemp()
    >>> course_url(root).endswith("gradebook.db")
    True
    >>> course_url(root, "postgresql://grader@/grades?host=/run/pg")
    'postgresql://grader@/grades?host=/run/pg'
    >>> course_url(root).endswith("gradebook.db")       # not remembered: it never connected
    True
    """
    recorded = recorded_url(root)
    if db is None:
        return recorded or default_url(root)
    if not db.split(":", 1)[0].split("+", 1)[0] in ("sqlite", "postgresql"):
        raise GradebookError(f"--db {redact(db)!r}: expected sqlite:///PATH or postgresql://...")
    if recorded and recorded != db:
        raise GradebookError(f"this course's gradebook is {redact(recorded)!r} (see {Path(root) / SETTINGS}); "
                             f"--db {redact(db)!r} would start a second one.  Pass the same --db, or edit "
                             f"that file to move the course")
    return db


# Tables of nbgrader's gradebook: a database holding some of them is one; a database holding
# only other tables belongs to something else and is never written into.
GRADEBOOK_TABLES = {"assignment", "notebook", "student", "submitted_assignment", "grade_cell"}


def probe(url):
    """Why the database at ``url`` cannot hold a course's gradebook (one line), or None if it can:
    it connects, and it is empty or already an nbgrader gradebook."""
    import sqlalchemy
    args = {"connect_timeout": 10} if url.startswith("postgresql") else {}
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).parent.is_dir():
        return f"no folder {Path(url[len('sqlite:///'):]).parent} for the SQLite file"
    try:
        engine = sqlalchemy.create_engine(url, connect_args=args, poolclass=sqlalchemy.pool.NullPool)
        with engine.connect() as connection:
            tables = set(sqlalchemy.inspect(connection).get_table_names())
    except Exception as exc:             # the driver's own words, on one line
        return f"cannot connect: {one_line(exc)}"
    if tables and not tables & GRADEBOOK_TABLES:
        return (f"it holds other tables ({', '.join(sorted(tables)[:5])}), not an nbgrader "
                f"gradebook; give an empty database")
    return None


def remember(root, db):
    """Record ``db`` as the course's gradebook (after :func:`probe` found it usable)."""
    from autograder.course import files
    path = Path(root) / SETTINGS
    files.write_json(path, {"db": db})
    os.chmod(path, 0o600)            # the URL may carry a password


def one_line(exc):
    """An exception as one line: its first line, without SQLAlchemy's background link."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def redact(url):
    """``url`` without its password, for messages.

    >>> redact("postgresql://grader:s3cret@db.example/grades")
    'postgresql://grader:***@db.example/grades'
    >>> redact("sqlite:////course/gradebook.db")
    'sqlite:////course/gradebook.db'
    """
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"


def snapshot(db_url, assignments, path):
    """A new SQLite gradebook at ``path`` with only the definitions of ``assignments``.

    Everything nbgrader's ``autograde`` reads (the assignment, its notebooks, graded/solution/task
    cells with their points, the locked source cells it restores) and nothing it does not: the
    course's students, submissions and grades stay in the course's database.
    """
    from nbgrader.api import Gradebook

    path = Path(path)
    if path.exists():
        path.unlink()
    with Gradebook(db_url, COURSE_ID) as course, \
            Gradebook("sqlite:///" + str(path), COURSE_ID) as job:
        for name in assignments:
            assignment = course.find_assignment(name)
            job.update_or_create_assignment(name, duedate=assignment.duedate)
            for notebook in assignment.notebooks:
                nb = notebook.name
                job.add_notebook(nb, name, kernelspec=notebook.kernelspec)
                for cell in notebook.grade_cells:
                    job.add_grade_cell(cell.name, nb, name, max_score=cell.max_score,
                                       cell_type=cell.cell_type)
                for cell in notebook.solution_cells:
                    job.add_solution_cell(cell.name, nb, name)
                for cell in notebook.task_cells:
                    job.add_task_cell(cell.name, nb, name, max_score=cell.max_score,
                                      cell_type=cell.cell_type)
                for cell in notebook.source_cells:
                    job.add_source_cell(cell.name, nb, name, cell_type=cell.cell_type,
                                        locked=cell.locked, source=cell.source,
                                        checksum=cell.checksum)
        job.db.commit()
    return path


class Writer:
    """The course gradebook, opened at the first result and kept open for the run: one connection
    (and SQLAlchemy's statement cache) for all results, each still committed on its own, so an
    interrupted run leaves every recorded result in the gradebook."""

    def __init__(self, url):
        self.url, self.gb = url, None

    def open(self):
        if self.gb is None:
            from nbgrader.api import Gradebook
            self.gb = Gradebook(self.url)
        return self.gb

    def close(self):
        if self.gb is not None:
            self.gb.close()
            self.gb = None
