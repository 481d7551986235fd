"""Nothing a submission puts in its notebook runs or loads in the pages that show it.

The attacks are autograder.tools.hostile_pages's, their outputs made by a real IPython kernel.
Each unit test renders a notebook with nbconvert's HTMLExporter (the classic template, which both
nbgrader's feedback and formgrade templates extend) before and after autograder.course.sanitize,
and asks ``live`` -- a reading of the page's HTML -- what in it would run or load: the attack must
be live before and gone after, its honest neighbour readable after.  The pipeline test grades a
hostile submission through collect, the sandboxed autograde and feedback and asks the same of the
feedback page and of the formgrader's page for course/autograded/.
"""

import copy
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from autograder.course.sanitize import sanitize_notebook
from autograder.stages.autograde import autograde
from autograder.stages.collect import collect
from autograder.stages.feedback import feedback
from autograder.tools.hostile_pages import PNG, hostile_cells, hostile_submission
from autograder.tools.sample_class import make_submission

from .conftest import ASSIGNMENT, DATA, built_course, write_submission

URL = "http://evil.invalid:8000"       # .invalid never resolves: nothing is ever fetched
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# Attacks the page already neutralises by itself (nbconvert 7.17): checked in the notebook only.
INERT_IN_NBCONVERT = {
    "out-svg": "nbconvert shows an SVG output as <img src=data:...> (cleaned if inlined)",
    "md-attachment-types": "nbconvert shows only an attachment's image type",
    "out-widget-view": "without the widget manager a view is a JSON script (not code)",
    "md-missing-attachment": "not live: nbconvert raises, and the whole feedback run fails",
}


def live(html, url=URL):
    """What in page ``html`` would run a script or load something from ``url`` (empty: nothing):
    event handlers, javascript: URLs, the attacks' scripts and style sheets, anything naming
    ``url``, and the elements that embed, submit, redirect or re-base a page."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name.startswith("on"):
                found.append(f"<{tag.name} {name}=...>")
            elif url in value or re.sub(r"\s", "", value).lower().startswith("javascript:"):
                found.append(f"<{tag.name} {name}={value[:50]!r}>")
        if tag.name in ("script", "style") and ("__pwned" in tag.text or url in tag.text):
            found.append(f"<{tag.name}>{tag.text[:50]!r}")
        if tag.name in ("iframe", "object", "embed", "form", "base", "svg") or (
                tag.name == "meta" and tag.get("http-equiv")):
            found.append(f"<{tag.name}>")
    return found


def visible_text(html):
    """The page's text as a reader sees it (no scripts, no style sheets), whitespace collapsed."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(["script", "style"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def render(nb, **options):
    """The HTML page nbconvert makes of ``nb`` (a copy: the exporter's preprocessors edit it)."""
    exporter = HTMLExporter(template_name="classic", **options)
    return exporter.from_notebook_node(copy.deepcopy(nb))[0]


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=[copy.deepcopy(cell) for cell in cells],
                                    metadata={"language_info": {"name": "python"}})


@pytest.fixture(scope="module")
def attacks():
    """{name: cell} of every attack, executed by a real IPython kernel (outputs as it makes them)."""
    from nbclient import NotebookClient

    named = hostile_cells(URL)
    nb = notebook(*(cell for _, cell in named))
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=False).execute()
    return {name: cell for (name, _), cell in zip(named, nb.cells)}


def honest_sentences(cell):
    """The honest sentences a cell's source writes ("HONEST ... ." up to its full stop)."""
    return re.findall(r"HONEST [^.<>'\"]*?\.", cell.source)


LIVE = [name for name, _ in hostile_cells(URL)
        if not name.startswith("honest") and name not in INERT_IN_NBCONVERT]


def test_the_reading_finds_nothing_in_an_honest_page(attacks):
    """``live`` has no false alarm on an honest notebook's page (the template's own scripts and
    styles included), so each attack below is found because it is there."""
    nb = notebook(attacks["honest-markdown"], attacks["honest-outputs"],
                  *nbformat.read(DATA / f"{ASSIGNMENT}.ipynb", 4).cells)
    assert live(render(nb)) == []


@pytest.mark.parametrize("name", LIVE)
def test_an_attack_is_live_before_and_gone_after_its_neighbour_stays(attacks, name):
    """The attack runs or loads in nbconvert's page of the notebook as it is; after sanitising,
    nothing of it does, and the honest sentences beside it are still on the page."""
    nb = notebook(attacks[name])
    assert live(render(nb)), f"{name} is not live before sanitising: the test would prove nothing"
    removed = sanitize_notebook(nb)
    html = render(nb)
    assert live(html) == [], removed
    assert removed, "the sanitiser must say what it removed"
    text = visible_text(html)
    for sentence in honest_sentences(attacks[name]):
        assert sentence in text


