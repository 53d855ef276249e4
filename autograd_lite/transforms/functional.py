"""Derivatives as functions: grad, value_and_grad, vjp, jacobian, hessian, hvp, derivative
(jvp, jacfwd and linearize, forward mode, are in forward.py).

Each transform takes a Python function `f` written with autograd_lite operations
and returns a new function (JAX's and HIPS autograd's style). A call

1. makes a fresh variable for every differentiated argument: a `Value` for a
   number, a `Tensor` for a list or an array. A `Value` or `Tensor` argument
   that requires grad is used as given: the variable is an alias of it, so the
   result can be differentiated through it;
2. records one forward pass of `f` (inside `graph.tracing()`: there a node
   that requires grad refuses `float()`, `item()` and numpy conversions, which
   would drop it from the graph and make its derivative silently 0);
3. runs the core's reverse sweep (`graph.cotangents`) from a seed it chooses
   itself and takes the cotangents of its variables; no `.grad` is touched,
   so a transform leaves no trace on user nodes.

Fresh variables per call are what keep nested derivatives apart: in
`grad(lambda x: x * grad(lambda y: x + y)(x))` the inner `y` is a new node, not
`x`, so the inner derivative is 1 and never 2 ("perturbation confusion",
Siskind and Pearlmutter 2005). A variable is not a leaf (see `_variable`), so
once its transform has returned it is a constant to everything else.

Results come back in the kind of the inputs: floats and numpy arrays (0-d ones
too) for plain inputs, `Value`s and `Tensor`s for node inputs. When a result
depends on something that requires grad outside this call (a node argument
with `requires_grad=True`, a node captured by `f`, the variable of an
enclosing transform) and grad mode is on, the backward pass is recorded
(`create_graph=True`) and the result is a node with history, so transforms
nest to any depth: `grad(grad(grad(f)))`. Variables of finished transforms
and leaves made inside `f` are not outside: plain inputs and no captured node
give plain results, whatever `f` does inside.

`f` may return one output (a `Value`, a `Tensor`, a number or an array) or a
tuple or list of them; a tuple of outputs gives a tuple of results, as in JAX.
Non-differentiated arguments and keyword arguments are passed to `f` unchanged.
"""

from __future__ import annotations

import functools
import math
import numbers
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import ops
from ..core import series as S
from ..core.graph import (
    Node,
    Unbatchable,
    cotangents,
    enable_grad,
    is_grad_enabled,
    toposort,
    tracing,
)
from ..core.taylor import has_series_rules, series_sweep
from ..core.tensor import Tensor
from ..core.value import Value

__all__ = [
    "derivative",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jacrev",
    "value_and_grad",
    "vjp",
]


# ---------------------------------------------------------------------------------------
# The one backward helper every transform uses.


def _sweeps(root, seeds, xs, create_graph):
    """Cotangents of the nodes `xs` from one reverse sweep of `root` per seed in `seeds`.

    Returns one list per seed, aligned with `xs`: raw data (a float or an
    ndarray), a node when the sweep was recorded and the cotangent has history,
    or None where the sweep never reached that x (the gradient is zero).
    The sweeps use `graph.cotangents`, so no `.grad` is touched.
    """
    if not root.requires_grad:
        return [[None] * len(xs) for _ in seeds]
    if not create_graph:  # the rules run on raw data
        return [[_strip(g) for g in cotangents(root, xs, seed)] for seed in seeds]
    with tracing():  # a rule that drops a recorded node to a number raises
        return [[_strip(g) for g in cotangents(root, xs, seed, True)] for seed in seeds]


def _grads(root, seed, xs, create_graph):
    """The cotangents of `xs` from one sweep seeded with `seed` (see `_sweeps`)."""
    return _sweeps(root, [seed], xs, create_graph)[0]


def _strip(g):
    """A cotangent as raw data unless it is a node with history."""
    if isinstance(g, Node) and not g.requires_grad:
        return g.data
    return g


