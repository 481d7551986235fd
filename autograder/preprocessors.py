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
Feedback:
  HideHiddenTests      replaces hidden tests (source, tracebacks, printed output) by a neutral line.

Every outcome worth reporting is written to ``cell.metadata.autograder`` / ``nb.metadata.autograder``
so the worker can read it back from the autograded notebook.
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import time
import tokenize

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.notebooknode import NotebookNode, from_dict
from traitlets import Float, Integer

from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

from autograder import guard as _guard

# A graded test cell as sent to the kernel: one statement (IPython runs it as one code object), so
# the seal at its end proves the whole body ran.  {token} is fresh per cell and per grading.
WRAP_HEAD = ('if "autograder-cell":\n'
             "    __import__('sys').audit({enter!r}, {token!r})\n"
             "    __import__('autograder.guard').guard.restore(globals())\n")
WRAP_TAIL = ("    __import__('sys').audit({seal!r}, {token!r}, __autograder_seal__ := [])\n"
             "    print(*__autograder_seal__)\n")
HEAD_LINES = 3          # executed line L of a wrapped cell is line L - 3 of the test as written
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
            gid = _grade_id(cell)
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
            _meta(nb)["reconciled"] = changes
            self.log.warning("Cell metadata reconciled with the source: %s", "; ".join(changes))
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


def indent_body(source, prefix="    "):
    """``source`` indented by ``prefix``, except lines that continue a multi-line string (indenting
    those would change the string)."""
    lines = source.splitlines(keepends=True)
    inside = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    out = [line if number in inside or not line.strip() else prefix + line
           for number, line in enumerate(lines, start=1)]
    text = "".join(out)
    return text if text.endswith("\n") or not text else text + "\n"


def wrap_test(source, token):
    """The test cell ``source`` as sent to the kernel (see WRAP_HEAD)."""
    return (WRAP_HEAD.format(enter=_guard.ENTER_EVENT, token=token) + indent_body(source)
            + WRAP_TAIL.format(seal=_guard.SEAL_EVENT, token=token))


def expected_digest(wrapped):
    """Digest of the code object the kernel must run for ``wrapped`` (None: it does not compile)."""
    try:
        return _guard.code_digest(compile(wrapped, "<cell>", "exec", dont_inherit=True))
    except (SyntaxError, ValueError):
        return None


def _is_test(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


class GuardCells(NbGraderPreprocessor):
    """Insert the install cell and send every graded test cell wrapped, with a fresh token."""

    def preprocess(self, nb, resources):
        bindings = import_bindings(source_notebook(self, resources))
        guard = nbformat.v4.new_code_cell(
            "import autograder.guard\n"
            f"autograder.guard.install({bindings!r}, globals())\n"
            "del autograder")
        guard.metadata["autograder"] = {"guard": True}
        nb.cells.insert(0, guard)
        for cell in nb.cells[1:]:
            if _is_test(cell):
                token = secrets.token_hex(16)
                wrapped = wrap_test(cell.source, token)
                meta = _meta(cell)
                meta.update(token=token, original=cell.source, digest=expected_digest(wrapped))
                cell.source = wrapped
        tests = [i for i, c in enumerate(nb.cells) if _is_test(c)]
        if tests:
            nb.cells.insert(tests[-1] + 1, self._sentinel())
        return nb, resources

    @staticmethod
    def _sentinel():
        """A hidden test that must fail, sent like any other: a valid seal for it means seals are
        being forged (the key left the hook), and no test of the notebook counts."""
        token = secrets.token_hex(16)
        left, right = secrets.randbelow(10 ** 6), 10 ** 6 + secrets.randbelow(10 ** 6)
        body = f'"""Check the result against the reference."""\nassert {left} == {right}\n'
        wrapped = wrap_test(body, token)
        cell = nbformat.v4.new_code_cell(wrapped)
        cell.metadata["autograder"] = {"sentinel": True, "token": token,
                                       "digest": expected_digest(wrapped)}
        return cell


NO_SEAL = "the test did not run to its end as written (no seal)"
_SEAL_LINE = re.compile(r"^" + re.escape(_guard.SEAL_MARK) + r" ([0-9a-f]+) ([0-9a-f]{64}) (.*)$")
_KEY_LINE = re.compile(r"^" + re.escape(_guard.KEY_MARK) + r" ([0-9a-f]{64})$", re.M)


def _stream_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.get("name") == "stdout")


def _undone(text):
    """What the guard's restore undid, from its marked lines (informational only)."""
    found = []
    for line in text.splitlines():
        if line.startswith(_guard.UNDONE_MARK + " "):
            try:
                found += [str(x) for x in json.loads(line[len(_guard.UNDONE_MARK) + 1:])]
            except (ValueError, TypeError):
                pass
    return sorted(set(found))[:50]


def _strip_seals(cell):
    """Remove every seal and guard line from the cell's outputs (they mean nothing to a reader)."""
    marks = (_guard.SEAL_MARK + " ", _guard.UNDONE_MARK + " ")
    kept = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            text = "".join(line for line in output.text.splitlines(keepends=True)
                           if not line.startswith(marks))
            if not text:
                continue
            output.text = text
        kept.append(output)
    cell.outputs = kept


