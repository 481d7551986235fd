"""numpy's callables as they were when ``nnlib.checks`` was first imported.

A notebook that later rebinds ``np.isclose`` & co. (on purpose or by accident) must not change
what the checks compute, so the checks call these names, never ``np.<name>`` at call time.
"""

import numpy as np

np_array = np.array
np_asarray = np.asarray
np_isclose = np.isclose
np_isfinite = np.isfinite
np_isnan = np.isnan
np_abs = np.abs
np_argmax = np.argmax
np_unravel_index = np.unravel_index
np_errstate = np.errstate
np_array2string = np.array2string
np_trunc = np.trunc
np_floor = np.floor
np_outer = np.outer
np_ndarray = np.ndarray
np_generic = np.generic
np_bool = np.bool_
np_float64 = np.float64
np_nonzero = np.nonzero
np_any = np.any
np_all = np.all
np_vdot = np.vdot
np_broadcast_to = np.broadcast_to
np_array_equal = np.array_equal