def _zero(x):
    """The zero cotangent of node x, as raw data."""
    return 0.0 if isinstance(x, Value) else np.zeros(x.shape, x.dtype)


def _raw_like(d, scalar):
    """Raw data `d` in its kind: a float if `scalar`, else an ndarray (0-d ones too: numpy
    turns arithmetic on 0-d arrays into numpy scalars). Nodes pass through."""
    if isinstance(d, Node):
        return d
    return float(d) if scalar else np.asarray(d)


def _const(d, scalar):
    """Raw data as a node without history (a Value if `scalar`, else a Tensor); nodes pass."""
    if isinstance(d, Node):
        return d
    return Value(float(d), requires_grad=False) if scalar else Tensor(d)


def _add(a, b):
    """The sum of two cotangents, None standing for zero."""
    return b if a is None else a if b is None else a + b


# ---------------------------------------------------------------------------------------
# Arguments, outputs and results.


def _check_callable(f, name):
    if not callable(f):
        raise TypeError(f"{name}: f must be a callable, got {type(f).__name__} {f!r}")


def _check_argnums(argnums, name):
    """argnums as a tuple of ints, and whether a single int was given."""
    single = isinstance(argnums, numbers.Integral) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if not (
        isinstance(nums, tuple)
        and nums
        and all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in nums)
    ):
        raise TypeError(
            f"{name}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}"
        )
    return tuple(int(i) for i in nums), single


class _Live(threading.local):
    """The variables of the transforms whose `f` is running in this thread."""

    def __init__(self):
        self.variables = set()


_live = _Live()


def _variable(leaf):
    """A transform's variable for `leaf`, a fresh leaf that requires grad (call it with
    grad mode on).

    The variable is an alias of the leaf, after which the leaf stops requiring grad: so
    the variable is an interior node with no leaf behind it. While the transform's `f`
    runs it is in `_live` and an inner transform that reaches it records its backward
    pass; afterwards nothing in a result's graph passes it for something that requires
    grad outside (an inner transform's variable never leaks into an outer result).
    """
    x = leaf._alias(leaf.data)
    leaf.requires_grad = False
    return x


def _shared_leaf(arr):
    """A leaf Tensor requiring grad that holds a read-only view of the float array `arr`, not a
    copy: for a transform that is done with its graph when it returns, or calls `_Call.keep`
    when a result keeps it (f cannot write into the caller's array through it; large
    arguments are not copied on every call)."""
    view = arr.view()
    view.flags.writeable = False
    leaf = Tensor(0.0, requires_grad=True)
    leaf.data = view
    return leaf


def _shareable(arg):
    """Whether `_fresh(arg, copy=False)` shares the argument (a float array) instead of copying."""
    return isinstance(arg, np.ndarray) and arg.dtype in ops.FLOATS


def _fresh(arg, i, link, name, copy=True):
    """A new variable standing for argument i, and whether the caller gave a node. With
    `copy=False` a float array argument is shared read-only (`_shared_leaf`), not copied."""
    if isinstance(arg, (Value, Tensor)):
        if link and arg.requires_grad:
            return arg._alias(arg.data), True  # differentiable through the caller's node
        if isinstance(arg, Value):
            return _variable(Value(arg.data)), True
        return _variable(Tensor(arg.data, requires_grad=True)), True
    if isinstance(arg, numbers.Real):
        return _variable(Value(arg)), False
    if isinstance(arg, numbers.Complex):
        raise ops.complex_error(f"{name}: argument {i}", arg)
    if not copy and _shareable(arg):
        return _variable(_shared_leaf(arg)), False
    if isinstance(arg, (list, tuple, np.ndarray)):
        try:
            return _variable(Tensor(arg, requires_grad=True)), False
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}: argument {i} is not an array of real numbers: {e}") from None
    raise TypeError(
        f"{name}: argument {i} must be a number, a list or array of numbers, a Value or a Tensor; "
        f"got {type(arg).__name__} {arg!r}"
    )


