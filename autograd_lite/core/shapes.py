"""numpy's shape functions beyond `reshape`, `transpose`, `broadcast_to`, `concatenate`
and `stack` (which are in `ops`): they move, copy or select elements, so each vjp moves
the cotangent back the other way.

Most are compositions of ops that already carry rules, which makes them differentiable to
any order with no rule of their own: a squeeze or a ravel is a `reshape`, `swapaxes`,
`moveaxis` and `rot90` are `transpose`s (and flips), `repeat` and `tile` broadcast and
reshape, a diagonal or `take_along_axis` is an integer-array `getitem` (whose vjp
scatters and accumulates repeated indices), `diag` of a vector and `pad` scatter the
elements into zeros (`ops._scatter`, whose vjp selects them again), `triu`/`tril` are a
`where`. `flip` and `roll` are primitives (each its own inverse up to a sign of the
shift), declared with `primitive`, the public way to add an op (docs/custom_ops.md).

Inputs: a Tensor; a Value, taken as numpy takes a 0-d array (a 0-d Tensor: `ravel`
gives shape (1,), `fliplr` raises); raw numbers and arrays give raw float arrays back.
Results keep the input's dtype (float32 or float64). Parameters (axes, counts, widths)
are checked before any node is made: bad ones raise naming the function and the value.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from . import ops
from . import series as S
from .graph import Node
from .ops import Operand
from .primitive import primitive

__all__ = [
    "append",
    "array_split",
    "diag",
    "diagonal",
    "diff",
    "expand_dims",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "hsplit",
    "moveaxis",
    "pad",
    "ravel",
    "repeat",
    "roll",
    "rot90",
    "split",
    "squeeze",
    "swapaxes",
    "take_along_axis",
    "tile",
    "trace",
    "tril",
    "triu",
    "vsplit",
]

#: numpy's error for an axis out of range, a ValueError (and an IndexError).
AxisError = getattr(np, "exceptions", np).AxisError  # np.exceptions from numpy 1.25 on

# ---------------------------------------------------------------------------------------
# Operands and axes: checked before any node is made, errors naming the function.


def _operand(a):
    """`a` as the array operand of a shape function (`ops.array_operand`): a Value is a
    0-d Tensor, as numpy sees a 0-d array."""
    return ops.array_operand(a, "input")


def _int(k, fn, name):
    """An integer parameter as an int: TypeError naming it otherwise (bools are refused)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an int, got {k!r}")
    return int(k)


