from .harness import Entry  # noqa: F401

NOTEBOOK = "06_digit_recognition.ipynb"
ENTRIES = []
