"""Tools for testing the nbgrader source notebooks: student version, execution, conventions.

The student version is made with nbgrader's own preprocessors (``ClearSolutions``,
``ClearHiddenTests``), configured from the project's nbgrader config when there is
one, so what is tested is what students get.  A notebook is executed cell by cell
with nbclient in a fresh ``python3`` kernel, in ``notebooks/``, with the
autograder's per-cell timeout and ``NBGRADER_EXECUTION=autograde`` (so widget
cells build nothing); errors do not stop the run, and each cell's outcome is
recorded (passed / failed with ename and evalue / timed out / not run), together
with whatever it wrote to stderr.

The ``*_problems`` functions return readable sentences (an empty list means all
is well), so a failing test tells a notebook author which cell and what went wrong.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
DATA_DIR = Path(__file__).resolve().parent / "data"
FALLBACK_TIMEOUT = 60      # seconds per cell, when the project config sets none
KERNEL = "python3"

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
# A student-version test cell failing with one of these is broken, not failing for the student.
BROKEN_TEST_ERRORS = {"SyntaxError", "IndentationError", "ModuleNotFoundError", "ImportError",
                      "KeyboardInterrupt"}
WIDGET_IMPORT = re.compile(r"^\s*(from\s+nnlib\.widgets\b|import\s+nnlib\.widgets\b)", re.M)
SYS_PATH = re.compile(r"\bsys\s*\.\s*path\b")
DOCSTRING_LINE = re.compile(r'^"""Checks? .+\S"""\s*$')


def notebook_paths(directory=NOTEBOOKS_DIR):
    """The course's notebooks, sorted (checkpoints excluded)."""
    return sorted(p for p in Path(directory).glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def read(path):
    """Read a notebook as nbformat v4, turning format warnings into a clear error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nb = nbformat.read(str(path), as_version=4)
    if caught:
        raise ValueError(f"{Path(path).name}: nbformat warns while reading it: "
                         + "; ".join(str(w.message) for w in caught))
    return nb


# --------------------------------------------------------------------------- cell kinds
def nbgrader(cell):
    """The cell's nbgrader metadata (empty dict when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_graded_test(cell):
    meta = nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_solution(cell):
    return bool(nbgrader(cell).get("solution"))


def is_widget(cell):
    return cell.cell_type == "code" and bool(WIDGET_IMPORT.search(cell.source))


def label(index, cell):
    """How a cell is named in messages: 'cell 7 (grade_id test_affine)'."""
    grade_id = nbgrader(cell).get("grade_id")
    return f"cell {index}" + (f" (grade_id {grade_id})" if grade_id else "")


def graded_test_ids(nb):
    """grade_ids of the graded test cells, in notebook order."""
    return [nbgrader(c).get("grade_id", f"cell{i}") for i, c in enumerate(nb.cells)
            if is_graded_test(c)]


# --------------------------------------------------------------------------- student version
def _project_config():
    """The project's full nbgrader config (autograder/ or the repository root), else empty."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    for candidate in (ROOT / "autograder" / "nbgrader_config.py", ROOT / "nbgrader_config.py"):
        if candidate.exists():
            return PyFileConfigLoader(candidate.name, path=str(candidate.parent)).load_config()
    return Config()


def nbgrader_config():
    """The sections of the project's nbgrader config that shape the student version."""
    from traitlets.config import Config

    full, config = _project_config(), Config()
    for section in ("ClearSolutions", "ClearHiddenTests"):
        if section in full:
            config[section] = full[section]
    return config


def grader_cell_timeout(default=60):
    """The per-cell timeout the autograder uses (Execute.timeout), so slow cells fail here too."""
    timeout = _project_config().get("Execute", {}).get("timeout")
    return int(timeout) if timeout else default


def student_version(nb, config=None):
    """What students get: solutions replaced by the stub, hidden tests removed.

    Uses nbgrader's ``ClearSolutions`` and ``ClearHiddenTests`` (as ``nbgrader
    generate_assignment`` does); the language comes from the kernelspec.
    """
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    config = nbgrader_config() if config is None else config
    student = copy.deepcopy(nb)
    resources = {}
    for preprocessor in (ClearSolutions(config=config), ClearHiddenTests(config=config)):
        student, resources = preprocessor.preprocess(student, resources)
    return student


# --------------------------------------------------------------------------- execution
@dataclass
class CellRun:
    """The outcome of one executed code cell."""

    index: int
    status: str                 # "passed", "failed", "timeout" or "not run"
    ename: str = ""
    evalue: str = ""
    traceback: str = ""
    stderr: str = ""
    seconds: float = 0.0

    def describe(self):
        if self.status == "failed":
            return f"raised {self.ename}: {self.evalue}"
        if self.status == "timeout":
            return f"did not finish in time ({self.evalue})"
        return self.status


@dataclass
class Execution:
    """All code cells of one executed notebook, by cell index."""

    name: str
    cells: dict = field(default_factory=dict)     # index -> CellRun
    crash: str = ""                               # kernel death or harness error
    seconds: float = 0.0


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _outcome(index, cell, seconds, timed_out, timeout):
    stderr = "".join(o.get("text", "") for o in cell.get("outputs", [])
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if timed_out:
        return CellRun(index, "timeout", "Timeout", f"more than {timeout} s", "", stderr, seconds)
    if errors:
        err = errors[0]
        trace = _ANSI.sub("", "\n".join(err.get("traceback", [])))
        return CellRun(index, "failed", err.get("ename", ""), err.get("evalue", ""), trace, stderr,
                       seconds)
    return CellRun(index, "passed", stderr=stderr, seconds=seconds)


def execute(nb, name="notebook", *, cwd=NOTEBOOKS_DIR, timeout=None):
    """Run every code cell of a copy of ``nb`` in a fresh kernel; return an :class:`Execution`.

    Errors do not stop the run (each cell is recorded); a dead kernel does, and
    the remaining cells are recorded as "not run".  ``timeout`` (seconds per cell)
    defaults to the autograder's.
    """
    return execute_many([(nb, name)], cwd=cwd, timeout=timeout)[0]


def execute_many(jobs, *, cwd=NOTEBOOKS_DIR, timeout=None):
    """Execute several ``(nb, name)`` jobs concurrently, one kernel each; Executions in order.

    Kernels are separate processes, so a notebook's solution and student versions
    run side by side in about the time of one.
    """
    timeout = grader_cell_timeout(FALLBACK_TIMEOUT) if timeout is None else timeout

    async def run_all():
        return await asyncio.gather(*(_execute(nb, name, cwd, timeout) for nb, name in jobs))
    return asyncio.run(run_all())


async def _execute(nb, name, cwd, timeout):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = copy.deepcopy(nb)
    env = dict(os.environ, NBGRADER_EXECUTION="autograde",
               PYDEVD_DISABLE_FILE_VALIDATION="1")     # keeps debugpy's frozen-modules note quiet
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=KERNEL, allow_errors=True,
        # a local kernel on localhost: silence ipykernel's startup warning about unencrypted TCP
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "Timeout", "evalue": f"more than {timeout} s", "traceback": []},
        resources={"metadata": {"path": str(cwd)}},
    )
    run = Execution(name)
    start = time.perf_counter()
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    try:
        async with client.async_setup_kernel(env=env):
            for position, (index, cell) in enumerate(code_cells):
                t0 = time.perf_counter()
                timed_out = False
                try:
                    await client.async_execute_cell(cell, index)
                except CellTimeoutError:
                    timed_out = True
                except DeadKernelError as err:
                    run.crash = f"the kernel died while running {label(index, cell)}: {err}"
                    for later, _ in code_cells[position:]:
                        run.cells[later] = CellRun(later, "not run")
                    break
                seconds = time.perf_counter() - t0
                timed_out = timed_out or seconds >= timeout
                run.cells[index] = _outcome(index, cell, seconds, timed_out, timeout)
    except Exception as err:   # noqa: BLE001 - reported as a harness crash, with its type
        run.crash = run.crash or f"{type(err).__name__}: {err}"
        for index, _ in code_cells:
            run.cells.setdefault(index, CellRun(index, "not run"))
    run.seconds = time.perf_counter() - start
    return run