def _as_output(o, k, name):
    if isinstance(o, Node):
        return o
    if isinstance(o, numbers.Real):  # a constant: it does not depend on the inputs
        return Value(o, requires_grad=False)
    if isinstance(o, np.ndarray) and o.dtype.kind in "biuf":
        return Tensor(o)
    raise TypeError(
        f"{name}: f must return a Value, a Tensor, a number or an array (or a tuple of them); "
        f"output {k} is {type(o).__name__} {o!r}"
    )


def _shape(node):
    return () if isinstance(node, Value) else node.shape


def _both_values(a, b):
    """A Jacobian block d a / d b is a scalar (float or Value) when both are Values."""
    return isinstance(a, Value) and isinstance(b, Value)


class _Call:
    """One recorded forward pass of `f`, with fresh nodes for the differentiated arguments."""

    def __init__(self, f, args, kwargs, argnums, name, copy=True):
        nums, self.single = argnums
        n = len(args)
        for i in nums:
            if not -n <= i < n:
                raise TypeError(
                    f"{name}: argnums {i} is out of range: f was called with {n} positional "
                    f"argument{'' if n == 1 else 's'}"
                )
        nums = [i % n for i in nums]
        if len(set(nums)) != len(nums):
            raise ValueError(f"{name}: argnums {tuple(nums)} names an argument twice")
        self.name = name
        self.record = is_grad_enabled()  # may results carry history out of this call?
        args = list(args)
        self.xs = []
        self.as_nodes = False
        # the caller's arrays the recording shares (read-only) instead of copying them
        self.shared = [args[i] for i in nums if not copy and _shareable(args[i])]
        live = _live.variables
        with tracing() as self.born, enable_grad():
            for i in nums:
                x, given = _fresh(args[i], i, self.record, name, copy)
                args[i] = x
                self.xs.append(x)
                self.as_nodes = self.as_nodes or given
            live.update(self.xs)
            try:
                out = f(*args, **kwargs)
            finally:
                live.difference_update(self.xs)
        self.multi = isinstance(out, (tuple, list))
        if self.multi and not out:
            raise TypeError(f"{name}: f returned an empty {type(out).__name__}")
        self.outs = [_as_output(o, k, name) for k, o in enumerate(out if self.multi else [out])]

    def scalar_output(self):
        """The single one-element output, else TypeError (use jacobian)."""
        name = self.name
        if self.multi:
            raise TypeError(
                f"{name} needs f to return one scalar, but it returned a {len(self.outs)}-tuple; "
                "use jacobian for several outputs"
            )
        o = self.outs[0]
        if isinstance(o, Tensor) and o.size != 1:
            raise TypeError(
                f"{name} needs f to return a scalar (one element), but it returned shape "
                f"{o.shape}; "
                "use jacobian for vector outputs (or reduce, e.g. .sum())"
            )
        return o

    def nested(self, outs, extra=()):
        """Record the backward pass? Only if, while grad mode is on, the graph of `outs`
        reaches something that requires grad outside this call: a leaf made before it, or
        a variable of an enclosing transform (not this call's own, nor a finished one's)."""
        if not self.record:
            return False
        mine = self.born.union(self.xs, extra)
        live = _live.variables
        return any(
            n not in mine and (n._op is None or n in live)
            for o in outs
            if o.requires_grad
            for n in toposort(o)
        )

    def keep(self, outs):
        """Let the recording of `outs` outlive the call: results with history carry it out,
        so it must stop sharing the caller's arrays (`_shared_leaf`), which the caller may
        edit afterwards. Each array of a node's data or saved context that may share memory
        with one of them is replaced by a copy (one copy per array), before any rule reads
        it again."""
        if not self.shared:
            return
        copies = {}

        def own(a):
            if a.__class__ is not np.ndarray or not any(
                np.may_share_memory(a, s) for s in self.shared
            ):
                return a
            if id(a) not in copies:
                copies[id(a)] = (a, a.copy())  # the original kept alive: ids stay unique
            return copies[id(a)][1]

        seen = set()
        for o in outs:
            o._data = own(o._data)
            if not o.requires_grad:
                continue
            for n in toposort(o):
                if n in seen:
                    continue
                seen.add(n)
                n._data = own(n._data)
                if n._ctx:
                    n._ctx = tuple(own(a) for a in n._ctx)
        self.shared = []

    def export(self, r, like):
        """A result (raw data, or a node with history) in the kind of the inputs, shaped as
        node `like`: a float or Value for a Value, an ndarray or Tensor (0-d too) for a
        Tensor; `like` may also be a bool, True for a scalar."""
        scalar = like if isinstance(like, bool) else isinstance(like, Value)
        if isinstance(r, Node):
            return r
        return _const(r, scalar) if self.as_nodes else _raw_like(r, scalar)

    def export_output(self, o, history):
        if history:
            return o
        return self.export(o.data if isinstance(o, Value) else np.copy(o.data), o)  # layout kept

    def structure(self, per_output):
        """Shape results as JAX does: a tuple over outputs (if several) of a tuple over argnums."""
        per_output = [r[0] if self.single else tuple(r) for r in per_output]
        return tuple(per_output) if self.multi else per_output[0]


