"""The grading parts that need no kernel: the hard bound, hidden-test hiding, the gradebook schema."""

import os

import nbformat
import pytest

import autograder.jobs as jobs_module
from autograder.engines.local import LocalProcessGrader
from autograder.jobs import Job
from autograder.stages.feedback.hide_hidden_tests import HideHiddenTests
from autograder.stages.summary import render


@pytest.mark.parametrize("preload", [True, False])
def test_a_worker_over_its_bound_is_killed_and_reported(tmp_path, monkeypatch, preload):
    """A worker that outlives notebook budget + start-up is killed: status killed, a reason."""
    monkeypatch.setattr(jobs_module, "STARTUP_SLACK", 0.3)
    job = Job(student="slow", assignment="a", workdir=str(tmp_path), notebook_timeout=0,
              extra={"debug_sleep": 60})
    got = []
    LocalProcessGrader(1, preload=preload).grade([job], lambda j, r: got.append(r))
    assert got[0].status == "killed"
    assert "did not finish within" in got[0].reason and got[0].score is None
    rows = [{"student": "slow", "assignment": "a", "score": None, "max_score": 5.0,
             "status": "killed", "reason": got[0].reason, "failures": []}]
    assert "slow / a: killed" in render(rows)


def _graded_cell(source, outputs, offset=1):
    cell = nbformat.v4.new_code_cell(source, metadata={
        "nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1},
        "autograder": {"line_offset": offset}})
    cell.outputs = outputs
    return cell


SOURCE = ('"""Check f."""\ncheck(f(1))\n### BEGIN HIDDEN TESTS\nassert f(2) == 4, "SECRET"\n'
          '### END HIDDEN TESTS')


def _error(line, message):
    return nbformat.v4.new_output("error", ename="AssertionError", evalue=message, traceback=[
        "\x1b[0;31m---\x1b[0m", f"Cell \x1b[0;32mIn[3], line {line}\x1b[0m\n  assert ...",
        f"AssertionError: {message}"])


def test_hidden_failure_shows_only_a_neutral_line():
    """A failure on a hidden line: no source, no message, no traceback of the hidden test."""
    cell = _graded_cell(SOURCE, [_error(5, "SECRET")])      # executed line 5 = shown line 4
    cell, _ = HideHiddenTests().preprocess_cell(cell, {}, 0)
    text = cell.source + str(cell.outputs)
    assert "SECRET" not in text and "f(2)" not in text
    assert "# [hidden tests: failed]" in cell.source


def test_visible_failure_keeps_its_message_but_not_the_hidden_code():
    """A failure on a visible line: its message stays (it teaches), hidden code still removed."""
    cell = _graded_cell(SOURCE, [_error(3, "f(1) is not right: Likely cause: x")])
    cell, _ = HideHiddenTests().preprocess_cell(cell, {}, 0)
    assert "f(1) is not right" in str(cell.outputs)
    assert "SECRET" not in cell.source and "not reached" in cell.source


def test_printed_output_of_a_cell_with_hidden_tests_is_dropped():
    """Anything a hidden test printed could reveal it: only errors are kept."""
    cell = _graded_cell(SOURCE, [nbformat.v4.new_output("stream", name="stdout", text="SECRET")])
    cell, _ = HideHiddenTests().preprocess_cell(cell, {}, 0)
    assert cell.outputs == [] and "[hidden tests: passed]" in cell.source


def test_the_gradebook_schema_version_is_what_alembic_heads_says(monkeypatch, tmp_path):
    """nbgrader asks the `alembic heads` command (a Python start per gradebook opened); we read the
    same migration scripts in-process: the answers must agree."""
    import subprocess
    import sys

    import nbgrader.api
    from autograder.nbgrader_setup import ALEMBIC_ENV as _ENV, setup

    setup()
    monkeypatch.delenv(_ENV, raising=False)
    nbgrader.api.get_alembic_version.cache_clear()
    ours = nbgrader.api.get_alembic_version()
    nbgrader.api.get_alembic_version.cache_clear()
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = "
                   + os.path.join(os.path.dirname(nbgrader.api.__file__), "alembic") + "\n")
    alembic = os.path.join(os.path.dirname(sys.executable), "alembic")
    heads = subprocess.run([alembic, "-c", str(ini), "heads"], capture_output=True, text=True)
    assert heads.returncode == 0, heads.stderr
    assert heads.stdout.split()[0] == ours
