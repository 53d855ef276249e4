"""numpy's shape functions beyond `reshape`, `transpose`, `broadcast_to`, `concatenate`
and `stack` (which are in `ops`): they move, copy or select elements, so each vjp moves
the cotangent back the other way.

Each op is declared with `primitive`, the public way to add an op (docs/custom_ops.md);
see `reductions` for the pattern.
"""

from __future__ import annotations

import numpy as np

from .ops import Operand
from .primitive import primitive

__all__ = ["flip"]


@primitive
def _flip(x, axis):
    return np.flip(x, axis)


@_flip.defvjp
def _flip_vjp(g, out, x, axis):
    return _flip(g, axis=axis)  # a permutation of the elements: its own inverse


def flip(m: Operand, axis: int | tuple[int, ...] | None = None) -> Operand:
    """The elements of `m` in reverse order along `axis` (None: every axis), as
    `numpy.flip`; same shape. Raises numpy's AxisError (a ValueError) for an axis out of
    range.
    """
    return _flip(m, axis=axis)


#: numpy's functions this module implements, for `Tensor.__array_function__`.
NUMPY_FUNCTIONS = {np.flip: flip}
