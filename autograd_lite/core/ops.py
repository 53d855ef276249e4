"""Every operation once: its forward and its derivative rule, side by side.

Each `Op` carries a forward on Python floats (`scalar`, used by `Value`), a
forward on numpy arrays (`array`, used by `Tensor`), and one vjp rule per
differentiable input. A rule is `rule(g, out, *inputs, *params)` and returns
the cotangent for its input. Rules use only operators and the functions of
this module, which accept raw floats and arrays as well as `Value`s and
`Tensor`s; so the same rule runs fast on raw data and, with
`create_graph=True`, records a graph that can be differentiated again.

Reducing a cotangent to its input's shape after broadcasting is not done in the
rules: the backward pass does it once for every rule (`Tensor._fit`).

Conventions at points where a derivative is undefined follow PyTorch:
relu'(0) = 0, |x|'(0) = 0, sqrt'(0) = inf, d/dx x**0 = 0 (also at x = 0),
d/db a**b = 0 at a = 0, and ties in max/min/maximum/minimum share the cotangent
evenly.
"""

from __future__ import annotations

import builtins
import functools
import math
import numbers
import operator

import numpy as np

from .graph import Node, Op

# ---------------------------------------------------------------------------------------
# Helpers for rules: raw data, masks and shapes (never differentiated).


def _raw(x):
    """The data of a node, or x itself when it is already raw."""
    return x.data if isinstance(x, Node) else x


def _is_array(x):
    """An ndarray, or a node holding one."""
    return isinstance(x.data if isinstance(x, Node) else x, np.ndarray)


def _passes(x):
    """1 where the cotangent passes relu (x > 0, and NaN), 0 where x <= 0: a mask, as data."""
    x = _raw(x)
    if type(x) is float:
        return 0.0 if x <= 0 else 1.0
    return ~(x <= 0)


def _shape(x):
    return np.shape(_raw(x))


def _tie_weight(a, b):
    """1 where a > b, 1/2 where a == b, 0 elsewhere: the share of a's cotangent in max(a, b)."""
    a, b = _raw(a), _raw(b)
    if type(a) is float and type(b) is float:
        return 1.0 if a > b else 0.5 if a == b else 0.0
    dtype = np.result_type(a, b, np.float32)
    return np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)).astype(dtype)


def _sign(x):
    """Sign of x as data: -1, 0 or 1 (NaN stays NaN), the derivative of |x|."""
    x = _raw(x)
    if type(x) is float:
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x
    return np.sign(x)


def _normalize_axes(axis, ndim):
    """Reduction axes as a sorted tuple of non-negative ints; None means all."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else axis
    if not isinstance(axes, (tuple, list)) or any(
        isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes
    ):
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(int(a) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def _keep(g, shape, axis, keepdims):
    """Reshape the cotangent of a reduction so it broadcasts against the input's shape."""
    if keepdims:
        return g
    axes = _normalize_axes(axis, len(shape))
    return g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _mT(x):
    """Swap the last two axes."""
    return x.swapaxes(-1, -2)


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


def _reduce(fn):
    def forward(x, axis, keepdims):
        return np.asarray(fn(x, axis=_normalize_axes(axis, np.ndim(x)), keepdims=keepdims))

    return forward


def _logsumexp_array(x, axis, keepdims):
    axes = _normalize_axes(axis, np.ndim(x))
    m = np.max(x, axis=axes, keepdims=True) if np.size(x) else np.zeros((1,) * np.ndim(x))
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or inf/nan) along an axis: do not shift
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axes)


def _norm2_array(x, axis, keepdims):
    return np.sqrt(np.sum(x * x, axis=_normalize_axes(axis, np.ndim(x)), keepdims=keepdims))


def _scatter_array(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts):
        np.add.at(out, index, g)  # repeated integer indices accumulate
    else:
        out[index] = g
    return out


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
# The op table: name, one rule per differentiable input, scalar forward, array forward.

ADD = Op("+", (lambda g, out, x, y: g, lambda g, out, x, y: g), operator.add, np.add)
SUB = Op("-", (lambda g, out, x, y: g, lambda g, out, x, y: -g), operator.sub, np.subtract)
MUL = Op("*", (lambda g, out, x, y: g * y, lambda g, out, x, y: g * x), operator.mul, np.multiply)
DIV = Op(
    "/",
    (lambda g, out, x, y: g / y, lambda g, out, x, y: -(g * out) / y),
    operator.truediv,
    np.divide,
    quiet=True,
)


