"""nbgrader configuration for the course (both a module and an nbgrader config file).

``make_config(root, ...)`` returns the traitlets Config the autograder's commands use.  The build
step copies this file to ``course/nbgrader_config.py``, so plain ``nbgrader`` commands run from
``course/`` (``nbgrader autograde 02_forward_pass``, ``nbgrader formgrader``...) see the same
settings: nbgrader executes it with ``get_config`` defined, and the block at the bottom applies
``make_config`` to the folder the file is in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from traitlets.config import Config

from autograder.jobs import CELL_TIMEOUT, MEMORY_LIMIT_MB, NOTEBOOK_TIMEOUT

COURSE_ID = "backprop"
SETTINGS = "autograder.json"          # the course's own settings, in the course folder
_PRE = "autograder.worker.preprocessors."      # named, not imported: this module stays a leaf


def make_config(root, *, cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT,
                memory_mb=MEMORY_LIMIT_MB, checked=True, db_url=None):
    """nbgrader Config for the course directory ``root``.

    ``checked=False`` gives nbgrader's stock autograde pipeline (used by ``bench`` as the baseline).
    ``db_url``: the gradebook (default: SQLite ``root/gradebook.db``; see autograder.course.gradebook).
    Our preprocessors are named by their dotted paths (nbconvert imports them when it runs them).
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                        DeduplicateIds, GetGrades, IgnorePattern, LimitOutput,
                                        OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

    root = os.path.abspath(root)
    c = Config()
    c.CourseDirectory.root = root
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = db_url or "sqlite:///" + os.path.join(root, "gradebook.db")
    c.Exchange.root = os.path.join(root, "exchange")
    c.GenerateAssignment.create_assignment = True
    c.Execute.timeout = int(cell_timeout)
    c.Execute.interrupt_on_timeout = True
    if not checked:
        return c
    c.CheckedExecute.timeout = int(cell_timeout)
    c.CheckedExecute.total_timeout = float(notebook_timeout)
    c.CheckedExecute.memory_limit_mb = int(memory_mb)
    c.CheckedExecute.interrupt_on_timeout = True
    # after the last cell nothing more is wanted from the kernel: stop it, no polite shutdown
    c.CheckedExecute.shutdown_kernel = "immediate"
    c.Autograde.sanitize_preprocessors = [
        _PRE + "ReconcileCells", ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
        _PRE + "RestoreDeletedCells", CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [
        _PRE + "CheckedExecute", IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
        SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    # SanitizeSubmission after HideHiddenTests: it cleans what the page will show
    c.GenerateFeedback.preprocessors = [
        GetGrades, "autograder.stages.feedback.hide_hidden_tests.HideHiddenTests",
        "autograder.stages.feedback.sanitize_submission.SanitizeSubmission",
        CSSHTMLHeaderPreprocessor]
    return c


def recorded_url(root):
    """The gradebook URL recorded in ``root/autograder.json`` (the course's ``--db``), or None."""
    path = Path(root) / SETTINGS
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("db") or None


if "get_config" in globals():          # executed by nbgrader as course/nbgrader_config.py
    c = get_config()  # noqa: F821  (provided by traitlets' config loader)
    _root = os.path.dirname(os.path.abspath(__file__))
    c.merge(make_config(_root, db_url=recorded_url(_root)))
