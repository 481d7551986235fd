"""The student's Validate button gives the verdict and the messages of `python -m autograder validate`.

The lab's server runs ``autograder.validate`` in place of nbgrader's ``validate_assignment``
(jupyter-config/README.md); the button and its dialog are nbgrader's. Each case validates the same
file twice -- with the button in JupyterLab, then on the command line -- and compares.
"""
import re
import subprocess
import sys

import pytest

from .conftest import NOTEBOOKS
from .jlab import ACTIVE_PANEL, open_notebook
from .lab import student_version

NOTEBOOK = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))[0]


def blocks(report):
    """A `validate` report cut into what the button must show: each FAIL line with the message lines
    indented under it, and the summary line (PASS lines have no place in nbgrader's dialog)."""
    found = []
    for line in report.splitlines():
        if line.startswith("      ") and found:
            found[-1] += "\n" + line
        elif line.strip():
            found.append(line)
    return [block for block in found if not block.startswith("PASS  ")]


def flat(text):
    """Whitespace-insensitive form: the dialog wraps and re-indents, the words stay."""
    return " ".join(text.split())


@pytest.mark.timeout(600)
@pytest.mark.parametrize("solved", [False, True], ids=["unsolved", "solved"])
def test_validate_button_agrees_with_the_command_line(solved, lab, page, course_root, artifacts):
    """Same verdict, and every FAIL message and the summary of the command line in the dialog."""
    root, _ = course_root
    case = "solved" if solved else "unsolved"
    name = f"validate-{case}-{NOTEBOOK.name}"
    student_version(NOTEBOOK, root / name, keep_solutions=solved)
    open_notebook(page, name)
    page.locator(f"{ACTIVE_PANEL} .jp-Toolbar .validate-button").click()
    message = page.locator(".jp-Dialog #validation-message")
    try:
        message.wait_for(timeout=400_000)  # the server runs the whole notebook first
        shown = message.evaluate("""element => ({
            verdict: ['validation-success', 'validation-failed'].filter(name => element.classList.contains(name)),
            text: element.innerText,
        })""")
        page.screenshot(path=str(artifacts / f"validate-button-{case}.png"))
    finally:
        page.keyboard.press("Escape")  # closes the dialog (if any) for the next test
    command = subprocess.run(
        [sys.executable, "-m", "autograder", "validate", name],
        cwd=root, env=lab.env, capture_output=True, text=True, timeout=400,
    )
    assert command.returncode in (0, 1), f"validate crashed:\n{command.stdout}\n{command.stderr}"
    assert command.returncode == (0 if solved else 1), (
        f"the {case} notebook should {'pass' if solved else 'fail'} its visible tests:\n{command.stdout}")

    expected = ["validation-success" if command.returncode == 0 else "validation-failed"]
    assert shown["verdict"] == expected, (
        f"the button says {shown['verdict']!r}, `python -m autograder validate` exits "
        f"{command.returncode}:\n{shown['text']}")
    if command.returncode == 1:
        wanted = blocks(command.stdout)
        missing = [block for block in wanted if flat(block) not in flat(shown["text"])]
        assert not missing, "the dialog lacks these lines of the command line's report:\n" + "\n".join(missing)
        # one dialog entry per failed test and per crashed cell that is not a test
        failures = len(re.findall(r"^(FAIL  |ERROR )", command.stdout, flags=re.M))
        assert shown["text"].count("The following cell failed:") == failures
    problems = page.browser_log.problems()
    assert not problems, "the browser reported problems:\n" + "\n".join(problems)