def _axis(axis, ndim, fn, name="axis"):
    """One axis as a non-negative int; numpy's AxisError naming `fn` when out of range."""
    axis = _int(axis, fn, name)
    if not -ndim <= axis < ndim:
        raise AxisError(f"{fn}: {name} {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def _axes(axis, ndim, fn, name="axis"):
    """An int or a sequence of ints as a tuple of distinct non-negative axes."""
    many = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(_axis(a, ndim, fn, name) for a in many)
    if len(set(out)) != len(out):
        raise ValueError(f"{fn}: {name} {axis!r} repeats an axis")
    return out


def _ints(values, fn, name):
    """A sequence of ints (or an int) as an int64 array: TypeError naming it otherwise."""
    arr = np.asarray(values)
    if arr.size == 0 and arr.ndim == 1:  # () or []: no ints, whatever numpy's default dtype
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu" or arr.ndim > 1:
        raise TypeError(f"{fn}: {name} must be an int or a sequence of ints, got {values!r}")
    return arr.astype(np.int64)


def _at_least(a, ndim, fn):
    shape = ops._shape(a)
    if len(shape) < ndim:
        raise ValueError(f"{fn} needs an array of at least {ndim} dimension(s), got shape {shape}")
    return shape


# ---------------------------------------------------------------------------------------
# Reshapes: the same elements in the same order.


def squeeze(a: Operand, axis: int | tuple[int, ...] | None = None) -> Operand:
    """`a` without axes of length one, as `numpy.squeeze`: every such axis (axis None) or
    those named (an int or a tuple, negative counting from the end). A reshape, so its vjp
    reshapes back. Raises numpy's AxisError (a ValueError) for an axis out of range and
    ValueError naming the axis and the shape when a named axis has a length other than 1.
    """
    a = _operand(a)
    shape = ops._shape(a)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = _axes(axis, len(shape), "squeeze")
        for i in axes:
            if shape[i] != 1:
                raise ValueError(f"squeeze: axis {i} of shape {shape} has length {shape[i]}, not 1")
    return a.reshape(tuple(n for i, n in enumerate(shape) if i not in axes))


def expand_dims(a: Operand, axis: int | tuple[int, ...]) -> Operand:
    """`a` with axes of length one inserted at `axis` (an int or a tuple, positions in the
    result, negative counting from its end), as `numpy.expand_dims`. A reshape. Raises
    numpy's AxisError for a position outside the result's dimensions, ValueError for a
    repeated one.
    """
    a = _operand(a)
    shape = ops._shape(a)
    count = len(axis) if isinstance(axis, (tuple, list)) else 1
    new = _axes(axis, len(shape) + count, "expand_dims")
    rest = iter(shape)
    return a.reshape(tuple(1 if i in new else next(rest) for i in range(len(shape) + count)))


def _raveled(a, order, fn):
    a = _operand(a)
    if order == "F":  # column-major: the reversed axes read in row-major order
        a = a.transpose()
    elif order != "C":
        raise ValueError(f"{fn}: order must be 'C' or 'F', got {order!r}")
    return a.reshape((-1,))


def ravel(a: Operand, order: str = "C") -> Operand:
    """The elements of `a` in one axis, shape (a.size,), as `numpy.ravel`: row-major
    (order 'C') or column-major ('F'); a 0-d input (a Value) gives shape (1,). A new node
    (numpy may return a view). Raises ValueError for any other order.
    """
    return _raveled(a, order, "ravel")


def flatten(a: Operand, order: str = "C") -> Operand:
    """`ravel` as numpy's `ndarray.flatten` (which copies): shape (a.size,), order 'C' or
    'F'. On raw arrays the result is a copy. Raises ValueError for any other order.
    """
    out = _raveled(a, order, "flatten")
    return out if isinstance(out, Node) else out.copy()


# ---------------------------------------------------------------------------------------
# Permutations of the axes and of the elements.


def swapaxes(a: Operand, axis1: int, axis2: int) -> Operand:
    """`a` with two axes exchanged, as `numpy.swapaxes` (a transpose, whose vjp is the same
    exchange). Raises numpy's AxisError naming an axis out of range.
    """
    a = _operand(a)
    n = len(ops._shape(a))
    i, j = _axis(axis1, n, "swapaxes", "axis1"), _axis(axis2, n, "swapaxes", "axis2")
    perm = list(range(n))
    perm[i], perm[j] = j, i
    return a.transpose(tuple(perm))


def moveaxis(a: Operand, source: int | Sequence[int], destination: int | Sequence[int]) -> Operand:
    """`a` with the axes `source` moved to the positions `destination` (ints or sequences
    of the same length), the others keeping their order, as `numpy.moveaxis`. A transpose.
    Raises numpy's AxisError for an axis out of range, ValueError for repeated axes or
    sequences of different lengths.
    """
    a = _operand(a)
    n = len(ops._shape(a))
    src = _axes(source, n, "moveaxis", "source")
    dst = _axes(destination, n, "moveaxis", "destination")
    if len(src) != len(dst):
        raise ValueError(
            f"moveaxis: source {source!r} and destination {destination!r} must name as many axes"
        )
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    others = iter(i for i in range(n) if i not in src)
    return a.transpose(tuple(p if p is not None else next(others) for p in perm))


@primitive
def _flip(x, axis):
    return np.flip(x, axis)


def _flip_vjp(g, out, x, axis):
    # A permutation of the elements: its own inverse. The axes counted from the end, so
    # that batch axes in front of g (a batched sweep) stay as they are.
    return _flip(g, axis=ops._from_end(axis, len(ops._shape(x))))


_flip.defvjp(_flip_vjp, batched=True)


_flip.defjvp(lambda t, out, x, axis: _flip(t, axis=ops._tangent_axes(axis, x)))  # linear


_flip.defseries(lambda cs, out, x, axis: S.coefficientwise(lambda c: np.flip(c, axis), cs[0]))


def flip(m: Operand, axis: int | tuple[int, ...] | None = None) -> Operand:
    """The elements of `m` in reverse order along `axis` (None: every axis), as
    `numpy.flip`; same shape. Raises numpy's AxisError (a ValueError) for an axis out of
    range.
    """
    return _flip(m, axis=axis)


def flipud(m: Operand) -> Operand:
    """`m` upside down: reversed along axis 0, as `numpy.flipud`; same shape. Raises
    ValueError for a 0-d input (a Value).
    """
    m = _operand(m)
    _at_least(m, 1, "flipud")
    return flip(m, 0)


def fliplr(m: Operand) -> Operand:
    """`m` mirrored left to right: reversed along axis 1, as `numpy.fliplr`; same shape.
    Raises ValueError for fewer than 2 dimensions.
    """
    m = _operand(m)
    _at_least(m, 2, "fliplr")
    return flip(m, 1)


def rot90(m: Operand, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Operand:
    """`m` rotated by 90 degrees k times in the plane of `axes`, from the first axis towards
    the second, as `numpy.rot90` (k may be negative; k = 0 returns `m` itself). A flip and
    a transpose, whose vjps turn the cotangent back. Raises ValueError for fewer than 2
    dimensions or equal axes, numpy's AxisError for an axis out of range.
    """
    m = _operand(m)
    shape = _at_least(m, 2, "rot90")
    if not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise ValueError(f"rot90: axes must be two axes, got {axes!r}")
    i, j = (_axis(a, len(shape), "rot90", "axes") for a in axes)
    if i == j:
        raise ValueError(f"rot90: axes {tuple(axes)} name the same axis")
    k = _int(k, "rot90", "k") % 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, (i, j))
    if k == 1:
        return swapaxes(flip(m, j), i, j)
    return flip(swapaxes(m, i, j), j)


@primitive
def _roll(x, shift, axis):
    return np.roll(x, shift, axis)


def _roll_vjp(g, out, x, shift, axis):
    # Rolled back, along the axes counted from the end (batch axes of g stay).
    n = len(ops._shape(x))
    return _roll(g, shift=tuple(-s for s in shift), axis=tuple(a % n - n for a in axis))


_roll.defvjp(_roll_vjp, batched=True)


@_roll.defjvp
def _roll_jvp(t, out, x, shift, axis):  # linear: the tangent rolled alike
    n = len(ops._shape(x))
    return _roll(t, shift=shift, axis=tuple(a % n - n for a in axis))


_roll.defseries(
    lambda cs, out, x, shift, axis: S.coefficientwise(lambda c: np.roll(c, shift, axis), cs[0])
)


def roll(
    a: Operand, shift: int | Sequence[int], axis: int | Sequence[int] | None = None
) -> Operand:
    """The elements of `a` shifted cyclically by `shift` places along `axis`, as
    `numpy.roll`: ints or sequences (broadcast against each other; an axis may repeat, its
    shifts add up); axis None rolls the flattened array and restores the shape. The vjp
    rolls the cotangent back. Raises TypeError for non-integer shifts, ValueError for
    sequences that do not pair up, numpy's AxisError for an axis out of range.
    """
    a = _operand(a)
    shape = ops._shape(a)
    if axis is None:
        return roll(a.reshape((-1,)), shift, 0).reshape(shape)
    shifts = _ints(shift, "roll", "shift")
    axes = _ints(axis, "roll", "axis")
    try:
        pairs = np.broadcast(shifts, axes)
    except ValueError:
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} do not pair up") from None
    shifts, axes = zip(*pairs) if pairs.size else ((), ())
    axes = tuple(_axis(ax, len(shape), "roll") for ax in axes)
    return _roll(a, shift=tuple(int(s) for s in shifts), axis=axes)


