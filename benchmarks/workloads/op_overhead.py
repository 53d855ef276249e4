"""Workload 3: per-op overhead, 100 x (tanh, multiply) on a 4-element array, forward and backward.

With 4 elements the arithmetic is nothing: what is measured is what each
library spends per recorded op (making the node, dispatching the vjp, summing
cotangents). The result is d sum(y) / dx.
"""

from __future__ import annotations

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl, remembering, torch_impls

WORKLOAD = "3. Op overhead"
X0 = np.array([0.3, -0.2, 0.5, 0.1])
SCALE = np.array([1.1, 0.9, 1.2, 1.05])  # a constant: only x is differentiated


def _ours(steps):
    from autograd_lite import Tensor

    x = Tensor(X0, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(steps):
            y = y.tanh() * SCALE
        y.sum().backward()
        return x.grad

    return run, lambda: x.grad


def _hips(steps):
    import autograd.numpy as anp
    from autograd import grad

    def f(x):
        y = x
        for _ in range(steps):
            y = anp.tanh(y) * SCALE
        return anp.sum(y)

    df = grad(f)
    return remembering(lambda: df(X0))


def _torch(steps):
    import torch

    x = torch.tensor(X0, requires_grad=True)
    scale = torch.from_numpy(SCALE)

    def run():
        x.grad = None
        y = x
        for _ in range(steps):
            y = torch.tanh(y) * scale
        y.sum().backward()
        return x.grad

    return run, lambda: x.grad


def _numpy(steps):
    def forward_backward():
        tanhs = []
        y = X0
        for _ in range(steps):
            t = np.tanh(y)
            tanhs.append(t)
            y = t * SCALE
        g = np.ones_like(X0)
        for t in reversed(tanhs):
            g = g * SCALE * (1.0 - t * t)
        return g

    return remembering(forward_backward)


def cases(smoke=False):
    steps = 3 if smoke else 100

    def impl(name, fn, requires=()):
        return Impl(name, lambda: fn(steps), requires)

    return [
        Case(
            WORKLOAD,
            f"{steps} x (tanh, multiply), 4 elements: forward + backward",
            [
                impl(OURS, _ours),
                impl("HIPS autograd", _hips, ("autograd",)),
                *torch_impls(lambda: _torch(steps)),
                impl(NUMPY, _numpy),
            ],
            repeats=3 if smoke else 15,
            min_round=0.0 if smoke else 0.1,
        )
    ]
