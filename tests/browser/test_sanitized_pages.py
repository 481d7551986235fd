"""A hostile submission's pages in a real browser: the formgrader (in the instructor's JupyterLab)
and the feedback HTML run none of its attacks and load nothing it names.

A course is built from tests/grading/data/fx_basics.ipynb with students graded through the real
pipeline (collect, sandboxed autograde, feedback): "hostile" (autograder.tools.hostile_pages,
every attack aimed at a listener this test opens on 127.0.0.1) and "partial" (the same answers,
no attacks: the baseline of what the pages themselves load).  Every attack, if it ran, would push
its name onto ``window.__pwned``, set the title to "PWNED ..." and ask the listener for a file.
Two controls show that they do run here when not sanitised: the attacks rendered by nbconvert
into an HTML file, and the formgrader's page of a graded notebook ("control") overwritten with
them as a notebook recorded before sanitising existed would hold them.
"""
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nbformat
import pytest

from .conftest import REPOSITORY, VIEWPORT
from .jlab import open_lab
from .lab import LabServer

DATA = REPOSITORY / "tests" / "grading" / "data"
ASSIGNMENT = "fx_basics"
SETTLE_MS = 2500          # after load: time for handlers, timers and refreshes to fire
# Not in the control page: a refresh navigates the page away before it can be read, and a missing
# attachment stops nbconvert (the sanitised pages have both).
NOT_IN_CONTROL = ("md meta-refresh", "html meta-refresh", "md-missing-attachment")