# ---------------------------------------------------------------------------------------
# Copies: repeat, tile, pad.


def repeat(a: Operand, repeats: int | Sequence[int], axis: int | None = None) -> Operand:
    """Each element of `a` repeated along `axis` (None: of the flattened array), as
    `numpy.repeat`: `repeats` is an int or one count per element of the axis. The vjp sums
    the copies' cotangents back into their source. Raises TypeError for non-integer
    repeats, ValueError for negative counts or counts that do not match the axis, numpy's
    AxisError for an axis out of range.
    """
    a = _operand(a)
    if axis is None:
        a, axis = a.reshape((-1,)), 0
    shape = ops._shape(a)
    axis = _axis(axis, len(shape), "repeat")
    counts, n = _ints(repeats, "repeat", "repeats"), shape[axis]
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats {repeats!r} include a negative count")
    if counts.size != 1 and counts.shape != (n,):
        raise ValueError(
            f"repeat: {counts.size} repeats do not match axis {axis} of length {n} (shape {shape})"
        )
    before, after = shape[:axis], shape[axis + 1 :]
    if counts.size == 1:  # one count for all: broadcast along a new axis after `axis`
        r = int(counts.reshape(()))
        spread = ops.broadcast_to(a.reshape(before + (n, 1) + after), before + (n, r) + after)
        return spread.reshape(before + (n * r,) + after)
    return a[(slice(None),) * axis + (np.repeat(np.arange(n), counts),)]


