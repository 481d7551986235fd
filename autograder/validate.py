"""Run a notebook and report its test cells (for students and CI).

Unlike ``nbgrader validate`` (which exits 0 even when tests fail), the exit status is 1 when a
test cell fails, and every failed test's message is printed: the same teaching message the
student sees in JupyterLab.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_notebook(path, cell_timeout=60):
    """Execute a copy of the notebook (the file is not modified); return the executed notebook."""
    import shutil
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from traitlets.config import Config

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # sockets as files in a private folder: no TCP port collisions with other kernels
    ipc_dir = tempfile.mkdtemp(prefix="agk-")
    try:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(ipc_dir, "k")
        client = NotebookClient(nb, config=config, kernel_manager_class=AsyncKernelManager,
                                timeout=cell_timeout, allow_errors=True,
                                kernel_name="python3", interrupt_on_timeout=True,
                                resources={"metadata": {"path": str(path.parent.resolve())}})
        client.execute()
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    return nb


def check(nb):
    """[(grade_id, points, passed, message)] for every graded test cell of an executed notebook."""
    results = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        message = None
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}"
                break
            if output.output_type == "stream" and output.name == "stderr":
                message = "wrote to stderr (nbgrader scores such a test cell 0): " + output.text
                break
        results.append((meta.get("grade_id"), meta.get("points", 0), message is None,
                        _ANSI.sub("", message or "")))
    return results


def crashed_cells(nb):
    """[(label, message)] for the code cells that are not tests and raised an error.

    A test can only report what it sees: when the answer it relies on crashed in an earlier
    cell (a training loop calling the student's backward), that crash is the real news.
    """
    crashed = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                label = meta.get("grade_id") or f"cell {index} ({first[:60]})"
                crashed.append((label, _ANSI.sub("", f"{output.ename}: {output.evalue}")))
                break
    return crashed


def validate(path, cell_timeout=60, out=print):
    """Run, print a report, return the exit status (0: every test passes)."""
    nb = run_notebook(path, cell_timeout)
    results = check(nb)
    if not results:
        out(f"{path}: no graded test cells found (is this an nbgrader notebook?)")
        return 1
    for label, message in crashed_cells(nb):
        out(f"ERROR {label} raised an error (the tests after it may fail because of it)")
        out("      " + message.strip().replace("\n", "\n      "))
    failed = [r for r in results if not r[2]]
    for grade_id, points, passed, message in results:
        out(f"{'PASS' if passed else 'FAIL'}  {grade_id} ({points:g} pt)")
        if not passed:
            out("      " + message.strip().replace("\n", "\n      "))
    got = sum(r[1] for r in results if r[2])
    total = sum(r[1] for r in results)
    out(f"{len(results) - len(failed)}/{len(results)} visible tests pass ({got:g}/{total:g} points "
        f"from the tests you can see; hidden tests are run when it is graded)")
    return 1 if failed else 0
