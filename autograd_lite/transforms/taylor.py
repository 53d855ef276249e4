"""`taylor`: Taylor coefficients of any order in one forward sweep (Taylor mode).

`taylor(f, x, order)` records f once at x, then sweeps truncated Taylor series through
the recorded graph (core/taylor.py): each op turns its inputs' coefficients into its
output's with the recurrences of Griewank and Walther, "Evaluating Derivatives", ch. 13,
in O(order^2) operations, where `order` nested reverse passes would grow exponentially.
`derivative(f, order=n)` uses it whenever it applies.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

from ..core import ops
from ..core import series as S
from ..core.graph import Node
from ..core.taylor import SeriesFallbackWarning, series_sweep
from ..core.tensor import Tensor
from .functional import _Call, _check_callable

__all__ = ["SeriesFallbackWarning", "taylor"]


def check_order(order, name: str) -> int:
    """`order` as an int >= 0: TypeError if it is not an int (a bool neither), ValueError if
    it is negative, both naming `name` and the value."""
    if not isinstance(order, numbers.Integral) or isinstance(order, bool):
        raise TypeError(f"{name}: order must be an int, got {type(order).__name__} {order!r}")
    if order < 0:
        raise ValueError(f"{name}: order must be >= 0, got {order}")
    return int(order)


def taylor(f: Callable, x, order: int, v=None):
    """The Taylor coefficients f^(k)(x) / k! for k = 0, ..., order (as `jax.experimental.jet`,
    but with the coefficients divided by k!, the Taylor polynomial's own).

    f: a function written with autograd_lite operations, of one argument.
    x: a number (then f is differentiated along x itself), or an array, list or 0-d or
        one-element array-like (then `v` gives the direction; a one-element x needs none).
    order: an int >= 0, the highest k.
    v: the direction, shaped like x (default 1 for a number or one-element x): the
        coefficients are those of t -> f(x + t v) at t = 0, i.e. the k-th directional
        derivative (v . grad)^k f(x) / k!.
    Returns a float64 ndarray of shape (order + 1, *out.shape) for the output of f (a
    tuple of them if f returns a tuple): shape (order + 1,) for a scalar function.
    Coefficient 0 is f(x). Results are data only (never nodes with history).

    Cost: one recorded forward pass, then one series sweep of O(order^2) per op. Kinks
    follow reverse mode's conventions (relu'(0) = 0, |x|'(0) = 0, a tie of maximum shares
    evenly, clip passes at its bounds), decided from the data at x; piecewise-constant ops
    have zero higher coefficients. An op without a series rule is differentiated by
    nested reverse mode instead, with a `SeriesFallbackWarning` naming it (exact, but
    exponential in `order`).

    Raises TypeError if f is not callable, order is not an int, x is not numeric, or v is
    missing for an x of several elements; ValueError for a negative order or a v whose
    shape differs from x's; TypeError if x is a node that requires grad in a graph an
    enclosing transform differentiates (the coefficients would carry no derivative: use
    `derivative`, which nests).
    """
    _check_callable(f, "taylor")
    order = check_order(order, "taylor")
    call = _Call(f, (x,), {}, ((0,), True), "taylor")
    (xn,) = call.xs
    if call.nested(call.outs):
        raise TypeError(
            "taylor: f's output depends on a node that requires grad outside this call (x "
            "given as a Value or Tensor that requires grad, a leaf f closes over, or a "
            "transform around taylor); taylor's coefficients are data and would drop that "
            "derivative silently: pass x.data, or use derivative(f, order) there"
        )
    seed = S.constant(xn.data, order + 1)
    if order or v is not None:  # a direction given is checked even where order 0 needs none
        direction = _direction(v, xn)
        if order:
            seed[1] = direction
    outs = series_sweep(call.outs, {xn: seed}, order)
    return tuple(outs) if call.multi else outs[0]


def _direction(v, xn):
    """The direction as a float64 array shaped like the variable `xn` (a Value: shape ())."""
    shape = () if not isinstance(xn, Tensor) else xn.shape
    if v is None:
        if int(np.prod(shape)) != 1:
            raise TypeError(
                f"taylor: v (the direction) is needed for an x of shape {shape}; give an "
                "array of that shape"
            )
        return np.ones(shape)
    d = ops.real_array(v.data if isinstance(v, Node) else v, "taylor: v")
    if d.shape != shape:
        raise ValueError(f"taylor: v has shape {d.shape}, but x has shape {shape}; they must match")
    return d.astype(np.float64)
