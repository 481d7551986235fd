"""Run one notebook once and try every catalogued wrong answer in a forked copy of its state.

Each entry's test cell runs twice: in this process, as the student's own kernel runs it, and in
the trusted checker (autograder.checker) against a kernel forked from the same state, as grading
runs it; both outcomes are recorded, so the catalogue shows the checks say the same in both.

Started by :mod:`harness` as ``python worker.py PLAN.json RESULTS.json``.  The notebook's cells
run in order in one IPython shell (what a kernel runs, without the messaging), in
``notebooks/`` and with ``NBGRADER_EXECUTION=autograde``.  Just before the first cell an entry
replaces, the process forks: the child runs the wrong answer and the cells after it up to the
entry's test cells — each test cell first as the student sees it (hidden tests removed), then
its hidden part — records how each failed, and exits.  The parent's state is never touched, so
an answer that modifies its inputs in place cannot leak into the next entry, and the prefix
runs once per notebook instead of once per entry.
"""

from __future__ import annotations

import io
import itertools
import json
import linecache
import os
import signal
import sys
import tempfile
import traceback
import warnings

ENTRY_TIMEOUT = 240          # seconds for one entry (a child), training cells included
SEED = 20260607              # the hidden tests' inputs: the same in both runs of a test cell
_CELL_NUMBERS = itertools.count(1)


class EntryTimeout(Exception):
    """The entry's cells ran longer than ENTRY_TIMEOUT."""


def _outcome(shell, source, label):
    """None when ``source`` runs cleanly, else {"ename", "message", "stderr", "frames"}."""
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    failure = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            # warnings go to stderr, as in a kernel, where nbgrader scores such a cell 0
            warnings.showwarning = lambda m, c, f, l, file=None, line=None: err.write(
                warnings.formatwarning(m, c, f, l, line))
            code = _compile(shell, source, label)
            exec(code, shell.user_ns)                                    # noqa: S102
    except BaseException as exc:      # noqa: BLE001 - every way a cell can fail is an outcome
        failure = {"ename": type(exc).__name__, "message": str(exc),
                   "frames": [f.name for f in traceback.extract_tb(exc.__traceback__)]}
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    if failure is None and err.getvalue():
        failure = {"ename": "stderr", "message": err.getvalue(), "frames": []}
    if failure is not None:
        failure["stdout"] = out.getvalue()[-2000:]
    return failure


def _compile(shell, source, label):
    """The cell compiled, its text registered with linecache as IPython does, so that
    ``inspect.getsource`` works on the functions it defines (the loop checks read them)."""
    text = shell.transform_cell(source)
    filename = f"<cell {next(_CELL_NUMBERS)}: {label}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    return compile(text, filename, "exec")


def _alarm(signum, frame):
    raise EntryTimeout(f"more than {ENTRY_TIMEOUT} s")


def _run_entry(shell, cells, start, entry):
    """Outcomes of one entry: its replaced cells, then the cells up to its last test cell."""
    last = max(i for i, c in enumerate(cells) if c["grade_id"] in entry["targets"])
    result = {"tests": {}, "others": []}
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(ENTRY_TIMEOUT)
    for index in range(start, last + 1):
        cell = cells[index]
        gid = cell["grade_id"]
        if gid in entry["replace"]:
            failure = _outcome(shell, entry["replace"][gid], gid)
            if failure:
                result["others"].append({"cell": gid or index, **failure})
        elif cell["kind"] == "test" and gid in entry["targets"]:
            checked = _checked(shell, cells, entry, gid)      # first: from the same state
            signal.alarm(ENTRY_TIMEOUT)
            from nnlib.checks.inputs import seed_grading
            seed_grading(SEED, gid)
            visible = _outcome(shell, cell["visible"], gid)
            hidden = None
            if visible is None and cell["hidden"]:
                hidden = _outcome(shell, cell["hidden"], gid + " (hidden tests)")
            result["tests"][gid] = {"visible": visible, "hidden": hidden, "checked": checked}
        else:
            failure = _outcome(shell, cell["source"], gid or f"cell {index}")
            if failure and cell["kind"] != "test":
                result["others"].append({"cell": gid or index, **failure})
    signal.alarm(0)
    return result


