"""Driving JupyterLab 4 from Playwright the way a student uses it, and reading back what they see.

Selectors are JupyterLab's own class names (jp-*, lm-*) and ipywidgets' (widget-*, jupyter-widgets);
the course's widgets add their own CSS hooks (nnlib-*, listed in nnlib/widgets/__init__.py).
"""
import re
import time

# Console errors that are not the course's fault and say nothing about what a student sees. Every
# entry names the message and why it is harmless; everything else reported on the console is a
# test failure. Keep this list short.
CONSOLE_ALLOW_LIST = [
    # (regular expression, why it may be ignored)
]


class BrowserLog:
    """Everything a page reports that a student would not want: console errors, uncaught exceptions,
    and attempts to reach anything but the local server (the course must work offline; the
    attempts are blocked, so a test can never pass only because the network happened to be there).
    """

    def __init__(self, page, server_url):
        self.server_url = server_url
        self.console_errors = []
        self.page_errors = []
        self.external_requests = []
        self.ignored = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{error.name}: {error.message}"))
        page.route("**/*", self._route)

    def _on_console(self, message):
        if message.type != "error":
            return
        text = message.text
        location = message.location or {}
        where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})" if location.get("url") else ""
        for pattern, _why in CONSOLE_ALLOW_LIST:
            if re.search(pattern, text):
                self.ignored.append(text)
                return
        self.console_errors.append(text + where)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.server_url) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external_requests.append(url)
            route.abort()

    def clear(self):
        """Forget what was reported so far (the next test starts with a clean record)."""
        for record in (self.console_errors, self.page_errors, self.external_requests, self.ignored):
            record.clear()

    def problems(self):
        """Human-readable list of everything that went wrong so far (empty when all is well)."""
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught exception in the page: {text}" for text in self.page_errors]
            + [f"request to the outside world (blocked): {url}" for url in self.external_requests]
        )


ACTIVE_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the open notebook's tab: toolbar and cells
ACTIVE_NOTEBOOK = f"{ACTIVE_PANEL} .jp-Notebook"


# --- opening and running ------------------------------------------------------------------------

_KERNEL_IDLE = """() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
    const status = [...document.querySelectorAll('.jp-StatusBar-TextItem')]
        .map(item => item.textContent).join(' ');
    return !!indicator && indicator.dataset.status === 'idle' && /\\|\\s*Idle/.test(status);
}"""


def kernel_idle(page):
    """Whether the open notebook's kernel is connected and idle right now."""
    return page.evaluate(_KERNEL_IDLE)


def wait_for_kernel_idle(page, timeout=60):
    """Wait until the open notebook's kernel is connected and idle (status bar says "Idle")."""
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout * 1000)


def open_lab(page, server_url, workspace="browser-tests", timeout=60):
    """Load JupyterLab once in ``page`` with a fresh (reset) workspace and wait until it is ready.

    The server runs with ``--LabApp.expose_app_in_browser=True`` so that notebooks can then be opened
    inside this one running application (``window.jupyterapp``), which saves reloading JupyterLab's
    scripts for every notebook.
    """
    page.goto(f"{server_url}/lab/workspaces/{workspace}?reset")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout * 1000)
    page.evaluate("() => window.jupyterapp.restored")
    page.wait_for_selector(".jp-LabShell", timeout=timeout * 1000)


def close_all_documents(page):
    """Close every open tab without the "save your changes?" dialog (the copies are throw-aways)."""
    page.evaluate(
        """() => {
            for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
                if (widget.context) widget.context.model.dirty = false;
                widget.close();
            }
        }"""
    )
    page.wait_for_function(
        # JupyterLab opens a Launcher when the last tab closes: wait for "no documents", not "no tabs".
        "() => Array.from(window.jupyterapp.shell.widgets('main')).every(widget => !widget.context)",
        timeout=10_000,
    )


def open_notebook(page, name, timeout=60):
    """Open ``name`` (relative to the server's root) in the running JupyterLab; wait for its kernel."""
    page.evaluate("(path) => window.jupyterapp.commands.execute('docmanager:open', {path})", name)
    page.wait_for_selector(f"{ACTIVE_NOTEBOOK} .jp-Cell", timeout=timeout * 1000)
    wait_for_kernel_idle(page, timeout)


