"""Forward traces: every layer's z and y of a network, and the check of a student's trace.

Notebook 02 asks for the forward pass twice, once with loops for one example (``forward_loops``,
returning ``zs, ys``) and once vectorised for a batch (``forward_batch``, returning ``Zs, Ys``).
Both are checked the same way, layer by layer from the first, so that the first wrong ``z`` or
``y`` is the one named; only the symbols of the messages differ (lower case for one example,
capitals for a batch).
"""

from __future__ import annotations

import builtins

from .comparisons import check_array, check_scalar
from .frozen import np_asarray

_AssertionError = builtins.AssertionError
_isinstance = builtins.isinstance

# the wording of the messages, for one example (forward_loops) and for a batch (forward_batch)
_WORDS = {
    False: {"function": "forward_loops", "z": "z", "y": "y", "in_place": "z[j] = f(z[j])",
            "tail": ", neuron by neuron"},
    True: {"function": "forward_batch", "z": "Z", "y": "Y",
           "in_place": "Z[:] = f(Z) or Z[Z < 0] = 0", "tail": ""},
}


def forward_trace(modules, x):
    """(zs, ys): the pre-activation and the output of every layer, computed by the modules.

    Parameters
    ----------
    modules : list of (layer, activation)
        Callables applied to a batch (one example per row), e.g. ``(nnlib.Linear(...),
        nnlib.ReLU())``: ``z = layer(y)``, ``y = activation(z)``.
    x : numpy.ndarray of shape (D,) or (N, D)
        One example, or a batch of N examples.

    Returns
    -------
    zs, ys : list of numpy.ndarray
        ``zs[k]`` is z^(k+1) and ``ys[k]`` is y^(k+1): vectors for one example, arrays of shape
        (N, D_k) for a batch.

    Examples
    --------
    >>> import numpy as np, nnlib
    >>> layer = nnlib.Linear(2, 2, W=np.eye(2), b=np.array([0.0, -1.0]))
    >>> zs, ys = forward_trace([(layer, nnlib.ReLU())], np.array([0.5, 0.5]))
    >>> print(zs[0], ys[0])
    [ 0.5 -0.5] [0.5 0. ]
    """
    one = np_asarray(x).ndim == 1
    Y = np_asarray(x)[None, :] if one else np_asarray(x)
    zs, ys = [], []
    for layer, activation in modules:
        Z = layer(Y)
        Y = activation(Z)
        zs.append(Z[0] if one else Z)
        ys.append(Y[0] if one else Y)
    return zs, ys


def check_forward_trace(got, layers, expected, label, *, batch=False):
    """Fail unless ``got`` is the pair (zs, ys) of ``expected``, naming the first wrong z or y.

    Parameters
    ----------
    got : object
        What the student's ``forward_loops`` (or, with ``batch=True``, ``forward_batch``)
        returned; it should be two lists.
    layers : list of (W, b, f)
        The network the student's function was given (W is neurons x inputs).
    expected : (zs, ys)
        The right trace, e.g. from :func:`forward_trace`.
    label : str
        Which network this is, at the start of every message.
    batch : bool
        True for ``forward_batch`` (capital Z, Y; a batch per layer), False for ``forward_loops``.

    Examples
    --------
    >>> import numpy as np
    >>> W, b, relu = np.array([[1.0, -1.0]]), np.array([0.0]), lambda z: np.maximum(z, 0.0)
    >>> right = ([np.array([-1.0])], [np.array([0.0])])
    >>> check_forward_trace(right, [(W, b, relu)], right, "tiny network")   # right: silent
    >>> check_forward_trace([np.array([-1.0])], [(W, b, relu)], right, "tiny network")
    Traceback (most recent call last):
        ...
    AssertionError: tiny network: forward_loops should return two lists, (zs, ys), but returned list of length 1. End with: return zs, ys
    """
    words = _WORDS[bool(batch)]
    function, z, y, zs_name, ys_name = (words["function"], words["z"], words["y"],
                                        words["z"] + "s", words["y"] + "s")
    expected_zs, expected_ys = expected
    listed = _isinstance(got, (tuple, list))
    if not (listed and len(got) == 2):
        raise _AssertionError(
            f"{label}: {function} should return two lists, ({zs_name}, {ys_name}), but returned "
            f"{type(got).__name__}" + (f" of length {len(got)}" if listed else "")
            + f". End with: return {zs_name}, {ys_name}")
    zs, ys = got
    for found, names, symbol in ((zs, zs_name, z), (ys, ys_name, y)):
        if _isinstance(found, (list, tuple)) and len(found) == len(expected_zs) + 1:
            raise _AssertionError(
                f"{label}: {names} has {len(found)} entries for a network of {len(expected_zs)} "
                f"layers, one too many: does it start with the input {y}^(0) = x? {names}[k-1] "
                f"must be {symbol}^(k), the {'pre-activation' if symbol == z else 'output'} of "
                f"layer k (append after computing each layer).")
    check_scalar(len(zs), len(expected_zs), name=f"{label}: len({zs_name}), one {z}^(k) per layer")
    check_scalar(len(ys), len(expected_ys), name=f"{label}: len({ys_name}), one {y}^(k) per layer")
    for k, (W, b, f) in enumerate(layers):
        z_variants = {
            f"{zs_name}[{k}] holds {y}^({k + 1}) = f({z}^({k + 1})), not {z}^({k + 1}): the "
            f"activation overwrote {z} in place ({words['in_place']} changes the array already in "
            f"{zs_name}), or {zs_name} and {ys_name} are swapped": expected_ys[k]}
        if k:
            below = np_asarray(expected_zs[k - 1])
            z_variants[f"{z}^({k}) (before the activation) was fed into layer {k + 1}: the next "
                       f"layer's input is {y}^({k}) = f({z}^({k}))"] = (
                below @ np_asarray(W).T + b if batch else np_asarray(W) @ below + b)
        check_array(zs[k], expected_zs[k], name=f"{label}: {z}^({k + 1}) = {zs_name}[{k}]",
                    variants=z_variants)
        check_array(ys[k], expected_ys[k], name=f"{label}: {y}^({k + 1}) = {ys_name}[{k}]",
                    variants={f"no activation was applied: {y}^({k + 1}) equals {z}^({k + 1}); "
                              f"it must be f({z}^({k + 1})){words['tail']}": expected_zs[k]})
