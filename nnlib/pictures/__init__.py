"""Pictures: lesson state (:mod:`nnlib.lessons`) turned into SVG and HTML strings or matplotlib figures.

Pure functions, no widget import; matplotlib is imported inside the functions that need it, so
importing a picture module stays cheap. The views in :mod:`nnlib.widgets` show what these return.

- ``svg``           the palette and SVG pieces every drawing shares;
- ``tables``        HTML heatmaps and vectors;
- ``steps``         one trace step as HTML (formula, numbers, terms);
- ``network``       a layered network and a trace's current step (02, 03);
- ``influence``     an influence diagram with a highlighted path (01, 03);
- ``plots``         matplotlib helpers: functions, tangents, error vs step (01);
- ``jacobians``     Jacobian heatmap, vector-Jacobian product, gradient bridge (04);
- ``subgradients``  softmax bars and heatmap, the subgradient fan (05);
- ``digits``        learning curves, confusion matrix, digit grids, canvas preview (06).
"""
