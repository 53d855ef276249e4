"""Every operation once: its forward and its derivative rule, side by side.

Each `Op` carries a forward on Python floats (`scalar`, used by `Value`), a
forward on numpy arrays (`array`, used by `Tensor`), and one vjp rule per
differentiable input. A rule is `rule(g, out, *inputs, *params)` and returns
the cotangent for its input. Rules use only operators and the functions of
this module, which accept raw floats and arrays as well as `Value`s and
`Tensor`s; so the same rule runs fast on raw data and, with
`create_graph=True`, records a graph that can be differentiated again.

Reducing a cotangent to its input's shape after broadcasting is not done in the
rules: the backward pass does it once for every rule (`Tensor._sum_to_shape`).

Conventions at points where a derivative is undefined follow PyTorch:
relu'(0) = 0, |x|'(0) = 0, sqrt'(0) = inf, d/dx x**0 = 0 (also at x = 0),
d/db a**b = 0 at a = 0, and ties in max/min/maximum/minimum share the cotangent
evenly.
"""

from __future__ import annotations

import builtins
import math
import numbers
import operator
from collections.abc import Sequence

import numpy as np

from . import series as S
from .graph import ELEMENTWISE, Node, Op

#: The dtypes a Tensor holds (and its gradient): every other real dtype becomes float64.
#: (float64 first: `dtype in FLOATS` compares by identity first, and float64 is the common one.)
FLOATS = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16))

#: What the op functions take and give: a node, or raw data (a number, an ndarray).
Operand = Node | float | np.ndarray
#: A reduction's axes: one axis, several, or None for all.
Axis = int | tuple[int, ...] | None

# ---------------------------------------------------------------------------------------
# Helpers for rules: raw data, masks and shapes (never differentiated).
#
# Kernels (`_..._raw`, `_filled`, `_scatter_by_index`): the arithmetic of a few hot forwards
# and rules on raw arrays, split from their checks and dispatch, with first the parameters
# that shapes fix. The eager function calls its kernel; `al.compile`'s replay calls the
# kernel directly once the recording has settled the kinds and shapes (`jit._KERNELS`).
# One body for both, so a replay computes the eager floats. Kernels reduce with the ufuncs'
# `reduce` (`_sum`, `_max`, `_all`): what ndarray.sum, .max and .all call, less numpy's
# Python wrapper around them.

_sum, _max, _all = np.add.reduce, np.maximum.reduce, np.logical_and.reduce
_multiply, _subtract = np.multiply, np.subtract


def _raw(x):
    """The data of a node, or x itself when it is already raw."""
    return x._data if isinstance(x, Node) else x


def _is_array(x):
    """An ndarray, or a node holding one."""
    return isinstance(x._data if isinstance(x, Node) else x, np.ndarray)


def _relu_rule(g, out, x):
    """g where x > 0 or x is NaN (a NaN output keeps its gradient), else 0.

    Selected, never multiplied by a 0/1 mask: an infinite cotangent times 0 would be NaN
    where the answer is 0 (sqrt(relu(x)) at x = -1). On raw arrays of finite cotangents the
    mask is exact and about three times quicker than numpy's where, so those take it.
    """
    x = _raw(x)
    if isinstance(g, Node):
        return where(x <= 0, 0.0, g)
    if type(x) is float:
        return 0.0 if x <= 0 else g
    return _relu_rule_raw(g, _raw(out))


def _relu_rule_raw(g, out, into=None):
    """`_relu_rule` on raw arrays, from the output out = max(x, 0): it is 0 exactly where
    x <= 0 (-0.0 included), and x > 0 or NaN elsewhere (a kernel). `into`: None, or g
    itself when nothing else reads it (a compiled replay), to write the result there."""
    passes = out != 0
    # A finite sum means every element is finite (a NaN or an infinity in g makes the sum NaN
    # or infinite): then a 0/1 mask gives the same, quicker than np.where. (A sum of finite
    # elements past the float range takes np.where, the same values.) One pass, no array.
    if math.isfinite(_sum(g, axis=None)):
        return _multiply(g, passes, out=into)
    return np.where(passes, g, 0.0)


def _zero_like(g, x):
    """A constant zero cotangent for input x: 0.0 for a scalar x, else zeros of g's shape
    and dtype (the output's). Returned, never g * 0, which is NaN where g is infinite."""
    if not _is_array(x):
        return 0.0
    g_raw = _raw(g)
    return np.zeros(np.shape(g_raw), np.result_type(g_raw))


def _shape(x):
    """The shape of a node's or raw operand's data."""
    x = x._data if isinstance(x, Node) else x
    return x.shape if x.__class__ is np.ndarray else np.shape(x)


def _extremum_share(g, a, b):
    """a's cotangent in maximum(a, b): all of g where a > b, half at a tie, none where a < b.

    Where a or b is NaN the output is NaN and both sides get all of g (as PyTorch), so a
    NaN never comes with a zero gradient. Selected, not multiplied by a 0/1 weight: an
    infinite g stays out of the side that lost. minimum(a, b) is this with a and b swapped.
    """
    a, b = _raw(a), _raw(b)
    if type(a) is float and type(b) is float:
        return 0.0 if a < b else g * 0.5 if a == b else g
    return where(a < b, 0.0, where(a == b, g * 0.5, g))


def _sign(x):
    """Sign of x as data: -1, 0 or 1 (NaN stays NaN), the derivative of |x|.

    Multiplied, not selected: at the kink x = 0 an infinite cotangent (log|x|, sqrt|x|)
    gives NaN, because no derivative exists there, as in PyTorch.
    """
    x = _raw(x)
    if type(x) is float:
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x
    return np.sign(x)


#: `_normalize_axes` of (axis, ndim) for axis None or a plain int, once checked (a few
#: dozen entries at most: ndim and axis are small). A bool axis is not an int here.
_AXES_SEEN: dict = {}


def _normalize_axes(axis, ndim):
    """Reduction axes as a sorted tuple of non-negative ints; None means all."""
    if axis is None or axis.__class__ is int:
        axes = _AXES_SEEN.get((axis, ndim))
        if axes is None:
            axes = _AXES_SEEN[axis, ndim] = _checked_axes(axis, ndim)
        return axes
    return _checked_axes(axis, ndim)


def _checked_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else axis
    if not isinstance(axes, (tuple, list)) or any(
        isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes
    ):
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:  # a 0-d array has no axis, as numpy.var says (numpy.sum(x, 0) lets 0 pass)
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def _expand_reduced(g, shape, axis, keepdims):
    """Reshape the cotangent of a reduction so it broadcasts against the input's shape
    (its batch axes, those in front of the output's, kept: see `_batch_of`)."""
    if keepdims:
        return g
    axes = _normalize_axes(axis, len(shape))
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return g.reshape(_batch_of(g, len(shape) - len(axes)) + kept)


def _batch_of(g, ndim):
    """The batch axes of a cotangent g for an output of `ndim` axes: those in front.

    A batched sweep (vectorized Jacobians and Hessians) hands each rule g of shape
    (B, *out.shape); a rule keeps these leading axes in the cotangent it returns.
    """
    shape = _shape(g)
    return shape[: len(shape) - ndim]


def _from_end(axis, ndim):
    """The axes `axis` of an array of `ndim` axes counted from the end (negative), so they
    name the same axes of a cotangent with batch axes in front."""
    return tuple(a - ndim for a in _normalize_axes(axis, ndim))


def _batch_last(g, ndim):
    """g with its batch axes (those before its last `ndim`) moved to the end, and their
    number: so an index of the last `ndim` axes addresses the same axes of g."""
    nb = len(_shape(g)) - ndim
    if not nb:
        return g, 0
    return g.transpose(tuple(range(nb, nb + ndim)) + tuple(range(nb))), nb


def _batch_first(c, nb):
    """c with its last nb axes (batch axes) moved to the front: `_batch_last` undone."""
    n = len(_shape(c)) - nb
    return c.transpose(tuple(range(n, n + nb)) + tuple(range(n)))


def _index_batched(index, ndim):
    """An index of an array of `ndim` axes, its Ellipsis written out as slices, so that it
    addresses the same leading axes of an array with batch axes after them."""
    parts = index if isinstance(index, tuple) else (index,)
    if not builtins.any(p is Ellipsis for p in parts):
        return index
    used = builtins.sum(
        0 if p is None or p is Ellipsis else np.ndim(p) if _is_bool_index(p) else 1 for p in parts
    )
    at = next(k for k, p in enumerate(parts) if p is Ellipsis)
    return parts[:at] + (slice(None),) * (ndim - used) + parts[at + 1 :]


def _is_bool_index(p):
    return isinstance(p, (bool, np.bool_)) or (isinstance(p, np.ndarray) and p.dtype == np.bool_)


def _mT(x):
    """Swap the last two axes."""
    return x.swapaxes(-1, -2)


# ---------------------------------------------------------------------------------------
# Helpers for forward-mode (jvp) rules. A tangent t may carry leading batch axes beyond its
# input's shape (graph.Op, jvps): these rules count axes from the end, and treat every axis
# before the input's own as a batch axis.


def _batch_shape(t, x):
    """The leading batch axes of tangent t beyond input x's own shape (() unbatched)."""
    return _batch_of(t, len(_shape(x)))


def _tangent_axes(axis, x):
    """A reduction's axes of input x counted from the end, so that they name the same axes
    of a tangent with leading batch axes."""
    return _from_end(axis, len(_shape(x)))


def _one_batch(t, x):
    """A batched tangent of x with its leading axes (B, 1, ...) merged into one: (B, *x.shape)."""
    shape, x_shape = _shape(t), _shape(x)
    return t if len(shape) == len(x_shape) + 1 else reshape(t, (-1, *x_shape))


def _reduction_jvp(vjp):
    """A reduction's jvp from its vjp rule: the sum over the reduced axes of t times the
    gradient of the output (the vjp of a cotangent of ones). Params end with axis, keepdims."""

    def rule(t, out, x, *params):
        axis, keepdims = params[-2], params[-1]
        ones = np.ones(_shape(out), np.result_type(_raw(out)))
        return sum(t * vjp(ones, out, x, *params), _tangent_axes(axis, x), keepdims)

    return rule


def _logsumexp_jvp(t, out, x, axis, keepdims):
    # sum of t softmax(x) over the axes (softmax as exp(log_softmax), as the vjp).
    return sum(t * exp(log_softmax(x, axis)), _tangent_axes(axis, x), keepdims)


def _matmul_ta(t, out, a, b):
    # t @ b; a 1-d operand is a row (its tangent t[..., None, :]), then dropped again.
    if len(_shape(a)) > 1:
        return matmul(t, b)
    if len(_shape(b)) == 1:
        return sum(t * b, -1)
    shape = _shape(t)
    c = matmul(reshape(t, shape[:-1] + (1,) + shape[-1:]), b)
    return reshape(c, _shape(c)[:-2] + _shape(c)[-1:])


def _matmul_tb(t, out, a, b):
    # a @ t; a 1-d operand is a column (its tangent t[..., None]), then dropped again.
    if len(_shape(b)) > 1:
        return matmul(a, t)
    if len(_shape(a)) == 1:
        return sum(a * t, -1)
    c = matmul(a, reshape(t, _shape(t) + (1,)))
    return reshape(c, _shape(c)[:-1])


def _transpose_jvp(t, out, x, axes):
    n, lead = len(_shape(x)), len(_batch_shape(t, x))
    perm = range(n - 1, -1, -1) if axes is None else (a % n for a in axes)
    return t.transpose((*range(lead), *(lead + a for a in perm)))


def _getitem_jvp(t, out, x, index):
    if len(_shape(t)) == len(_shape(x)):
        return t[index]
    t = _one_batch(t, x)
    parts = index if isinstance(index, tuple) else (index,)
    c = t[(slice(None), *parts)]
    if _shape(c) != _shape(t)[:1] + _shape(out):  # numpy put the indexed axes first
        c = stack([t[b][index] for b in range(_shape(t)[0])])
    return c


def _scatter_jvp(t, out, x, index, shape):
    if len(_shape(t)) == len(_shape(x)):
        return _scatter(t, index, shape)
    t = _one_batch(t, x)
    n = _shape(t)[0]
    parts = index if isinstance(index, tuple) else (index,)
    probe = np.broadcast_to(np.zeros((), bool), (n, *shape))[(slice(None), *parts)]
    if probe.shape != _shape(t):  # numpy would put the indexed axes first: one at a time
        return stack([_scatter(t[b], index, shape) for b in range(n)])
    return _scatter(t, (slice(None), *parts), (n, *shape))


