"""numpy's reductions and scans beyond `sum`, `mean`, `max` and `min` (which are in `ops`).

Each op is declared with `primitive`, the public way to add an op (docs/custom_ops.md):
a forward on raw arrays and one vjp rule per input, written with autograd_lite's own
functions so that it runs on raw arrays in a plain backward pass and records on nodes
under `create_graph=True` (derivatives of any order). The public function takes numpy's
signature and hands the op its parameters as keywords.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .ops import Operand
from .primitive import primitive
from .shapes import flip

__all__ = ["cumsum"]


@primitive
def _cumsum(x, axis):
    return np.cumsum(x, axis=axis)


@_cumsum.defvjp
def _cumsum_vjp(g, out, x, axis):
    # out[i] = sum_{j <= i} x[j], so x̄[j] = sum_{i >= j} ḡ[i]: a cumulative sum run from the end
    return flip(_cumsum(flip(g, axis), axis=axis), axis)


def cumsum(a: Operand, axis: int | None = None) -> Operand:
    """Cumulative sum along `axis`, as `numpy.cumsum`: same shape as `a`, or flattened
    (shape (a.size,)) when `axis` is None. The vjp is the cumulative sum of the cotangent
    taken from the end of the axis. Raises numpy's AxisError (a ValueError) for an axis
    out of range, naming it.
    """
    if axis is None:
        a, axis = ops.reshape(a, (-1,)), 0
    return _cumsum(a, axis=axis)


#: numpy's functions this module implements, for `Tensor.__array_function__`.
NUMPY_FUNCTIONS = {np.cumsum: cumsum}
