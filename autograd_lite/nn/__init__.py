"""Neural-network building blocks on the engine: modules, layers and losses.

`module.Module` is the base (named parameters and buffers, `state_dict`, saving, `apply`,
`train()`/`eval()`), shared by two families:

- batch layers on `Tensor`s, shaped `(batch, features)` as in PyTorch: `Linear`,
  `Embedding`, `LayerNorm`, `BatchNorm1d`, `Dropout`, `Flatten`, the activations `ReLU`,
  `LeakyReLU`, `GELU`, `Tanh`, `Sigmoid`, `Softmax`, `LogSoftmax`, and the containers
  `Sequential`, `ModuleList`, `ModuleDict`; `nn.init` fills parameters as `torch.nn.init`;
- for teaching, scalar layers on `Value`s, as in micrograd: `Neuron`,
  `Layer`, `MLP`, whose inputs and outputs are lists of numbers or Values.

The losses `MSELoss`, `L1Loss`, `HuberLoss`, `BCELoss`, `BCEWithLogitsLoss`,
`CrossEntropyLoss` and `NLLLoss` (and their functional forms) accept either family.
"""

from . import init
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (
    GELU,
    Dropout,
    Embedding,
    Flatten,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    erf,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .module import Module
from .normalization import BatchNorm1d, LayerNorm
from .scalar import MLP, Layer, Neuron

__all__ = [
    "GELU",
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "HuberLoss",
    "L1Loss",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Neuron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "erf",
    "huber_loss",
    "init",
    "l1_loss",
    "mse_loss",
    "nll_loss",
]
