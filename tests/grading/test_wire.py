"""autograder.kernel.wire: plain data both ways, identity and in-place changes kept, and a decoder
that accepts nothing else -- whatever a hostile kernel sends."""

import json
import socket
import struct
import threading
import time

import numpy as np
import pytest

from autograder.kernel import wire


def pair(make=None):
    """A checker codec and a kernel codec, as the two sides use them."""
    handles = {}

    def kernel_other(value, buffers, depth):
        handles[len(handles) + 1] = value
        return {"$": "h", "id": len(handles), "kind": "instance", "type": type(value).__name__}

    def checker_other(value, buffers, depth):
        raise TypeError("not sendable")

    def make_checker(tag, node, decode):
        if tag == "h":
            return ("handle", node["id"])
        raise wire.WireError(f"no {tag}")

    def make_kernel(tag, node, decode):
        if tag == "h":
            return handles[node["id"]]
        raise wire.WireError(f"no {tag}")

    checker = wire.Codec("c", checker_other, make or make_checker, weak=True)
    kernel = wire.Codec("k", kernel_other, make_kernel, rebuild=lambda path: None)
    return checker, kernel


def send(sender, receiver, value):
    """``value`` encoded by ``sender`` and decoded by ``receiver`` (through real JSON)."""
    header, buffers = sender.message({"op": "ok"}, value=value)
    header = json.loads(json.dumps(header))
    return receiver.receive(header, [bytearray(memoryview(b).cast("B")) for b in buffers],
                            "value")[0]


@pytest.mark.parametrize("value", [
    None, True, 0, -(2 ** 200), 1.5, float("inf"), -float("inf"), 2 + 3j, "žluť", b"\x00\xff",
    (1, (2.0, "x")), [], {}, {(1, "a"): [1, 2], None: 3, 2.5: {}},
    np.float64(0.1), np.int32(-7), np.bool_(True), np.complex128(1 - 2j), np.float32(0.3)])
def test_plain_values_arrive_as_they_were(value):
    """Numbers, strings, bytes, tuples, lists, dicts and numpy scalars: equal, and of the same type."""
    checker, kernel = pair()
    got = send(kernel, checker, value)
    assert type(got) is type(value) and got == value


@pytest.mark.parametrize("array", [
    np.arange(6.0).reshape(2, 3), np.zeros((0, 4)), np.array(3.5), np.array([True, False]),
    np.arange(10, dtype=np.int8)[::3], np.ones((2, 2), dtype=np.complex64),
    np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.array([np.nan, np.inf], dtype=np.float16)])
def test_arrays_arrive_with_their_values_shape_and_dtype(array):
    checker, kernel = pair()
    got = send(kernel, checker, array)
    assert type(got) is np.ndarray and got.dtype == array.dtype and got.shape == array.shape
    np.testing.assert_array_equal(got, array)


def test_a_read_only_array_stays_read_only():
    checker, kernel = pair()
    array = np.arange(3.0)
    array.setflags(write=False)
    assert not send(checker, kernel, array).flags.writeable


def test_identity_and_cycles_survive():
    """The same list twice is one list on the other side, also in a later message; a list that
    holds itself arrives holding itself."""
    checker, kernel = pair()
    shared = [1.0]
    loop = [shared]
    loop.append(loop)
    got = send(checker, kernel, (shared, shared, loop))
    assert got[0] is got[1] and got[2][0] is got[0] and got[2][1] is got[2]
    assert send(checker, kernel, shared) is got[0]


def test_in_place_changes_travel_both_ways():
    """What one side changes in place in a linked list, dict or array (and an array's contents),
    the other side sees in its own object at the next message."""
    checker, kernel = pair()
    params = {"W": np.zeros(2), "steps": [1]}
    theirs = send(checker, kernel, params)
    theirs["W"] -= 0.5                    # the kernel updates in place
    theirs["steps"].append(2)
    theirs["new"] = "x"
    assert send(kernel, checker, None) is None          # any message carries the changes
    assert params["W"].tolist() == [-0.5, -0.5] and params["steps"] == [1, 2]
    assert params["new"] == "x" and set(params) == {"W", "steps", "new"}
    W = params["W"]
    W[0] = 7.0                                          # and back
    send(checker, kernel, None)
    assert theirs["W"][0] == 7.0


def test_a_generator_travels_with_its_state():
    """A numpy Generator given to the student's code is one there too: what it draws there it has
    drawn here."""
    checker, kernel = pair()
    rng = np.random.default_rng(5)
    theirs = send(checker, kernel, rng)
    expected = np.random.default_rng(5).normal(size=3)
    np.testing.assert_array_equal(theirs.normal(size=3), expected)
    send(kernel, checker, None)
    np.testing.assert_array_equal(rng.normal(size=2), np.random.default_rng(5).normal(size=5)[3:])


