"""Sanitize stage, first: a submission's nbgrader metadata is the student's to edit, so none of it
is believed; every cell's comes from the source notebook.
"""

from __future__ import annotations

import copy
import difflib

from nbformat.notebooknode import from_dict

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.jobs import Outcome
from autograder.worker.preprocessors.base import grade_id, outcome_meta, source_notebook


_FLAGS = ("grade", "solution", "locked", "task", "points")


def _flag(meta, key):
    value = meta.get(key)
    if key == "points":
        try:
            return float(value or 0)
        except (TypeError, ValueError):
            return value
    return bool(value)


class ReconcileCells(NbGraderPreprocessor):
    """Cell metadata from the source notebook only (runs first in the sanitize stage).

    A submission's nbgrader metadata is the student's to edit, so none of it is believed: a cell
    whose grade_id is unknown, not a string, or a duplicate loses its nbgrader metadata (it becomes
    an ordinary cell: it can claim no points); a cell with a known grade_id gets the source cell's
    metadata (flags, points) and type, and a cell that is not an answer also gets the source's
    text.  nbgrader's own steps after this one then never meet anything they could fail on.
    """

    @staticmethod
    def _claimed(cell):
        try:
            meta = cell.get("metadata", {}).get("nbgrader")
            return meta.get("grade_id") if isinstance(meta, dict) else None
        except AttributeError:
            return None

    def preprocess(self, nb, resources):
        source = {}
        for cell in source_notebook(self, resources).cells:
            gid = grade_id(cell)
            if gid:
                source.setdefault(gid, cell)
        changes = []
        # of several cells claiming one grade_id, the one whose text is closest to the source's
        # keeps it (a student version's test lacks only the hidden part): an answer re-pointed at
        # a test's id loses it
        claims = {}
        for index, cell in enumerate(nb.cells):
            gid = self._claimed(cell)
            if isinstance(gid, str) and gid in source:
                claims.setdefault(gid, []).append(index)
        owner = {gid: max(found, key=lambda i, gid=gid: (difflib.SequenceMatcher(
                     None, str(nb.cells[i].get("source", "")), source[gid].source).ratio(), -i))
                 for gid, found in claims.items()}
        for index, cell in enumerate(nb.cells):
            try:
                meta = cell.get("metadata", {}).get("nbgrader")
            except AttributeError:
                meta = None
            if meta is None:
                continue
            gid = meta.get("grade_id") if isinstance(meta, dict) else None
            original = source.get(gid) if isinstance(gid, str) else None
            if original is None or owner.get(gid) != index:
                claim = (f" claiming {meta.get('points')} points"
                         if isinstance(meta, dict) and meta.get("grade") else "")
                why = "a second cell" if original is not None else "a cell with unknown id"
                changes.append(f"{why} {gid!r}{claim} ignored")
                del cell.metadata["nbgrader"]
                continue
            wanted = copy.deepcopy(original.metadata["nbgrader"])
            if any(_flag(meta, key) != _flag(wanted, key) for key in _FLAGS):
                changes.append(f"metadata of {gid!r} restored")
            cell.metadata["nbgrader"] = from_dict(wanted)
            if cell.cell_type != original.cell_type:
                changes.append(f"cell type of {gid!r} restored")
                new = from_dict(copy.deepcopy(dict(original)))
                if new.cell_type == "code":
                    new.outputs, new.execution_count = [], None
                nb.cells[index] = cell = new
            if not utils.is_solution(original) and cell.source != original.source:
                cell.source = original.source
        if changes:
            outcome_meta(nb)[Outcome.RECONCILED] = changes
            self.log.warning("Cell metadata reconciled with the source: %s", "; ".join(changes))
        return nb, resources
