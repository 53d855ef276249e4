"""numpy's reductions and scans beyond `sum`, `mean`, `max` and `min` (which are in `ops`).

Each op is declared with `primitive`, the public way to add an op (docs/custom_ops.md):
a forward on raw arrays and one vjp rule per input, written with autograd_lite's own
functions so that it runs on raw arrays in a plain backward pass and records on nodes
under `create_graph=True` (derivatives of any order). The public function takes numpy's
signature and hands the op its parameters as keywords. Functions that are exact
compositions of other ops (`var`, `std`) need no rule of their own; those whose result is
an index or a truth value (`argmax`, `all`) have no derivative and record nothing.

Products never divide by the elements: the product of all elements but x_j is a
cumulative product from the left times one from the right, so gradients are exact at
zeros (one or several), to every order.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import ops
from .graph import Node
from .ops import Axis, Operand
from .primitive import primitive
from .shapes import flip

__all__ = ["all", "any", "argmax", "argmin", "cumprod", "cumsum", "prod", "std", "var"]


# ---------------------------------------------------------------------------------------
# Helpers: operands, axes, and shifting along an axis (never differentiated themselves).


def _operand(a, tensor=False):
    """`a` as an operand (`ops.array_operand`): a Value stays a Value unless `tensor`."""
    return ops.array_operand(a, "input", values=not tensor)


def _one_axis(name, axis, ndim):
    """A single axis as a non-negative int; ValueError naming the op and the axis."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name}: axis must be an int or None, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for an array of dimension {ndim}")
    return int(axis) % ndim


def _axes(name, axis, ndim):
    """Reduction axes as a sorted tuple (None: all); errors name the op and the axis."""
    try:
        return ops._normalize_axes(axis, ndim)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{name}: {e}") from None


def _along(axis, index):
    """An index taking `index` (an int or a slice) along `axis`, everything elsewhere."""
    return (slice(None),) * axis + (index,)


def _shift(x, axis, fill):
    """x moved one step forward along `axis`: `fill` first, the last element dropped."""
    shape = ops._shape(x)
    if shape[axis] == 0:
        return x
    head = np.full(shape[:axis] + (1,) + shape[axis + 1 :], fill, ops._raw(x).dtype)
    return ops.concatenate([head, x[_along(axis, slice(None, -1))]], axis)


# ---------------------------------------------------------------------------------------
# The first-order linear recurrence: the scan that cumprod's gradient needs.


@primitive
def _linear_scan(a, b, axis):
    # h[i] = a[i] h[i-1] + b[i] along `axis`, h[-1] = 0 (so a[0] is unused); no division.
    shape, dtype = np.broadcast_shapes(np.shape(a), np.shape(b)), np.result_type(a, b)
    a = np.moveaxis(np.broadcast_to(a, shape), axis, -1)
    b = np.moveaxis(np.broadcast_to(b, shape), axis, -1)
    h = _doubling_scan(a, b, dtype)
    if not np.isfinite(h).all():  # an inf or nan met: the recurrence's own order decides
        h = _sequential_scan(a, b, dtype)
    return np.moveaxis(h, -1, axis)


def _doubling_scan(a, b, dtype):
    """The scan along the last axis in log2(n) vectorized steps (Hillis and Steele): after
    the step of width d, (a[i], b[i]) maps h[i - 2d] to h[i]. The same sums of products as
    the recurrence in another order: equal up to rounding while every product is finite
    (a window of a's product may overflow where the recurrence's does not)."""
    a, b = a.astype(dtype), b.astype(dtype)  # copies: written below
    n = a.shape[-1]
    if n:
        a[..., 0] = 0.0
    d = 1
    while d < n:
        b[..., d:] = b[..., d:] + a[..., d:] * b[..., :-d]  # the right side reads old values
        a[..., d:] = a[..., d:] * a[..., :-d]
        d *= 2
    return b


def _sequential_scan(a, b, dtype):
    """The scan along the last axis one step at a time, as the recurrence reads."""
    h = np.empty(b.shape, dtype)
    for i in range(b.shape[-1]):
        h[..., i] = a[..., i] * h[..., i - 1] + b[..., i] if i else b[..., 0]
    return h