def tile(A: Operand, reps: int | Sequence[int]) -> Operand:
    """`A` repeated `reps` times along each axis, as `numpy.tile`: reps shorter than A's
    dimensions repeat its last axes, longer ones give A leading axes of length one. A
    broadcast between reshapes, so the vjp sums the copies. Raises TypeError for
    non-integer reps, ValueError for negative ones.
    """
    a = _operand(A)
    reps = tuple(int(r) for r in np.atleast_1d(_ints(reps, "tile", "reps")))
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps {reps} include a negative count")
    shape = ops._shape(a)
    d = max(len(reps), len(shape))
    shape, reps = (1,) * (d - len(shape)) + shape, (1,) * (d - len(reps)) + reps
    spread = ops.broadcast_to(
        a.reshape(sum(((1, n) for n in shape), ())), sum(((r, n) for r, n in zip(reps, shape)), ())
    )
    return spread.reshape(tuple(r * n for r, n in zip(reps, shape)))


#: The modes of `pad` that copy elements of the array: the source of each padded element is
#: numpy's own padding of the positions `arange(n)` along each axis.
_COPYING_MODES = ("edge", "reflect", "symmetric", "wrap")


def _pad_widths(pad_width, shape):
    """numpy's pad_width (an int, (before, after), one pair per axis, or {axis: an int or a
    pair}) as per-axis pairs."""
    if isinstance(pad_width, dict):  # the axes not named are not padded
        named = {_axis(ax, len(shape), "pad", "pad_width axis"): w for ax, w in pad_width.items()}
        pad_width = [np.broadcast_to(named.get(i, 0), (2,)) for i in range(len(shape))]
    widths = np.asarray(pad_width)
    if widths.size == 0:  # no widths (for a 0-d array): none to check
        widths = widths.astype(np.int64)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be ints, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (len(shape), 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit an array of shape {shape}: give an int, "
            "(before, after), or one (before, after) per axis"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} has a negative width")
    return tuple((int(b), int(e)) for b, e in widths)