def test_an_array_the_checker_dropped_may_still_be_named_once():
    """The checker holds arrays weakly; one it dropped while the kernel still refers to it (the
    kernel had not heard yet) stands in again from its last agreed state."""
    checker, kernel = pair()
    theirs = send(kernel, checker, np.array([1.0, 2.0]))
    ref = next(iter(checker.snaps))
    del theirs                                          # the test no longer holds it
    node = {"op": "ok", "sync": [], "value": {"$": "r", "id": ref}}
    np.testing.assert_array_equal(checker.receive(node, [], "value")[0], [1.0, 2.0])


@pytest.mark.parametrize("node, why", [
    ({"$": "a", "id": "k1", "dtype": "|O8", "shape": [1], "b": 0}, "dtype '|O8' is not allowed"),
    ({"$": "a", "id": "k1", "dtype": "<f8", "shape": [3], "b": 0}, "is not 8 bytes"),
    ({"$": "a", "id": "k1", "dtype": "<f8", "shape": [-1], "b": 0}, "bad array shape"),
    ({"$": "a", "id": "k1", "dtype": "<f8", "shape": [1], "b": 5}, "missing buffer"),
    ({"$": "l", "id": "c9", "v": []}, "cannot make an object with id 'c9'"),
    ({"$": "r", "id": "k77"}, "unknown object"),
    ({"$": "o", "id": "k2", "cls": "os.system", "v": []}, "cannot send objects"),
    ({"$": "g", "id": "k3", "bitgen": "MT19937", "state": {}}, "not one of numpy's"),
    ({"$": "d", "id": "k4", "v": [[{"$": "l", "id": "k5", "v": []}, 1]]}, "dict key of type list"),
    ({"$": "zz"}, "unknown tag"),
    ([1, 2], "bare JSON list"),
    ({"$": "s", "dtype": "<f8", "v": "1"}, "not a number"),
    ({"$": "x", "path": "os.system"}, "no x"),
])
def test_the_checker_accepts_nothing_but_plain_data(node, why):
    """What no honest kernel sends is refused with the reason, never reconstructed."""
    checker, _ = pair()
    with pytest.raises(wire.WireError, match=why):
        checker.receive({"op": "ok", "sync": [], "value": node}, [bytearray(8)], "value")


def test_nesting_and_counts_are_bounded():
    checker, _ = pair()
    deep = 1
    for _ in range(100):
        deep = {"$": "t", "v": [deep]}
    with pytest.raises(wire.WireError, match="nested deeper"):
        checker.receive({"value": deep}, [], "value")
    small = wire.Codec("c", None, None, limits=wire.Limits(max_items=10))
    with pytest.raises(wire.WireError, match="more than 10 values"):
        small.receive({"value": {"$": "t", "v": list(range(20))}}, [], "value")


def _frames(payload):
    left, right = socket.socketpair()
    threading.Thread(target=lambda: (right.sendall(payload), right.close()), daemon=True).start()
    OPEN.append(left)
    return left


OPEN = []


@pytest.fixture(autouse=True)
def _close_sockets():
    yield
    while OPEN:
        OPEN.pop().close()


def test_frames_are_checked_before_they_are_read():
    """A frame's declared size is refused before a byte of it is read; a bad marker, a header that
    is not JSON, a connection that ends, a peer that sends nothing in time: each its own error."""
    limits = wire.Limits(max_message=2 ** 20)
    huge = struct.pack("<4sII", b"AGW1", 16, 1) + struct.pack("<Q", 4 * 2 ** 30)
    with pytest.raises(wire.WireTooLarge, match="4096 MB is larger than the 1 MB allowed"):
        wire.recv(_frames(huge), limits)
    with pytest.raises(wire.WireError, match="not a message of this protocol"):
        wire.recv(_frames(b"EVIL" + bytes(8)), limits)
    text = b"[" * 100000 + b"]" * 100000
    with pytest.raises(wire.WireError, match="not JSON"):
        wire.recv(_frames(struct.pack("<4sII", b"AGW1", len(text), 0) + text), limits)
    with pytest.raises(wire.PeerGone):
        wire.recv(_frames(b"AGW1"), limits)
    left, right = socket.socketpair()
    started = time.monotonic()
    with pytest.raises(wire.WireTimeout):
        wire.recv(left, limits, deadline=started + 0.2)
    assert time.monotonic() - started < 2
    right.close()
    left.close()


def test_a_message_goes_through_a_socket_whole():
    left, right = socket.socketpair()
    checker, kernel = pair()
    header, buffers = kernel.message({"op": "ok"}, value=np.arange(100000.0))
    threading.Thread(target=wire.send, args=(right, header, buffers), daemon=True).start()
    header, buffers = wire.recv(left, wire.Limits())
    np.testing.assert_array_equal(checker.receive(header, buffers, "value")[0], np.arange(100000.0))
    left.close()
    right.close()
