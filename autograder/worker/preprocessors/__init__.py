"""nbgrader preprocessors of the grading job (registered in autograder/nbgrader_config.py).

Sanitize stage:
  ReconcileCells       (first) every cell's nbgrader metadata comes from the source notebook: a cell
                       with an unknown or duplicated grade_id loses it, a known one gets the source's
                       flags and points back (and a test cell its source), so a submission can never
                       add points nor make nbgrader error out; what it changed is flagged.
  RestoreDeletedCells  (after nbgrader's OverwriteCells) re-inserts graded/locked cells the student
                       deleted, from the source notebook, so deleted tests are graded; flags a notebook
                       with no nbgrader metadata at all.
Autograde stage:
  CheckedExecute       the student's cells run in the sandboxed kernel; every graded test cell runs
                       in the trusted checker (autograder.checker) against proxies of the student's
                       names, while the kernel runs one line in its place that answers the calls.
                       It is BudgetedExecute (nbgrader's Execute with a per-cell timeout AND a total
                       budget per notebook; a dead kernel marks the rest "not run").
(Feedback's HideHiddenTests runs in the instructor's process: autograder.stages.feedback.)

Every outcome worth reporting is written to ``cell.metadata.autograder`` / ``nb.metadata.autograder``
(autograder.jobs.Outcome) so the worker can read it back from the autograded notebook.
"""

from autograder.worker.preprocessors.base import source_notebook
from autograder.worker.preprocessors.budgeted_execute import BudgetedExecute
from autograder.worker.preprocessors.checked_execute import CheckedExecute
from autograder.worker.preprocessors.reconcile_cells import ReconcileCells
from autograder.worker.preprocessors.restore_deleted_cells import RestoreDeletedCells

__all__ = ["BudgetedExecute", "CheckedExecute", "ReconcileCells", "RestoreDeletedCells",
           "source_notebook"]
