"""What the submitted source says, read on the trusted side: a rule about the code itself ("write
the loops yourself", "do not call nnlib's softmax") is decided from it and from what the kernel
reports, never from a gate inside the kernel alone.

The submission's code cells are the ones the student's kernel runs (every cell but the tests, as
nbgrader read them: answers, the instructor's cells as the student left them, cells the student
added).  For a name the notebook binds, :meth:`Submission.definition` finds the statement that
bound it last before a given test; :meth:`Submission.references` the dotted names of the
libraries that definition reaches (through the imports and aliases of the cells, and through the
notebook's own functions it calls, transitively).
"""

from __future__ import annotations

import ast

from autograder.checker.plan import python_source
from autograder.kernel.serve import named


class SourceUnavailable(AssertionError):
    """The submitted notebook does not define the name with a ``def`` the grader can read."""


class _Cell:
    def __init__(self, position, text):
        self.position = position
        try:
            self.source = python_source(text)
            self.tree = ast.parse(self.source)
        except SyntaxError:
            self.source, self.tree = text, None


class Submission:
    """The submitted notebook's code, as ``[(position, kind, grade_id, text)]`` of its code cells
    in order (kind: "test", "answer" or "other")."""

    def __init__(self, cells):
        self.cells = [_Cell(position, text) for position, kind, _, text in cells
                      if kind != "test"]
        self.tests = {gid: position for position, kind, gid, _ in cells if kind == "test"}
        self._reached = {}

    def _before(self, test):
        limit = self.tests.get(test, float("inf"))
        return [c for c in self.cells if c.position < limit and c.tree is not None]

    def _bindings(self, name, test):
        """Every top-level statement binding ``name`` before ``test``: [(cell, node)]."""
        found = []
        for cell in self._before(test):
            for node in cell.tree.body:
                if name in _top_binds(node):
                    found.append((cell, node))
        return found

    def definition(self, name, test):
        """(source, node) of the def or class that binds ``name`` last before ``test``; raises
        SourceUnavailable when the last binding is anything else."""
        found = self._bindings(name, test)
        if not found:
            raise SourceUnavailable(f"{name} is not defined in a cell of your notebook before this "
                                    f"test (the grader reads its definition there)")
        cell, node = found[-1]
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                or node.name != name:
            raise SourceUnavailable(
                f"{name} is last bound by line {node.lineno} of a cell ("
                f"{ast.get_source_segment(cell.source, node).splitlines()[0][:80]!r}), not by a "
                f"`def {name}(...)`: the grader reads the loops and calls of your answer from its "
                f"def, so define {name} with a def")
        return ast.get_source_segment(cell.source, node), node

    def source(self, name, test):
        return self.definition(name, test)[0]

    def aliases(self, test):
        """{name: dotted path} of the module-level imports and plain aliases before ``test``
        (``import numpy as np`` -> np: numpy; ``from nnlib import softmax as s`` -> s:
        nnlib.softmax; ``L = nnlib.Linear`` -> L: nnlib.Linear)."""
        found = {}
        for cell in self._before(test):
            for node in cell.tree.body:
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            found[alias.asname] = alias.name
                        else:
                            top = alias.name.split(".")[0]
                            found[top] = top
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        if alias.name != "*":
                            found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    path = _dotted(node.value, found)
                    if path:
                        found[node.targets[0].id] = path
                    else:
                        found.pop(node.targets[0].id, None)
                else:
                    for bound in _top_binds(node):
                        found.pop(bound, None)
        return found

    def references(self, name, test):
        """The dotted library paths the definition of ``name`` names, and those of the notebook's
        functions and classes it names, transitively (a set).  A name bound otherwise than by a
        def (``f = types.FunctionType(nnlib.f.__code__, ...)``) is read from that statement."""
        return self._reach(name, test)[0]

    def evasions(self, name, test):
        """The constructs in what ``name`` reaches that make code the grader cannot read:
        dynamic imports and code objects (``importlib``, ``exec``, ``__code__`` ...), sorted."""
        return sorted(self._reach(name, test)[1])

    def _reach(self, name, test):
        key = (name, test)
        if key in self._reached:
            return self._reached[key]
        aliases = self.aliases(test)
        found, evasive, todo, seen = set(), set(), [name], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            bindings = self._bindings(current, test)
            if not bindings:
                continue
            node = bindings[-1][1]
            local = _locals(node) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)) else set()
            evasive |= _evasions(node)
            for child in ast.walk(node):
                if isinstance(child, (ast.Attribute, ast.Name)) and \
                        isinstance(getattr(child, "ctx", None), ast.Load):
                    root = child
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    if not isinstance(root, ast.Name) or root.id in local:
                        continue
                    path = _dotted(child, aliases)
                    if path:
                        found.add(path)
                    elif isinstance(child, ast.Name) and child.id != current:
                        todo.append(child.id)
        self._reached[key] = (found, evasive)
        return found, evasive


def _top_binds(node):
    names = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            break
    return names


# Names and attributes by which code makes code the grader cannot read from the source: a
# second, private import of a module, a function made from another's code object, exec/eval.
EVASIVE = frozenset({"importlib", "__import__", "exec", "eval", "compile", "FunctionType",
                     "CodeType", "__code__", "__globals__", "spec_from_file_location",
                     "exec_module", "module_from_spec", "sys.modules", "__builtins__",
                     "MethodType", "run_path", "run_module"})


def _evasions(node):
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id in EVASIVE:
            found.add(child.id)
        elif isinstance(child, ast.Attribute) and child.attr in EVASIVE:
            found.add(child.attr)
        elif isinstance(child, ast.Attribute) and child.attr == "modules" and \
                isinstance(child.value, ast.Name) and child.value.id == "sys":
            found.add("sys.modules")
    return found


def _locals(node):
    """Names a def or class binds inside itself (its parameters, its assignments)."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.arg):
            names.add(child.arg)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
    return names


def _dotted(node, aliases):
    """The dotted path an expression ``a.b.c`` names through ``aliases`` (None if it names none)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id]] + parts[::-1])


def resolve(path, prefix="nnlib"):
    """The object a dotted path of the trusted installation names, if it is under ``prefix``
    (any path when ``prefix`` is None; None otherwise, or when it names nothing)."""
    if prefix is not None and not (path == prefix or path.startswith(prefix + ".")):
        return None
    try:
        return named(path)
    except LookupError:
        return None
