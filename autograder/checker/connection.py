"""The checker's end of the wire to the student's kernel: proxies of its objects, its errors.

A test cell running in the checker sees the student's names as they are in the kernel: data as
plain copies (linked, so in-place changes travel both ways: autograder.kernel.wire), everything
else as a :class:`Handle`.  Calling a handle, reading or setting one of its attributes, calling one
of its methods sends a request to the kernel, which runs the student's code there and answers
with plain data.  A function of the test's own given to the student's code (a callback) stays
here: the kernel gets a stub that asks for it to be called.

Nothing the kernel sends can run code here: handles are inert proxies (dunder lookups never go to
the kernel, so numpy cannot be made to read memory through ``__array_interface__``), errors are
rebuilt from type names and text, values from plain data.  A kernel that breaks the protocol,
sends too much, or does not answer in time ends the connection: :class:`KernelLost`, a
BaseException so that no ``except Exception`` in a test can take it for the student's error.
"""

from __future__ import annotations

import builtins
import sys
import time

from autograder.checker.source import resolve
from autograder.kernel import wire

# Exceptions of the student's that keep their builtin type here (so a test's ``except`` works
# as in the kernel); any other is a StudentError of that name.
_BUILTIN_ERRORS = frozenset(
    name for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
    and not issubclass(value, (SystemExit, GeneratorExit)))
# Libraries whose objects the test may hand to the student's code by name (the kernel has them too)
LIBRARIES = ("numpy", "math", "cmath", "builtins", "nnlib", "operator")


class KernelLost(BaseException):
    """The student's kernel stopped answering, answered out of protocol, or ran out of time."""


class StudentError(Exception):
    """An exception the student's code raised in the kernel: its type, message and traceback."""

    remote_type = remote_module = message = traceback_text = ""
    remote_frames = ()

    def _fill(self, info):
        self.remote_type, self.remote_module = info["type"], info["module"]
        self.message, self.traceback_text = info["message"], info["traceback"]
        self.remote_frames = info["frames"]
        try:
            self.name = info.get("name")
        except AttributeError:             # a builtin base whose name is read-only
            pass
        return self

    def __str__(self):
        return self.message


_ERROR_CLASSES = {}


def student_error(info):
    """A StudentError for ``info`` (from the kernel), of the student's builtin type if it had one."""
    if type(info) is not dict:
        info = {}
    clean = {"type": wire.name(info.get("type"), "Error"),
             "module": wire.name(info.get("module"), ""),
             "message": info.get("message") if type(info.get("message")) is str else "",
             "traceback": info.get("traceback") if type(info.get("traceback")) is str else "",
             "frames": _frames(info.get("frames")),
             "name": info.get("name") if type(info.get("name")) is str else None}
    builtin = info.get("builtin") if info.get("builtin") in _BUILTIN_ERRORS else "Exception"
    key = (clean["type"], builtin)
    if key not in _ERROR_CLASSES:
        base = getattr(builtins, builtin)
        if issubclass(base, (KeyboardInterrupt, SystemExit)):   # not BaseExceptions a test passes
            base = Exception
        _ERROR_CLASSES[key] = type(clean["type"].rpartition(".")[2] or "Error",
                                   (StudentError, base), {"__module__": "student"})
    try:
        error = _ERROR_CLASSES[key](clean["message"])
    except TypeError:           # a base that wants other arguments (UnicodeDecodeError, ...)
        key = (clean["type"], "Exception")
        _ERROR_CLASSES.setdefault(key, type(clean["type"].rpartition(".")[2] or "Error",
                                             (StudentError,), {"__module__": "student"}))
        error = _ERROR_CLASSES[key](clean["message"])
    return error._fill(clean)


def _frames(frames):
    out = []
    for frame in frames if type(frames) is list else ():
        if type(frame) is dict:
            out.append({"name": wire.name(frame.get("name"), "?"),
                        "file": frame.get("file") if type(frame.get("file")) is str else "",
                        "line": frame.get("line") if type(frame.get("line")) is int else 0,
                        "text": frame.get("text") if type(frame.get("text")) is str else "",
                        "student": frame.get("student") is True})
    return out[:100]


