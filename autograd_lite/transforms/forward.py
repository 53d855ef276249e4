"""Forward-mode transforms: jvp, jacfwd, linearize, and forward-over-reverse Hessians.

Each call records one forward pass of `f` on fresh variables, as the reverse-mode
transforms of `functional.py` do (and with their helpers: the same arguments, nesting
and results), then runs the core's tangent sweep (`core.forward.tangents`) over the
recorded graph, from the variables to the outputs, instead of a reverse sweep. One
sweep gives J t for a tangent t, so:

- `jvp(f, primals, tangents)`: one forward pass and one tangent sweep;
- `jacfwd(f)`: the Jacobian column by column, every column at once as one batched
  sweep (`vectorize=True`, tangents with a leading batch axis) or one sweep per column;
  the fast route when f has few inputs and many outputs;
- `linearize(f, *primals)`: the output and `f_jvp`, sweeping the one recording again
  for each tangent;
- `hvp` and `_hessian_fwd_over_rev`: forward mode over a recorded reverse pass
  (forward-over-reverse), the Hessian times v, or all of it in one batched sweep.

A result depending on something that requires grad outside the call (see
`functional`) comes from a recorded sweep: it is a node with history, and reverse mode
can differentiate it again (reverse-over-forward).
"""

from __future__ import annotations

import contextlib
import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import ops
from ..core.forward import tangents as _tangent_sweep
from ..core.graph import Node, tracing
from ..core.value import Value
from .functional import (
    _both_values,
    _Call,
    _check_argnums,
    _check_batching,
    _check_callable,
    _const,
    _grads,
    _seed_for,
    _shape,
    _zero,
)

__all__ = ["hvp", "jacfwd", "jvp", "linearize"]


def _sweep(call, outs, seeds, history, batch=None):
    """The tangents of `outs` for seeds aligned with `call.xs` (None: no tangent), from one
    tangent sweep: raw data, or nodes when `history` (the sweep is then recorded)."""
    given = {}
    for x, s in zip(call.xs, seeds):
        if s is None:
            continue
        if history:
            s = _const(s, isinstance(x, Value) and batch is None)
        elif isinstance(s, np.ndarray):  # maybe the caller's: results that are views of it
            s = s.view()  # are then read-only, and `_owned` copies them
            s.flags.writeable = False
        given[x] = s
    if not given:
        return [None] * len(outs)
    nodes = [o for o in outs if isinstance(o, Node)]
    with tracing() if history else contextlib.nullcontext():
        found = dict(zip(nodes, _tangent_sweep(nodes, given, history, batch)))
    return [found.get(o) if isinstance(o, Node) else None for o in outs]


def _owned(t):
    """A raw tangent the caller may keep and edit: a read-only array (a broadcast view, or a
    view of a seed) copied."""
    if isinstance(t, np.ndarray) and not t.flags.writeable:
        return t.copy()
    return t


def _directions(call, ts):
    """The output tangents `ts` of a sweep as results, zeros for None: each the caller's own
    (an array that is also another output's tangent copied)."""
    dirs, seen = [], set()
    for t, o in zip(ts, call.outs):
        if t is None:
            t = _zero(o)
        elif id(t) in seen and isinstance(t, np.ndarray):
            t = t.copy()
        else:
            seen.add(id(t))
            t = _owned(t)
        dirs.append(call.export(t, o))
    return tuple(dirs) if call.multi else dirs[0]


def _tangent_seeds(call, tangents, name):
    """The tangents checked against the variables: (seeds, whether one has history)."""
    seeds = [
        _seed_for(t, x, name, f"tangent {i}", call.record)
        for i, (t, x) in enumerate(zip(tangents, call.xs))
    ]
    return [s for s, _ in seeds], any(h for _, h in seeds)


def _check_tangent_dtypes(primals, tangents, name):
    """TypeError for a bool tangent, as JAX (a tangent is a real perturbation)."""
    for i, t in enumerate(tangents):
        if isinstance(t, bool) or (isinstance(t, np.ndarray) and t.dtype == bool):
            raise TypeError(
                f"{name}: tangent {i} is boolean; a tangent must hold real numbers (floats)"
            )


