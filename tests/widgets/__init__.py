"""Tests for nnlib.widgets, one module per view module, driven headless (no browser).

Every test module applies the ``headless_widgets`` fixture (tests/conftest.py): views render
figures to SVG, pyplot stays windowless and nbgrader's switch is off.
"""

import numpy as np

X = np.array([1.0, 2.0])       # the lecture's 2-3-2-2 example input
D = np.array([1.0, 0.0])       # ... and its target


def _classes(widget):
    """The CSS classes of a widget (the hooks the browser tests use)."""
    return set(widget._dom_classes)
