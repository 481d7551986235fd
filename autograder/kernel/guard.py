"""Kernel-side half of grading integrity (runs inside the student's kernel; the trusted half is in
autograder.preprocessors).

The kernel runs hostile code: anything in its process can be replaced.  So a test cell does not earn
its points by *saying* it passed; it earns them when the trusted worker can verify a **seal** that
only this module can make, and only when the test ran as written, to its end.

How (set up by :func:`install`, the first cell, before any student code runs):

- ``install`` makes a secret key in the kernel, prints it once (the worker reads it from the first
  cell's output) and keeps it only inside C hash objects held by an **audit hook**
  (:func:`sys.addaudithook`, PEP 578): a hook cannot be removed or listed from Python.
- Every graded test cell is sent as ONE statement (``if "autograder-cell": ...``) so that IPython
  runs it as one code object, with an ``enter`` event first and a ``seal`` event last, raised with
  :func:`sys.audit`.  At ``seal`` the hook looks at the frame that raised it and signs
  (HMAC-SHA256) the token, a digest of the code object that is *actually running* (its bytecode,
  names and constants; see :func:`code_digest`) and what it found wrong.  The worker compiles the
  cell it sent, computes the same digest and checks the signature.  A cell rewritten by an input or
  AST transformer (try/except around the asserts, ``pass`` instead of the body), run in another
  namespace, stopped before its end (an exception, a timeout) or not run at all has no valid seal.
- The hook refuses (raises ``PermissionError``) what would let notebook code read the hook's state
  or change control flow behind the test's back: ``sys.settrace``/``sys.setprofile``,
  ``sys._current_frames``, ``gc.get_objects/get_referrers/get_referents``, ``ctypes``, opening
  ``/proc/*/mem``.  The refusing hook is a separate function that holds no secret, so the traceback
  of a refusal shows nothing worth having.
- At ``seal`` the hook also compares, by identity, the checking machinery (numpy, nnlib,
  nnlib.checks, autograder's grader-only modules: module attributes, class attributes, function
  code) and the notebook names bound by the instructor's imports with the snapshot taken at
  install; anything different means the test ran with patched checks -> the seal says so and the
  worker fails the cell.  A second (private) import of an nnlib module, or a copy of one of nnlib's
  functions made with ``types.FunctionType``, is recorded (both get around ``forbid``) and fails
  every test sealed after it.
- :func:`restore` (sent before each test body) still puts back what the notebook rebound or patched
  (``np.allclose = ...``, ``check_array = ...``), so an honest notebook that shadowed a name by
  accident is graded normally; what it undid is printed on one marked line (informational only:
  the worker reports it as "tampering undone"; it never adds points).

- The worker also sends one hidden **sentinel**: a test that must fail, wrapped like the others.
  If it comes back with a valid seal, seals are being forged and no test of the notebook counts.

What remains possible in-process (said plainly): code that runs *during* the test (a function the
test calls) can rebind a checking name or module attribute for the length of that call and put it
back before the seal (Python 3.11 has no dict watchers); a Python signal handler that fires while
the hook runs receives the hook's frame and can take the HMAC states from it (there is no audit
event for installing a signal handler) -- a notebook that then forges seals for every test is
caught by the sentinel (tests/grading/hostile does exactly this), one that forges only for tests it
recognises as real is not; plagiarism of nnlib's source is invisible.  All of these need code aimed
at this grader, which stays in the submission for review; and the sandbox (autograder.sandbox)
bounds what any of it can do to anything but the submission's own grade.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib
import json
import os
import sys
import types
import warnings

KEY_MARK = "AUTOGRADER-KEY"
SEAL_MARK = "AUTOGRADER-SEAL"
ENTER_EVENT = "autograder.enter"
SEAL_EVENT = "autograder.seal"
UNDONE_MARK = "AUTOGRADER-UNDONE"

# Modules whose public callables the tests rely on.  Submodules of nnlib are added at install time.
PROTECTED = ("numpy", "numpy.testing", "numpy.linalg", "numpy.random", "math",
             "nnlib", "nnlib.checks")

# Refused outright once install has run (see the module docstring).
REFUSED = frozenset({"sys.settrace", "sys.setprofile", "sys._current_frames", "gc.get_objects",
                     "gc.get_referrers", "gc.get_referents", "ctypes.dlopen", "ctypes.dlsym",
                     "ctypes.cdata", "ctypes.call_function", "ctypes.addressof",
                     "ctypes.string_at", "ctypes.wstring_at", "ctypes.set_errno",
                     "ctypes.seh_exception", "ctypes.cdata/buffer", "ctypes.create_string_buffer",
                     "ctypes.create_unicode_buffer", "ctypes.get_errno", "ctypes.set_exception",
                     "ctypes.PyObj_FromPtr"})

_setattr = builtins.setattr
_getattr = builtins.getattr
_isinstance = builtins.isinstance
_sys_modules = sys.modules
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


def code_digest(code, _sha=hashlib.sha256, _type=type, _repr=repr, _sorted=sorted,
                _CodeType=types.CodeType, _tuple=tuple, _frozenset=frozenset):
    """Hex digest of a code object: bytecode, names and constants, not file names or line numbers.

    Used on both sides: the hook digests the code object that runs, the worker the one it compiles
    from the cell it sent.  Everything it touches is immutable and built in (bound as defaults, so
    rebinding a global or a builtin cannot change it), so no notebook code runs while it works.
    """
    digest = _sha()
    update = digest.update

    def feed(obj):
        kind = _type(obj)
        if kind is _CodeType:
            update(b"C")
            update(obj.co_code)
            update(_repr((obj.co_names, obj.co_varnames, obj.co_freevars, obj.co_cellvars,
                          obj.co_argcount, obj.co_posonlyargcount, obj.co_kwonlyargcount,
                          obj.co_flags & 0x3FF)).encode())
            update(b"(")
            for const in obj.co_consts:
                feed(const)
            update(b")")
        elif kind is _tuple:
            update(b"T(")
            for item in obj:
                feed(item)
            update(b")")
        elif kind is _frozenset:
            update(_repr(_sorted(_repr(item) for item in obj)).encode())
        else:
            update((kind.__name__ + ":" + _repr(obj) + ";").encode())

    feed(code)
    return digest.hexdigest()


def _hmac_pair(key):
    """Inner and outer SHA-256 states of HMAC(key) (RFC 2104), as C objects."""
    block = 64
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key))
    outer = hashlib.sha256(bytes(k ^ 0x5C for k in key))
    return inner, outer


def seal_message(token, digest, report):
    """The bytes a seal signs (the worker builds the same from what it expects)."""
    return f"{token}|{digest}|{report}".encode()


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


def install(bindings=(), namespace=None):
    """Snapshot the checking machinery, start the sealing hook, print the key (first cell only).

    ``bindings`` = [(name, module, attr_or_None), ...] (the instructor's import lines);
    ``namespace`` = the notebook's globals().
    """
    if _state:
        raise RuntimeError("autograder.guard.install runs once per kernel")
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
    resolved = []
    for name, module_name, attr in bindings:
        try:
            resolved.append((name, _resolve(module_name, attr)))
        except Exception:
            continue
    warnings.simplefilter("ignore")
    _undumpable()
    key = os.urandom(32)
    inner, outer = _hmac_pair(key)
    sealer = _make_sealer(
        namespace=namespace if namespace is not None else {},
        inner=inner, outer=outer,
        modules=tuple((name, module, vars(module), tuple(saved.items()))
                      for name, (module, saved) in attrs.items()),
        classes=tuple((f"{cls.__module__}.{cls.__qualname__}", cls.__dict__,
                       tuple((k, v) for k, v in saved.items() if k not in _CACHES))
                      for cls, saved in classes.items()),
        codes=tuple((f"{f.__module__}.{f.__qualname__}", f, c) for f, c in codes.items()),
        bindings=tuple(resolved),
        nnlib_dir=_nnlib_dir(),
        loaded=frozenset(getattr(m, "__file__", None) for m in list(_sys_modules.values())
                         if getattr(m, "__file__", None)),
        own_code=_nested_code(codes.values()))
    sys.addaudithook(sealer)
    sys.addaudithook(_refuse)
    sys.stdout.write(f"{KEY_MARK} {key.hex()}\n")
    sys.stdout.flush()
    del key, inner, outer, sealer


def _nested_code(codes):
    """Every code object of nnlib's and autograder's functions, nested ones included."""
    found, todo = set(), list(codes)
    while todo:
        code = todo.pop()
        if code not in found:
            found.add(code)
            todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return frozenset(found)


def _nnlib_dir():
    try:
        import nnlib
        return os.path.dirname(os.path.abspath(nnlib.__file__)) + os.sep
    except Exception:
        return "\0"


def _undumpable():
    """Make the kernel non-dumpable: no other process of the same user can ptrace it or read its
    /proc/<pid>/mem (children the notebook starts included).  Linux only; best effort."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)           # PR_SET_DUMPABLE = 4
    except Exception:
        pass


def _refuse(event, args, _refused=REFUSED, _type=type, _str=str, _error=PermissionError):
    """Second audit hook: refuse what would expose the sealer or change control flow.  Holds no
    secret (a refusal's traceback shows this frame)."""
    if event in _refused:
        raise _error(f"{event} is not allowed while grading")
    if event == "open" and args and _type(args[0]) is _str and args[0].startswith("/proc/") \
            and args[0].endswith("/mem"):
        raise _error(f"opening {args[0]} is not allowed while grading")


def _make_sealer(*, namespace, inner, outer, modules, classes, codes, bindings, nnlib_dir, loaded,
                 own_code):
    """The first audit hook: records integrity events, checks and signs test cells.

    It never raises and never calls notebook code: every name it uses is bound here (closure), the
    objects it touches are built-in types, and the garbage collector is off while it works (so no
    finalizer of the notebook's runs inside it).
    """
    import gc
    _getframe, _gettrace, _getprofile = sys._getframe, sys.gettrace, sys.getprofile
    _type, _str, _list, _tuple, _repr, _len = type, str, list, tuple, repr, len
    _CodeType, _digest = types.CodeType, code_digest
    _gc_enabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
    watched = frozenset({ENTER_EVENT, SEAL_EVENT, "exec", "function.__new__"} | REFUSED)
    state = {"token": None, "frame": None, "integrity": [], "executed": set()}
    integrity = state["integrity"]

    def changed_machinery():
        found = []
        for name, module, mdict, saved in modules:
            current = {k: v for k, v in _list(mdict.items()) if _type(k) is _str}
            for key, value in saved:
                if current.get(key, _MISSING) is not value:
                    found.append(f"{name}.{key}")
            if _sys_modules.get(name) is not module:
                found.append(f"sys.modules[{name!r}]")
        for name, proxy, saved in classes:
            current = {k: v for k, v in _list(proxy.items()) if _type(k) is _str}
            for key, value in saved:
                if current.get(key, _MISSING) is not value:
                    found.append(f"{name}.{key}")
        for name, func, code in codes:
            if func.__code__ is not code:
                found.append(f"{name}.__code__")
        current = {k: v for k, v in _list(namespace.items()) if _type(k) is _str}
        for name, value in bindings:
            if current.get(name, _MISSING) is not value:
                found.append(f"notebook name {name!r}")
        return found

    def sign(token, frame):
        problems = []
        if state["token"] != token or state["frame"] is not frame:
            problems.append("the test was not entered as sent")
        if frame.f_globals is not namespace:
            problems.append("the test ran outside the notebook's namespace")
        if _gettrace() is not None or _getprofile() is not None or frame.f_trace is not None:
            problems.append("a trace or profile function was active")
        changed = changed_machinery()
        if changed:
            problems.append("changed during the test: " + ", ".join(changed[:8]))
        report = _repr((_tuple(problems), _tuple(integrity)))
        digest = _digest(frame.f_code)
        message = f"{token}|{digest}|{report}".encode()
        mac_inner = inner.copy()
        mac_inner.update(message)
        mac_outer = outer.copy()
        mac_outer.update(mac_inner.digest())
        state["token"] = state["frame"] = None
        return f"{SEAL_MARK} {token} {mac_outer.hexdigest()} {report}"

    def record(event, args):
        if event == "exec":
            code = args[0] if args else None
            if _type(code) is not _CodeType or code.co_name != "<module>":
                return
            path = code.co_filename
            if _type(path) is _str and path.startswith(nnlib_dir):
                if path in loaded or path in state["executed"]:
                    note(f"a second import of nnlib ({path[len(nnlib_dir):]})")
                state["executed"].add(path)
        elif event == "function.__new__":
            code = args[0] if args else None
            if _type(code) is _CodeType and _type(code.co_filename) is _str \
                    and code.co_filename.startswith(nnlib_dir) \
                    and _getframe(2).f_code not in own_code:      # forbid() makes its gates so
                note(f"a copy of nnlib's {code.co_name} made with types.FunctionType")
        else:
            note(f"{event} (refused)")

    def note(what):
        if what not in integrity and _len(integrity) < 20:
            integrity.append(what)

    def sealer(event, args):
        if event not in watched:
            return
        was_enabled = _gc_enabled()
        _gc_disable()
        try:
            if event == ENTER_EVENT:
                if _len(args) == 1 and _type(args[0]) is _str:
                    state["token"], state["frame"] = args[0], _getframe(1)
            elif event == SEAL_EVENT:
                if _len(args) == 2 and _type(args[0]) is _str and _type(args[1]) is _list:
                    args[1].append(sign(args[0], _getframe(1)))
            else:
                record(event, args)
        except BaseException:          # a hook that raised would show its frame: never
            pass
        finally:
            if was_enabled:
                _gc_enable()

    return sealer


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
    """Undo tampering before a test cell (module attributes, class attributes, function code, the
    instructor's import names); report what was undone to the sealer (informational)."""
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
    if changed:       # informational only (the seal decides): the worker reads it from the output
        _state["stdout"].write(f"{UNDONE_MARK} {json.dumps(sorted(set(changed)))}\n")
