"""Batch layers on `Tensor`s, shaped `(batch, features)` as in PyTorch."""

from __future__ import annotations

import math

import numpy as np

from ..core import ops
from ..core.graph import Node
from ..core.tensor import Tensor
from .module import Module, _as_batch, _check_count


class Linear(Module):
    """Affine map y = x W^T + b on a batch, as `torch.nn.Linear`.

    in_features, out_features: positive ints. Input: a Tensor or array of shape
    (..., in_features), usually (batch, in_features); output (..., out_features),
    float64 unless both input and parameters are float32.
    weight: Tensor (out_features, in_features); bias: Tensor (out_features,) or None.

    Initialisation follows PyTorch's default, `Linear.reset_parameters` in
    torch/nn/modules/linear.py: the weight is Kaiming-uniform with a = sqrt(5),
    whose bound gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)), comes to
    k = 1/sqrt(in_features); the bias is uniform in (-k, k) too. `rng` is a
    `numpy.random.Generator` or a seed (None: fresh entropy), so a seed makes
    runs repeatable.

    Raises ValueError for non-positive sizes and, in forward, naming both sizes
    when the input's last axis is not in_features.
    """

    def __init__(self, in_features, out_features, bias=True, rng=None):
        self.in_features = _check_count(in_features, "in_features")
        self.out_features = _check_count(out_features, "out_features")
        rng = np.random.default_rng(rng)
        k = 1.0 / math.sqrt(self.in_features)
        w = rng.uniform(-k, k, (self.out_features, self.in_features))
        self.weight = Tensor(w, requires_grad=True)
        self.bias = (
            Tensor(rng.uniform(-k, k, self.out_features), requires_grad=True) if bias else None
        )

    def forward(self, x):
        x = _as_batch(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            got = x.shape[-1] if x.ndim else "no"
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expects {self.in_features} "
                f"input features on the last axis, got {got} (input of shape {x.shape})"
            )
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


def _elementwise(method, x):
    """x.method() on a Tensor or Value, or on each Value of a list."""
    if isinstance(x, (list, tuple)):
        return [getattr(v, method)() for v in x]
    if not isinstance(x, Node):
        x = Tensor(x)
    return getattr(x, method)()


class ReLU(Module):
    """max(x, 0) elementwise (derivative 0 at 0, as PyTorch); on a Tensor, Value or Values."""

    def forward(self, x):
        return _elementwise("relu", x)


class Tanh(Module):
    """tanh(x) elementwise; on a Tensor, a Value, or a list of Values."""

    def forward(self, x):
        return _elementwise("tanh", x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise; on a Tensor, a Value, or a list of Values."""

    def forward(self, x):
        return _elementwise("sigmoid", x)


class Sequential(Module):
    """Modules applied one after another: `Sequential(Linear(4, 8), ReLU(), Linear(8, 3))`.

    The modules are kept in `self.layers`, so parameters are named
    `layers.0.weight`, `layers.2.bias`, ...
    """

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, argument {i} is a {type(m).__name__}")
        self.layers = list(modules)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)