def _reverse_linear_scan(a, b, axis):
    """s[i] = b[i] + a[i+1] s[i+1] along `axis`, s[n] = 0: the scan run from the end."""
    coefficients = _shift(flip(a, axis), axis, 0.0)  # a[i+1], read from the end
    return flip(_linear_scan(coefficients, flip(b, axis), axis=axis), axis)


def _linear_scan_vjp(for_a):
    # The cotangent lam of every h[i]: lam[i] = g[i] + a[i+1] lam[i+1] (h[i] feeds h[i+1]
    # through a[i+1]). Then b's cotangent is lam, and a's is lam[i] h[i-1] (0 for a[0]).
    def rule(g, out, a, b, axis):
        lam = _reverse_linear_scan(a, g, axis)
        return lam * _shift(out, axis, 0.0) if for_a else lam

    return rule


_linear_scan.defvjp(_linear_scan_vjp(for_a=True), _linear_scan_vjp(for_a=False))


def _tangent_scan(a, b, axis, x):
    """`_linear_scan(a, b)` along `axis` of x for a b with (or without) leading batch axes:
    a is broadcast to b's shape and the axis shifted past the batch axes, so that the scan,
    and its vjp when nested, see operands of one rank."""
    shape = ops._shape(b)
    if len(shape) > len(ops._shape(x)):
        a = ops.broadcast_to(a, shape)
    return _linear_scan(a, b, axis=axis % len(ops._shape(x)) + len(shape) - len(ops._shape(x)))


# The tangent of h follows the same recurrence: dh[i] = a[i] dh[i-1] + (da[i] h[i-1] + db[i]).
_linear_scan.defjvp(
    lambda t, out, a, b, axis: _tangent_scan(a, t * _shift(out, axis, 0.0), axis, out),
    lambda t, out, a, b, axis: _tangent_scan(a, t, axis, out),
)


# ---------------------------------------------------------------------------------------
# Cumulative sums and products.


@primitive
def _cumsum(x, axis):
    return np.cumsum(x, axis=axis)


@_cumsum.defvjp
def _cumsum_vjp(g, out, x, axis):
    # out[i] = sum_{j <= i} x[j], so x̄[j] = sum_{i >= j} ḡ[i]: a cumulative sum run from the end
    return flip(_cumsum(flip(g, axis), axis=axis), axis)


@_cumsum.defjvp
def _cumsum_jvp(t, out, x, axis):  # linear: the cumulative sum of the tangent
    n = len(ops._shape(x))
    return _cumsum(t, axis=axis % n + len(ops._shape(t)) - n)


def cumsum(a: Operand, axis: int | None = None) -> Operand:
    """Cumulative sum along `axis`, as `numpy.cumsum`: same shape as `a`, or flattened
    (shape (a.size,)) when `axis` is None. The vjp is the cumulative sum of the cotangent
    taken from the end of the axis. Raises numpy's AxisError (a ValueError) for an axis
    out of range, naming it.
    """
    a = _operand(a, tensor=True)
    if axis is None:
        a, axis = ops.reshape(a, (-1,)), 0
    return _cumsum(a, axis=axis)


@primitive
def _cumprod(x, axis):
    return np.cumprod(x, axis=axis)


@_cumprod.defvjp
def _cumprod_vjp(g, out, x, axis):
    # out[i] = prod_{k <= i} x[k], so x̄[j] = sum_{i >= j} g[i] prod_{k <= i, k != j} x[k]
    #        = (prod_{k < j} x[k]) s[j], with s[j] = g[j] + x[j+1] s[j+1]:
    # the exclusive product from the left times a reverse linear scan; no division by x.
    return _shift(out, axis, 1.0) * _reverse_linear_scan(x, g, axis)


# out[i] = x[i] out[i-1], so d out[i] = x[i] d out[i-1] + t[i] out[i-1]: the linear scan again,
# with no division by x.
_cumprod.defjvp(lambda t, out, x, axis: _tangent_scan(x, t * _shift(out, axis, 1.0), axis, x))


