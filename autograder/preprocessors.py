"""nbgrader preprocessors that make grades trustworthy (registered in nbgrader_config.py).

Sanitize stage (after nbgrader's OverwriteCells, which already undoes edits to locked cells):
  RestoreDeletedCells  re-inserts graded/locked cells the student deleted, from the source notebook,
                       so deleted tests are graded; flags a notebook with no nbgrader metadata at all.
Autograde stage:
  GuardCells           inserts a first grader cell that snapshots numpy/nnlib/nnlib.checks and
                       prefixes every graded test cell with a restore (see autograder.guard).
  BudgetedExecute      nbgrader's Execute with a per-cell timeout AND a total budget per notebook;
                       a dead kernel (os._exit, segfault) marks the rest "not run" instead of aborting.
  UnguardCells         removes the grader cell and the prefixes again (outputs kept).
Feedback:
  HideHiddenTests      replaces hidden tests (source, tracebacks, printed output) by a neutral line.

Every outcome worth reporting is written to ``cell.metadata.autograder`` / ``nb.metadata.autograder``
so the worker can read it back from the autograded notebook.
"""

from __future__ import annotations

import ast
import copy
import os
import re
import time

import nbformat
from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode, from_dict
from traitlets import Float, Integer, Unicode

from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

GUARD_PREFIX = "__import__('autograder.guard').guard.restore(globals())  # autograder: undo tampering\n"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
# Imports from these packages are re-bound before every test cell (see autograder.guard).
GUARDED_PACKAGES = ("numpy", "nnlib", "autograder", "math")


def _meta(obj) -> dict:
    return obj.metadata.setdefault("autograder", {})


def source_notebook(processor, resources) -> NotebookNode:
    """The instructor's source notebook of the notebook being processed."""
    coursedir = CourseDirectory(config=processor.config)
    assignment = resources["nbgrader"]["assignment"]
    notebook = resources["nbgrader"]["notebook"]
    path = os.path.join(coursedir.format_path(coursedir.source_directory, ".", assignment),
                        notebook + ".ipynb")
    return nbformat.read(path, as_version=4)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


class RestoreDeletedCells(NbGraderPreprocessor):
    """Put back graded or locked cells the student deleted (by grade_id, in source order)."""

    def preprocess(self, nb, resources):
        source = source_notebook(self, resources)
        wanted = [c for c in source.cells if _grade_id(c)
                  and (utils.is_grade(c) or utils.is_locked(c)) and not utils.is_solution(c)]
        known = {_grade_id(c) for c in source.cells if _grade_id(c)}
        present = {_grade_id(c) for c in nb.cells if _grade_id(c)}
        if not present & known:
            # Cells copied into a fresh notebook: we cannot tell which answer each test belongs to.
            _meta(nb)["no_metadata"] = True
            return nb, resources
        order = [_grade_id(c) for c in source.cells if _grade_id(c)]
        restored = []
        for cell in wanted:
            gid = _grade_id(cell)
            if gid in present:
                continue
            # insert after the nearest earlier source cell that the submission still has
            earlier = order[:order.index(gid)]
            index = 0
            for prev in reversed(earlier):
                hits = [i for i, c in enumerate(nb.cells) if _grade_id(c) == prev]
                if hits:
                    index = hits[-1] + 1
                    break
            new = from_dict(copy.deepcopy(cell))
            if new.cell_type == "code":
                new.outputs, new.execution_count = [], None
            new.metadata.nbgrader["checksum"] = utils.compute_checksum(new)
            _meta(new)["restored"] = True
            nb.cells.insert(index, new)
            present.add(gid)
            restored.append(gid)
            self.log.warning("Restored deleted cell %s from the source notebook", gid)
        if restored:
            _meta(nb)["restored"] = restored
        return nb, resources


def import_bindings(nb) -> list:
    """[(name, module, attr or None)] bound by the import lines of the instructor's own cells."""
    bindings = []
    for cell in nb.cells:
        if cell.cell_type != "code" or utils.is_solution(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] not in GUARDED_PACKAGES:
                        continue
                    if alias.asname:
                        bindings.append((alias.asname, alias.name, None))
                    else:
                        top = alias.name.split(".")[0]
                        bindings.append((top, top, None))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] not in GUARDED_PACKAGES:
                    continue
                for alias in node.names:
                    if alias.name != "*":
                        bindings.append((alias.asname or alias.name, node.module, alias.name))
    return sorted(set(bindings))


class GuardCells(NbGraderPreprocessor):
    """Insert the snapshot cell and prefix graded test cells with a restore."""

    def preprocess(self, nb, resources):
        bindings = import_bindings(source_notebook(self, resources))
        guard = nbformat.v4.new_code_cell(
            "import autograder.guard\n"
            f"autograder.guard.install({bindings!r})\n"
            "del autograder")
        guard.metadata["autograder"] = {"guard": True}
        nb.cells.insert(0, guard)
        for cell in nb.cells[1:]:
            if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
                _meta(cell)["guarded"] = True
                cell.source = GUARD_PREFIX + cell.source
        return nb, resources


