"""Convolution and pooling of image batches, spelled as `torch.nn.functional`.

Images are NCHW: (batch, channels, height, width), or (channels, height, width) for one
image. Each op is a few bilinear or selecting primitives, declared with `primitive`
(the public way to add an op) on raw arrays with numpy strides (`sliding_window_view`
gives every window without copying; `tensordot` contracts them), whose vjp rules call
each other, so derivatives of any order are recorded under `create_graph=True`:

- `_conv(x, w)`: the cross-correlation y[n,o,i,j] = sum_{c,a,b} w[o,c,a,b] xp[n,c,si+da,sj+db]
  (xp: x zero-padded). It is linear in x and in w, so its vjp in x is the adjoint map,
  the transposed convolution `_conv_transpose(g, w)`, and its vjp in w is the correlation
  of x with the cotangent, `_conv_weight(x, g)`. The three are the same trilinear form
  <g, conv(x, w)> read along each argument, so each one's vjps are the other two.
- `avg_pool2d` is `_conv` of each channel with a constant kernel of 1/(kh kw) (PyTorch's
  default `count_include_pad=True`), so it needs no rule of its own.
- `_max_pool(x)` picks one element of each window; its vjp `_max_unpool(g, x)` adds each
  cotangent into the element picked, and the vjp of that is `_max_gather(h, x)`, which
  reads h there again. The pick is piecewise constant in x: zero derivative.

Conventions are PyTorch's (aten/src/ATen/native/cpu/MaxPoolKernel.cpp): a max pool
picks the first largest element of a window in row-major order, or its last NaN if it
holds one; zero padding never wins (an all -inf window picks its first real element).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..core import ops
from ..core.ops import Operand
from ..core.primitive import looped_jvp, primitive

__all__ = ["avg_pool2d", "conv2d", "max_pool2d"]


# ---------------------------------------------------------------------------------------
# Window geometry (on raw arrays). `padding` is ((top, bottom), (left, right)) inside.


def _padded(x, padding, value=0.0):
    """x (N, C, H, W) padded with `value` on the two image axes (x itself if no padding)."""
    if padding == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0), *padding), constant_values=value)


def _windows(xp, kernel, stride, dilation):
    """The view (N, C, Ho, Wo, kh, kw) of every window of the padded xp, copying nothing."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


# ---------------------------------------------------------------------------------------
# Convolution: three primitives, each the vjp of the other two.


@primitive
def _conv(x, w, stride, padding, dilation):
    cols = _windows(_padded(x, padding), w.shape[2:], stride, dilation)
    y = np.tensordot(w, cols, ([1, 2, 3], [1, 4, 5]))  # (o, n, ho, wo)
    return np.ascontiguousarray(y.transpose(1, 0, 2, 3))


@primitive
def _conv_transpose(g, w, stride, padding, dilation, size):
    # The adjoint of _conv in x: x̄p[n,c,si+da,sj+db] += sum_o g[n,o,i,j] w[o,c,a,b], one
    # kernel offset (a, b) at a time (a loop over the kernel, never over pixels), then the
    # padding cut away. Rows and columns that no window reaches keep zero.
    (sh, sw), (dh, dw), ((top, bottom), (left, right)) = stride, dilation, padding
    n, _, ho, wo = g.shape
    _, c, kh, kw = w.shape
    h, wd = size
    xp = np.zeros((n, c, h + top + bottom, wd + left + right), np.result_type(g, w))
    # (kh, kw, n, c, ho, wo), copied once so that each offset's slice below is contiguous
    cols = np.ascontiguousarray(np.tensordot(w, g, ([0], [1])).transpose(1, 2, 3, 0, 4, 5))
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
            columns = slice(b * dw, b * dw + sw * (wo - 1) + 1, sw)
            xp[:, :, rows, columns] += cols[a, b]
    return xp[:, :, top : top + h, left : left + wd]


@primitive
def _conv_weight(x, g, stride, padding, dilation, kernel):
    # w̄[o,c,a,b] = sum_{n,i,j} g[n,o,i,j] xp[n,c,si+da,sj+db]: windows against the cotangent.
    cols = _windows(_padded(x, padding), kernel, stride, dilation)
    return np.tensordot(g, cols, ([0, 2, 3], [0, 2, 3]))


def _conv_vjp_x(g, out, x, w, stride, padding, dilation):
    size = ops._shape(x)[2:]
    return _conv_transpose(g, w, stride=stride, padding=padding, dilation=dilation, size=size)


def _conv_vjp_w(g, out, x, w, stride, padding, dilation):
    kernel = ops._shape(w)[2:]
    return _conv_weight(x, g, stride=stride, padding=padding, dilation=dilation, kernel=kernel)