def _joined_tangents(ts, out, xs):
    """The tangents of a concatenate's or stack's inputs, zeros for those without one."""
    i = next(k for k, t in enumerate(ts) if t is not None)
    lead, dtype = _batch_shape(ts[i], xs[i]), np.result_type(_raw(out))
    return [np.zeros(lead + _shape(x), dtype) if t is None else t for t, x in zip(ts, xs)]


def _concat_jvp(ts, out, *args):
    *xs, axis = args
    ndim = len(_shape(out))
    return concatenate(_joined_tangents(ts, out, xs), _normalize_axes(axis, ndim)[0] - ndim)


def _stack_jvp(ts, out, *args):
    *xs, axis = args
    ndim = len(_shape(out))
    return stack(_joined_tangents(ts, out, xs), _normalize_axes(axis, ndim)[0] - ndim)


def _as_tensor_jvp(t, out, x, dtype):
    # a Value's tangent (a float, or (B,) batched) as an array; the sweep casts it
    return t._as_tensor(dtype) if isinstance(t, Node) else np.asarray(t, dtype)


def _as_value_jvp(t, out, x):
    lead = _batch_shape(t, x)
    if lead:  # batched: (B,), a Value's batched tangent
        return reshape(t, lead)
    return t._as_value() if isinstance(t, Node) else float(np.reshape(t, ()))


# ---------------------------------------------------------------------------------------
# Forward helpers that need care (numerical stability, clear errors).


def _sigmoid_scalar(x):
    e = math.exp(-builtins.abs(x))  # never overflows: the exponent is <= 0
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


def _sigmoid_array(x):
    e = np.exp(-np.abs(x))  # the same arithmetic as the scalar version, elementwise
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _pow_scalar(x, y):
    # math.pow is C99's pow; at x = -inf and x = -0.0 numpy differs from it in a few cases,
    # so those (rare) bases take numpy's path and a Value agrees with a 0-d Tensor.
    if x == 0.0 or x == -math.inf:
        raise ArithmeticError
    return math.pow(x, y)


def _matmul_array(a, b):
    if a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.ndim and b.ndim:
        try:
            return np.matmul(a, b)  # the common case, checked without np.ndim's dispatch
        except ValueError:
            pass  # the message below
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise ValueError(
            f"matmul needs operands of at least one dimension, got shapes {np.shape(a)} and "
            f"{np.shape(b)}; use * to multiply by a scalar"
        )
    try:
        return np.matmul(a, b)
    except ValueError:
        sa, sb = np.shape(a), np.shape(b)
        if sa[-1] == (sb[0] if len(sb) == 1 else sb[-2]):
            why = f"the batch axes {sa[:-2]} and {sb[:-2]} do not broadcast"
        else:
            why = (
                "the last axis of the first must equal the second-to-last axis of the second "
                "(or its only axis)"
            )
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {why}") from None


def _reduction(fn):
    """The array forward of a reduction `fn` (np.sum...): axis checked, an array returned."""

    def forward(x, axis, keepdims):
        return np.asarray(fn(x, axis=_normalize_axes(axis, np.ndim(x)), keepdims=keepdims))

    return forward


def _logsumexp_array(x, axis, keepdims):
    axes = _normalize_axes(axis, np.ndim(x))
    m = np.max(x, axis=axes, keepdims=True) if np.size(x) else np.zeros((1,) * np.ndim(x))
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or inf/nan) along an axis: do not shift
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axes)


def _log_softmax_array(x, axis):
    x = np.asarray(x)
    return _log_softmax_raw(_normalize_axes(axis, x.ndim), x)


def _log_softmax_raw(axes, x):
    # (x - m) - log(sum(exp(x - m))), m the maximum: the shift is subtracted exactly first, so
    # the result keeps its precision however large x is (x - logsumexp(x) would not).
    # A kernel: x an ndarray, axes normalized.
    m = _max(x, axis=axes, keepdims=True) if x.size else 0.0
    if not math.isfinite(_sum(m, axis=None)):  # a sum past the float range takes it too
        m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or inf/nan) along an axis: no shift
    shifted = x - m
    lse = np.log(_sum(np.exp(shifted), axis=axes, keepdims=True))
    if shifted.__class__ is not np.ndarray:  # numpy's scalar, for a 0-d x
        return shifted - lse
    return _subtract(shifted, lse, out=shifted)  # the same floats, one array fewer


def _log_softmax_rule(g, out, x, axis):
    # d out_i / d x_j = delta_ij - softmax_j: the cotangent is g - softmax(x) sum(g), with
    # softmax as exp(out). Axes counted from the end, so a batched g keeps its batch axes.
    axes = _from_end(axis, len(_shape(x)))
    if g.__class__ is np.ndarray and out.__class__ is np.ndarray:  # raw: the same, in numpy
        return _log_softmax_rule_raw(axes, g, out)
    return g - exp(out) * sum(g, axes, keepdims=True)


def _log_softmax_rule_raw(axes, g, out):
    """`_log_softmax_rule` on raw arrays, `axes` counted from the end (a kernel)."""
    return _log_softmax_rule_summed(g, out, _sum(g, axis=axes, keepdims=True))


def _log_softmax_rule_summed(g, out, total):
    """`_log_softmax_rule_raw` given `total`, g summed over the axes with kept dimensions
    (a kernel: a replay sums a constant g, a loss's cotangent, once)."""
    scaled = np.exp(out)
    if (  # a batched g (batch axes in front), another dtype, numpy's scalar for a 0-d out,
        scaled.__class__ is not np.ndarray  # or a layout the new array would not have
        or g.shape != scaled.shape
        or not g.dtype == total.dtype == scaled.dtype
        or not (g.flags.c_contiguous and scaled.flags.c_contiguous)
    ):
        return g - scaled * total
    scaled *= total  # the floats of g - exp(out) * total, in one array
    return _subtract(g, scaled, out=scaled)


def _norm2_array(x, axis, keepdims):
    return np.sqrt(np.sum(x * x, axis=_normalize_axes(axis, np.ndim(x)), keepdims=keepdims))


def _scatter_array(g, index, shape):
    parts = index if isinstance(index, tuple) else (index,)
    if _int_on_every_axis(g, parts, shape):
        # The elements' flat positions, summed by bincount, which adds in order into zeros
        # as np.add.at does (the same floats; where two NaNs meet, which one's sign and
        # payload is kept may differ, as numpy leaves it open), a few times quicker.
        # mode="wrap" reads negative indices as numpy does: callers pass indices in range
        # (the forward indexed with them; diag made them). Not for a g that broadcasts
        # against the index.
        flat = np.ravel_multi_index(parts, shape, mode="wrap")
        if flat.shape == g.shape:
            return _bincount_scatter(shape, flat, g)
    out = np.zeros(shape, dtype=g.dtype)
    if any(p.__class__ is np.ndarray and p.dtype.kind in "iu" for p in parts):
        np.add.at(out, index, g)  # repeated integer indices accumulate
    else:
        out[index] = g
    return out


def _int_on_every_axis(g, parts, shape):
    """The index `parts` holds an integer array for every axis of `shape`, and g is float64
    and non-empty (bincount gives int64 zeros for an empty g): a scatter by bincount fits."""
    return (
        len(parts) == len(shape)
        and all(p.__class__ is np.ndarray and p.dtype.kind in "iu" for p in parts)
        and g.dtype == np.float64
        and g.size > 0
    )


def _bincount_scatter(shape, flat, g):
    """g added into zeros of `shape` at the flat positions `flat` (g's shape), in order."""
    return np.bincount(flat.ravel(), g.ravel(), math.prod(shape)).reshape(shape)


def _scatter_by_index(shape, index, g):
    """`_scatter_array(g, index, shape)` where it sums by bincount (a kernel: an integer array
    on every axis of `shape`, g float64, non-empty, of the index's broadcast shape)."""
    parts = index if index.__class__ is tuple else (index,)
    return _bincount_scatter(shape, np.ravel_multi_index(parts, shape, mode="wrap"), g)


def _clip_scalar(x, lo, hi):
    # numpy's clip: minimum(maximum(x, lo), hi), NaN from either side propagating.
    if lo is not None:
        x = _maximum_scalar(x, float(lo))
    if hi is not None:
        x = _minimum_scalar(x, float(hi))
    return x


def _maximum_scalar(x, y):
    return x if x >= y or math.isnan(x) else y  # y when y is NaN, as numpy


def _minimum_scalar(x, y):
    return x if x <= y or math.isnan(x) else y


# ---------------------------------------------------------------------------------------
# Helpers for series rules (Taylor mode, core/taylor.py): cs holds each input's
# coefficients (K, *shape); a rule returns the output's. Raw arrays only (core/series.py).


def _aligned(cs, out):
    """The inputs' series with their ranks aligned to the output's, for broadcasting."""
    ndim = np.ndim(out)
    return [S.lifted(c, ndim) for c in cs]


def _tail(c, mask, fill=0.0):
    """c with the coefficients of order >= 1 replaced by `fill` where `mask` (data) holds."""
    out = c.copy()
    out[1:] = np.where(mask, fill, c[1:])
    return out


def _kept(c, out):
    """A series whose order-0 coefficient is the output's data (the forward's own rounding)."""
    c[0] = out
    return c


def _piecewise_constant(cs, out, x):
    """sign, floor, ceil, round: data at order 0, zeros after it (NaN where x is NaN, as
    their vjp)."""
    c = S.constant(out, len(cs[0]))
    c[1:] = np.where(np.isnan(x), np.nan, 0.0)
    return c


def _relu_series(cs, out, x):
    # relu'(0) = 0 (the vjp's convention): the branch is chosen from the data, as reverse
    # mode does; a NaN input keeps its series, as its cotangent.
    return _kept(_tail(cs[0], np.asarray(x) <= 0), out)


def _abs_series(cs, out, x):
    return _kept(cs[0] * _sign(x), out)  # sign(0) = 0: |x| has no higher coefficients at 0


def _extremum_series(cs, out, a, b):
    """maximum(a, b)'s series (minimum's with a and b swapped): a's where a > b, b's where
    a < b, the mean of both at a tie (the vjp shares the cotangent evenly), their sum where
    either is NaN (the vjp gives each all of it)."""
    ca, cb = _aligned(cs, out)
    nan = np.isnan(a) | np.isnan(b)
    w = np.where(a > b, ca, np.where(a < b, cb, np.where(nan, ca + cb, (ca + cb) * 0.5)))
    return _kept(w, out)


def _clip_series(cs, out, x, lo, hi):
    x = np.asarray(x)
    outside = (x < (-np.inf if lo is None else lo)) | (x > (np.inf if hi is None else hi))
    return _kept(_tail(cs[0], outside), out)


def _pow_series(cs, out, x, y):
    cx, cy = _aligned(cs, out)
    if not cy[1:].any():  # a constant exponent: exact at x = 0 for an integer one
        y = np.asarray(y)
        if np.any((x == 0) & (y != np.round(y))):
            # x**2.5 at 0 has no Taylor series: nested reverse mode gives reverse mode's
            # values (0 below the order 2.5, inf above), with a warning
            return NotImplemented
        if y.ndim == 0:
            return _kept(S.power(cx, float(y)), out)
        w = np.empty(cx.shape[:1] + np.shape(out))
        for index in np.ndindex(np.shape(out)):  # exponents differing per element
            at = (slice(None),) + index
            r = float(np.broadcast_to(y, np.shape(out))[index])
            w[at] = S.power(np.broadcast_to(cx, w.shape)[at], r)
        return _kept(w, out)
    return _kept(S.exp(S.multiply(cy, S.log(cx)), out), out)  # x**y = exp(y log x)


def _logaddexp_series(cs, out, x, y):
    cx, cy = _aligned(cs, out)
    s = S.riccati(sigmoid(np.asarray(x) - y), cx - cy, 0.0, 1.0, -1.0)  # sigmoid(x - y)
    one = S.constant(np.ones(np.shape(s)[1:]), len(s))
    return S.integrate(out, cx, s) + S.integrate(0.0, cy, one - s)


