"""`Tensor`: the numpy-backed node, with numpy's semantics and broadcasting."""

from __future__ import annotations

import numbers
import sys

import numpy as np

from . import graph, ops, products, reductions, shapes
from .graph import ALIAS, Node, node_maker
from .ops import FLOATS as _FLOATS
from .value import _new_value


def _as_array(data, dtype=None, what="data"):
    """A float ndarray (a copy) from numbers, lists or arrays: float64, unless float16 or
    float32 is asked for or given (an array of that dtype keeps it). TypeError for
    non-numeric or complex data."""
    if isinstance(data, Node):
        raise TypeError(f"Tensor {what} must be numbers or arrays, got a {type(data).__name__}")
    arr = ops.real_array(data, f"Tensor {what}")
    return arr.astype(arr.dtype if dtype is None else _float_dtype(dtype), copy=True)


def _float_dtype(dtype):
    """`dtype` as a numpy dtype a Tensor may hold, else ValueError naming it."""
    dtype = np.dtype(dtype)
    if dtype not in _FLOATS:
        raise ValueError(f"Tensor dtype must be float16, float32 or float64, got {dtype}")
    return dtype


def _operand(x):
    """A raw operand of an op: Python numbers stay (numpy treats them as weak), arrays go float."""
    if isinstance(x, (float, int)):
        try:
            return float(x)
        except OverflowError:  # an int beyond the float range: ±inf (the slow path)
            return ops.as_float(x)
    if isinstance(x, np.ndarray) and x.dtype in _FLOATS:
        return x
    return _as_array(x, what="operand")


def _unbroadcast(c, shape, keep=0):
    """Sum a cotangent over the axes along which an input of `shape` was broadcast; its
    first `keep` axes (a batched sweep's batch axes) are kept in front."""
    if c.ndim < keep + len(shape):
        return ops.broadcast_to(c, shape)
    axes = _broadcast_axes(c.shape, shape, keep)
    if axes:
        c = c.sum(axis=axes, keepdims=True)  # a method: c may be a Tensor (create_graph)
    return c.reshape(c.shape[:keep] + shape) if c.ndim > keep + len(shape) else c


def _broadcast_axes(c_shape, shape, keep=0):
    """The axes of a cotangent of `c_shape` along which an input of `shape` was broadcast
    (after its first `keep`): the leading axes it lacks, and its axes of length 1 there."""
    start = len(c_shape) - len(shape)
    return tuple(range(keep, start)) + tuple(
        start + i for i, n in enumerate(shape) if n == 1 and c_shape[start + i] != 1
    )


def _summed(axes, shape, c):
    """`_unbroadcast(c, shape)` of a raw c whose broadcast `axes` are known (a kernel)."""
    return ops._sum(c, axis=axes, keepdims=True).reshape(shape)


def _unary(op, x):
    if op.quiet:
        with np.errstate(all="ignore"):
            data = op.array(x._data)
    else:
        data = op.array(x._data)
    if data.__class__ is not np.ndarray:  # numpy gives a scalar for a 0-d input
        data = np.asarray(data)
    return _new_tensor(data, op, (x,), (data, x._data), x.requires_grad)


def _binary(op, a, b):
    if a.__class__ is Tensor:
        ad, req = a._data, a.requires_grad
    elif isinstance(a, (Node, list, tuple)):  # a Value, or a list that may hold nodes
        return Tensor._apply(op, (a, b))
    else:
        ad, a, req = _operand(a), None, False
    if b.__class__ is Tensor:
        bd, req = b._data, req or b.requires_grad
    elif isinstance(b, (Node, list, tuple)):
        return Tensor._apply(op, (a if a is not None else ad, b))
    else:
        bd, b = _operand(b), None
    if op.quiet:
        with np.errstate(all="ignore"):
            data = op.array(ad, bd)
    else:
        data = op.array(ad, bd)
    if data.__class__ is not np.ndarray:
        data = np.asarray(data)
    return _new_tensor(data, op, (a, b), (data, ad, bd), req)