def pad(array: Operand, pad_width, mode: str = "constant", **kwargs) -> Operand:
    """`array` padded by pad_width[i] = (before, after) elements on each axis, as `numpy.pad`.

    pad_width: an int (every side), (before, after) (every axis), or one pair per axis.
    mode 'constant' (`constant_values=`: a number, (before, after), or per-axis pairs; 0 by
    default) scatters the array into the padded shape, so the padding has zero gradient;
    'edge', 'reflect', 'symmetric' and 'wrap' copy elements (reflect_type 'even'), a
    `getitem` whose vjp sums each copy's cotangent into its source. Same dtype as the
    array. Raises ValueError naming any other mode (and for 'odd' reflection, keywords the
    mode does not take, or copying modes on an empty axis), TypeError for non-integer widths.
    """
    a = _operand(array)
    shape = ops._shape(a)
    widths = _pad_widths(pad_width, shape)
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"}}
    allowed["symmetric"] = allowed["reflect"]
    if not isinstance(mode, str) or mode not in ("constant", *_COPYING_MODES):
        raise ValueError(
            f"pad: mode {mode!r} is not supported; autograd_lite pads with 'constant', "
            + ", ".join(repr(m) for m in _COPYING_MODES)
        )
    unknown = set(kwargs) - allowed.get(mode, set())
    if unknown:
        raise ValueError(f"pad: mode {mode!r} takes no keyword(s) {sorted(unknown)}")
    if not shape:  # a 0-d array has no axis to pad (numpy returns it unchanged)
        return a.reshape(())
    out_shape = tuple(b + n + e for n, (b, e) in zip(shape, widths))
    if mode == "constant":
        inside = tuple(slice(b, b + n) for n, (b, _) in zip(shape, widths))
        placed = ops._scatter(a, inside, out_shape)  # zeros around the array
        values = ops.as_real_array(kwargs.get("constant_values", 0))
        fill = np.pad(np.zeros(shape, a.dtype), widths, constant_values=values)
        if not (fill.any() or np.signbit(fill).any()):  # the padding is +0.0, as placed has it
            return placed
        kept = np.zeros(out_shape, bool)
        kept[inside] = True
        return ops.where(kept, placed, fill)
    if kwargs.get("reflect_type", "even") != "even":
        raise ValueError(
            f"pad: reflect_type {kwargs['reflect_type']!r} is not supported, only 'even'"
        )
    for i, (n, w) in enumerate(zip(shape, widths)):
        if n == 0 and w != (0, 0):
            raise ValueError(
                f"pad: mode {mode!r} cannot extend axis {i} of length 0 (shape {shape})"
            )
    sources = [np.pad(np.arange(n), w, mode=mode) for n, w in zip(shape, widths)]
    return a[np.ix_(*sources)]


# ---------------------------------------------------------------------------------------
# Selections: diagonals, triangles, gathers, splits.


def _diagonal_index(rows, cols, k):
    """Row and column positions of the k-th diagonal of a (rows, cols) matrix."""
    length = max(0, min(rows + min(k, 0), cols - max(k, 0)))
    i = np.arange(length)
    return i + max(-k, 0), i + max(k, 0)


