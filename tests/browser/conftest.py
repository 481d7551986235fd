"""Fixtures for the browser suite: one JupyterLab server and one headless Chromium per session.

The server's root is a temporary directory holding the *student* version of every notebook in
notebooks/ (plus the harness's own smoke notebook), so the tests see what a student who has solved
nothing yet sees. Screenshots and the server log go to tests/browser/artifacts/ (git-ignored).
"""
import os
from pathlib import Path

import pytest

from . import setup
from .jlab import BrowserLog, close_all_documents, open_lab
from .lab import LabServer, student_version

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
NOTEBOOKS = REPOSITORY / "notebooks"
HARNESS_NOTEBOOK = HERE / "data" / "harness_smoke.ipynb"
BROKEN_NOTEBOOK = HERE / "data" / "broken_widget.ipynb"  # proves the checks can fail
ARTIFACTS = HERE / "artifacts"

# data/ holds a notebook for the browser, not for nbval; artifacts/ holds pictures.
collect_ignore = ["data", "artifacts"]

# Flags from the brief: no sandbox (root in containers), no GPU, and nothing that phones home.
# Playwright itself adds --headless and a fresh temporary --user-data-dir for every launch.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often give /dev/shm only 64 MB
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}


# Notebooks whose widgets only work once exercises are solved would be listed here and served in
# their *source* version (with the solutions). Every notebook's widgets now work for a student who
# has solved nothing yet (06's Start says which exercises to finish; its canvas uses nnlib's
# reference model until the student's own network is trained), so all are served as students get them.
NEEDS_SOLUTIONS = {}


def course_notebooks():
    """The notebooks the suite opens: the harness's smoke notebook first, then notebooks/*.ipynb."""
    return [HARNESS_NOTEBOOK, *sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))]


@pytest.fixture(scope="session")
def chromium_executable():
    """Path of Chromium; skips the suite without one -- but fails under CI=true, never skips."""
    path, message = setup.ensure_chromium() if setup.in_ci() else (setup.find_chromium(), None)
    if path is not None and setup.chromium_version(path) is None:
        path, message = None, f"{path} exists but does not start (`{path} --version` fails)"
    if path is None:
        message = message or setup.missing_browser_message()
        if setup.in_ci():
            pytest.fail(f"CI=true and no usable browser: {message}", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def course_root(tmp_path_factory):
    """A temporary root_dir with the student version of each notebook; maps file name to the
    grade_ids of its graded test cells (expected to fail for a student who has solved nothing)."""
    root = tmp_path_factory.mktemp("course")
    graded = {}
    for notebook in [*course_notebooks(), BROKEN_NOTEBOOK]:
        solved = notebook.stem in NEEDS_SOLUTIONS
        graded[notebook.name] = student_version(notebook, root / notebook.name, keep_solutions=solved)
    return root, graded


@pytest.fixture(scope="session")
def lab(chromium_executable, course_root, artifacts, tmp_path_factory):
    """JupyterLab serving the student notebooks on 127.0.0.1; stopped (with its kernels) at the end."""
    root, _ = course_root
    with LabServer(root, tmp_path_factory.mktemp("jupyter-state"), artifacts / "jupyterlab.log") as server:
        yield server


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lab_page(browser, lab):
    """One page with JupyterLab loaded, shared by the notebook tests: each test opens its notebook
    in this running application (reloading JupyterLab per notebook would cost ~8 s each)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.browser_log = BrowserLog(page, lab.url)
    open_lab(page, lab.url)
    yield page
    context.close()


@pytest.fixture
def page(lab_page, lab):
    """The JupyterLab page with no notebook open, no kernel running and a clean record of console
    errors, exceptions and outside requests (``page.browser_log``)."""
    assert not lab_page.is_closed(), "the JupyterLab page was closed or crashed in an earlier test"
    close_all_documents(lab_page)
    lab.shut_down_kernels()
    lab_page.set_viewport_size(VIEWPORT)
    lab_page.browser_log.clear()
    yield lab_page


def pytest_report_header(config):
    path = setup.find_chromium()
    return f"browser tests: chromium {path or 'NOT FOUND'}; CI={os.environ.get('CI', '')!r}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped browser test is a failure: CI must prove the widgets in a browser."""
    outcome = yield
    report = outcome.get_result()
    if setup.in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"CI=true forbids skipping browser tests: {report.longrepr}"
