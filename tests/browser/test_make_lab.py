"""`make lab` the way a new user meets it: the server starts, the course opens in JupyterLab, and the
first notebook is a double-click away on the landing page.

The real ``make lab`` runs (it builds the student versions into student/ -- git-ignored, and never
overwriting a student's file -- then starts ``jupyter lab --notebook-dir=student``). What a test
needs on top (a free port on 127.0.0.1, no browser, no token, no news pop-up, ``allow_root`` in CI
containers) comes from a jupyter_server_config.json in a temporary JUPYTER_CONFIG_DIR, so the
Makefile's command line is exactly the one a student runs.
"""
import json
import os
import shutil
import signal
import subprocess

import pytest

from .conftest import NOTEBOOKS, REPOSITORY, VIEWPORT
from .jlab import ACTIVE_NOTEBOOK, BrowserLog, wait_for_kernel_idle
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


@pytest.fixture(scope="module")
def make_lab(chromium_executable, tmp_path_factory, artifacts):
    """Run ``make lab`` with test-only server settings; yield the server's URL; stop it after."""
    if shutil.which("make") is None:
        pytest.fail("`make` is not installed, and `make lab` is how students start the course")
    state = tmp_path_factory.mktemp("make-lab-state")
    env = isolated_environment(state)
    port = free_port()
    config = {
        "ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False,
                      "allow_root": True},
        "IdentityProvider": {"token": ""},
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }
    (state / "config" / "jupyter_server_config.json").write_text(json.dumps(config, indent=2))
    log_path = artifacts / "make-lab.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "lab"], cwd=REPOSITORY, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, process, log_path, timeout=150)
        yield url
    finally:
        stop_process_group(process)


@pytest.mark.timeout(200)
def test_make_lab_opens_the_first_notebook(make_lab, browser, artifacts):
    """The landing page lists the course's notebooks; double-clicking the first one opens it."""
    name = first_notebook()
    assert name is not None, "notebooks/ holds no numbered notebook"
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    log = BrowserLog(page, make_lab)
    try:
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
        problems = log.problems()
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)
    except Exception:
        print(tail(artifacts / "make-lab.log"))
        raise
    finally:
        page.screenshot(path=str(artifacts / "make-lab.png"))
        context.close()
