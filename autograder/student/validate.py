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
    return report(path, check(nb), out, crashed=crashed_cells(nb))


def report(path, results, out=print, crashed=()):
    """Print the report of ``check``'s results (after the non-test cells that ``crashed``);
    return the exit status (0: every test passes)."""
    if not results:
        out(no_tests_line(path))
        return 1
    for label, message in crashed:
        out(crash_lines(label, message))
    for result in results:
        out(result_lines(*result))
    out(summary_line(results))
    return 0 if all(passed for _, _, passed, _ in results) else 1


def no_tests_line(path):
    return f"{path}: no graded test cells found (is this an nbgrader notebook?)"


def crash_lines(label, message):
    """A non-test cell's error, indented like a failed test's message."""
    return (f"ERROR {label} raised an error (the tests after it may fail because of it)\n      "
            + message.strip().replace("\n", "\n      "))


def result_lines(grade_id, points, passed, message):
    """PASS or FAIL with the test's name and points; a failure's message indented below."""
    line = f"{'PASS' if passed else 'FAIL'}  {grade_id} ({points:g} pt)"
    return line if passed else line + "\n      " + message.strip().replace("\n", "\n      ")


def summary_line(results):
    passed = [r for r in results if r[2]]
    got = sum(r[1] for r in passed)
    total = sum(r[1] for r in results)
    return (f"{len(passed)}/{len(results)} visible tests pass ({got:g}/{total:g} points "
            f"from the tests you can see; hidden tests are run when it is graded)")


# --- the Validate button of the course's JupyterLab ----------------------------------------------
# nbgrader's lab extension puts a Validate button on every notebook; it saves the notebook, asks
# GET nbgrader_version?version=… whether server and button match, then POSTs assignments/validate
# and shows the JSON answer in a dialog: {"success": true, "value": {}} as "Success! Your notebook
# passes all the tests.", {"value": {"failed": [{"source", "error"}]}} as "The following cell
# failed:" + source (as text) + error (as HTML) per entry, {"success": false, "value": text} as
# "There was an error running the validate command". The lab configurations in jupyter-config/
# switch nbgrader's server half off and load this module in its place (see
# jupyter-config/README.md), so the button gives `python -m autograder validate`'s verdict and
# messages: the course's one-line diagnosis and the points of each failed test instead of
# nbgrader's full tracebacks, and a summary that says hidden tests are still to come.

def lab_answer(path, cell_timeout=60):
    """The Validate button's JSON answer for the notebook at ``path``: the verdict of ``validate``
    and the lines it prints for each failed test (under the first line of that test cell) and as
    summary."""
    from html import escape

    notebook = run_notebook(path, cell_timeout)
    results, crashed = check(notebook), crashed_cells(notebook)
    if report(path, results, out=lambda line: None, crashed=crashed) == 0:
        return {"success": True, "value": {}}
    if not results:
        return {"success": True, "value": {"failed": [{"source": "", "error": escape(no_tests_line(path))}]}}
    # A test cell opens with a one-line docstring saying what it checks: that line names the cell
    # (the whole source would push the message below the dialog's fold).
    headings = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source.strip().splitlines()[:1]
                for cell in notebook.cells}
    failed = [{"source": "".join(headings[result[0]]) or result[0], "error": result_lines(*result)}
              for result in results if not result[2]]
    # the crashes that explain the failures come first, as in the command's report
    failed[:0] = [{"source": label, "error": crash_lines(label, message)} for label, message in crashed]
    failed[-1]["error"] += "\n\n" + summary_line(results)
    for entry in failed:
        entry["error"] = escape(entry["error"])  # the button shows it as HTML
    return {"success": True, "value": {"failed": failed}}


def _jupyter_server_extension_points():
    return [{"module": "autograder.student.validate"}]


def _load_jupyter_server_extension(serverapp):
    """Serve nbgrader's Validate button from ``lab_answer`` (jpserver_extensions: autograder.student.validate)."""
    import asyncio
    import json
    import traceback

    from jupyter_server.base.handlers import JupyterHandler
    from jupyter_server.utils import url_path_join
    from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler
    from tornado import web

    class ValidateHandler(JupyterHandler):
        @web.authenticated
        async def post(self):
            path = self.get_argument("path", None) or (self.get_json_body() or {}).get("path", "")
            root = Path(self.settings["server_root_dir"]).expanduser().resolve()
            target = (root / path).resolve()
            if not target.is_relative_to(root) or target.suffix != ".ipynb" or not target.is_file():
                raise web.HTTPError(404, f"no notebook {path!r} under the server's root")
            try:
                # The notebook runs in its own kernel for up to a minute per cell: off the event loop.
                answer = await asyncio.get_running_loop().run_in_executor(None, lab_answer, target)
            except Exception:  # noqa: BLE001 - the dialog shows it; the CLI would show the same traceback
                self.log.error("validate failed for %s", target, exc_info=True)
                answer = {"success": False, "value": traceback.format_exc()}
            self.finish(json.dumps(answer))

    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base_url, "assignments/validate"), ValidateHandler),
        (url_path_join(base_url, "nbgrader_version"), NbGraderVersionHandler),
    ])
    serverapp.log.info("autograder.student.validate: the Validate button runs `python -m autograder validate`")
