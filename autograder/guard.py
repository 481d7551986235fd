"""Kernel-side tamper-proofing for autograding (runs inside the student's kernel).

The autograder inserts a first cell that calls :func:`install`, which snapshots the checking
machinery (numpy, nnlib, nnlib.checks, autograder's grader-only modules: module attributes, class
attributes and the code objects of their functions) BEFORE any student code runs.  Every graded test
cell is then prefixed with :func:`restore`, which

- puts back every snapshotted module attribute, class attribute and function ``__code__`` that the
  notebook changed (``np.allclose = lambda *a, **k: True``, ``nnlib.Sigmoid.forward = ...``,
  ``nnlib.checks.check_array.__code__ = ...``);
- rebinds the notebook names that the source notebook's own import lines bind (``np``, ``nnlib``,
  ``check_array`` ...) to the real objects, so ``check_array = lambda *a, **k: None`` in an answer
  cell is undone too;
- ignores warnings and sends ``sys.stderr`` to ``sys.stdout`` for the test cell, because nbgrader
  gives 0 points to a test cell with any stderr output (a RuntimeWarning from a correct answer
  must not cost the student the question).

Whatever it had to undo is appended to the file named by ``AUTOGRADER_GUARD_LOG`` (when set), so the
report can say "tampering detected" instead of silently fixing it.  This defends against rebinding
and patching; it is not a sandbox -- code in the kernel can always do more (that is what hidden
tests, manual review and sandboxed kernels are for).
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import sys
import types
import warnings

# Modules whose public callables the tests rely on.  Submodules of nnlib are added at install time.
PROTECTED = ("numpy", "numpy.testing", "numpy.linalg", "numpy.random", "math",
             "nnlib", "nnlib.checks", "autograder.checks", "autograder.reference")

_setattr = builtins.setattr
_getattr = builtins.getattr
_isinstance = builtins.isinstance
_open = builtins.open
_sys_modules = sys.modules
_json_dumps = json.dumps
_FunctionType = types.FunctionType
_MISSING = object()
_CACHES = frozenset({"__slotnames__"})

_state: dict = {}


# nnlib submodules not imported ahead of the student's code: heavy (matplotlib, ipywidgets,
# scikit-learn) and holding nothing a test compares with.
_HEAVY = frozenset({"nnlib.pictures", "nnlib.widgets", "nnlib.data"})


def _nnlib_modules(path, prefix):
    """nnlib's modules, subpackages included, found without importing them (none of _HEAVY)."""
    import pkgutil
    for m in pkgutil.iter_modules(path, prefix):
        if m.name not in _HEAVY:
            yield m.name
            if m.ispkg:
                yield from _nnlib_modules([os.path.join(path[0], m.name.rpartition(".")[2])],
                                          m.name + ".")


def _modules():
    names = list(PROTECTED)
    try:
        import nnlib
        names += [n for n in _nnlib_modules(nnlib.__path__, "nnlib.") if n not in names]
    except Exception:
        pass
    names += [n for n in list(_sys_modules) if n.startswith(("nnlib.", "autograder."))
              and n not in names and n != __name__ and n not in _HEAVY
              and not n.startswith("nnlib.widgets")]
    found = []
    for name in names:
        try:
            found.append(importlib.import_module(name))
        except Exception:      # optional module absent (e.g. autograder.reference): nothing to guard
            continue
    return found


def _owned(obj, prefixes=("nnlib", "autograder")):
    return (getattr(obj, "__module__", "") or "").split(".")[0] in prefixes


def install(bindings=()):
    """Snapshot the checking machinery; ``bindings`` = [(name, module, attr_or_None), ...]."""
    modules = _modules()
    attrs, classes, codes = {}, {}, {}
    for module in modules:
        attrs[module.__name__] = (module, dict(vars(module)))
        for value in list(vars(module).values()):
            if _isinstance(value, type) and _owned(value):
                classes[value] = dict(vars(value))
                for item in vars(value).values():
                    func = getattr(item, "__func__", item)
                    if _isinstance(func, _FunctionType):
                        codes[func] = func.__code__
            elif _isinstance(value, _FunctionType) and _owned(value):
                codes[value] = value.__code__
    _state.update(attrs=attrs, classes=classes, codes=codes, bindings=list(bindings),
                  stderr=sys.stderr, stdout=sys.stdout)
    warnings.simplefilter("ignore")


def _resolve(module_name, attr):
    entry = _state["attrs"].get(module_name)
    if entry is None:
        module = importlib.import_module(module_name)
        value = module
    else:
        module, saved = entry
        value = module
    if attr is None:
        return value
    if entry is not None and attr in saved:
        return saved[attr]
    return _getattr(value, attr)


def restore(namespace):
    """Undo tampering before a test cell; see the module docstring."""
    if not _state:
        return
    changed = []
    for name, (module, saved) in _state["attrs"].items():
        current = vars(module)
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                changed.append(f"{name}.{key}")
                _setattr(module, key, value)
        _sys_modules[name] = module
    for cls, saved in _state["classes"].items():
        current = vars(cls)
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                try:
                    _setattr(cls, key, value)
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
                except (AttributeError, TypeError):   # read-only slots such as __dict__
                    pass
        # __slotnames__ is a cache copyreg adds when an instance is copied or pickled
        for key in [k for k in current if k not in saved and k not in _CACHES]:
            try:
                delattr(cls, key)
                changed.append(f"{cls.__module__}.{cls.__qualname__}.{key} (added)")
            except (AttributeError, TypeError):
                pass
    for func, code in _state["codes"].items():
        if func.__code__ is not code:
            func.__code__ = code
            changed.append(f"{func.__module__}.{func.__qualname__}.__code__")
    for name, module_name, attr in _state["bindings"]:
        try:
            value = _resolve(module_name, attr)
        except Exception:
            continue
        if namespace.get(name, _MISSING) is not value:
            if name in namespace:
                changed.append(f"notebook name {name!r}")
            namespace[name] = value
    warnings.simplefilter("ignore")
    sys.stdout = _state["stdout"]
    sys.stderr = _state["stdout"]
    if changed:
        _log(changed)


def _log(changed):
    path = os.environ.get("AUTOGRADER_GUARD_LOG")
    if not path:
        return
    try:
        with _open(path, "a", encoding="utf-8") as handle:
            handle.write(_json_dumps(sorted(set(changed))) + "\n")
    except OSError:
        pass