def _seed_for(v, like, name, what, record):
    """Validate a cotangent or tangent `v` against node `like`: (seed, whether it is a node
    with history). A node seed with history is kept only when grad mode is on."""
    if isinstance(v, Node):
        if record and v.requires_grad:
            if type(v) is not type(like) or _shape(v) != _shape(like):
                raise ValueError(
                    f"{name}: {what} is a {type(v).__name__} of shape {_shape(v)}, but it must "
                    f"be a {type(like).__name__} of shape {_shape(like)}"
                )
            return v, True
        v = v.data
    arr = ops.real_array(v, f"{name}: {what}")  # TypeError for complex or non-numeric data
    if isinstance(like, Value):
        if arr.size != 1:
            raise TypeError(f"{name}: {what} must be a number (the output is a scalar), got {v!r}")
        return float(arr.reshape(())), False
    if arr.shape != like.shape:
        raise ValueError(
            f"{name}: {what} has shape {arr.shape}, but it must have shape {like.shape}"
        )
    return arr.astype(like.dtype, copy=False), False


def _jacobian_blocks(outs, xs, create_graph, vectorize=False, chunk_size=None):
    """d out / d x for every output and every x: one reverse sweep per output element, or
    (vectorize) one batched sweep per chunk of at most `chunk_size` elements (all at once
    for None).

    Returns [[block for each x] for each output]; a block has shape
    out.shape + x.shape (raw data, or a node when it has history).
    """
    blocks = []
    for o in outs:
        if vectorize and isinstance(o, Tensor) and o.size > 1 and o.requires_grad:
            try:
                rows = _batched_rows(o, xs, create_graph, chunk_size)
            except Unbatchable:  # a hook in the graph: it sees one cotangent at a time
                rows = None
            if rows is not None:
                blocks.append([_shaped_block(r, o, x) for r, x in zip(rows, xs)])
                continue
        seeds = [None] if isinstance(o, Value) else [_one_hot(o, k) for k in range(o.size)]
        rows = _sweeps(o, seeds, xs, create_graph)
        blocks.append([_assemble([r[j] for r in rows], _shape(o), x) for j, x in enumerate(xs)])
    return blocks


def _batched_rows(o, xs, create_graph, chunk_size):
    """[d o / d x as (o.size, *x.shape), or None where zero, for each x]: the one-hot
    cotangents of o's elements swept in batches of at most `chunk_size` (None: all)."""
    m = o.size
    step = m if chunk_size is None else chunk_size
    parts = []  # per chunk: its number of rows, and the cotangent of each x (or None)
    for start in range(0, m, step):
        rows = min(step, m - start)
        seed = np.zeros((rows, m), o.dtype)
        seed[np.arange(rows), np.arange(start, start + rows)] = 1.0
        seed = seed.reshape((rows,) + o.shape)
        if create_graph:
            with tracing():  # a rule that drops a recorded node to a number raises
                gs = cotangents(o, xs, seed, True, batched=True)
        else:
            gs = cotangents(o, xs, seed, batched=True)
        parts.append((rows, [_strip(g) for g in gs]))
    if len(parts) == 1:
        return parts[0][1]
    out = []
    for j, x in enumerate(xs):
        chunks = [gs[j] for _, gs in parts]
        if all(c is None for c in chunks):
            out.append(None)
            continue
        chunks = [
            np.zeros((rows,) + _shape(x), _dtype(x)) if c is None else c
            for (rows, _), c in zip(parts, chunks)
        ]
        out.append(_joined(chunks))
    return out


