"""Autograde stage, execution: nbgrader's Execute bounded per cell and per notebook, so one slow or
crashing submission costs a known time and keeps the grades of the cells before it.
"""

from __future__ import annotations

import time

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from traitlets import Float, Integer

from nbgrader.preprocessors import Execute

from autograder.jobs import Outcome
from autograder.worker.preprocessors.base import grade_id, is_test, outcome_meta


class BudgetedExecute(Execute):
    """Execute with a per-cell timeout and a total time budget for the whole notebook.

    Once the budget is spent, the remaining code cells are not run: each gets an error output
    (so a test cell scores 0) and the notebook is marked ``budget_exceeded``.  A dead kernel
    marks the cell that killed it and skips the rest the same way, so the grades of the cells
    before it are kept and the reason is explicit.
    """

    total_timeout = Float(0, help="Seconds for the whole notebook (0: no bound).").tag(config=True)
    memory_limit_mb = Integer(0, help="Reported in messages; the limit itself is set by the worker."
                              ).tag(config=True)

    start_retries = Integer(2, help="Retries when the kernel dies before running any cell."
                            ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        for attempt in range(self.start_retries + 1):
            self._started = time.monotonic()
            self._stopped = None      # reason the remaining cells are not run
            self._ran_a_cell = False
            self._interrupted = None       # the cell last interrupted on timeout
            self._interrupt_ignored = False
            self.timeout_func = self._cell_timeout
            self._timing = {"kernel_start": None, "tests": 0.0, "cells": 0.0}
            try:
                nb, resources = super().preprocess(nb, resources, km)
                self._timing["execute"] = time.monotonic() - self._started
                outcome_meta(nb)[Outcome.TIMING] = {k: round(v, 3) for k, v in self._timing.items()
                                       if v is not None}       # where the time went (bench)
                return nb, resources
            except DeadKernelError:
                # raised from the kernel's cleanup after it died; the cells are already marked
                if self._stopped is None:
                    raise
                return nb, resources
            except RuntimeError as exc:
                # a kernel that never started (a busy machine) is not the student's fault
                if ("Kernel died before replying" not in str(exc) or self._ran_a_cell
                        or attempt == self.start_retries):
                    raise
                self.log.warning("Kernel failed to start (%s); retrying", exc)
                time.sleep(1)
        return nb, resources

    async def _async_handle_timeout(self, timeout, cell=None):
        """First timeout of a cell: interrupt (nbclient's way).  A kernel still silent one more
        timeout later ignores SIGINT (``signal.signal(SIGINT, SIG_IGN)``): stop it, so the cell is
        recorded as timed out instead of nbclient interrupting it forever."""
        if self._interrupted is not cell:
            self._interrupted = cell
            return await super()._async_handle_timeout(timeout, cell)
        self._interrupt_ignored = True
        self.log.warning("The kernel ignored the interrupt; stopping it")
        await ensure_async(self.km.shutdown_kernel(now=True))
        raise DeadKernelError("the kernel ignored the interrupt and was stopped")

    def _remaining(self):
        if not self.total_timeout:
            return None
        return self.total_timeout - (time.monotonic() - self._started)

    def _cell_timeout(self, cell):
        remaining = self._remaining()
        if remaining is None:
            return self.timeout
        return max(1, int(min(self.timeout or remaining, remaining) + 0.999))

    def _interrupt_was_ignored(self, cell, resources, began):
        where = grade_id(cell) or "a cell"
        self._stopped = (f"the kernel ignored the interrupt after {where} timed out and was "
                         "stopped; this cell was not run")
        outcome_meta(self.nb)[Outcome.INTERRUPT_IGNORED] = where
        outcome_meta(cell)[Outcome.TIMED_OUT] = round(time.monotonic() - began, 1)
        cell.outputs = list(cell.get("outputs", [])) + [nbformat.v4.new_output(
            "error", ename="CellTimeoutError",
            evalue="timed out; the kernel ignored the interrupt and was stopped",
            traceback=["CellTimeoutError: timed out (the kernel ignored the interrupt)"])]
        return cell

    def _skip(self, cell, why):
        if cell.cell_type != "code":
            return
        cell.outputs = [nbformat.v4.new_output(
            "error", ename="NotRun", evalue=why, traceback=[f"NotRun: {why}"])]
        outcome_meta(cell)[Outcome.NOT_RUN] = why

    def preprocess_cell(self, cell, resources, index):
        if self._stopped:
            self._skip(cell, self._stopped)
            return cell, resources
        remaining = self._remaining()
        if remaining is not None and remaining <= 0 and cell.cell_type == "code":
            self._stopped = (f"the notebook used up its {self.total_timeout:g} s time budget "
                             "before this cell")
            outcome_meta(self.nb)[Outcome.BUDGET_EXCEEDED] = grade_id(cell) or f"cell {index}"
            self._skip(cell, self._stopped)
            return cell, resources
        began = time.monotonic()
        if self._timing["kernel_start"] is None:
            self._timing["kernel_start"] = began - self._started
        self._ran_a_cell = True
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # the kernel replied to the interrupt but never went idle: the code still runs
            self.log.warning("The kernel did not stop after the interrupt; stopping it")
            run_sync(self.km.shutdown_kernel)(now=True)
            return self._interrupt_was_ignored(cell, resources, began), resources
        except DeadKernelError:
            if self._interrupt_ignored:
                return self._interrupt_was_ignored(cell, resources, began), resources
            where = grade_id(cell) or f"cell {index}"
            self._stopped = f"the kernel died while running {where}; this cell was not run"
            outcome_meta(self.nb)[Outcome.KERNEL_DIED] = where
            cell.outputs = list(cell.get("outputs", [])) + [nbformat.v4.new_output(
                "error", ename="KernelDied",
                evalue="the kernel died while running this cell (os._exit, a crash, or memory)",
                traceback=["KernelDied: the kernel died while running this cell"])]
            outcome_meta(cell)[Outcome.KERNEL_DIED] = True
            return cell, resources
        elapsed = time.monotonic() - began
        self._timing["tests" if is_test(cell) else "cells"] \
            += elapsed
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                if output.ename in ("CellTimeoutError", "KeyboardInterrupt") or (
                        self.timeout and elapsed >= self.timeout - 0.5 and output.ename != "NotRun"):
                    outcome_meta(cell)[Outcome.TIMED_OUT] = round(elapsed, 1)
                elif output.ename == "MemoryError":
                    outcome_meta(cell)[Outcome.MEMORY_ERROR] = True
        return cell, resources
