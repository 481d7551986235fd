"""`make lab` the way a new user meets it: the server starts, the course opens in JupyterLab, and the
first notebook is a double-click away on the landing page; nbgrader's instructor tools are absent,
and `make instructor-lab` brings them back.

The real ``make lab`` runs (it builds the student versions into student/ -- git-ignored, and never
overwriting a student's file -- then starts ``jupyter lab --notebook-dir=student``), and so does the
real ``make instructor-lab`` (it builds course/, git-ignored too). What a test needs on top (a free
port on 127.0.0.1, no browser, no token, no news pop-up, ``allow_root`` in CI containers, and
``window.jupyterapp`` to ask which commands exist) comes from a jupyter_server_config.json in a
temporary JUPYTER_CONFIG_DIR, so the Makefile's command line is exactly the one a student runs.
"""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess

import urllib.error
import urllib.request

import pytest

from .conftest import NOTEBOOKS, REPOSITORY, VIEWPORT
from .jlab import (ACTIVE_NOTEBOOK, ACTIVE_PANEL, NBGRADER_COMMANDS, BrowserLog, menu_items, nbgrader_ui,
                   open_lab, open_notebook, wait_for_kernel_idle)
from .lab import free_port, isolated_environment, tail, wait_for_server


def first_notebook():
    notebooks = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    return notebooks[0].name if notebooks else None


def stop_process_group(process, timeout=20):
    """Stop ``make`` and the JupyterLab it started (its own process group, see start_new_session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    try:  # make may have exited first, leaving JupyterLab behind in the group
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def running(target, tmp_path_factory, artifacts, timeout):
    """Run ``make <target>`` with test-only server settings; yield the server's URL; stop it after.
    ``timeout``: seconds for the server to answer (the target builds the course's notebooks first)."""
    if shutil.which("make") is None:
        pytest.fail(f"`make` is not installed, and `make {target}` is how the course is started")
    state = tmp_path_factory.mktemp(f"make-{target}-state")
    env = isolated_environment(state)
    port = free_port()
    config = {
        "ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False,
                      "allow_root": True},
        "IdentityProvider": {"token": ""},
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                   "expose_app_in_browser": True},
    }
    (state / "config" / "jupyter_server_config.json").write_text(json.dumps(config, indent=2))
    log_path = artifacts / f"make-{target}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", target], cwd=REPOSITORY, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, process, log_path, timeout=timeout)
        yield url
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def make_lab(chromium_executable, tmp_path_factory, artifacts):
    """The URL of a running ``make lab``."""
    with running("lab", tmp_path_factory, artifacts, timeout=150) as url:
        yield url


@pytest.fixture(scope="module")
def make_instructor_lab(chromium_executable, tmp_path_factory, artifacts):
    """The URL of a running ``make instructor-lab``."""
    with running("instructor-lab", tmp_path_factory, artifacts, timeout=300) as url:
        yield url


def status(url):
    """The HTTP status a GET of ``url`` gets from the server."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# The server halves of nbgrader's instructor and exchange tools (nbgrader.server_extensions.*).
NBGRADER_PAGES = ("formgrader", "courses", "assignments")
# nbgrader's front-end plugins that only an instructor (or a course with an exchange) needs; the
# remaining one, @jupyter/nbgrader:validate-assignment, is the Validate button.
INSTRUCTOR_PLUGINS = tuple(f"@jupyter/nbgrader:{name}" for name in
                           ("menu", "create-assignment", "formgrader", "course-list", "assignment-list"))


def disabled_plugins(url):
    """The front-end plugins switched off in the page config the server sends with ``url``."""
    with urllib.request.urlopen(url, timeout=30) as response:
        html = response.read().decode()
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    assert config, f"{url} sends no jupyter-config-data"
    return json.loads(config.group(1)).get("disabledExtensions", [])


@contextlib.contextmanager
def new_page(browser, url, artifacts, target, picture):
    """A fresh browser page for the server of ``make <target>`` at ``url``. The test passes only if
    the browser reports no problems; on a failure the server log's tail is printed; ``picture`` is
    saved either way."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    log = BrowserLog(page, url)
    try:
        yield page
        problems = log.problems()
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)
    except Exception:
        print(tail(artifacts / f"make-{target}.log"))
        raise
    finally:
        page.screenshot(path=str(artifacts / picture))
        context.close()


