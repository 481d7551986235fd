"""Tests for nnlib.notation: lecture symbols and compact numbers."""

from nnlib.notation import fmt


def test_fmt_uses_unicode_minus_and_no_negative_zero():
    """Numbers in formulas use the typographic minus and never print −0."""
    assert fmt(-0.5) == "−0.5" and fmt(-0.0) == "0" and fmt(1 / 3, digits=2) == "0.33"
