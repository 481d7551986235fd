"""nnlib.checks.traces: a network's trace, and the messages of the forward-pass checks (one
example and a batch), word for word as notebook 02's students read them."""

import numpy as np
import pytest

import nnlib
from nnlib.checks import check_forward_trace, forward_trace

from . import message

pytestmark = pytest.mark.filterwarnings("error")

RNG = np.random.default_rng(1)
W1, b1 = RNG.normal(size=(4, 3)), RNG.normal(size=4)
W2, b2 = RNG.normal(size=(2, 4)), RNG.normal(size=2)
LAYERS = [(W1, b1, np.tanh), (W2, b2, lambda z: np.maximum(z, 0.0))]
MODULES = [(nnlib.Linear(3, 4, W=W1, b=b1), nnlib.Tanh()), (nnlib.Linear(4, 2, W=W2, b=b2), nnlib.ReLU())]
x = np.array([0.5, -1.0, 2.0])
X = RNG.normal(size=(5, 3))


def _by_hand(x):
    z1 = x @ W1.T + b1
    z2 = np.tanh(z1) @ W2.T + b2
    return [z1, z2], [np.tanh(z1), np.maximum(z2, 0.0)]


@pytest.mark.parametrize("inputs", [x, X], ids=["one example", "batch"])
def test_forward_trace_is_every_layers_z_and_y(inputs):
    """forward_trace gives z^(k), y^(k) of every layer, vectors for one example, rows for a batch."""
    zs, ys = forward_trace(MODULES, inputs)
    want_zs, want_ys = _by_hand(inputs)
    for got, want in zip(zs + ys, want_zs + want_ys):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("inputs, batch", [(x, False), (X, True)], ids=["loops", "batch"])
def test_right_trace_passes(inputs, batch):
    """The right trace passes silently, as a tuple or as a list."""
    zs, ys = forward_trace(MODULES, inputs)
    check_forward_trace((zs, ys), LAYERS, (zs, ys), "net", batch=batch)
    check_forward_trace([zs, ys], LAYERS, (zs, ys), "net", batch=batch)


@pytest.mark.parametrize("got, batch, text", [
    (None, False, "net: forward_loops should return two lists, (zs, ys), but returned NoneType. "
                  "End with: return zs, ys"),
    ((1, 2, 3), False, "net: forward_loops should return two lists, (zs, ys), but returned tuple of "
                       "length 3. End with: return zs, ys"),
    ([1], True, "net: forward_batch should return two lists, (Zs, Ys), but returned list of length 1. "
                "End with: return Zs, Ys"),
])
def test_not_a_pair(got, batch, text):
    """Anything but two lists is named with its type (and length)."""
    expected = forward_trace(MODULES, X if batch else x)
    assert message(check_forward_trace, got, LAYERS, expected, "net", batch=batch) == text


@pytest.mark.parametrize("batch, names", [
    (False, ("net: z^(1) = zs[0]", "zs[0] holds y^(1) = f(z^(1)), not z^(1): the activation overwrote "
             "z in place (z[j] = f(z[j]) changes the array already in zs), or zs and ys are swapped")),
    (True, ("net: Z^(1) = Zs[0]", "Zs[0] holds Y^(1) = f(Z^(1)), not Z^(1): the activation overwrote "
            "Z in place (Z[:] = f(Z) or Z[Z < 0] = 0 changes the array already in Zs), or Zs and Ys are "
            "swapped")),
])
def test_activation_in_place(batch, names):
    """z overwritten by f(z) is named as such, in the symbols of its exercise."""
    zs, ys = forward_trace(MODULES, X if batch else x)
    text = message(check_forward_trace, (list(ys), ys), LAYERS, (zs, ys), "net", batch=batch)
    assert all(name in text for name in names), text


@pytest.mark.parametrize("batch, names", [
    (False, ("net: z^(2) = zs[1]", "z^(1) (before the activation) was fed into layer 2: the next "
             "layer's input is y^(1) = f(z^(1))")),
    (True, ("net: Z^(2) = Zs[1]", "Z^(1) (before the activation) was fed into layer 2: the next "
            "layer's input is Y^(1) = f(Z^(1))")),
])
def test_z_fed_into_the_next_layer(batch, names):
    """A layer fed the previous layer's z instead of its y is named."""
    inputs = X if batch else x
    zs, ys = forward_trace(MODULES, inputs)
    z1 = inputs @ W1.T + b1
    wrong_z2 = z1 @ W2.T + b2
    got = ([zs[0], wrong_z2], [ys[0], np.maximum(wrong_z2, 0.0)])
    text = message(check_forward_trace, got, LAYERS, (zs, ys), "net", batch=batch)
    assert all(name in text for name in names), text


@pytest.mark.parametrize("batch, names", [
    (False, ("net: y^(1) = ys[0]", "no activation was applied: y^(1) equals z^(1); it must be "
             "f(z^(1)), neuron by neuron")),
    (True, ("net: Y^(1) = Ys[0]", "no activation was applied: Y^(1) equals Z^(1); it must be f(Z^(1))")),
])
def test_no_activation(batch, names):
    """y equal to z (no activation) is named."""
    zs, ys = forward_trace(MODULES, X if batch else x)
    text = message(check_forward_trace, (zs, list(zs)), LAYERS, (zs, ys), "net", batch=batch)
    assert all(name in text for name in names), text
    if batch:
        assert "neuron by neuron" not in text


def test_one_z_per_layer():
    """A trace with a layer missing is told how many it needs."""
    zs, ys = forward_trace(MODULES, x)
    text = message(check_forward_trace, (zs[:1], ys[:1]), LAYERS, (zs, ys), "net")
    assert "net: len(zs), one z^(k) per layer" in text


def test_a_trace_that_starts_with_the_input_says_so():
    import numpy as np
    import pytest
    from nnlib.checks import check_forward_trace
    W, b, relu = np.array([[1.0, -1.0]]), np.array([0.0]), lambda z: np.maximum(z, 0.0)
    right = ([np.array([-1.0])], [np.array([0.0])])
    with pytest.raises(AssertionError, match="one too many: does it start with the input y"):
        check_forward_trace(([np.array([-1.0])], [np.array([1.0, 2.0]), np.array([0.0])]),
                            [(W, b, relu)], right, "tiny network")