def check_seal(key, token, digest, text):
    """(verdict, report): verdict is None when ``text`` holds exactly one valid seal for ``token``
    over ``digest`` and its report is clean, else the reason the test does not count."""
    seals = [m for m in map(_SEAL_LINE.match, text.splitlines()) if m and m.group(1) == token]
    if not seals:
        return NO_SEAL, None
    if len(seals) > 1:
        return "the test printed its seal more than once", None
    match = seals[0]
    expected = hmac.new(key, _guard.seal_message(token, digest, match.group(3)),
                        hashlib.sha256).hexdigest()
    if digest is None or not hmac.compare_digest(expected, match.group(2)):
        return "the code that ran is not the test as sent (invalid seal)", None
    try:
        problems, integrity = ast.literal_eval(match.group(3))
    except (ValueError, SyntaxError, TypeError):
        return "unreadable seal", None
    reasons = list(problems) + list(integrity)
    return ("; ".join(reasons) if reasons else None), {"problems": problems, "integrity": integrity}


class UnguardCells(NbGraderPreprocessor):
    """Verify each test cell's seal (see check_seal), then remove what GuardCells added."""

    def preprocess(self, nb, resources):
        guard = [c for c in nb.cells if c.metadata.get("autograder", {}).get("guard")]
        found = _KEY_LINE.search(_stream_text(guard[0])) if guard else None
        key = bytes.fromhex(found.group(1)) if found else None
        if guard and key is None:
            errors = [f"{o.ename}: {o.evalue}" for o in guard[0].get("outputs", [])
                      if o.output_type == "error"]
            _meta(nb)["guard_failed"] = (errors[0] if errors else "it printed no key")[:300]
        for cell in [c for c in nb.cells if c.metadata.get("autograder", {}).get("sentinel")]:
            meta = cell.metadata["autograder"]
            if key is not None and check_seal(key, meta["token"], meta["digest"],
                                              _stream_text(cell))[1] is not None:
                _meta(nb)["forged"] = True        # a valid seal: made with the stolen key
        nb.cells = [c for c in nb.cells if not c.metadata.get("autograder", {}).get("guard")
                    and not c.metadata.get("autograder", {}).get("sentinel")]
        for cell in nb.cells:
            meta = cell.metadata.get("autograder", {})
            if "token" not in meta:
                continue
            token, digest = meta.pop("token"), meta.pop("digest", None)
            undone = _undone(_stream_text(cell))
            if undone:
                meta["undone"] = undone
            self._verify(cell, meta, key, token, digest, nb.metadata.get("autograder", {}))
            _strip_seals(cell)
            cell.source = meta.pop("original")
            meta["line_offset"] = HEAD_LINES
        return nb, resources

    @staticmethod
    def _verify(cell, meta, key, token, digest, notes):
        outputs = cell.get("outputs", [])
        failed = [o for o in outputs if o.output_type == "error"]
        if failed or any(meta.get(k) for k in ("not_run", "kernel_died", "timed_out")):
            return                      # an ordinary failure: no points, nothing to verify
        if notes.get("forged"):
            verdict = "a hidden test that must fail came back sealed: seals are being forged"
        elif key is None:
            verdict = "the grader's guard did not start in the kernel"
        else:
            verdict, _ = check_seal(key, token, digest, _stream_text(cell))
        if verdict is None:
            meta["verified"] = True
            return
        meta["integrity"] = verdict
        cell.outputs = list(outputs) + [nbformat.v4.new_output(
            "error", ename="IntegrityError", evalue=verdict,
            traceback=[f"IntegrityError: {verdict} (this test scores 0; flagged for review)"])]


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
        where = _grade_id(cell) or "a cell"
        self._stopped = (f"the kernel ignored the interrupt after {where} timed out and was "
                         "stopped; this cell was not run")
        _meta(self.nb)["interrupt_ignored"] = where
        _meta(cell)["timed_out"] = round(time.monotonic() - began, 1)
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
        except CellTimeoutError:
            # the kernel replied to the interrupt but never went idle: the code still runs
            self.log.warning("The kernel did not stop after the interrupt; stopping it")
            run_sync(self.km.shutdown_kernel)(now=True)
            return self._interrupt_was_ignored(cell, resources, began), resources
        except DeadKernelError:
            if self._interrupt_ignored:
                return self._interrupt_was_ignored(cell, resources, began), resources
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


def grades_from_source(source_nb, graded_nb):
    """{grade_id: {auto_score, max_score, needs_manual_grade}} for every graded cell of the SOURCE
    notebook, computed here (the trusted side) from the graded notebook's verified cells.

    Points and the list of graded cells come only from the source: a submission's cells can neither
    add a graded cell nor change what one is worth.  An autograded test earns its points only when
    UnguardCells verified its seal and it has no error and no stderr output (nbgrader's rule).
    """
    graded = {}
    for cell in graded_nb.cells:
        gid = _grade_id(cell)
        if gid and gid not in graded:
            graded[gid] = cell
    grades = {}
    for cell in source_nb.cells:
        gid = _grade_id(cell)
        if not (gid and utils.is_grade(cell)) or gid in grades:
            continue
        points = float(cell.metadata.nbgrader.get("points", 0) or 0)
        if utils.is_solution(cell) or cell.cell_type != "code":
            grades[gid] = {"auto_score": None, "max_score": points, "needs_manual_grade": True}
            continue
        ran = graded.get(gid)
        passed = (ran is not None and ran.metadata.get("autograder", {}).get("verified")
                  and not any(o.output_type == "error"
                              or (o.output_type == "stream" and o.get("name") == "stderr")
                              for o in ran.get("outputs", [])))
        grades[gid] = {"auto_score": points if passed else 0.0, "max_score": points,
                       "needs_manual_grade": False}
    return grades
