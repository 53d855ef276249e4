"""The engine: nodes, the op table, the backward sweep. Imports nothing outside `core`.

- `graph`: `Node`, `Op`, grad mode, topological order, the backward sweep;
- `ops`: every op declared once (forward and vjp rules side by side) and its function;
- `value`: `Value`, the scalar node;  `tensor`: `Tensor`, the numpy node;
- `anomaly`: `detect_anomaly`, which stops at the first NaN or Inf an op or rule makes;
- `primitive`: the public way to declare an op; `reductions`, `shapes` and `products`:
  the rest of numpy's differentiable surface, declared with it.
"""

from .graph import enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor
from .value import Value

__all__ = ["Tensor", "Value", "enable_grad", "is_grad_enabled", "no_grad"]