# --------------------------------------------------------------------------- verdicts
def _short(text, limit=600):
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " ..."


def _error_text(result, limit=3000):
    """The cell's traceback (which ends with the error message), long ones cut in the middle."""
    text = result.traceback.strip() or f"{result.ename}: {result.evalue}"
    if len(text) > limit:
        text = text[:limit // 2] + "\n    [...]\n" + text[-limit // 2:]
    return "    " + text.replace("\n", "\n    ")


def solution_problems(nb, run, grade_id):
    """Why the graded test cell ``grade_id`` does not pass cleanly on the solution (or [])."""
    index, cell = _find(nb, grade_id)
    result = run.cells.get(index)
    where = f"{run.name}, solution version, {label(index, cell)}"
    if result is None or result.status == "not run":
        return [f"{where}: was not executed ({run.crash or 'unknown reason'})"]
    problems = []
    if result.status != "passed":
        problems.append(f"{where}: the test must pass on the solution, but it raised "
                        f"{result.ename}:\n{_error_text(result)}")
    if result.stderr:
        problems.append(f"{where}: wrote to stderr (test cells must not): {_short(result.stderr)}")
    return problems


def student_problems(nb, run, grade_id):
    """Why the graded test cell ``grade_id`` does not fail properly on the student stub (or [])."""
    index, cell = _find(nb, grade_id)
    result = run.cells.get(index)
    where = f"{run.name}, student version, {label(index, cell)}"
    if result is None or result.status == "not run":
        return [f"{where}: was not executed ({run.crash or 'unknown reason'})"]
    if result.status == "passed":
        return [f"{where}: passes on the unanswered stub, so it gives points for nothing. "
                "Make it call the student's code and check the result."]
    if result.status == "timeout":
        return [f"{where}: {result.describe()} on the stub"]
    if result.ename in BROKEN_TEST_ERRORS:
        return [f"{where}: fails with {result.ename} -- the cell itself is broken for students "
                "(e.g. a block whose body was all hidden tests, or an import that only the "
                f"hidden part makes), not failing because of the missing answer:\n"
                f"{_error_text(result)}"]
    return []


def _find(nb, grade_id):
    for index, cell in enumerate(nb.cells):
        if is_graded_test(cell) and nbgrader(cell).get("grade_id", f"cell{index}") == grade_id:
            return index, cell
    raise KeyError(f"no graded test cell with grade_id {grade_id!r}")


def other_cell_problems(nb, run):
    """Non-graded code cells of the solution version that raise (unless tagged raises-exception)."""
    problems = []
    for index, cell in enumerate(nb.cells):
        result = run.cells.get(index)
        if cell.cell_type != "code" or is_graded_test(cell) or result is None:
            continue
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue
        if result.status not in ("passed",):
            problems.append(f"{run.name}, solution version, {label(index, cell)}: "
                            f"{result.describe()}\n{_error_text(result, 1500)}")
    return problems


def leak_problems(student):
    """Solution code or hidden tests left in a student version (or [])."""
    problems = []
    for index, cell in enumerate(student.cells):
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
            if marker in cell.source:
                problems.append(f"{label(index, cell)}: the student version still contains "
                                f"{marker!r}")
    return problems


def hidden_test_lines(nb):
    """{cell index: stripped non-empty lines inside BEGIN/END HIDDEN TESTS} of a source notebook."""
    return _region_lines(nb, BEGIN_HIDDEN, END_HIDDEN)


def solution_lines(nb):
    """{cell index: the stripped non-empty lines inside BEGIN/END SOLUTION} of a source notebook."""
    return _region_lines(nb, BEGIN_SOLUTION, END_SOLUTION)


def _region_lines(nb, begin, end):
    found = {}
    for index, cell in enumerate(nb.cells):
        inside, lines = False, []
        for line in cell.source.split("\n"):
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
        if lines:
            found[index] = lines
    return found


def removed_region_problems(source, student):
    """Lines of solution or hidden-test regions that survive in the student version (or [])."""
    problems = []
    for what, regions in (("solution", solution_lines(source)),
                          ("hidden test", hidden_test_lines(source))):
        for index, lines in regions.items():
            kept = {line.strip() for line in student.cells[index].source.split("\n")}
            outside = _outside_lines(source.cells[index].source)
            leaked = [line for line in lines if line in kept and line not in outside]
            if leaked:
                problems.append(f"{label(index, source.cells[index])}: {what} line(s) still in the "
                                f"student version: {leaked[:3]}")
    return problems


def _outside_lines(source):
    """Stripped lines of a cell outside any solution / hidden-test region."""
    outside, inside = set(), False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line or BEGIN_HIDDEN in line:
            inside = True
        elif END_SOLUTION in line or END_HIDDEN in line:
            inside = False
        elif not inside:
            outside.add(line.strip())
    return outside


# --------------------------------------------------------------------------- conventions
def problems_format(nb):
    """nbformat v4 and schema-valid."""
    problems = []
    if nb.nbformat != 4:
        problems.append(f"nbformat is {nb.nbformat}, expected 4")
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        problems.append(f"not a valid notebook: {str(err).splitlines()[0]}")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != KERNEL:
        problems.append(f"kernelspec name is {kernel!r}, expected {KERNEL!r}")
    return problems


def problems_control_characters(nb):
    """No control characters in a cell but newlines (a TAB in markdown is usually LaTeX's
    backslash-t-o that a Python string turned into a TAB: "z_i <TAB>o y_i" renders)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        for n, line in enumerate(cell.source.split("\n"), 1):
            bad = sorted({f"U+{ord(ch):04X}" for ch in line if ord(ch) < 32 or ord(ch) == 127})
            if bad:
                problems.append(f"{label(i, cell)} line {n}: control character {', '.join(bad)} "
                                f"in {line.strip()[:60]!r}")
    return problems


def problems_outputs(nb):
    """Committed without outputs: no outputs, execution_count null."""
    return [f"{label(i, c)}: has {len(c.outputs)} output(s) / execution_count "
            f"{c.execution_count} -- clear outputs before committing"
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]


def problems_grade_ids(nb):
    """Every nbgrader cell has a grade_id and schema_version 3; grade_ids are unique."""
    problems, seen = [], {}
    for i, c in enumerate(nb.cells):
        meta = nbgrader(c)
        if not meta:
            continue
        gid = meta.get("grade_id")
        if not gid:
            problems.append(f"cell {i}: nbgrader cell without grade_id")
            continue
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", gid):
            problems.append(f"{label(i, c)}: grade_id must use only letters, digits, _ and -")
        if meta.get("schema_version") != 3:
            problems.append(f"{label(i, c)}: schema_version is {meta.get('schema_version')!r}, "
                            "expected 3")
        if gid in seen:
            problems.append(f"grade_id {gid!r} used by cells {seen[gid]} and {i}")
        seen.setdefault(gid, i)
    return problems


def problems_test_cells(nb):
    """Graded test cells: points > 0, locked, first line a one-line '\"\"\"Check ...\"\"\"'."""
    problems = []
    for i, c in enumerate(nb.cells):
        if not is_graded_test(c):
            continue
        meta = nbgrader(c)
        points = meta.get("points")
        if not isinstance(points, (int, float)) or points <= 0:
            problems.append(f"{label(i, c)}: points is {points!r}, must be > 0")
        if not meta.get("locked"):
            problems.append(f"{label(i, c)}: graded test cells must be locked")
        first = c.source.split("\n", 1)[0]
        if not DOCSTRING_LINE.match(first):
            problems.append(f'{label(i, c)}: first line must be a one-line docstring '
                            f'"""Check that ...""", found {first!r}')
    return problems


def problems_solution_cells(nb):
    """Solution cells contain BEGIN/END SOLUTION; delimiters appear only where nbgrader allows."""
    problems = []
    for i, c in enumerate(nb.cells):
        has_solution = BEGIN_SOLUTION in c.source or END_SOLUTION in c.source
        has_hidden = BEGIN_HIDDEN in c.source or END_HIDDEN in c.source
        if is_solution(c):
            if not (BEGIN_SOLUTION in c.source and END_SOLUTION in c.source):
                problems.append(f"{label(i, c)}: solution cell without ### BEGIN SOLUTION / "
                                "### END SOLUTION (nbgrader would replace the whole cell)")
            if nbgrader(c).get("locked"):
                problems.append(f"{label(i, c)}: a solution cell must not be locked")
        elif has_solution:
            problems.append(f"{label(i, c)}: BEGIN/END SOLUTION outside a solution cell")
        if has_hidden and not is_graded_test(c):
            problems.append(f"{label(i, c)}: BEGIN/END HIDDEN TESTS outside a graded test cell")
    return problems


def problems_widgets(nb):
    """Widget cells are tagged nbval-ignore-output and are not nbgrader cells."""
    problems = []
    for i, c in enumerate(nb.cells):
        if not is_widget(c):
            continue
        if "nbval-ignore-output" not in c.get("metadata", {}).get("tags", []):
            problems.append(f"{label(i, c)}: widget cell without the tag nbval-ignore-output")
        if nbgrader(c).get("grade") or nbgrader(c).get("solution"):
            problems.append(f"{label(i, c)}: widget cell must not be graded or a solution cell")
    return problems


def problems_sys_path(nb):
    """No cell manipulates sys.path (nnlib is installed)."""
    return [f"{label(i, c)}: touches sys.path; import nnlib as an installed package instead"
            for i, c in enumerate(nb.cells) if c.cell_type == "code" and SYS_PATH.search(c.source)]


def problems_title(nb):
    """The first cell is markdown starting with a '# Title'."""
    if not nb.cells:
        return ["the notebook has no cells"]
    first = nb.cells[0]
    head = next((line for line in first.source.split("\n") if line.strip()), "")
    if first.cell_type != "markdown" or not re.match(r"#\s+\S", head):
        return [f"cell 0 must be markdown starting with '# <title>', found "
                f"{first.cell_type} {head[:60]!r}"]
    return []


def hidden_parts(cell):
    """The source of a cell's hidden tests (every BEGIN/END HIDDEN TESTS block, joined)."""
    lines, inside = [], False
    for line in cell.source.split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines)