class UnguardCells(NbGraderPreprocessor):
    """Remove what GuardCells added, keeping the outputs."""

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if not c.metadata.get("autograder", {}).get("guard")]
        for cell in nb.cells:
            meta = cell.metadata.get("autograder", {})
            if meta.pop("guarded", False) and cell.source.startswith(GUARD_PREFIX):
                cell.source = cell.source[len(GUARD_PREFIX):]
                meta["line_offset"] = 1      # executed line L is line L-1 of the shown source
        return nb, resources


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
            self.timeout_func = self._cell_timeout
            try:
                return super().preprocess(nb, resources, km)
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

    def _remaining(self):
        if not self.total_timeout:
            return None
        return self.total_timeout - (time.monotonic() - self._started)

    def _cell_timeout(self, cell):
        remaining = self._remaining()
        if remaining is None:
            return self.timeout
        return max(1, int(min(self.timeout or remaining, remaining) + 0.999))

    def _skip(self, cell, why):
        if cell.cell_type != "code":
            return
        cell.outputs = [nbformat.v4.new_output(
            "error", ename="NotRun", evalue=why, traceback=[f"NotRun: {why}"])]
        _meta(cell)["not_run"] = why

    def preprocess_cell(self, cell, resources, index):
        if self._stopped:
            self._skip(cell, self._stopped)
            return cell, resources
        remaining = self._remaining()
        if remaining is not None and remaining <= 0 and cell.cell_type == "code":
            self._stopped = (f"the notebook used up its {self.total_timeout:g} s time budget "
                             "before this cell")
            _meta(self.nb)["budget_exceeded"] = _grade_id(cell) or f"cell {index}"
            self._skip(cell, self._stopped)
            return cell, resources
        began = time.monotonic()
        self._ran_a_cell = True
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            where = _grade_id(cell) or f"cell {index}"
            self._stopped = f"the kernel died while running {where}; this cell was not run"
            _meta(self.nb)["kernel_died"] = where
            cell.outputs = list(cell.get("outputs", [])) + [nbformat.v4.new_output(
                "error", ename="KernelDied",
                evalue="the kernel died while running this cell (os._exit, a crash, or memory)",
                traceback=["KernelDied: the kernel died while running this cell"])]
            _meta(cell)["kernel_died"] = True
            return cell, resources
        elapsed = time.monotonic() - began
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                if output.ename in ("CellTimeoutError", "KeyboardInterrupt") or (
                        self.timeout and elapsed >= self.timeout - 0.5 and output.ename != "NotRun"):
                    _meta(cell)["timed_out"] = round(elapsed, 1)
                elif output.ename == "MemoryError":
                    _meta(cell)["memory_error"] = True
        return cell, resources


class HideHiddenTests(NbGraderPreprocessor):
    """For feedback: hidden tests are shown as one neutral line, never their code or errors."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or HIDDEN_BEGIN not in cell.source:
            return cell, resources
        lines = cell.source.split("\n")
        hidden = set()
        inside = False
        for number, line in enumerate(lines, start=1):
            if HIDDEN_BEGIN in line:
                inside = True
            if inside:
                hidden.add(number)
            if HIDDEN_END in line:
                inside = False
        offset = cell.metadata.get("autograder", {}).get("line_offset", 0)
        verdict = "passed"
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue          # printed output of a cell with hidden tests may reveal them
            line = _error_line(output)
            if line is None or (line - offset) in hidden or output.ename == "NotRun":
                verdict = "failed" if output.ename != "NotRun" else "not run"
                outputs.append(nbformat.v4.new_output(
                    "error", ename="HiddenTestFailed" if output.ename != "NotRun" else "NotRun",
                    evalue="a hidden test failed (its details are not shown)"
                    if output.ename != "NotRun" else output.evalue,
                    traceback=[f"{'A hidden test failed' if output.ename != 'NotRun' else output.evalue}"
                               " (hidden tests check other inputs; details are not shown)."]))
            else:
                verdict = "not reached (a visible test failed first)"
                outputs.append(nbformat.v4.new_output(
                    "error", ename=output.ename, evalue=output.evalue,
                    traceback=[f"{output.ename}: {output.evalue}"]))
        shown, inside = [], False
        for line in lines:
            if HIDDEN_BEGIN in line:
                inside = True
                indent = line[:len(line) - len(line.lstrip())]
                shown.append(f"{indent}# [hidden tests: {verdict}]")
            if not inside:
                shown.append(line)
            if HIDDEN_END in line:
                inside = False
        cell.source = "\n".join(shown)
        cell.outputs = outputs
        return cell, resources


_LINE_RE = re.compile(r"(?:Cell In\s*\[\d*\],\s*line|<ipython-input-[^>]*>[^\n]*?in <module>\D*?|"
                      r"File <[^>]*>:)\s*(\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error_line(output):
    """Line number (1-based, as executed) in the cell itself where the error was raised."""
    text = _ANSI.sub("", "\n".join(output.get("traceback", [])))
    match = _LINE_RE.search(text)
    return int(match.group(1)) if match else None