_conv.defvjp(_conv_vjp_x, _conv_vjp_w)
_conv.defjvp(  # linear in each input: the jvp is the op with the tangent in its place
    looped_jvp(lambda t, out, x, w, **kw: _conv(t, w, **kw), 0),
    looped_jvp(lambda t, out, x, w, **kw: _conv(x, t, **kw), 1),
)


def _conv_transpose_vjp_g(h, out, g, w, stride, padding, dilation, size):
    return _conv(h, w, stride=stride, padding=padding, dilation=dilation)


def _conv_transpose_vjp_w(h, out, g, w, stride, padding, dilation, size):
    return _conv_vjp_w(g, None, h, w, stride, padding, dilation)


_conv_transpose.defvjp(_conv_transpose_vjp_g, _conv_transpose_vjp_w)
_conv_transpose.defjvp(
    looped_jvp(lambda t, out, g, w, **kw: _conv_transpose(t, w, **kw), 0),
    looped_jvp(lambda t, out, g, w, **kw: _conv_transpose(g, t, **kw), 1),
)


def _conv_weight_vjp_x(k, out, x, g, stride, padding, dilation, kernel):
    return _conv_vjp_x(g, None, x, k, stride, padding, dilation)


def _conv_weight_vjp_g(k, out, x, g, stride, padding, dilation, kernel):
    return _conv(x, k, stride=stride, padding=padding, dilation=dilation)


_conv_weight.defvjp(_conv_weight_vjp_x, _conv_weight_vjp_g)
_conv_weight.defjvp(
    looped_jvp(lambda t, out, x, g, **kw: _conv_weight(t, g, **kw), 0),
    looped_jvp(lambda t, out, x, g, **kw: _conv_weight(x, t, **kw), 1),
)


# ---------------------------------------------------------------------------------------
# Max pooling: the pick, and two primitives that move a cotangent to it and back.


def _picks(x, kernel, stride, padding):
    """The flat index into x (N, C, H, W) of the element each window picks: (N, C, Ho, Wo).

    PyTorch's choice: the last NaN of the window if it holds one, else its first largest
    element, in row-major order over the real (unpadded) elements only. numpy's argmax
    agrees (first largest) whenever x is finite; otherwise NaN and -inf (which would tie
    with the -inf padding) are sorted out element by element.
    """
    (kh, kw), (sh, sw), ((top, _), (left, _)) = kernel, stride, padding
    n, c, h, w = x.shape
    cols = _windows(_padded(x, padding, -np.inf), kernel, stride, (1, 1))
    ho, wo = cols.shape[2:4]
    flat = cols.reshape(n, c, ho, wo, kh * kw)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, overflow: the long way
        finite = np.isfinite(np.sum(x))
    if finite:
        k = flat.argmax(axis=-1)
    else:
        nan = np.isnan(flat)
        best = flat == flat.max(axis=-1, keepdims=True)
        if padding != ((0, 0), (0, 0)):  # the padding must not win a tie with -inf
            real = np.ones((1, 1, h, w), bool)
            real = _windows(_padded(real, padding, False), kernel, stride, (1, 1))
            best &= real.reshape(1, 1, ho, wo, kh * kw)
        last_nan = kh * kw - 1 - np.argmax(nan[..., ::-1], axis=-1)
        k = np.where(nan.any(axis=-1), last_nan, np.argmax(best, axis=-1))
    a, b = np.divmod(k, kw)
    rows = np.arange(ho)[:, None] * sh + a - top
    columns = np.arange(wo)[None, :] * sw + b - left
    channel = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    return channel + rows * w + columns


@primitive
def _max_pool(x, kernel, stride, padding):
    return x.reshape(-1)[_picks(x, kernel, stride, padding)]


@primitive
def _max_unpool(g, x, kernel, stride, padding):
    # Each window's cotangent added into the element it picked (selected, never multiplied
    # by a 0/1 mask, so an infinite cotangent elsewhere cannot make a NaN here).
    where = _picks(x, kernel, stride, padding).reshape(-1)
    total = np.bincount(where, weights=g.reshape(-1), minlength=x.size)
    return total.astype(np.result_type(g, x), copy=False).reshape(x.shape)


@primitive
def _max_gather(h, x, kernel, stride, padding):
    return h.reshape(-1)[_picks(x, kernel, stride, padding)]


def _no_cotangent(g, out, v, x, kernel, stride, padding):
    """The vjp in x of an op that only uses x to choose elements: zero (piecewise constant)."""
    return np.zeros(ops._shape(x), np.result_type(ops._raw(x), ops._raw(g)))


@_max_pool.defvjp
def _max_pool_vjp(g, out, x, kernel, stride, padding):
    return _max_unpool(g, x, kernel=kernel, stride=stride, padding=padding)