def _pow_dx(g, out, x, y):
    # y * x**(y - 1), with the exponent replaced by 1 where y == 0: the derivative of
    # x**0 is 0 even at x = 0, and stays 0 (not NaN) through every higher derivative.
    return g * y * power(x, where(_raw(y) == 0, 1.0, y - 1))


def _pow_dy(g, out, x, y):
    # out * log(x), with log(x) replaced by log(1) = 0 where x == 0 and y >= 0.
    x_raw, y_raw = _raw(x), _raw(y)
    return g * out * log(where((x_raw == 0) & (y_raw >= 0), 1.0, x))


POW = Op("**", (_pow_dx, _pow_dy), _pow_scalar, np.power, quiet=True)
NEG = Op("neg", (lambda g, out, x: -g,), operator.neg, np.negative)
EXP = Op("exp", (lambda g, out, x: g * out,), math.exp, np.exp, quiet=True)
LOG = Op("log", (lambda g, out, x: g / x,), math.log, np.log, quiet=True)
SQRT = Op("sqrt", (lambda g, out, x: g / (2 * out),), math.sqrt, np.sqrt, quiet=True)
SIN = Op("sin", (lambda g, out, x: g * cos(x),), math.sin, np.sin, quiet=True)
COS = Op("cos", (lambda g, out, x: -(g * sin(x)),), math.cos, np.cos, quiet=True)
TANH = Op("tanh", (lambda g, out, x: g * (1 - out * out),), math.tanh, np.tanh)
SIGMOID = Op("sigmoid", (lambda g, out, x: g * out * (1 - out),), _sigmoid_scalar, _sigmoid_array)
RELU = Op(
    "relu",
    (lambda g, out, x: g * _passes(x),),
    lambda x: 0.0 if x <= 0 else x,
    lambda x: np.maximum(x, 0),
)
ABS = Op("abs", (lambda g, out, x: g * _sign(x),), builtins.abs, np.abs)
MAXIMUM = Op(
    "maximum",
    (lambda g, out, x, y: g * _tie_weight(x, y), lambda g, out, x, y: g * _tie_weight(y, x)),
    _maximum_scalar,
    np.maximum,
)
MINIMUM = Op(
    "minimum",
    (lambda g, out, x, y: g * _tie_weight(y, x), lambda g, out, x, y: g * _tie_weight(x, y)),
    _minimum_scalar,
    np.minimum,
)
WHERE = Op(
    "where",
    (
        lambda g, out, x, y, cond: where(cond, g, 0.0),
        lambda g, out, x, y, cond: where(cond, 0.0, g),
    ),
    None,
    lambda x, y, cond: np.where(cond, x, y),
)


def _clip_rule(g, out, x, lo, hi):
    # The cotangent passes where lo <= x <= hi, the bounds included (PyTorch's clamp).
    x = _raw(x)
    inside = (x >= (-np.inf if lo is None else lo)) & (x <= (np.inf if hi is None else hi))
    return where(inside, g, 0.0)


CLIP = Op("clip", (_clip_rule,), _clip_scalar, lambda x, lo, hi: np.clip(x, lo, hi))


def _matmul_operands(g, a, b):
    """View 1-d operands of a matmul as matrices, as numpy does, and g to match."""
    a2 = a if a.ndim > 1 else a.reshape((1,) + a.shape)
    b2 = b if b.ndim > 1 else b.reshape(b.shape + (1,))
    if a.ndim == 1 and b.ndim == 1:
        g2 = g.reshape((1, 1))
    elif a.ndim == 1:
        g2 = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
    elif b.ndim == 1:
        g2 = g.reshape(g.shape + (1,))
    else:
        g2 = g
    return g2, a2, b2


def _matmul_da(g, out, a, b):
    g2, _, b2 = _matmul_operands(g, a, b)
    da = matmul(g2, _mT(b2))  # (..., m, n); batch axes are summed by the backward pass
    return da if a.ndim > 1 else da.reshape(da.shape[:-2] + da.shape[-1:])


def _matmul_db(g, out, a, b):
    g2, a2, _ = _matmul_operands(g, a, b)
    db = matmul(_mT(a2), g2)  # (..., n, p)
    return db if b.ndim > 1 else db.reshape(db.shape[:-1])


MATMUL = Op("@", (_matmul_da, _matmul_db), None, _matmul_array)