def test_an_svg_output_becomes_an_image_of_itself(attacks):
    """An SVG output is kept only as an <img> of itself (its scripts never run, its links never
    load, whichever page shows it): the same SVG, as data."""
    import base64

    nb = notebook(attacks["out-svg"])
    svg = nb.cells[0].outputs[-1].data["image/svg+xml"]
    assert "<script>" in svg and "onload=" in svg
    sanitize_notebook(nb)
    assert "image/svg+xml" not in nb.cells[0].outputs[-1].data
    html = render(nb)
    assert live(html) == []
    image = BeautifulSoup(html, "html.parser").find("img", src=re.compile("^data:image/svg"))
    assert base64.b64decode(image["src"].split(",", 1)[1]).decode() == svg
    assert "HONEST out-svg." in visible_text(html)


def test_a_missing_attachment_no_longer_stops_the_page(attacks):
    """A reference to an attachment the cell lacks makes nbconvert raise (one such notebook fails
    the class's feedback run); sanitised, the page renders and shows the cell's text."""
    from nbconvert.filters.markdown_mistune import InvalidNotebook

    nb = notebook(attacks["md-missing-attachment"])
    with pytest.raises(InvalidNotebook):
        render(nb)
    sanitize_notebook(nb)
    html = render(nb)
    assert live(html) == []
    assert "HONEST md-missing-attachment." in visible_text(html)


def test_attachments_keep_only_their_images(attacks):
    """An attachment keeps its valid image types and loses every other (text/html here); the
    picture is still shown."""
    nb = notebook(attacks["md-attachment-types"])
    removed = sanitize_notebook(nb)
    assert nb.cells[0].attachments == {"pic.png": {"image/png": PNG}}
    assert removed == ["cell 0: attachment pic.png"]
    assert f'src="data:image/png;base64,{PNG}"' in render(nb)


def test_outputs_keep_only_what_is_safe_to_show(attacks):
    """JavaScript and widget views are gone (a note says so when nothing else was left); output
    metadata keeps only image sizes; the text/plain of each output stays."""
    nb = notebook(attacks["out-javascript"], attacks["out-widget-view"], attacks["out-filenames"],
                  attacks["out-isolated"])
    before = [[sorted(o.get("data", {})) for o in cell.outputs] for cell in nb.cells]
    assert ["application/javascript", "text/plain"] in before[0]
    sanitize_notebook(nb)
    outputs = [o for cell in nb.cells for o in cell.outputs]
    kinds = {mime for o in outputs for mime in o.get("data", {})}
    assert kinds <= {"text/plain", "text/html", "image/png"}, kinds
    assert all(not o.get("metadata") for o in outputs)
    texts = [o.data.get("text/plain", "") for o in outputs if "data" in o]
    assert "a widget" in texts
    assert any("removed by the grader" in t for t in texts)    # the isolated HTML: nothing left


def test_the_notebooks_widget_state_is_removed():
    """Widget state in the notebook's metadata makes nbconvert load the widget manager from a
    CDN; it is removed."""
    nb = notebook(nbformat.v4.new_markdown_cell("HONEST"))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    assert "unpkg.com" in render(nb)
    assert sanitize_notebook(nb) == ["notebook: widget state"]
    assert "unpkg.com" not in render(nb)


def test_honest_cells_and_outputs_are_kept_byte_for_byte(attacks):
    """Markdown with math, a table, inline code and a data-URI image, and outputs with a PNG,
    an HTML table and printed text, are left exactly as they were."""
    nb = notebook(attacks["honest-markdown"], attacks["honest-outputs"])
    original = copy.deepcopy(nb)
    assert sanitize_notebook(nb) == []
    assert nb == original


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")) + [DATA / f"{ASSIGNMENT}.ipynb"],
                         ids=lambda p: p.stem)
def test_the_course_notebooks_are_left_as_they_are(path):
    """Every markdown cell of the course's notebooks (the instructor's, trusted) renders safely
    already, so sanitising changes nothing: feedback shows them as nbconvert always did."""
    nb = nbformat.read(path, 4)
    original = copy.deepcopy(nb)
    assert sanitize_notebook(nb) == []
    assert nb == original


def test_markdown_that_cannot_be_kept_is_shown_cleaned():
    """An unsafe markdown cell becomes its cleaned rendering: the math, the table and the code
    of it are still there for MathJax and the reader."""
    cell = nbformat.v4.new_markdown_cell(
        "Answer: $a < b$ and `x & y`.\n\n| p | q |\n|---|---|\n| 1 | 2 |\n\n"
        "```\nline 1\n\nline 3\n```\n\n<img src=x onerror=alert(1)>")
    nb = notebook(cell)
    assert live(render(nb))
    sanitize_notebook(nb)
    html = render(nb)
    assert live(html) == []
    soup = BeautifulSoup(html, "html.parser")
    assert "$a < b$" in visible_text(html) and soup.find("code", string="x & y")
    assert [td.text for td in soup.find_all("td")] == ["1", "2"]
    assert "line 1" in soup.find("pre").text and "line 3" in soup.find("pre").text


