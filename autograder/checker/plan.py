"""Which of a source notebook's names a test cell takes from the trusted checker, which from the
student's kernel -- read from the source notebook alone, once per assignment.

A test cell runs in the checker, where every name it reads must mean what the instructor meant:

- names the instructor's cells bind (imports, data, helper functions, reference models) are made
  **here**, by running those statements from the SOURCE notebook in the checker, so that no
  expected value, reference or check ever comes from the kernel.  Only the statements some test
  needs run (with what they need in turn), in the notebook's order;
- names the student's answers bind, and names the instructor's cells compute *from* the student's
  code (06's ``digits_params``, trained by the student's ``sgd_train``), are the student's: the test
  gets them from the kernel (data as plain data, everything else as a handle);
- names the test cells bind are the checker's own (all test cells run in one namespace).

A statement depends on the student when running it reads a student name or calls a function
whose body reads one (transitively); a statement that changes a name in place (``x[0] = ...``,
``x.attr = ...``) while depending on the student makes that name the student's too.  Statements
that use IPython (magics) cannot run in the checker: their names come from the kernel.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from nbgrader import utils

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__doc__", "__file__", "__builtins__"}


@dataclass
class Statement:
    """One top-level statement of an instructor cell."""
    cell: int                      # index of its cell in the notebook
    source: str                    # its source (compiled alone)
    binds: frozenset               # module-level names it binds
    reads: frozenset               # names read when it runs
    calls: frozenset               # names read by the bodies of functions it defines
    changes: frozenset             # names it changes in place (x[...] = , x.a = , x += )
    ipython: bool = False          # uses get_ipython (a magic): cannot run in the checker
    student: bool = False          # depends on the student's code (decided by Plan)
    order: int = 0                 # its place among all the notebook's binding units
    imports: bool = False          # an import: always run (importing a submodule is what makes
                                   # ``nnlib.lessons.influence`` an attribute of nnlib.lessons)


@dataclass
class TestCell:
    cell: int
    grade_id: str
    source: str
    reads: frozenset
    binds: frozenset
    order: int = 0


@dataclass
class Plan:
    """The source notebook read for the checker (see the module docstring)."""
    statements: list = field(default_factory=list)     # every instructor statement, in order
    tests: dict = field(default_factory=dict)           # grade_id -> TestCell
    answers: dict = field(default_factory=dict)         # cell index -> names it binds
    student: frozenset = frozenset()                    # names the answers bind
    run: set = field(default_factory=set)               # statements (indexes) the checker runs
    kernel_names: dict = field(default_factory=dict)    # grade_id -> names taken from the kernel
    needs: dict = field(default_factory=dict)           # grade_id -> statements run before it
    problems: list = field(default_factory=list)        # cells that cannot be parsed

    def statements_before(self, grade_id):
        """The indexes of the statements to have run before the test ``grade_id``, in order."""
        test = self.tests[grade_id]
        return [i for i in sorted(self.run) if self.statements[i].order < test.order]


def python_source(text):
    """A cell's text as Python (IPython's transformations applied: magics become calls)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(text)


class _Names(ast.NodeVisitor):
    """Names a piece of code binds at its own level and reads (in function bodies: apart)."""

    def __init__(self):
        self.binds, self.reads, self.calls, self.changes = set(), set(), set(), set()

    def visit_Name(self, node):
        (self.binds if isinstance(node.ctx, (ast.Store, ast.Del)) else self.reads).add(node.id)

    def visit_Import(self, node):
        for alias in node.names:
            self.binds.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def _function(self, node):
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        args = node.args
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(default)
        body = _Body(_parameters(args))
        for item in (node.body if isinstance(node.body, list) else [node.body]):
            body.visit(item)
        # what its body (and the functions nested in it, closures included) reads of the globals
        self.calls |= (body.reads | body.calls) - body.local

    def visit_FunctionDef(self, node):
        self._function(node)
        self.binds.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._function(node)

    def visit_ClassDef(self, node):
        for part in node.bases + node.keywords + node.decorator_list:
            self.visit(part)
        body = _Body(())                # a class body runs now (its methods' bodies later);
        for item in node.body:          # what it binds are attributes, not globals
            body.visit(item)
        self.reads |= body.reads - body.local
        self.calls |= body.calls - body.local
        self.binds.add(node.name)

    def _target(self, target):
        while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
            target = target.value
        if isinstance(target, ast.Name):
            self.changes.add(target.id)

    def visit_Assign(self, node):
        for target in node.targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)):
                self._target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target)
        self.generic_visit(node)

    def visit_Global(self, node):
        self.binds.update(node.names)

    def _comprehension(self, node):
        """A comprehension runs now, in a scope of its own: its variables are not globals."""
        inner = _Body(())
        for generator in node.generators:
            inner.visit(generator)
        for part in ("elt", "key", "value"):
            if getattr(node, part, None) is not None:
                inner.visit(getattr(node, part))
        self.reads |= inner.reads - inner.local
        self.calls |= inner.calls

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension


class _Body(_Names):
    """A function's body: what it binds locally is not a global."""

    def __init__(self, parameters):
        super().__init__()
        self.local = set(parameters)
        self.declared = set()

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            if node.id not in self.declared:
                self.local.add(node.id)
        else:
            self.reads.add(node.id)

    def visit_Global(self, node):
        self.declared.update(node.names)

    def visit_FunctionDef(self, node):
        self._function(node)
        self.local.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node):
        for alias in node.names:
            self.local.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        for part in node.bases + node.keywords + node.decorator_list:
            self.visit(part)
        body = _Body(())
        for item in node.body:
            body.visit(item)
        self.reads |= body.reads - body.local
        self.calls |= body.calls - body.local
        self.local.add(node.name)


def _parameters(args):
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return names


def names_of(node):
    """(binds, reads, calls, changes) of one statement's AST."""
    visitor = _Names()
    visitor.visit(node)
    return (frozenset(visitor.binds), frozenset(visitor.reads), frozenset(visitor.calls),
            frozenset(visitor.changes))


def _cells(nb):
    """(index, kind, grade_id, python source) of every code cell of a source notebook."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if utils.is_grade(cell) and not utils.is_solution(cell):
            kind = "test"
        elif utils.is_solution(cell):
            kind = "answer"
        else:
            kind = "instructor"
        yield index, kind, gid, cell.source


def make_plan(nb):
    """The :class:`Plan` of the source notebook ``nb``."""
    plan = Plan()
    order = []              # (cell, kind, binds) of every binding unit, in order
    for index, kind, gid, text in _cells(nb):
        try:
            source = python_source(text)
            tree = ast.parse(source)
        except SyntaxError as exc:
            plan.problems.append(f"cell {index} does not parse: {exc}")
            continue
        if kind == "test":
            binds, reads, calls, _ = names_of(tree)
            plan.tests[gid] = TestCell(index, gid, text, reads | calls, binds, len(order))
            order.append((len(order), "test", binds, None))
        elif kind == "answer":
            binds = names_of(tree)[0]
            plan.answers[index] = binds
            order.append((len(order), "answer", binds, None))
        else:
            for node in tree.body:
                binds, reads, calls, changes = names_of(node)
                text_of = ast.get_source_segment(source, node) or ast.unparse(node)
                statement = Statement(index, text_of, binds, reads, calls, changes,
                                      ipython="get_ipython" in reads | calls, order=len(order),
                                      imports=isinstance(node, (ast.Import, ast.ImportFrom)))
                plan.statements.append(statement)
                order.append((len(order), "statement", binds, len(plan.statements) - 1))
    plan.student = frozenset().union(*plan.answers.values()) if plan.answers else frozenset()
    _mark_student(plan)
    _choose(plan, order)
    return plan


def _mark_student(plan):
    """Mark the statements that depend on the student's code (see the module docstring)."""
    functions = {}                     # name -> the body reads of the function bound to it
    for statement in plan.statements:
        for name in statement.binds:
            if statement.calls:
                functions[name] = statement.calls
    dependent = set()                  # functions whose bodies reach the student's code
    changed = True
    while changed:
        changed = False
        for name, reads in functions.items():
            if name not in dependent and reads & (plan.student | dependent):
                dependent.add(name)
                changed = True
    theirs = set(plan.student)         # names whose value (at this point) is the student's
    answers = sorted(plan.answers)
    for statement in plan.statements:
        # an answer cell before this statement binds its names again
        for cell in answers:
            if cell < statement.cell:
                theirs |= plan.answers[cell]
        if statement.ipython or statement.reads & (theirs | dependent):
            statement.student = True
            theirs |= statement.binds | statement.changes
        else:
            theirs -= statement.binds


def _choose(plan, order):
    """For each test: the statements the checker runs for it and the names it gets from the kernel."""
    def binder(name, before):
        """The last binding unit of ``name`` before unit ``before``: (kind, statement index)."""
        found = None
        for place, kind, binds, statement in order:
            if place >= before:
                break
            if name in binds:
                found = (kind, statement)
        return found

    for gid, test in plan.tests.items():
        # names the test binds itself are its own (test cells run in one namespace, in order)
        todo = [(n, test.order, True) for n in test.reads - test.binds]
        kernel, needed, seen = set(), set(), set()
        while todo:
            name, before, at_test = todo.pop()
            if (name, before) in seen or name in _BUILTINS:
                continue
            seen.add((name, before))
            found = binder(name, before)
            if found is None or found[0] == "test":
                continue                  # the checker's own (or a builtin, or unbound)
            kind, index = found
            if kind == "answer" or plan.statements[index].student:
                kernel.add(name)
                continue
            if index in needed:
                continue
            needed.add(index)
            statement = plan.statements[index]
            todo += [(n, statement.order, False) for n in statement.reads]
            todo += [(n, test.order, True) for n in statement.calls]
        plan.kernel_names[gid] = frozenset(kernel)
        plan.needs[gid] = needed
        plan.run |= needed
    plan.run |= {i for i, s in enumerate(plan.statements) if s.imports and not s.student}
