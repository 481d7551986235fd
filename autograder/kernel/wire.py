"""The one format in which the trusted checker and the student's kernel talk: plain data only.

A message is a JSON header plus binary buffers (the bytes of arrays), framed so that its size is
known before any of it is read::

    b"AGW1" | u32 header length | u32 buffer count | u64 length of each buffer | header | buffers

In the header a value is JSON for ``None``, bools, ints, floats (NaN and infinities included) and
strings; everything else is a JSON object whose ``"$"`` says what it is:

====  ==================================================================================
 t    tuple (``v``: its items)
 l    list          (``id``; ``v``: items)           linked: one object on both sides
 d    dict          (``id``; ``v``: [key, value] pairs)  linked
 a    numpy array   (``id``; ``dtype``, ``shape``, ``b``: buffer index, ``ro``)  linked;
      dtypes of kind b/i/u/f/c only (never object)
 s    numpy scalar  (``dtype``, ``v``)
 c    complex       (``v``: [re, im])
 B    bytes         (``b``: buffer index)
 r    a linked object both sides have already (``id``)
 h    a handle: an object of the kernel that is not plain data (``id``, ``type``, ``module``,
      ``kind``, ``name``, ``methods``, ``line``); the checker only ever holds a proxy of it
 m    a bound method of a handle (``h``, ``name``)
 f    a function of the checker's (a callback): calling it in the kernel asks the checker
 x    a library object by name (checker to kernel only: ``numpy.tanh``, ``nnlib.Sigmoid``)
 o    an nnlib object rebuilt in the kernel from its class name and state (checker to kernel
      only; ``id``, ``cls``, ``v``: its ``__dict__`` as [name, value] pairs)    linked
 g    a numpy Generator (``id``, ``bitgen``, ``state``: its bit generator's state)    linked
====  ==================================================================================

*Linked* objects are mutable, so each exists once on each side and keeps its identity: a list
the checker passes to the student's function twice is the same list in the kernel both times,
and what the student's code changes in it in place is changed in the checker's list too.  Every
message carries, in ``sync``, the new state of each linked object its sender changed since the
last message (found by comparing with a snapshot); ``release`` names links the checker no longer
needs.  Ids begin with the side that made the object: ``c`` the checker, ``k`` the kernel.

Decoding is strict: sizes, nesting depth and item counts are bounded, dtypes are whitelisted,
only the sender's own kind of ids may be new, and nothing of the sender's is ever reconstructed
in the checker but plain data (no pickle, no code, no object of the student's class): the
kernel's objects reach the checker only as handles.  A violation raises :class:`WireError`.

This module runs on both sides (it is shipped into the sandbox); numpy is imported when the first
array is met, so that a kernel which never sends one does not need it.
"""

from __future__ import annotations

import json
import re
import select
import struct
import time
import weakref

MAGIC = b"AGW1"
_HEAD = struct.Struct("<4sII")
_DTYPES = frozenset(f"{order}{kind}{size}" for order in "<|="
                    for kind, sizes in (("b", (1,)), ("i", (1, 2, 4, 8)), ("u", (1, 2, 4, 8)),
                                        ("f", (2, 4, 8)), ("c", (8, 16)))
                    for size in sizes)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.<>]{0,199}")
# generators whose state is plain JSON (default_rng's PCG64 among them)
_BIT_GENERATORS = frozenset({"PCG64", "PCG64DXSM"})


class WireError(Exception):
    """The peer sent something that is not a valid message (or is too large)."""


class PeerGone(WireError):
    """The connection ended (the kernel died, or hung up)."""


class WireTimeout(WireError):
    """No whole message arrived before the deadline."""


class WireTooLarge(WireError):
    """A message larger than the receiver accepts (an answer too big, not a broken protocol)."""