def _arctan2_series(cs, out, y, x):
    # d angle = (x dy - y dx) / (x**2 + y**2); 0 at the origin, as the vjp (selected).
    cy, cx = _aligned(cs, out)
    r2 = S.multiply(cx, cx) + S.multiply(cy, cy)
    w = S.integrate(out, cy, S.divide(cx, r2)) - S.integrate(0.0, cx, S.divide(cy, r2))
    return _kept(_tail(w, (np.asarray(x) == 0) & (np.asarray(y) == 0)), out)


def _hypot_series(cs, out, x, y):
    cx, cy = _aligned(cs, out)
    return S.sqrt(S.multiply(cx, cx) + S.multiply(cy, cy), out)


def _mod_series(cs, out, x, y):
    cx, cy = _aligned(cs, out)
    return _kept(cx - _floor_quotient(x, y) * cy, out)  # x - (x // y) y, the quotient as data


def _linear2(fn):
    """The series rule of a two-input op applied coefficientwise after aligning ranks (+, -),
    or of a bilinear one given its Cauchy product (*)."""
    return lambda cs, out, x, y: _kept(fn(*_aligned(cs, out)), out)


def _through_derivative(f_prime):
    """The series rule of w = f(u) with w' = f'(u) u', f' given as a series function."""
    return lambda cs, out, x: S.integrate(out, cs[0], f_prime(cs[0]))


def _one_minus_square(c):
    return S.plus(-S.multiply(c, c), 1.0)


def _matmul_series(a, b, out):
    """The Cauchy product of matmul: w_k = sum_j a_j @ b_{k-j}, each j one batched matmul
    over the other side's coefficients (numpy's 1-d rules kept by choosing that side)."""
    K = len(a)
    ndim = np.ndim(out)
    w = np.zeros((K,) + np.shape(out), np.result_type(a, b))
    for j in range(K):
        if b.ndim > 2:  # b's coefficients stack as a batch axis of a >= 2-d operand
            w[j:] += a[j] @ S.lifted(b[: K - j], ndim)
        elif a.ndim > 2:
            w[j:] += S.lifted(a[: K - j], ndim) @ b[j]
        else:  # two vectors
            w[j:] += b[: K - j] @ a[j]
    return w


def _leading(axis, ndim):
    """Reduction axes of data with `ndim` axes, as axes of its series (shifted by one)."""
    return tuple(a + 1 for a in _normalize_axes(axis, ndim))


def _logsumexp_parts(c, x, axis):
    """(series of log sum exp(x - m) over `axis`, kept; m), m the data's finite maximum."""
    axes = _normalize_axes(axis, np.ndim(x))
    m = np.max(x, axis=axes, keepdims=True) if np.size(x) else np.zeros((1,) * np.ndim(x))
    m = np.where(np.isfinite(m), m, 0.0)
    shifted = c - S.lifted(S.constant(m, len(c)), np.ndim(x))
    total = np.sum(S.exp(shifted), axis=tuple(a + 1 for a in axes), keepdims=True)
    return S.log(total), m


def _logsumexp_series(cs, out, x, axis, keepdims):
    lse, m = _logsumexp_parts(cs[0], x, axis)
    w = S.plus(lse, m)
    if not keepdims:
        w = w.reshape((len(w),) + np.shape(out))
    return _kept(w, out)


def _log_softmax_series(cs, out, x, axis):
    lse, m = _logsumexp_parts(cs[0], x, axis)
    return _kept(cs[0] - S.plus(lse, m), out)


def _norm2_of(c, axis):
    """sqrt(sum c**2) over `axis`, kept; coefficient 1 is 0 where the norm is 0 (the vjp's
    x/|x| taken as 0), the higher ones NaN (no second derivative there)."""
    s = np.sum(S.multiply(c, c), axis=_leading(axis, c.ndim - 1), keepdims=True)
    zero = s[0] == 0
    n = S.sqrt(np.where(zero, 1.0, s))
    n[0] = np.sqrt(s[0])
    n[1] = np.where(zero, 0.0, n[1])
    n[2:] = np.where(zero, np.nan, n[2:])
    return n


def _norm2_series(cs, out, x, axis, keepdims):
    n = _norm2_of(cs[0], axis)
    return _kept(n if keepdims else n.reshape((len(n),) + np.shape(out)), out)


def _direction_series(cs, out, x, axis):
    n = _norm2_of(cs[0], axis)
    zero = n[0] == 0
    w = S.divide(cs[0], np.where(zero, 1.0, n))
    return _kept(_tail(w, zero, np.nan), out)  # no derivative at 0 (the vjp gives NaN)


def _extremum_reduced(cs, out, x, axis, keepdims):
    # The vjp's weights: the arg-max (or min) elements, ties sharing evenly, NaN winning.
    shape = np.shape(x)
    out_kept = _expand_reduced(out, shape, axis, keepdims)
    hit = (x == out_kept) | (np.isnan(x) & np.isnan(out_kept))
    share = hit / np.sum(hit, axis=_normalize_axes(axis, len(shape)), keepdims=True)
    w = np.sum(cs[0] * share, axis=_leading(axis, len(shape)), keepdims=keepdims)
    return _kept(w, out)


def _transpose_series(cs, out, x, axes):
    n = np.ndim(x)
    order = range(n - 1, -1, -1) if axes is None else (a % n for a in axes)
    return cs[0].transpose((0, *(a + 1 for a in order)))


def _getitem_series(cs, out, x, index):
    return cs[0][(slice(None), *(index if isinstance(index, tuple) else (index,)))]


def _scatter_series(cs, out, x, index, shape):
    return np.stack([_scatter_array(c, index, shape) for c in cs[0]])


def _joined_series(join):
    """The series rule of concatenate or stack: the inputs' series joined along the axis
    shifted past the series axis."""

    def rule(cs, out, *args):
        axis = args[-1] % np.ndim(out) + 1
        return join(cs, axis=axis)

    return rule


# ---------------------------------------------------------------------------------------
# The op table. Each op is declared once (see `graph.Op` for the fields); its public
# function follows the table. Rules call the public functions, which run on raw data and
# on nodes alike.

ADD = Op(
    "+",
    scalar=operator.add,
    array=np.add,
    series=_linear2(np.add),
    vjps=(lambda g, out, x, y: g, lambda g, out, x, y: g),
    jvps=ELEMENTWISE,
    methods=("__add__", "__radd__"),
)
SUB = Op(
    "-",
    scalar=operator.sub,
    array=np.subtract,
    series=_linear2(np.subtract),
    vjps=(lambda g, out, x, y: g, lambda g, out, x, y: -g),
    jvps=ELEMENTWISE,
    methods=("__sub__", "__rsub__"),
)
MUL = Op(
    "*",
    scalar=operator.mul,
    array=np.multiply,
    series=_linear2(S.multiply),
    vjps=(lambda g, out, x, y: g * y, lambda g, out, x, y: g * x),
    jvps=ELEMENTWISE,
    methods=("__mul__", "__rmul__"),
)
DIV = Op(
    "/",
    scalar=operator.truediv,
    array=np.divide,
    series=lambda cs, out, x, y: S.divide(*_aligned(cs, out), out),
    vjps=(lambda g, out, x, y: g / y, lambda g, out, x, y: -(g * out) / y),
    jvps=ELEMENTWISE,
    quiet=True,
    methods=("__truediv__", "__rtruediv__"),
)


def _pow_dx(g, out, x, y):
    # g y x**(y - 1), and exactly 0 where y == 0: the derivative of x**0 is 0 at every x
    # (0, inf and NaN included). A constant exponent 0 gives a constant zero, so every
    # higher derivative is 0 too. Elsewhere the zero is selected.
    y_raw = _raw(y)
    zero = y_raw == 0
    if not isinstance(y, Node):
        if zero is False or (zero.__class__ is not bool and not zero.any()):
            return g * y * power(x, y - 1)  # the common case: a constant, nonzero exponent
        if np.all(zero):
            return _zero_like(g, x)
    else:
        # A differentiable exponent needs x**(y - 1) itself at y == 0, where the mixed
        # partial d/dy (y x**(y-1)) is 1/x: select only where x**(y - 1) is not finite.
        x_raw = _raw(x)
        if type(x_raw) is float and type(y_raw) is float:
            zero = zero and (x_raw == 0 or not math.isfinite(x_raw))
        else:
            zero = zero & ((x_raw == 0) | ~np.isfinite(x_raw))
    # The branch not taken computes 1**1 (x and the exponent both replaced by 1), so no
    # inf or NaN there can reach a cotangent through a zero (the double-where pattern).
    return where(zero, 0.0, g * y * power(where(zero, 1.0, x), where(zero, 1.0, y - 1)))


def _pow_dy(g, out, x, y):
    # out * log(x), with log(x) replaced by log(1) = 0 where x == 0 and y >= 0.
    x_raw, y_raw = _raw(x), _raw(y)
    return g * out * log(where((x_raw == 0) & (y_raw >= 0), 1.0, x))


POW = Op(
    "**",
    scalar=_pow_scalar,
    array=np.power,
    series=_pow_series,
    vjps=(_pow_dx, _pow_dy),
    jvps=ELEMENTWISE,
    quiet=True,
    function="power",
    methods=("__pow__", "__rpow__"),
    doc="""x**y elementwise (broadcasting); both may be differentiable.

    d/dx = y x**(y-1), taken as 0 where y == 0; d/dy = x**y log(x), taken as 0
    where x == 0 and y >= 0 (PyTorch's conventions). A negative x with a
    non-integer y gives nan.
    """,
)
NEG = Op(
    "neg",
    scalar=operator.neg,
    array=np.negative,
    series=lambda cs, out, x: -cs[0],
    vjps=(lambda g, out, x: -g,),
    jvps=ELEMENTWISE,
    methods=("__neg__",),
)
EXP = Op(
    "exp",
    scalar=math.exp,
    array=np.exp,
    series=lambda cs, out, x: S.exp(cs[0], out),
    vjps=(lambda g, out, x: g * out,),
    jvps=ELEMENTWISE,
    quiet=True,
    function="exp",
    methods=("exp",),
    formula="exp",
    doc="e**x elementwise. Derivative: exp(x).",
)
LOG = Op(
    "log",
    scalar=math.log,
    array=np.log,
    series=lambda cs, out, x: S.log(cs[0], out),
    vjps=(lambda g, out, x: g / x,),
    jvps=ELEMENTWISE,
    quiet=True,
    function="log",
    methods=("log",),
    formula="log",
    doc="Natural logarithm elementwise; log(0) = -inf, log(x < 0) = nan. Derivative: 1/x.",
)
SQRT = Op(
    "sqrt",
    scalar=math.sqrt,
    array=np.sqrt,
    series=lambda cs, out, x: S.sqrt(cs[0], out),
    vjps=(lambda g, out, x: g / (2 * out),),
    jvps=ELEMENTWISE,
    quiet=True,
    function="sqrt",
    methods=("sqrt",),
    formula="sqrt",
    doc="Square root elementwise; sqrt(x < 0) = nan. Derivative 1/(2 sqrt x), +inf at 0.",
)
SIN = Op(
    "sin",
    scalar=math.sin,
    array=np.sin,
    series=lambda cs, out, x: _kept(S.sin_cos(cs[0])[0], out),
    vjps=(lambda g, out, x: g * cos(x),),
    jvps=ELEMENTWISE,
    quiet=True,
    function="sin",
    methods=("sin",),
    formula="sin",
    doc="Sine (radians) elementwise. Derivative: cos(x).",
)
COS = Op(
    "cos",
    scalar=math.cos,
    array=np.cos,
    series=lambda cs, out, x: _kept(S.sin_cos(cs[0])[1], out),
    vjps=(lambda g, out, x: -(g * sin(x)),),
    jvps=ELEMENTWISE,
    quiet=True,
    function="cos",
    methods=("cos",),
    formula="cos",
    doc="Cosine (radians) elementwise. Derivative: -sin(x).",
)
TANH = Op(
    "tanh",
    scalar=math.tanh,
    array=np.tanh,
    series=lambda cs, out, x: S.riccati(out, cs[0], 1.0, 0.0, -1.0),
    vjps=(lambda g, out, x: g * (1 - out * out),),
    jvps=ELEMENTWISE,
    function="tanh",
    methods=("tanh",),
    formula="tanh",
    doc="Hyperbolic tangent elementwise, never overflows. Derivative: 1 - tanh(x)**2.",
)
SIGMOID = Op(
    "sigmoid",
    scalar=_sigmoid_scalar,
    array=_sigmoid_array,
    series=lambda cs, out, x: S.riccati(out, cs[0], 0.0, 1.0, -1.0),
    vjps=(lambda g, out, x: g * out * (1 - out),),
    jvps=ELEMENTWISE,
    function="sigmoid",
    methods=("sigmoid",),
    formula="sigmoid",
    doc="Logistic function 1/(1 + e**-x), computed without overflow. Derivative: s(1 - s).",
)
SOFTPLUS = Op(
    "softplus",
    scalar=lambda x: builtins.max(x, 0.0) + math.log1p(math.exp(-builtins.abs(x))),
    array=lambda x: np.logaddexp(0.0, x),
    series=_through_derivative(lambda c: S.riccati(sigmoid(c[0]), c, 0.0, 1.0, -1.0)),
    vjps=(lambda g, out, x: g * sigmoid(x),),
    jvps=ELEMENTWISE,
    function="softplus",
    methods=("softplus",),
    formula="softplus",
    doc="""log(1 + e**x) elementwise, computed without overflow (as torch.nn.functional.softplus
    with beta 1). Derivative: sigmoid(x), smooth everywhere (its own derivative at 0 is 1/4).""",
)


