from .harness import Entry  # noqa: F401

NOTEBOOK = "03_scalar_backprop.ipynb"
ENTRIES = []