class Limits:
    """Bounds of what one side accepts from the other."""

    def __init__(self, max_message=256 * 2 ** 20, max_header=32 * 2 ** 20, max_buffers=100_000,
                 max_depth=64, max_items=2_000_000, max_links=100_000):
        self.max_message, self.max_header, self.max_buffers = max_message, max_header, max_buffers
        self.max_depth, self.max_items, self.max_links = max_depth, max_items, max_links


# ------------------------------------------------------------------------------------- framing
def send(sock, header, buffers=()):
    """Send one message: ``header`` (a JSON-able dict) and its ``buffers``."""
    text = json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
    views = [memoryview(b).cast("B") for b in buffers]
    head = _HEAD.pack(MAGIC, len(text), len(views)) + struct.pack(f"<{len(views)}Q",
                                                                  *(v.nbytes for v in views))
    sock.sendall(head + text)
    for view in views:
        sock.sendall(view)


def _read(sock, size, deadline):
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                raise WireTimeout("no answer before the deadline")
        try:
            n = sock.recv_into(view[got:])
        except (ConnectionError, OSError) as exc:
            raise PeerGone(f"the connection broke ({exc})") from None
        if n == 0:
            raise PeerGone("the other side closed the connection")
        got += n
    return data


def recv(sock, limits, deadline=None):
    """One message: (header dict, [bytearray buffers]); sizes are checked before reading them."""
    magic, header_size, count = _HEAD.unpack(_read(sock, _HEAD.size, deadline))
    if magic != MAGIC:
        raise WireError("not a message of this protocol")
    if header_size > limits.max_header or count > limits.max_buffers:
        raise WireError(f"a message of {header_size} header bytes and {count} buffers is beyond "
                        f"the limits")
    sizes = struct.unpack(f"<{count}Q", _read(sock, 8 * count, deadline)) if count else ()
    if header_size + sum(sizes) > limits.max_message:
        raise WireTooLarge(f"a message of {(header_size + sum(sizes)) / 2 ** 20:.0f} MB is larger "
                        f"than the {limits.max_message / 2 ** 20:.0f} MB allowed")
    text = _read(sock, header_size, deadline)
    buffers = [_read(sock, size, deadline) for size in sizes]
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"the header is not JSON ({type(exc).__name__})") from None
    if type(header) is not dict:
        raise WireError("the header is not a JSON object")
    return header, buffers


# ------------------------------------------------------------------------------------- objects
def _np():
    import numpy
    return numpy


def plain_array(value, np):
    """True for an ndarray of exactly the base class with a plain numeric dtype."""
    return (type(value) is np.ndarray and value.dtype.fields is None
            and value.dtype.kind in "biufc" and value.dtype.str in _DTYPES)


