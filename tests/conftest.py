"""Shared fixtures for the nnlib tests (kept small: anything used by one file lives in that file)."""

import os

import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (CI included), so a failure reproduces
# exactly; set HYPOTHESIS_PROFILE=explore to let hypothesis search new examples locally.
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture
def rng():
    """A seeded generator, so every test that draws random numbers is reproducible."""
    return np.random.default_rng(12345)


@pytest.fixture
def layer_gradient_errors():
    """Function (layer, X, rng) -> {name: relative error} of backward vs central differences.

    Uses the scalar L = Σ G * layer(X) for a fixed random G, so dL/dOut = G.
    """
    from nnlib import numerical_gradient, relative_error

    def errors(layer, X, rng):
        G = rng.standard_normal(layer.forward(X).shape)

        def L(_):
            return float((layer.forward(X) * G).sum())

        layer.forward(X)
        dX = layer.backward(G)
        result = {"X": relative_error(dX, numerical_gradient(L, X))}
        analytic = {p.name: p.grad.copy() for p in layer.parameters()}
        for p in layer.parameters():
            result[p.name] = relative_error(analytic[p.name], numerical_gradient(L, p.value))
        return result

    return errors


@pytest.fixture
def headless_widgets(monkeypatch):
    """Views built as a student's notebook builds them: not under nbgrader, pyplot without a window."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
