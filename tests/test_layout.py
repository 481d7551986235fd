"""autograder/'s folders are its trust zones, and imports only point one way between them.

Read from the source (every ``import`` and ``from ... import`` of autograder, function-level ones
included): which zone may use which, no import cycle between modules, and the sandbox's own code
(``autograder.kernel``) importing nothing of autograder outside itself.
"""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"

# zone -> the zones it may import (besides itself).  Lower layers never import higher ones:
# kernel < jobs < sandbox, checker < worker < engines < course < stages < cli; tools drive the
# stages from outside and nothing imports them.
ALLOWED = {
    "kernel": set(),
    "jobs": set(),
    "apt": set(),
    "nbgrader_setup": set(),
    "nbgrader_config": {"jobs"},
    "sandbox": {"kernel", "jobs", "apt"},
    "checker": {"kernel", "jobs"},
    "worker": {"checker", "sandbox", "kernel", "jobs", "nbgrader_config", "nbgrader_setup"},
    "engines": {"worker", "sandbox", "jobs", "nbgrader_setup"},
    "course": {"jobs", "nbgrader_config", "nbgrader_setup"},
    "stages": {"course", "engines", "sandbox", "jobs", "nbgrader_config", "nbgrader_setup"},
    "student": set(),
    "cli": {"stages", "course", "engines", "sandbox", "student", "tools", "jobs"},
    "tools": {"stages", "course", "engines", "sandbox", "jobs", "nbgrader_config", "nbgrader_setup",
              "worker"},
    "__main__": {"cli"},
    "__init__": set(),
}


def _modules():
    """{dotted module name: path} of every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def zone(module):
    """The zone of ``autograder.X...``: its first part below the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(module):
    """The autograder modules ``module`` imports (absolute names; each as the deepest module that
    exists, so ``from autograder.sandbox import Sandbox`` is autograder.sandbox)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # an imported submodule counts as itself, anything else as the module it comes from
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        for name in names:
            if name == "autograder" or name.startswith("autograder."):
                while name not in MODULES and "." in name:
                    name = name.rpartition(".")[0]
                if name in MODULES and name != module:
                    found.add(name)
    return found


GRAPH = {module: imports(module) for module in MODULES}


def test_every_module_is_in_a_known_zone():
    """A new folder or top-level module must say where it runs: add it to ALLOWED."""
    assert sorted({zone(m) for m in MODULES} - set(ALLOWED)) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_one_way(module):
    """A module imports only its own zone and the zones beneath it."""
    own = zone(module)
    wrong = sorted(m for m in GRAPH[module]
                   if zone(m) != own and zone(m) != "__init__" and zone(m) not in ALLOWED[own])
    assert wrong == [], f"{module} ({own}) must not import {wrong}"


def test_no_import_cycles():
    """No module reaches itself through its imports."""
    cycles, state = [], {}

    def visit(module, stack):
        state[module] = "open"
        for other in sorted(GRAPH[module]):
            if state.get(other) == "open":
                cycles.append(stack[stack.index(other):] + [other])
            elif other not in state:
                visit(other, stack + [other])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_sandboxed_code_stands_alone():
    """autograder.kernel, the only code shipped into the sandbox, imports no other part of
    autograder and, at module level, nothing but the standard library."""
    stdlib = set(sys.stdlib_module_names)
    for module in (m for m in MODULES if zone(m) == "kernel"):
        assert all(zone(m) == "kernel" for m in GRAPH[module]), module
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                tops = [(node.module or "").split(".")[0]]
            else:
                continue
            assert all(t in stdlib or t == "__future__" or t == "autograder" for t in tops), \
                (module, tops)
