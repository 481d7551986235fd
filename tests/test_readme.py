"""The README's code examples run and say what nnlib does."""
import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_examples_run():
    """Every ```python block in the README runs as written."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README should show nnlib in use"
    for block in blocks:
        namespace = {}
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
        if "history" in namespace:
            assert len(namespace["history"].loss) == 20
            assert np.isfinite(namespace["history"].loss[-1])


def test_conventions_match_the_code():
    """The README's stated conventions hold: W is (out, in), Z = Y Wᵀ + b, dW has W's shape."""
    import nnlib
    text = README.read_text()
    assert "(out_features, in_features)" in text and "Z = Y Wᵀ + b" in text
    layer = nnlib.Linear(3, 2, rng=0)
    Y = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(layer(Y), Y @ layer.W.T + layer.b, rtol=1e-12)
    layer.backward(np.ones((2, 2)))
    assert layer.W.shape == (2, 3) and layer.grads["W"].shape == layer.W.shape