def _joined(chunks):
    """The rows of a Jacobian's chunks as one array (or node, when one has history)."""
    if any(isinstance(c, Node) for c in chunks):
        return ops.concatenate([_const(c, False) for c in chunks])
    return np.concatenate(chunks)


def _dtype(x):
    return np.dtype(np.float64) if isinstance(x, Value) else x.dtype


def _shaped_block(rows, o, x):
    """The rows (o.size, *x.shape) of a batched sweep as the block o.shape + x.shape."""
    shape = o.shape + _shape(x)
    if rows is None:
        return np.zeros(shape, _dtype(x))
    if isinstance(rows, Node):
        return rows.reshape(shape)
    return np.array(rows, dtype=_dtype(x)).reshape(shape)  # its own memory, writeable


def _check_batching(vectorize, chunk_size, name):
    """vectorize as a bool and chunk_size as None or an int >= 1, else a clear error."""
    if not isinstance(vectorize, (bool, np.bool_)):
        raise TypeError(f"{name}: vectorize must be True or False, got {vectorize!r}")
    if chunk_size is not None:
        if not isinstance(chunk_size, numbers.Integral) or isinstance(chunk_size, bool):
            raise TypeError(f"{name}: chunk_size must be None or an int >= 1, got {chunk_size!r}")
        if chunk_size < 1:
            raise ValueError(f"{name}: chunk_size must be None or an int >= 1, got {chunk_size}")
        chunk_size = int(chunk_size)
    return bool(vectorize), chunk_size


def _one_hot(o, k):
    """The cotangent e_k for Tensor o: 1 at flat index k, 0 elsewhere."""
    e = np.zeros(o.shape, o.dtype)
    e.flat[k] = 1.0
    return e


def _assemble(rows, out_shape, x):
    """Stack the rows d out[k] / d x into one block of shape out_shape + x.shape."""
    shape = out_shape + _shape(x)
    if not any(isinstance(r, Node) for r in rows):
        if isinstance(x, Value) and shape == ():
            return 0.0 if rows[0] is None else float(rows[0])
        zero = _zero(x)
        return np.array(
            [zero if r is None else r for r in rows], dtype=np.result_type(zero)
        ).reshape(shape)
    if isinstance(x, Value):  # then the output is a Value too: one row
        return rows[0]
    rows = [r if isinstance(r, Node) else Tensor(_zero(x) if r is None else r) for r in rows]
    return ops.stack(rows).reshape(shape)


# ---------------------------------------------------------------------------------------
# The transforms.


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """`f` -> a function returning `(f(*args), gradient of f at args)`, in one forward and one
    backward pass (as `jax.value_and_grad`).

    f: returns a scalar: a Value, or a Tensor of one element (any shape).
    argnums: which positional argument to differentiate (int), or a tuple of them; then
        the gradient is a tuple in that order.
    Each gradient has the shape and dtype of its argument: a float for a number, a numpy
    array for a list or array, a Value or Tensor for a node (see the module docstring for
    when results are nodes with history). An argument `f` does not use gets a zero gradient.
    Raises TypeError if f's output is not a single scalar (use `jacobian`), if argnums is
    not an int or tuple of ints or is out of range, or if an argument is not numeric.
    """
    return _value_and_grad(f, argnums, "value_and_grad")


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """`f` -> the function computing its gradient (as `jax.grad`): reverse mode, one backward pass.

    The gradient of f: R^n -> R is the vector of partial derivatives df/dx_i. Same
    arguments, results and errors as `value_and_grad`, without the value.
    Example: `grad(lambda x: x ** 2)(3.0) == 6.0`.
    """
    vg = _value_and_grad(f, argnums, "grad")

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    return grad_f


