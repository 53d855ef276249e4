"""Run one function in autograd_lite and in PyTorch (float64) and compare three things:
the value, the first derivative (a vjp with cotangent w) and the second derivative (the
Hessian-vector product of <f, w> with direction v, by double backward).

Used by tests/test_torch_oracle.py and the ports in tests/peers/. Only `theirs` needs torch
(imported when called): call it after `pytest.importorskip("torch")`.
"""

import math

import numpy as np

from autograd_lite import Tensor, Value
from autograd_lite.core.graph import Node

RTOL = 1e-10
ATOL = 1e-13


def _zeros_like(x):
    return np.zeros(np.shape(x))


def _raw(g):
    """A gradient as a float64 array: Node, float or None (never reached: zero)."""
    if isinstance(g, Node):
        g = g.data
    return np.array(g, dtype=float)


def ours(fn, xs, w=None, v=None, node=Tensor):
    """(value, [first derivatives], [Hessian-vector products]) from autograd_lite.

    fn takes len(xs) nodes (Tensors, or Values when node is Value) and returns a node.
    w: the cotangent of the output (default ones); v: one direction per input (default ones).
    """
    leaves = [node(float(x)) if node is Value else Tensor(x, requires_grad=True) for x in xs]
    out = fn(*leaves)
    value = _raw(out)
    w = np.ones(value.shape) if w is None else w
    v = [np.ones(np.shape(x)) for x in xs] if v is None else v
    seed = float(w) if node is Value else Tensor(w)
    if not out.requires_grad:  # a constant function: every derivative is zero
        return value, [_zeros_like(x) for x in xs], [_zeros_like(x) for x in xs]
    total = out * seed if node is Value else (out * seed).sum()
    total.backward(create_graph=True)
    firsts = [leaf.grad for leaf in leaves]
    inner = None
    for g, d in zip(firsts, v):
        if isinstance(g, Node) and g.requires_grad:
            term = g * float(d) if node is Value else (g * Tensor(d)).sum()
            inner = term if inner is None else inner + term
    for leaf in leaves:
        leaf.zero_grad()
    if inner is not None:
        inner.backward()
    seconds = [
        _zeros_like(x) if inner is None or leaf.grad is None else _raw(leaf.grad)
        for x, leaf in zip(xs, leaves)
    ]
    return value, [_zeros_like(x) if g is None else _raw(g) for x, g in zip(xs, firsts)], seconds


def theirs(fn, xs, w=None, v=None):
    """The same triple from PyTorch, float64; fn takes and returns torch tensors."""
    import torch

    leaves = [torch.tensor(np.asarray(x, dtype=float), requires_grad=True) for x in xs]
    out = fn(*leaves)
    value = out.detach().numpy().astype(float)
    w = np.ones(value.shape) if w is None else w
    v = [np.ones(np.shape(x)) for x in xs] if v is None else v
    if not out.requires_grad:
        return value, [_zeros_like(x) for x in xs], [_zeros_like(x) for x in xs]
    total = (out * torch.tensor(np.asarray(w, dtype=float))).sum()
    firsts = torch.autograd.grad(total, leaves, create_graph=True, allow_unused=True)
    inner = None
    for g, d in zip(firsts, v):
        if g is not None and g.requires_grad:
            term = (g * torch.tensor(np.asarray(d, dtype=float))).sum()
            inner = term if inner is None else inner + term
    if inner is None:
        seconds = [None] * len(xs)
    else:
        seconds = torch.autograd.grad(inner, leaves, allow_unused=True)
    as_np = [
        _zeros_like(x) if g is None else g.detach().numpy(force=True).astype(float)
        for x, g in zip(xs, firsts)
    ]
    return (
        value,
        as_np,
        [
            _zeros_like(x) if h is None else h.detach().numpy(force=True).astype(float)
            for x, h in zip(xs, seconds)
        ],
    )


def mismatch(a, b, rtol=RTOL):
    """None if a and b agree (same NaN pattern, same infinities, finite parts within rtol,
    see below), else a short description of the first difference."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if (nan_a != nan_b).any():
        i = np.argwhere(nan_a != nan_b)[0]
        return f"NaN pattern differs at {tuple(i)}: {a[tuple(i)]!r} vs {b[tuple(i)]!r}"
    inf_a, inf_b = np.isinf(a), np.isinf(b)
    if (inf_a != inf_b).any() or (a[inf_a] != b[inf_a]).any():
        i = np.argwhere((inf_a != inf_b) | (inf_a & (a != b)))[0]
        return f"infinity differs at {tuple(i)}: {a[tuple(i)]!r} vs {b[tuple(i)]!r}"
    fin = ~(nan_a | inf_a)
    if not fin.any():
        return None
    scale = max(np.abs(b[fin]).max(), np.abs(a[fin]).max())
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: masked below
        err = np.abs(a - b)
    # relative to each element, floored at 1e-3 of the array's scale and at ATOL (round-off
    # around exact zeros, such as a Hessian-vector product that cancels to 0)
    bad = fin & (err > rtol * np.maximum(np.abs(b), 1e-3 * scale) + ATOL)
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        return f"{a[i]!r} vs {b[i]!r} at {i}"
    return None


def slots(triple):
    """A (value, firsts, seconds) triple as named slots: value, d1[i], d2[i]."""
    value, firsts, seconds = triple
    out = {"value": value}
    out.update({f"d1[{i}]": g for i, g in enumerate(firsts)})
    out.update({f"d2[{i}]": h for i, h in enumerate(seconds)})
    return out


def compare(ours_triple, theirs_triple, rtol=RTOL, expected=None):
    """The differences between two (value, firsts, seconds) triples, as a list of strings.

    expected: {slot: documented value} for slots where we differ from the reference on
    purpose; those slots are compared with the documented value instead.
    """
    expected = expected or {}
    mine, ref = slots(ours_triple), slots(theirs_triple)
    problems = []
    for name, a in mine.items():
        b = (
            np.broadcast_to(np.asarray(expected[name], float), np.shape(a))
            if name in expected
            else ref[name]
        )
        why = mismatch(a, b, rtol)
        if why:
            problems.append(f"{name}: {why}" + (" (documented value)" if name in expected else ""))
    return problems


def check(al_fn, torch_fn, xs, w=None, v=None, node=Tensor, rtol=RTOL, expected=None):
    """Assert autograd_lite and PyTorch agree on value, first and second derivative
    (`expected`: {slot: value} where we differ on purpose; see `compare`)."""
    xs = [np.asarray(x, dtype=float) for x in xs]
    problems = compare(ours(al_fn, xs, w, v, node), theirs(torch_fn, xs, w, v), rtol, expected)
    assert not problems, "autograd_lite (first) vs PyTorch (second):\n" + "\n".join(problems)


def fmt(x):
    """A float as Python source (inf, nan spelled out)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)