def _linear_array(x, w, b):
    return _matmul_array(x, w.T) + b


def _linear_dw(g, out, x, w, b):
    # sum over every leading (batch) axis of g^T x: (out, in)
    return matmul(_mT(g.reshape((-1, _shape(g)[-1]))), x.reshape((-1, _shape(x)[-1])))


LINEAR = Op(
    "linear",
    (
        lambda g, out, x, w, b: matmul(g, w),  # (..., in)
        _linear_dw,
        lambda g, out, x, w, b: g,  # the backward pass sums it down to the bias's shape
    ),
    None,
    _linear_array,
)

SUM = Op(
    "sum",
    (
        lambda g, out, x, axis, keepdims: broadcast_to(
            _keep(g, _shape(x), axis, keepdims), _shape(x)
        ),
    ),
    None,
    _reduce(np.sum),
)


def _extremum_rule(g, out, x, axis, keepdims):
    # The cotangent goes to the arg-max (or min) elements, shared evenly among ties.
    shape = _shape(x)
    x_raw, out_kept = _raw(x), _keep(_raw(out), shape, axis, keepdims)
    hit = (x_raw == out_kept) | (np.isnan(x_raw) & np.isnan(out_kept))  # NaN wins, as in PyTorch
    share = hit / np.sum(hit, axis=_normalize_axes(axis, len(shape)), keepdims=True)
    return _keep(g, shape, axis, keepdims) * share.astype(np.result_type(_raw(x), np.float32))


MAX = Op("max", (_extremum_rule,), None, _reduce(np.max))
MIN = Op("min", (_extremum_rule,), None, _reduce(np.min))
LOGSUMEXP = Op(
    "logsumexp",
    (
        lambda g, out, x, axis, keepdims: (
            _keep(g, _shape(x), axis, keepdims) * exp(x - _keep(out, _shape(x), axis, keepdims))
        ),
    ),
    None,
    _logsumexp_array,
    quiet=True,
)


def _norm2_rule(g, out, x, axis, keepdims):
    # x / ||x||, taking 0 where the norm is 0 (as PyTorch does) instead of 0/0.
    kept = _keep(out, _shape(x), axis, keepdims)
    return _keep(g, _shape(x), axis, keepdims) * x / where(_raw(kept) == 0, 1.0, kept)


NORM2 = Op("norm", (_norm2_rule,), None, _norm2_array, quiet=True)
RESHAPE = Op("reshape", (lambda g, out, x, shape: g.reshape(_shape(x)),), None, np.reshape)
TRANSPOSE = Op(
    "transpose",
    (lambda g, out, x, axes: g.transpose(None if axes is None else tuple(np.argsort(axes))),),
    None,
    np.transpose,
)
BROADCAST_TO = Op("broadcast_to", (lambda g, out, x, shape: g,), None, np.broadcast_to)
ASTYPE = Op("astype", (lambda g, out, x, dtype: g,), None, lambda x, dtype: x.astype(dtype))
GETITEM = Op(
    "getitem",
    (lambda g, out, x, index: scatter(g, index, _shape(x)),),
    None,
    lambda x, index: x[index],
)
SCATTER = Op("scatter", (lambda g, out, x, index, shape: g[index],), None, _scatter_array)


def _concat_rule(i, g, out, *args):
    *xs, axis = args
    axis = _normalize_axes(axis, len(_shape(out)))[0]
    start = builtins.sum(_shape(x)[axis] for x in xs[:i])
    stop = start + _shape(xs[i])[axis]
    return g[(slice(None),) * axis + (slice(start, stop),)]


def _stack_rule(i, g, out, *args):
    axis = _normalize_axes(args[-1], len(_shape(out)))[0]
    return g[(slice(None),) * axis + (i,)]


@functools.cache
def _concat_op(n):
    rules = [functools.partial(_concat_rule, i) for i in range(n)]
    return Op("concatenate", rules, None, lambda *a: np.concatenate(a[:-1], axis=a[-1]))


@functools.cache
def _stack_op(n):
    rules = [functools.partial(_stack_rule, i) for i in range(n)]
    return Op("stack", rules, None, lambda *a: np.stack(a[:-1], axis=a[-1]))


# ---------------------------------------------------------------------------------------
# Dispatch: one function per op that runs on a Value, a Tensor, or raw numbers and arrays.


def _is_scalar(x):
    return type(x) is float or type(x) is int or type(x) is bool