def _check_pairs(primals, tangents, name):
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{name}: primals and tangents must be tuples, e.g. {name}(f, (x,), (v,))")
    if len(primals) != len(tangents) or not primals:
        raise TypeError(
            f"{name}: got {len(primals)} primals and {len(tangents)} tangents; "
            "give one tangent per primal"
        )
    _check_tangent_dtypes(primals, tangents, name)


def jvp(f: Callable, primals: Sequence, tangents: Sequence, **kwargs) -> tuple[Any, Any]:
    """`(f(*primals), J(primals) @ tangents)`: the directional derivative (as `jax.jvp`).

    primals, tangents: tuples of the same length, each tangent shaped like its primal (a
    number for a number; it is cast to the primal's float dtype). Returns the output and
    the Jacobian-vector product sum_i J_i t_i, shaped like the output (tuples of them if
    f returns a tuple); a Value or Tensor when an input is a node (as `vjp`).
    Forward mode: one recorded forward pass of f and one tangent sweep over it, each op's
    jvp rule turning its inputs' tangents into its output's (Griewank and Walther,
    "Evaluating Derivatives", ch. 3): about twice the cost of f alone.
    Raises TypeError if primals or tangents are not tuples of equal length, or a tangent
    is not real numbers (complex, boolean, not numeric); ValueError for a tangent of the
    wrong shape; NotImplementedError, naming it, for an op of f without a jvp rule.
    """
    _check_callable(f, "jvp")
    _check_pairs(primals, tangents, "jvp")
    # array primals are shared read-only, not copied (`_Call.keep` if a result keeps them)
    nums = (tuple(range(len(primals))), False)
    call = _Call(f, tuple(primals), kwargs, nums, "jvp", copy=False)
    seeds, seeded_history = _tangent_seeds(call, tangents, "jvp")
    history = call.nested(call.outs) or seeded_history
    if history:
        call.keep(call.outs)
    ts = _sweep(call, call.outs, seeds, history)
    outs = [call.export_output(o, history) for o in call.outs]
    return (tuple(outs) if call.multi else outs[0]), _directions(call, ts)


def linearize(f: Callable, *primals, **kwargs) -> tuple[Any, Callable]:
    """`(f(*primals), f_jvp)` with `f_jvp(*tangents)` = J(primals) @ tangents (as
    `jax.linearize`).

    f is recorded once, here; each call of `f_jvp` runs one tangent sweep over that
    recording (no forward pass of f), so many tangents cost one sweep each. Tangents as in
    `jvp`: one per primal, shaped like it; the result is shaped like the output (a tuple
    if f returns a tuple). Keyword arguments go to f unchanged.
    Raises TypeError without primals, for a non-numeric primal or tangent, or a wrong
    number of tangents; ValueError for a tangent of the wrong shape.
    """
    _check_callable(f, "linearize")
    if not primals:
        raise TypeError("linearize needs at least one primal (the point to linearize f at)")
    call = _Call(f, primals, kwargs, (tuple(range(len(primals))), False), "linearize")
    history = call.nested(call.outs)
    outs = [call.export_output(o, history) for o in call.outs]

    def f_jvp(*tangents):
        if len(tangents) != len(call.xs):
            raise TypeError(
                f"f_jvp: f was linearized at {len(call.xs)} primals; pass as many tangents, "
                f"got {len(tangents)}"
            )
        _check_tangent_dtypes(primals, tangents, "f_jvp")
        seeds, seeded_history = _tangent_seeds(call, tangents, "f_jvp")
        recorded = history or seeded_history
        return _directions(call, _sweep(call, call.outs, seeds, recorded))

    return (tuple(outs) if call.multi else outs[0]), f_jvp


# ---------------------------------------------------------------------------------------
# Jacobians column by column.


