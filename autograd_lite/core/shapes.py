"""numpy's shape functions beyond `reshape`, `transpose`, `broadcast_to`, `concatenate`
and `stack` (which are in `ops`): they move, copy or select elements, so each vjp moves
the cotangent back the other way.

Each op is declared with `primitive`, the public way to add an op (docs/custom_ops.md);
see `reductions` for the pattern.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .ops import Operand
from .primitive import primitive

__all__ = ["diff", "flip"]


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


def diff(
    a: Operand, n: int = 1, axis: int = -1, prepend: Operand = None, append: Operand = None
) -> Operand:
    """The n-th forward difference along `axis`, as `numpy.diff`: out[i] = a[i+1] - a[i],
    applied n times, so the axis shrinks by n (to 0 at most). `prepend` and `append`
    (scalars are broadcast to one slice) are joined to `a` along the axis first.

    Composed of slicing and subtraction, so its derivatives are theirs. Raises ValueError
    for a negative n or a 0-d input, numpy's AxisError for an axis out of range.
    """
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n!r}")
    shape = ops._shape(a)
    if not shape:
        raise ValueError("diff requires an input of at least one axis, got a 0-d one")
    try:
        axis = ops._normalize_axes(axis, len(shape))[0]
    except ValueError as e:
        raise ValueError(f"diff: {e}") from None
    parts = []
    for extra in (prepend, a, append):
        if extra is None:
            continue
        if extra is not a and not ops._shape(extra):
            extra = ops.broadcast_to(extra, shape[:axis] + (1,) + shape[axis + 1 :])
        parts.append(extra)
    if len(parts) > 1:
        a = ops.concatenate(parts, axis=axis)
    before = (slice(None),) * axis
    for _ in range(min(n, ops._shape(a)[axis])):
        a = a[(*before, slice(1, None))] - a[(*before, slice(None, -1))]
    return a


#: numpy's functions this module implements, for `Tensor.__array_function__`.
NUMPY_FUNCTIONS = {np.diff: diff, np.flip: flip}