# calls that make a generator (or seed numpy's global one): with a literal seed, the same inputs
# at every grading
SEEDING_CALLS = {"default_rng", "RandomState", "Generator", "PCG64", "MT19937", "SeedSequence", "seed"}
ARRAY_CALLS = {"array", "asarray", "asanyarray", "diag"}
COPIED_DIGITS = 9          # a float literal with this many significant digits was copied from a run


def _literal_numbers(node):
    """The numeric constants of a (nested) list/tuple display, signs included."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [number for item in node.elts for number in _literal_numbers(item)]
    return []


def _significant_digits(value):
    mantissa = repr(abs(value)).split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return len(mantissa)


def fixed_input_problems(source):
    """What in a hidden test's source fixes its inputs or expected values: a generator made from a
    literal seed, a literal array of several numbers, a literal list of non-integer numbers, or a
    float literal with so many digits that it was copied from a run (each with its line)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return [f"the hidden tests do not parse on their own: {err}"]
    problems, inside_array = [], set()      # the nodes of literals already reported
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            arguments = list(node.args) + [k.value for k in node.keywords]
            if name in SEEDING_CALLS and any(_literal_numbers(a) for a in arguments):
                problems.append(f"line {node.lineno}: a generator with a fixed seed, "
                                f"{ast.unparse(node)[:80]}: draw the inputs from grading_rng()")
            if name in ARRAY_CALLS and node.args and len(_literal_numbers(node.args[0])) >= 2:
                inside_array.update(id(n) for n in ast.walk(node.args[0]))
                problems.append(f"line {node.lineno}: a literal array, {ast.unparse(node)[:80]}: "
                                f"draw the inputs from grading_rng() and compute what to expect")
        elif isinstance(node, (ast.List, ast.Tuple)) and id(node) not in inside_array:
            numbers = _literal_numbers(node)
            if len(numbers) >= 2 and any(isinstance(v, float) and not v.is_integer() for v in numbers):
                problems.append(f"line {node.lineno}: literal numbers, {ast.unparse(node)[:80]}: "
                                f"draw the inputs from grading_rng() and compute what to expect")
                inside_array.update(id(n) for n in ast.walk(node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, float) \
                and id(node) not in inside_array and _significant_digits(node.value) >= COPIED_DIGITS:
            problems.append(f"line {node.lineno}: a copied value, {node.value!r}: compute the expected "
                            f"value from the inputs with an independent reference")
    return problems


def problems_hidden_inputs(nb):
    """Hidden tests fix no inputs: no fixed-seed generator, no literal arrays or copied values."""
    problems = []
    for i, c in enumerate(nb.cells):
        if is_graded_test(c) and BEGIN_HIDDEN in c.source:
            problems += [f"{label(i, c)}: hidden tests: {p}"
                         for p in fixed_input_problems(hidden_parts(c))]
    return problems


def _python(source):
    """A cell's source as plain Python (IPython's magics and shell escapes translated)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


def _names(tree):
    """(bound, read): the names a cell binds anywhere (assignments, imports, defs, loop and
    except targets, parameters) and the names it reads."""
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, read


def problems_self_contained_tests(nb):
    """No test cell reads a name that only an earlier test cell binds: each runs on its own (a
    student re-running one test after a restart, the checker grading one test) -- what several
    tests share goes in an instructor cell."""
    problems, from_tests, elsewhere = [], {}, set()
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        try:
            bound, read = _names(ast.parse(_python(c.source)))
        except SyntaxError:
            continue                                  # the format rules report it
        if is_graded_test(c):
            borrowed = sorted(n for n in read - bound - elsewhere if n in from_tests)
            if borrowed:
                problems.append(f"{label(i, c)}: reads {', '.join(borrowed)}, bound only by "
                                f"{', '.join(sorted({from_tests[n] for n in borrowed}))}: define "
                                f"what several test cells share in an instructor cell above them")
            for name in bound:
                from_tests.setdefault(name, nbgrader(c).get("grade_id"))
        else:
            elsewhere |= bound
    return problems


CONVENTIONS = {
    "format": problems_format,
    "no_outputs": problems_outputs,
    "control_characters": problems_control_characters,
    "grade_ids": problems_grade_ids,
    "test_cells": problems_test_cells,
    "solution_cells": problems_solution_cells,
    "widgets": problems_widgets,
    "no_sys_path": problems_sys_path,
    "title": problems_title,
    "hidden_inputs": problems_hidden_inputs,
    "self_contained_tests": problems_self_contained_tests,
}