def click_menu(page, menu, item):
    """Click ``menu`` in the main menu bar, then ``item`` in it, as a student would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def code_cell_states(page):
    """For every code cell: its index, prompt text and whether its source is empty."""
    return page.evaluate(
        """(notebook) => [...document.querySelectorAll(`${notebook} .jp-CodeCell`)].map((cell, index) => ({
            index,
            prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
            empty: !((cell.querySelector('.cm-content') || {}).textContent || '').trim(),
        }))""",
        ACTIVE_NOTEBOOK,
    )


def run_all_cells(page, timeout=90, settle=8.0):
    """Run → Run All Cells, then wait until every non-empty code cell has run and the kernel is idle.

    Returns the code cells that never ran (empty when all did): if no cell shows "[*]" and the
    kernel stays idle for ``settle`` seconds while cells still show "[ ]", execution was aborted (a
    failing cell without the raises-exception tag) and waiting longer would not help. Both signs
    are needed: on a loaded machine the kernel goes idle between two queued cells, and the front
    end can lag seconds behind the kernel in redrawing the prompts. Raises TimeoutError after
    ``timeout`` seconds of running.
    """
    click_menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        states = code_cell_states(page)
        running = [s for s in states if "*" in s["prompt"]]
        pending = [s for s in states if not s["empty"] and not re.search(r"\[\d+\]", s["prompt"])]
        if not pending:
            wait_for_kernel_idle(page, timeout=max(1, deadline - time.monotonic()))
            return []
        if running or not kernel_idle(page):
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > settle:
            return pending
        page.wait_for_timeout(200)
    raise TimeoutError(
        f"Run All Cells did not finish in {timeout} s; code cells not run: "
        + ", ".join(f"#{s['index']} prompt {s['prompt']!r}" for s in pending)
    )


# --- what the student sees ----------------------------------------------------------------------

def cell_report(page):
    """For every code cell: its index, the head of its source, and its top-level outputs.

    An output is described by its MIME type (JupyterLab leaves it blank for widget views), its text,
    and whether it is a widget: a rendered view (a ``.jupyter-widgets`` element), a widget that
    failed or is still loading (the widget renderer's own messages), or a widget that fell back to
    its plain-text repr such as ``VBox(children=(...))`` because the widget manager is missing.
    Outputs nested inside widgets (an Output widget's plot) belong to the widget, not the cell.
    """
    return page.evaluate(
        """([notebook, failures]) => [...document.querySelectorAll(`${notebook} .jp-CodeCell`)].map((cell, index) => ({
            index,
            source: ((cell.querySelector('.cm-content') || {}).innerText || '').slice(0, 300),
            outputs: [...cell.querySelectorAll(
                    '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output')].map(output => {
                const text = (output.innerText || '').slice(0, 2000);
                const mime = output.dataset.mimeType || '';
                const hasView = !!output.querySelector(':scope > .jupyter-widgets');
                // ipywidgets replaces a view that failed to build (even one nested in a Box)
                // by an error view: "Click to show javascript error."
                const failed = failures.some(failure => text.includes(failure))
                    || !!output.querySelector('.jupyter-widgets-error-widget');
                const reprFallback = mime === 'text/plain'
                    && /^[A-Z][A-Za-z]*(Box|Explorer|Stepper|Canvas|Bridge|Training)\\(/.test(text);
                return {
                    mime, text, hasView, failed, reprFallback,
                    isWidget: hasView || failed || reprFallback || output.classList.contains('jupyter-widgets'),
                    error: mime === 'application/vnd.jupyter.stderr' && /Traceback|Error/.test(text),
                };
            }),
        }))""",
        [ACTIVE_NOTEBOOK, list(WIDGET_FAILURES)],
    )


WIDGET_FAILURES = ("Error displaying widget", "model not found", "Loading widget...",
                   "Click to show javascript error")


def wait_for_widgets(page, timeout=30):
    """Wait until no output still says "Loading widget..." (or give up and let the checks report)."""
    try:
        page.wait_for_function(
            """(notebook) => [...document.querySelectorAll(`${notebook} .jp-OutputArea-output`)]
                .every(output => !(output.textContent || '').includes('Loading widget...'))""",
            arg=ACTIVE_NOTEBOOK,
            timeout=timeout * 1000,
        )
    except Exception:  # noqa: BLE001 - widget_problems() then says exactly which widget is stuck
        pass


def widget_problems(cells):
    """Problems with widget outputs in a ``cell_report``: failed, stuck, unrendered views."""
    problems = []
    for cell in cells:
        for output in cell["outputs"]:
            if output["failed"]:
                problems.append(f"cell #{cell['index']}: widget shows {output['text'][:200]!r}")
            elif output["reprFallback"]:
                problems.append(
                    f"cell #{cell['index']}: widget shown as plain text (no widget manager in the page?): "
                    f"{output['text'][:200]!r}"
                )
    return problems


def error_outputs(cells):
    """(cell index, source head, error text) for every cell that shows a traceback."""
    found = []
    for cell in cells:
        for output in cell["outputs"]:
            if output["error"] or "Traceback (most recent call last)" in output["text"]:
                found.append((cell["index"], cell["source"].splitlines()[0] if cell["source"] else "", output["text"]))
                break
    return found


# The element that scrolls the open notebook: the one around its cells whose content is taller
# than itself (JupyterLab 4's windowed panel; which element that is differs between versions).
FIND_SCROLLER = """() => {
    const notebook = document.querySelector('%s');
    const candidates = [...notebook.querySelectorAll('.jp-WindowedPanel-outer'), notebook];
    for (let element = notebook.parentElement; element; element = element.parentElement) {
        candidates.push(element);
    }
    return candidates.find(element => element.scrollHeight > element.clientHeight + 1) || notebook;
}""" % ACTIVE_NOTEBOOK


def save_screenshots(page, directory, stem, max_height=8000):
    """Save the whole notebook as ``<stem>.png`` and each widget as ``<stem>-widget-<n>.png``.

    JupyterLab scrolls the notebook inside its own panel, so a page screenshot shows one screenful
    and a widget taller than the window is cut by the toolbar; the viewport is made as tall as the
    notebook (at most ``max_height`` pixels) for the pictures, then restored.
    """
    size = page.viewport_size
    height = page.evaluate(f"() => ({FIND_SCROLLER})().scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max_height, int(height) + 200)})
    try:
        page.evaluate(f"() => {{ ({FIND_SCROLLER})().scrollTop = 0; }}")
        page.wait_for_timeout(300)
        page.screenshot(path=str(directory / f"{stem}.png"))
        for old in directory.glob(f"{stem}-widget-*.png"):
            old.unlink()
        outputs = page.locator(
            f"{ACTIVE_NOTEBOOK} .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
            ":has(> .jupyter-widgets)"
        )
        for number in range(outputs.count()):
            output = outputs.nth(number)
            output.scroll_into_view_if_needed()
            output.screenshot(path=str(directory / f"{stem}-widget-{number + 1}.png"))
    finally:
        page.set_viewport_size(size)


# --- nbgrader's lab extension: what a student must not see, and the Validate button ---------------

# The commands of nbgrader's instructor (and exchange) plugins: a student's lab has none of them.
# nbgrader 0.9's labextension (@jupyter/nbgrader) registers them in its plugins formgrader,
# course-list, assignment-list and create-assignment; its plugin menu puts them in the menu bar.
NBGRADER_COMMANDS = (
    "nbgrader:open-formgrader",
    "nbgrader:open-formgrader-local",
    "nbgrader:open-course-list",
    "nbgrader:open-assignment-list",
    "nbgrader:open-create-assignment",
)


def nbgrader_ui(page):
    """What of nbgrader's instructor tools the running JupyterLab offers: the menu bar's menus, the
    side panels' titles, and which of ``NBGRADER_COMMANDS`` exist (needs ``window.jupyterapp``)."""
    return page.evaluate(
        """(commands) => ({
            menus: [...document.querySelectorAll('#jp-menu-panel .lm-MenuBar-itemLabel')]
                .map(label => label.textContent),
            panels: ['left', 'right'].flatMap(area => [...window.jupyterapp.shell.widgets(area)])
                .map(widget => widget.title.label || widget.title.caption || widget.id),
            commands: commands.filter(command => window.jupyterapp.commands.hasCommand(command)),
        })""",
        list(NBGRADER_COMMANDS),
    )


def menu_items(page, menu):
    """The labels of the items in main-menu ``menu`` (opened, read, closed again)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    page.wait_for_selector(".lm-Menu .lm-Menu-itemLabel")
    labels = page.locator(".lm-Menu .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    return [label for label in labels if label.strip()]