class Codec:
    """One side's encoder and decoder, and its table of linked objects.

    ``side`` is ``"c"`` (the checker) or ``"k"`` (the kernel).  ``on_other(value, buffers,
    depth)`` encodes what is neither plain data nor linked (the kernel: a handle; the checker: a
    callback, a library object, an nnlib object, or TypeError); ``make(tag, node, depth)``
    decodes tags h, m, f, x (the owner knows what they mean).  Only the kernel rebuilds nnlib
    objects (``rebuild(cls_path)`` gives their class).  The checker holds its arrays weakly: one
    the test no longer holds is released.
    """

    def __init__(self, side, on_other, make, limits=None, weak=False, rebuild=None):
        self.side, self.on_other, self.make, self.rebuild = side, on_other, make, rebuild
        self.limits = limits or Limits()
        self.objects = {}          # id -> object (or weakref.ref for weakly held arrays)
        self.ids = {}              # python id(object) -> id
        self.snaps = {}            # id -> snapshot of the state both sides agree on
        self.weak, self.released = weak, []
        self.tombs, self._sent_tombs = {}, []      # released arrays the other side may still name
        self._count = 0

    # ----------------------------------------------------------------- table
    def _new_id(self):
        self._count += 1
        return f"{self.side}{self._count}"

    def _link(self, ref, obj):
        if len(self.snaps) >= self.limits.max_links:
            raise WireError(f"more than {self.limits.max_links} linked objects")
        np = _np() if type(obj).__module__ == "numpy" else None
        if self.weak and np is not None and type(obj) is np.ndarray:
            key = id(obj)
            self.objects[ref] = weakref.ref(obj)
            weakref.finalize(obj, self._forget, ref, key)
        else:
            self.objects[ref] = obj
        self.ids[id(obj)] = ref

    def _forget(self, ref, key):
        """A weakly held array died.  Its link is released with our next message; until the other
        side has read that, it may still name the array (it did not know), so its last agreed
        state is kept as a tomb and a copy stands in for it then."""
        if self.ids.get(key) == ref:
            del self.ids[key]
        self.objects.pop(ref, None)
        snap = self.snaps.pop(ref, None)
        if snap is not None:
            self.tombs[ref] = snap
        self.released.append(ref)

    def get(self, ref):
        obj = self.objects.get(ref)
        if obj is None and ref in self.tombs:          # named before it heard of the release
            shape, dtype, copy = self.tombs.pop(ref)
            obj = copy.copy()
            self._link(ref, obj)
            self.snaps[ref] = (shape, dtype, copy)
            if ref in self.released:
                self.released.remove(ref)
            return obj
        return obj() if type(obj) is weakref.ref else obj

    def clear(self):
        self.objects.clear(), self.ids.clear(), self.snaps.clear()
        self.released.clear(), self.tombs.clear()
        self._sent_tombs = []

    def release(self, refs):
        """Forget links the other side no longer needs (the objects themselves may live on)."""
        for ref in refs if type(refs) is list else ():
            if type(ref) is str and ref in self.objects:
                obj = self.get(ref)
                self.objects.pop(ref, None)
                self.snaps.pop(ref, None)
                if obj is not None and self.ids.get(id(obj)) == ref:
                    del self.ids[id(obj)]

    # ----------------------------------------------------------------- snapshots
    def _snapshot(self, obj):
        t = type(obj)
        if t is list:
            return list(obj)
        if t is dict:
            return list(obj.items())
        np = _np()
        if t is np.ndarray:
            return (obj.shape, obj.dtype.str, obj.copy())
        if t is np.random.Generator:
            return _plain_copy(obj.bit_generator.state)
        return list(vars(obj).items())           # an nnlib object

    def _changed(self, obj, snap):
        t = type(obj)
        if t is list or t is dict:
            now = list(obj) if t is list else list(obj.items())
            return len(now) != len(snap) or any(
                (a is not b) if t is list else (a[0] is not b[0] or a[1] is not b[1])
                for a, b in zip(now, snap))
        np = _np()
        if t is np.ndarray:
            shape, dtype, copy = snap
            if obj.shape != shape or obj.dtype.str != dtype:
                return True
            if obj.flags.c_contiguous and copy.flags.c_contiguous:
                return memoryview(obj).cast("B") != memoryview(copy).cast("B")
            return not np.array_equal(obj, copy, equal_nan=obj.dtype.kind in "fc")
        if t is np.random.Generator:
            return obj.bit_generator.state != snap
        now = list(vars(obj).items())
        return len(now) != len(snap) or any(a[0] is not b[0] or a[1] is not b[1]
                                            for a, b in zip(now, snap))

    def changes(self):
        """Ids of the linked objects this side changed since both last agreed on them."""
        found = []
        for ref in list(self.snaps):
            obj = self.get(ref)
            if obj is not None and self._changed(obj, self.snaps[ref]):
                found.append(ref)
        return found

    # ----------------------------------------------------------------- encoding
    def message(self, header, **values):
        """``header`` with ``values`` encoded into it, the sync of every changed linked object
        first (so that the values may refer to what the sync made): (header, buffers)."""
        buffers = []
        changed = self.changes()
        header["sync"] = [self._state(ref, self.get(ref), buffers, 0) for ref in changed]
        for key, value in values.items():
            header[key] = self.encode(value, buffers)
        if self.released:
            header["release"], self.released = self.released, []
            self._sent_tombs = list(header["release"])
        return header, buffers

    def encode(self, value, buffers, depth=0):
        if depth > self.limits.max_depth:
            raise WireError(f"nested deeper than {self.limits.max_depth} levels")
        t = type(value)
        if value is None or t is bool or t is str or t is int:
            return value
        if t is float:
            return value
        if t is complex:
            return {"$": "c", "v": [value.real, value.imag]}
        if t is bytes:
            buffers.append(value)
            return {"$": "B", "b": len(buffers) - 1}
        if t is tuple:
            return {"$": "t", "v": [self.encode(v, buffers, depth + 1) for v in value]}
        ref = self.ids.get(id(value))
        if ref is not None and self.get(ref) is value:
            return {"$": "r", "id": ref}
        if t is list or t is dict:
            return self._first(value, buffers, depth)
        if t.__module__ == "numpy" or t.__module__.startswith("numpy."):
            np = _np()
            if plain_array(value, np):
                return self._first(value, buffers, depth)
            if isinstance(value, np.generic) and value.dtype.str in _DTYPES \
                    and type(value) is value.dtype.type:
                item = value.item()
                if type(item) is complex:
                    item = [item.real, item.imag]
                return {"$": "s", "dtype": value.dtype.str, "v": item}
            if t is np.random.Generator and type(value.bit_generator).__name__ in _BIT_GENERATORS:
                return self._first(value, buffers, depth)
        return self.on_other(value, buffers, depth)

    def _first(self, value, buffers, depth):
        """A linked object's first appearance: linked before its items (cycles), then its state."""
        ref = self._new_id()
        self._link(ref, value)
        return self._state(ref, value, buffers, depth)

    def linked(self, tag, value, buffers, depth, extra=None):
        """Encode ``value`` as a new linked object of kind ``tag`` (an "o" of the checker)."""
        ref = self._new_id()
        self._link(ref, value)
        node = self._state(ref, value, buffers, depth, tag)
        node.update(extra or {})
        return node

    def _state(self, ref, value, buffers, depth, tag=None):
        t = type(value)
        if t is list:
            node = {"$": "l", "id": ref, "v": [self.encode(v, buffers, depth + 1) for v in value]}
        elif t is dict:
            node = {"$": "d", "id": ref, "v": [[self.encode(k, buffers, depth + 1),
                                                self.encode(v, buffers, depth + 1)]
                                               for k, v in list(value.items())]}
        else:
            np = _np()
            if t is np.ndarray:
                data = value if value.flags.c_contiguous else value.copy(order="C")
                buffers.append(data.reshape(-1).view(np.uint8) if data.size else b"")
                node = {"$": "a", "id": ref, "dtype": data.dtype.str, "shape": list(data.shape),
                        "b": len(buffers) - 1, "ro": not value.flags.writeable}
            elif t is np.random.Generator:
                node = {"$": "g", "id": ref, "bitgen": type(value.bit_generator).__name__,
                        "state": _plain_copy(value.bit_generator.state)}
            else:
                node = {"$": tag or "o", "id": ref,
                        "v": [[k, self.encode(v, buffers, depth + 1)]
                              for k, v in list(vars(value).items())]}
        self.snaps[ref] = self._snapshot(value)
        return node

    # ----------------------------------------------------------------- decoding
    def receive(self, header, buffers, *keys):
        """Apply ``header``'s sync and release, then decode ``keys`` of it: their values."""
        counter = [0]
        for ref in self._sent_tombs:       # the other side read our release before sending this
            self.tombs.pop(ref, None)
        self._sent_tombs = []
        self.release(header.get("release", []))
        sync = header.get("sync", [])
        if type(sync) is not list:
            raise WireError("sync is not a list")
        for node in sync:
            if type(node) is not dict or node.get("$") not in ("l", "d", "a", "o", "g") \
                    or (node.get("id") not in self.objects and node.get("id") not in self.tombs):
                raise WireError("a sync entry is not an update of a linked object")
            self.decode(node, buffers, counter)
        return [self.decode(header.get(key), buffers, counter) for key in keys]

    def decode(self, node, buffers, counter=None, depth=0):
        counter = counter if counter is not None else [0]
        counter[0] += 1
        if counter[0] > self.limits.max_items:
            raise WireError(f"more than {self.limits.max_items} values in one message")
        if depth > self.limits.max_depth:
            raise WireError(f"nested deeper than {self.limits.max_depth} levels")
        t = type(node)
        if node is None or t is bool or t is str or t is float:
            return node
        if t is int:
            return node
        if t is list:
            raise WireError("a bare JSON list is not a value (lists are tagged)")
        if t is not dict:
            raise WireError(f"unexpected {t.__name__} in a message")
        tag = node.get("$")
        if tag == "t":
            return tuple(self.decode(v, buffers, counter, depth + 1) for v in _items(node))
        if tag == "c":
            re_, im = _pair(node.get("v"))
            return complex(re_, im)
        if tag == "B":
            return bytes(_buffer(node, buffers))
        if tag == "s":
            return self._scalar(node)
        if tag == "r":
            ref = node.get("id")
            if type(ref) is not str or (ref not in self.objects and ref not in self.tombs):
                raise WireError(f"a reference to an unknown object {ref!r}")
            obj = self.get(ref)
            if obj is None:
                raise WireError(f"a reference to a released object {ref!r}")
            return obj
        if tag in ("l", "d", "a", "o", "g"):
            return self._linked(tag, node, buffers, counter, depth)
        if tag in ("h", "m", "f", "x"):
            return self.make(tag, node, lambda child: self.decode(child, buffers, counter,
                                                                  depth + 1))
        raise WireError(f"unknown tag {tag!r}")

    def _linked(self, tag, node, buffers, counter, depth):
        ref = node.get("id")
        if type(ref) is not str or not ref:
            raise WireError("a linked object without an id")
        if ref in self.tombs:
            self.get(ref)                  # an update of a tomb: it stands again first
        known = ref in self.objects
        obj = self.get(ref) if known else None
        if known and obj is None:
            raise WireError(f"an update of a released object {ref!r}")
        if not known and (ref[0] == self.side or ref[:1] not in ("c", "k")):
            raise WireError(f"the other side cannot make an object with id {ref!r}")
        if tag == "l":
            items_node = _items(node)
            if obj is None:
                obj = []
                self._link(ref, obj)
            elif type(obj) is not list:
                raise WireError(f"{ref} is not a list")
            obj[:] = [self.decode(v, buffers, counter, depth + 1) for v in items_node]
        elif tag == "d":
            pairs = _items(node)
            if obj is None:
                obj = {}
                self._link(ref, obj)
            elif type(obj) is not dict:
                raise WireError(f"{ref} is not a dict")
            decoded = []
            for pair in pairs:
                key, value = _pair(pair)
                decoded.append((_key(self.decode(key, buffers, counter, depth + 1)),
                                self.decode(value, buffers, counter, depth + 1)))
            obj.clear()
            obj.update(decoded)
        elif tag == "a":
            array = self._array(node, buffers)
            if obj is None:
                obj = array
                self._link(ref, obj)
            else:
                np = _np()
                if type(obj) is not np.ndarray:
                    raise WireError(f"{ref} is not an array")
                if obj.shape == array.shape and obj.dtype == array.dtype:
                    writeable = obj.flags.writeable
                    try:
                        if not writeable:
                            obj.setflags(write=True)
                        np.copyto(obj, array)
                    except ValueError:       # a view of memory we cannot write: keep ours
                        pass
                    finally:
                        if not writeable and obj.flags.writeable:
                            obj.setflags(write=False)
        elif tag == "g":
            np = _np()
            state, bitgen = node.get("state"), node.get("bitgen")
            if bitgen not in _BIT_GENERATORS or not _plain_state(state):
                raise WireError("a random generator that is not one of numpy's")
            if obj is None:
                obj = np.random.Generator(getattr(np.random, bitgen)())
                self._link(ref, obj)
            elif type(obj) is not np.random.Generator:
                raise WireError(f"{ref} is not a random generator")
            try:
                obj.bit_generator.state = state
            except (ValueError, TypeError, KeyError) as exc:
                raise WireError(f"a bad random generator state ({exc})") from None
        else:                                  # "o": only the kernel rebuilds nnlib objects
            pairs = _items(node)
            if obj is None:
                if self.rebuild is None:
                    raise WireError("the other side cannot send objects")
                cls = self.rebuild(node.get("cls"))
                obj = cls.__new__(cls)
                self._link(ref, obj)
            state = {}
            for pair in pairs:
                key, value = _pair(pair)
                if type(key) is not str:
                    raise WireError("an attribute name that is not a string")
                state[key] = self.decode(value, buffers, counter, depth + 1)
            attributes = vars(obj)
            attributes.clear()
            attributes.update(state)
        self.snaps[ref] = self._snapshot(obj)
        return obj

    def _array(self, node, buffers):
        np = _np()
        dtype, shape = node.get("dtype"), node.get("shape")
        if type(dtype) is not str or dtype not in _DTYPES:
            raise WireError(f"array dtype {dtype!r} is not allowed")
        if type(shape) is not list or len(shape) > 32 or \
                any(type(n) is not int or n < 0 for n in shape):
            raise WireError(f"bad array shape {shape!r}")
        data = _buffer(node, buffers)
        dt = np.dtype(dtype)
        size = 1
        for n in shape:
            size *= n
        if size * dt.itemsize != len(data):
            raise WireError(f"an array of shape {tuple(shape)} and dtype {dtype} is not "
                            f"{len(data)} bytes")
        array = np.frombuffer(data, dtype=dt).reshape(tuple(shape)) if size else np.zeros(tuple(shape), dt)
        if node.get("ro") is True:
            array.setflags(write=False)
        return array

    def _scalar(self, node):
        np = _np()
        dtype, value = node.get("dtype"), node.get("v")
        if type(dtype) is not str or dtype not in _DTYPES:
            raise WireError(f"scalar dtype {dtype!r} is not allowed")
        kind = np.dtype(dtype).kind
        if kind == "c":
            re_, im = _pair(value)
            value = complex(re_, im)
        elif type(value) not in (bool, int, float):
            raise WireError("a numeric scalar that is not a number")
        try:
            return np.dtype(dtype).type(value)
        except (OverflowError, ValueError, TypeError) as exc:
            raise WireError(f"bad scalar ({exc})") from None


