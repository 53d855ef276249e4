"""Neural-network building blocks on the engine: modules, layers and losses.

`module.Module` is the base (named parameters, `state_dict`, saving), shared by two families:

- batch layers on `Tensor`s, shaped `(batch, features)` as in PyTorch:
  `Linear`, `ReLU`, `Tanh`, `Sigmoid`, `Sequential`;
- for teaching, scalar layers on `Value`s, as in micrograd: `Neuron`,
  `Layer`, `MLP`, whose inputs and outputs are lists of numbers or Values.

Convolution and pooling on NCHW image batches: `Conv2d`, `MaxPool2d`, `AvgPool2d`, and
`nn.functional` (`conv2d`, `max_pool2d`, `avg_pool2d`), as PyTorch spells them.

The losses `MSELoss`, `BCEWithLogitsLoss` and `CrossEntropyLoss` (and their
functional forms) accept either family.
"""

from . import functional as functional
from .conv import AvgPool2d, Conv2d, MaxPool2d
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
    "AvgPool2d",
    "Conv2d",
    "MaxPool2d",
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
