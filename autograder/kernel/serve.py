"""The student's kernel answering the checker (runs inside the sandbox, in the kernel's main thread).

While a graded test cell runs in the trusted checker (autograder.checker), the kernel runs one
line in its place, the same for every test cell, visible or hidden::

    __import__("autograder.kernel.serve", fromlist=["serve"]).serve(SOCKET, globals())

:func:`serve` connects to the checker's socket and does what the checker asks, in the notebook's
namespace, until it says ``end``: look up the notebook's names, call a function or method with the
inputs it sends, read or set an attribute, rebind a name for the length of the test.  Values go
both ways as plain data (autograder.kernel.wire); an object that is not plain data stays here and
the checker gets a handle to it.  Nothing of the test is ever sent here: no expected value, no
check, no source, no sign of which test (or whether a hidden one) is asking.

What this side reports -- the values, its errors, which of nnlib's functions an answer called, how
much memory a call took -- is the student's to change, like everything in this process; the
checker decides with it, never on its word alone (see autograder.checker).
"""

from __future__ import annotations

import importlib
import linecache
import socket
import sys
import traceback
import types
import warnings

from autograder.kernel import wire

_KINDS = ((types.FunctionType, "function"), (types.BuiltinFunctionType, "function"),
          (types.MethodType, "method"), (type, "class"), (types.ModuleType, "module"))
# nnlib's subpackages that draw and explain rather than compute: not watched
_UNWATCHED = ("nnlib.checks", "nnlib.widgets", "nnlib.pictures")


_server = None


def serve(path, namespace):
    """Answer the checker on the Unix socket at ``path`` until it says ``end`` (or hangs up).

    The handles and links of one test cell stay for the next (a test may use an object an
    earlier one made, as it could in one kernel); what was rebound is put back after each."""
    global _server
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError as exc:
        raise RuntimeError(f"the grader's checker is not listening ({exc})") from None
    if _server is None or _server.namespace is not namespace:
        _server = Server(namespace)
    _server.conn = conn
    try:
        _server.run()
    except wire.PeerGone:           # the checker gave up (its time ran out): nothing to say
        pass
    finally:
        _server.close()
        conn.close()