@_max_gather.defvjp
def _max_gather_vjp_h(g, out, h, x, kernel, stride, padding):
    return _max_pool_vjp(g, None, x, kernel, stride, padding)


def _max_unpool_vjp_g(h, out, g, x, kernel, stride, padding):
    return _max_gather(h, x, kernel=kernel, stride=stride, padding=padding)


_max_gather.defvjp(_max_gather_vjp_h, _no_cotangent)
_max_unpool.defvjp(_max_unpool_vjp_g, _no_cotangent)


def _no_tangent(t, out, v, x, **kw):
    """The jvp in x of an op that only uses x to choose elements: zero (piecewise constant)."""
    return 0.0


# Linear in the moved values: the jvp moves the tangent the same way.
_max_pool.defjvp(looped_jvp(lambda t, out, x, **kw: _max_gather(t, x, **kw), 0))
_max_gather.defjvp(looped_jvp(lambda t, out, h, x, **kw: _max_gather(t, x, **kw), 0), _no_tangent)
_max_unpool.defjvp(looped_jvp(lambda t, out, g, x, **kw: _max_unpool(t, x, **kw), 0), _no_tangent)


# ---------------------------------------------------------------------------------------
# Arguments: checked and put in one form, every error naming the function and the shapes.


def _pair(fn, name, v, least):
    """An int or a pair of ints >= least, as a pair; ValueError naming fn and the value."""
    pair = (v, v) if isinstance(v, numbers.Integral) else v
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(e, numbers.Integral) and not isinstance(e, bool) for e in pair)
        or isinstance(v, bool)
    ):
        raise ValueError(f"{fn}: {name} must be an int or a pair of ints, got {v!r}")
    if min(pair) < least:
        raise ValueError(f"{fn}: {name} must be at least {least}, got {v!r}")
    return int(pair[0]), int(pair[1])


def _batched(fn, x, what="input"):
    """(the input as NCHW, whether it was one CHW image); ValueError unless 3-d or 4-d."""
    shape = ops._shape(x)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{fn}: {what} must be 4-d (batch, channels, height, width) or 3-d (channels, "
            f"height, width), got shape {shape}"
        )
    if len(shape) == 3:
        return ops.reshape(x, (1, *shape)), True
    return x, False


def _unbatched(y, single):
    return ops.reshape(y, ops._shape(y)[1:]) if single else y


def _check_fits(fn, shape, kernel, padding, dilation, detail):
    """ValueError unless the padded image holds at least one window of the (dilated) kernel."""
    padded = tuple(n + p0 + p1 for n, (p0, p1) in zip(shape[2:], padding))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if padded[0] < reach[0] or padded[1] < reach[1]:
        raise ValueError(
            f"{fn}: the kernel ({detail}) spans {reach[0]} x {reach[1]} pixels, more than the "
            f"padded input's {padded[0]} x {padded[1]} (input of shape {shape}, padding "
            f"{padding})"
        )