def _relu_array(x, into=None):
    """max(x, 0) on a raw array; `into`: None, or x itself when nothing else reads it (a
    compiled replay), to write the result there."""
    return np.maximum(x, 0, out=into)


RELU = Op(
    "relu",
    scalar=lambda x: 0.0 if x <= 0 else x,
    array=_relu_array,
    series=_relu_series,
    vjps=(_relu_rule,),
    jvps=ELEMENTWISE,
    function="relu",
    methods=("relu",),
    formula="relu",
    doc="max(x, 0) elementwise; NaN stays NaN. Derivative 1 for x > 0, 0 for x <= 0 (PyTorch).",
)
ABS = Op(
    "abs",
    scalar=builtins.abs,
    array=np.abs,
    series=_abs_series,
    vjps=(lambda g, out, x: g * _sign(x),),
    jvps=ELEMENTWISE,
    function="abs",
    methods=("abs", "__abs__"),
    formula="abs",
    doc="|x| elementwise. Derivative sign(x), taken as 0 at x = 0 (PyTorch).",
)


def _zero_rule(g, out, x):
    """The vjp of a piecewise-constant op (sign, floor, ceil, round): zeros of g's shape,
    NaN where x is NaN.

    A zero is returned, not g times 0: an infinite or NaN cotangent still gives 0, as in
    PyTorch. It is a constant, so every higher derivative is 0 too. At a NaN input the
    output is NaN and so is the derivative (as abs'(nan)); PyTorch gives 0 there, but a NaN
    output never comes with a zero gradient here (README).
    """
    x = _raw(x)
    if not isinstance(x, np.ndarray):
        return 0.0 if x == x else math.nan
    zero = _zero_like(g, x)
    nan = np.isnan(x)
    if nan.any():
        zero[np.broadcast_to(nan, zero.shape)] = np.nan
    return zero


def _rounding(fn):
    """The scalar forward of floor, ceil or round: a float with the sign of x, as numpy's.

    Rounding never changes the sign, so copysign restores the -0.0 that Python's int
    result loses (ceil(-0.5) is -0.0). At inf and NaN `fn` raises, and numpy answers.
    """
    return lambda x: math.copysign(float(fn(x)), x)


def _elementwise_op(name, scalar, array, series, rule, doc, quiet=True):
    """An elementwise op of one input, named alike everywhere: `al.name`, `x.name()`, formulas."""
    return Op(
        name,
        scalar=scalar,
        array=array,
        series=series,
        vjps=(rule,),
        jvps=ELEMENTWISE,
        quiet=quiet,
        function=name,
        methods=(name,),
        formula=name,
        doc=doc,
    )


_LN2, _LN10 = math.log(2.0), math.log(10.0)
LOG1P = _elementwise_op(
    "log1p",
    math.log1p,
    np.log1p,
    lambda cs, out, x: S.log(S.plus(cs[0], 1.0), out),
    lambda g, out, x: g / (x + 1),
    "log(1 + x) elementwise, accurate for small x; -inf at -1, nan below. Derivative 1/(1 + x).",
)
EXPM1 = _elementwise_op(
    "expm1",
    math.expm1,
    np.expm1,
    lambda cs, out, x: _kept(S.exp(cs[0], out + 1), out),
    lambda g, out, x: g * (out + 1),
    "e**x - 1 elementwise, accurate for small x. Derivative: e**x (computed as expm1(x) + 1).",
)
LOG2 = _elementwise_op(
    "log2",
    math.log2,
    np.log2,
    lambda cs, out, x: _kept(S.log(cs[0]) / _LN2, out),
    lambda g, out, x: g / (x * _LN2),
    "Base-2 logarithm elementwise; -inf at 0, nan below. Derivative 1/(x log 2).",
)
LOG10 = _elementwise_op(
    "log10",
    math.log10,
    np.log10,
    lambda cs, out, x: _kept(S.log(cs[0]) / _LN10, out),
    lambda g, out, x: g / (x * _LN10),
    "Base-10 logarithm elementwise; -inf at 0, nan below. Derivative 1/(x log 10).",
)
EXP2 = _elementwise_op(
    "exp2",
    lambda x: math.pow(2.0, x),
    np.exp2,
    lambda cs, out, x: S.exp(cs[0] * _LN2, out),
    lambda g, out, x: g * out * _LN2,
    "2**x elementwise. Derivative: 2**x log 2.",
)
SQUARE = _elementwise_op(
    "square",
    lambda x: x * x,
    np.square,
    lambda cs, out, x: _kept(S.multiply(cs[0], cs[0]), out),
    lambda g, out, x: g * (2 * x),
    "x*x elementwise. Derivative: 2x.",
)
RECIPROCAL = _elementwise_op(
    "reciprocal",
    lambda x: 1.0 / x,
    lambda x: np.divide(1.0, x),
    lambda cs, out, x: S.divide(S.constant(1.0, len(cs[0])), cs[0], out),
    lambda g, out, x: g * -(out * out),
    "1/x elementwise; ±inf at ±0. Derivative: -1/x**2 (computed as -reciprocal(x)**2).",
)
SIGN = _elementwise_op(
    "sign",
    lambda x: 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x,
    np.sign,
    _piecewise_constant,
    _zero_rule,
    "-1, 0 or 1 by the sign of x elementwise (NaN stays NaN). Derivative 0 everywhere "
    "(PyTorch's convention at 0).",
    quiet=False,
)
FLOOR = _elementwise_op(
    "floor",
    _rounding(math.floor),
    np.floor,
    _piecewise_constant,
    _zero_rule,
    "The largest integer <= x elementwise, as a float. Derivative 0 everywhere (PyTorch).",
    quiet=False,
)
CEIL = _elementwise_op(
    "ceil",
    _rounding(math.ceil),
    np.ceil,
    _piecewise_constant,
    _zero_rule,
    "The smallest integer >= x elementwise, as a float. Derivative 0 everywhere (PyTorch).",
    quiet=False,
)
ROUND = _elementwise_op(
    "round",
    _rounding(builtins.round),
    np.round,
    _piecewise_constant,
    _zero_rule,
    "x rounded to the nearest integer elementwise, halves to even (as numpy and PyTorch), "
    "as a float. Derivative 0 everywhere (PyTorch).",
    quiet=False,
)
TAN = _elementwise_op(
    "tan",
    math.tan,
    np.tan,
    lambda cs, out, x: S.riccati(out, cs[0], 1.0, 0.0, 1.0),
    lambda g, out, x: g * (1 + out * out),
    "Tangent (radians) elementwise. Derivative 1 + tan(x)**2 = 1/cos(x)**2.",
)
SINH = _elementwise_op(
    "sinh",
    math.sinh,
    np.sinh,
    lambda cs, out, x: _kept(S.sinh_cosh(cs[0])[0], out),
    lambda g, out, x: g * cosh(x),
    "Hyperbolic sine elementwise; ±inf past about ±710. Derivative: cosh(x).",
)
COSH = _elementwise_op(
    "cosh",
    math.cosh,
    np.cosh,
    lambda cs, out, x: _kept(S.sinh_cosh(cs[0])[1], out),
    lambda g, out, x: g * sinh(x),
    "Hyperbolic cosine elementwise; inf past about ±710. Derivative: sinh(x).",
)
ARCSIN = _elementwise_op(
    "arcsin",
    math.asin,
    np.arcsin,
    _through_derivative(lambda c: S.power(_one_minus_square(c), -0.5)),
    lambda g, out, x: g / sqrt(1 - x * x),
    "Inverse sine elementwise, in [-pi/2, pi/2]; nan outside [-1, 1]. "
    "Derivative 1/sqrt(1 - x**2), inf at ±1.",
)
ARCCOS = _elementwise_op(
    "arccos",
    math.acos,
    np.arccos,
    _through_derivative(lambda c: -S.power(_one_minus_square(c), -0.5)),
    lambda g, out, x: -g / sqrt(1 - x * x),
    "Inverse cosine elementwise, in [0, pi]; nan outside [-1, 1]. "
    "Derivative -1/sqrt(1 - x**2), -inf at ±1.",
)
ARCTAN = _elementwise_op(
    "arctan",
    math.atan,
    np.arctan,
    _through_derivative(lambda c: S.power(S.plus(S.multiply(c, c), 1.0), -1)),
    lambda g, out, x: g / (1 + x * x),
    "Inverse tangent elementwise, in (-pi/2, pi/2). Derivative 1/(1 + x**2).",
    quiet=False,
)
ARCSINH = _elementwise_op(
    "arcsinh",
    math.asinh,
    np.arcsinh,
    _through_derivative(lambda c: S.power(S.plus(S.multiply(c, c), 1.0), -0.5)),
    lambda g, out, x: g / sqrt(x * x + 1),
    "Inverse hyperbolic sine elementwise. Derivative 1/sqrt(x**2 + 1).",
)
ARCCOSH = _elementwise_op(
    "arccosh",
    math.acosh,
    np.arccosh,
    _through_derivative(lambda c: S.power(S.plus(S.multiply(c, c), -1.0), -0.5)),
    lambda g, out, x: g / sqrt(x * x - 1),
    "Inverse hyperbolic cosine elementwise, >= 0; nan below 1. "
    "Derivative 1/sqrt(x**2 - 1), inf at 1.",
)
ARCTANH = _elementwise_op(
    "arctanh",
    math.atanh,
    np.arctanh,
    _through_derivative(lambda c: S.power(_one_minus_square(c), -1)),
    lambda g, out, x: g / (1 - x * x),
    "Inverse hyperbolic tangent elementwise; ±inf at ±1, nan outside [-1, 1]. "
    "Derivative 1/(1 - x**2).",
)


def _sinc_scalar(x):
    # numpy's sinc: sin(pi x)/(pi x), 1 at 0; at ±inf math.sin raises and numpy answers (nan).
    if x == 0:
        return 1.0
    y = math.pi * x
    return math.sin(y) / y


def _sinc_derivative_array(x, n):
    """The n-th derivative of numpy's sinc at x, for any order n >= 1, in x's dtype.

    sinc(x) = s(pi x) with s(u) = sin(u)/u, so sinc^(n)(x) = pi**n s^(n)(pi x). Where
    |u| < 2, s's Taylor series differentiated term by term,
    s^(n)(u) = sum over 2k >= n of (-1)**k u**(2k - n) / ((2k - n)! (2k + 1)),
    which has no cancellation at 0 (the closed form is 0/0 there and loses every digit
    near it); elsewhere Leibniz's rule on sin(u) * u**-1,
    s^(n)(u) = sum_j C(n, j) sin(u + j pi/2) (-1)**(n - j) (n - j)! / u**(n - j + 1).
    """
    x = np.asarray(x)
    u = np.pi * x.astype(np.float64)
    small = np.abs(u) < 2
    near = np.where(small, u, 0.0)
    series = np.zeros_like(u)
    first = (n + 1) // 2
    for k in range(first, first + 16):  # |u| < 2: the next term is below 2**30 / 30! < 1e-23
        m = 2 * k - n
        series += (-1) ** k * near**m / (math.factorial(m) * (2 * k + 1))
    far = np.where(small, 1.0, u)  # the branch not taken never divides by 0
    s, c = np.sin(far), np.cos(far)
    phases = (s, c, -s, -c)  # sin(u + j pi/2), j = 0, 1, 2, 3
    closed = np.zeros_like(u)
    for j in range(n + 1):
        closed += (
            math.comb(n, j)
            * (-1) ** (n - j)
            * math.factorial(n - j)
            * (phases[j % 4] / far ** (n - j + 1))
        )
    out = np.where(small, series, closed) * np.pi**n
    return out.astype(x.dtype) if x.dtype == np.float32 else out