def as_float(x):
    """float(x) for a real number, overflowing as IEEE does: a Python int (or Fraction)
    beyond the float range is ±inf where `float` raises OverflowError.

    numpy and PyTorch raise there too; the README promises IEEE results instead.
    Callers try `float(x)` first and come here only when it raised (the slow path).
    """
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def as_real_array(data):
    """`np.asarray(data)`, but Python ints numpy cannot hold (past int64 and uint64)
    become float64 (±inf past the float range, `as_float`), not an object array."""
    arr = np.asarray(data)
    if arr.dtype == object:
        flat = arr.ravel()
        if builtins.all(isinstance(e, numbers.Real) for e in flat):
            return np.array([as_float(e) for e in flat], dtype=np.float64).reshape(arr.shape)
    return arr


def _tame(x):
    """A raw operand or bound with Python ints numpy cannot hold turned to floats."""
    if isinstance(x, list):
        return as_real_array(x)
    if type(x) is int and not -(2**63) <= x < 2**64:
        return as_float(x)
    return x


def apply(op, args, params=()):
    """Run `op` on `args`: recorded on the node type among them, else on raw data.

    Plain Python numbers give a Python float with IEEE semantics (1/0 = inf,
    log(0) = -inf, an int beyond the float range = ±inf, never an exception);
    anything else is computed with numpy.
    """
    for a in args:
        if isinstance(a, Node):
            return type(a)._apply(op, args, params)
    if op.scalar is not None and builtins.all(_is_scalar(a) for a in args):
        try:
            raws = [float(a) for a in args]
        except OverflowError:
            raws = [as_float(a) for a in args]
        return scalar_forward(op, raws, params)
    with np.errstate(all="ignore"):
        try:
            return op.array(
                *[np.asarray(a, dtype=float) if isinstance(a, list) else a for a in args], *params
            )
        except OverflowError:  # a Python int numpy cannot hold (the slow path)
            return op.array(*[np.asarray(_tame(a), dtype=float) for a in args], *params)


def scalar_forward(op, raws, params=()):
    """`op` on Python floats: the fast `math` forward, or numpy's IEEE result where it raises."""
    if op.scalar is not None:
        try:
            return op.scalar(*raws, *params)
        except (ArithmeticError, ValueError):
            pass
    with np.errstate(all="ignore"):
        return float(op.array(*[np.float64(r) for r in raws], *params))


def exp(x):
    """e**x elementwise. Derivative: exp(x)."""
    return apply(EXP, (x,))


def log(x):
    """Natural logarithm elementwise; log(0) = -inf, log(x < 0) = nan. Derivative: 1/x."""
    return apply(LOG, (x,))


def sqrt(x):
    """Square root elementwise; sqrt(x < 0) = nan. Derivative 1/(2 sqrt x), +inf at 0."""
    return apply(SQRT, (x,))


def sin(x):
    """Sine (radians) elementwise. Derivative: cos(x)."""
    return apply(SIN, (x,))


def cos(x):
    """Cosine (radians) elementwise. Derivative: -sin(x)."""
    return apply(COS, (x,))


def tanh(x):
    """Hyperbolic tangent elementwise, never overflows. Derivative: 1 - tanh(x)**2."""
    return apply(TANH, (x,))


def sigmoid(x):
    """Logistic function 1/(1 + e**-x), computed without overflow. Derivative: s(1 - s)."""
    return apply(SIGMOID, (x,))


def relu(x):
    """max(x, 0) elementwise; NaN stays NaN. Derivative 1 for x > 0, 0 for x <= 0 (PyTorch)."""
    return apply(RELU, (x,))


def abs(x):
    """|x| elementwise. Derivative sign(x), taken as 0 at x = 0 (PyTorch)."""
    return apply(ABS, (x,))


def power(x, y):
    """x**y elementwise (broadcasting); both may be differentiable.

    d/dx = y x**(y-1), taken as 0 where y == 0; d/dy = x**y log(x), taken as 0
    where x == 0 and y >= 0 (PyTorch's conventions). A negative x with a
    non-integer y gives nan.
    """
    return apply(POW, (x, y))


def maximum(x, y):
    """Elementwise max of x and y (broadcasting); a tie sends half the cotangent to each."""
    return apply(MAXIMUM, (x, y))


def minimum(x, y):
    """Elementwise min of x and y (broadcasting); a tie sends half the cotangent to each."""
    return apply(MINIMUM, (x, y))


