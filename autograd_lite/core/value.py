"""`Value`: the scalar node, a Python float with a gradient (micrograd's idea, on the core)."""

from __future__ import annotations

import numbers

import numpy as np

from . import graph, ops
from .graph import ALIAS, Node, node_maker


def _as_float(x, what="operand"):
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:  # an int beyond the float range: ±inf (the slow path)
            return ops.as_float(x)
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return float(x)
    if isinstance(x, (complex, np.complexfloating)):
        raise ops.complex_error(f"Value {what}", x)
    raise TypeError(f"Value {what} must be a real number or a Value, got {type(x).__name__} {x!r}")


def _unary(op, x):
    try:
        data = op.scalar(x._data)
    except (ArithmeticError, ValueError):
        data = ops.scalar_forward(op, (x._data,))
    return _new_value(data, op, (x,), (data, x._data), x.requires_grad)


def _binary(op, a, b):
    if a.__class__ is Value:
        ad, req = a._data, a.requires_grad
    else:
        try:
            ad = _as_float(a)
        except TypeError:
            return _with_tensors(op, (a, b))
        a, req = None, False
    if b.__class__ is Value:
        bd, req = b._data, req or b.requires_grad
    else:
        try:
            bd = _as_float(b)
        except TypeError:
            return _with_tensors(op, (a if a is not None else ad, b))
        b = None
    try:
        data = op.scalar(ad, bd)
    except (ArithmeticError, ValueError):
        data = ops.scalar_forward(op, (ad, bd))
    return _new_value(data, op, (a, b), (data, ad, bd), req)


def _with_tensors(op, args, params=()):
    """A Value meets an array, a list or a Tensor: the op runs on Tensors, and so the result
    is a Tensor; each Value enters as a 0-d Tensor whose gradient comes back as a float
    (see `Tensor._apply`)."""
    from .tensor import Tensor  # the Tensor module imports this one

    return Tensor._apply(op, args, params)


class Value(Node, ops.Arithmetic):
    """A scalar that records the operations applied to it, for reverse-mode differentiation.

    `Value(data, label="", requires_grad=True)`: `data` is stored as a Python
    float (ints, bools and numpy scalars are converted; anything else raises
    TypeError). After `backward()`, `.grad` is a float on every node of the
    graph that requires grad, interior nodes included; each backward pass adds
    its gradients into `.grad` (call `zero_grad()` to reset). With
    `create_graph=True`, `.grad` is a `Value` with history instead.

    Arithmetic follows IEEE like numpy and PyTorch: 1/0 = inf, log(0) = -inf,
    log(-1) = nan, and never a ZeroDivisionError. Comparisons compare `data`
    and return plain bools; `hash` is by identity.
    """

    __slots__ = ()
    _ZERO_GRAD = 0.0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """numpy's ufuncs on Values: `np.exp(v)` is `al.exp(v)`, a Value; with an array
        among the inputs the result is a Tensor. Works as `Tensor.__array_ufunc__`."""
        from .tensor import Tensor  # the Tensor module imports this one

        return Tensor.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """numpy's functions on Values (`np.sum(v)`, `np.stack([v, w])`), as on Tensors."""
        from .tensor import Tensor

        return Tensor.__array_function__(self, func, types, args, kwargs)

    def __init__(self, data: float, label: str = "", requires_grad: bool = True):
        self._init_leaf(self._convert_data(data), label, requires_grad)

    @staticmethod
    def _apply(op, args, params=()):
        if len(args) == 2 and not params and op.scalar is not None:
            return _binary(op, *args)
        if any(isinstance(a, Node) and not isinstance(a, Value) for a in args) or any(
            isinstance(p, np.ndarray) and p.ndim
            for p in params  # where(mask, v, 0), clip
        ):
            return _with_tensors(op, args, params)
        try:
            raws = [a._data if isinstance(a, Value) else _as_float(a) for a in args]
        except TypeError:  # an array or a list among the operands
            return _with_tensors(op, args, params)
        nodes = tuple(a if isinstance(a, Value) else None for a in args)
        data = ops.scalar_forward(op, raws, params)
        req = any(n is not None and n.requires_grad for n in nodes)
        return _new_value(data, op, nodes, (data, *raws, *params), req)

    # ---- hooks of the graph core ---------------------------------------------------
    def _seed(self, gradient, create_graph):
        if gradient is None:
            gradient = 1.0
        if isinstance(gradient, Node):
            if not isinstance(gradient, Value):
                raise TypeError(f"gradient for a Value must be a number or Value, got {gradient!r}")
            return gradient if create_graph else gradient.data
        g = _as_float(gradient, "gradient")
        return Value(g, requires_grad=False) if create_graph else g

    @staticmethod
    def _convert_data(value):
        if isinstance(value, Value):
            if value.requires_grad and graph._state.tracing:
                raise graph.escape_error(value, "Value() or .data = from")
            value = value._data
        return _as_float(value, "data")

    def _new_grad(self, g):
        old = self._grad
        if old is None:  # the PyTorch habit `v.grad = None` means no gradient yet
            old = 0.0
        if isinstance(g, Node) and old.__class__ is float and old == 0.0:
            return g
        return old + g

    def _alias(self, data, differentiable=True):
        req = differentiable and self.requires_grad
        return _new_value(data, ALIAS, (self,), (data, data), req)

    def _hook_argument(self, g):
        return g

    def _hook_result(self, r, hook):
        if isinstance(r, np.ndarray) and r.shape not in ((), (1,)):
            raise ValueError(
                f"the hook {hook!r} returned a gradient of shape {r.shape} for a Value (shape ())"
            )
        return _as_float(r.reshape(()) if isinstance(r, np.ndarray) else r, f"hook {hook!r} result")

    def _as_tensor(self, dtype=np.float64):
        """This Value as a 0-d Tensor of `dtype`, recorded: its cotangent comes back as a float."""
        from .tensor import _new_tensor  # the Tensor module imports this one

        data = np.asarray(self._data, dtype=dtype)
        graph._kinds_met = True
        ctx = (data, self._data, data.dtype)
        return _new_tensor(data, ops.AS_TENSOR, (self,), ctx, self.requires_grad)

    def _as_value(self):
        return self

    _unary = staticmethod(_unary)
    _binary = staticmethod(_binary)

    def __array__(self, dtype=None, copy=None):
        # np.asarray(v): a 0-d array of the float (a constant), never an object array
        # holding the node; inside a transform it raises instead, as float(v) does.
        if self.requires_grad and graph._state.tracing:
            raise graph.escape_error(self, "A numpy conversion (np.asarray, np.array, ...) of")
        return np.array(self._data, dtype=dtype)

    def __float__(self):
        if self.requires_grad and graph._state.tracing:
            raise graph.escape_error(self, "float() of")
        return self._data

    def item(self) -> float:
        """The data as a Python float (as `float(v)`).

        Raises TypeError inside a transform when the Value requires grad: the float
        would leave the graph (use `.data` to take it as a constant on purpose).
        """
        if self.requires_grad and graph._state.tracing:
            raise graph.escape_error(self, "item() of")
        return self._data

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        grad = self.grad if isinstance(self.grad, float) else f"<{self.grad!r}>"
        return f"Value(data={self._data!r}, grad={grad}{label})"


_new_value = node_maker(Value)  # every Value an operation makes is made here