#: sinc's n-th derivative (n >= 1) as an op of its own, whose vjp is the next one: so
#: every order is exact, also at 0, where the closed forms are 0/0.
SINC_DERIVATIVE = Op(
    "sinc_derivative",
    scalar=lambda x, n: float(_sinc_derivative_array(x, n)),  # a Value's: a Python float
    array=_sinc_derivative_array,
    series=lambda cs, out, x, n: S.compose(
        cs[0], [_sinc_derivative_array(x, n + m) for m in range(len(cs[0]))]
    ),
    vjps=(lambda g, out, x, n: g * _sinc_derivative(x, n + 1),),
    jvps=ELEMENTWISE,
    params=("n",),
    quiet=True,
    doc="The n-th derivative of sinc (n >= 1), elementwise; exact at and near 0.",
)


def _sinc_derivative(x, n):
    return apply(SINC_DERIVATIVE, (x,), (n,))


SINC = _elementwise_op(
    "sinc",
    _sinc_scalar,
    np.sinc,
    lambda cs, out, x: S.compose(
        cs[0], [out] + [_sinc_derivative_array(x, m) for m in range(1, len(cs[0]))]
    ),
    lambda g, out, x: g * _sinc_derivative(x, 1),
    """numpy's normalized sinc, sin(pi x)/(pi x) elementwise, 1 at x = 0; nan at ±inf.

    Derivative (cos(pi x) - sinc(x))/x, 0 at x = 0. Every derivative, of any order, is
    computed without cancellation near 0 (a Taylor series there), so sinc''(0) = -pi**2/3
    exactly; PyTorch's double backward gives nan at 0 and 0 just beside it.""",
)


def _scaling_op(name, factor, array, doc):
    """An elementwise op x * factor (numpy's unit conversions); its derivative is the factor."""
    return _elementwise_op(
        name,
        lambda x: x * factor,
        array,
        lambda cs, out, x: _kept(cs[0] * factor, out),
        lambda g, out, x: g * factor,
        doc,
        quiet=False,
    )


# numpy's constants: deg2rad(x) is x * (pi/180) and rad2deg(x) is x * (180/pi), bit for bit.
DEG2RAD = _scaling_op(
    "deg2rad",
    math.pi / 180.0,
    np.deg2rad,
    "Degrees to radians elementwise, x * pi/180 (as numpy.deg2rad). Derivative pi/180.",
)
RAD2DEG = _scaling_op(
    "rad2deg",
    180.0 / math.pi,
    np.rad2deg,
    "Radians to degrees elementwise, x * 180/pi (as numpy.rad2deg). Derivative 180/pi.",
)
MAXIMUM = Op(
    "maximum",
    scalar=_maximum_scalar,
    array=np.maximum,
    series=_extremum_series,
    vjps=(
        lambda g, out, x, y: _extremum_share(g, x, y),
        lambda g, out, x, y: _extremum_share(g, y, x),
    ),
    jvps=ELEMENTWISE,
    function="maximum",
    formula="max",
    doc="Elementwise max of x and y (broadcasting); a tie sends half the cotangent to each.",
)
MINIMUM = Op(
    "minimum",
    scalar=_minimum_scalar,
    array=np.minimum,
    series=lambda cs, out, x, y: -_extremum_series([-c for c in cs], -out, -x, -y),
    vjps=(
        lambda g, out, x, y: _extremum_share(g, y, x),
        lambda g, out, x, y: _extremum_share(g, x, y),
    ),
    jvps=ELEMENTWISE,
    function="minimum",
    formula="min",
    doc="Elementwise min of x and y (broadcasting); a tie sends half the cotangent to each.",
)


def _logaddexp_scalar(x, y):
    # numpy's npy_logaddexp on floats: the larger plus log1p(e**-|x - y|), never overflowing.
    if x == y:
        return x + _LN2  # also at x = y = ±inf, where x - y would be nan
    d = x - y
    if d > 0:
        return x + math.log1p(math.exp(-d))
    if d < 0:
        return y + math.log1p(math.exp(d))
    return d  # x or y is nan


def _elementwise_binary_op(name, scalar, array, series, rules, doc):
    """An elementwise op of two broadcast inputs: `al.name(x, y)` and `name(x, y)` in formulas."""
    return Op(
        name,
        scalar=scalar,
        array=array,
        series=series,
        vjps=rules,
        jvps=ELEMENTWISE,
        quiet=True,
        function=name,
        formula=name,
        doc=doc,
    )


def _arctan2_rule(for_y):
    """arctan2(y, x)'s vjp for y, g x/(x**2 + y**2), or for x, -g y/(x**2 + y**2).

    Divided twice by r = hypot(x, y), never by the square, which under- or overflows
    (x = 1e-200 or 1e300). 0 at the origin, selected; there x and y are replaced by 1
    first (the double-where pattern), so no 0/0, of hypot's rule either, reaches the
    cotangent or its derivative.
    """

    def rule(g, out, y, x):
        origin = (_raw(x) == 0) & (_raw(y) == 0)
        x, y = where(origin, 1.0, x), where(origin, 1.0, y)
        r = hypot(x, y)
        return where(origin, 0.0, g * ((x if for_y else -y) / r) / r)

    return rule


ARCTAN2 = _elementwise_binary_op(
    "arctan2",
    math.atan2,
    np.arctan2,
    _arctan2_series,
    (
        _arctan2_rule(for_y=True),
        _arctan2_rule(for_y=False),
    ),
    """The angle of the point (x, y) in (-pi, pi], elementwise: arctan2(y, x), y first as
    numpy's (broadcasting; signed zeros and infinities as C99 atan2).

    Derivatives: d/dy = x/(x**2 + y**2), d/dx = -y/(x**2 + y**2), computed as
    (x/r)/r with r = hypot(x, y) so that they neither overflow nor underflow; taken as 0
    at the origin, where the angle has no derivative (PyTorch's convention).""",
)
HYPOT = _elementwise_binary_op(
    "hypot",
    math.hypot,
    np.hypot,
    _hypot_series,
    (lambda g, out, x, y: g * x / out, lambda g, out, x, y: g * y / out),
    """sqrt(x**2 + y**2) elementwise (broadcasting), without overflow or underflow in the
    squares; inf if either is ±inf, even with a nan.

    Derivatives (as PyTorch): d/dx = x/hypot(x, y), d/dy = y/hypot(x, y); nan at the
    origin (a cone's tip).""",
)
LOGADDEXP = _elementwise_binary_op(
    "logaddexp",
    _logaddexp_scalar,
    np.logaddexp,
    _logaddexp_series,
    (
        lambda g, out, x, y: g * sigmoid(x - y),
        lambda g, out, x, y: g * sigmoid(y - x),
    ),
    """log(e**x + e**y) elementwise (broadcasting), without overflow (as numpy.logaddexp).

    Derivatives: d/dx = e**x/(e**x + e**y) = sigmoid(x - y) and d/dy = sigmoid(y - x),
    computed stably (1 at x = inf > y); nan where x = y = ±inf.""",
)


def _floor_quotient(x, y):
    """x // y as data (numpy's floor_divide: the integer q with x % y = x - q y), never
    differentiated: mod's derivative in y. A float for floats."""
    x, y = _raw(x), _raw(y)
    with np.errstate(all="ignore"):
        q = np.floor_divide(x, y)
    return float(q) if type(x) is float and type(y) is float else q


MOD = Op(
    "%",
    scalar=operator.mod,
    array=np.remainder,
    series=_mod_series,
    vjps=(lambda g, out, x, y: g, lambda g, out, x, y: -(g * _floor_quotient(x, y))),
    jvps=ELEMENTWISE,
    quiet=True,
    function="mod",
    methods=("__mod__", "__rmod__"),
    formula="mod",
    doc="""x % y elementwise (broadcasting), with the sign of the divisor y, as Python's %,
    numpy.mod (numpy.remainder) and torch.remainder: x - floor(x/y) y; nan where y == 0
    or x is infinite.

    Derivatives (as PyTorch): d/dx = 1, d/dy = -(x // y), numpy's floor division (the
    quotient the remainder used: 1 // 0.1 is 9, where floor(1/0.1) is 10); every higher
    derivative is 0. At a jump (x a multiple of y) the derivative of the side reached.""",
)

WHERE = Op(
    "where",
    array=lambda x, y, cond: np.where(cond, x, y),
    series=lambda cs, out, x, y, cond: np.where(cond, *_aligned(cs, out)),
    vjps=(
        lambda g, out, x, y, cond: where(cond, g, 0.0),
        lambda g, out, x, y, cond: where(cond, 0.0, g),
    ),
    jvps=ELEMENTWISE,
    params=("cond",),
    function="where",
    doc="""x where `cond` is true, else y (as numpy.where); `cond` is data, never differentiated.

    With a plain bool condition (the scalar case) this returns x or y itself.
    """,
)


def _clip_rule(g, out, x, lo, hi):
    # The cotangent passes where lo <= x <= hi, the bounds included (PyTorch's clamp), and
    # where x is NaN (the output is NaN: its gradient must not be a silent 0).
    x = _raw(x)
    outside = (x < (-np.inf if lo is None else lo)) | (x > (np.inf if hi is None else hi))
    return where(outside, 0.0, g)


CLIP = Op(
    "clip",
    scalar=_clip_scalar,
    array=lambda x, lo, hi: np.clip(x, lo, hi),
    series=_clip_series,
    vjps=(_clip_rule,),
    jvps=ELEMENTWISE,
    params=("lo", "hi"),
    function="clip",
    methods=("clip",),
    doc="""x limited to [lo, hi] (either may be None; numbers or arrays broadcasting with x,
    constants never differentiated). Derivative 1 inside, including the bounds. Raises
    ValueError when both are None, TypeError for a complex bound or a node as a bound.""",
)


def _column(g):
    """g with a new last axis of length 1: g[..., None] (batch axes kept)."""
    return g.reshape(_shape(g) + (1,))


def _matmul_da(g, out, a, b):
    # dA = G B^T, numpy's 1-d operands read as a row (a) or a column (b) vector. g may
    # carry batch axes in front (a batched sweep); each case keeps them and is one product.
    if b.ndim == 2 and g.__class__ is np.ndarray and b.__class__ is np.ndarray:
        return _matmul_da_raw(g, b)  # raw: the product below, without matmul's dispatch
    if b.ndim == 1:  # out (..., m) or (): dA[..., i, j] = g[..., i] b[j]
        return _column(g) * b
    if a.ndim == 1:  # out (..., p): dA = g B^T, the row axis dropped again
        if b.ndim == 2:
            return matmul(g, _mT(b))
        da = matmul(g.reshape(_shape(g)[:-1] + (1,) + _shape(g)[-1:]), _mT(b))
        return da.reshape(_shape(da)[:-2] + _shape(da)[-1:])
    return matmul(g, _mT(b))  # (..., m, n); broadcast batch axes are summed by the sweep


def _matmul_da_raw(g, b):
    """G B^T on raw arrays, b 2-d (a kernel)."""
    return np.matmul(g, b.T)


def _matmul_db(g, out, a, b):
    if a.ndim == 2 and b.ndim == 2 and g.__class__ is np.ndarray and a.__class__ is np.ndarray:
        return _matmul_db_raw(a, g)  # raw: the last line's product, without matmul's dispatch
    if a.ndim == 1:  # dB[..., i, j] = a[i] g[..., j] (b a matrix) or a[i] g (b a vector)
        if b.ndim == 1:
            return _column(g) * a
        return _column(a) * g.reshape(_shape(g)[:-1] + (1,) + _shape(g)[-1:])
    if b.ndim == 1:  # out (..., m): dB = A^T g, computed as g A
        if a.ndim == 2:
            return matmul(g, a)
        db = matmul(g.reshape(_shape(g)[:-1] + (1,) + _shape(g)[-1:]), a)
        return db.reshape(_shape(db)[:-2] + _shape(db)[-1:])
    return matmul(_mT(a), g)  # (..., n, p)


