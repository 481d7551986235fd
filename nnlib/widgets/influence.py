"""Influence explorer: pick a node, see every path to the output, its product and the running sum."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from nnlib.lessons.influence import PathExplorer
from nnlib.notation import fmt
from nnlib.pictures.influence import influence_svg
from nnlib.pictures.steps import TABLE_STYLE

from .base import ShowMixin, button, html_widget

__all__ = ["InfluenceExplorer"]


class InfluenceExplorer(ShowMixin, widgets.VBox):
    """Distributed chain rule on an :class:`nnlib.lessons.influence.InfluenceDiagram`.

    Notebook cell::

        InfluenceExplorer.show(InfluenceDiagram.x_squared_plus_sin(x=1.0))

    A dropdown picks the node to differentiate with respect to; every path from it to the output
    is listed with its local derivatives, their product, and the running sum, which ends at the
    derivative. Prev/Next path buttons move the highlight along the list.
    """

    def __init__(self, diagram, source: str | None = None):
        self._state = PathExplorer(diagram, source)
        self._source = widgets.Dropdown(
            options=[(diagram.nodes[n].label, n) for n in self._state.choices],
            value=self._state.source, description="differentiate w.r.t.",
            style={"description_width": "initial"})
        self._source.add_class("nnlib-influence-source")
        self._prev = button("Prev path", "nnlib-path-prev", "highlight the previous path")
        self._next = button("Next path", "nnlib-path-next", "highlight the next path")
        self._diagram = html_widget("nnlib-diagram")
        self._paths = html_widget("nnlib-influence-paths")
        self._total = html_widget("nnlib-influence-total")
        self._source.observe(self._on_source, names="value")
        self._prev.on_click(lambda _: self._move(-1))
        self._next.on_click(lambda _: self._move(+1))
        super().__init__([widgets.HBox([self._source, self._prev, self._next]), self._diagram,
                          self._paths, self._total])
        self.add_class("nnlib-influence-explorer")
        self._update()

    @property
    def state(self) -> PathExplorer:
        """The pure state: selected source and path."""
        return self._state

    def _on_source(self, change) -> None:
        self._state.select_source(change["new"])
        self._update()

    def _move(self, delta: int) -> None:
        (self._state.next_path if delta > 0 else self._state.prev_path)()
        self._update()

    def _update(self) -> None:
        s, d = self._state, self._state.diagram
        self._diagram.value = influence_svg(d, highlight_path=s.path.names)
        target = d.nodes[s.target].symbol
        rows = ["<tr><th>#</th><th>path</th><th>product of local derivatives</th><th>= product</th>"
                "<th>running sum</th></tr>"]
        for n, (path, total) in enumerate(zip(s.paths, s.running)):
            factors = " · ".join(f"({fmt(f)})" if fmt(f).startswith("−") else fmt(f) for f in path.factors)
            selected = n == s.path_index
            style = " style='background:#dbeafe;font-weight:bold'" if selected else ""
            rows.append(f"<tr class='nnlib-path{' nnlib-selected' if selected else ''}'{style}>"
                        f"<td>{n + 1}</td><td>{escape(s.path_text(n))}</td><td>{escape(factors)}</td>"
                        f"<td>{escape(fmt(path.product))}</td><td>{escape(fmt(total))}</td></tr>")
        self._paths.value = f"{TABLE_STYLE}<table class='nnlib-paths-table'>" + "".join(rows) + "</table>"
        source = d.nodes[s.source].symbol
        self._total.value = (f"<div>∂{escape(target)}/∂{escape(source)} = sum over "
                             f"{len(s.paths)} path{'s' if len(s.paths) != 1 else ''} = "
                             f"<b class='nnlib-influence-sum'>{escape(fmt(s.total))}</b></div>")

    def static_html(self) -> str:
        return self._diagram.value + self._paths.value + self._total.value