def _values_as_tensors(raws, parents):
    """Make every Value among an op's operands (a None in `raws`) a recorded 0-d Tensor, in
    place: of the dtype numpy gives the other operands, so a Value acts as a Python float
    does (weak: a float32 array stays float32, as in numpy and PyTorch); float64 alone.
    Its gradient comes back as a float (op as_tensor)."""
    others = [r for r in raws if r is not None]
    dtype = np.result_type(*others) if others else np.float64
    if dtype not in _FLOATS:
        dtype = np.float64
    for k, r in enumerate(raws):
        if r is None:
            parents[k] = parents[k]._as_tensor(dtype)
            raws[k] = parents[k]._data


#: numpy's functions that autograd_lite has, for `Tensor.__array_function__`.
_ARRAY_FUNCTIONS = {
    np.sum: ops.sum,
    np.mean: ops.mean,
    np.max: ops.max,
    np.amax: ops.max,
    np.min: ops.min,
    np.amin: ops.min,
    np.stack: ops.stack,
    np.concatenate: ops.concatenate,
    np.where: ops.where,
    np.clip: ops.clip,
    np.round: ops.round,
    np.around: ops.round,
    np.matmul: ops.matmul,
    np.outer: ops.outer,
    np.reshape: ops.reshape,
    np.broadcast_to: ops.broadcast_to,
    np.transpose: lambda x, axes=None: ops.array_operand(x, "transpose").transpose(axes),
    np.sinc: ops.sinc,
    **reductions.NUMPY_FUNCTIONS,
    **shapes.NUMPY_FUNCTIONS,
    **products.NUMPY_FUNCTIONS,
}


def _requires_grad_inside(obj):
    if isinstance(obj, Node):
        return obj.requires_grad
    if isinstance(obj, (list, tuple)):
        return any(_requires_grad_inside(x) for x in obj)
    if isinstance(obj, dict):
        return any(_requires_grad_inside(x) for x in obj.values())
    return False


def _data_inside(obj):
    if isinstance(obj, Node):
        return obj._data
    if isinstance(obj, (list, tuple)):
        return type(obj)(_data_inside(x) for x in obj)
    if isinstance(obj, dict):
        return {k: _data_inside(v) for k, v in obj.items()}
    return obj


#: numpy's ufuncs that are autograd_lite ops, for `Tensor.__array_ufunc__`: the operators,
#: and every op whose public function has the name of a numpy ufunc (`al.exp` is `np.exp`'s).
_UFUNC_OPS = {
    np.add: ops.ADD,
    np.subtract: ops.SUB,
    np.multiply: ops.MUL,
    np.true_divide: ops.DIV,
    np.negative: ops.NEG,
    **{
        getattr(np, op.function): op
        for op in ops.OPS
        if op.function and isinstance(getattr(np, op.function, None), np.ufunc)
    },
    np.radians: ops.DEG2RAD,
    np.degrees: ops.RAD2DEG,
}
_COMPARISONS = (np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)


def _ufunc_comparison(ufunc, inputs):
    """A numpy comparison (np.greater, `array < tensor`) with nodes among its inputs: on their
    data, a bool array (no node), as the operators `<`, `>`, ... of a node give."""
    return ufunc(*[x._data if isinstance(x, Node) else x for x in inputs])


def _index_part(i):
    """One part of an index; a list becomes an array (of ints or bools, as numpy reads it)."""
    if isinstance(i, Tensor):
        raise IndexError(
            "a Tensor holds floats and cannot be an index; index with ints, slices, or an integer "
            "or bool numpy array (for example t[mask.data > 0] or t[idx.data.astype(int)])"
        )
    return np.asarray(i) if isinstance(i, list) else i