def _matmul_db_raw(a, g):
    """A^T G on raw arrays, a 2-d (and b, whose cotangent this is; a kernel)."""
    return np.matmul(a.T, g)


MATMUL = Op(
    "@",
    array=_matmul_array,
    series=lambda cs, out, a, b: _kept(_matmul_series(*cs, out), out),
    vjps=(_matmul_da, _matmul_db),
    jvps=(_matmul_ta, _matmul_tb),
    function="matmul",
    doc="""Matrix product with numpy.matmul semantics: 1-d, 2-d and batched (broadcast) operands.

    Shapes (..., m, n) @ (..., n, p) -> (..., m, p); a 1-d operand is a row
    (left) or a column (right) vector whose added axis is dropped again.
    Raises ValueError naming both shapes when they do not align.
    Derivatives: dA = G B^T, dB = A^T G.
    """,
)


def _linear_array(x, w, b):
    return _matmul_array(x, w.T) + b


def _linear_dw(g, out, x, w, b):
    # sum over every leading axis of x of g^T x: (out, in), behind g's batch axes if any
    lead = _batch_of(g, len(_shape(out)))
    return matmul(_mT(g.reshape(lead + (-1, _shape(g)[-1]))), x.reshape((-1, _shape(x)[-1])))


LINEAR = Op(
    "linear",
    array=_linear_array,
    series=lambda cs, out, x, w, b: _kept(
        _matmul_series(cs[0], _mT(cs[1]), out) + S.lifted(cs[2], np.ndim(out)), out
    ),
    vjps=(
        lambda g, out, x, w, b: matmul(g, w),  # (..., in)
        _linear_dw,
        lambda g, out, x, w, b: g,  # the backward pass sums it down to the bias's shape
    ),
    jvps=(
        lambda t, out, x, w, b: matmul(t, _mT(w)),
        lambda t, out, x, w, b: matmul(x, _mT(t)),
        lambda t, out, x, w, b: t,  # the sweep broadcasts it to the output's shape
    ),
    function="linear",
    doc="""x W^T + b in one op (as `torch.nn.functional.linear`): one node instead of three.

    x: (..., in); weight: (out, in); bias: (out,) or None. Returns (..., out).
    Derivatives: dx = G W, dW = sum over the batch of G^T x, db = sum of G.
    Raises ValueError naming the shapes when x's last axis is not `in`.
    """,
)


def _spread(g, shape):
    """g broadcast to `shape`, its batch axes kept in front.

    A raw g is copied into a new array (a few times quicker than numpy's broadcast view
    for the small arrays of a training step's loss)."""
    shape = _batch_of(g, len(shape)) + tuple(shape)
    if g.__class__ is not np.ndarray:
        return broadcast_to(g, shape)
    return _filled(shape, g)


def _filled(shape, g):
    """A new array of `shape` and the raw g's dtype, holding g broadcast (a kernel)."""
    out = np.empty(shape, g.dtype)
    out[...] = g
    return out


SUM = Op(
    "sum",
    array=_reduction(np.sum),
    series=lambda cs, out, x, axis, keepdims: np.sum(
        cs[0], axis=_leading(axis, np.ndim(x)), keepdims=keepdims
    ),
    vjps=(
        lambda g, out, x, axis, keepdims: _spread(
            _expand_reduced(g, _shape(x), axis, keepdims), _shape(x)
        ),
    ),
    jvps=(lambda t, out, x, axis, keepdims: sum(t, _tangent_axes(axis, x), keepdims),),
    params=("axis", "keepdims"),
    function="sum",
    doc="Sum over `axis` (int, tuple, or None for all), numpy semantics.",
)


def _mean_scale(shape, axis):
    """1 / (the number of elements reduced), nan when there are none (as numpy's mean of [])."""
    if axis is None:
        count = math.prod(shape)
    else:
        count = math.prod([shape[a] for a in _normalize_axes(axis, len(shape))])
    return 1.0 / count if count else np.nan


def _mean_array(x, axis, keepdims):
    x = np.asarray(x)
    return _mean_raw(_normalize_axes(axis, x.ndim), keepdims, _mean_scale(x.shape, axis), x)


def _mean_raw(axes, keepdims, scale, x):
    """The sum of an ndarray x over `axes` (normalized) times `scale`, an array (a kernel)."""
    return np.asarray(_sum(x, axis=axes, keepdims=keepdims) * scale)


def _mean_rule(g, out, x, axis, keepdims):
    # g / count, spread over the reduced elements.
    if axis is None and g.__class__ is np.ndarray and g.ndim == 0 and x.__class__ is np.ndarray:
        # raw, the mean of all: the lines below without the reshape of a 0-d g
        return _mean_all_rule_raw(_mean_scale(x.shape, None), x.shape, g)
    shape = _shape(x)
    return _spread(_expand_reduced(g * _mean_scale(shape, axis), shape, axis, keepdims), shape)


def _mean_all_rule_raw(scale, shape, g):
    """The mean of all's rule on a raw 0-d g: g * scale spread over `shape` (a kernel)."""
    return _filled(shape, np.asarray(g * scale))


MEAN = Op(
    "mean",
    array=_mean_array,
    series=lambda cs, out, x, axis, keepdims: (
        np.sum(cs[0], axis=_leading(axis, np.ndim(x)), keepdims=keepdims)
        * _mean_scale(np.shape(x), axis)
    ),
    vjps=(_mean_rule,),
    jvps=(lambda t, out, x, axis, keepdims: mean(t, _tangent_axes(axis, x), keepdims),),
    params=("axis", "keepdims"),
    function="mean",
    doc="""Mean over `axis` (int, tuple, or None for all): the sum times 1/count, numpy semantics.

    One op (drawn as `mean`), computing exactly what `sum(x, axis) * (1 / count)` would;
    nan over zero elements. Derivative: g / count, spread over the reduced elements.
    """,
)


def _extremum_rule(g, out, x, axis, keepdims):
    # The cotangent goes to the arg-max (or min) elements, shared evenly among ties.
    shape = _shape(x)
    x_raw, out_kept = _raw(x), _expand_reduced(_raw(out), shape, axis, keepdims)
    hit = (x_raw == out_kept) | (np.isnan(x_raw) & np.isnan(out_kept))  # NaN wins, as in PyTorch
    share = hit / np.sum(hit, axis=_normalize_axes(axis, len(shape)), keepdims=True)
    g_kept = _expand_reduced(g, shape, axis, keepdims)
    return g_kept * share.astype(np.result_type(_raw(x), np.float32))


MAX = Op(
    "max",
    array=_reduction(np.max),
    series=_extremum_reduced,
    vjps=(_extremum_rule,),
    jvps=(_reduction_jvp(_extremum_rule),),
    params=("axis", "keepdims"),
    function="max",
    doc="Largest element over `axis`; tied elements share the cotangent evenly.",
)
MIN = Op(
    "min",
    array=_reduction(np.min),
    series=_extremum_reduced,
    vjps=(_extremum_rule,),
    jvps=(_reduction_jvp(_extremum_rule),),
    params=("axis", "keepdims"),
    function="min",
    doc="Smallest element over `axis`; tied elements share the cotangent evenly.",
)


def _logsumexp_rule(g, out, x, axis, keepdims):
    # g softmax(x), with softmax as exp(log_softmax(x)): exp(x - out) would lose the
    # difference to rounding when |x| is large (x = [1e16, 1e16] gave [1, 1], not [0.5, 0.5]).
    return _expand_reduced(g, _shape(x), axis, keepdims) * exp(log_softmax(x, axis))


LOGSUMEXP = Op(
    "logsumexp",
    array=_logsumexp_array,
    series=_logsumexp_series,
    vjps=(_logsumexp_rule,),
    jvps=(_logsumexp_jvp,),
    params=("axis", "keepdims"),
    quiet=True,
    function="logsumexp",
    doc="""log(sum(exp(x))) over `axis`, computed stably by shifting by the maximum.

    A Value (one element) is its own logsumexp. Derivative: softmax(x).
    """,
)


LOG_SOFTMAX = Op(
    "log_softmax",
    array=_log_softmax_array,
    series=_log_softmax_series,
    vjps=(_log_softmax_rule,),
    jvps=(lambda t, out, x, axis: t - sum(t * exp(out), _tangent_axes(axis, x), keepdims=True),),
    params=("axis",),
    quiet=True,
    function="log_softmax",
    doc="""log(softmax(x)) along `axis` (default the last; an int or a tuple), as one op.

    Computed as (x - m) - log(sum(exp(x - m))) with m the maximum, so it keeps full
    precision for large logits. Same shape as x. Derivative: g - softmax(x) sum(g).
    A Value (one element) gives 0.
    """,
)


def _direction_array(x, axis):
    n = _norm2_array(x, axis, True)
    return x / np.where(n == 0, 1.0, n)


def _direction_rule(g, out, x, axis):
    # d(x / |x|) applied to g: (g - u <u, g>) / |x|, u = x / |x|. At x = 0 the direction has
    # no derivative (the norm's second derivative is unbounded there): NaN, as in PyTorch.
    n = norm(x, 2, axis, keepdims=True)
    axes = _from_end(axis, len(_shape(x)))
    return (g - out * sum(g * out, axes, keepdims=True)) / where(_raw(n) == 0, np.nan, n)


#: x / ||x|| over `axis`, 0 where the norm is 0: the 2-norm's gradient, as an op of its own so
#: that its derivative at 0 is NaN (a finite answer there would be wrong), not 1/1.
DIRECTION = Op(
    "direction",
    array=_direction_array,
    series=_direction_series,
    vjps=(_direction_rule,),
    jvps=(lambda t, out, x, axis: _direction_rule(t, out, x, _tangent_axes(axis, x)),),
    params=("axis",),
    quiet=True,
    doc="x / ||x|| over `axis` (kept), 0 where the norm is 0.",
)


def _norm2_rule(g, out, x, axis, keepdims):
    # x / ||x||, taking 0 where the norm is 0 (as PyTorch does) instead of 0/0.
    return _expand_reduced(g, _shape(x), axis, keepdims) * apply(DIRECTION, (x,), (axis,))


NORM2 = Op(
    "norm",
    array=_norm2_array,
    series=_norm2_series,
    vjps=(_norm2_rule,),
    jvps=(_reduction_jvp(_norm2_rule),),
    params=("axis", "keepdims"),
    quiet=True,
    doc="sqrt(sum x**2) over `axis`: the 2-norm, `norm`'s fast path (one node).",
)


def _pnorm_array(x, p, axis, keepdims):
    axes = _normalize_axes(axis, np.ndim(x))
    return np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdims) ** (1.0 / p)


def _pnorm_rule(g, out, x, p, axis, keepdims):
    # sign(x) (|x| / ||x||)**(p-1): the ratio is at most 1 where p > 1, so nothing
    # overflows. 0 where the norm is 0 or x_i = 0, selected, with 1 put in the branch not
    # taken (the double-where pattern), so no 0 * inf reaches a derivative.
    shape = _shape(x)
    n = _expand_reduced(out, shape, axis, keepdims)
    skip = (_raw(n) == 0) | (_raw(x) == 0)
    ratio = abs(where(skip, 1.0, x)) / where(skip, 1.0, n)
    cot = where(skip, 0.0, _expand_reduced(g, shape, axis, keepdims) * _sign(x) * ratio ** (p - 1))
    zero = _raw(x) == 0
    if p < 2 and isinstance(x, Node) and np.any(zero):
        # |x|**p has an unbounded second derivative at x_i = 0 when p < 2: a term that is 0
        # but whose derivative there is NaN (sqrt's at 0, times 0), as PyTorch's.
        cot = cot + where(zero, sqrt(abs(x)) * 0.0, 0.0)
    return cot


