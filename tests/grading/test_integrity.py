"""The trusted half of test-cell integrity, without a kernel: wrapping, digests, seal checks,
scores from the source notebook only."""

import hashlib
import hmac

import nbformat
import pytest

from autograder.kernel import guard
from autograder.jobs import Grade
from autograder.worker.preprocessors import check_seal, expected_digest, indent_body, wrap_test
from autograder.worker.verdict import grades_from_source

KEY = bytes(range(32))
TOKEN = "ab" * 16


def _seal(source, report="((), ())", key=KEY, token=TOKEN):
    digest = expected_digest(wrap_test(source, token))
    mac = hmac.new(key, guard.seal_message(token, digest, report), hashlib.sha256).hexdigest()
    return f"{guard.SEAL_MARK} {token} {mac} {report}\n", digest


def test_indenting_a_test_keeps_its_multiline_strings():
    """The body goes into one `if` block; a multi-line string's continuation lines stay as they are."""
    source = 'text = """a\nb"""\nassert text == "a\\nb"\n'
    wrapped = wrap_test(source, TOKEN)
    namespace = {}
    exec(compile(wrapped.replace("__import__('sys').audit", "(lambda *a: None)")
                 .replace("__import__('autograder.kernel.guard').kernel.guard.restore(globals())", "pass"),
                 "<t>", "exec"), namespace)
    assert namespace["text"] == "a\nb"
    assert indent_body("x = 1\n\ny = 2") == "    x = 1\n\n    y = 2\n"


def test_digest_ignores_file_names_and_sees_every_change():
    """Same code from another file name: same digest; one constant or name changed: another."""
    code = "x = [1, 2]\nassert f(x) == 3, 'no'\n"
    same = guard.code_digest(compile(code, "<a>", "exec"))
    assert same == guard.code_digest(compile(code, "/elsewhere/cell.py", "exec"))
    for changed in (code.replace("3", "4"), code.replace("f(", "g("),
                    "try:\n    " + code.replace("\n", "\n    ").rstrip() + "\nexcept: pass\n"):
        assert guard.code_digest(compile(changed, "<a>", "exec")) != same


def test_a_valid_seal_is_accepted():
    """The seal the kernel's hook makes for the code that was sent verifies."""
    line, digest = _seal("assert True\n")
    assert check_seal(KEY, TOKEN, digest, "some output\n" + line) == \
        (None, {"problems": (), "integrity": ()})


@pytest.mark.parametrize("case, reason", [
    ("missing", "no seal"),
    ("forged", "invalid seal"),
    ("other code", "invalid seal"),
    ("twice", "more than once"),
    ("problems", "a trace or profile function was active"),
    ("integrity", "sys.settrace (refused)"),
])
def test_a_test_without_a_clean_valid_seal_does_not_count(case, reason):
    """No seal, a forged MAC, a seal for other code, two seals, or a seal reporting a problem."""
    line, digest = _seal("assert True\n")
    text = {"missing": "all good\n",
            "forged": line[:len(guard.SEAL_MARK) + 34] + "0" * 64 + " ((), ())\n",
            "other code": _seal("pass\n")[0],
            "twice": line + line,
            "problems": _seal("assert True\n", "(('a trace or profile function was active',), ())")[0],
            "integrity": _seal("assert True\n", "((), ('sys.settrace (refused)',))")[0]}[case]
    verdict, _ = check_seal(KEY, TOKEN, digest, text)
    assert verdict is not None and reason in verdict


def _cell(gid, points, outputs=(), verified=False, solution=False):
    cell = nbformat.v4.new_code_cell("t", metadata={"nbgrader": {
        "grade": True, "solution": solution, "grade_id": gid, "points": points}})
    cell.outputs = list(outputs)
    if verified:
        cell.metadata["autograder"] = {"verified": True}
    return cell


def test_points_come_from_the_source_notebook_only():
    """A submission claiming 1000 points, or a graded cell the source lacks, changes nothing; an
    unverified test scores 0 even without an error."""
    source = nbformat.v4.new_notebook(cells=[_cell("a", 1), _cell("b", 2), _cell("m", 3, solution=True)])
    graded = nbformat.v4.new_notebook(cells=[_cell("a", 1000, verified=True), _cell("b", 2),
                                             _cell("bonus", 1000, verified=True)])
    assert grades_from_source(source, graded) == {
        "a": Grade(auto_score=1.0, max_score=1.0), "b": Grade(auto_score=0.0, max_score=2.0),
        "m": Grade(auto_score=None, max_score=3.0, needs_manual_grade=True)}
    stderr = nbformat.v4.new_output("stream", name="stderr", text="warning")
    graded.cells[0].outputs = [stderr]
    assert grades_from_source(source, graded)["a"].auto_score == 0.0