def _checked(shell, cells, entry, gid):
    """The test cell ``gid`` as grading runs it: in the checker, against a kernel forked now."""
    import socket

    from autograder.checker.session import Session
    from autograder.kernel.serve import serve
    folder = tempfile.mkdtemp(prefix="checked-")
    path = os.path.join(folder, "calls")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(2)
    sys.stdout.flush()
    kernel = os.fork()
    if kernel == 0:                                 # the student's kernel: this state, serving
        listener.close()
        try:
            sys.stdout = sys.stderr = open(os.devnull, "w")
            serve(path, shell.user_ns)
        finally:
            os._exit(0)
    try:
        submission = [(i, c["kind"] if c["kind"] in ("test", "answer") else "other", c["grade_id"],
                       entry["replace"].get(c["grade_id"], c["source"]))
                      for i, c in enumerate(cells)]
        session = Session(_source_notebook(), submission, SEED)
        listener.settimeout(60)
        conn, _ = listener.accept()
        try:
            verdict = session.run_test(gid, conn, 120)
        finally:
            conn.close()
        return {"passed": verdict.passed, "ename": verdict.ename, "message": verdict.evalue,
                "grading_error": verdict.grading_error}
    except Exception as exc:          # noqa: BLE001 -- the harness's own failure, reported
        return {"passed": False, "ename": "HarnessError", "message": f"{type(exc).__name__}: {exc}",
                "grading_error": str(exc)}
    finally:
        listener.close()
        try:
            os.kill(kernel, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(kernel, 0)
        import shutil
        shutil.rmtree(folder, ignore_errors=True)


_SOURCE = {}


def _source_notebook():
    import nbformat
    if "nb" not in _SOURCE:
        _SOURCE["nb"] = nbformat.read(_SOURCE["path"], as_version=4)
    return _SOURCE["nb"]


def _fork_entry(shell, cells, start, entry):
    """Run one entry in a child process; its result, read back from a file."""
    fd, path = tempfile.mkstemp(prefix="catalogue-", suffix=".json")
    os.close(fd)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:                                    # the child: run, write, leave at once
        try:
            result = _run_entry(shell, cells, start, entry)
        except BaseException as exc:  # noqa: BLE001 - reported as the harness's error
            result = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            with open(path, "w") as handle:
                json.dump(result, handle)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        return {"error": f"the child process wrote no result ({exc})"}
    finally:
        os.unlink(path)


def main(plan_path, results_path):
    with open(plan_path) as handle:
        plan = json.load(handle)
    os.chdir(plan["cwd"])
    _SOURCE["path"] = plan["notebook"]
    # read and imported once here, before the forks: each entry's child would otherwise read,
    # validate and import all of it again and throw it away (seconds per entry)
    _source_notebook()
    import autograder.checker.session  # noqa: F401
    import autograder.kernel.serve  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.display_pub.publish = lambda *args, **kwargs: None     # no front end to show plots
    cells = plan["cells"]
    index_of = {c["grade_id"]: i for i, c in enumerate(cells) if c["grade_id"]}
    starts = {}
    for entry in plan["entries"]:
        start = min(index_of[g] for g in entry["replace"])
        starts.setdefault(start, []).append(entry)
    results, prefix_failures = {}, []
    last_start = max(starts, default=-1)
    for index, cell in enumerate(cells):
        if index > last_start:
            break
        for entry in starts.get(index, []):
            results[entry["id"]] = _fork_entry(shell, cells, index, entry)
        failure = _outcome(shell, cell["source"], cell["grade_id"] or f"cell {index}")
        if failure:
            prefix_failures.append({"cell": cell["grade_id"] or index, **failure})
    with open(results_path, "w") as handle:
        json.dump({"entries": results, "prefix_failures": prefix_failures}, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
