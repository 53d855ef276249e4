"""Workload 7: forward mode.

- `jvp` of the 784-256-10 MLP's loss (workload 2's network and data, batch 128), in all
  four parameters at once, against the forward pass of the same loss alone (autograd_lite
  on plain arrays): the issue's target is at most 2x. The floor is the jvp by hand in
  numpy (the forward pass and its tangent written out).
- The Jacobian of tanh(B @ x), B 2000 x 5 (few inputs, many outputs): `jacfwd` (5 columns,
  one batched tangent sweep) against `jacobian` (reverse mode, one backward pass per
  output row) and torch.func.jacfwd; the floor is the closed form (1 - y**2) B.
"""

from __future__ import annotations

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl, remembering, torch_impls
from . import hessian, jacobian
from .tensor_mlp import make_problem

WORKLOAD = "7. Forward mode"
FORWARD_PASS = "autograd_lite forward pass"
JACREV = "autograd_lite jacobian (reverse)"


def _mlp(x, labels, layers, seed=1):
    rng = np.random.default_rng(seed)
    params = tuple(a for w, b in layers for a in (w, b))
    tangents = tuple(rng.standard_normal(p.shape) for p in params)
    return x, np.arange(len(labels)), labels, params, tangents


def _loss(x, rows, labels):
    import autograd_lite as al

    def loss(w1, b1, w2, b2):
        h = al.relu(x @ w1 + b1)
        logits = h @ w2 + b2
        return -al.mean(al.log_softmax(logits, axis=1)[rows, labels])

    return loss


def _ours_jvp(x, rows, labels, params, tangents):
    import autograd_lite as al

    loss = _loss(x, rows, labels)
    return remembering(lambda: al.jvp(loss, params, tangents))


def _ours_forward(x, rows, labels, params, tangents):
    loss = _loss(x, rows, labels)
    return lambda: loss(*params), None  # another quantity: no cross-check


def _numpy_jvp(x, rows, labels, params, tangents):
    (w1, b1, w2, b2), (tw1, tb1, tw2, tb2) = params, tangents

    def jvp():
        z = x @ w1 + b1
        on = z > 0
        h, th = z * on, (x @ tw1 + tb1) * on
        logits = h @ w2 + b2
        t_logits = th @ w2 + h @ tw2 + tb2
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        log_p = logits - m - np.log(s)
        t_log_p = t_logits - (e / s * t_logits).sum(axis=1, keepdims=True)
        return -log_p[rows, labels].mean(), -t_log_p[rows, labels].mean()

    return remembering(jvp)


def _torch_jvp(x, rows, labels, params, tangents):
    import torch
    from torch.func import jvp

    xt, rt, lt = (torch.from_numpy(a) for a in (x, rows, labels))

    def loss(w1, b1, w2, b2):
        logits = torch.relu(xt @ w1 + b1) @ w2 + b2
        return -torch.log_softmax(logits, 1)[rt, lt].mean()

    ps = tuple(torch.from_numpy(p) for p in params)
    ts = tuple(torch.from_numpy(t) for t in tangents)
    return remembering(lambda: jvp(loss, ps, ts))


def cases(smoke=False):
    sizes, batch = ((6, 5, 3), 4) if smoke else ((784, 256, 10), 128)
    mlp = _mlp(*make_problem(sizes, batch))
    m, n = (7, 3) if smoke else (2000, 5)
    b, x = hessian.make_problem(m, n)

    def on_mlp(fn):
        return lambda: fn(*mlp)

    return [
        Case(
            WORKLOAD,
            f"jvp of the MLP loss {'-'.join(map(str, sizes))}",
            [
                Impl(OURS, on_mlp(_ours_jvp)),
                Impl(FORWARD_PASS, on_mlp(_ours_forward)),
                *torch_impls(on_mlp(_torch_jvp), name="torch.func.jvp"),
                Impl(NUMPY, on_mlp(_numpy_jvp)),
            ],
            repeats=3 if smoke else 9,
            min_round=0.0 if smoke else 0.1,
        ),
        Case(
            WORKLOAD,
            f"jacobian of tanh(B @ x), B {m}x{n}",
            [
                Impl(OURS, lambda: jacobian.ours(b, x, "jacfwd")),
                Impl(JACREV, lambda: jacobian.ours(b, x, "jacobian")),
                *torch_impls(lambda: jacobian.torch_func(b, x, "jacfwd"), name="torch.func.jacfwd"),
                Impl(NUMPY, lambda: jacobian.closed_form(b, x)),
            ],
            repeats=3 if smoke else 7,
            min_round=0.0 if smoke else 0.05,
        ),
    ]