PNORM = Op(
    "pnorm",
    array=_pnorm_array,
    vjps=(_pnorm_rule,),
    jvps=(_reduction_jvp(_pnorm_rule),),
    params=("p", "axis", "keepdims"),
    quiet=True,
    doc="(sum |x|**p)**(1/p) over `axis`: the vector p-norm for a real p other than 0, 1, 2.",
)
RESHAPE = Op(
    "reshape",
    array=np.reshape,
    series=lambda cs, out, x, shape: cs[0].reshape((len(cs[0]),) + np.shape(out)),
    vjps=(lambda g, out, x, shape: g.reshape(_batch_of(g, len(_shape(out))) + _shape(x)),),
    jvps=(lambda t, out, x, shape: reshape(t, _batch_shape(t, x) + _shape(out)),),
    params=("shape",),
    function="reshape",
    doc="x with a new shape of the same size (numpy.reshape semantics, -1 allowed).",
)


def _transpose_back(g, n, axes):
    """The permutation undoing `transpose(axes)` of an array of n axes, for its cotangent g
    (g's batch axes, in front, stay)."""
    nb = len(_batch_of(g, n))
    back = range(n)[::-1] if axes is None else np.argsort([a % n for a in axes])
    return tuple(range(nb)) + tuple(nb + int(a) for a in back)


TRANSPOSE = Op(
    "transpose",
    array=np.transpose,
    series=_transpose_series,
    vjps=(lambda g, out, x, axes: g.transpose(_transpose_back(g, len(_shape(x)), axes)),),
    jvps=(_transpose_jvp,),
    params=("axes",),
)
BROADCAST_TO = Op(
    "broadcast_to",
    array=np.broadcast_to,
    series=lambda cs, out, x, shape: np.broadcast_to(
        S.lifted(cs[0], len(shape)), (len(cs[0]),) + tuple(shape)
    ),
    vjps=(lambda g, out, x, shape: g,),  # the backward pass sums it back to x's shape
    jvps=(lambda t, out, x, shape: t,),  # the sweep broadcasts it to `shape`
    params=("shape",),
    function="broadcast_to",
    doc="x broadcast to `shape` (numpy.broadcast_to); the derivative sums back.",
)
ASTYPE = Op(
    "astype",
    array=lambda x, dtype: x.astype(dtype),
    series=lambda cs, out, x, dtype: cs[0],
    vjps=(lambda g, out, x, dtype: g,),  # the backward pass casts it back to x's dtype
    jvps=(lambda t, out, x, dtype: t,),  # the sweep casts it to `dtype`
    params=("dtype",),
)


def _getitem_vjp(g, out, x, index):
    # g scattered into zeros of x's shape; batch axes of g are moved to the end first, so
    # the index addresses the same axes whatever it holds (advanced indices, None, ...).
    shape = _shape(x)
    gb, nb = _batch_last(g, len(_shape(out)))
    if not nb:
        return _scatter(g, index, shape)
    batch = _shape(g)[:nb]
    return _batch_first(_scatter(gb, _index_batched(index, len(shape)), shape + batch), nb)


def _scatter_vjp(g, index, shape):
    gb, nb = _batch_last(g, len(shape))
    if not nb:
        return g[index]
    return _batch_first(gb[_index_batched(index, len(shape))], nb)


GETITEM = Op(
    "getitem",
    array=lambda x, index: x[index],
    series=_getitem_series,
    vjps=(lambda g, out, x, index: _getitem_vjp(g, out, x, index),),
    jvps=(_getitem_jvp,),
    params=("index",),
)
SCATTER = Op(
    "scatter",
    array=_scatter_array,
    series=_scatter_series,
    vjps=(lambda g, out, x, index, shape: _scatter_vjp(g, index, shape),),
    jvps=(_scatter_jvp,),
    params=("index", "shape"),
)


def _concat_rule(g, out, *args):
    # Every input's cotangent at once: the slice of g each input filled.
    *xs, axis = args
    axis = _normalize_axes(axis, len(_shape(out)))[0]
    lead = (slice(None),) * (axis + len(_batch_of(g, len(_shape(out)))))
    cotangents, start = [], 0
    for x in xs:
        stop = start + _shape(x)[axis]
        cotangents.append(g[lead + (slice(start, stop),)])
        start = stop
    return cotangents


def _stack_rule(g, out, *args):
    axis = _normalize_axes(args[-1], len(_shape(out)))[0]
    lead = (slice(None),) * (axis + len(_batch_of(g, len(_shape(out)))))
    return [g[lead + (i,)] for i in range(len(args) - 1)]


CONCATENATE = Op(
    "concatenate",
    array=lambda *a: np.concatenate(a[:-1], axis=a[-1]),
    series=_joined_series(np.concatenate),
    vjps=(_concat_rule,),
    jvps=(_concat_jvp,),
    params=("axis",),
    variadic=True,
    function="concatenate",
    doc="Join a sequence of arrays along an existing axis (numpy.concatenate).",
)
STACK = Op(
    "stack",
    array=lambda *a: np.stack(a[:-1], axis=a[-1]),
    series=_joined_series(np.stack),
    vjps=(_stack_rule,),
    jvps=(_stack_jvp,),
    params=("axis",),
    variadic=True,
    function="stack",
    doc="Join a sequence of same-shaped arrays along a new axis (numpy.stack).",
)


# A Value meeting a Tensor becomes a 0-d Tensor, recorded, so its cotangent comes back as a
# float; the reverse op turns a one-element Tensor cotangent into a Value under create_graph.
def _as_tensor_vjp(g, out, x, dtype):
    # A float (a Value when recorded) for the Value; in a batched sweep g has shape (B,)
    # and the Value's cotangent is that batch, an array (a Tensor when recorded): the rules
    # of Value ops broadcast over it as any rule over batch axes.
    if np.ndim(_raw(g)):
        return g if isinstance(g, Node) else np.asarray(g, dtype=np.float64)
    return g._as_value() if isinstance(g, Node) else float(g)


AS_TENSOR = Op(
    "as_tensor",
    array=lambda x, dtype: np.asarray(x, dtype=dtype),
    series=lambda cs, out, x, dtype: cs[0].reshape((len(cs[0]),)),
    vjps=(_as_tensor_vjp,),
    jvps=(_as_tensor_jvp,),
    params=("dtype",),
    doc="""A Value as a 0-d Tensor of `dtype`; its cotangent goes back as a float.

    The dtype is that of the arrays the Value meets (float64 alone): like a Python number,
    a Value never widens a float32 or float16 array (as a Python float in numpy and
    PyTorch).""",
)
AS_VALUE = Op(
    "as_value",
    array=lambda x: np.asarray(x, dtype=np.float64).reshape(()),
    series=lambda cs, out, x: cs[0].reshape((len(cs[0]),)),
    vjps=(
        lambda g, out, x: (
            g._as_tensor(np.result_type(_raw(x)))
            if isinstance(g, Node)
            else np.asarray(g, dtype=np.result_type(x))
        ).reshape(_shape(g) + _shape(x)),
    ),
    jvps=(_as_value_jvp,),
    doc="A one-element Tensor as a Value (the reverse of as_tensor).",
)

#: Every op declared above, in order: what the rest of the package reads its metadata from.
OPS = tuple(op for op in list(globals().values()) if isinstance(op, Op))


# ---------------------------------------------------------------------------------------
# Dispatch: one function per op that runs on a Value, a Tensor, or raw numbers and arrays.


def _is_scalar(x):
    return type(x) is float or type(x) is int or type(x) is bool


def as_float(x: numbers.Real) -> float:
    """float(x) for a real number, overflowing as IEEE does: a Python int (or Fraction)
    beyond the float range is ±inf where `float` raises OverflowError.

    numpy and PyTorch raise there too; the README promises IEEE results instead.
    Callers try `float(x)` first and come here only when it raised (the slow path).
    """
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def as_real_array(data) -> np.ndarray:
    """`np.asarray(data)`, but Python ints numpy cannot hold (past int64 and uint64)
    become float64 (±inf past the float range, `as_float`), not an object array."""
    arr = np.asarray(data)
    if arr.dtype == object:
        flat = arr.ravel()
        if builtins.all(isinstance(e, numbers.Real) for e in flat):
            return np.array([as_float(e) for e in flat], dtype=np.float64).reshape(arr.shape)
    return arr


_COMPLEX = (complex, np.complexfloating)


def complex_error(what: str, x) -> TypeError:
    """The TypeError for complex data met by `what` (an op, a constructor): autograd_lite
    differentiates functions of real numbers only."""
    kind = f"an array of dtype {x.dtype}" if isinstance(x, np.ndarray) else repr(x)
    return TypeError(
        f"{what}: complex numbers are not supported (autograd_lite differentiates functions "
        f"of real numbers), got {kind}"
    )


def real_array(data, what: str) -> np.ndarray:
    """Numbers, lists or arrays as a real ndarray: float16, float32 and float64 arrays as
    they are, any other real dtype as float64 (`as_real_array` for Python ints past int64).

    Raises TypeError for complex data (`complex_error`) and for data that is not numbers.
    """
    try:
        arr = as_real_array(data)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} must be numeric, got {data!r} ({e})") from None
    if arr.dtype in FLOATS:
        return arr
    if arr.dtype.kind == "c" or (
        arr.dtype == object and builtins.any(isinstance(e, _COMPLEX) for e in arr.ravel())
    ):
        raise complex_error(what, arr if np.ndim(data) else data)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be real numbers, got dtype {arr.dtype} from {data!r}")
    return arr.astype(np.float64)


def array_operand(x, what: str, values: bool = False):
    """`x` as the operand of an array function (a reduction, a shape function, a product):
    a Tensor as it is; a Value as a 0-d Tensor (numpy sees a 0-d array), or as it is if
    `values`; a list holding nodes stacked with its history; anything else `real_array`
    (complex data refused naming `what`)."""
    if isinstance(x, Node):
        return x if values or isinstance(x._data, np.ndarray) else x._as_tensor()
    if isinstance(x, (list, tuple)) and _contains_node(x):
        return _stacked(x)
    return real_array(x, what)


def as_shape(values) -> tuple:
    """A shape or axes given as a sequence (a tuple, a list, an array) as a tuple of its
    items; a compiled function compares an array given so at every call (jit.py)."""
    return tuple(values)


def _tame(x):
    """A raw operand or bound with Python ints numpy cannot hold turned to floats."""
    if isinstance(x, list):
        return as_real_array(x)
    if type(x) is int and not -(2**63) <= x < 2**64:
        return as_float(x)
    return x


def apply(op: Op, args: Sequence, params: tuple = ()) -> Operand:
    """Run `op` on `args`: recorded on the node type among them, else on raw data.

    Plain Python numbers give a Python float with IEEE semantics (1/0 = inf,
    log(0) = -inf, an int beyond the float range = ±inf, never an exception);
    anything else is computed with numpy. Complex data raises TypeError naming the op
    (`complex_error`): checked here for raw data, by the node types for theirs.
    """
    sequences = False
    for a in args:
        if isinstance(a, Node):
            return type(a)._apply(op, args, params)
        if a.__class__ is list or a.__class__ is tuple:
            sequences = True
    if sequences:  # a list of nodes is stacked into a Tensor with history, never a constant
        stacked = [_stacked(a) if isinstance(a, (list, tuple)) else a for a in args]
        if builtins.any(isinstance(a, Node) for a in stacked):
            return apply(op, stacked, params)
    if op.scalar is not None and builtins.all(_is_scalar(a) for a in args):
        try:
            raws = [float(a) for a in args]
        except OverflowError:
            raws = [as_float(a) for a in args]
        return scalar_forward(op, raws, params)
    raws = []
    for a in args:  # the raw operands checked: real numbers only
        cls = a.__class__
        if cls is np.ndarray:
            if a.dtype.kind == "c":
                raise complex_error(op.name, a)
        elif cls is list or cls is tuple:
            a = real_array(a, op.name)
        elif cls is not float and isinstance(a, _COMPLEX):
            raise complex_error(op.name, a)
        raws.append(a)
    with np.errstate(all="ignore"):
        try:
            return op.array(*raws, *params)
        except OverflowError:  # a Python int numpy cannot hold (the slow path)
            return op.array(*[np.asarray(_tame(a), dtype=float) for a in raws], *params)


def _contains_node(seq):
    return builtins.any(
        isinstance(x, Node) or (isinstance(x, (list, tuple)) and _contains_node(x)) for x in seq
    )


def _stacked(seq):
    """A list or tuple as an operand: stacked differentiably if it holds nodes, else as is."""
    if not _contains_node(seq):
        return seq
    return stack([_stacked(x) if isinstance(x, (list, tuple)) else x for x in seq])