def where(cond, x, y):
    """x where `cond` is true, else y (as numpy.where); `cond` is data, never differentiated.

    With a plain bool condition (the scalar case) this returns x or y itself.
    """
    cond = _raw(cond)
    if type(cond) is bool and not (_is_array(x) or _is_array(y)):
        return x if cond else y
    return apply(WHERE, (x, y), (np.asarray(cond, dtype=bool),))


def clip(x, lo=None, hi=None):
    """x limited to [lo, hi] (either may be None). Derivative 1 inside, including the bounds."""
    if lo is None and hi is None:
        raise ValueError("clip needs at least one of lo and hi")
    return apply(CLIP, (x,), (_tame(lo), _tame(hi)))


def matmul(a, b):
    """Matrix product with numpy.matmul semantics: 1-d, 2-d and batched (broadcast) operands.

    Shapes (..., m, n) @ (..., n, p) -> (..., m, p); a 1-d operand is a row
    (left) or a column (right) vector whose added axis is dropped again.
    Raises ValueError naming both shapes when they do not align.
    Derivatives: dA = G B^T, dB = A^T G.
    """
    return apply(MATMUL, (a, b))


def linear(x, weight, bias=None):
    """x W^T + b in one op (as `torch.nn.functional.linear`): one node instead of three.

    x: (..., in); weight: (out, in); bias: (out,) or None. Returns (..., out).
    Derivatives: dx = G W, dW = sum over the batch of G^T x, db = sum of G.
    Raises ValueError naming the shapes when x's last axis is not `in`.
    """
    return apply(LINEAR, (x, weight, 0.0 if bias is None else bias))


def dot(a, b):
    """Dot product of 1-d vectors (a scalar), or a matrix product for 2-d (as numpy.dot).

    Scalars are multiplied. Raises ValueError for operands of more than two axes
    (use `matmul`).
    """
    if np.ndim(_raw(a)) == 0 or np.ndim(_raw(b)) == 0:
        return a * b
    if np.ndim(_raw(a)) > 2 or np.ndim(_raw(b)) > 2:
        raise ValueError(
            f"dot takes operands of at most 2 axes, got shapes {_shape(a)} and {_shape(b)}; "
            "use matmul"
        )
    return matmul(a, b)


def outer(a, b):
    """Outer product: a flattened to a column times b flattened to a row, shape (a.size, b.size)."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def reshape(x, shape):
    """x with a new shape of the same size (numpy.reshape semantics, -1 allowed)."""
    if not isinstance(x, Node):
        return np.reshape(np.asarray(x, dtype=float), shape)
    return x.reshape(shape)


def broadcast_to(x, shape):
    """x broadcast to `shape` (numpy.broadcast_to); the derivative sums back."""
    if tuple(_shape(x)) == tuple(shape):
        return x
    return apply(BROADCAST_TO, (x,), (tuple(shape),))


def scatter(g, index, shape):
    """Zeros of `shape` with g added at `index` (repeated indices accumulate): x[index]'s vjp."""
    return apply(SCATTER, (g,), (index, tuple(shape)))


def _is_value(x):
    """A scalar node: its sum, mean, max, min and logsumexp are itself."""
    return isinstance(x, Node) and not isinstance(x.data, np.ndarray)


