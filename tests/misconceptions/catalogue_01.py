from .harness import Entry  # noqa: F401

NOTEBOOK = "01_calculus_refresher.ipynb"
ENTRIES = []