def scalar_forward(op: Op, raws: Sequence[float], params: tuple = ()) -> float:
    """`op` on Python floats: the fast `math` forward, or numpy's IEEE result where it raises."""
    if op.scalar is not None:
        try:
            return op.scalar(*raws, *params)
        except (ArithmeticError, ValueError):
            pass
    with np.errstate(all="ignore"):
        return float(op.array(*[np.float64(r) for r in raws], *params))


def _documents(op):
    """Decorator: the function is `op`'s public function; its docstring is the declaration's."""

    def attach(fn):
        assert fn.__name__ == op.function, (fn.__name__, op)
        fn.__doc__ = op.doc
        return fn

    return attach


def _function(op):
    """The public function of an op whose arguments are its inputs: `exp(x)`, `maximum(x, y)`."""
    if op.arity == 1:

        def function(x: Operand) -> Operand:
            return apply(op, (x,))

    else:

        def function(x: Operand, y: Operand) -> Operand:
            return apply(op, (x, y))

    function.__name__ = function.__qualname__ = op.function
    return _documents(op)(function)


exp = _function(EXP)
log = _function(LOG)
sqrt = _function(SQRT)
sin = _function(SIN)
cos = _function(COS)
tanh = _function(TANH)
sigmoid = _function(SIGMOID)
softplus = _function(SOFTPLUS)
log1p = _function(LOG1P)
expm1 = _function(EXPM1)
log2 = _function(LOG2)
log10 = _function(LOG10)
exp2 = _function(EXP2)
square = _function(SQUARE)
reciprocal = _function(RECIPROCAL)
sign = _function(SIGN)
floor = _function(FLOOR)
ceil = _function(CEIL)
round = _function(ROUND)
tan = _function(TAN)
sinh = _function(SINH)
cosh = _function(COSH)
arcsin = _function(ARCSIN)
arccos = _function(ARCCOS)
arctan = _function(ARCTAN)
arcsinh = _function(ARCSINH)
arccosh = _function(ARCCOSH)
arctanh = _function(ARCTANH)
sinc = _function(SINC)
deg2rad = _function(DEG2RAD)
rad2deg = _function(RAD2DEG)
relu = _function(RELU)
abs = _function(ABS)
power = _function(POW)
maximum = _function(MAXIMUM)
minimum = _function(MINIMUM)
arctan2 = _function(ARCTAN2)
hypot = _function(HYPOT)
logaddexp = _function(LOGADDEXP)
mod = _function(MOD)
matmul = _function(MATMUL)


@_documents(WHERE)
def where(cond, x: Operand, y: Operand) -> Operand:
    raw = _raw(cond)
    if type(raw) is bool and not (_is_array(x) or _is_array(y)):
        return x if raw else y
    return apply(WHERE, (x, y), (_as_mask(cond),))


def _as_mask(cond):
    """`where`'s condition (a node or raw: bools, or numbers read as nonzero) as a bool array."""
    return np.asarray(_raw(cond), dtype=bool)


@_documents(CLIP)
def clip(x: Operand, lo: float | None = None, hi: float | None = None) -> Operand:
    if lo is None and hi is None:
        raise ValueError("clip needs at least one of lo and hi")
    for name, bound in (("lo", lo), ("hi", hi)):
        if isinstance(bound, Node):
            raise TypeError(
                f"clip: {name}= is a {type(bound).__name__}, but the bounds are constants "
                "(numbers or arrays, never differentiated); to clip by a node use "
                "al.maximum(x, lo) / al.minimum(x, hi), which differentiate both sides"
            )
        if np.iscomplexobj(bound):
            raise complex_error("clip", bound)
    return apply(CLIP, (x,), (_tame(lo), _tame(hi)))


@_documents(LINEAR)
def linear(x: Operand, weight: Operand, bias: Operand | None = None) -> Operand:
    return apply(LINEAR, (x, weight, 0.0 if bias is None else bias))


def outer(a: Operand, b: Operand) -> Operand:
    """Outer product: a flattened to a column times b flattened to a row, shape (a.size, b.size)."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


@_documents(RESHAPE)
def reshape(x: Operand, shape: tuple[int, ...]) -> Operand:
    if not isinstance(x, Node):
        return np.reshape(real_array(x, "reshape"), shape)
    return array_operand(x, "reshape").reshape(shape)  # a Value as a 0-d Tensor


@_documents(BROADCAST_TO)
def broadcast_to(x: Operand, shape: tuple[int, ...]) -> Operand:
    shape = (shape,) if isinstance(shape, numbers.Integral) else as_shape(shape)  # or an int
    if tuple(_shape(x)) == shape:
        return x
    x = array_operand(x, "broadcast_to") if isinstance(x, Node) else x  # a Value: 0-d Tensor
    return apply(BROADCAST_TO, (x,), (shape,))


def _scatter(g, index, shape):
    """Zeros of `shape` with g added at `index` (repeated indices accumulate): x[index]'s vjp."""
    if g.__class__ is np.ndarray:  # raw: the forward itself, without apply's dispatch
        return _scatter_array(g, index, tuple(shape))
    return apply(SCATTER, (g,), (index, tuple(shape)))


def _is_value(x):
    """A scalar node: its sum, mean, max, min and logsumexp are itself."""
    return isinstance(x, Node) and not isinstance(x._data, np.ndarray)


def _is_reduced_value(x, axis):
    """`_is_value(x)`, after checking `axis` as for a 0-d array (only None or () fit)."""
    if not _is_value(x):
        return False
    _normalize_axes(axis, 0)
    return True


@_documents(SUM)
def sum(x: Operand, axis: Axis = None, keepdims: bool = False) -> Operand:
    if _is_reduced_value(x, axis):
        return x
    return apply(SUM, (x,), (axis, keepdims))


@_documents(MEAN)
def mean(x: Operand, axis: Axis = None, keepdims: bool = False) -> Operand:
    if _is_reduced_value(x, axis):
        return x
    return apply(MEAN, (x,), (axis, keepdims))


@_documents(MAX)
def max(x: Operand, axis: Axis = None, keepdims: bool = False) -> Operand:
    if _is_reduced_value(x, axis):
        return x
    return apply(MAX, (x,), (axis, keepdims))


@_documents(MIN)
def min(x: Operand, axis: Axis = None, keepdims: bool = False) -> Operand:
    if _is_reduced_value(x, axis):
        return x
    return apply(MIN, (x,), (axis, keepdims))


@_documents(LOGSUMEXP)
def logsumexp(x: Operand, axis: Axis = None, keepdims: bool = False) -> Operand:
    if _is_reduced_value(x, axis):
        return x
    return apply(LOGSUMEXP, (x,), (axis, keepdims))


def softmax(x: Operand, axis: Axis = -1) -> Operand:
    """exp(x) / sum(exp(x)) along `axis` (default the last), as exp(log_softmax(x)).

    Same shape as x; each slice along `axis` sums to 1, also for large logits.
    """
    return exp(log_softmax(x, axis))


@_documents(LOG_SOFTMAX)
def log_softmax(x: Operand, axis: Axis = -1) -> Operand:
    if _is_reduced_value(x, None if axis == -1 else axis):  # -1, the default, fits a Value
        return x - x
    return apply(LOG_SOFTMAX, (x,), (axis,))


def norm(x: Operand, ord: float | None = 2, axis: Axis = None, keepdims: bool = False) -> Operand:
    """Vector norm of x over `axis` (None: all elements; a tuple: those axes jointly), as
    torch.linalg.vector_norm: ord 2 (the default; Euclidean), 1, inf (max |x|), -inf
    (min |x|), 0 (the number of nonzero elements) or any other real p, (sum |x|**p)**(1/p).
    Shape: x's without `axis` (kept as 1 with keepdims). `autograd_lite.norm` is numpy's
    norm (matrix norms too); this is the Tensor method and `linalg.vector_norm`.

    Gradients as PyTorch: x/||x|| for ord 2 and sign(x) |x|**(p-1) / ||x||**(p-1) for p,
    taken as 0 where the norm is 0 and where x_i = 0 (there, for p < 2, the second
    derivative is unbounded: NaN, as PyTorch's); sign(x) (0 at 0) for ord 1; an even split
    among tied extrema for ±inf; 0 for ord 0. Tested against PyTorch to second order.
    Raises ValueError for an ord that is not a real number or ±inf.
    """
    if ord is None or ord == 2:
        if _is_reduced_value(x, axis):
            return abs(x)
        return apply(NORM2, (x,), (axis, keepdims))
    p = _norm_order(ord)
    if p == 1:
        return sum(abs(x), axis, keepdims)
    if p == np.inf:
        return max(abs(x), axis, keepdims)
    if p == -np.inf:
        return min(abs(x), axis, keepdims)
    x = x._as_tensor() if _is_value(x) else x
    if p == 0:  # numpy counts x != 0 (NaN included); a count has derivative 0
        return sum(where(np.isnan(_raw(x)), 1.0, abs(sign(x))), axis, keepdims)
    return apply(PNORM, (x,), (p, axis, keepdims))


def _norm_order(ord):
    """A vector norm's ord as a float, or ValueError naming it."""
    try:
        p = float(ord)  # also "inf" and "-inf", as before
    except (TypeError, ValueError):
        p = math.nan
    if isinstance(ord, bool) or math.isnan(p):
        raise ValueError(f"norm: ord must be a real number or ±inf for a vector norm, got {ord!r}")
    return p


def _joinable(op, xs):
    """The sequence xs as a list for concatenate or stack; Values become 0-d Tensors."""
    if isinstance(xs, (Node, np.ndarray)):
        raise TypeError(f"{op.name} takes a sequence of arrays, got a {type(xs).__name__}")
    xs = list(xs)
    if not xs:
        raise ValueError(f"{op.name} needs at least one array")
    return [x._as_tensor() if _is_value(x) else x for x in xs]


@_documents(CONCATENATE)
def concatenate(xs: Sequence[Operand], axis: int | None = 0) -> Operand:
    xs = _joinable(CONCATENATE, xs)
    if axis is None:  # numpy: flatten every array, then join
        xs, axis = [reshape(x, (-1,)) for x in xs], 0
    return apply(CONCATENATE, xs, (axis,))


@_documents(STACK)
def stack(xs: Sequence[Operand], axis: int = 0) -> Operand:
    xs = _joinable(STACK, xs)
    return apply(STACK, xs, (axis,))


# ---------------------------------------------------------------------------------------
# The operators and methods, generated once for both node types from the declarations.


def _method(op, name):
    """The method `name` of Value and Tensor for `op`, documented by the declaration."""
    if op.params:  # the public function checks the parameters; it works as a method
        return globals()[op.function]
    if name.startswith("__r"):  # a reflected operator: the node is the second operand

        def method(self, other):
            return self._binary(op, other, self)

    elif op.arity == 2:

        def method(self, other):
            return self._binary(op, self, other)

    else:

        def method(self):
            return self._unary(op, self)

    method.__name__ = name
    method.__qualname__ = f"Arithmetic.{name}"
    method.__doc__ = op.doc
    return method


class Arithmetic:
    """Operators and elementwise methods shared by `Value` and `Tensor`.

    The methods are made from the op declarations (their `methods` field): each
    calls the node type's own `_unary(op, x)` / `_binary(op, a, b)`, which run
    the op's forward on floats or arrays and record the node. Comparisons
    compare data and are never recorded: plain bools for a Value, bool arrays
    for a Tensor.
    """

    __slots__ = ()

    def __pos__(self):
        return self

    def __eq__(self, other):
        return self._data == _raw(other)

    def __ne__(self, other):
        return self._data != _raw(other)

    def __lt__(self, other):
        return self._data < _raw(other)

    def __le__(self, other):
        return self._data <= _raw(other)

    def __gt__(self, other):
        return self._data > _raw(other)

    def __ge__(self, other):
        return self._data >= _raw(other)

    __hash__ = object.__hash__  # by identity: nodes key dicts and sets


for _op in OPS:
    for _name in _op.methods:
        setattr(Arithmetic, _name, _method(_op, _name))
del _op, _name

#: The op functions of the public API: each declared op's, then those composed of others.
__all__ = [op.function for op in OPS if op.function] + [
    "norm",
    "outer",
    "softmax",
]
