"""What every preprocessor here needs: the source notebook and the nbgrader ids of a cell.

Outcomes are written to ``metadata.autograder`` (``meta``) so the worker can read them back from
the autograded notebook.
"""

from __future__ import annotations

import os

import nbformat
from nbformat.notebooknode import NotebookNode

from nbgrader import utils
from nbgrader.coursedir import CourseDirectory


def outcome_meta(obj) -> dict:
    return obj.metadata.setdefault("autograder", {})


_SOURCES = {}


def source_notebook(processor, resources) -> NotebookNode:
    """The instructor's source notebook of the notebook being processed (read once per process:
    several preprocessors consult it; none may change it)."""
    coursedir = CourseDirectory(config=processor.config)
    assignment = resources["nbgrader"]["assignment"]
    notebook = resources["nbgrader"]["notebook"]
    path = os.path.join(coursedir.format_path(coursedir.source_directory, ".", assignment),
                        notebook + ".ipynb")
    stamp = os.stat(path).st_mtime_ns
    if _SOURCES.get(path, (None,))[0] != stamp:
        _SOURCES[path] = (stamp, nbformat.read(path, as_version=4))
    return _SOURCES[path][1]


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_test(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)
