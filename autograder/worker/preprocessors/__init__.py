"""nbgrader preprocessors that make grades trustworthy (registered in nbgrader_config.py).

Sanitize stage:
  ReconcileCells       (first) every cell's nbgrader metadata comes from the source notebook: a cell
                       with an unknown or duplicated grade_id loses it, a known one gets the source's
                       flags and points back (and a test cell its source), so a submission can never
                       add points nor make nbgrader error out; what it changed is flagged.
  RestoreDeletedCells  (after nbgrader's OverwriteCells) re-inserts graded/locked cells the student
                       deleted, from the source notebook, so deleted tests are graded; flags a notebook
                       with no nbgrader metadata at all.
Autograde stage:
  GuardCells           inserts a first grader cell that snapshots numpy/nnlib/nnlib.checks and starts
                       the sealing hook (autograder.guard), and sends every graded test cell as one
                       statement that enters, restores, runs the test and asks for a seal with a fresh
                       random token; adds one hidden sentinel test that must fail.
  BudgetedExecute      nbgrader's Execute with a per-cell timeout AND a total budget per notebook;
                       a dead kernel (os._exit, segfault) marks the rest "not run" instead of aborting.
  UnguardCells         the trusted check: a test cell passes only with a seal signed by the key the
                       first cell printed, over the digest of the very code the worker sent; anything
                       else fails the cell with an IntegrityError and the reason (every test, when
                       the sentinel came back sealed).  Then it removes the grader and sentinel cells
                       and the wrapping again (outputs kept, seals removed).
(Feedback's HideHiddenTests runs in the instructor's process: autograder.stages.feedback.)

Every outcome worth reporting is written to ``cell.metadata.autograder`` / ``nb.metadata.autograder``
so the worker can read it back from the autograded notebook.
"""

from autograder.worker.preprocessors.base import source_notebook
from autograder.worker.preprocessors.budgeted_execute import BudgetedExecute
from autograder.worker.preprocessors.guard_cells import (GUARDED_PACKAGES, HEAD_LINES, WRAP_HEAD,
                                                         WRAP_TAIL, GuardCells, expected_digest,
                                                         import_bindings, indent_body, wrap_test)
from autograder.worker.preprocessors.reconcile_cells import ReconcileCells
from autograder.worker.preprocessors.restore_deleted_cells import RestoreDeletedCells
from autograder.worker.preprocessors.unguard_cells import NO_SEAL, UnguardCells, check_seal

__all__ = ["BudgetedExecute", "GUARDED_PACKAGES", "GuardCells", "HEAD_LINES", "NO_SEAL",
           "ReconcileCells", "RestoreDeletedCells", "UnguardCells", "WRAP_HEAD", "WRAP_TAIL",
           "check_seal", "expected_digest", "import_bindings", "indent_body", "source_notebook",
           "wrap_test"]
