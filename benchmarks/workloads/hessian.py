"""Workload 4: the Hessian of f(x) = logsumexp(A @ x), A of shape 50 x 100 (a 100 x 100 result).

autograd_lite uses `autograd_lite.functional.hessian` when it exists (also
with `vectorize=True` if offered); before that lands, the same thing written
on the core: one backward pass with `create_graph=True` gives the gradient as
a node, then one backward pass through it per row. The floor is the closed
form H = A^T (diag(p) - p p^T) A with p = softmax(A x).
"""

from __future__ import annotations

import inspect

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl

WORKLOAD = "4. Hessian"


def make_problem(m, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(n)


def _functional():
    try:
        from autograd_lite import functional
    except ImportError:
        return None
    return getattr(functional, "hessian", None)


def _ours_functional(a, x, **options):
    import autograd_lite as al

    hessian = _functional()
    out = {}

    def run():
        out["h"] = hessian(lambda v: al.logsumexp(al.matmul(a, v)), **options)(x)
        return out["h"]

    return run, lambda: out["h"]


def _ours_double_backward(a, x0):
    """Row i of the Hessian is the gradient of (d f / d x)_i: a second backward pass per row."""
    import autograd_lite as al

    at = al.Tensor(a)
    basis = np.eye(len(x0))
    out = {}

    def run():
        x = al.Tensor(x0, requires_grad=True)
        al.logsumexp(at @ x).backward(create_graph=True)
        g = x.grad
        rows = []
        for e in basis:
            x.grad = None
            g.backward(gradient=e)
            rows.append(x.grad.data)
        out["h"] = np.stack(rows)
        return out["h"]

    return run, lambda: out["h"]


def _hips(a, x):
    import autograd.numpy as anp
    from autograd import hessian
    from autograd.scipy.special import logsumexp

    h = hessian(lambda v: logsumexp(anp.dot(a, v)))
    out = {}

    def run():
        out["h"] = h(x)
        return out["h"]

    return run, lambda: out["h"]


def _torch_autograd_functional(a, x):
    import torch

    at, xt = torch.from_numpy(a), torch.from_numpy(x)
    out = {}

    def run():
        out["h"] = torch.autograd.functional.hessian(lambda v: torch.logsumexp(at @ v, 0), xt)
        return out["h"]

    return run, lambda: out["h"]


def _torch_func(a, x):
    import torch

    at, xt = torch.from_numpy(a), torch.from_numpy(x)
    h = torch.func.hessian(lambda v: torch.logsumexp(at @ v, 0))
    out = {}

    def run():
        out["h"] = h(xt)
        return out["h"]

    return run, lambda: out["h"]


def _numpy(a, x):
    out = {}

    def run():
        z = a @ x
        p = np.exp(z - z.max())
        p /= p.sum()
        ap = a.T @ p
        out["h"] = (a.T * p) @ a - np.outer(ap, ap)
        return out["h"]

    return run, lambda: out["h"]


def autograd_lite_impls(a, x) -> list:
    """autograd_lite's ways to the Hessian on the current code: functional if present, else core."""
    hessian = _functional()
    if hessian is None:
        return [Impl(f"{OURS} (double backward by rows)", lambda: _ours_double_backward(a, x))]
    impls = [Impl(f"{OURS} hessian", lambda: _ours_functional(a, x))]
    if "vectorize" in inspect.signature(hessian).parameters:
        impls.append(
            Impl(f"{OURS} hessian(vectorize)", lambda: _ours_functional(a, x, vectorize=True))
        )
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
                impl("torch.autograd.functional.hessian", _torch_autograd_functional, ("torch",)),
                impl("torch.func.hessian", _torch_func, ("torch",)),
                impl(NUMPY, _numpy),
            ],
            repeats=3 if smoke else 11,
            min_round=0.0 if smoke else 0.1,
        )
    ]
