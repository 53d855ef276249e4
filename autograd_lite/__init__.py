"""autograd_lite: a small reverse-mode automatic-differentiation engine.

`Value` (a scalar) and `Tensor` (a numpy array) record the operations applied
to them; `backward()` applies the chain rule in reverse topological order.
Derivative rules are written in the engine's own operations, so a backward
pass can itself be differentiated (`create_graph=True`).
"""

import sys as _sys

from . import nn as nn
from . import optim as optim
from . import transforms as _transforms
from .core import ops as _ops
from .core import products as _products
from .core import reductions as _reductions
from .core import shapes as _shapes
from .core import tensor as _tensor
from .core.anomaly import detect_anomaly
from .core.graph import enable_grad, is_grad_enabled, no_grad
from .core.ops import *  # noqa: F403  (the op functions: `ops.__all__`, from the op table)
from .core.primitive import primitive
from .core.products import *  # noqa: F403  (tensordot, einsum, kron, ...)
from .core.reductions import *  # noqa: F403  (prod, var, cumsum, ...)
from .core.shapes import *  # noqa: F403  (squeeze, flip, pad, ...)
from .core.tensor import Tensor
from .core.value import Value
from .jit import compile as compile  # not in __all__: `import *` keeps Python's compile
from .math import distributions as distributions
from .math import linalg as linalg
from .transforms import *  # noqa: F403  (grad, jvp, jacobian, hessian, gradcheck, ...)
from .transforms import functional as functional
from .viz import draw_dot, draw_graph, explain, explore, save_graph
from .viz.grad_flow import plot_grad_flow

# numpy's norm, matrix norms included: the core's `norm` is the vector norm (Tensor.norm),
# and the singular values of the matrix norms come from linalg's eigh.
norm = linalg.norm

# numpy.linalg's functions on a Tensor dispatch to linalg's (the core cannot import math/).
_tensor._ARRAY_FUNCTIONS.update(linalg.NUMPY_FUNCTIONS)

# The import paths of the flat layout stay valid: `autograd_lite.functional`,
# `autograd_lite.gradcheck`, `autograd_lite.linalg` and `autograd_lite.distributions`
# name the modules that now live in `transforms/` and `math/`.
for _name, _module in {
    "functional": functional,
    "gradcheck": _sys.modules[f"{__name__}.transforms.gradcheck"],
    "linalg": linalg,
    "distributions": distributions,
}.items():
    _sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module

__version__ = "0.1.0"

__all__ = [
    *_ops.__all__,
    *_reductions.__all__,
    *_shapes.__all__,
    *_products.__all__,
    *_transforms.__all__,
    "Tensor",
    "Value",
    "detect_anomaly",
    "draw_dot",
    "draw_graph",
    "enable_grad",
    "explain",
    "explore",
    "is_grad_enabled",
    "no_grad",
    "plot_grad_flow",
    "primitive",
    "save_graph",
]