# ---------------------------------------------------------------------- the real pipeline


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    """A course graded through collect + the sandboxed autograde + feedback: one hostile student,
    one honest student whose answers are the hostile one's ("partial", some tests failing)."""
    from autograder.sandbox import check

    ok, lines = check.check()
    if not ok:
        pytest.skip("the sandbox cannot run here: " + " | ".join(lines))
    base = tmp_path_factory.mktemp("sanitize")
    course, source, release = built_course(base / "course")
    inbox = base / "inbox"
    write_submission(inbox, "hostile", hostile_submission(source, release, URL))
    write_submission(inbox, "partial", make_submission("partial", source, release))
    collect(course, inbox)
    results = {r.student: r for r in autograde(course, workers=2, progress=False)}
    pages = {path.parts[-3]: path.read_text(encoding="utf-8") for path in feedback(course)}
    return course, results, pages


def formgrader_page(course, student):
    """The formgrader's page of ``student``'s graded notebook, made as nbgrader 0.9's
    SubmissionHandler makes it (its HTMLExporter, template ``formgrade``) without the server."""
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade",
                            extra_template_basedirs=[handlers.template_path])
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "x",
                 "index": 0, "total": 1, "base_url": "", "student": student, "last_name": None,
                 "first_name": None, "notebook_path": "x"}
    path = course.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return exporter.from_filename(str(path), resources=resources)[0]


def test_the_hostile_submission_is_graded_like_the_honest_one(hostile_course):
    """The attacks change nothing in grading: same status and points as the same answers alone."""
    _, results, _ = hostile_course
    hostile, honest = results["hostile"], results["partial"]
    assert hostile.status == honest.status == "graded", hostile.reason
    assert {g: v.auto_score for g, v in hostile.grades.items()} == {
        g: v.auto_score for g, v in honest.grades.items()}
    assert hostile.failures, "partial answers fail some tests: their messages must show"
    assert hostile.notes.get("sanitized"), "what was removed is recorded with the result"
    assert not honest.notes.get("sanitized"), honest.notes["sanitized"]


def test_feedback_shows_no_attack_and_every_honest_sentence(hostile_course):
    """The hostile student's feedback page: nothing live; every honest sentence, the failed
    tests' messages and their tracebacks are there; hidden tests stay hidden."""
    _, results, pages = hostile_course
    html = pages["hostile"]
    assert live(html) == []
    text = visible_text(html)
    for _, cell in hostile_cells(URL):
        for sentence in honest_sentences(cell):
            assert sentence in text
    assert "HONEST edited intro." in text and "HONEST answer output." in text
    for failure in results["hostile"].failures:        # each as its traceback shows it
        assert f'{failure["ename"]}: {failure["message"].splitlines()[0]}' in text
    assert "BEGIN HIDDEN TESTS" not in html and "hidden tests:" in text


def test_the_formgraders_notebook_shows_no_attack(hostile_course):
    """course/autograded/ holds the sanitised notebook: no JavaScript or SVG output in it, and the
    formgrader's page of it has nothing live and every honest sentence."""
    course, _, _ = hostile_course
    path = course.root / "autograded" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    mimes = {m for c in nb.cells if c.cell_type == "code" for o in c.outputs
             for m in o.get("data", {})}
    assert mimes <= {"text/plain", "text/html", "text/markdown", "image/png"}, mimes
    html = formgrader_page(course, "hostile")
    # the formgrader's page has handlers of its own (its buttons): those of an honest page
    own = Counter(live(formgrader_page(course, "partial")))
    assert Counter(live(html)) - own == Counter()
    text = visible_text(html)
    for _, cell in hostile_cells(URL):
        for sentence in honest_sentences(cell):
            assert sentence in text


def test_feedback_sanitises_notebooks_recorded_before(hostile_course, attacks):
    """An autograded notebook recorded before sanitising existed (the attacks' cells put back in,
    with their live outputs) gets a feedback page with nothing live: feedback sanitises too."""
    course, _, _ = hostile_course
    path = course.root / "autograded" / "partial" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    nb.cells.extend(copy.deepcopy(cell) for cell in attacks.values())
    nbformat.write(nb, path)
    renders = notebook(*(cell for name, cell in attacks.items() if name != "md-missing-attachment"))
    assert live(render(renders)) != []
    pages = {p.parts[-3]: p.read_text(encoding="utf-8") for p in feedback(course)}
    assert live(pages["partial"]) == []
    assert "HONEST md script." in visible_text(pages["partial"])



def test_the_docstring_example_holds():
    """sanitize_notebook's docstring example is what it does (autograder/ is not under doctest)."""
    import doctest

    import autograder.course.sanitize as module

    assert doctest.testmod(module).failed == 0