def cumprod(a: Operand, axis: int | None = None) -> Operand:
    """Cumulative product along `axis`, as `numpy.cumprod`: same shape and dtype as `a`,
    or flattened (shape (a.size,)) when `axis` is None (a Value becomes shape (1,)).

    The vjp is x̄[j] = (x[0] ... x[j-1]) s[j] with s[j] = ḡ[j] + x[j+1] s[j+1], computed
    without dividing by x, so it is exact where elements are 0 (PyTorch's cumprod_backward
    gives the same values; it divides where no element is 0). Every higher derivative
    too: the recurrence's own vjp is the same recurrence run backwards.

    Raises ValueError naming the axis when it is out of range, TypeError for a non-int axis.
    """
    a = _operand(a, tensor=True)
    if axis is None:
        a, axis = ops.reshape(a, (-1,)), 0
    return _cumprod(a, axis=_one_axis("cumprod", axis, len(ops._shape(a))))


def _exclusive_cumprod(x, axis):
    """prod_{k < j} x[k] at every j along `axis` (1 at the first element)."""
    return _shift(_cumprod(x, axis=axis), axis, 1.0)


@primitive
def _prod(x, axis):
    return np.prod(x, axis=axis, keepdims=True)


@_prod.defvjp
def _prod_vjp(g, out, x, axis):
    # d prod / d x[j] = the product of the others = (prod_{k < j} x[k]) (prod_{k > j} x[k]):
    # exact with any number of zeros, never out / x[j].
    left = _exclusive_cumprod(x, axis)
    right = flip(_exclusive_cumprod(flip(x, axis), axis), axis)
    return g * (left * right)


# The sum over the axis of t times the product of the others (the vjp's, never out / x).
_prod.defjvp(
    lambda t, out, x, axis: ops.sum(
        t * _prod_vjp(1.0, out, x, axis), axis - len(ops._shape(x)), keepdims=True
    )
)


def prod(a: Operand, axis: Axis = None, keepdims: bool = False) -> Operand:
    """Product of the elements over `axis` (an int, a tuple of ints, or None for all), as
    `numpy.prod`; `keepdims` keeps the reduced axes with length 1. An empty reduction
    gives 1. A Value is its own product.

    The vjp of x[j] is the cotangent times the product of the other elements, computed as
    exclusive cumulative products from both ends (PyTorch's prod_safe_zeros_backward), never
    by dividing the product by x[j]: exact where one or several elements are 0, and so
    are the higher derivatives (d2/dx_i dx_j is the product of the elements but those two).

    Raises ValueError naming the axis when it is out of range or repeated, TypeError for
    an axis that is not an int, a tuple of ints or None.
    """
    a = _operand(a)
    shape = ops._shape(a)
    axes = _axes("prod", axis, len(shape))
    if isinstance(a, Node) and not ops._is_array(a):
        return a
    kept = [i for i in range(len(shape)) if i not in axes]
    if len(axes) == 1:
        out = _prod(a, axis=axes[0])
    else:  # the reduced axes moved last and merged into one
        merged = ops.apply(ops.TRANSPOSE, (a,), (tuple(kept) + axes,))
        size = math.prod(shape[i] for i in axes)
        merged = ops.reshape(merged, tuple(shape[i] for i in kept) + (size,))
        out = _prod(merged, axis=len(kept))
    if keepdims:
        return ops.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return ops.reshape(out, tuple(shape[i] for i in kept))


# ---------------------------------------------------------------------------------------
# Variance and standard deviation: compositions, so every order comes from their parts.


def _deviations(name, a, axis, ddof):
    """(a - its mean over `axis`, N, the divisor max(N - ddof, 0)), N the reduced count."""
    if isinstance(ddof, bool) or not isinstance(ddof, numbers.Real):
        raise TypeError(f"{name}: ddof must be a real number, got {ddof!r}")
    a = _operand(a)
    shape = ops._shape(a)
    count = math.prod(shape[i] for i in _axes(name, axis, len(shape)))
    return a - ops.mean(a, axis, keepdims=True), count, float(max(count - ddof, 0))


