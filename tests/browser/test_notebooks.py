"""Every student notebook in a real JupyterLab: run all cells, then look at it as a student would."""
import re
import time

import nbformat
import pytest

from .conftest import NEEDS_SOLUTIONS, course_notebooks
from .interactions import INTERACTIONS
from .jlab import (
    cell_report,
    error_outputs,
    open_notebook,
    run_all_cells,
    save_screenshots,
    wait_for_widgets,
    widget_problems,
)

# A widget cell calls a view's show() (``ForwardStepper.show(model, x)``) or builds a Box itself.
WIDGET_CALL = re.compile(r"\b[A-Z]\w*\.show\(|\bwidgets\.[HV]Box\(")


def code_cells(path):
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def widget_cells(path):
    """Code-cell indices of the cells that should display a widget."""
    return {index for index, cell in enumerate(code_cells(path)) if WIDGET_CALL.search(cell.source)}


def graded_cells(path):
    """Code-cell indices of graded test cells: they fail until the student has solved the exercise."""
    return {
        index for index, cell in enumerate(code_cells(path))
        if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata["nbgrader"].get("solution")
    }


@pytest.mark.timeout(150)
@pytest.mark.parametrize("notebook", course_notebooks(), ids=lambda path: path.stem)
def test_notebook_in_browser(notebook, lab, page, artifacts):
    """Run All renders every widget without errors, the widgets respond, the console stays clean."""
    notes, timings = [], Timings()
    if notebook.stem in NEEDS_SOLUTIONS:
        notes.append(f"served WITH SOLUTIONS (widgets need answers): {NEEDS_SOLUTIONS[notebook.stem]}")
    try:
        with timings("open"):
            open_notebook(page, notebook.name)
        with timings("run all"):
            not_run = run_all_cells(page)
        with timings("widgets"):
            wait_for_widgets(page)
            cells = cell_report(page)

        # A student who has solved nothing sees graded tests fail (expected) and demonstration cells
        # that call their functions fail (noted: they work once the exercise is solved). A widget
        # cell must work before any exercise is solved.
        widgets, graded = widget_cells(notebook), graded_cells(notebook)
        broken_widgets = []
        for index, head, text in error_outputs(cells):
            last_line = text.strip().splitlines()[-1] if text.strip() else ""
            if index in widgets:
                broken_widgets.append(f"widget cell #{index} ({head!r}) raised:\n{text[-1500:]}")
            elif index not in graded:
                notes.append(f"cell #{index} needs an answer first ({head!r}): {last_line}")
        assert not broken_widgets, (
            "widget cells fail for a student who has not solved the exercises yet:\n" + "\n\n".join(broken_widgets)
        )
        assert not not_run, "Run All stopped early; cells never run: " + ", ".join(f"#{s['index']}" for s in not_run)

        problems = widget_problems(cells)
        assert not problems, "widgets do not render:\n" + "\n".join(problems)
        missing = sorted(i for i in widgets if not any(out["hasView"] for out in cells[i]["outputs"]))
        assert not missing, f"widget cells that show no widget (code-cell indices): {missing}"

        interact = INTERACTIONS.get(notebook.stem)
        if interact is None:
            notes.append("no interaction defined for this notebook: render, console and screenshot checks only")
        else:
            with timings("interact"):
                interact(page)

        log = page.browser_log.problems()
        assert not log, "the browser reported problems:\n" + "\n".join(log)
    finally:
        with timings("screenshots"):
            try:
                save_screenshots(page, artifacts, notebook.stem)
            except Exception as error:  # noqa: BLE001 - never hide the failure that got us here
                page.screenshot(path=str(artifacts / f"{notebook.stem}.png"))
                notes.append(f"only a window-sized screenshot: {error}")
        notes.append(f"timings: {timings}")
        (artifacts / f"{notebook.stem}-notes.txt").write_text("\n".join(notes) + "\n")
        for note in notes:
            print(f"{notebook.stem}: {note}")


class Timings:
    """Seconds spent per phase, for the notes file (the suite has a time budget of 3 minutes)."""

    def __init__(self):
        self.seconds = {}

    def __call__(self, phase):
        timings = self

        class _Phase:
            def __enter__(self):
                self.start = time.monotonic()

            def __exit__(self, *exc_info):
                timings.seconds[phase] = time.monotonic() - self.start

        return _Phase()

    def __str__(self):
        return ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in self.seconds.items())


@pytest.mark.timeout(90)
def test_checks_catch_a_broken_widget(lab, page, artifacts):
    """The render and console checks fail on a widget whose JavaScript module does not exist."""
    open_notebook(page, "broken_widget.ipynb")
    run_all_cells(page)
    wait_for_widgets(page)
    cells = cell_report(page)
    save_screenshots(page, artifacts, "broken_widget")
    problems = widget_problems(cells)
    assert problems, f"the broken widget went unnoticed: {cells}"
    assert page.browser_log.console_errors, "the broken widget's console error went unnoticed"
