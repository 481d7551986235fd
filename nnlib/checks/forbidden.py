"""``forbid``: while its block runs, calling the named nnlib callables raises ``ForbiddenCall``.

Test cells use it so that an answer which merely calls nnlib's own implementation earns
nothing. ``ForbiddenCall`` subclasses ``AssertionError`` (a failed test, as for any wrong
answer) and is recognised by its type, not by its wording.
"""

from __future__ import annotations

import builtins
import importlib
import sys
import types

from .crashes import crash_message

_isinstance = builtins.isinstance


class ForbiddenCall(AssertionError):
    """An answer called an nnlib callable that the exercise asks the student to write."""


def _resolve(target):
    """The object a dotted name such as 'nnlib.losses.SoftmaxCrossEntropy' refers to."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise ValueError(f"forbid: cannot find {target!r} ({attr!r} missing)") from None
        return obj
    raise ValueError(f"forbid: cannot import any module of {target!r}")


def _public_name(obj):
    """'nnlib.Softmax' when nnlib exports the object, else the shortest package path that does."""
    module = getattr(obj, "__module__", None) or "?"
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    head = qual.split(".")[0]
    parts = module.split(".")
    # the shortest package that exports it: nnlib.checks.check_shape, not
    # nnlib.checks.comparisons.check_shape
    for cut in range(1, len(parts)):
        package = ".".join(parts[:cut])
        try:
            exported = getattr(importlib.import_module(package), head, None)
            if exported is _resolve(f"{module}.{head}"):
                return f"{package}.{qual}"
        except Exception:  # the name is only used in a message; never fail because of it
            pass
    return f"{module}.{qual}"


_GATE_MARK = "__nnlib_checks_forbid_gate__"
_TEMPLATES = {}


def _gate_template(freevars):
    """Code for ``def f(*args, **kwargs): return GATE(args, kwargs)`` with the given free variables.

    A function's ``__code__`` may only be swapped for code with the same free
    variables (e.g. ``__class__`` in methods that call ``super()``); CPython sorts
    free variables by name, so declaring the same names reproduces their order.
    GATE is a string constant here, replaced by the real gate in ``_gate_code``.
    """
    if freevars not in _TEMPLATES:
        assign = "".join(f"    {v} = None\n" for v in freevars)
        touch = "".join(f"        {v}\n" for v in freevars)
        source = (f"def _outer():\n{assign}"
                  f"    def forbidden(*args, **kwargs):\n{touch}"
                  f"        __tracebackhide__ = True\n"
                  f"        gate = {_GATE_MARK!r}\n"
                  f"        return gate(args, kwargs)\n"
                  f"    return forbidden\n")
        namespace = {}
        exec(compile(source, "<nnlib.checks.forbid>", "exec"), namespace)
        code = namespace["_outer"]().__code__
        if code.co_freevars != freevars:
            raise RuntimeError(f"forbid: cannot mirror free variables {freevars}")
        _TEMPLATES[freevars] = code
    return _TEMPLATES[freevars]


def _gate_code(freevars, gate):
    template = _gate_template(freevars)
    consts = tuple(gate if _isinstance(c, str) and c == _GATE_MARK else c
                   for c in template.co_consts)
    return template.replace(co_consts=consts)


def gate_function(func, make_gate):
    """Make every call of the Python function ``func`` go through a gate, in place.

    ``make_gate(original)`` gets a copy of ``func`` (its code, globals, defaults and closure)
    and returns ``gate(args, kwargs)``, which then receives every call of ``func`` -- aliases
    included, since the function object stays the same.  Returns ``undo()``, which puts the
    original code back.  Used by :class:`forbid` (a gate that raises) and by the grader's
    kernel side (a gate that records which of nnlib's functions an answer called).
    """
    code = func.__code__
    original = type(func)(code, func.__globals__, func.__name__, func.__defaults__,
                          func.__closure__)
    original.__kwdefaults__ = func.__kwdefaults__
    func.__code__ = _gate_code(code.co_freevars, make_gate(original))

    def undo():
        func.__code__ = code
    return undo


def _make_gate(original, owner, message, method=None, wording=None):
    """Raise for calls on instances of ``owner`` (every call when owner is None), else delegate.

    ``method`` (the forbidden function, when it is a method) names the error after the
    class of the instance it is called on: Sigmoid.backward, not _Activation.backward;
    ``wording(short, full)`` makes that message.
    """
    def gate(args, kwargs):
        __tracebackhide__ = True
        if owner is None or (args and _isinstance(args[0], owner)):
            text = message
            if method is not None and args:
                cls = type(args[0])
                if getattr(cls, method.__name__, None) is method:
                    text = wording(f"{cls.__qualname__}.{method.__name__}",
                                   f"{_public_name(cls)}.{method.__name__}")
            raise ForbiddenCall(text)
        return original(*args, **kwargs)
    return gate


def _message(short, full, reason=None, message=None):
    """The text of the ForbiddenCall raised when ``short`` (dotted path ``full``) is called.

    Without a ``reason`` the blocked callable is the exercise's subject ("write it
    yourself"). With one, it may just as well be a helper the exercise must do without
    (nnlib.numerical_gradient, InfluenceDiagram), so the wording is neutral and the reason
    says what to do instead. A ``message`` replaces the whole text.
    """
    if message is not None:
        return message
    where = "" if full == f"nnlib.{short}" else f" ({full})"
    if reason:
        return f"This exercise must not use nnlib's {short}{where}: {reason}"
    return (f"This exercise asks you to write {short} yourself — calling nnlib's {short}{where} "
            f"earns no credit here. Write it with numpy operations; nnlib's version "
            f"is what your answer is compared against.")


def _names(obj):
    """(short, full) names for messages: ('Softmax.forward', 'nnlib.Softmax.forward')."""
    full = _public_name(obj)
    return getattr(obj, "__qualname__", None) or full, full


def _is_plain_function(obj):
    return type(obj) is types.FunctionType


class forbid:
    """Make nnlib callables raise a teaching ``ForbiddenCall`` while the block runs.

    Used by test cells so that an answer which merely calls nnlib's own
    implementation earns nothing.  Targets may be classes, functions, methods,
    bound methods, or dotted-name strings (``"nnlib.losses.SoftmaxCrossEntropy"``).

    - A Python function or method has its ``__code__`` swapped for a gate that
      raises, so aliases the student already holds (``f = nnlib.softmax``,
      ``m = layer.forward``) trip as well.
    - A class has ``__init__``, ``__call__`` and every public method raise when called
      on the class or its instances (also instances created earlier, and
      subclasses).  Methods it inherits are gated for its instances only, so
      sibling classes sharing a base keep working.
    - A method named by a dotted string (``"nnlib.Softmax.forward"``) that the class
      inherits is likewise gated for that class only.  The same method given as an
      object (``nnlib.Softmax.forward``) *is* the base class's function: it is
      blocked for every class sharing it (the message names the instance's class,
      ``Sigmoid.forward``); use the string to block one class only.
    - Anything else (builtins, numpy ufuncs) is replaced where the dotted name
      points; only then may aliases escape.

    Everything is restored on exit, also after an exception; nesting (even of the
    same target, even the same ``forbid`` object) is fine.

    An error the student's code raises inside the block (a shape error, an attribute read
    before it was set) leaves it as one ``AssertionError`` that names the student's function,
    line and what the error says (:mod:`nnlib.checks.crashes`), never a bare traceback through
    the test; an error of the test's own code in the block is left as it is.

    Parameters
    ----------
    *targets : class, function, method or str
        What the student must not call.
    reason : str, optional
        What to do instead, appended to a neutral message: "This exercise must not use
        nnlib's numerical_gradient (nnlib.gradcheck.numerical_gradient): <reason>". Without
        it the message treats the target as the exercise's subject ("This exercise asks
        you to write softmax yourself — … earns no credit here …").
    message : str, optional
        The whole message, used as is for every target (instead of the generated one);
        give ``message`` or ``reason``, not both.

    Raises
    ------
    ValueError
        On entry, when a dotted name does not resolve (a mistake of the test's author).
    TypeError
        On entry, when a target cannot be forbidden.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.checks import check_shape
    >>> with forbid(check_shape):
    ...     check_shape(np.zeros(3), (3,))
    Traceback (most recent call last):
        ...
    nnlib.checks.forbidden.ForbiddenCall: This exercise asks you to write check_shape yourself — calling nnlib's check_shape (nnlib.checks.check_shape) earns no credit here. Write it with numpy operations; nnlib's version is what your answer is compared against.
    >>> with forbid(check_shape, reason="Compare got.shape with the tuple yourself."):
    ...     check_shape(np.zeros(3), (3,))
    Traceback (most recent call last):
        ...
    nnlib.checks.forbidden.ForbiddenCall: This exercise must not use nnlib's check_shape (nnlib.checks.check_shape): Compare got.shape with the tuple yourself.
    >>> with forbid(check_shape, message="Read the shape yourself: got.shape is a tuple."):
    ...     check_shape(np.zeros(3), (3,))
    Traceback (most recent call last):
        ...
    nnlib.checks.forbidden.ForbiddenCall: Read the shape yourself: got.shape is a tuple.
    >>> check_shape(np.zeros(3), (3,))      # restored after the block
    """

    def __init__(self, *targets, reason=None, message=None):
        if not targets:
            raise TypeError("forbid: give at least one target")
        if message is not None and not _isinstance(message, str):
            raise TypeError(f"forbid: message must be a string, got {message!r}")
        if reason is not None and message is not None:
            raise TypeError("forbid: give message= (the whole text) or reason= (appended to "
                            "the generated text), not both")
        self._targets = targets
        self._reason = reason
        self._custom = message
        self._stack = []
        self._callers = []

    def _wording(self, short, full):
        return _message(short, full, self._reason, self._custom)

    def _gate_function(self, func, owner, message, undo, by_instance=False):
        code = func.__code__
        gate_function(func, lambda original: _make_gate(original, owner, message,
                                                        func if by_instance else None,
                                                        self._wording))
        undo.append(("code", func, code))

    @staticmethod
    def _raising_function(message):
        def forbidden(*args, **kwargs):
            __tracebackhide__ = True
            raise ForbiddenCall(message)
        return forbidden

    def _patch_class(self, cls, message, undo):
        seen = set()
        for klass in cls.__mro__[:-1]:                  # every base but object
            for name, value in vars(klass).items():
                if name in seen:
                    continue
                seen.add(name)                          # the first in the MRO is the one used
                if _is_plain_function(value) and (not name.startswith("_")
                                                  or name in ("__init__", "__call__")):
                    self._gate_function(value, None if klass is cls else cls, message, undo)
        if "__init__" not in seen:                      # object.__init__: shadow it
            undo.append(("attr", cls, "__init__", False, None))
            cls.__init__ = self._raising_function(message)

    @staticmethod
    def _read(target):
        """(obj, owner, attr) of a target: a dotted name resolved (with the object it is an
        attribute of), or the object itself; a bound method becomes its function."""
        if _isinstance(target, str):
            obj = _resolve(target)
            owner_path, _, attr = target.rpartition(".")
            owner = _resolve(owner_path) if owner_path else None
        else:
            obj, owner, attr = target, None, None
        return getattr(obj, "__func__", obj), owner, attr

    def _patch(self, target, undo):
        obj, owner, attr = self._read(target)
        if _isinstance(obj, type):
            self._patch_class(obj, self._wording(*_names(obj)), undo)
        elif _is_plain_function(obj):
            if _isinstance(owner, type) and attr not in vars(owner):
                # an inherited method named through a subclass: block it for that class only
                short = f"{owner.__qualname__}.{attr}"
                full = f"{_public_name(owner)}.{attr}"
                self._gate_function(obj, owner, self._wording(short, full), undo)
            else:
                # a method object may be a base class's (nnlib.Sigmoid.backward *is*
                # _Activation.backward): it is blocked for every class sharing it, and the
                # message names the class of the instance it is called on
                self._gate_function(obj, None, self._wording(*_names(obj)), undo,
                                    by_instance="." in obj.__qualname__)
        elif _isinstance(target, str) and callable(obj) and owner is not None:
            undo.append(("attr", owner, attr, True, getattr(owner, attr)))
            setattr(owner, attr, self._raising_function(self._wording(attr, target)))
        else:
            raise TypeError(f"forbid: cannot forbid {target!r}; give an nnlib class, function, "
                            "method, or its dotted name as a string")

    def __enter__(self):
        undo = []
        try:
            for target in self._targets:
                self._patch(target, undo)
        except BaseException:
            self._undo(undo)
            raise
        self._stack.append(undo)
        self._callers.append(sys._getframe(1).f_code)      # the test's own code: not the answer
        _ACTIVE.append(self)
        return self

    # --------------------------------------------------------------- the same rules, as a verdict
    # When the answer runs elsewhere (the grader runs it in the student's own process and this
    # test in its own), nothing here is patched there: the grader asks these instead, with the
    # nnlib functions the answer called and those its source names.

    def _rules(self):
        """[(kind, obj, owner, message)] of the targets, as _patch reads them."""
        rules = []
        for target in self._targets:
            obj, owner, attr = self._read(target)
            if _isinstance(obj, type):
                rules.append(("class", obj, None, self._wording(*_names(obj))))
            elif _is_plain_function(obj):
                if _isinstance(owner, type) and attr not in vars(owner):
                    rules.append(("method of", obj, owner,
                                  self._wording(f"{owner.__qualname__}.{attr}",
                                                f"{_public_name(owner)}.{attr}")))
                else:
                    rules.append(("function", obj, None, self._wording(*_names(obj))))
            elif callable(obj):
                rules.append(("other", obj, owner, self._wording(attr or repr(obj), str(target))))
        return rules

    def violation(self, function, of=None):
        """The ForbiddenCall message for a call of nnlib's ``function`` (on an instance of class
        ``of``, for a method), or None when this block allows it."""
        for kind, obj, owner, message in self._rules():
            if kind == "class" and _isinstance(of, type) and issubclass(of, obj) and \
                    _is_plain_function(function) and any(
                        vars(k).get(function.__name__) is function for k in obj.__mro__[:-1]) and \
                    (not function.__name__.startswith("_")
                     or function.__name__ in ("__init__", "__call__")):
                return message
            if kind == "method of" and function is obj and _isinstance(of, type) \
                    and issubclass(of, owner):
                return message
            if kind in ("function", "other") and function is obj:
                if of is not None and "." in getattr(obj, "__qualname__", "") \
                        and self._custom is None and getattr(of, obj.__name__, None) is obj:
                    return self._wording(f"{of.__qualname__}.{obj.__name__}",
                                         f"{_public_name(of)}.{obj.__name__}")
                return message
        return None

    def named(self, obj):
        """The ForbiddenCall message for an answer whose source names ``obj`` (a class, function or
        method of nnlib's it reaches by a dotted name), or None when this block allows it."""
        obj = getattr(obj, "__func__", obj)
        for kind, target, owner, message in self._rules():
            if obj is target and kind != "method of":
                return message
        return None

    @staticmethod
    def _undo(undo):
        for entry in reversed(undo):
            if entry[0] == "code":
                entry[1].__code__ = entry[2]
            else:
                _, owner, attr, had, old = entry
                if had:
                    setattr(owner, attr, old)
                else:
                    try:
                        delattr(owner, attr)
                    except AttributeError:
                        pass

    def __exit__(self, exc_type, exc, tb):
        self._undo(self._stack.pop())
        caller = self._callers.pop()
        if self in _ACTIVE:
            _ACTIVE.reverse()
            _ACTIVE.remove(self)          # the innermost entry of this object
            _ACTIVE.reverse()
        if _isinstance(exc, Exception) and not _isinstance(exc, AssertionError):
            # the answer crashed inside the block: one message naming the student's line, not a
            # traceback through the test (an error of the test's own code is left as it is)
            text = crash_message(exc, skip=(caller,))
            if text is not None:
                raise AssertionError(text) from None
        return False


_ACTIVE = []


def active():
    """The forbid blocks in force now, outermost first."""
    return list(_ACTIVE)
