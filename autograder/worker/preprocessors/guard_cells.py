"""Autograde stage, before execution: each graded test cell is sent wrapped so that, when it runs to
its end as written, it asks the kernel-side guard (autograder.kernel.guard) for a seal.
"""

from __future__ import annotations

import ast
import io
import secrets
import tokenize

import nbformat

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.kernel import guard as _guard
from autograder.worker.preprocessors.base import is_test, outcome_meta, source_notebook

# A graded test cell as sent to the kernel: one statement (IPython runs it as one code object), so
# the seal at its end proves the whole body ran.  {token} is fresh per cell and per grading.
WRAP_HEAD = ('if "autograder-cell":\n'
             "    __import__('sys').audit({enter!r}, {token!r})\n"
             "    __import__('autograder.kernel.guard').kernel.guard.restore(globals())\n")
WRAP_TAIL = ("    __import__('sys').audit({seal!r}, {token!r}, __autograder_seal__ := [])\n"
             "    print(*__autograder_seal__)\n")
HEAD_LINES = 3          # executed line L of a wrapped cell is line L - 3 of the test as written
# Imports from these packages are re-bound before every test cell (see autograder.kernel.guard).
GUARDED_PACKAGES = ("numpy", "nnlib", "autograder", "math")


def import_bindings(nb) -> list:
    """[(name, module, attr or None)] bound by the import lines of the instructor's own cells."""
    bindings = []
    for cell in nb.cells:
        if cell.cell_type != "code" or utils.is_solution(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] not in GUARDED_PACKAGES:
                        continue
                    if alias.asname:
                        bindings.append((alias.asname, alias.name, None))
                    else:
                        top = alias.name.split(".")[0]
                        bindings.append((top, top, None))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] not in GUARDED_PACKAGES:
                    continue
                for alias in node.names:
                    if alias.name != "*":
                        bindings.append((alias.asname or alias.name, node.module, alias.name))
    return sorted(set(bindings))


def indent_body(source, prefix="    "):
    """``source`` indented by ``prefix``, except lines that continue a multi-line string (indenting
    those would change the string)."""
    lines = source.splitlines(keepends=True)
    inside = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    out = [line if number in inside or not line.strip() else prefix + line
           for number, line in enumerate(lines, start=1)]
    text = "".join(out)
    return text if text.endswith("\n") or not text else text + "\n"


def wrap_test(source, token):
    """The test cell ``source`` as sent to the kernel (see WRAP_HEAD)."""
    return (WRAP_HEAD.format(enter=_guard.ENTER_EVENT, token=token) + indent_body(source)
            + WRAP_TAIL.format(seal=_guard.SEAL_EVENT, token=token))


def expected_digest(wrapped):
    """Digest of the code object the kernel must run for ``wrapped`` (None: it does not compile)."""
    try:
        return _guard.code_digest(compile(wrapped, "<cell>", "exec", dont_inherit=True))
    except (SyntaxError, ValueError):
        return None


class GuardCells(NbGraderPreprocessor):
    """Insert the install cell and send every graded test cell wrapped, with a fresh token."""

    def preprocess(self, nb, resources):
        bindings = import_bindings(source_notebook(self, resources))
        guard = nbformat.v4.new_code_cell(
            "import autograder.kernel.guard\n"
            f"autograder.kernel.guard.install({bindings!r}, globals())\n"
            "del autograder")
        guard.metadata["autograder"] = {"guard": True}
        nb.cells.insert(0, guard)
        for cell in nb.cells[1:]:
            if is_test(cell):
                token = secrets.token_hex(16)
                wrapped = wrap_test(cell.source, token)
                meta = outcome_meta(cell)
                meta.update(token=token, original=cell.source, digest=expected_digest(wrapped))
                cell.source = wrapped
        tests = [i for i, c in enumerate(nb.cells) if is_test(c)]
        if tests:
            nb.cells.insert(tests[-1] + 1, self._sentinel())
        return nb, resources

    @staticmethod
    def _sentinel():
        """A hidden test that must fail, sent like any other: a valid seal for it means seals are
        being forged (the key left the hook), and no test of the notebook counts."""
        token = secrets.token_hex(16)
        left, right = secrets.randbelow(10 ** 6), 10 ** 6 + secrets.randbelow(10 ** 6)
        body = f'"""Check the result against the reference."""\nassert {left} == {right}\n'
        wrapped = wrap_test(body, token)
        cell = nbformat.v4.new_code_cell(wrapped)
        cell.metadata["autograder"] = {"sentinel": True, "token": token,
                                       "digest": expected_digest(wrapped)}
        return cell