def _value_and_grad(f, argnums, name):
    _check_callable(f, name)
    argnums = _check_argnums(argnums, name)

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, name)
        o = call.scalar_output()
        history = call.nested([o])
        gs = _grads(o, None, call.xs, history)
        gs = [call.export(_zero(x) if g is None else g, x) for g, x in zip(gs, call.xs)]
        return call.export_output(o, history), gs[0] if call.single else tuple(gs)

    return value_and_grad_f


def vjp(f: Callable, *primals, **kwargs) -> tuple[Any, Callable]:
    """Evaluate f at `primals` and return `(output, vjp_fn)` (as `jax.vjp`).

    `vjp_fn(cotangent)` returns the vector-Jacobian product u^T J(x), as a tuple with one
    entry per primal (shaped like it), for a cotangent u shaped like the output (a tuple of
    them if f returns a tuple). It runs one backward pass over the one recorded forward,
    and can be called any number of times. Keyword arguments go to f unchanged.
    Raises TypeError for a non-numeric primal or cotangent; ValueError for a cotangent of
    the wrong shape.
    """
    _check_callable(f, "vjp")
    if not primals:
        raise TypeError("vjp needs at least one primal (the point to linearize f at)")
    call = _Call(f, primals, kwargs, (tuple(range(len(primals))), False), "vjp")
    history = call.nested(call.outs)
    outs = [call.export_output(o, history) for o in call.outs]

    def vjp_fn(cotangent):
        cts = cotangent if call.multi else (cotangent,)
        if not isinstance(cts, (tuple, list)) or len(cts) != len(call.outs):
            raise TypeError(
                f"vjp_fn: f has {len(call.outs)} outputs; pass a tuple of as many cotangents"
            )
        totals = [None] * len(call.xs)
        for k, (o, ct) in enumerate(zip(call.outs, cts)):
            what = "the cotangent" if not call.multi else f"the cotangent of output {k}"
            seed, seed_history = _seed_for(ct, o, "vjp_fn", what, call.record)
            gs = _grads(o, seed, call.xs, history or seed_history)
            totals = [_add(t, g) for t, g in zip(totals, gs)]
        return tuple(call.export(_zero(x) if t is None else t, x) for t, x in zip(totals, call.xs))

    return (tuple(outs) if call.multi else outs[0]), vjp_fn


_BATCHING_DOC = """
    vectorize: sweep every row at once, as `torch.func` does: the one-hot cotangents of
        an output's elements go through one batched reverse sweep (each cotangent with a
        leading batch axis, every vjp rule treating it as one) instead of one sweep per
        element. Same result to rounding; usually much quicker (see docs/functional.md).
        `primitive`s not declared batch-aware run row by row inside the batched sweep;
        a graph with a hook (`register_hook`) is swept row by row.
    chunk_size: with vectorize, at most this many rows per batched sweep (PyTorch's
        meaning): memory bounded by chunk_size times the graph's cotangents; None (the
        default) for all rows in one sweep.
    Raises TypeError if vectorize is not a bool or chunk_size not an int, ValueError if
    chunk_size < 1."""


def jacobian(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    vectorize: bool = True,
    chunk_size: int | None = None,
) -> Callable:
    """`f` -> the function computing its Jacobian J[i..., j...] = d out[i...] / d x[j...].

    Built row by row in reverse mode: one recorded forward pass, then the backward passes
    of the output's elements, batched into one sweep by default (as `jax.jacrev`,
    `torch.func.jacrev`; `torch.autograd.functional.jacobian` loops).
    Shape: out.shape + x.shape. A scalar output gives the gradient's shape; a vector output
    of shape (m,) of a scalar (0-d) input gives (m,), of a (1,) input (m, 1). A number
    argument is a `Value`, so a vector-valued f of a scalar takes a 0-d array or returns a
    tuple of Values (then the result is a tuple over outputs, as in JAX).
    argnums: int, or a tuple (then a tuple of Jacobians, one per argument).
    Raises TypeError for bad argnums or non-numeric arguments.
    """
    return _jacobian(f, argnums, vectorize, chunk_size, "jacobian")


