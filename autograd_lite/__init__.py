"""autograd_lite: a small reverse-mode automatic-differentiation engine.

`Value` (a scalar) and `Tensor` (a numpy array) record the operations applied
to them; `backward()` applies the chain rule in reverse topological order.
Derivative rules are written in the engine's own operations, so a backward
pass can itself be differentiated (`create_graph=True`).
"""

from . import distributions as distributions
from . import linalg as linalg
from . import nn as nn
from . import optim as optim
from .functional import derivative, grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import enable_grad, is_grad_enabled, no_grad
from .ops import (
    abs,
    clip,
    concatenate,
    cos,
    dot,
    exp,
    linear,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    norm,
    outer,
    power,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    stack,
    sum,
    tanh,
    where,
)
from .tensor import Tensor
from .value import Value
from .viz import draw_graph, save_graph

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "Value",
    "abs",
    "clip",
    "concatenate",
    "cos",
    "derivative",
    "dot",
    "draw_graph",
    "enable_grad",
    "exp",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "linear",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "no_grad",
    "norm",
    "outer",
    "power",
    "relu",
    "reshape",
    "save_graph",
    "sigmoid",
    "sin",
    "softmax",
    "sqrt",
    "stack",
    "sum",
    "tanh",
    "value_and_grad",
    "vjp",
    "where",
]
