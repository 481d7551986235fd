"""nnlib.checks.forbidden: forbid blocks nnlib callables with a ForbiddenCall while its block
runs, and restores them."""

import math

import numpy as np
import pytest

import nnlib
from nnlib.checks import ForbiddenCall, check_shape, forbid

class Base:
    def __call__(self, x):
        return self.forward(x)


class Doubler(Base):
    def __init__(self):
        super().__init__()                      # gives __init__ a __class__ free variable
        self.factor = 2

    def forward(self, x):
        return self.factor * x

    def backward(self, d):
        return self.factor * d


class Other(Base):
    def forward(self, x):
        return x


def double(x):
    return 2 * x


def make_closure():
    k = 5

    def times_k(x):
        return k * x
    return times_k


times_k = make_closure()


def test_forbid_blocks_direct_calls_and_aliases():
    """A forbidden function raises when called by name or through an alias held earlier."""
    alias = double
    with forbid(double):
        with pytest.raises(AssertionError, match="write double yourself"):
            double(1)
        with pytest.raises(AssertionError, match="earns no credit"):
            alias(1)
    assert double(1) == 2 and alias(1) == 2


def test_forbid_handles_closures():
    """Functions with free variables (closures) are forbidden and restored."""
    with forbid(times_k):
        with pytest.raises(AssertionError):
            times_k(1)
    assert times_k(1) == 5


def test_forbid_blocks_class_instances_and_methods():
    """A forbidden class cannot be built, and instances made before cannot be used."""
    old = Doubler()
    bound = old.forward
    with forbid(Doubler, reason="Multiply by 2 yourself."):
        for call in (Doubler, lambda: old(1), lambda: old.forward(1), lambda: bound(1),
                     lambda: old.backward(1)):
            with pytest.raises(AssertionError, match="Multiply by 2 yourself"):
                call()
        assert Other()(7) == 7                  # the shared base class is untouched
    assert Doubler()(3) == 6 and bound(1) == 2 and old.backward(1) == 2


def test_forbid_class_catches_inherited_bound_aliases():
    """A bound alias of an inherited method, taken before the block, trips for that class only."""
    d, o = Doubler(), Other()
    call_d, call_o = d.__call__, o.__call__         # Base.__call__, shared
    with forbid(Doubler):
        with pytest.raises(AssertionError):
            call_d(1)
        assert call_o(5) == 5
    assert call_d(1) == 2


def test_forbid_inherited_method_by_dotted_name():
    """'module.Class.method' for an inherited method blocks it for that class only."""
    with forbid(f"{__name__}.Doubler.__call__"):
        with pytest.raises(AssertionError, match="Doubler.__call__"):
            Doubler()(1)
        assert Other()(4) == 4
    assert Doubler()(1) == 2


def test_forbid_single_method():
    """Forbidding one method (via the class or a bound method) leaves the others usable."""
    d = Doubler()
    with forbid(Doubler.forward):
        with pytest.raises(AssertionError, match="Doubler.forward"):
            d(1)
        assert d.backward(1) == 2
    with forbid(d.backward):
        with pytest.raises(AssertionError):
            Doubler().backward(1)
    assert d(1) == 2 and d.backward(1) == 2


def test_forbid_restores_after_exception():
    """Everything is restored even when the block raises."""
    with pytest.raises(ZeroDivisionError):
        with forbid(double, Doubler):
            1 / 0
    assert double(2) == 4 and Doubler()(2) == 4


def test_forbid_is_reentrant():
    """Nested forbids of the same target, even the same object, unwind correctly."""
    guard = forbid(double)
    with guard:
        with guard:
            with forbid(double):
                with pytest.raises(AssertionError):
                    double(1)
            with pytest.raises(AssertionError):
                double(1)
        with pytest.raises(AssertionError):
            double(1)
    assert double(1) == 2


def test_forbid_dotted_names():
    """Dotted names resolve; Python functions and builtins are both blocked and restored."""
    with forbid("nnlib.checks.check_shape"):
        with pytest.raises(AssertionError, match="check_shape"):
            check_shape(np.zeros(2), (2,))
    check_shape(np.zeros(2), (2,))
    with forbid("math.sqrt"):
        with pytest.raises(AssertionError, match="sqrt"):
            math.sqrt(4.0)
    assert math.sqrt(4.0) == 2.0