def jacrev(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    vectorize: bool = True,
    chunk_size: int | None = None,
) -> Callable:
    """The reverse-mode Jacobian (JAX's and `torch.func`'s name): `jacobian` itself, with
    the same arguments, shapes and errors; see `jacobian`."""
    return _jacobian(f, argnums, vectorize, chunk_size, "jacrev")


def _jacobian(f, argnums, vectorize, chunk_size, name):
    _check_callable(f, name)
    argnums = _check_argnums(argnums, name)
    vectorize, chunk_size = _check_batching(vectorize, chunk_size, name)

    @functools.wraps(f)
    def jacobian_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, name)
        history = call.nested(call.outs)
        blocks = _jacobian_blocks(call.outs, call.xs, history, vectorize, chunk_size)
        return call.structure(
            [
                [call.export(b, _both_values(o, x)) for b, x in zip(row, call.xs)]
                for row, o in zip(blocks, call.outs)
            ]
        )

    return jacobian_f


def hessian(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    vectorize: bool = True,
    chunk_size: int | None = None,
) -> Callable:
    """`f` -> the function computing its Hessian H[i..., j...] = d^2 f / dx[i...] dx[j...].

    The Jacobian of the gradient, by double backward: one recorded forward, one recorded
    backward for the gradient g, then the backward passes of g's elements (reverse over
    reverse), batched into one sweep of the recorded gradient graph by default (as
    `torch.func.hessian` batches its rows). Shape x.shape + x.shape; symmetric up to
    rounding for smooth f (Schwarz). With a tuple argnums, a tuple of tuples:
    H[i][j] = d^2 f / dx_i dx_j of shape x_i.shape + x_j.shape (as `jax.hessian`).
    vectorize, chunk_size: as for `jacobian`.
    f must return a scalar; raises TypeError otherwise (and as `grad` does).
    """
    _check_callable(f, "hessian")
    argnums = _check_argnums(argnums, "hessian")
    vectorize, chunk_size = _check_batching(vectorize, chunk_size, "hessian")

    @functools.wraps(f)
    def hessian_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, "hessian")
        o = call.scalar_output()
        history = call.nested([o])
        gs = [
            _const(_zero(x) if g is None else g, isinstance(x, Value))
            for g, x in zip(_grads(o, None, call.xs, True), call.xs)
        ]
        blocks = _jacobian_blocks(gs, call.xs, history, vectorize, chunk_size)
        blocks = [
            [call.export(b, _both_values(xi, xj)) for b, xj in zip(row, call.xs)]
            for row, xi in zip(blocks, call.xs)
        ]
        return blocks[0][0] if call.single else tuple(tuple(row) for row in blocks)

    return hessian_f


for _f in (jacobian, jacrev, hessian):
    _f.__doc__ = _f.__doc__.rstrip() + "\n" + _BATCHING_DOC
del _f


def hvp(f: Callable, x, v, **kwargs) -> Any:
    """The Hessian-vector product H(x) v of a scalar f, without forming the Hessian.

    Two backward passes: the first, recorded, gives the gradient g(x); the vjp of g with
    v is v^T H = (H v)^T since H is symmetric (Pearlmutter 1994). x and v have the same
    shape; the result too. Unlike `torch.autograd.functional.hvp` this returns only the
    product, not f(x). Raises TypeError if f does not return a scalar or x is not numeric;
    ValueError if v's shape differs from x's.
    """
    _check_callable(f, "hvp")
    call = _Call(f, (x,), kwargs, ((0,), True), "hvp")
    (xn,) = call.xs
    seed, seed_history = _seed_for(v, xn, "hvp", "v", call.record)
    o = call.scalar_output()
    history = call.nested([o]) or seed_history
    (g,) = _grads(o, None, call.xs, True)
    hv = _grads(g, seed, call.xs, history)[0] if isinstance(g, Node) else None
    return call.export(_zero(xn) if hv is None else hv, xn)


