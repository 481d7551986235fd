"""The pure state behind each notebook's widgets: what step we are on, what it computes, its text.

One module per lesson, no ipywidgets, no HTML or SVG (that is :mod:`nnlib.pictures`), so all of it
is tested without a browser. Everything here is built on nnlib's core (layers, activations,
losses, gradcheck, notation).

- ``network``       the model as lecture layers, evaluated on one example (shared by the others);
- ``tangent``       01: Δy ≈ f'(x)·Δx at a point;
- ``influence``     01, 03: influence diagrams, the chain rule as a sum over paths;
- ``trace``         02, 03: the forward and backward pass one number at a time, the Stepper;
- ``jacobians``     04: each layer's Jacobian, the vector backward pass, the per-weight → matrix bridge;
- ``subgradients``  05: the softmax Jacobian, subgradients at kinks, valid backward passes there;
- ``digits``        06: drawings downsampled to 8×8, class probabilities, a live training run.
"""
