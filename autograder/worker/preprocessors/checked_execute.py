"""Autograde stage, execution: the student's cells run in the kernel (in the sandbox); every graded
test cell runs in the trusted checker instead (autograder.checker), with the student's names as
proxies, while the kernel runs one line in its place that answers the checker's calls.

Bounded as BudgetedExecute bounds any cell: the checker gets the test cell's own time, the kernel's
line the same, and a test whose kernel dies or stops answering fails with the reason.  The
verdict -- passed, or the test's error and message -- is the checker's alone; it is recorded in
the cell's ``metadata.autograder.checked`` and read by autograder.worker.verdict.
"""

from __future__ import annotations

import copy
import os
import secrets
import time

import nbformat
from nbgrader import utils

from autograder.jobs import Outcome
from autograder.worker.preprocessors.base import grade_id, is_test, outcome_meta, source_notebook
from autograder.worker.preprocessors.budgeted_execute import BudgetedExecute

# What the kernel runs in place of every graded test cell: the same line for each, visible or
# hidden, with nothing of the test in it.
SERVE = '__import__("autograder.kernel.serve", fromlist=["serve"]).serve({path!r}, globals())'
# The checker waits this much longer than the cell's own timeout: at the timeout nbclient
# interrupts the kernel, and the student's code ends with KeyboardInterrupt, which the test then
# reports (naming the earlier exercise whose function looped, as in the student's own kernel).
GRACE = 5.0


def submission_cells(nb):
    """[(position, kind, grade_id, source)] of the code cells of a notebook being graded."""
    cells = []
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        kind = "test" if is_test(cell) else "answer" if utils.is_solution(cell) else "other"
        cells.append((position, kind, grade_id(cell), cell.source))
    return cells


class CheckedExecute(BudgetedExecute):
    """BudgetedExecute whose graded test cells run in the checker (see the module docstring)."""

    def preprocess(self, nb, resources=None, km=None):
        from autograder.checker import process
        seed = secrets.randbits(63)
        started = time.monotonic()
        self.checker = process.start(source_notebook(self, resources), submission_cells(nb), seed,
                                     {"NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg"})
        self._checks = {"start": time.monotonic() - started, "tests": 0, "requests": 0,
                        "roundtrip": 0.0, "wait": 0.0}
        try:
            nb, resources = super().preprocess(nb, resources, km)
        finally:
            self.checker.close()
            notes = outcome_meta(nb)
            notes["grading_seed"] = seed          # the hidden tests' inputs can be made again
            notes.setdefault(Outcome.TIMING, {})["checker"] = {
                k: round(v, 4) if isinstance(v, float) else v for k, v in self._checks.items()}
            if self.checker.dead:
                notes[Outcome.CHECKER_FAILED] = self.checker.dead
        return nb, resources

    def _calls_path(self):
        """The checker's socket, in the kernel's own socket folder (the sandbox's view of it)."""
        return os.path.join(os.path.dirname(self.km.ip), "calls")

    def preprocess_cell(self, cell, resources, index):
        if not is_test(cell):
            return super().preprocess_cell(cell, resources, index)
        remaining = self._remaining()
        if self._stopped or (remaining is not None and remaining <= 0) or self.checker.dead:
            if self.checker.dead and not self._stopped:
                return self._no_checker(cell), resources
            return super().preprocess_cell(cell, resources, index)     # not run: says why
        timeout = self._cell_timeout(cell) or 3600
        gid = grade_id(cell)
        path = self._calls_path()
        began = time.monotonic()
        kernel = getattr(self.km.provisioner, "kernel", None)       # sandboxed: its cgroups
        memory = getattr(kernel, "memory_cgroup", None)
        if not self.checker.begin(gid, path, timeout + GRACE, memory):
            return self._no_checker(cell), resources
        # the kernel's line: a copy without the test's source or metadata
        serve = nbformat.v4.new_code_cell(SERVE.format(path=path))
        serve.metadata["nbgrader"] = copy.deepcopy(cell.metadata.get("nbgrader", {}))  # ours only
        serve, resources = super().preprocess_cell(serve, resources, index)
        self.nb.cells[index] = cell          # nbclient put the cell it ran in the notebook
        waited = time.monotonic()
        verdict = self.checker.verdict(timeout=30, serve_ended=True)
        self._checks["wait"] += time.monotonic() - waited
        if verdict is None:
            return self._no_checker(cell), resources
        self._checks["tests"] += 1
        self._checks["requests"] += verdict["requests"]
        self._checks["roundtrip"] += verdict["seconds"]
        return self._record(cell, serve, verdict, time.monotonic() - began), resources

    def _record(self, cell, serve, verdict, seconds):
        """The test cell as graded: what the student's code printed meanwhile, then the
        checker's output and error; the outcome flags of both sides."""
        kernel_flags = serve.metadata.get("autograder", {})
        meta = outcome_meta(cell)
        for flag in (Outcome.TIMED_OUT, Outcome.KERNEL_DIED, Outcome.NOT_RUN):
            if flag in kernel_flags:
                meta[flag] = kernel_flags[flag]
        outputs = []
        for output in serve.get("outputs", []):
            if output.output_type == "execute_result":
                # nbgrader reads a test cell's execute_result as partial credit: what the
                # student's code displays there is only shown
                output = nbformat.v4.new_output("display_data", data=output.get("data", {}),
                                                metadata=output.get("metadata", {}))
            if output.output_type != "error":
                outputs.append(output)
        if verdict["stdout"]:
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=verdict["stdout"]))
        died = [o for o in serve.get("outputs", []) if o.output_type == "error"
                and o.ename == "KernelDied"]
        if died and not verdict["passed"]:           # the kernel's end is the news (as before)
            outputs.append(died[0])
        elif not verdict["passed"]:
            outputs.append(nbformat.v4.new_output(
                "error", ename=verdict["ename"], evalue=verdict["evalue"],
                traceback=verdict["traceback"] or [f"{verdict['ename']}: {verdict['evalue']}"]))
        if not verdict["passed"]:
            if verdict["timed_out"] or verdict["ename"] == "KeyboardInterrupt" \
                    or "KeyboardInterrupt" in verdict["evalue"]:
                meta.setdefault(Outcome.TIMED_OUT, round(seconds, 1))
            if verdict["ename"] == "MemoryError":
                meta[Outcome.MEMORY_ERROR] = True
        meta[Outcome.CHECKED] = {"passed": bool(verdict["passed"]),
                                 "requests": verdict["requests"]}
        for key in ("grading_error", "integrity", "lost"):
            if verdict.get(key):
                meta[Outcome.CHECKED][key] = verdict[key]
        cell.outputs = outputs
        cell.execution_count = serve.get("execution_count")
        return cell

    def _no_checker(self, cell):
        why = self.checker.dead or "the checker did not answer"
        outcome_meta(cell)[Outcome.CHECKED] = {"passed": False, "grading_error": why}
        cell.outputs = [nbformat.v4.new_output(
            "error", ename="GradingError", evalue=why, traceback=[f"GradingError: {why}"])]
        return cell