def derivative(f: Callable, order: int = 1) -> Callable:
    """`f` -> its n-th derivative d^n f / dx^n, for f from one scalar to one scalar.

    One recorded forward pass, then, when every op met has a series rule and the result
    needs no history, one Taylor-mode sweep (see `taylor`): O(order^2) per op, the n-th
    coefficient times n!. Otherwise (an op without a series rule, or a derivative that
    an enclosing transform differentiates again) `order` backward passes, each
    differentiating the previous derivative (recorded with create_graph=True except the
    last, unless the result must carry history), whose cost can grow exponentially with
    the order; also where the Taylor sweep gives NaN (at a singular point such as x**2
    at inf or log at 0, its recurrences multiply zero coefficients by inf), so both routes
    give the same numbers. order=0 gives f itself. Any order works; once a derivative is
    constant, the higher ones are 0. Both routes follow the same conventions at kinks
    (relu'(0) = 0 ...).
    Raises TypeError if order is not an int or f does not return a scalar; ValueError if
    order < 0.
    """
    _check_callable(f, "derivative")
    if not isinstance(order, numbers.Integral) or isinstance(order, bool):
        raise TypeError(f"derivative: order must be an int, got {order!r}")
    if order < 0:
        raise ValueError(f"derivative: order must be >= 0, got {order}")

    @functools.wraps(f)
    def derivative_f(x, **kwargs):
        call = _Call(f, (x,), kwargs, ((0,), True), "derivative")
        (xn,) = call.xs
        if isinstance(xn, Tensor) and xn.size != 1:
            raise TypeError(f"derivative: x must be a scalar, got shape {xn.shape}; use jacobian")
        y = call.scalar_output()
        history = call.nested([y])
        if order == 0:
            return call.export_output(y, history)
        if not history and has_series_rules([y]):  # Taylor mode: O(order^2) per op
            d = _taylor_derivative(y, xn, order)
            # NaN from the recurrences at a singular point (0 * inf: x**2 at inf, log at 0)
            # where nested reverse mode, which never forms that product, has the value
            if not np.isnan(d).any():
                return call.export(d, xn)
        for k in range(order):
            (y,) = _grads(y, None, call.xs, history or k < order - 1)
            if not isinstance(y, Node):  # constant: every higher derivative is 0
                y = _zero(xn) if y is None or k < order - 1 else y
                break
        return call.export(y, xn)

    return derivative_f


def _taylor_derivative(y, xn, order):
    """d^order y / d xn^order from one series sweep along the curve xn + s t: coefficient
    `order` is s^order y^(order) / order!, so the result is that coefficient times
    order! / s^order, multiplied one factor k / s at a time (a huge order overflows to inf,
    not to an error). The scale s is the largest power of two <= order / e, so s^n / n!
    lies between 2^-n / sqrt(2 pi n) and 1 / sqrt(2 pi n) (Stirling): the coefficient
    neither underflows nor loses digits as a subnormal where the derivative is of ordinary
    size (with s = 1, exp's 180th coefficient e / 180! was 0), and it never overflows
    unless the derivative does; a power of two keeps every rounding that of s = 1 where
    nothing over- or underflows. Shaped like xn."""
    scale = 2.0 ** math.floor(math.log2(max(order / math.e, 1.0)))
    seed = S.constant(xn.data, order + 1)
    seed[1] = scale
    (coefs,) = series_sweep([y], {xn: seed}, order)
    d = coefs[order]
    for k in range(1, order + 1):
        d = d * float(k) / scale
    return np.reshape(d, _shape(xn))


def __getattr__(name):
    """`functional.jvp`: forward mode now (transforms/forward.py), importable from here still."""
    if name == "jvp":
        from .forward import jvp

        return jvp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