def _check_float_inputs(args, nums, name):
    """TypeError naming an argument whose values are not floats (JAX: jacfwd needs real,
    floating inputs; an int argument has no tangent space)."""
    n = len(args)
    for i in nums:
        if not -n <= i < n:
            continue  # _Call names it
        arg = args[i]
        data = arg.data if isinstance(arg, Node) else arg
        if isinstance(data, (bool, numbers.Integral)) or (
            isinstance(data, (list, tuple, np.ndarray))
            and np.asarray(data).dtype.kind not in "fO"
            and np.size(data)
        ):
            kind = np.asarray(data).dtype
            raise TypeError(
                f"{name}: argument {i} holds {kind} values, not floats; differentiate with "
                f"respect to float inputs (e.g. {name}(f)(x.astype(float)))"
            )


def _columns(call, outs, j, history, vectorize, chunk_size):
    """d out / d x_j for every output, column by column: one tangent sweep per column, or
    per chunk of columns with `vectorize` (the tangents (c, *x.shape) of one batched sweep).
    Returns one block per output, shaped out.shape + x.shape (raw, or a node)."""
    x = call.xs[j]
    none = [None] * len(call.xs)
    if isinstance(x, Value):  # one column
        seeds = list(none)
        seeds[j] = 1.0
        return [
            _block(o, x, None if t is None else [t], False)
            for o, t in zip(outs, _sweep(call, outs, seeds, history))
        ]
    n, dtype = x.size, x.dtype
    if n == 0:  # no columns: an empty block
        return [_block(o, x, None, False) for o in outs]
    step = n if chunk_size is None else chunk_size
    parts = [[] for _ in outs]
    for start in range(0, n, step if vectorize else 1):
        stop = min(n, start + step) if vectorize else start + 1
        eye = np.zeros((stop - start, n), dtype)
        eye[np.arange(stop - start), np.arange(start, stop)] = 1.0
        seeds = list(none)
        if vectorize:
            seeds[j] = eye.reshape((stop - start, *x.shape))
            ts = _sweep(call, outs, seeds, history, batch=stop - start)
        else:
            seeds[j] = eye.reshape(x.shape)
            ts = [
                None if t is None else ops.reshape(t, (1, *_shape(t)))
                for t in _sweep(call, outs, seeds, history)
            ]
        for part, o, t in zip(parts, outs, ts):
            part.append(_zeros_batch(o, stop - start) if t is None else t)
    return [_block(o, x, part, True) for o, part in zip(outs, parts)]


def _zeros_batch(o, c):
    return np.zeros((c, *_shape(o)), np.float64 if isinstance(o, Value) else o.dtype)


def _block(o, x, parts, batched):
    """Columns (each part (c, *o.shape), or one unbatched column) as the block o.shape + x.shape."""
    o_shape, x_shape = _shape(o), _shape(x)
    if parts is None:
        return np.zeros(o_shape + x_shape, np.result_type(_zero(o), _zero(x)))
    if not batched:
        return parts[0]
    cols = parts[0] if len(parts) == 1 else ops.concatenate(parts)
    n = int(np.prod(x_shape))
    rows = ops.reshape(cols, (n, int(np.prod(o_shape))))
    return ops.reshape(rows.transpose(), o_shape + x_shape)