def diagonal(a: Operand, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Operand:
    """The diagonal of `a` in the plane of axis1 and axis2, shifted by `offset` (above the
    main diagonal when positive), as `numpy.diagonal`: those two axes are removed and the
    diagonal becomes the last axis. An integer-array `getitem` (a new node, where numpy
    gives a read-only view), whose vjp scatters the cotangent onto the diagonal. Raises
    ValueError for fewer than 2 dimensions or equal axes, numpy's AxisError for an axis
    out of range.
    """
    a = _operand(a)
    shape = _at_least(a, 2, "diagonal")
    n = len(shape)
    i, j = _axis(axis1, n, "diagonal", "axis1"), _axis(axis2, n, "diagonal", "axis2")
    if i == j:
        raise ValueError(f"diagonal: axis1 {axis1} and axis2 {axis2} name the same axis")
    rows, cols = _diagonal_index(shape[i], shape[j], _int(offset, "diagonal", "offset"))
    perm = tuple(p for p in range(n) if p not in (i, j)) + (i, j)
    if perm != tuple(range(n)):
        a = a.transpose(perm)
    return a[..., rows, cols]


def trace(a: Operand, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Operand:
    """The sum of the diagonal `diagonal(a, offset, axis1, axis2)`, as `numpy.trace`: 0-d
    for a matrix, else the remaining axes. The vjp places the cotangent on the diagonal.
    Raises as `diagonal`.
    """
    return ops.sum(diagonal(a, offset, axis1, axis2), axis=-1)


def diag(v: Operand, k: int = 0) -> Operand:
    """As `numpy.diag`: a 1-d `v` of length n becomes the (n+|k|, n+|k|) matrix with `v` on
    its k-th diagonal and zeros elsewhere (scattered, so the vjp selects the diagonal of
    the cotangent); a 2-d `v` gives its k-th diagonal (`diagonal`). Raises ValueError
    naming the shape for any other number of dimensions.
    """
    v = _operand(v)
    shape = ops._shape(v)
    k = _int(k, "diag", "k")
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag: input must be 1-d or 2-d, got shape {shape}")
    size = shape[0] + abs(k)
    return ops._scatter(v, _diagonal_index(size, size, k), (size, size))


def _triangle(m, k, fn, lower):
    m = _operand(m)
    shape = _at_least(m, 1, fn)
    rows, cols = shape[-2:] if len(shape) > 1 else shape * 2  # a vector: as numpy, a square
    k = _int(k, fn, "k")
    keep = np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)
    return ops.where(keep, m, 0.0)


def triu(m: Operand, k: int = 0) -> Operand:
    """`m` with the elements below its k-th diagonal set to 0 (in the last two axes), as
    `numpy.triu`; a vector is broadcast to a square first, as numpy does. A `where`: the
    zeroed elements have zero gradient. Raises ValueError for a 0-d input.
    """
    return _triangle(m, k, "triu", lower=False)


def tril(m: Operand, k: int = 0) -> Operand:
    """`m` with the elements above its k-th diagonal set to 0 (in the last two axes), as
    `numpy.tril`; otherwise as `triu`.
    """
    return _triangle(m, k, "tril", lower=True)


def take_along_axis(arr: Operand, indices, axis: int | None = -1) -> Operand:
    """The elements of `arr` at integer `indices` along `axis`, matched with the other axes,
    as `numpy.take_along_axis`: `indices` has arr's number of dimensions (axis None: arr
    is flattened and indices is 1-d) and broadcasts against arr in the other axes;
    negative indices count from the end. An integer-array `getitem`: the vjp scatters the
    cotangent back, repeated indices accumulating. Raises IndexError for indices that
    are not integers (a Tensor holds floats: pass `t.data.astype(int)`) or out of range,
    ValueError for mismatched shapes, numpy's AxisError for an axis out of range.
    """
    a = _operand(arr)
    idx = ops.as_real_array(indices.data if isinstance(indices, Node) else indices)
    if idx.dtype.kind not in "iu":
        raise IndexError(
            f"take_along_axis: indices must be integers, got dtype {idx.dtype}"
            + (
                " (a Tensor holds floats: pass t.data.astype(int))"
                if isinstance(indices, Node)
                else ""
            )
        )
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(
                f"take_along_axis: with axis None indices must be 1-d, got shape {idx.shape}"
            )
        a, axis = a.reshape((-1,)), 0
    shape = ops._shape(a)
    if idx.ndim != len(shape):
        raise ValueError(
            f"take_along_axis: indices of shape {idx.shape} must have as many dimensions as "
            f"arr of shape {shape}"
        )
    axis = _axis(axis, len(shape), "take_along_axis")
    n = shape[axis]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.min() if idx.min() < -n else idx.max()
        raise IndexError(
            f"take_along_axis: index {bad} is out of bounds for axis {axis} of length {n}"
        )
    if any(
        p != q and 1 not in (p, q) for i, (p, q) in enumerate(zip(shape, idx.shape)) if i != axis
    ):
        raise ValueError(
            f"take_along_axis: indices of shape {idx.shape} do not broadcast against arr of shape "
            f"{shape} outside axis {axis}"
        )
    index = tuple(
        idx if i == axis else np.arange(m).reshape((m,) + (1,) * (len(shape) - i - 1))
        for i, m in enumerate(shape)
    )
    return a[index]


def _split(ary, indices_or_sections, axis, fn, equal):
    a = _operand(ary)
    shape = _at_least(a, 1, fn)
    axis = _axis(axis, len(shape), fn)
    n = shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = _int(indices_or_sections, fn, "indices_or_sections")
        if sections <= 0:
            raise ValueError(f"{fn}: the number of sections must be positive, got {sections}")
        if equal and n % sections:
            raise ValueError(
                f"{fn}: axis {axis} of length {n} does not split into {sections} equal parts "
                "(array_split allows unequal ones)"
            )
        size, extra = divmod(n, sections)
        bounds = [0]
        for s in range(sections):
            bounds.append(bounds[-1] + size + (s < extra))
        cuts = list(zip(bounds[:-1], bounds[1:]))
    else:
        points = [int(p) for p in _ints(indices_or_sections, fn, "indices_or_sections")]
        cuts = list(zip([0, *points], [*points, None]))
    lead = (slice(None),) * axis
    return [a[lead + (slice(start, stop),)] for start, stop in cuts]


def split(ary: Operand, indices_or_sections: int | Sequence[int], axis: int = 0) -> list:
    """`ary` cut along `axis` into a list of pieces, as `numpy.split`: an int N gives N equal
    pieces, a sequence of ints the positions of the cuts (beyond the end: empty pieces).
    Each piece is a slice of `ary` with its history (its vjp scatters the cotangent into
    place), so gradients from every piece add up. Raises ValueError when N does not divide
    the axis or is not positive, numpy's AxisError for an axis out of range.
    """
    return _split(ary, indices_or_sections, axis, "split", equal=True)


def array_split(ary: Operand, indices_or_sections: int | Sequence[int], axis: int = 0) -> list:
    """`split`, where N pieces need not be equal, as `numpy.array_split`: the first
    (length mod N) pieces are one longer.
    """
    return _split(ary, indices_or_sections, axis, "array_split", equal=False)


def hsplit(ary: Operand, indices_or_sections: int | Sequence[int]) -> list:
    """`split` along axis 1 (axis 0 for a 1-d array), as `numpy.hsplit`."""
    a = _operand(ary)
    return _split(a, indices_or_sections, 1 if len(ops._shape(a)) > 1 else 0, "hsplit", True)


def vsplit(ary: Operand, indices_or_sections: int | Sequence[int]) -> list:
    """`split` along axis 0 of an array of at least 2 dimensions, as `numpy.vsplit`."""
    a = _operand(ary)
    _at_least(a, 2, "vsplit")
    return _split(a, indices_or_sections, 0, "vsplit", equal=True)


def append(arr: Operand, values: Operand, axis: int | None = None) -> Operand:
    """`values` joined after `arr`, as `numpy.append`: both flattened when axis is None,
    else `concatenate` along `axis` (the other axes must match). Raises ValueError naming
    both shapes when they do not fit, numpy's AxisError for an axis out of range.
    """
    a, b = _operand(arr), _operand(values)
    if axis is None:
        return ops.concatenate([a, b], axis=None)
    sa, sb = ops._shape(a), ops._shape(b)
    axis = _axis(axis, len(sa), "append")
    if len(sa) != len(sb) or any(p != q for i, (p, q) in enumerate(zip(sa, sb)) if i != axis):
        raise ValueError(
            f"append: values of shape {sb} do not fit arr of shape {sa} along axis {axis} (the "
            "other axes must match; axis=None flattens both)"
        )
    return ops.concatenate([a, b], axis=axis)


def diff(
    a: Operand, n: int = 1, axis: int = -1, prepend: Operand = None, append: Operand = None
) -> Operand:
    """The n-th forward difference along `axis`, as `numpy.diff`: out[i] = a[i+1] - a[i],
    applied n times, so the axis shrinks by n (to 0 at most). `prepend` and `append`
    (scalars are broadcast to one slice) are joined to `a` along the axis first.

    Composed of slicing and subtraction, so its derivatives are theirs. Raises ValueError
    for a negative n or a 0-d input (a Value), numpy's AxisError for an axis out of range.
    """
    n = _int(n, "diff", "n")
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n!r}")
    a = _operand(a)
    shape = _at_least(a, 1, "diff")
    axis = _axis(axis, len(shape), "diff")
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
NUMPY_FUNCTIONS = {getattr(np, name): globals()[name] for name in __all__ if name != "flatten"}
