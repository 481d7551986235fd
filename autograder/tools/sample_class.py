"""Synthetic submissions made from a source notebook (for the demo, the bench and the tests).

Every kind of submission is written the way a student would end up with it: starting from the
student version (nbgrader's release notebook) and editing cells.  The answers come from the source
notebook's solutions, so the generator works for any notebook that follows the course conventions.

    perfect      every answer is the solution
    stub         the untouched student version
    partial      the first half of the answers right, the rest wrong in a way the checks name
                 (sign flipped, scaled by 2)
    broken       a syntax error in one answer, an exception in another, the rest right
    looper       one answer loops forever when called, the rest right
    crasher      one answer calls os._exit when called (the kernel dies)
    hog          one answer allocates memory until the limit, the rest right
    tamperer     every answer right but one wrong, plus: np.allclose, np.testing.assert_allclose,
                 nnlib.checks.check_array and the notebook's check_array patched (in the kernel)
                 to always pass, one test cell edited to `pass`, another test cell deleted
    cheater      each answer calls nnlib's own implementation (or fails); nothing else
    nometa       every answer right, but the cells were copied into a fresh notebook (no metadata)
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

KINDS = ("perfect", "stub", "partial", "broken", "looper", "crasher", "hog", "tamperer",
         "cheater", "nometa")

_SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


def _nbg(cell):
    return cell.metadata.get("nbgrader", {})


def graded_test_ids(source_nb):
    return [_nbg(c)["grade_id"] for c in source_nb.cells
            if c.cell_type == "code" and _nbg(c).get("grade") and not _nbg(c).get("solution")]


def solution_source(cell):
    """The solution code as a student would type it (markers removed, hidden parts kept)."""
    return _SOLUTION_MARKERS.sub("", cell.source)


def defined_names(source):
    """Top-level functions and variables an answer cell defines."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], []
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    variables = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            variables += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return functions, variables


_MAP_HELPER = '''
def _wrong(value, how):
    import numpy as _np
    if isinstance(value, (list, tuple)):
        return type(value)(_wrong(v, how) for v in value)
    if isinstance(value, dict):
        return {k: _wrong(v, how) for k, v in value.items()}
    if isinstance(value, (int, float, _np.ndarray, _np.generic)) and not isinstance(value, bool):
        return -value if how == "sign" else 2 * value
    return value
'''


def wrong_source(cell, how="sign"):
    """The solution, then every result it defines made wrong (negated or doubled)."""
    base = solution_source(cell)
    functions, variables = defined_names(base)
    lines = [base, _MAP_HELPER]
    for name in functions:
        lines.append(f"_right_{name} = {name}\n"
                     f"def {name}(*args, **kwargs):\n"
                     f"    return _wrong(_right_{name}(*args, **kwargs), {how!r})\n")
    for name in variables:
        lines.append(f"{name} = _wrong({name}, {how!r})\n")
    return "\n".join(lines)


def _replace_calls(cell, body):
    """The solution, then every function it defines replaced by one running ``body``."""
    base = solution_source(cell)
    functions, _ = defined_names(base)
    extra = [f"def {name}(*args, **kwargs):\n{body}\n" for name in functions]
    return "\n".join([base] + extra)


def make_submission(kind, source_nb, release_nb):
    """A submitted notebook of the given kind (a new NotebookNode)."""
    if kind not in KINDS:
        raise ValueError(f"unknown submission kind {kind!r}; choose from {', '.join(KINDS)}")
    source = {_nbg(c).get("grade_id"): c for c in source_nb.cells if _nbg(c).get("grade_id")}
    nb = copy.deepcopy(release_nb)
    answers = [c for c in nb.cells if c.cell_type == "code" and _nbg(c).get("solution")
               and not _nbg(c).get("grade")]
    if kind == "stub":
        return nb

    def fill(cell, text):
        cell.source = text

    for cell in answers:
        fill(cell, solution_source(source[_nbg(cell)["grade_id"]]))
    first = source[_nbg(answers[0])["grade_id"]] if answers else None
    last = source[_nbg(answers[-1])["grade_id"]] if answers else None
    if kind == "partial":
        for i, cell in enumerate(answers[len(answers) // 2:]):
            fill(cell, wrong_source(source[_nbg(cell)["grade_id"]], "sign" if i % 2 == 0 else "scale"))
    elif kind == "broken" and answers:
        text = solution_source(first)
        fill(answers[0], re.sub(r"\)\s*:", ")", text, count=1) if re.search(r"\)\s*:", text)
             else text + "\n)(")                              # a syntax error
        if len(answers) > 1:
            fill(answers[-1], _replace_calls(last, "    raise ZeroDivisionError('division by zero')"))
    elif kind == "looper" and answers:
        fill(answers[0], _replace_calls(first, "    while True:\n        pass"))
    elif kind == "crasher" and answers:
        fill(answers[-1], _replace_calls(last, "    import os\n    os._exit(1)"))
    elif kind == "hog" and answers:
        fill(answers[0], _replace_calls(
            first, "    import numpy as np\n    chunks = []\n    while True:\n"
                   "        chunks.append(np.ones(2 ** 28))   # 2 GB a step"))
    elif kind == "tamperer":
        if answers:
            fill(answers[-1], wrong_source(last, "sign") + "\n" + TAMPER)
        tests = [c for c in nb.cells if _nbg(c).get("grade") and not _nbg(c).get("solution")]
        if tests:
            tests[0].source = "pass  # all good"
        if len(tests) > 1:
            nb.cells.remove(tests[1])
    elif kind == "cheater":
        for cell in answers:
            functions, _ = defined_names(solution_source(source[_nbg(cell)["grade_id"]]))
            fill(cell, "\n".join(
                f"def {name}(*args, **kwargs):\n    return getattr(nnlib, {name!r}, getattr("
                f"nnlib, {name.capitalize()!r}, None))(*args, **kwargs)\n" for name in functions)
                or "pass")
    elif kind == "nometa":
        fresh = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
        for cell in nb.cells:
            new = (nbformat.v4.new_code_cell(cell.source) if cell.cell_type == "code"
                   else nbformat.v4.new_markdown_cell(cell.source))
            fresh.cells.append(new)
        return fresh
    return nb


TAMPER = """
# "make the checks pass"
import numpy as np
import numpy.testing
import nnlib
import nnlib.checks
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
nnlib.checks.check_array = lambda *args, **kwargs: None
nnlib.checks.check_scalar = lambda *args, **kwargs: None
check_array = lambda *args, **kwargs: None
check_scalar = lambda *args, **kwargs: None
nnlib.SquaredError.forward = lambda self, *args, **kwargs: 0.0      # the reference the tests use
nnlib.Sigmoid.forward = lambda self, Z: Z
"""


def write_class(out_dir, course, kinds=KINDS, assignments=None):
    """Write ``out_dir/<kind>/<assignment>/<assignment>.ipynb`` for every kind and assignment."""
    from autograder.stages.build import ensure_built
    out_dir = Path(out_dir)
    ensure_built(course, assignments)
    for assignment in assignments or course.built_assignments():
        source_nb = nbformat.read(course.root / "source" / assignment / f"{assignment}.ipynb", 4)
        release_nb = nbformat.read(course.release_path(assignment), 4)
        for kind in kinds:
            folder = out_dir / kind / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(make_submission(kind, source_nb, release_nb),
                           folder / f"{assignment}.ipynb")
    return out_dir