# ------------------------------------------------------------------------------------- proxies
class Handle:
    """A proxy of one object of the kernel's.  Its class is named after the object's own class, so
    ``type(handle).__name__`` reads as it would in the kernel."""

    __slots__ = ("_kernel", "_id", "_meta", "__weakref__")
    kind = "instance"

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)        # numpy and friends probe dunders: never the kernel's
        if name in self._meta.get("methods", ()):
            return Method(self, name)
        return self._kernel.getattr(self, name)

    def __setattr__(self, name, value):
        if name in Handle.__slots__:
            object.__setattr__(self, name, value)
        else:
            self._kernel.setattr(self, name, value)

    def __repr__(self):
        return self._kernel.repr(self)

    __str__ = __repr__

    def __dir__(self):
        return list(self._meta.get("methods", ()))

    # nnlib.checks asks an answer these through its type (never the kernel's object):
    def __submitted_source__(self):
        if self._kernel.source_of is None:
            raise OSError("no source")
        return self._kernel.source_of(self)

    def __measured_call__(self, args, kwargs):
        return self._kernel.measured(self, args, kwargs)


class CallableHandle(Handle):
    """A proxy of a callable object (a function, a class, an instance with ``__call__``)."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return self._kernel.call(self, args, kwargs)


class Method:
    """``handle.name`` for a method of the object's class: calling it is one request."""

    __slots__ = ("handle", "name")

    def __init__(self, handle, name):
        self.handle, self.name = handle, name

    def __call__(self, *args, **kwargs):
        return self.handle._kernel.call(self, args, kwargs)

    def __repr__(self):
        return f"<bound method {type(self.handle).__name__}.{self.name}>"


_HANDLE_CLASSES = {}


def _handle_class(node):
    name = wire.name(node.get("type"), "object").rpartition(".")[2]
    kind = node.get("kind") if node.get("kind") in ("function", "method", "class", "module",
                                                    "instance") else "instance"
    callable_ = node.get("callable") is True
    key = (name, kind, callable_)
    if key not in _HANDLE_CLASSES:
        _HANDLE_CLASSES[key] = type(name, (CallableHandle if callable_ else Handle,),
                                    {"__slots__": (), "kind": kind, "__module__": "student"})
    return _HANDLE_CLASSES[key]


def _meta(node):
    """What the checker keeps of a handle's description (checked, bounded)."""
    meta = {"name": wire.name(node.get("name"), ""), "module": wire.name(node.get("module"), ""),
            "type": wire.name(node.get("type"), "object")}
    methods = node.get("methods")
    if type(methods) is list:
        meta["methods"] = frozenset(m for m in methods[:300] if type(m) is str
                                    and m.isidentifier() and not m.startswith("_"))
    line = node.get("line")
    if type(line) is list and len(line) == 2 and type(line[0]) is str and type(line[1]) is int:
        meta["line"] = (line[0][:500], line[1])
    return meta


