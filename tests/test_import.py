"""`import nnlib` stays light, and its lazy submodules load on demand."""

import subprocess
import sys


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_import_does_not_load_heavy_dependencies():
    """After `import nnlib`, matplotlib, ipywidgets, sklearn and tqdm are not in sys.modules."""
    out = _run("import sys, nnlib; "
               "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'sklearn', 'tqdm') "
               "if m in sys.modules))")
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_data_submodule_loads_lazily_without_sklearn():
    """`nnlib.data` and `nnlib.one_hot` resolve lazily, and still do not import sklearn."""
    out = _run("import sys, nnlib; D = nnlib.one_hot([1, 0], 2); "
               "print(nnlib.data.__name__, D.shape, 'sklearn' in sys.modules)")
    assert out.stdout.split() == ["nnlib.data", "(2,", "2)", "False"]


def test_unknown_attribute_raises_attribute_error():
    """A misspelt name gives AttributeError (not ImportError), as for any module."""
    import pytest

    import nnlib
    with pytest.raises(AttributeError, match="no attribute 'Lineer'"):
        nnlib.Lineer  # noqa: B018
