"""Hostile review of Taylor mode (issue 14, section 3-4): its coefficients against nested
reverse mode at points where series break, and its checks of bad input."""

import math
import warnings

import numpy as np
import pytest

import autograd_lite as al


def _nested(f, n):
    """The n-th derivative by nesting grad by hand (the route Taylor mode replaced)."""
    for _ in range(n):
        f = al.grad(f)
    return f


def test_taylor_checks_v_also_at_order_0():
    # order 0 ignored v entirely: a direction of the wrong shape passed silently
    with pytest.raises(ValueError, match=r"v has shape \(5,\)"):
        al.taylor(lambda x: al.sum(al.sin(x)), np.ones(4), 0, v=np.ones(5))
    with pytest.raises(ValueError, match=r"v has shape \(5,\)"):
        al.taylor(lambda x: al.sin(x), 0.3, 0, v=np.ones(5))
    # a vector x at order 0 still needs no direction
    out = al.taylor(lambda x: al.sum(al.sin(x)), np.ones(4), 0)
    assert out.shape == (1,) and out[0] == pytest.approx(4 * math.sin(1.0))


# Taylor mode multiplies the structural zeros of a series (x_k = 0 for k >= 2 on the seed
# x0 + t) by infinite or NaN data: 0 * inf = NaN, where nested reverse mode, which never
# forms that product, gives the derivative (d^2/dx^2 x**2 = 2 at x = inf or NaN; exp's
# derivatives at inf are inf; arcsin'(1) = inf). `derivative` then takes the nested route,
# so it gives reverse mode's numbers there; `taylor` itself gives NaN (docs/functional.md).
SINGULAR = [
    ("x**2 at inf, order 2", lambda x: x**2, np.inf, 2),
    ("x**2 at nan, order 2", lambda x: x**2, np.nan, 2),
    ("x**3 at inf, order 3", lambda x: x**3, np.inf, 3),
    ("exp at inf, order 2", al.exp, np.inf, 2),
    ("arcsin at 1, order 1", al.arcsin, 1.0, 1),
    ("log at 0, order 3", al.log, 0.0, 3),
    ("1/x at 0, order 2", lambda x: 1.0 / x, 0.0, 2),
    (
        "x**0.5 at 0, order 2 (the fallback's own doc promises reverse mode's value)",
        lambda x: x**0.5,
        0.0,
        2,
    ),
]


@pytest.mark.parametrize("name, f, x, n", SINGULAR, ids=[s[0] for s in SINGULAR])
def test_derivative_agrees_with_nested_reverse_at_singular_points(name, f, x, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = float(_nested(f, n)(x))
        got = float(al.derivative(f, n)(x))
    assert not math.isnan(expected)
    assert got == expected


@pytest.mark.parametrize("order", [180, 200])
def test_derivative_of_high_order_does_not_underflow_to_zero(order):
    # The n-th coefficient e / n! underflows to 0 beyond n = 177 and derivative returned
    # 0.0 for exp's 180th derivative at 1 (silently; it is e); near the underflow the
    # subnormal coefficient lost digits (exp(2x)'s 200th derivative off by 1e-9).
    assert al.derivative(al.exp, order)(1.0) == pytest.approx(math.e, rel=1e-12)
    assert al.derivative(lambda x: al.exp(2 * x), order)(0.0) == pytest.approx(
        2.0**order, rel=1e-12
    )


def test_taylor_of_a_value_names_the_cause():
    # The error blamed "a transform around taylor" when there was none: x was a Value.
    with pytest.raises(TypeError, match=r"x given as a Value or Tensor.*pass x\.data"):
        al.taylor(al.sin, al.Value(0.3), 3)
    assert al.taylor(al.sin, al.Value(0.3).data, 1)[1] == pytest.approx(math.cos(0.3))
