"""What every SVG picture shares: the palette, the ``<svg>`` element, text and node styles.

Pictures are plain strings, deterministic (the same arguments give the same bytes) and styled with
attributes rather than a stylesheet, so a drawing looks the same wherever it is pasted.
"""

from __future__ import annotations

from html import escape

__all__ = ["COLORS", "number", "text", "label_size", "node_style", "svg_open"]

COLORS = {
    "node": "#f7f7f7", "node_stroke": "#555555",
    "hl": "#dbeafe", "hl_stroke": "#1d4ed8",
    "focus": "#fde68a", "focus_stroke": "#b45309",
    "edge": "#b8b8b8", "edge_hl": "#1d4ed8",
    "text": "#222222", "muted": "#555555",
}
_FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def number(v: float) -> str:
    """Coordinates with one decimal, trailing zeros dropped (deterministic, compact)."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "middle",
          css: str = "nnlib-label", color: str | None = None, halo: bool = False, bold: bool = False) -> str:
    extra = ' stroke="white" stroke-width="3" paint-order="stroke"' if halo else ""
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text class="{css}" x="{number(x)}" y="{number(y)}" text-anchor="{anchor}" '
            f'font-size="{size}" {_FONT} fill="{color or COLORS["text"]}"{weight}{extra}>'
            f"{escape(str(content))}</text>")


def label_size(text: str, size: int = 11) -> tuple[float, float]:
    """Width and height of the white box behind an edge label (a bold label fits too)."""
    return 0.66 * size * len(text) + 6, size + 4


def node_style(css: list[str]) -> tuple[str, str, str]:
    if "nnlib-focus" in css:
        return COLORS["focus"], COLORS["focus_stroke"], "2.5"
    if "nnlib-hl" in css:
        return COLORS["hl"], COLORS["hl_stroke"], "2.5"
    return COLORS["node"], COLORS["node_stroke"], "1.2"


def svg_open(css: str, width: float, height: float, title: str | None) -> list[str]:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" width="{number(width)}" '
             f'height="{number(height)}" viewBox="0 0 {number(width)} {number(height)}" role="img" '
             f'style="max-width:100%;height:auto">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    return parts
