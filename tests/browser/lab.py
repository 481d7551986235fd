"""A private JupyterLab server for the browser suite, and the student-facing notebooks it serves.

The server runs from this venv on 127.0.0.1 on a free port with no token or password, and with all
of Jupyter's per-user state (config, lab settings, workspaces, runtime files, IPython profile) in a
temporary directory, so neither the developer's ~/.jupyter nor a saved workspace can change what the
test sees, and the test leaves nothing behind.

Lab settings the suite relies on (written as user settings, see ``LAB_SETTINGS``):
- notebook ``windowingMode: "none"``: JupyterLab 4 otherwise skips rendering (or even creating) cells
  outside the viewport, and the suite must see and click every widget;
- ``fetchNews: "false"`` and ``checkForUpdates: false``: no "Would you like to receive official
  Jupyter news?" toast over the notebook, and no request to the internet. The server side is switched
  off as well (``--LabApp.news_url=None``, ``--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate``);
- autosave off: the suite only reads the notebooks it runs.

The server reads the same lab configuration as ``make lab`` (``jupyter-config/student`` on
JUPYTER_CONFIG_PATH, see jupyter-config/README.md): no nbgrader instructor tools, and a Validate
button that runs ``python -m autograder validate``. test_make_lab checks that the Makefile uses it.
"""
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

# The lab configurations (one folder per role) that `make lab` and `make instructor-lab` use.
LAB_CONFIGS = Path(__file__).resolve().parents[2] / "jupyter-config"

LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

# The server-side half of "no news, no update check" (the lab settings above are the other half).
NO_NEWS_FLAGS = [
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_environment(state_dir, role=None):
    """os.environ with every per-user Jupyter/IPython location moved under ``state_dir``.

    The kernel inherits this environment too: NBGRADER_EXECUTION is removed because under grading
    the widgets build nothing (see the widget contract), and a student's lab never sets it.
    ``role`` ("student" or "instructor") puts that lab configuration on JUPYTER_CONFIG_PATH, as the
    Makefile's lab targets do; without it the path is empty (the Makefile then adds its own).
    """
    state_dir = Path(state_dir)
    env = dict(os.environ)
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    if role is not None:
        env["JUPYTER_CONFIG_PATH"] = str(LAB_CONFIGS / role)
    env.update(
        JUPYTER_CONFIG_DIR=str(state_dir / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(state_dir / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
        IPYTHONDIR=str(state_dir / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",  # the non-deprecated location rules, without a warning
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        PYTHONUNBUFFERED="1",
    )
    for name in ("config", "lab-settings", "workspaces", "runtime", "ipython"):
        (state_dir / name).mkdir(parents=True, exist_ok=True)
    for relative, values in LAB_SETTINGS.items():
        path = state_dir / "lab-settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))
    return env


def server_flags(port, root_dir=None):
    """Command-line flags for a local, unauthenticated, browserless server on ``port``."""
    flags = [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # a taken port is an error, not a silent move elsewhere
        "--IdentityProvider.token=",
        "--PasswordIdentityProvider.hashed_password=",
        *NO_NEWS_FLAGS,
        # window.jupyterapp: the suite opens notebooks in one running JupyterLab instead of
        # reloading it for each (the student-facing path, a double-click, is tested in test_make_lab).
        "--LabApp.expose_app_in_browser=True",
    ]
    if root_dir is not None:
        flags.append(f"--ServerApp.root_dir={root_dir}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--allow-root")  # CI containers run as root; Jupyter refuses without it
    return flags


def wait_for_server(url, process, log_path, timeout=90):
    """Poll ``url``/api/status until the server answers; raise with its log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {process.returncode} before serving {url}:\n"
                + tail(log_path)
            )
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not answer at {url} within {timeout} s:\n" + tail(log_path))


def tail(path, lines=40):
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def stop(process, timeout=15):
    """Stop a server we started: SIGTERM (Jupyter shuts its kernels down), then SIGKILL."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


class LabServer:
    """``python -m jupyterlab`` serving ``root_dir`` with the ``role``'s lab configuration; use as a
    context manager.  ``cwd``: the folder it runs in (default ``root_dir``; the formgrader reads
    ``nbgrader_config.py`` from it, as ``make instructor-lab`` runs from course/)."""

    def __init__(self, root_dir, state_dir, log_path, role="student", cwd=None):
        self.root_dir = Path(root_dir)
        self.cwd = Path(cwd or root_dir)
        self.env = isolated_environment(state_dir, role)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.process = None

    def __enter__(self):
        command = [sys.executable, "-m", "jupyterlab", *server_flags(self.port, self.root_dir)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd
            )
        try:
            wait_for_server(self.url, self.process, self.log_path)
        except BaseException:
            stop(self.process)
            raise
        return self

    def __exit__(self, *exc_info):
        stop(self.process)

    def api(self, method, path):
        """Call the server's REST API (no token needed); return the decoded JSON or None.

        Jupyter Server refuses state-changing requests without the XSRF cookie echoed in a header
        (there is no token to prove who we are), so fetch the cookie from /lab first.
        """
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.url}/lab", timeout=10).close()
        xsrf = next((cookie.value for cookie in jar if cookie.name == "_xsrf"), "")
        request = urllib.request.Request(f"{self.url}{path}", method=method, headers={"X-XSRFToken": xsrf})
        with opener.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self):
        """End every session (and so its kernel): each test starts from a fresh kernel."""
        for session in self.api("GET", "/api/sessions") or []:
            self.api("DELETE", f"/api/sessions/{session['id']}")


def student_version(source, destination, *, keep_solutions=False):
    """Write the student version of nbgrader source notebook ``source`` to ``destination``.

    Solutions become nbgrader's stubs and hidden tests disappear (the ClearSolutions and
    ClearHiddenTests preprocessors, run in-process as ``nbgrader generate_assignment`` runs them),
    outputs are cleared, so the browser sees what a student who has solved nothing yet sees.

    One change a student would not see: every code cell gets the ``raises-exception`` tag. Unsolved,
    graded tests fail, and so do demonstration cells that call the student's functions; JupyterLab's
    Run All would then abort every later cell (the kernel's ``stop_on_error``). A student working
    cell by cell still reaches the widgets below, and the tag makes Run All do the same, so the
    suite can tell "this cell needs an answer first" from "this widget is broken".
    With ``keep_solutions`` the solutions and hidden tests stay (for notebooks whose widgets need
    solved exercises); outputs are still cleared and cells tagged. Returns the graded cells' ids.
    """
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    notebook = nbformat.read(source, as_version=4)
    resources = {}
    preprocessors = [ClearOutput()] if keep_solutions else [ClearSolutions(), ClearHiddenTests(), ClearOutput()]
    for preprocessor in preprocessors:
        notebook, resources = preprocessor.preprocess(notebook, resources)
    graded = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        if "raises-exception" not in tags:
            tags.append("raises-exception")
        if cell.metadata.get("nbgrader", {}).get("grade"):
            graded.append(cell.metadata["nbgrader"].get("grade_id"))
    Path(destination).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)
    return graded
