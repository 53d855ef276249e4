"""Initialisation of parameters, as `torch.nn.init`: fill a Tensor in place, return it.

Every function takes a `Tensor` and replaces its data (same shape and dtype) with new
values, recording nothing on the graph; the random ones draw from `generator`, a
`numpy.random.Generator` or a seed (None: fresh entropy), so a seed repeats a run.
The formulas are PyTorch's (torch/nn/init.py, after He et al. 2015 and Glorot & Bengio
2010): fans from the shape, gains from `calculate_gain`.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR = ("linear", "identity", "sigmoid") + tuple(
    f"conv{k}" for k in ("1d", "2d", "3d", "_transpose1d", "_transpose2d", "_transpose3d")
)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for `nonlinearity`, PyTorch's table.

    1 for 'linear', 'identity', the conv names and 'sigmoid'; 5/3 for 'tanh'; sqrt(2)
    for 'relu'; sqrt(2 / (1 + slope**2)) for 'leaky_relu' (slope `param`, default 0.01);
    3/4 for 'selu'. Raises ValueError for any other name or a non-numeric slope.
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _checked(tensor, fn):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{fn} fills a Tensor, got {type(tensor).__name__}")
    return tensor


def _fill(tensor, values):
    """Replace the data by `values` in the tensor's dtype; returns the tensor."""
    tensor.data = np.asarray(values, dtype=tensor.data.dtype).reshape(tensor.shape)
    return tensor


def _fans(tensor, fn):
    """(fan_in, fan_out): shape[1] and shape[0], times the receptive field prod(shape[2:])."""
    if tensor.ndim < 2:
        raise ValueError(
            f"init.{fn}: fan in and fan out need a tensor of at least 2 dimensions, got shape "
            f"{tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode, fn):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init.{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, fn)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b) draws. tensor: a Tensor of any shape; returns it."""
    _checked(tensor, "uniform_")
    if not a <= b:
        raise ValueError(f"init.uniform_ needs a <= b, got a={a!r}, b={b!r}")
    return _fill(tensor, np.random.default_rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std**2) draws. Raises ValueError for a negative std; returns it."""
    _checked(tensor, "normal_")
    if not std >= 0:
        raise ValueError(f"init.normal_ needs std >= 0, got {std!r}")
    return _fill(tensor, np.random.default_rng(generator).normal(mean, std, tensor.shape))


def constant_(tensor, val):
    """Fill with the number `val`; returns the tensor."""
    _checked(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor):
    """Fill with 0; returns the tensor."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with 1; returns the tensor."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    tensor: at least 2-d, (fan_out, fan_in, *receptive field); ValueError otherwise.
    """
    fan_in, fan_out = _fans(_checked(tensor, "xavier_uniform_"), "xavier_uniform_")
    if tensor.size == 0:
        return tensor
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)); at least 2-d."""
    fan_in, fan_out = _fans(_checked(tensor, "xavier_normal_"), "xavier_normal_")
    if tensor.size == 0:
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan), gain = calculate_gain(
    nonlinearity, a); fan is fan_in or fan_out (`mode`). At least 2-d; ValueError otherwise.

    `Linear`'s default weight is this with a = sqrt(5): bound 1/sqrt(in_features).
    """
    fan = _fan(_checked(tensor, "kaiming_uniform_"), mode, "kaiming_uniform_")
    if tensor.size == 0:  # nothing to fill (PyTorch warns and returns)
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std**2), std = calculate_gain(nonlinearity, a) / sqrt(fan)."""
    fan = _fan(_checked(tensor, "kaiming_normal_"), mode, "kaiming_normal_")
    if tensor.size == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)
