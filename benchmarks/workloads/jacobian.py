"""Workload 8: the Jacobian of f(x) = tanh(A @ x), A of shape 200 x 100 (a 200 x 100 result).

A Jacobian with more outputs than inputs: reverse mode needs one backward sweep per
output element. autograd_lite's `jacrev` batches them into one sweep (its default,
`vectorize=True`), beside row by row (`vectorize=False`); `torch.func.jacrev` batches
with vmap. The floor is the closed form J = diag(1 - tanh(A x)**2) A.
"""

from __future__ import annotations

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl, remembering, torch_impls
from .hessian import make_problem  # A (m, n) scaled by 1/sqrt(n), x (n,): standard normal

WORKLOAD = "8. Jacobian"


def ours(a, x, transform="jacrev", **options):
    """autograd_lite's `transform` (jacrev, jacobian, jacfwd) of tanh(A @ x), at x."""
    import autograd_lite as al

    j = getattr(al, transform)(lambda v: al.tanh(al.matmul(a, v)), **options)
    return remembering(lambda: j(x))


def torch_func(a, x, transform="jacrev"):
    """`torch.func.<transform>` (jacrev, jacfwd) of tanh(A @ x), at x."""
    import torch

    at, xt = torch.from_numpy(a), torch.from_numpy(x)
    j = getattr(torch.func, transform)(lambda v: torch.tanh(at @ v))
    return remembering(lambda: j(xt))


def closed_form(a, x):
    """The floor: diag(1 - tanh(A x)**2) A, by hand."""

    def jacobian():
        y = np.tanh(a @ x)
        return (1.0 - y * y)[:, None] * a

    return remembering(jacobian)


def cases(smoke=False):
    m, n = (4, 3) if smoke else (200, 100)
    a, x = make_problem(m, n)
    return [
        Case(
            WORKLOAD,
            f"tanh(A @ x), A {m}x{n}",
            [
                Impl(f"{OURS} jacrev", lambda: ours(a, x)),
                Impl(f"{OURS} jacrev(vectorize=False)", lambda: ours(a, x, vectorize=False)),
                *torch_impls(lambda: torch_func(a, x), name="torch.func.jacrev"),
                Impl(NUMPY, lambda: closed_form(a, x)),
            ],
            repeats=3 if smoke else 11,
            min_round=0.0 if smoke else 0.1,
        )
    ]