def _pool_sizes(fn, kernel_size, stride, padding):
    """A pool's (kernel, stride, padding) as pairs; ValueError naming fn if malformed, or if
    the padding is more than half the kernel (PyTorch's limit)."""
    kernel = _pair(fn, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else _pair(fn, "stride", stride, 1)
    pad = _pair(fn, "padding", padding, 0)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(
            f"{fn}: padding {padding!r} must be at most half of kernel_size {kernel_size!r} "
            "(as PyTorch)"
        )
    return kernel, stride, pad


def _pool_args(fn, x, kernel_size, stride, padding):
    kernel, stride, pad = _pool_sizes(fn, kernel_size, stride, padding)
    x, single = _batched(fn, x)
    padding = ((pad[0], pad[0]), (pad[1], pad[1]))
    _check_fits(fn, ops._shape(x), kernel, padding, (1, 1), f"kernel_size {kernel_size!r}")
    return x, single, kernel, stride, padding


def _conv_padding(padding, kernel, stride, dilation):
    """conv2d's padding as ((top, bottom), (left, right)); 'same' puts any odd pixel last,
    as PyTorch does."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in total)
    p = _pair("conv2d", "padding", padding, 0)
    return ((p[0], p[0]), (p[1], p[1]))


# ---------------------------------------------------------------------------------------
# The public functions.


def conv2d(
    x: Operand,
    weight: Operand,
    bias: Operand | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
) -> Operand:
    """2-d convolution (cross-correlation, as in deep learning) of an image batch, as
    `torch.nn.functional.conv2d` with groups=1.

    x: (N, C, H, W), or (C, H, W) for one image; weight: (O, C, kh, kw); bias: (O,) or
    None. stride, dilation: an int >= 1 or a pair (rows, columns); padding: an int >= 0, a
    pair, 'valid' (0) or 'same' (output as large as the input; stride 1 only). Output
    (N, O, Ho, Wo) (or (O, Ho, Wo)) with Ho = (H + 2 p - d (kh - 1) - 1) // s + 1:
    y[n,o,i,j] = bias[o] + sum_{c,a,b} weight[o,c,a,b] xp[n,c,s i + d a, s j + d b], xp the
    zero-padded x. float32 when every input is float32, else float64.

    Vjps: in x, the transposed convolution of the cotangent with the weight; in weight,
    the correlation of x with the cotangent; in bias, the cotangent summed over N, Ho, Wo.
    Each is again a primitive of this module, so derivatives of every order exist.

    Raises ValueError, naming conv2d and the shapes, when x is not 3-d or 4-d, weight not
    4-d, the channels of x differ from weight's in_channels, bias is not (O,), stride,
    padding or dilation is malformed, or the dilated kernel is larger than the padded input.
    """
    x, single = _batched("conv2d", x)
    w_shape, x_shape = ops._shape(weight), ops._shape(x)
    if len(w_shape) != 4:
        raise ValueError(
            f"conv2d: weight must be 4-d (out_channels, in_channels, kh, kw), got shape {w_shape}"
        )
    if x_shape[1] != w_shape[1]:
        raise ValueError(
            f"conv2d: input of shape {x_shape} has {x_shape[1]} channels, but weight of shape "
            f"{w_shape} expects {w_shape[1]} (weight is (out_channels, in_channels, kh, kw))"
        )
    if bias is not None and ops._shape(bias) != w_shape[:1]:
        raise ValueError(
            f"conv2d: bias must have shape ({w_shape[0]},), one per output channel of weight "
            f"of shape {w_shape}, got shape {ops._shape(bias)}"
        )
    stride = _pair("conv2d", "stride", stride, 1)
    dilation = _pair("conv2d", "dilation", dilation, 1)
    padding = _conv_padding(padding, w_shape[2:], stride, dilation)
    _check_fits(
        "conv2d", x_shape, w_shape[2:], padding, dilation, f"weight {w_shape}, dilation {dilation}"
    )
    y = _conv(x, weight, stride=stride, padding=padding, dilation=dilation)
    if bias is not None:
        y = y + ops.reshape(bias, (1, w_shape[0], 1, 1))
    return _unbatched(y, single)


def max_pool2d(
    x: Operand,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Operand:
    """The largest element of each window, per channel, as `torch.nn.functional.max_pool2d`.

    x: (N, C, H, W) or (C, H, W). kernel_size: an int >= 1 or a pair; stride: likewise,
    None meaning kernel_size; padding: an int or pair, at most half the kernel (PyTorch's
    limit), the padding never being picked. Output (N, C, Ho, Wo), Ho = (H + 2 p - kh) // s
    + 1, x's dtype.

    The vjp routes each window's cotangent to the element it picked, summed where windows
    overlap; ties go to the first largest element in row-major order, a window holding NaN
    picks its last NaN (both PyTorch's CPU kernel). The pick does not move under small
    changes of x, so the second derivative in x is zero and the vjp's own vjp reads the
    cotangent at the picked elements.

    Raises ValueError naming max_pool2d and the shapes for an input not 3-d or 4-d, a
    malformed kernel_size, stride or padding, or a kernel larger than the padded input.
    """
    x, single, kernel, stride, padding = _pool_args("max_pool2d", x, kernel_size, stride, padding)
    return _unbatched(_max_pool(x, kernel=kernel, stride=stride, padding=padding), single)


def avg_pool2d(
    x: Operand,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Operand:
    """The mean of each window, per channel, as `torch.nn.functional.avg_pool2d` with its
    defaults (count_include_pad=True: zero padding counts, every mean divides by kh kw).

    x: (N, C, H, W) or (C, H, W); kernel_size, stride, padding as in `max_pool2d`. Output
    (N, C, Ho, Wo), x's dtype. Computed as the convolution of each channel with a
    constant kernel of 1/(kh kw), so its derivatives are the convolution's.

    Raises ValueError naming avg_pool2d and the shapes for an input not 3-d or 4-d, a
    malformed kernel_size, stride or padding, or a kernel larger than the padded input.
    """
    x, single, kernel, stride, padding = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    n, c, h, w = ops._shape(x)
    dtype = np.result_type(np.asarray(ops._raw(x)).dtype, np.float32)
    ones = np.full((1, 1, *kernel), 1.0 / (kernel[0] * kernel[1]), dtype)
    y = _conv(
        ops.reshape(x, (n * c, 1, h, w)), ones, stride=stride, padding=padding, dilation=(1, 1)
    )
    return _unbatched(ops.reshape(y, (n, c, *ops._shape(y)[2:])), single)