def _plain_copy(value):
    if type(value) is dict:
        return {k: _plain_copy(v) for k, v in value.items()}
    return value


def _plain_state(value, depth=0):
    """True for a bit generator's state as JSON: dicts of str keys, ints, strings (depth <= 4)."""
    if depth > 4:
        return False
    if type(value) is dict:
        return all(type(k) is str and _plain_state(v, depth + 1) for k, v in value.items())
    return type(value) in (int, str)


def _items(node):
    items = node.get("v")
    if type(items) is not list:
        raise WireError("a container without its items")
    return items


def _pair(value):
    if type(value) is not list or len(value) != 2:
        raise WireError("expected a pair")
    return value[0], value[1]


def _key(key):
    """A dict key as plain data: numbers, strings, None, tuples of them."""
    t = type(key)
    if key is None or t in (bool, int, float, str, complex):
        return key
    if t is tuple:
        for item in key:
            _key(item)
        return key
    np = _np()
    if isinstance(key, np.generic):
        return key
    raise WireError(f"a dict key of type {t.__name__}")


def _buffer(node, buffers):
    index = node.get("b")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise WireError("a reference to a missing buffer")
    return buffers[index]


def name(value, default="?"):
    """A name from the other side, as shown in messages: bounded, printable, identifier-like."""
    if type(value) is str and _NAME.fullmatch(value):
        return value
    return default
