"""Convolution and pooling layers on NCHW image batches, as `torch.nn.Conv2d`,
`torch.nn.MaxPool2d` and `torch.nn.AvgPool2d`; the computation is `nn.functional`'s."""

from __future__ import annotations

import math

import numpy as np

from ..core.tensor import Tensor
from . import functional as F
from .module import Module, _as_batch, _check_count


def _layer_call(layer, fn, x, *args, **kwargs):
    """fn(x, ...) with a shape error restated to name the layer (its repr) and x's shape."""
    x = _as_batch(x)
    try:
        return fn(x, *args, **kwargs)
    except ValueError as e:
        raise ValueError(f"{layer!r} cannot take an input of shape {x.shape}: {e}") from None


class Conv2d(Module):
    """2-d convolution layer, as `torch.nn.Conv2d` with groups=1 and zero padding.

    in_channels, out_channels: positive ints; kernel_size: an int or a pair (kh, kw);
    stride, padding, dilation: as in `functional.conv2d` (padding may be 'valid' or
    'same'). Input (N, in_channels, H, W) or (in_channels, H, W); output
    (N, out_channels, Ho, Wo), see `functional.conv2d`.
    weight: Tensor (out_channels, in_channels, kh, kw); bias: Tensor (out_channels,) or
    None. The names are PyTorch's, so `state_dict()` loads into `torch.nn.Conv2d` and back.

    Initialisation follows PyTorch's default, `_ConvNd.reset_parameters` in
    torch/nn/modules/conv.py: the weight is Kaiming-uniform with a = sqrt(5), with
    fan_in = in_channels kh kw, whose bound gain sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)),
    comes to k = 1/sqrt(fan_in); the bias is uniform in (-k, k) too. `rng` is a
    `numpy.random.Generator` or a seed (None: fresh entropy).

    Raises ValueError for non-positive sizes or a malformed stride, padding or dilation
    (at construction), and in forward naming the layer and the input's shape when the
    input is not 3-d or 4-d, has the wrong number of channels, or is smaller than the
    (dilated) kernel after padding.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias=True,
        rng=None,
    ):
        self.in_channels = _check_count(in_channels, "in_channels")
        self.out_channels = _check_count(out_channels, "out_channels")
        self.kernel_size = F._pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = F._pair("Conv2d", "stride", stride, 1)
        self.dilation = F._pair("Conv2d", "dilation", dilation, 1)
        self.padding = (
            padding if isinstance(padding, str) else F._pair("Conv2d", "padding", padding, 0)
        )
        F._conv_padding(self.padding, self.kernel_size, self.stride, self.dilation)  # checks it
        rng = np.random.default_rng(rng)
        k = 1.0 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Tensor(rng.uniform(-k, k, shape), requires_grad=True)
        self.bias = (
            Tensor(rng.uniform(-k, k, self.out_channels), requires_grad=True) if bias else None
        )

    def forward(self, x):
        return _layer_call(
            self,
            F.conv2d,
            x,
            self.weight,
            self.bias,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
        )

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}" if self.stride != (1, 1) else ""
        text += f", padding={self.padding!r}" if self.padding not in ((0, 0), "valid") else ""
        text += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        return text + ("" if self.bias is not None else ", bias=False")


class _Pool2d(Module):
    _function = None

    def __init__(self, kernel_size, stride=None, padding=0):
        sizes = F._pool_sizes(type(self).__name__, kernel_size, stride, padding)
        self.kernel_size, self.stride, self.padding = sizes

    def forward(self, x):
        return _layer_call(
            self, type(self)._function, x, self.kernel_size, self.stride, self.padding
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The largest element of each window, as `torch.nn.MaxPool2d` (see
    `functional.max_pool2d`: shapes, ties and NaN). kernel_size, stride (None: the
    kernel), padding: ints or pairs. No parameters. Raises ValueError for malformed sizes
    (at construction) and, in forward, naming the layer and the input's shape."""

    _function = staticmethod(F.max_pool2d)


class AvgPool2d(_Pool2d):
    """The mean of each window, as `torch.nn.AvgPool2d` with its defaults (zero padding
    counts in the mean; see `functional.avg_pool2d`). kernel_size, stride (None: the
    kernel), padding: ints or pairs. No parameters. Raises ValueError for malformed sizes
    (at construction) and, in forward, naming the layer and the input's shape."""

    _function = staticmethod(F.avg_pool2d)