def jacfwd(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    vectorize: bool = True,
    chunk_size: int | None = None,
) -> Callable:
    """`f` -> the function computing its Jacobian J[i..., j...] = d out[i...] / d x[j...] in
    forward mode (as `jax.jacfwd`): one recorded forward pass, then the columns J e_j.

    Shapes as `jax.jacfwd` and `jacobian`: out.shape + x.shape (a float for a number of
    a number); a tuple over outputs if f returns a tuple, of a tuple over argnums if
    argnums is a tuple. The fast route when x has few elements and the output many (one
    column per input element, where `jacobian` costs one backward pass per output element).
    vectorize: all the columns of an argument as one batched tangent sweep (tangents with
    a leading batch axis, as `torch.func.jacfwd`); False: one sweep per column.
    chunk_size: with `vectorize`, at most this many columns per sweep (bounded memory);
        None: all at once.
    Raises TypeError for bad argnums, an argument that is not floats (ints, bools: JAX
    refuses them too), or a chunk_size that is not an int; ValueError for chunk_size < 1;
    NotImplementedError naming an op of f without a jvp rule.
    """
    _check_callable(f, "jacfwd")
    argnums = _check_argnums(argnums, "jacfwd")
    vectorize, chunk_size = _check_batching(vectorize, chunk_size, "jacfwd")

    @functools.wraps(f)
    def jacfwd_f(*args, **kwargs):
        _check_float_inputs(args, argnums[0], "jacfwd")
        call = _Call(f, args, kwargs, argnums, "jacfwd", copy=False)
        history = call.nested(call.outs)
        if history:
            call.keep(call.outs)
        by_x = [
            _columns(call, call.outs, j, history, vectorize, chunk_size)
            for j in range(len(call.xs))
        ]
        return call.structure(
            [
                [call.export(_owned(by_x[j][k]), _both_values(o, x)) for j, x in enumerate(call.xs)]
                for k, o in enumerate(call.outs)
            ]
        )

    return jacfwd_f


# ---------------------------------------------------------------------------------------
# Forward-over-reverse: second derivatives from a tangent sweep over a recorded gradient.


def _recorded_gradients(call):
    """The gradient of f's scalar output for every variable, from one recorded reverse pass:
    nodes over the variables (a constant zero node where f does not depend on one)."""
    o = call.scalar_output()
    gs = _grads(o, None, call.xs, True)
    return o, [
        _const(_zero(x) if g is None else g, isinstance(x, Value)) for g, x in zip(gs, call.xs)
    ]


def hvp(f: Callable, x, v, **kwargs) -> Any:
    """The Hessian-vector product H(x) v of a scalar f, forward-over-reverse (as JAX's
    recommended `jvp(grad(f), (x,), (v,))`): one recorded forward, one recorded backward
    pass for the gradient g(x), then one tangent sweep of v over both, giving dg v = H v.

    Same arguments, result and errors as `functional.hvp` (reverse-over-reverse), which
    gives the same values up to rounding: x and v of the same shape, the result too.
    """
    _check_callable(f, "hvp")
    call = _Call(f, (x,), kwargs, ((0,), True), "hvp", copy=False)
    (xn,) = call.xs
    seed, seed_history = _seed_for(v, xn, "hvp", "v", call.record)
    history = call.nested(call.outs) or seed_history
    if history:
        call.keep(call.outs)
    o, gs = _recorded_gradients(call)
    (hv,) = _sweep(call, gs, [seed], history)
    return call.export(_zero(xn) if hv is None else _owned(hv), xn)


def _hessian_fwd_over_rev(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    vectorize: bool = True,
    chunk_size: int | None = None,
) -> Callable:
    """`f` -> its Hessian by forward-over-reverse: `jacfwd` of the recorded gradient (one
    forward, one recorded backward, then the columns H e_j as one batched tangent sweep
    with `vectorize`). Shapes, results and errors as `functional.hessian`."""
    _check_callable(f, "hessian")
    argnums = _check_argnums(argnums, "hessian")
    vectorize, chunk_size = _check_batching(vectorize, chunk_size, "hessian")

    @functools.wraps(f)
    def hessian_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, "hessian", copy=False)
        history = call.nested(call.outs)
        if history:
            call.keep(call.outs)
        o, gs = _recorded_gradients(call)
        by_x = [_columns(call, gs, j, history, vectorize, chunk_size) for j in range(len(call.xs))]
        blocks = [
            [call.export(_owned(by_x[j][i]), _both_values(xi, xj)) for j, xj in enumerate(call.xs)]
            for i, xi in enumerate(call.xs)
        ]
        return blocks[0][0] if call.single else tuple(tuple(row) for row in blocks)

    return hessian_f