def sum(x, axis=None, keepdims=False):
    """Sum over `axis` (int, tuple, or None for all), numpy semantics."""
    if _is_value(x):
        return x
    return apply(SUM, (x,), (axis, keepdims))


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (int, tuple, or None for all): the sum divided by the count."""
    if _is_value(x):
        return x
    shape = _shape(x)
    count = int(np.prod([shape[a] for a in _normalize_axes(axis, len(shape))]))
    return sum(x, axis, keepdims) * (1.0 / count) if count else sum(x, axis, keepdims) * np.nan


def max(x, axis=None, keepdims=False):
    """Largest element over `axis`; tied elements share the cotangent evenly."""
    if _is_value(x):
        return x
    return apply(MAX, (x,), (axis, keepdims))


def min(x, axis=None, keepdims=False):
    """Smallest element over `axis`; tied elements share the cotangent evenly."""
    if _is_value(x):
        return x
    return apply(MIN, (x,), (axis, keepdims))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, computed stably by shifting by the maximum.

    A Value (one element) is its own logsumexp. Derivative: softmax(x).
    """
    if _is_value(x):
        return x
    return apply(LOGSUMEXP, (x,), (axis, keepdims))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (default the last), computed as exp(x - logsumexp(x))."""
    return exp(x - logsumexp(x, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably as x - logsumexp(x)."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def norm(x, ord=2, axis=None, keepdims=False):
    """Vector norm over `axis` (None: all elements): ord 2 (Euclidean), 1, or inf (max |x|).

    The gradient of the 2-norm is x/||x||, taken as 0 at x = 0 (PyTorch).
    Raises ValueError for any other ord.
    """
    if ord == 2:
        if _is_value(x):
            return abs(x)
        return apply(NORM2, (x,), (axis, keepdims))
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if ord in (np.inf, "inf"):
        return max(abs(x), axis, keepdims)
    raise ValueError(f"norm: ord must be 1, 2 or inf, got {ord!r}")


def concatenate(xs, axis=0):
    """Join a sequence of arrays along an existing axis (numpy.concatenate)."""
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate needs at least one array")
    if builtins.any(_is_value(x) for x in xs):
        raise TypeError("concatenate joins Tensors or arrays, not Values; make a Tensor first")
    if axis is None:  # numpy: flatten every array, then join
        xs, axis = [reshape(x, (-1,)) for x in xs], 0
    return apply(_concat_op(len(xs)), xs, (axis,))


def stack(xs, axis=0):
    """Join a sequence of same-shaped arrays along a new axis (numpy.stack)."""
    xs = list(xs)
    if not xs:
        raise ValueError("stack needs at least one array")
    if builtins.any(_is_value(x) for x in xs):
        raise TypeError("stack joins Tensors or arrays, not Values; make a Tensor first")
    return apply(_stack_op(len(xs)), xs, (axis,))


# ---------------------------------------------------------------------------------------
# The operators, written once for both node types.


class Arithmetic:
    """Operators and elementwise methods shared by `Value` and `Tensor`.

    Each calls the node type's own `_unary(op, x)` / `_binary(op, a, b)`, which
    run the op's forward on floats or arrays and record the node. Comparisons
    compare data and are never recorded: plain bools for a Value, bool arrays
    for a Tensor.
    """

    __slots__ = ()

    def __add__(self, other):
        return self._binary(ADD, self, other)

    def __radd__(self, other):
        return self._binary(ADD, other, self)

    def __sub__(self, other):
        return self._binary(SUB, self, other)

    def __rsub__(self, other):
        return self._binary(SUB, other, self)

    def __mul__(self, other):
        return self._binary(MUL, self, other)

    def __rmul__(self, other):
        return self._binary(MUL, other, self)

    def __truediv__(self, other):
        return self._binary(DIV, self, other)

    def __rtruediv__(self, other):
        return self._binary(DIV, other, self)

    def __pow__(self, other):
        return self._binary(POW, self, other)

    def __rpow__(self, other):
        return self._binary(POW, other, self)

    def __neg__(self):
        return self._unary(NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._unary(ABS, self)

    def exp(self):
        """e**self; derivative exp(self)."""
        return self._unary(EXP, self)

    def log(self):
        """Natural log; log(0) = -inf, log(x < 0) = nan; derivative 1/self."""
        return self._unary(LOG, self)

    def sqrt(self):
        """Square root; nan below 0; derivative 1/(2 sqrt(self)), +inf at 0."""
        return self._unary(SQRT, self)

    def sin(self):
        """Sine (radians); derivative cos(self)."""
        return self._unary(SIN, self)

    def cos(self):
        """Cosine (radians); derivative -sin(self)."""
        return self._unary(COS, self)

    def tanh(self):
        """Hyperbolic tangent, saturating without overflow; derivative 1 - tanh**2."""
        return self._unary(TANH, self)

    def sigmoid(self):
        """Logistic 1/(1 + e**-self), computed without overflow; derivative s (1 - s)."""
        return self._unary(SIGMOID, self)

    def relu(self):
        """max(self, 0), NaN kept; derivative 1 above 0, 0 at and below 0 (PyTorch)."""
        return self._unary(RELU, self)

    def abs(self):
        """|self|; derivative sign(self), 0 at 0 (PyTorch)."""
        return self._unary(ABS, self)

    def clip(self, lo=None, hi=None):
        """Elementwise limit to [lo, hi] (either may be None); see `autograd_lite.clip`."""
        return clip(self, lo, hi)

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
