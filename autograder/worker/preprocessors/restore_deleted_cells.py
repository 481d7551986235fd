"""Sanitize stage, after nbgrader's OverwriteCells: deleted tests come back, so they are graded."""

from __future__ import annotations

import copy

from nbformat.notebooknode import from_dict

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.jobs import Outcome
from autograder.worker.preprocessors.base import grade_id, outcome_meta, source_notebook


class RestoreDeletedCells(NbGraderPreprocessor):
    """Put back graded or locked cells the student deleted (by grade_id, in source order)."""

    def preprocess(self, nb, resources):
        source = source_notebook(self, resources)
        wanted = [c for c in source.cells if grade_id(c)
                  and (utils.is_grade(c) or utils.is_locked(c)) and not utils.is_solution(c)]
        known = {grade_id(c) for c in source.cells if grade_id(c)}
        present = {grade_id(c) for c in nb.cells if grade_id(c)}
        if not present & known:
            # Cells copied into a fresh notebook: we cannot tell which answer each test belongs to.
            outcome_meta(nb)[Outcome.NO_METADATA] = True
            return nb, resources
        order = [grade_id(c) for c in source.cells if grade_id(c)]
        restored = []
        for cell in wanted:
            gid = grade_id(cell)
            if gid in present:
                continue
            # insert after the nearest earlier source cell that the submission still has
            earlier = order[:order.index(gid)]
            index = 0
            for prev in reversed(earlier):
                hits = [i for i, c in enumerate(nb.cells) if grade_id(c) == prev]
                if hits:
                    index = hits[-1] + 1
                    break
            new = from_dict(copy.deepcopy(cell))
            if new.cell_type == "code":
                new.outputs, new.execution_count = [], None
            new.metadata.nbgrader["checksum"] = utils.compute_checksum(new)
            outcome_meta(new)[Outcome.RESTORED] = True
            nb.cells.insert(index, new)
            present.add(gid)
            restored.append(gid)
            self.log.warning("Restored deleted cell %s from the source notebook", gid)
        if restored:
            outcome_meta(nb)[Outcome.RESTORED_CELLS] = restored
        return nb, resources
