"""Workload 7: the n-th derivative of sin(x**2) at 0.3, for n = 10, 20, 40 and 100.

`derivative(f, order=n)` propagates truncated Taylor series through the recorded graph
(Taylor mode): O(n^2) per op, where n nested reverse passes grow the graph exponentially
(order 12 took 0.74 s that way, order 14 seconds). At order 10 the nested route is timed
beside it, and the recurrence written out in numpy by hand is the floor; sympy's exact
derivative (where installed) is the reference at every order.
"""

from __future__ import annotations

import math

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl, remembering

WORKLOAD = "9. Taylor derivative"
POINT = 0.3


def _ours(order):
    import autograd_lite as al

    d = al.derivative(lambda x: al.sin(x**2), order=order)
    return remembering(lambda: d(POINT))


def _nested_reverse(order):
    """The same derivative by `order` nested reverse passes (the route before Taylor mode)."""
    import autograd_lite as al
    from autograd_lite.core.graph import cotangents

    def compute():
        x = al.Value(POINT)
        d = al.sin(x**2)
        for _ in range(order):
            (d,) = cotangents(d, [x], None, True)
        return d.data

    return remembering(compute)


def _numpy(order):
    """The floor: the series of u = x**2 (x0**2, 2 x0, 1) and of sin u by its recurrence
    (k s_k = sum_j j u_j c_{k-j}, k c_k = -sum_j j u_j s_{k-j}), written out in numpy."""

    def compute():
        K = order + 1
        u = np.zeros(K)
        u[: min(K, 3)] = [POINT**2, 2 * POINT, 1.0][:K]
        ju = np.arange(K) * u
        s, c = np.zeros(K), np.zeros(K)
        s[0], c[0] = math.sin(u[0]), math.cos(u[0])
        for k in range(1, K):
            s[k] = ju[1 : k + 1] @ c[k - 1 :: -1] / k
            c[k] = -(ju[1 : k + 1] @ s[k - 1 :: -1]) / k
        return s[order] * math.factorial(order)

    return remembering(compute)


def _sympy(order):
    import sympy as sp

    x = sp.Symbol("x")
    value = float(sp.diff(sp.sin(x**2), x, order).subs(x, sp.Rational(3, 10)).evalf(30))
    return remembering(lambda: value)


def cases(smoke=False):
    orders = (3, 5) if smoke else (10, 20, 40, 100)
    return [
        Case(
            WORKLOAD,
            f"order {n}: derivative(sin(x**2), order={n}) at {POINT}",
            [
                Impl(OURS, lambda n=n: _ours(n)),
                *(
                    [Impl(f"{OURS} nested reverse", lambda n=n: _nested_reverse(n))]
                    if n <= 10
                    else []
                ),
                Impl(NUMPY, lambda n=n: _numpy(n)),
                Impl("sympy (exact, precomputed)", lambda n=n: _sympy(n), ("sympy",)),
            ],
            repeats=3 if smoke else 7,
            min_round=0.0 if smoke else 0.05,
            reference=NUMPY,
            rtol=1e-9,
            atol=0.0,
        )
        for n in orders
    ]
