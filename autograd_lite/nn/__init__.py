"""Neural-network building blocks on the engine: modules, layers and losses.

A `Module` holds parameters (leaf `Tensor`s or `Value`s with
`requires_grad=True`) in its attributes, directly or inside lists, tuples and
dicts, and sub-modules the same way. `named_parameters()` finds them all with
dotted names such as `layers.0.weight`, in attribute order; the same names
label the parameters (`p.label`), key `state_dict()`, and name the arrays of a
saved `.npz` file.

Two families share the `Module` base:

- batch layers on `Tensor`s, shaped `(batch, features)` as in PyTorch:
  `Linear`, `ReLU`, `Tanh`, `Sigmoid`, `Sequential`;
- for teaching, scalar layers on `Value`s, as in micrograd: `Neuron`,
  `Layer`, `MLP`, whose inputs and outputs are lists of numbers or Values.

The losses `MSELoss`, `BCEWithLogitsLoss` and `CrossEntropyLoss` (and their
functional forms) accept either family.
"""

from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .losses import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
)
from .module import Module
from .scalar import MLP, Layer, Neuron

__all__ = [
    "MLP",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Layer",
    "Linear",
    "MSELoss",
    "Module",
    "Neuron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "mse_loss",
]
