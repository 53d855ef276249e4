"""Workload 4: the Hessian of f(x) = logsumexp(A @ x), A of shape 50 x 100 (a 100 x 100 result).

autograd_lite uses `autograd_lite.hessian` (a Jacobian of the gradient by
double backward: its rows in one batched sweep by default), and row by row
(`vectorize=False`) beside it.
The floor is the closed form H = A^T (diag(p) - p p^T) A with p = softmax(A x).
"""

from __future__ import annotations

import inspect

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl, remembering, torch_impls

WORKLOAD = "4. Hessian"


def make_problem(m, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(n)


def _ours(a, x, **options):
    import autograd_lite as al

    h = al.hessian(lambda v: al.logsumexp(al.matmul(a, v)), **options)
    return remembering(lambda: h(x))


def _hips(a, x):
    import autograd.numpy as anp
    from autograd import hessian
    from autograd.scipy.special import logsumexp

    h = hessian(lambda v: logsumexp(anp.dot(a, v)))
    return remembering(lambda: h(x))


def _torch_autograd_functional(a, x):
    import torch

    at, xt = torch.from_numpy(a), torch.from_numpy(x)
    f = lambda v: torch.logsumexp(at @ v, 0)
    return remembering(lambda: torch.autograd.functional.hessian(f, xt))


def _torch_func(a, x):
    import torch

    at, xt = torch.from_numpy(a), torch.from_numpy(x)
    h = torch.func.hessian(lambda v: torch.logsumexp(at @ v, 0))
    return remembering(lambda: h(xt))


def _numpy(a, x):
    def hessian():
        z = a @ x
        p = np.exp(z - z.max())
        p /= p.sum()
        ap = a.T @ p
        return (a.T * p) @ a - np.outer(ap, ap)

    return remembering(hessian)


def autograd_lite_impls(a, x) -> list:
    """autograd_lite's hessian (its default route), and row by row (vectorize=False) where
    the signature offers the choice."""
    import autograd_lite as al

    impls = [Impl(f"{OURS} hessian", lambda: _ours(a, x))]
    if "vectorize" in inspect.signature(al.hessian).parameters:
        impls.append(Impl(f"{OURS} hessian(vectorize=False)", lambda: _ours(a, x, vectorize=False)))
    return impls


def cases(smoke=False):
    m, n = (3, 5) if smoke else (50, 100)
    a, x = make_problem(m, n)

    def impl(name, fn, requires=()):
        return Impl(name, lambda: fn(a, x), requires)

    return [
        Case(
            WORKLOAD,
            f"logsumexp(A @ x), A {m}x{n}",
            [
                *autograd_lite_impls(a, x),
                impl("HIPS autograd hessian", _hips, ("autograd",)),
                *torch_impls(
                    lambda: _torch_autograd_functional(a, x),
                    name="torch.autograd.functional.hessian",
                ),
                *torch_impls(lambda: _torch_func(a, x), name="torch.func.hessian"),
                impl(NUMPY, _numpy),
            ],
            repeats=3 if smoke else 11,
            min_round=0.0 if smoke else 0.1,
        )
    ]