class Tensor(Node, ops.Arithmetic):
    """An n-dimensional array that records operations for reverse-mode differentiation.

    `Tensor(data, requires_grad=False, dtype=None, label="")`: `data` (numbers,
    nested lists or an ndarray; it is copied) becomes a float64 array, or
    float16 or float32 if asked for (`dtype=`) or given an array of that dtype;
    ints and bools become float64, so gradients are never integers. Operations
    promote dtypes as numpy does (a Python number or a `Value` operand never
    widens an array), and a gradient has its tensor's dtype. Non-numeric or
    complex data raises TypeError. `.grad` is None until a backward pass reaches
    the tensor, then a Tensor of the same shape; every node that requires grad
    gets one, interior nodes included. Operators and methods follow numpy, broadcasting
    included. Comparisons return numpy bool arrays (not recorded).
    """

    __slots__ = ("_spare",)
    _unary = staticmethod(_unary)
    _binary = staticmethod(_binary)  # the cotangent sum: raw ndarray until read, then a Tensor
    _ZERO_GRAD = None
    _SHAPED = True

    def __array_function__(self, func, types, args, kwargs):
        """numpy's functions on Tensors (`np.sum(t, axis=0)`, `np.stack([...])`, `np.dot`).

        Those autograd_lite has run recorded and return Tensors. Any other refuses a
        Tensor that requires grad with a TypeError naming it (its result would be a
        constant: the gradient would silently be 0); on constant Tensors it runs on
        their data, as numpy would on the arrays.
        """
        ours = _ARRAY_FUNCTIONS.get(func)
        name = f"{func.__module__.replace('numpy', 'np', 1)}.{func.__name__}"
        if ours is not None:
            try:
                return ours(*args, **kwargs)
            except TypeError as e:  # a keyword numpy has and autograd_lite does not
                raise TypeError(f"{name} on a Tensor: {e}") from None
        if _requires_grad_inside((args, kwargs)):
            raise TypeError(
                f"{name} is not supported on a Tensor that requires grad (its result "
                "would have no history); use autograd_lite's functions, or t.data for a constant"
            )
        return func(*_data_inside(args), **_data_inside(kwargs))

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """numpy's ufuncs on Tensors: recorded where autograd_lite has the op.

        `np.exp(t)`, `arr * t`, `np.maximum(t, arr)` run the op and return a Tensor with
        history; comparisons compare data (as the operators do). With `out=` a plain
        array is updated in place from the data, recording nothing: the hand-written
        step `p.data -= lr * p.grad`. Any other ufunc raises TypeError naming it.
        """
        if out is not None:
            if any(isinstance(o, Node) for o in out):
                raise TypeError(f"numpy's {ufunc.__name__} cannot write into a node (out=)")
            for x in inputs:
                if isinstance(x, Node) and x.requires_grad and graph._state.tracing:
                    raise graph.escape_error(x, f"An in-place numpy {ufunc.__name__} with")
            raws = [x._data if isinstance(x, Node) else x for x in inputs]
            return getattr(ufunc, method)(*raws, out=out, **kwargs)
        if method == "__call__" and not kwargs:
            if ufunc in _COMPARISONS:
                return _ufunc_comparison(ufunc, inputs)
            op = _UFUNC_OPS.get(ufunc)
            if op is not None:  # run on the node type of the first node (a Value's too)
                return ops.apply(op, inputs)
        name = ufunc.__name__ + ("" if method == "__call__" else f".{method}")
        raise TypeError(
            f"numpy's {name} is not supported on a {type(self).__name__} (it would drop the "
            "graph); use autograd_lite's functions (al.exp, al.sum, ...), or .data for a constant"
        )

    def __init__(self, data, requires_grad: bool = False, dtype=None, label: str = ""):
        if isinstance(data, Tensor):
            if data.requires_grad and graph._state.tracing:
                raise graph.escape_error(data, "Tensor() of")
            data = data._data
        self._init_leaf(_as_array(data, dtype), label, requires_grad)

    @property
    def data(self) -> np.ndarray:
        """The array, float64, float32 or float16, shaped `self.shape`.

        Once a recorded op has saved the array for its backward pass, reading `.data`
        first gives the Tensor a copy of its own (once): edits in place, such as
        `t.data[0] = 5` or `t.data -= lr * t.grad`, change the Tensor from then on and
        never the arrays the backward pass reads, which stay those of the forward pass
        (PyTorch raises at backward instead). Assigning converts, as `Node.data`.
        """
        if self._saved:
            self._data = self._own_copy()
            self._saved = False
        return self._data

    def _own_copy(self):
        """A copy of the data for this Tensor alone, in the array it had before if that is free.

        A training loop edits its parameters in place every step (`p.data -= lr * p.grad`),
        each time after an op saved them: the array the previous step copied from is free
        again by then (its graph is gone), and copying into it spares the allocation.
        """
        old = self._data
        spare = getattr(self, "_spare", None)
        # References to a free spare: the slot, the local name and getrefcount's argument.
        if (
            spare is not None
            and spare.shape == old.shape
            and spare.dtype == old.dtype
            and spare.strides == old.strides
            and sys.getrefcount(spare) <= 3
        ):
            np.copyto(spare, old)
            new = spare
        else:  # the layout kept (order "K"), as the array was: sums over it round alike
            new = old.copy(order="K")
        self._spare = old
        return new

    @data.setter
    def data(self, value):
        if value.__class__ is not np.ndarray or value.dtype not in _FLOATS:
            value = self._convert_data(value)  # (a float array is kept as given)
        self._data = value
        self._saved = False

    @staticmethod
    def _convert_data(value):
        if isinstance(value, Tensor):
            if value.requires_grad and graph._state.tracing:
                raise graph.escape_error(value, "Assigning .data from")
            value = value._data
        if isinstance(value, np.ndarray) and value.dtype in _FLOATS:
            return value  # kept as given (shared, as torch's `.data =`)
        return _as_array(value)

    @property
    def grad(self):
        """The gradient, a Tensor shaped like `data` (None before any backward pass)."""
        g = self._grad
        if g is not None and g.__class__ is not Tensor:
            with graph._commit_lock:  # a backward in another thread may be adding into it
                g = self._grad
                if g is not None and g.__class__ is not Tensor:
                    if not g.flags.writeable:  # shared or a broadcast view: its own memory
                        g = g.copy(order="K")  # its layout kept, as the copy of .data
                    g = self._grad = _new_tensor(g)
        return g

    @grad.setter
    def grad(self, value):
        raw = value.__class__ is np.ndarray and value.dtype in _FLOATS  # wrapped when read
        if value is not None and not raw and not isinstance(value, Tensor):
            value = Tensor(value, dtype=self._data.dtype)
        if value is not None and value.shape != self._data.shape:
            raise ValueError(
                f"grad of shape {value.shape} assigned to a Tensor of shape {self.shape}"
            )
        self._grad = value

    @staticmethod
    def _apply(op, args, params=()):
        raws = []
        parents = []
        req = False
        values = False
        for a in args:
            if a.__class__ is not Tensor and not isinstance(a, Node):
                if not isinstance(a, (list, tuple)) or not ops._contains_node(a):
                    raws.append(_operand(a))
                    parents.append(None)
                    continue
                a = ops._stacked(a)  # a list of nodes, stacked with its history
            if a.__class__ is Tensor:
                raws.append(a._data)
                req = req or a.requires_grad
            else:  # a Value: made a 0-d Tensor below, once the arrays' dtype is known
                raws.append(None)
                values = True
            parents.append(a)
        if values:
            _values_as_tensors(raws, parents)
            req = any(p is not None and p.requires_grad for p in parents)
        if op.quiet:
            with np.errstate(all="ignore"):
                data = op.array(*raws, *params)
        else:
            data = op.array(*raws, *params)
        if data.__class__ is not np.ndarray:
            data = np.asarray(data)
        return _new_tensor(data, op, tuple(parents), (data, *raws, *params), req)

    # ---- hooks of the graph core ---------------------------------------------------
    def _seed(self, gradient, create_graph):
        if gradient is None:
            if self._data.size != 1:
                raise ValueError(
                    f"backward() without a gradient needs a one-element output, but this one has "
                    f"shape {self.shape}; pass gradient= of shape {self.shape} "
                    "(or reduce, e.g. .sum())"
                )
            g = np.ones_like(self._data)
        elif isinstance(gradient, Tensor):
            if gradient.shape != self.shape:
                raise ValueError(
                    f"gradient has shape {gradient.shape}, but the output has shape {self.shape}"
                )
            if create_graph:
                return gradient if gradient.dtype == self.dtype else gradient.astype(self.dtype)
            g = gradient._data.astype(self.dtype)  # a copy: .grad never shares the caller's array
        else:
            g = _as_array(gradient, self.dtype, what="gradient")
            if g.shape != self.shape:
                raise ValueError(
                    f"gradient has shape {g.shape}, but the output has shape {self.shape}"
                )
        return _new_tensor(g) if create_graph else g

    def _new_grad(self, g):
        old = self._grad
        if old is None:
            return g
        if old.__class__ is np.ndarray and g.__class__ is np.ndarray:
            return np.asarray(old + g)  # 0-d arrays add to a numpy scalar: keep an array
        return self.grad + g  # a recorded gradient (create_graph) is involved: add as Tensors

    def _alias(self, data, differentiable=True):
        req = differentiable and self.requires_grad
        return _new_tensor(data, ALIAS, (self,), (data, data), req)

    def _hook_argument(self, g):
        view = g.view()  # read-only: the array may be another node's cotangent as well
        view.flags.writeable = False
        return _new_tensor(view)

    def _hook_result(self, r, hook):
        g = _as_array(r, self.dtype, what=f"returned by the hook {hook!r}")
        if g.shape != self.shape:
            raise ValueError(
                f"the hook {hook!r} returned a gradient of shape {g.shape} for a Tensor of shape "
                f"{self.shape}"
            )
        return g

    def _as_tensor(self, dtype=None):
        return self

    def _as_value(self):
        """This one-element Tensor as a Value, recorded (its cotangent comes back reshaped)."""
        if self._data.size != 1:
            raise ValueError(f"only a one-element Tensor becomes a Value, got shape {self.shape}")
        data = float(self._data.reshape(()))
        graph._kinds_met = True
        return _new_value(data, ops.AS_VALUE, (self,), (data, self._data), self.requires_grad)

    @staticmethod
    def _sum_to_shape(c, like):
        if c.shape != like.shape:
            c = _unbroadcast(c, like.shape)
        if c.dtype != like.dtype:
            c = c.astype(like.dtype)
        if isinstance(c, np.generic):  # what numpy gives for arithmetic on 0-d arrays
            c = np.asarray(c)
        return c

    @staticmethod
    def _sum_to_batch(c, like, batch):
        """A batched sweep's `_sum_to_shape`: c, of shape batch + (broadcast) input shape,
        summed to batch + like.shape, the batch axes kept. A c without the batch axes
        (fewer than len(batch) + like.ndim, a constant) is the same for every row: summed
        to like's shape, then broadcast."""
        shape, nb = like.shape, len(batch)
        lead = c.ndim - nb - len(shape)
        if lead < 0:
            c = _unbroadcast(c, shape)
            return Tensor._sum_to_shape(ops.broadcast_to(c, batch + shape), like)
        if c.shape[:nb] != batch:  # a batch axis of length 1, broadcast
            c = ops.broadcast_to(c, batch + c.shape[nb:])
        c = _unbroadcast(c, shape, keep=nb)
        if c.dtype != like.dtype:
            c = c.astype(like.dtype)
        if isinstance(c, np.generic):
            c = np.asarray(c)
        return c

    # ---- array protocol --------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The shape of `data`, a tuple of ints."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of `data`: float64, float32 or float16."""
        return self._data.dtype

    @property
    def T(self):
        """The transpose (axes reversed), as numpy's `.T`."""
        return self.transpose()

    def item(self) -> float:
        """The single element as a Python float; ValueError if there is more than one.

        Raises TypeError inside a transform when the Tensor requires grad: the float
        would leave the graph (use `.data` to take it as a constant on purpose).
        """
        if self.requires_grad and graph._state.tracing:
            raise graph.escape_error(self, "float() or item() of")
        if self._data.size != 1:
            raise ValueError(f"item() needs a one-element Tensor, this one has shape {self.shape}")
        return float(self._data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied), as `torch.Tensor.numpy`.

        Raises TypeError inside a transform when the Tensor requires grad (use `.data`).
        """
        if self.requires_grad and graph._state.tracing:
            raise graph.escape_error(self, "numpy() of")
        return self.data

    def __array__(self, dtype=None, copy=None):
        # np.asarray(t) shares the data; np.array(t) and np.copy(t) copy it, as numpy does.
        if self.requires_grad and graph._state.tracing:
            raise graph.escape_error(self, "A numpy conversion (np.asarray, np.dot, ...) of")
        return np.array(self.data, dtype=dtype, copy=copy)  # .data: an in-place write is safe

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self._data)

    def __float__(self):
        return self.item()

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a Tensor of shape {self.shape} is ambiguous; "
                "use .data.any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(len(self._data)))

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extra = f", shape={self.shape}" if self._data.size == 0 else ""
        if self._data.dtype != np.float64:
            extra += f", dtype={self._data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    def astype(self, dtype) -> Tensor:
        """This tensor converted to float16, float32 or float64 (differentiable: the
        cotangent is cast back). Raises ValueError for any other dtype."""
        dtype = _float_dtype(dtype)
        if dtype == self.dtype:
            return self
        return Tensor._apply(ops.ASTYPE, (self,), (dtype,))

    # ---- matrix products and indexing (the elementwise operators are in ops.Arithmetic) ----
    def __matmul__(self, other):
        return _binary(ops.MATMUL, self, other)

    def __rmatmul__(self, other):
        return _binary(ops.MATMUL, other, self)

    def __getitem__(self, index):
        """numpy indexing: ints, slices, None, Ellipsis, and integer or bool arrays or lists.

        Repeated integer indices accumulate their gradients.
        """
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(_index_part(i) for i in parts)
        return Tensor._apply(
            ops.GETITEM, (self,), (parts if isinstance(index, tuple) else parts[0],)
        )

    # The functions of autograd_lite that take a tensor first serve as its methods, with their
    # docstrings: `t.sum(axis=0)` is `autograd_lite.sum(t, axis=0)`.
    matmul = ops.matmul
    dot = products.dot
    outer = ops.outer

    # ---- reductions and shape ----------------------------------------------------------
    sum = ops.sum
    mean = ops.mean
    max = ops.max
    min = ops.min
    logsumexp = ops.logsumexp
    softmax = ops.softmax
    log_softmax = ops.log_softmax
    norm = ops.norm

    # numpy's array methods that are functions of other modules (self is the array):
    cumsum = reductions.cumsum
    squeeze = shapes.squeeze
    ravel = shapes.ravel
    flatten = shapes.flatten
    repeat = shapes.repeat
    swapaxes = shapes.swapaxes
    diagonal = shapes.diagonal
    trace = shapes.trace
    cumprod = reductions.cumprod
    prod = reductions.prod
    var = reductions.var
    std = reductions.std
    argmax = reductions.argmax
    argmin = reductions.argmin
    all = reductions.all
    any = reductions.any

    def reshape(self, *shape) -> Tensor:
        """Same data, new shape: `t.reshape(2, 3)` or `t.reshape((2, 3))`, -1 allowed."""
        if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
            shape = ops.as_shape(shape[0])
        return Tensor._apply(ops.RESHAPE, (self,), (shape,))

    def transpose(self, *axes) -> Tensor:
        """Permute axes: no argument reverses them (as numpy); `t.transpose(1, 0)` or a tuple."""
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], numbers.Integral)):
            axes = axes[0] if axes[0] is None else ops.as_shape(axes[0])
        if axes is None or tuple(axes) == ():
            return Tensor._apply(ops.TRANSPOSE, (self,), (None,))
        n = self.ndim
        perm = tuple(int(a) + n if -n <= a < 0 else int(a) for a in axes)
        if sorted(perm) != list(range(n)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the {n} axes")
        return Tensor._apply(ops.TRANSPOSE, (self,), (perm,))


_new_tensor = node_maker(Tensor)  # every Tensor an operation makes is made here
