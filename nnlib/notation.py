"""The lecture's notation as text: symbols with sub- and superscripts, compact numbers, drawing ids.

Every explanation nnlib shows (traces, steppers, explorers, pictures) writes its symbols and
numbers with these functions, so ``w₁₂⁽²⁾`` and ``−0.46`` look the same everywhere.

* Indices in the API are numpy's, 0-based; the symbols shown to students are 1-based like the
  lecture (index 0 is printed as ₁).
* Layer numbers are superscripts in parentheses: ``y⁽⁰⁾`` is the input, ``z⁽ᵏ⁾`` layer k's
  pre-activation.
* Numbers have a few significant digits and a unicode minus (``fmt``); a negative factor in a
  product is parenthesised (``factor``).

Examples
--------
>>> symbol("w", 2, 0, 1), symbol("z", 1, 2), symbol("d", None, 0)
('w₁₂⁽²⁾', 'z₃⁽¹⁾', 'd₁')
>>> subscript(12), superscript(3), fmt(-0.4567), factor(-0.5)
('₁₂', '⁽³⁾', '−0.4567', '(−0.5)')
>>> element("z⁽¹⁾", 2)
'z₃⁽¹⁾'
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["subscript", "superscript", "indices", "symbol", "element", "node_name", "neuron_id",
           "edge_id", "LOSS_ID", "fmt", "factor", "join_sum"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789()N", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ᴺ")

#: Drawing id of the loss node (``data-node="loss"`` in the SVG).
LOSS_ID = "loss"


def subscript(text) -> str:
    """Digits as subscripts: ``subscript(12) == '₁₂'``."""
    return str(text).translate(_SUB)


def superscript(k) -> str:
    """Layer number k as the lecture's superscript: ``superscript(2) == '⁽²⁾'``, ``superscript('N') == '⁽ᴺ⁾'``."""
    return f"({k})".translate(_SUP)


def indices(*idx: int) -> str:
    """1-based lecture indices from 0-based ones; separated by commas once any exceeds 9."""
    one_based = [str(i + 1) for i in idx]
    return ("," if any(len(s) > 1 for s in one_based) else "").join(one_based)


def symbol(name: str, k: int | None, *idx: int) -> str:
    """Unicode symbol of a lecture quantity; indices 0-based in, 1-based out.

    >>> symbol("w", 2, 0, 1), symbol("z", 1, 2), symbol("d", None, 0)
    ('w₁₂⁽²⁾', 'z₃⁽¹⁾', 'd₁')
    """
    return f"{name}{subscript(indices(*idx))}{'' if k is None else superscript(k)}"


def element(vector_symbol: str, index: int) -> str:
    """Entry ``index`` (0-based) of a vector symbol: ``element('z⁽¹⁾', 2) == 'z₃⁽¹⁾'``."""
    name, _, sup = vector_symbol.partition("⁽")
    return f"{name}{subscript(index + 1)}" + (f"⁽{sup}" if sup else "")


def node_name(name: str, k: int, *idx: int) -> str:
    """ASCII name of a quantity, used as a node name in influence diagrams.

    >>> node_name("y", 0, 1), node_name("w", 2, 0, 1)
    ('y2^(0)', 'w12^(2)')
    """
    return f"{name}{indices(*idx)}^({k})"


def neuron_id(k: int, j: int) -> str:
    """Id of neuron j (0-based) of layer k in network drawings (``data-node`` in the SVG)."""
    return f"n{k}_{j}"


def edge_id(tail: str, head: str) -> str:
    """Id of the drawn edge tail → head (``data-edge`` in the SVG)."""
    return f"{tail}->{head}"


def fmt(value: float, digits: int = 4) -> str:
    """Compact number for formulas: ``digits`` significant digits, unicode minus.

    >>> fmt(0.9), fmt(-0.46), fmt(1.0176), fmt(2.0)
    ('0.9', '−0.46', '1.018', '2')
    """
    value = float(value)
    if value == 0:
        return "0"  # also turns -0.0 into 0
    return f"{value:.{digits}g}".replace("-", "−")


def factor(value: float, digits: int = 4) -> str:
    """A number as a factor in a product: negative ones in parentheses."""
    text = fmt(value, digits)
    return f"({text})" if text.startswith("−") else text


def join_sum(parts: Sequence[str], max_terms: int) -> str:
    """Join terms with +, eliding the middle of long sums (a 64-input neuron is unreadable)."""
    parts = list(parts)
    if len(parts) > max_terms:
        parts = parts[:2] + ["…"] + parts[-1:]
    return " + ".join(parts)
