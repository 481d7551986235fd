"""Interactive views for the notebooks (ipywidgets 8), thin layers over pure state.

The state and the numbers live in :mod:`nnlib.lessons`, with no widget import
(:mod:`~nnlib.lessons.trace`: steps of the forward/backward pass, the
:class:`~nnlib.lessons.trace.Stepper`, numerical checks; :mod:`~nnlib.lessons.influence`: paths
and products; …); :mod:`nnlib.pictures` turns it into SVG, HTML and figures. The views below only
turn clicks into state changes and state into pictures. Importing ``nnlib.widgets`` is cheap: each view (and ipywidgets) loads on first use.

Notebook cells (exactly these; tag the cell ``nbval-ignore-output``, no nbgrader metadata)
-----------------------------------------------------------------------------------------
::

    from nnlib.widgets import TangentExplorer
    TangentExplorer.show(f, df, x0=1.0, dx=0.5, x_range=(-3, 3), label="x² + sin x")
    # f, df accept numpy arrays; TangentExplorer.show() alone uses y = x² + sin x

    from nnlib.lessons.influence import InfluenceDiagram
    from nnlib.widgets import InfluenceExplorer
    InfluenceExplorer.show(InfluenceDiagram.x_squared_plus_sin(x=1.0))
    InfluenceExplorer.show(InfluenceDiagram.from_model(model, x, d, loss))   # a tiny network

    from nnlib.widgets import ForwardStepper
    ForwardStepper.show(model, x)                  # model: Sequential of Linear/activations; x: (D,) or (1, D)
    ForwardStepper.show(model, x, d, loss)         # ... and a last step computing Div

    from nnlib.widgets import BackwardStepper
    BackwardStepper.show(model, x, d, loss)

``show`` builds and displays the view and returns None (so nothing is displayed twice). When the
environment variable ``NBGRADER_EXECUTION`` is set (nbgrader autograding) it returns None at once
and builds nothing. To keep a handle (e.g. in tests) construct the class instead:
``view = ForwardStepper(model, x)``.

Without a live kernel (nbviewer, GitHub, an HTML export) the views fall back to a static HTML copy
of what they show: every view's ``_repr_mimebundle_`` adds ``text/html``, and the pictures are
inline SVG inside ``ipywidgets.HTML`` values, so saved widget state renders without Python.

CSS hooks (stable class names for browser tests)
------------------------------------------------
Whole views: ``nnlib-stepper`` (every stepping view), ``nnlib-forward-stepper``,
``nnlib-backward-stepper``, ``nnlib-tangent-explorer``, ``nnlib-influence-explorer``;
``nnlib-static`` wraps the static HTML fallback.

Stepping views (Forward/BackwardStepper and any :class:`StepperView`):

* ``nnlib-diagram``: HTML widget holding the SVG (``svg.nnlib-network``; nodes
  ``circle.nnlib-node[data-node="n1_0"]`` (layer 1, first neuron; the loss node is
  ``data-node="loss"``), edges ``line.nnlib-edge[data-edge="n0_0->n1_0"]``; highlighted items
  also have ``nnlib-hl``, the node being computed ``nnlib-focus``; values under nodes
  ``text.nnlib-node-value``, on edges ``text.nnlib-edge-label``)
* ``nnlib-step-title``, ``nnlib-step-formula`` (contains ``span.nnlib-step-counter``
  "step p of n" and the symbolic formula), ``nnlib-step-value`` (numbers substituted, result in
  ``b.nnlib-step-result``), ``nnlib-step-description``, ``nnlib-step-terms`` (backward sums:
  ``table.nnlib-terms`` with one ``tr.nnlib-term`` per term: local derivative, upstream,
  product, running total)
* buttons ``nnlib-prev``, ``nnlib-next``, ``nnlib-reset``; ``nnlib-play`` (ipywidgets.Play);
  ``nnlib-step-slider`` (IntSlider, linked to Play); ``nnlib-stepper-controls`` (their row)
* BackwardStepper only: button ``nnlib-check-numerically`` and ``nnlib-check-result`` (contains
  ``span.nnlib-check-ok`` or ``span.nnlib-check-bad``, and ``div.nnlib-check-note`` explaining a
  ReLU kink when that is why they disagree)

TangentExplorer: ``nnlib-x-slider``, ``nnlib-dx-slider``, ``nnlib-tangent-plot`` (HTML widget
with the matplotlib figure as inline SVG), ``nnlib-tangent-numbers`` (``table.nnlib-tangent-table``).

InfluenceExplorer: ``nnlib-influence-source`` (Dropdown), ``nnlib-path-prev``,
``nnlib-path-next``, ``nnlib-diagram`` (``svg.nnlib-influence``; nodes ``rect.nnlib-node`` with
``data-node`` = the diagram's node name), ``nnlib-influence-paths`` (``table.nnlib-paths-table``,
one ``tr.nnlib-path`` per path, the highlighted one also ``nnlib-selected``),
``nnlib-influence-total`` (the sum in ``b.nnlib-influence-sum``).

JacobianExplorer (``nnlib-jacobian-explorer``): ``nnlib-jacobian-layer`` (Dropdown),
``nnlib-jacobian-inputs`` (row of ``nnlib-jacobian-input`` FloatSliders, one per entry of x),
``nnlib-jacobian-heatmap`` (HTML: ``div.nnlib-heatmap-caption``, ``table.nnlib-heatmap`` of
``td.nnlib-heat-cell[data-row][data-col]``,
then ``nnlib-jacobian-check`` with ``span.nnlib-check-ok``/``nnlib-check-bad``),
``nnlib-jacobian-upstream`` (Dropdown), ``nnlib-vjp`` (HTML: ``table.nnlib-vjp-upstream`` ·
J = ``table.nnlib-vjp-result``, cells ``td.nnlib-cell[data-index]``).

GradientBridge (``nnlib-gradient-bridge``, a StepperView: all stepping hooks above): in
``nnlib-diagram``, ``table.nnlib-bridge-y``, ``table.nnlib-bridge-dz``, ``table.nnlib-bridge-gradw``
(``td.nnlib-bridge-cell[data-row][data-col]``, computed ones ``nnlib-filled``, the current one
``nnlib-focus``); on the last step ``nnlib-bridge-dw`` (a ``table.nnlib-heatmap``) and
``nnlib-bridge-nnlib`` (agreement with nnlib's grads["W"]).

SoftmaxExplorer (``nnlib-softmax-explorer``): ``nnlib-z-slider`` (one FloatSlider per logit z_i),
``nnlib-softmax-bars`` (HTML: ``svg.nnlib-softmax-svg`` with ``rect.nnlib-bar[data-index]``, the
largest also ``nnlib-bar-max``, values in ``text.nnlib-bar-value``), ``nnlib-jacobian-heatmap``
(HTML: ``table.nnlib-heatmap`` of ``td.nnlib-heat-cell[data-row][data-col]``, cell (j, i) =
∂y_j/∂z_i, then ``div.nnlib-softmax-check`` with ``span.nnlib-check-ok``/``nnlib-check-bad``).

SubgradientExplorer (``nnlib-subgradient-explorer``): ``nnlib-subgradient-function`` (Dropdown),
``nnlib-slope-slider`` (FloatSlider on v), ``nnlib-subgradient-plot`` (HTML:
``svg.nnlib-subgradient-svg`` with ``polyline.nnlib-graph``, ``line.nnlib-candidate`` plus
``nnlib-valid`` or ``nnlib-invalid``, the valid fan ``polygon.nnlib-fan`` / ``line.nnlib-fan-edge``,
``circle.nnlib-kink``), ``nnlib-subgradient-verdict`` (``span.nnlib-check-ok`` or ``nnlib-check-bad``).

LiveTraining (``nnlib-live-training``): buttons ``nnlib-train-start`` and ``nnlib-train-stop``,
``nnlib-train-progress`` (IntProgress, value = epochs done), ``nnlib-train-status`` (text, state in
``span.nnlib-train-state``), ``nnlib-train-plot`` (HTML: ``svg.nnlib-learning-curves`` with one
``polyline.nnlib-curve[data-name]`` per metric), ``nnlib-train-title``.

DigitCanvas (``nnlib-digit-canvas-view``): ``nnlib-digit-canvas`` (the drawing area: the ipycanvas
``nnlib-digit-surface`` and the ``nnlib-digit-fallback`` message, hidden once the browser's canvas
is ready), ``nnlib-digit-clear`` (button), ``nnlib-digit-preview`` (HTML: ``table.nnlib-image8``,
the 8×8 input), ``nnlib-digit-probabilities`` (HTML: one ``div.nnlib-digit-prob[data-class=k]``
per class with ``data-probability``, the largest also ``nnlib-digit-best``), ``nnlib-digit-verdict``
(``span.nnlib-digit-prediction[data-class]``).

Adding a view for a later notebook
----------------------------------
Put the state in a pure module (steps as :class:`nnlib.lessons.trace.Step` or any object with ``symbol``,
``formula``, ``substituted``, ``result``, ``description``), then subclass :class:`StepperView`
(or :class:`ShowMixin` + ``ipywidgets.VBox``)::

    class JacobianExplorer(StepperView):
        def __init__(self, activation, z):
            steps = jacobian_steps(activation, z)                 # pure, tested without widgets
            super().__init__(steps, lambda p: jacobian_svg(steps, p),
                             css_class="nnlib-jacobian-explorer", title="Jacobian, entry by entry")

and register it in ``_VIEWS`` below.
"""

from __future__ import annotations

import importlib

# view name -> submodule defining it; loaded on first access (PEP 562)
_VIEWS = {
    "ShowMixin": "base",
    "StepperView": "base",
    "TangentExplorer": "tangent",
    "InfluenceExplorer": "influence",
    "ForwardStepper": "steppers",
    "BackwardStepper": "steppers",
    "JacobianExplorer": "jacobian",
    "GradientBridge": "jacobian",
    "SoftmaxExplorer": "softmax",
    "SubgradientExplorer": "softmax",
    "LiveTraining": "digits",
    "DigitCanvas": "digits",
}

__all__ = list(_VIEWS)


def __getattr__(name):
    if name in _VIEWS:
        module = importlib.import_module(f".{_VIEWS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'nnlib.widgets' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_VIEWS))
