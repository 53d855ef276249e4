"""Taylor mode: truncated Taylor series swept forward through the recorded graph.

The forward pass has recorded f as a graph of ops. Given a curve through the variables,
x(t) = x_0 + v t (or any truncated series), the sweep visits the nodes in topological
order and asks each op's series rule (`Op.series`, written with core/series.py) for the
output's Taylor coefficients from its inputs' coefficients and the data recorded at
forward time. Each node carries one array of shape (K, *shape), K = order + 1, entry k
being the node's k-th derivative along the curve divided by k!. The cost is O(K^2) per
elementwise op (Griewank and Walther, "Evaluating Derivatives", ch. 13), where nesting
reverse mode K times grows exponentially.

An op without a series rule (a `primitive` with no `defseries`, eigh, ...) is handled by
nested differentiation of that one op along the curve (`_nested`), with a
`SeriesFallbackWarning` naming it: exact, but its cost grows exponentially with the order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from . import ops
from . import series as S
from .graph import Node, cotangents, enable_grad, toposort

__all__ = ["SeriesFallbackWarning", "has_series_rules", "series_sweep"]


class SeriesFallbackWarning(UserWarning):
    """Taylor mode met an op without a series rule and differentiated it by nesting reverse
    mode instead (exact, but exponential in the order)."""


def _forward_order(outputs: Sequence[Node]) -> list[Node]:
    """Every node the outputs were computed from that requires grad, parents first."""
    order, seen = [], set()
    for o in outputs:
        if not o.requires_grad:
            continue
        for node in reversed(toposort(o)):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def has_series_rules(outputs: Sequence[Node]) -> bool:
    """True when every op recorded for `outputs` has a series rule (no fallback needed)."""
    return all(n._op is None or n._op.series is not None for n in _forward_order(outputs))


def series_sweep(outputs: Sequence[Node], seeds: dict, order: int) -> list[np.ndarray]:
    """The Taylor coefficients of each output, given those of some nodes (`seeds`).

    seeds: {node: array of shape (order + 1, *node.shape)} (float64), usually the
    transform's variables with coefficients (x_0, v, 0, ...). Every other node that does not
    depend on a seed is a constant (zeros after its data). Returns one array per output,
    shape (order + 1, *output.shape). Warns `SeriesFallbackWarning` once per op name that
    has no series rule.
    """
    K = order + 1
    coefs = dict(seeds)
    warned = set()
    with np.errstate(all="ignore"):
        for node in _forward_order(outputs):
            if node in coefs or node._op is None:
                continue
            parents = node._parents
            if not any(p is not None and p in coefs for p in parents):
                continue  # a constant along the curve
            ctx = node._ctx
            cs = [
                coefs[p] if p is not None and p in coefs else S.constant(ctx[i + 1], K)
                for i, p in enumerate(parents)
            ]
            op = node._op
            w = NotImplemented if op.series is None else op.series(cs, *ctx)
            if w is NotImplemented:
                if op.name not in warned:
                    warned.add(op.name)
                    warnings.warn(
                        f"Taylor mode: op {op.name!r} has no series rule (or none at this "
                        "point); its coefficients come from nested reverse-mode "
                        "differentiation, whose cost grows exponentially with the order (give "
                        "it one: Op(series=...) or Primitive.defseries)",
                        SeriesFallbackWarning,
                        stacklevel=3,
                    )
                w = _nested(op, cs, ctx, K)
            coefs[node] = w
    return [coefs[o] if o in coefs else S.constant(o._data, K) for o in outputs]


def _nested(op, cs, ctx, K):
    """The series of `op` along its inputs' curves by nested reverse mode: w(t) =
    op(u_1(t), ..., u_n(t)) with each u_i(t) the polynomial of its coefficients, and
    w^(k)(0) = d/dc [d^k/dt^k sum(c w(t))] for a probe c (one more backward pass gives the
    whole vector w^(k) from the scalar k-th derivative)."""
    n = len(cs)
    out, params = ctx[0], ctx[n + 1 :]
    arrays = any(isinstance(x, np.ndarray) for x in ctx[1 : n + 1])
    from .tensor import Tensor  # the node types import the op table, which imports this
    from .value import Value

    w = S.constant(out, K)
    with enable_grad():
        t = Tensor(np.zeros(()), requires_grad=True) if arrays else Value(0.0)
        us = []
        for c, x in zip(cs, ctx[1 : n + 1]):
            if not c[1:].any():  # a constant input stays raw data
                us.append(x)
                continue
            u = _raw_scalar(c[K - 1], arrays)
            for k in range(K - 2, -1, -1):  # Horner: u(t) = c_0 + t (c_1 + t (c_2 + ...))
                u = u * t + _raw_scalar(c[k], arrays)
            us.append(u)
        y = ops.apply(op, us, params)
        if isinstance(out, np.ndarray):
            probe = Tensor(np.zeros(np.shape(out)), requires_grad=True)
            d = ops.sum(y * probe)
        else:
            probe = Value(0.0)
            d = y * probe
        for k in range(1, K):
            if not (isinstance(d, Node) and d.requires_grad):
                break  # constant in t: every higher coefficient is 0
            (d,) = cotangents(d, [t], None, True)  # d^k/dt^k sum(probe w(t))
            if not (isinstance(d, Node) and d.requires_grad):
                break
            (wk,) = cotangents(d, [probe])  # = w^(k)(t), as data
            if wk is not None:
                w[k] = np.asarray(wk) / math.factorial(k)
    return w


def _raw_scalar(c, arrays):
    """A coefficient as an operand: an array for a Tensor input, a Python float for a Value."""
    return c if arrays else float(c)
