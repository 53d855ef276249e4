"""Forward mode: the tangent sweep over a recorded graph.

A transform records f once (fresh variables, as for reverse mode), then seeds a
tangent on each variable and sweeps the recorded nodes in topological order,
from the variables to the outputs: the tangent of a node is the sum, over its
inputs that carry a tangent, of that input's jvp rule (`Op.jvps`)

    tangent(node) = sum_i jvp_i(tangent(input_i), out, *inputs, *params)

(Griewank and Walther, "Evaluating Derivatives", ch. 3; the rule convention is
HIPS autograd's defjvp). An input without a tangent (a constant, or a node the
variables do not reach) adds nothing: None stands for a zero tangent.

The rules are written with autograd_lite's functions, so, as the vjp rules,
they run on raw floats and arrays (the fast path) and, when `create_graph` is
set, on nodes holding the forward-time data, recorded: the tangents are then
nodes with history, and reverse mode can differentiate them again
(reverse-over-forward); a sweep over a recorded backward pass gives
forward-over-reverse.

Batched sweeps (`batch=B`): every tangent carries one leading batch axis,
(B, *node.shape). Before an input's rule is called, the tangent of an input of
lower rank than the output (a broadcast one) is reshaped to
(B, 1, ..., 1, *input.shape), so that it has the output's rank + 1 and numpy's
broadcasting lines its axes up with the output's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import ops
from .graph import Node, _forward_time_args, _ieee_rule, _sweeping, toposort

__all__ = ["tangents"]


def tangents(
    outs: Sequence[Node], seeds: dict, create_graph: bool = False, batch: int | None = None
) -> list:
    """The tangents of the nodes `outs`, given the tangents `seeds` ({node: tangent}).

    seeds: a tangent per seeded node: raw data (a float for a Value, an ndarray of the
        node's shape for a Tensor) or, with `create_graph`, a node; with `batch=B`, each
        has one leading batch axis: shape (B, *node.shape) (a Value's: (B,)).
    create_graph: run the rules on nodes holding the forward-time data, recorded, so the
        tangents can be differentiated again; otherwise on raw data, recording nothing.
    Returns one tangent per output, in its shape (with the batch axis first) and dtype, or
    None for an output the seeds do not reach (its tangent is zero).
    Raises NotImplementedError naming the op for an op without a jvp rule on the way.
    """
    tans = dict(seeds)
    order = _topological(outs)
    # How many nodes of the sweep still read each node's tangent: a tangent is dropped after
    # its last reader, so the sweep holds few arrays at once (as the reverse sweep does).
    readers = {}
    for node in order:
        for p in node._parents:
            readers[p] = readers.get(p, 0) + 1
    for o in outs:
        readers[o] = readers.get(o, 0) + 1  # the results: never dropped
    with _sweeping(create_graph):
        for node in order:
            op = node._op
            if node in tans or op is None:  # seeded, or a constant leaf (no tangent)
                continue
            t = _tangent(node, op, tans, create_graph, batch)
            if t is not None:
                tans[node] = t
            for p in node._parents:
                readers[p] -= 1
                if not readers[p]:
                    tans.pop(p, None)
    return [tans.get(o) for o in outs]


def _topological(outs):
    """Nodes reachable from `outs` that require grad, every node after its parents."""
    if len(outs) == 1:
        return toposort(outs[0])[::-1] if outs[0].requires_grad else ()
    order, seen = [], set()
    for o in outs:
        if o.requires_grad:
            for n in reversed(toposort(o)):
                if n not in seen:
                    seen.add(n)
                    order.append(n)
    return order


def _tangent(node, op, tans, create_graph, batch):
    """The tangent of `node` from its inputs' tangents (None when none has one)."""
    ctx = node._ctx
    parents = node._parents
    if op.variadic:
        ts = [None if p is None else tans.get(p) for p in parents]
        if all(t is None for t in ts):
            return None
        if not op.jvps:
            raise _missing(op, None)
        args = _forward_time_args(node) if create_graph else ctx
        return _fit(op.jvps[0](ts, *args), node, batch, create_graph)
    total = args = None
    for i, p in enumerate(parents):
        if p is None:
            continue
        t = tans.get(p)
        if t is None:
            continue
        rule = op.jvps[i] if i < len(op.jvps) else None
        if rule is None:
            raise _missing(op, i)
        if args is None:
            args = _forward_time_args(node) if create_graph else ctx
        if batch is not None:
            t = _padded(t, np.ndim(ctx[i + 1]), np.ndim(ctx[0]))
        try:
            c = rule(t, *args)
        except (ArithmeticError, ValueError):
            if type(t) is not float:  # only a Value's Python floats raise at a pole
                raise
            c = _ieee_rule(rule, t, args)
        total = c if total is None else total + c
    if total is None:
        return None
    return _fit(total, node, batch, create_graph)


def _missing(op, i):
    which = "" if i is None else f" for input {i}"
    return NotImplementedError(
        f"forward mode (jvp, jacfwd, linearize) reached the op {op.name!r}, which has no jvp "
        f"rule{which}; declare one (Op(..., jvps=...), or defjvp for a primitive)"
    )


def _padded(t, x_ndim, out_ndim):
    """A batched tangent (B, *x.shape) of an input of lower rank than the output, reshaped to
    (B, 1, ..., 1, *x.shape): the output's rank + 1, so that it broadcasts like the input."""
    if x_ndim >= out_ndim:
        return t
    shape = np.shape(t._data if isinstance(t, Node) else t)
    return ops.reshape(t, shape[:1] + (1,) * (out_ndim - x_ndim) + shape[1:])


def _fit(c, node, batch, create_graph):
    """A node's summed tangent c in the node's shape (after the batch axis) and dtype.

    Rules may return a result that broadcasts to the output (the tangent of a broadcast
    input), of another dtype (numpy promotes), a numpy scalar for a 0-d result, or a
    constant under `create_graph` (a zero): fitted here once, for every rule.
    """
    out = node._ctx[0]
    if out.__class__ is np.ndarray:
        want = out.shape if batch is None else (batch, *out.shape)
        if c.__class__ is np.ndarray:
            if c.shape == want and c.dtype is out.dtype:
                return c
        elif isinstance(c, Node):
            return _fit_node(c, want, out.dtype)
        c = np.asarray(c)
        if c.ndim > len(want):  # several leading batch axes (B, 1, ...): one
            c = c.reshape((-1, *c.shape[c.ndim - out.ndim :]))
        c = c.astype(out.dtype, copy=False)
        return c if c.shape == want else np.broadcast_to(c, want)
    # a Value: a float, or (B,) with a batch axis
    if batch is None:
        if isinstance(c, Node):
            return c if not isinstance(c._data, np.ndarray) else c._as_value()
        c = float(c)
        return node._alias(c, differentiable=False) if create_graph else c
    if isinstance(c, Node):
        return _fit_node(c, (batch,), np.float64)
    c = np.asarray(c, dtype=np.float64)
    return c if c.shape == (batch,) else np.broadcast_to(c.reshape(c.shape[:1]), (batch,))


def _fit_node(c, want, dtype):
    """`_fit` for a recorded tangent (a node): broadcast and cast with recorded ops."""
    shape = np.shape(c._data)
    if len(shape) > len(want):
        c = ops.reshape(c, (-1, *shape[len(shape) - len(want) + 1 :]))
    if not isinstance(c._data, np.ndarray):
        c = c._as_tensor(dtype)
    elif c._data.dtype != dtype:
        c = c.astype(dtype)
    return ops.broadcast_to(c, want) if np.shape(c._data) != want else c