class Listener:
    """An HTTP server on 127.0.0.1 that records the path of every request it gets."""

    def __init__(self):
        paths = self.paths = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def graded(chromium_executable, listener, tmp_path_factory):
    """(course, server root): the class graded, feedback made, inside a folder a server can serve."""
    from autograder.course import Course
    from autograder.sandbox import check
    from autograder.stages.autograde import autograde
    from autograder.stages.build import build
    from autograder.stages.collect import collect
    from autograder.stages.feedback import feedback
    from autograder.tools.hostile_pages import hostile_submission
    from autograder.tools.sample_class import make_submission

    ok, lines = check.check()
    if not ok:
        pytest.skip("the sandbox cannot run here, so the hostile class is not graded: "
                    + " | ".join(lines))
    root = tmp_path_factory.mktemp("formgrader-root")
    course = Course(root / "course", DATA, cell_timeout=5, notebook_timeout=30)
    build(course)
    source = nbformat.read(course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    release = nbformat.read(course.release_path(ASSIGNMENT), 4)
    inbox = root / "inbox"
    for student, nb in (("hostile", hostile_submission(source, release, listener.url)),
                        ("partial", make_submission("partial", source, release)),
                        ("control", make_submission("partial", source, release))):
        target = inbox / student / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(nb, target / f"{ASSIGNMENT}.ipynb")
    collect(course, inbox)
    results = {r.student: r for r in autograde(course, workers=2, progress=False)}
    assert {r.status for r in results.values()} == {"graded"}, results
    assert len(feedback(course)) == 3
    return course, root


@pytest.fixture(scope="module")
def formgrader(graded, artifacts, tmp_path_factory):
    """JupyterLab with the instructor's configuration (nbgrader's formgrader on), run from the
    course folder as ``make instructor-lab`` runs it, serving the folder around it."""
    course, root = graded
    with LabServer(root, tmp_path_factory.mktemp("instructor-state"),
                   artifacts / "formgrader.log", role="instructor", cwd=course.root) as server:
        yield server


def submission_id(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        return gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id


class Watch:
    """Every request a page makes, except to ``own`` (its server, file:, data:): those outside are
    recorded -- let through to the listener (which records them too), blocked elsewhere."""

    def __init__(self, page, own, listener):
        self.requests = []
        self.listener = listener

        def route(route):
            url = route.request.url
            if url.startswith((*own, "data:", "blob:", "about:")):
                route.continue_()
                return
            self.requests.append(url)
            if url.startswith(listener.url):
                route.continue_()
            else:
                route.abort()

        page.context.route("**/*", route)       # the page, its iframes and workers


def marks(frame):
    """What the attacks would have left in ``frame``: ``__pwned`` and the title."""
    return frame.evaluate("() => ({pwned: window.__pwned || [], title: document.title})")


def click_everything(frame):
    """Click every link and button a reader might (a javascript: link, a form's Submit)."""
    for selector in ("#notebook-container a:not([href^='#'])", "#notebook a:not([href^='#'])",
                     "#notebook-container button", "#notebook button"):
        for element in frame.locator(selector).all():
            try:
                element.click(timeout=2000, no_wait_after=True)
            except Exception:  # noqa: BLE001 - hidden or detached: nothing a reader could click
                pass


def visit(browser, url, own, listener, artifacts, picture, clicks=True):
    """Open ``url`` in a fresh page; return (marks, requests outside, visible text, final url)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    watch = Watch(page, own, listener)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_timeout(SETTLE_MS)
        if clicks:
            click_everything(page)
            page.wait_for_timeout(500)
        seen = marks(page)
        text = page.inner_text("body")
        final = page.url
        page.screenshot(path=str(artifacts / picture), full_page=True)
    finally:
        context.close()
    return seen, watch.requests, text, final


def honest_sentences(listener_url):
    from autograder.tools.hostile_pages import hostile_cells

    found = []
    for _, cell in hostile_cells(listener_url):
        found += re.findall(r"HONEST [^.<>'\"]*?\.", cell.source)
    return found


def without_ids(urls, *ids):
    """The URLs with the submission ids made alike (the honest and hostile pages differ in it)."""
    out = set()
    for url in urls:
        for value in ids:
            url = url.replace(value, "<id>")
        out.add(url)
    return out


def unsanitised_attacks(listener):
    """The attacks' cells executed by a real kernel, not sanitised (without those that would
    navigate the page away or stop nbconvert: NOT_IN_CONTROL)."""
    from nbclient import NotebookClient

    from autograder.tools.hostile_pages import hostile_cells

    nb = nbformat.v4.new_notebook(cells=[c for name, c in hostile_cells(listener.url)
                                         if name not in NOT_IN_CONTROL])
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    return nb.cells


def reached_since(listener, before):
    """The listener's requests since ``before`` (then forgotten: the other tests expect none)."""
    reached = listener.paths[before:]
    del listener.paths[before:]
    return reached


@pytest.mark.timeout(600)
def test_control_the_attacks_run_in_a_page_made_without_sanitising(browser, listener, artifacts,
                                                                   tmp_path):
    """Control for the feedback page: the attacks rendered by nbconvert into an HTML file (as
    feedback would without sanitising) run here and reach the listener."""
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(cells=unsanitised_attacks(listener))
    page = tmp_path / "control.html"
    page.write_text(HTMLExporter(template_name="classic").from_notebook_node(nb)[0],
                    encoding="utf-8")
    before = len(listener.paths)
    seen, _, _, _ = visit(browser, page.as_uri(), ("file:",), listener, artifacts,
                          "sanitize-control.png", clicks=False)
    reached = reached_since(listener, before)
    # (application/javascript needs jQuery, which this template loads from a CDN: blocked here)
    assert {"script", "onerror", "svg-onload", "svg-script", "details"} <= set(seen["pwned"]), seen
    assert seen["title"].startswith("PWNED"), seen
    for name in ("/script", "/remote-image.png", "/style-import.css", "/iframe",
                 "/out-filenames.png", "/md-remote-image.png"):
        assert name in reached, (name, reached)


@pytest.mark.timeout(600)
def test_control_the_formgrader_runs_an_unsanitised_notebook(graded, formgrader, browser,
                                                            listener, artifacts):
    """Control for the formgrader: a graded notebook holding the attacks unsanitised (written into
    course/autograded/ behind Course.record's back) runs them in the formgrader's page, its
    application/javascript outputs included."""
    course, _ = graded
    path = course.root / "autograded" / "control" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    nb.cells.extend(unsanitised_attacks(listener))
    nbformat.write(nb, path)
    before = len(listener.paths)
    seen, _, _, _ = visit(browser, f"{formgrader.url}/formgrader/submissions/"
                          f"{submission_id(course, 'control')}/", (formgrader.url,), listener,
                          artifacts, "formgrader-control.png", clicks=False)
    reached = reached_since(listener, before)
    assert {"script", "onerror", "svg-onload", "out-javascript"} <= set(seen["pwned"]), seen
    assert "/out-javascript" in reached and "/remote-image.png" in reached, reached


@pytest.mark.timeout(600)
def test_feedback_page_runs_and_loads_nothing_of_the_submission(graded, browser, listener,
                                                               artifacts):
    """The hostile student's feedback HTML, opened from disk: no attack ran, nothing reached the
    listener, it asked for nothing the honest student's page does not (MathJax from its CDN,
    blocked here), and every honest sentence is on it."""
    course, _ = graded
    pages = {student: course.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
             for student in ("hostile", "partial")}
    _, baseline, _, _ = visit(browser, pages["partial"].as_uri(), ("file:",), listener, artifacts,
                              "feedback-honest.png", clicks=False)
    seen, requests, text, final = visit(browser, pages["hostile"].as_uri(), ("file:",), listener,
                                        artifacts, "feedback-hostile.png")
    assert seen == {"pwned": [], "title": ASSIGNMENT}, seen
    assert final == pages["hostile"].as_uri()
    assert listener.paths == []
    assert set(requests) <= set(baseline), set(requests) - set(baseline)
    for sentence in honest_sentences(listener.url):
        assert sentence in text


@pytest.mark.timeout(600)
def test_formgrader_submission_page_runs_and_loads_nothing(graded, formgrader, browser, listener,
                                                         artifacts):
    """The formgrader's page of the hostile submission (nbgrader 0.9's
    /formgrader/submissions/<id>/): no attack ran, nothing reached the listener, it asked the
    server and the outside for nothing the honest student's page does not, the honest text shows."""
    course, _ = graded
    ids = {student: submission_id(course, student) for student in ("hostile", "partial")}
    url = f"{formgrader.url}/formgrader/submissions/{{}}/"
    own = (formgrader.url,)
    seen_honest, baseline, _, _ = visit(browser, url.format(ids["partial"]), own, listener,
                                        artifacts, "formgrader-honest.png", clicks=False)
    seen, requests, text, final = visit(browser, url.format(ids["hostile"]), own, listener,
                                        artifacts, "formgrader-hostile.png")
    assert re.search(r"Submission \d / 3", text), text[:500]
    assert seen["pwned"] == [] and "PWNED" not in seen["title"], seen
    assert final.split("?")[0] == url.format(ids["hostile"])     # (?index=: the grader's focus)
    assert listener.paths == []
    assert without_ids(requests, *ids.values()) <= without_ids(baseline, *ids.values())
    for sentence in honest_sentences(listener.url):
        assert sentence in text


@pytest.mark.timeout(600)
def test_formgrader_inside_the_instructors_lab_runs_nothing(graded, formgrader, browser, listener,
                                                           artifacts):
    """As the instructor sees it: JupyterLab's Formgrader panel (an iframe of the same origin as
    the lab, so a script in it could drive the lab) showing the hostile submission: neither the
    panel nor the lab around it was touched, nothing reached the listener."""
    course, _ = graded
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    Watch(page, (formgrader.url,), listener)
    try:
        open_lab(page, formgrader.url, workspace="formgrader")
        page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-formgrader')")
        page.wait_for_selector("#formgrader iframe", timeout=60_000)
        panel = page.frame_locator("#formgrader iframe")
        panel.locator("body").wait_for(timeout=60_000)
        frame = next(f for f in page.frames if "/formgrader" in f.url)
        target = f"{formgrader.url}/formgrader/submissions/{submission_id(course, 'hostile')}/"
        frame.goto(target, wait_until="load")
        page.wait_for_timeout(SETTLE_MS)
        click_everything(frame)
        page.wait_for_timeout(500)
        inner, outer = marks(frame), marks(page)
        text = frame.inner_text("body")
        page.screenshot(path=str(artifacts / "formgrader-in-lab.png"))
    finally:
        context.close()
    assert inner["pwned"] == [] and "PWNED" not in inner["title"], inner
    assert outer["pwned"] == [] and "PWNED" not in outer["title"], outer
    assert listener.paths == []
    assert "HONEST md script." in text and "HONEST html script." in text