def test_forbid_with_reason_is_neutral():
    """With a reason the message is neutral: a helper is not something to "write yourself"."""
    with forbid(Doubler, double, reason="Multiply the path products yourself."):
        for call in (lambda: Doubler()(1), lambda: double(1)):
            with pytest.raises(AssertionError) as info:
                call()
            text = str(info.value)
            assert text.startswith("This exercise must not use nnlib's ")
            assert text.endswith(": Multiply the path products yourself.")
            assert "yourself —" not in text and "earns no credit" not in text


def test_forbid_message_replaces_the_whole_text():
    """message= is the whole text, for functions, classes and per-instance method gates."""
    text = "Use your own influence diagram here."
    with forbid(double, Doubler, Public.forward, f"{__name__}.Sibling.forward", "math.sqrt",
                message=text):
        for call in (lambda: double(1), lambda: Doubler()(1), lambda: Public().forward(1),
                     lambda: Sibling().forward(1), lambda: math.sqrt(4.0)):
            with pytest.raises(AssertionError) as info:
                call()
            assert str(info.value) == text
    assert double(1) == 2 and Public().forward(1) == 1


def test_forbid_message_and_reason_together_is_the_authors_error():
    """Giving both message= and reason= (or a non-string message) is a TypeError."""
    with pytest.raises(TypeError, match="not both"):
        forbid(double, reason="a", message="b")
    with pytest.raises(TypeError, match="string"):
        forbid(double, message=42)


def test_forbid_bad_target_is_a_clear_error():
    """Unknown names fail loudly for the test author (not as a student AssertionError)."""
    with pytest.raises(ValueError, match="cannot find"):
        with forbid("nnlib.checks.no_such_thing"):
            pass
    with pytest.raises(TypeError):
        with forbid(42):
            pass


class _PrivateBase:
    def forward(self, x):
        return x


class Public(_PrivateBase):
    pass


class Sibling(_PrivateBase):
    pass


def test_forbid_method_of_private_base_names_the_instance_class():
    """Public.forward as an object is _PrivateBase.forward: blocked for all, named per class."""
    with forbid(Public.forward):
        with pytest.raises(AssertionError, match="write Public.forward yourself"):
            Public().forward(1)
        with pytest.raises(AssertionError, match="write Sibling.forward yourself"):
            Sibling().forward(1)
    with forbid(f"{__name__}.Public.forward"):
        assert Sibling().forward(2) == 2       # the string form blocks Public only
        with pytest.raises(AssertionError, match="Public.forward"):
            Public().forward(1)
    assert Public().forward(1) == 1


def test_forbid_failed_enter_restores():
    """If one target cannot be resolved, the ones already patched are restored."""
    with pytest.raises(ValueError):
        with forbid(double, "nnlib.checks.no_such_thing"):
            pass
    assert double(1) == 2


def test_forbidden_call_is_a_named_assertion_error():
    """A blocked call raises ForbiddenCall, an AssertionError (a failed test) told apart by type."""
    with forbid(double):
        with pytest.raises(ForbiddenCall) as info:
            double(1)
    assert isinstance(info.value, AssertionError)
    assert "double" in str(info.value)


def test_an_answer_that_crashes_in_the_block_gets_one_message_naming_its_line():
    """A crash of the student's code inside forbid: its function, line and a cause, no traceback."""

    def affine(W, b, y):
        return y @ W + b             # the inner dimensions do not match

    with pytest.raises(AssertionError) as info:
        with forbid(nnlib.Linear):
            affine(np.zeros((2, 3)), np.zeros(2), np.zeros(3))
    text = str(info.value)
    assert text.startswith("your affine raised ValueError: matmul")
    assert "at your line" in text and "return y @ W + b" in text
    assert "inner dimensions of a matrix product" in text


def test_an_error_of_the_tests_own_code_in_the_block_is_left_as_it_is():
    with pytest.raises(ZeroDivisionError):
        with forbid(nnlib.Linear):
            1 / 0