class Server:
    """The kernel's side of the tests: handles, links, callbacks and rebound names."""

    def __init__(self, namespace):
        self.conn, self.namespace = None, namespace
        self.rebound = {}                              # name -> (was bound, old value)
        self.limits = wire.Limits()
        self.recorder = Recorder()
        self.reset()

    def reset(self):
        """Forget every handle, link and callback (the checker starts a new table too)."""
        self.handles, self.handle_ids = {}, {}         # handle id -> object, id(object) -> id
        self.callbacks = {}                            # id(stub) -> callback id
        self.codec = wire.Codec("k", self._other, self._make, rebuild=_nnlib_class)
        self.calls = 0

    # ----------------------------------------------------------------- the loop
    def run(self):
        self.recorder.install()
        while True:
            header, buffers = wire.recv(self.conn, self.limits)
            if header.get("op") == "end":
                self._send({"op": "ok"})
                return
            self._answer(header, buffers)

    def close(self):
        """After a test cell: nnlib's functions and the rebound names as they were."""
        self.recorder.remove()
        for name, (was, old) in self.rebound.items():
            if was:
                self.namespace[name] = old
            else:
                self.namespace.pop(name, None)
        self.rebound.clear()

    def _send(self, header, **values):
        try:
            header, buffers = self.codec.message(header, **values)
        except (wire.WireError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            header, buffers = self.codec.message(
                {"op": "error", "error": {"type": "ValueError", "builtin": "ValueError",
                                          "message": f"the answer cannot be sent: {exc}",
                                          "traceback": "", "frames": []}})
        wire.send(self.conn, header, buffers)

    def _answer(self, header, buffers):
        """Do one request of the checker's and send the reply (the result, or the error)."""
        op = header.get("op")
        report = {}
        self.last_calls = None
        try:
            if op == "hello":       # a checker that starts afresh (it lost the last connection)
                if header.get("fresh"):
                    self.reset()
                value = None
            elif op == "lookup":
                (names,) = self.codec.receive(header, buffers, "names")
                value = tuple(self._lookup(n) for n in names) if type(names) is tuple else ()
            elif op in ("call", "callattr"):
                target, args, kwargs = self.codec.receive(header, buffers, "target", "args",
                                                          "kwargs")
                if op == "callattr":
                    target = getattr(target, str(header.get("name")))
                value, report = self._call(target, args, dict(kwargs), bool(header.get("measure")))
            elif op == "getattr":
                (target,) = self.codec.receive(header, buffers, "target")
                value = getattr(target, str(header.get("name")))
            elif op == "setattr":
                target, new = self.codec.receive(header, buffers, "target", "value")
                setattr(target, str(header.get("name")), new)
                value = None
            elif op == "repr":
                (target,) = self.codec.receive(header, buffers, "target")
                value = _bounded(repr(target), 2000)
            elif op == "bind":
                (pairs,) = self.codec.receive(header, buffers, "pairs")
                for name, new in pairs:
                    self._bind(str(name), new)
                value = None
            elif op == "unbind":
                (names,) = self.codec.receive(header, buffers, "names")
                for name in names:
                    self._unbind(str(name))
                value = None
            else:
                raise ValueError(f"unknown request {op!r}")
        except wire.WireError:
            raise
        except BaseException as exc:          # the student's error is the answer: send it back
            if self.last_calls is not None:   # what the call had called of nnlib before it failed
                report["nnlib_calls"] = self.last_calls
            self._send({"op": "error", "error": self._error(exc), "report": report})
            return
        self._send({"op": "ok", "report": report}, value=value)

    # ----------------------------------------------------------------- requests
    def _lookup(self, name):
        if type(name) is not str or name not in self.namespace:
            return (False, None)
        return (True, self.namespace[name])

    def _call(self, target, args, kwargs, measure):
        self.calls += 1
        self.recorder.start()
        tracing = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if measure:
                    import tracemalloc
                    tracing = tracemalloc.is_tracing()
                    if not tracing:
                        tracemalloc.start()
                    tracemalloc.reset_peak()
                    base = tracemalloc.get_traced_memory()[0]
                value = target(*args, **kwargs)
                report = {}
                if measure:
                    report["peak_bytes"] = max(0, tracemalloc.get_traced_memory()[1] - base)
            finally:
                if measure and not tracing:
                    tracemalloc.stop()
                self.last_calls = self.recorder.stop()
        report["nnlib_calls"] = self.last_calls
        return value, report

    def _bind(self, name, value):
        if name not in self.rebound:
            self.rebound[name] = (name in self.namespace, self.namespace.get(name))
        self.namespace[name] = value

    def _unbind(self, name):
        if name in self.rebound:
            was, old = self.rebound.pop(name)
            if was:
                self.namespace[name] = old
            else:
                self.namespace.pop(name, None)

    # ----------------------------------------------------------------- callbacks
    def _callback(self, number, args, kwargs):
        """Call the checker's function ``number`` (a test's own function given to the answer)
        and wait for its result, answering the checker's requests meanwhile."""
        header, buffers = self.codec.message({"op": "callback", "id": number},
                                             args=tuple(args), kwargs=kwargs)
        wire.send(self.conn, header, buffers)
        self.recorder.pause()
        try:
            while True:
                header, buffers = wire.recv(self.conn, self.limits)
                op = header.get("op")
                if op == "return":
                    (value,) = self.codec.receive(header, buffers, "value")
                    return value
                if op == "raise":
                    self.codec.receive(header, buffers)
                    raise _checker_error(header.get("error"))
                if op == "end":
                    raise wire.PeerGone("the checker ended the test during a callback")
                self._answer(header, buffers)
        finally:
            self.recorder.resume()

    def _stub(self, number, label):
        def callback(*args, **kwargs):
            return self._callback(number, args, kwargs)
        callback.__name__ = callback.__qualname__ = wire.name(label, "callback")
        self.callbacks[id(callback)] = (number, callback)
        return callback

    # ----------------------------------------------------------------- encoding
    def _other(self, value, buffers, depth):
        """A handle for everything that is not plain data (a callback: the checker's own)."""
        known = self.callbacks.get(id(value))
        if known is not None and known[1] is value:
            return {"$": "f", "id": known[0]}
        number = self.handle_ids.get(id(value))
        if number is None or self.handles.get(number) is not value:
            number = len(self.handles) + 1
            self.handles[number], self.handle_ids[id(value)] = value, number
        return describe(value, number)

    def _make(self, tag, node, decode):
        if tag == "h":
            number = node.get("id")
            if number not in self.handles:
                raise wire.WireError(f"no handle {number!r}")
            return self.handles[number]
        if tag == "m":
            number = node.get("h")
            if number not in self.handles:
                raise wire.WireError(f"no handle {number!r}")
            return getattr(self.handles[number], str(node.get("name")))
        if tag == "f":
            return self._stub(node.get("id"), node.get("name"))
        return _library(node.get("path"))            # "x"

    def _error(self, exc):
        """The student's exception as plain data: type, message, traceback, frames."""
        kind = type(exc)
        builtin = next((k.__name__ for k in kind.__mro__ if k.__module__ == "builtins"),
                       "Exception")
        try:
            message = str(exc)
        except BaseException:          # noqa: BLE001 -- a __str__ that fails is the student's
            message = f"<{kind.__name__} whose message cannot be shown>"
        frames, tb = [], exc.__traceback__
        while tb is not None and tb.tb_frame.f_globals.get("__name__") == __name__:
            tb = tb.tb_next            # this module's own frames first: not the student's
        shown = tb
        while tb is not None and len(frames) < 100:
            code = tb.tb_frame.f_code
            function = self.namespace.get(code.co_name)
            frames.append({"name": code.co_name, "file": code.co_filename, "line": tb.tb_lineno,
                           "text": linecache.getline(code.co_filename, tb.tb_lineno).strip()[:300],
                           "student": getattr(function, "__code__", None) is code})
            tb = tb.tb_next
        try:
            text = "".join(traceback.format_exception(kind, exc, shown))
        except BaseException:          # noqa: BLE001
            text = f"{kind.__name__}: {message}"
        return {"type": kind.__name__, "module": getattr(kind, "__module__", ""),
                "builtin": builtin, "message": _bounded(message, 20000),
                "traceback": _bounded(text, 20000), "frames": frames,
                "name": getattr(exc, "name", None) if type(getattr(exc, "name", None)) is str
                else None,
                "origin": getattr(exc, "_checker_origin", None)}


def describe(value, number):
    """A handle's node: what the checker may show of the object (names, bounded)."""
    kind = next((label for cls, label in _KINDS if isinstance(value, cls)), "instance")
    cls = value if kind == "class" else type(value)
    node = {"$": "h", "id": number, "kind": kind, "type": _bounded(type(value).__qualname__, 200),
            "module": _bounded(str(getattr(type(value), "__module__", "")), 200),
            "callable": callable(value)}
    if kind in ("function", "class"):
        node["name"] = _bounded(str(getattr(value, "__qualname__", getattr(value, "__name__", ""))),
                                200)
    code = getattr(value, "__code__", None)
    if isinstance(code, types.CodeType):
        node["line"] = [_bounded(code.co_filename, 500), code.co_firstlineno]
    if kind in ("class", "instance"):
        node["methods"] = sorted({name for klass in cls.__mro__[:-1]
                                  for name, attr in vars(klass).items()
                                  if not name.startswith("_") and callable(attr)})[:300]
    return node


def _bounded(text, limit):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _checker_error(info):
    """The exception a callback of the checker's raised, raised here for the answer to see: of
    the builtin type it had (the message and type are all that is sent)."""
    import builtins
    info = info if type(info) is dict else {}
    name = info.get("builtin")
    base = getattr(builtins, name, None) if type(name) is str else None
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = Exception
    exc = base(str(info.get("message", "")))
    try:
        exc._checker_origin = info.get("origin")
    except AttributeError:
        pass
    return exc


def named(path):
    """The object a dotted path names in this process (numpy.tanh, nnlib.Sigmoid, math.exp,
    builtins.len): its longest importable module, then attributes; LookupError if none.  The
    checker finds the trusted installation's objects with it too (autograder.checker.source)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            break
        return obj
    raise LookupError(path)


def _library(path):
    """The object a library reference from the checker names here."""
    if type(path) is not str or not path:
        raise wire.WireError("a library reference without a name")
    try:
        return named(path)
    except LookupError:
        raise wire.WireError(f"cannot find {path!r} here") from None


def _nnlib_class(path):
    """An nnlib class by its path (the checker sends nnlib objects as class + state)."""
    obj = _library(path) if type(path) is str and path.startswith("nnlib.") else None
    if not isinstance(obj, type):
        raise wire.WireError(f"{path!r} is not one of nnlib's classes")
    return obj


class Recorder:
    """Which of nnlib's functions and methods an answer called (during one call of the
    checker's): every one of them is given a gate that notes (function, class of ``self``).
    Calls nest (a call of the checker's inside a callback inside a call): each has its own set;
    while a callback runs in the checker, nothing is noted."""

    def __init__(self):
        self._undo, self._stack = [], []      # a set per running call; None while a callback runs

    def install(self):
        try:
            from nnlib.checks.forbidden import gate_function
        except Exception:          # noqa: BLE001 -- nnlib broken by the notebook: report nothing
            return
        for module in [m for name, m in list(sys.modules.items())
                       if (name == "nnlib" or name.startswith("nnlib."))
                       and not name.startswith(_UNWATCHED) and m is not None]:
            for value in list(vars(module).values()):
                if getattr(value, "__module__", None) != module.__name__:
                    continue
                if isinstance(value, types.FunctionType) and not value.__name__.startswith("_"):
                    self._gate(gate_function, value, None)
                elif isinstance(value, type):
                    for name, attr in list(vars(value).items()):
                        if isinstance(attr, types.FunctionType) and (
                                not name.startswith("_") or name in ("__init__", "__call__")):
                            self._gate(gate_function, attr, value)

    def _gate(self, gate_function, func, owner):
        label = f"{func.__module__}.{func.__qualname__}"

        def make_gate(original):
            def gate(args, kwargs):
                if self._stack and self._stack[-1] is not None:
                    of = type(args[0]) if owner is not None and args else None
                    self._stack[-1].add((label, f"{of.__module__}.{of.__qualname__}"
                                         if of else None))
                return original(*args, **kwargs)
            return gate
        try:
            self._undo.append(gate_function(func, make_gate))
        except (ValueError, TypeError, AttributeError):
            pass

    def remove(self):
        while self._undo:
            self._undo.pop()()

    def start(self):
        self._stack.append(set())

    def pause(self):
        self._stack.append(None)

    def resume(self):
        self._stack.pop()

    def stop(self):
        return sorted([list(c) for c in self._stack.pop()])[:1000]