@pytest.mark.timeout(200)
def test_make_lab_opens_the_first_notebook(make_lab, browser, artifacts):
    """The landing page lists the course's notebooks; double-clicking the first one opens it."""
    name = first_notebook()
    assert name is not None, "notebooks/ holds no numbered notebook"
    with new_page(browser, make_lab, artifacts, "lab", "make-lab.png") as page:
        page.goto(f"{make_lab}/lab")
        listing = page.locator(".jp-DirListing-content .jp-DirListing-item")
        page.wait_for_selector(".jp-DirListing-content .jp-DirListing-item", timeout=60_000)
        names = listing.locator(".jp-DirListing-itemText").all_inner_texts()
        expected = sorted(path.name for path in NOTEBOOKS.glob("[0-9]*.ipynb"))
        missing = [notebook for notebook in expected if notebook not in names]
        assert not missing, f"the file browser of `make lab` does not list {missing}; it shows {names}"

        item = listing.filter(has_text=name).first
        item.scroll_into_view_if_needed()
        item.dblclick()
        page.wait_for_selector(f"{ACTIVE_NOTEBOOK} .jp-Cell", timeout=60_000)
        wait_for_kernel_idle(page)
        title = page.locator(f"{ACTIVE_NOTEBOOK} .jp-MarkdownCell h1").first.inner_text()
        assert title.strip(), "the first notebook opened without a title"
        tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first.inner_text()
        assert tab == name, f"the open tab is {tab!r}, expected {name!r}"


@pytest.mark.timeout(200)
def test_make_lab_shows_no_instructor_tools(make_lab, browser, artifacts):
    """`make lab` has no Nbgrader menu, no Create Assignment sidebar, none of nbgrader's instructor
    commands and no formgrader page -- and keeps the Validate button on a notebook."""
    with new_page(browser, make_lab, artifacts, "lab", "make-lab-student-tools.png") as page:
        open_lab(page, make_lab, workspace="student-tools")
        open_notebook(page, first_notebook())
        seen = nbgrader_ui(page)
        assert "Nbgrader" not in seen["menus"], f"the student's menu bar has nbgrader's menu: {seen['menus']}"
        assert "Create Assignment" not in seen["panels"], f"the student sees nbgrader's sidebar: {seen['panels']}"
        assert seen["commands"] == [], f"instructor commands in the student's lab: {seen['commands']}"
        pages = {name: status(f"{make_lab}/{name}") for name in NBGRADER_PAGES}
        assert set(pages.values()) == {404}, f"nbgrader's instructor pages answer in the student's lab: {pages}"
        # The Notebook interface (the toolbar's "Notebook" button, /tree) leaves them out too.
        for view in ("lab", "tree"):
            missing = [name for name in INSTRUCTOR_PLUGINS if name not in disabled_plugins(f"{make_lab}/{view}")]
            assert not missing, f"/{view} of the student's lab still loads {missing}"
        validate = page.locator(f"{ACTIVE_PANEL} .jp-Toolbar .validate-button")
        assert validate.count() == 1, "the notebook's toolbar has no Validate button"


@pytest.mark.timeout(400)
def test_make_instructor_lab_shows_the_instructor_tools(make_instructor_lab, browser, artifacts):
    """`make instructor-lab` has the Nbgrader menu (assignment and course lists, formgrader, create
    assignment), the Create Assignment sidebar, and a formgrader that finds the course."""
    with new_page(browser, make_instructor_lab, artifacts, "instructor-lab", "make-instructor-lab.png") as page:
        # No notebook is opened: JupyterLab would write a checkpoint next to the source notebooks.
        open_lab(page, make_instructor_lab, workspace="instructor-tools")
        seen = nbgrader_ui(page)
        assert "Nbgrader" in seen["menus"], f"no Nbgrader menu in the instructor's lab: {seen['menus']}"
        items = menu_items(page, "Nbgrader")
        for item in ("Assignment List", "Course List", "Formgrader", "Create assignment"):
            assert item in items, f"the Nbgrader menu lacks {item!r}: {items}"
        assert "Create Assignment" in seen["panels"], f"no Create Assignment sidebar: {seen['panels']}"
        assert seen["commands"] == list(NBGRADER_COMMANDS)
        assert status(f"{make_instructor_lab}/formgrader") == 200
        # The formgrader reads course/nbgrader_config.py (make instructor-lab runs from course/):
        # its assignment list names the course's notebooks.
        page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-formgrader')")
        frame = page.frame_locator("#formgrader iframe")
        assignment = first_notebook().removesuffix(".ipynb")
        frame.locator("table td", has_text=assignment).first.wait_for(timeout=60_000)