def var(a: Operand, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Operand:
    """Variance over `axis` (an int, a tuple of ints, or None for all), as `numpy.var`:
    sum((a - mean)**2) / (N - ddof), N the number of elements reduced; ddof = 0 (numpy's
    default) is the population variance, ddof = 1 the unbiased estimate (PyTorch's default).
    Where N - ddof <= 0 the divisor is 0, as numpy's: inf, or nan for a zero sum.

    Written with mean, subtraction and sum, so its derivatives of every order are theirs:
    d var / d a = 2 (a - mean) / (N - ddof). Raises ValueError naming an axis out of
    range, TypeError for a ddof that is not a real number.
    """
    deviations, _, divisor = _deviations("var", a, axis, ddof)
    return ops.sum(deviations * deviations, axis, keepdims) / divisor


def std(a: Operand, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Operand:
    """Standard deviation over `axis`, as `numpy.std`: sqrt(var(a, axis, ddof)), computed
    as the 2-norm of a - mean divided by sqrt(N - ddof) (inf or nan where N - ddof <= 0).

    Derivative (a - mean) / ((N - ddof) std). Where the variance is 0 (all elements
    equal) it is taken as 0, as PyTorch's and as `norm`'s at 0 (README); there the second
    derivative, which is unbounded, is nan (PyTorch's double backward gives 0); for one
    element per slice, where std is 0 whatever the element, every derivative is 0. Raises
    as `var`.
    """
    deviations, count, divisor = _deviations("std", a, axis, ddof)
    # One element per slice: a - mean is 0 whatever a is, so std is constant, and |a - mean|
    # (the same value) gives the derivatives 0 of every order, where the norm's would be nan.
    return ops.norm(deviations, 1 if count == 1 else 2, axis, keepdims) / math.sqrt(divisor)


# ---------------------------------------------------------------------------------------
# Indices and truth values: data, never recorded, no derivative.


def _data(a):
    """The array behind an operand: a node's data (read as a constant), else an array."""
    if isinstance(a, (list, tuple)) and ops._contains_node(a):
        a = ops._stacked(a)
    return a._data if isinstance(a, Node) else np.asarray(a)


def argmax(a: Operand, axis: int | None = None, keepdims: bool = False):
    """Index of the largest element along `axis` (None: of the flattened array), as
    `numpy.argmax`: the first one among ties, and the first NaN if there is one. An int
    (numpy's intp) for axis None, else an integer array. Not recorded and not
    differentiable: an index. Raises numpy's AxisError (a ValueError) naming the axis.
    """
    return np.argmax(_data(a), axis=axis, keepdims=keepdims)


def argmin(a: Operand, axis: int | None = None, keepdims: bool = False):
    """Index of the smallest element along `axis`, as `numpy.argmin`; see `argmax`."""
    return np.argmin(_data(a), axis=axis, keepdims=keepdims)


def all(a: Operand, axis: Axis = None, keepdims: bool = False):
    """Whether every element along `axis` is nonzero (NaN counts as true), as `numpy.all`:
    a numpy bool, or a bool array. Not recorded. Raises numpy's AxisError naming the axis.
    """
    return np.all(_data(a), axis=axis, keepdims=keepdims)


def any(a: Operand, axis: Axis = None, keepdims: bool = False):
    """Whether any element along `axis` is nonzero (NaN counts as true), as `numpy.any`:
    a numpy bool, or a bool array. Not recorded. Raises numpy's AxisError naming the axis.
    """
    return np.any(_data(a), axis=axis, keepdims=keepdims)


#: numpy's functions this module implements, for `Tensor.__array_function__`.
NUMPY_FUNCTIONS = {
    np.cumsum: cumsum,
    np.cumprod: cumprod,
    np.prod: prod,
    np.var: var,
    np.std: std,
    np.argmax: argmax,
    np.argmin: argmin,
    np.all: all,
    np.any: any,
}
