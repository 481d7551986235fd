"""Jacobian explorer and gradient bridge (notebook 04): thin views over :mod:`nnlib.lessons.jacobians`."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from nnlib.lessons.jacobians import BridgeState, JacobianExplorerState
from nnlib.pictures.jacobians import bridge_html, explorer_heatmap_html, vjp_html

from .base import ShowMixin, StepperView, html_widget

__all__ = ["JacobianExplorer", "GradientBridge"]


class JacobianExplorer(ShowMixin, widgets.VBox):
    """Pick a layer of a small model and an input; see the layer's Jacobian and a VJP.

    Notebook cell::

        JacobianExplorer.show(model, x, d, loss)       # d, loss optional

    A dropdown picks the layer (each Linear: J = W; each activation: diagonal or full), one slider
    per input entry moves x, a second dropdown picks the upstream gradient ∇_out Div (the real one
    from the loss, all ones, or a unit vector). Shown: J as a coloured table (red positive, blue
    negative), its numerical check, and ∇_in Div = ∇_out Div · J with the numbers.
    """

    def __init__(self, model, x, d=None, loss=None, *, layer: int = 0, x_range: float = 3.0):
        self._state = JacobianExplorerState(model, x, d, loss, layer=layer)
        self._layer = widgets.Dropdown(options=[(c.label, n) for n, c in enumerate(self._state.choices)],
                                       value=self._state.position, description="layer",
                                       layout=widgets.Layout(width="460px"))
        self._layer.add_class("nnlib-jacobian-layer")
        self._upstream = widgets.Dropdown(options=self._state.upstream_choices(),
                                          value=self._state.upstream, description="∇ upstream",
                                          layout=widgets.Layout(width="460px"))
        self._upstream.add_class("nnlib-jacobian-upstream")
        self._inputs = []
        for n, value in enumerate(self._state.x):
            slider = widgets.FloatSlider(value=float(value), min=float(value) - x_range,
                                         max=float(value) + x_range, step=0.1, description=f"x{n + 1}",
                                         continuous_update=False)
            slider.add_class("nnlib-jacobian-input")
            slider.observe(self._on_input, names="value")
            self._inputs.append(slider)
        self._heatmap = html_widget("nnlib-jacobian-heatmap")
        self._vjp = html_widget("nnlib-vjp")
        self._layer.observe(self._on_layer, names="value")
        self._upstream.observe(self._on_upstream, names="value")
        inputs = widgets.HBox(self._inputs)
        inputs.add_class("nnlib-jacobian-inputs")
        super().__init__([self._layer, inputs, self._heatmap, self._upstream, self._vjp])
        self.add_class("nnlib-jacobian-explorer")
        self._update()

    @property
    def state(self) -> JacobianExplorerState:
        """The pure state: picked layer, input and upstream gradient."""
        return self._state

    def _on_layer(self, change) -> None:
        self._state.select(change["new"])
        self._sync_upstream()
        self._update()

    def _on_upstream(self, change) -> None:
        if change["new"] is not None:
            self._state.set_upstream(change["new"])
            self._update()

    def _on_input(self, _change) -> None:
        self._state.set_input([s.value for s in self._inputs])
        self._update()

    def _sync_upstream(self) -> None:
        # The choices depend on the picked layer's output size: rebuild them without re-entering.
        self._upstream.unobserve(self._on_upstream, names="value")
        self._upstream.options = self._state.upstream_choices()
        self._upstream.value = self._state.upstream
        self._upstream.observe(self._on_upstream, names="value")

    def _update(self) -> None:
        self._heatmap.value = explorer_heatmap_html(self._state)
        self._vjp.value = vjp_html(self._state)

    def static_html(self) -> str:
        return (f"<div><b>{escape(self._state.current.label)}</b></div>" + self._heatmap.value
                + self._vjp.value)


class GradientBridge(StepperView):
    """Per-weight derivatives (notebook 03) assembling into the matrix ∇_W Div, then nnlib's dW.

    Notebook cell::

        GradientBridge.show(model, x, d, loss)          # layer=k picks lecture layer k (default: last)

    Step 1 shows y_{k−1} and ∇_{z_k} Div; then one step per weight fills entry (i, j) of ∇_W Div
    with y_i · ∂Div/∂z_j; then the whole matrix as the outer product y ∇_z Div; then nnlib's
    dW = (∇_W Div)ᵀ, next to what nnlib's own backward pass stores.
    """

    def __init__(self, model, x, d, loss, *, layer: int | None = None, digits: int = 4,
                 interval: int = 900):
        self._bridge = BridgeState(model, x, d, loss, layer=layer, digits=digits)
        super().__init__(self._bridge.steps, lambda p: bridge_html(self._bridge, p, digits=digits),
                         css_class="nnlib-gradient-bridge", interval=interval,
                         title=f"From ∂Div/∂w_ij to the matrix ∇_W Div (layer {self._bridge.k})")

    @property
    def bridge(self) -> BridgeState:
        """The pure state: y, ∇_z Div, ∇_W Div, dW, nnlib's dW and the steps."""
        return self._bridge