# ------------------------------------------------------------------------------------- the wire
class Kernel:
    """The checker's side of its conversation with the student's kernel (see the module docstring).

    It lasts for the whole notebook, one connection per test cell (:meth:`attach`), so that
    objects and handles a test cell made stay valid in the next, as in one kernel.  ``deadline``
    (time.monotonic) bounds every wait; ``before`` is called before each request (the session
    sends the names a test rebound), ``after_call(target, report)`` after each call (the session
    checks what the kernel reports against the rules in force).  ``source_of(handle)`` and
    ``measure(handle, args, kwargs)`` answer nnlib.checks' questions about a proxy.
    """

    def __init__(self, limits=None, before=None, after_call=None, source_of=None):
        self.sock, self.deadline = None, None
        self.limits = limits or wire.Limits()
        self.source_of = source_of
        self.before, self.after_call = before, after_call
        self.codec = wire.Codec("c", self._other, self._make, limits=self.limits, weak=True)
        self.proxies = {}                     # handle id -> Handle
        self.callbacks, self.callback_ids = {}, {}
        self.lost = None                      # why the connection is over
        self.raised = {}                      # the test's own exceptions raised in callbacks
        self.requests = 0
        self.seconds = 0.0
        self._fresh = True
        self._calling = None                  # the target of the call being waited for

    def attach(self, sock, deadline):
        """A new connection for the next test cell; after a lost one, both sides start afresh."""
        if self.lost is not None:
            self.codec.clear()
            self.proxies.clear()
            self.callbacks.clear()
            self.callback_ids.clear()
            self.lost, self._fresh = None, True
        self.sock, self.deadline = sock, deadline
        self._request({"op": "hello", "fresh": self._fresh})
        self._fresh = False

    # ----------------------------------------------------------------- requests
    def call(self, target, args, kwargs, measure=False):
        if type(target) is Method:
            header = {"op": "callattr", "name": target.name, "measure": measure}
            target = target.handle
        else:
            header = {"op": "call", "measure": measure}
        outer, self._calling = self._calling, target
        try:
            value, report = self._request(header, target=target, args=tuple(args),
                                          kwargs=tuple(kwargs.items()))
        finally:
            self._calling = outer
        if self.after_call is not None:
            self.after_call(target, report)
        return (value, report) if measure else value

    def getattr(self, handle, name):
        return self._request({"op": "getattr", "name": name}, target=handle)[0]

    def setattr(self, handle, name, value):
        self._request({"op": "setattr", "name": name}, target=handle, value=value)

    def repr(self, handle):
        text = self._request({"op": "repr"}, target=handle)[0]
        return text if type(text) is str else f"<{type(handle).__name__} object>"

    def lookup(self, names):
        """[(found, value)] of the notebook's ``names`` in the kernel."""
        values = self._request({"op": "lookup"}, names=tuple(names))[0]
        if type(values) is not tuple or len(values) != len(names) or not all(
                type(v) is tuple and len(v) == 2 and type(v[0]) is bool for v in values):
            self._lose("the kernel answered a lookup with something else")
        return list(values)

    def bind(self, pairs):
        self._request({"op": "bind"}, pairs=tuple(pairs))

    def unbind(self, names):
        self._request({"op": "unbind"}, names=tuple(names))

    def end(self):
        """Tell the kernel the test cell is over (it restores what was rebound, stops serving)."""
        if self.lost is None:
            try:
                header, buffers = self.codec.message({"op": "end"})
                wire.send(self.sock, header, buffers)
                self._receive()
            except (KernelLost, OSError, wire.WireError):
                self.lost = self.lost or "the connection ended badly"
        # the callbacks stay: the kernel may keep a test's function (in a list the test passed)

    memory_cgroup = None       # the kernel's memory cgroup, when it has one (grading as root)

    def measured(self, handle, args, kwargs):
        """(result, peak bytes) of a call (nnlib.checks.peak_memory): measured from outside the
        kernel, by its memory cgroup's peak since the call began, where it has one; the kernel's
        own measure (tracemalloc) counts too, but can only add -- its word is its own."""
        before = _cgroup_reset(self.memory_cgroup)
        value, report = self.call(handle, args, kwargs, measure=True)
        peak = report.get("peak_bytes")
        peak = peak if type(peak) is int and peak >= 0 else 0
        if before is not None:
            outside = _cgroup_peak(self.memory_cgroup)
            if outside is not None:
                peak = max(peak, outside - before)
        return value, peak

    # ----------------------------------------------------------------- the loop
    def _lose(self, why):
        self.lost = self.lost or why
        raise KernelLost(self.lost)

    def _request(self, header, **values):
        if self.lost is not None:
            raise KernelLost(self.lost)
        if self.before is not None:
            self.before(self)
        started = time.monotonic()
        try:
            header, buffers = self.codec.message(header, **values)
            wire.send(self.sock, header, buffers)
            self.requests += 1
            return self._wait()
        finally:
            self.seconds += time.monotonic() - started

    def _wait(self):
        """Wait for the answer to our request, running the callbacks the kernel asks for."""
        while True:
            header, buffers = self._receive()
            op = header.get("op")
            if op == "ok":
                report = header.get("report")
                (value,) = self._decode(header, buffers, "value")
                return value, report if type(report) is dict else {}
            if op == "error":
                self._decode(header, buffers)
                report = header.get("report")
                if self.after_call is not None and type(report) is dict and self._calling:
                    self.after_call(self._calling, report)     # a forbidden call comes first
                info = header.get("error")
                origin = info.get("origin") if type(info) is dict else None
                if type(origin) is int and origin in self.raised:
                    raise self.raised[origin]      # the test's own error, back through the answer
                raise student_error(info)
            if op == "callback":
                self._run_callback(header, buffers)
                continue
            self._lose(f"the kernel sent an unexpected message ({wire.name(op, '?')})")

    def _receive(self):
        try:
            return wire.recv(self.sock, self.limits, self.deadline)
        except wire.WireTimeout:
            self._lose("the student's code did not answer in time")
        except wire.PeerGone:
            self._lose("the student's kernel stopped (it died or closed the connection)")
        except wire.WireTooLarge as exc:
            self._lose(f"the answer was too large: {exc}")
        except wire.WireError as exc:
            self._lose(f"the kernel broke the protocol: {exc}")

    def _decode(self, header, buffers, *keys):
        try:
            return self.codec.receive(header, buffers, *keys)
        except wire.WireError as exc:
            self._lose(f"the kernel sent something that is not plain data: {exc}")
        except (ValueError, TypeError, OverflowError, MemoryError, RecursionError) as exc:
            self._lose(f"the kernel sent something unreadable ({type(exc).__name__})")

    def _run_callback(self, header, buffers):
        function = self.callbacks.get(header.get("id"))
        args, kwargs = self._decode(header, buffers, "args", "kwargs")
        if function is None or type(args) is not tuple or type(kwargs) is not dict or \
                not all(type(k) is str for k in kwargs):
            self._lose("the kernel asked for a callback that does not exist")
        try:
            value = function(*args, **kwargs)
        except KernelLost:
            raise
        except Exception as exc:      # the test's function failed: the answer sees it raise
            info = {"builtin": next((k.__name__ for k in type(exc).__mro__
                                     if k.__module__ == "builtins"), "Exception"),
                    "message": str(exc)[:2000], "origin": id(exc)}
            self.raised[id(exc)] = exc
            reply, out = self.codec.message({"op": "raise", "error": info})
        else:
            reply, out = self.codec.message({"op": "return"}, value=value)
        try:
            wire.send(self.sock, reply, out)
        except OSError:
            self._lose("the student's kernel stopped (it died or closed the connection)")

    # ----------------------------------------------------------------- encoding
    def _other(self, value, buffers, depth):
        if isinstance(value, Handle):
            return {"$": "h", "id": value._id}
        if type(value) is Method:
            return {"$": "m", "h": value.handle._id, "name": value.name}
        path = library_path(value)
        if path is not None:
            return {"$": "x", "path": path}
        if type(value).__module__.split(".")[0] == "nnlib" and hasattr(value, "__dict__"):
            return self.codec.linked("o", value, buffers, depth,
                                     {"cls": f"{type(value).__module__}.{type(value).__qualname__}"})
        if callable(value):
            number = self.callback_ids.get(id(value))
            if number is None or self.callbacks.get(number) is not value:
                number = len(self.callbacks) + 1
                self.callbacks[number], self.callback_ids[id(value)] = value, number
            return {"$": "f", "id": number,
                    "name": str(getattr(value, "__name__", "callback"))[:100]}
        raise TypeError(f"the test gave the student's code a {type(value).__name__}, which "
                        f"cannot be sent to the kernel (plain data, nnlib objects, library "
                        f"functions and the test's own functions can)")

    def _make(self, tag, node, decode):
        if tag == "h":
            number = node.get("id")
            if type(number) is not int or number <= 0:
                raise wire.WireError("a handle without an id")
            proxy = self.proxies.get(number)
            if proxy is None:
                proxy = object.__new__(_handle_class(node))
                object.__setattr__(proxy, "_kernel", self)
                object.__setattr__(proxy, "_id", number)
                object.__setattr__(proxy, "_meta", _meta(node))
                self.proxies[number] = proxy
            return proxy
        if tag == "f":
            function = self.callbacks.get(node.get("id"))
            if function is None:
                raise wire.WireError("a reference to a callback that does not exist")
            return function
        raise wire.WireError(f"the kernel cannot send a {tag!r}")


def library_path(value):
    """``numpy.tanh`` for numpy's tanh: the path of a function, class or module of one of
    LIBRARIES by which the kernel finds the very same object (None for anything else)."""
    module = getattr(value, "__module__", None) if not isinstance(value, type(sys)) \
        else value.__name__
    if type(module) is not str or module.split(".")[0] not in LIBRARIES:
        return None
    if isinstance(value, type(sys)):
        return module
    qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if type(qualname) is not str or "<" in qualname:
        return None
    for base in (module, module.split(".")[0]):
        found = resolve(f"{base}.{qualname}", prefix=None)
        if found is value:
            return f"{base}.{qualname}"
    return None


def _cgroup_reset(folder):
    """The memory a cgroup (v1) uses now, its peak counter reset to it; None without a cgroup."""
    if not folder:
        return None
    try:
        with open(f"{folder}/memory.max_usage_in_bytes", "w", encoding="ascii") as handle:
            handle.write("0")
        with open(f"{folder}/memory.usage_in_bytes", encoding="ascii") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return None


def _cgroup_peak(folder):
    try:
        with open(f"{folder}/memory.max_usage_in_bytes", encoding="ascii") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return None
