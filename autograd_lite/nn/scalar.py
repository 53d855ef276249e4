"""Scalar layers on `Value`s, as in micrograd: `Neuron`, `Layer`, `MLP`.

Their inputs and outputs are lists of numbers or Values; they are for seeing
backpropagation one number at a time, not for speed.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.value import Value
from .containers import Sequential
from .module import Module, _check_count

_ACTIVATIONS = ("relu", "tanh", "sigmoid", None)


class Neuron(Module):
    """One unit on scalars: act(sum_i w_i x_i + b), with `Value` weights `w` (a list) and `b`.

    nin: number of inputs; activation: 'relu', 'tanh', 'sigmoid' or None
    (linear). Weights and bias start in U(-k, k), k = 1/sqrt(nin), as `Linear`.
    Input: a sequence of nin numbers or Values; output: a Value. A sequence of
    another length raises ValueError naming both lengths.
    """

    def __init__(self, nin, activation="relu", rng=None):
        self.nin = _check_count(nin, "nin")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of 'relu', 'tanh', 'sigmoid', None; got {activation!r}"
            )
        self.activation = activation
        rng = np.random.default_rng(rng)
        k = 1.0 / math.sqrt(self.nin)
        self.w = [Value(float(u)) for u in rng.uniform(-k, k, self.nin)]
        self.b = Value(float(rng.uniform(-k, k)))

    def forward(self, x):
        if len(x) != self.nin:
            raise ValueError(f"Neuron({self.nin}) expects {self.nin} inputs, got {len(x)}")
        z = self.b
        for wi, xi in zip(self.w, x):
            z = z + wi * xi
        return z if self.activation is None else getattr(z, self.activation)()

    def extra_repr(self):
        return f"{self.nin}, activation={self.activation!r}"


class Layer(Module):
    """`nout` Neurons reading the same `nin` inputs; returns a list of nout Values."""

    def __init__(self, nin, nout, activation="relu", rng=None):
        rng = np.random.default_rng(rng)
        nout = _check_count(nout, "nout")
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def forward(self, x):
        return [n(x) for n in self.neurons]

    def __repr__(self):  # one line: listing every Neuron would drown the model's outline
        n = self.neurons[0]
        return f"Layer({n.nin}, {len(self.neurons)}, activation={n.activation!r})"


class MLP(Sequential):
    """A multi-layer perceptron of Values: `MLP(4, [16, 3])` maps 4 inputs to 3 outputs.

    A `Sequential` of `Layer`s: hidden layers use `activation` ('relu' by
    default); the last layer is linear, so its outputs are logits (or regression
    outputs). Input: a sequence of nin numbers or Values; output: a list of
    Values, one per output. Parameters are named `0.neurons.0.w.0`, ...
    """

    def __init__(self, nin, nouts, activation="relu", rng=None):
        rng = np.random.default_rng(rng)
        if len(nouts) == 0:
            raise ValueError("MLP needs at least one layer size in nouts, got []")
        sizes = [_check_count(nin, "nin")] + [_check_count(n, "layer size") for n in nouts]
        last = len(sizes) - 2
        super().__init__(
            *(
                Layer(sizes[i], sizes[i + 1], activation if i < last else None, rng)
                for i in range(len(sizes) - 1)
            )
        )

    def extra_repr(self):
        sizes = [self.layers[0].neurons[0].nin] + [len(layer.neurons) for layer in self.layers]
        return ", ".join(map(str, sizes))
