"""Taylor mode: `taylor` and `derivative` against nested reverse mode on every op of the
tables (up to order 6, at ordinary points and at the kinks), against sympy up to order 20
on composite functions, the fallback for ops without a series rule, and bad input."""

import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.core.graph import Node, cotangents
from autograd_lite.nn.layers import erf

from .helpers import seed_of
from .test_numpy_surface import CASES
from .test_ops import BINARY, TENSOR_OPS, UNARY

ORDER = 6


def reverse_coefficients(g, t0, order=ORDER):
    """g^(k)(t0)/k! for k <= order by nested reverse mode (create_graph), g: R -> R."""
    t = Value(t0)
    d = g(t)
    out = [float(d.data if isinstance(d, Node) else d)]
    for _ in range(order):
        if not (isinstance(d, Node) and d.requires_grad):
            out.append(0.0)
            continue
        (d,) = cotangents(d, [t], None, True)
        out.append(0.0 if d is None else float(d.data if isinstance(d, Node) else d))
    return np.array([c / math.factorial(k) for k, c in enumerate(out)])


def assert_coefficients(got, want, what, rtol=1e-8):
    scale = np.maximum(np.abs(want), 1e-6 * max(1.0, np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0, err_msg=what, equal_nan=True)
    assert np.all(np.abs(np.asarray(got) - want) <= rtol * scale + 1e-300), what


def _points(lo, hi, name):
    rng = np.random.default_rng(seed_of(name))
    xs = list(rng.uniform(lo, hi, 3))
    return [x if abs(x) > 0.05 or not lo < 0 < hi else 0.5 for x in xs]


KINKS = {  # unary op -> points where it has a kink or a jump, with reverse mode's convention
    "relu": [0.0],
    "abs": [0.0],
    "clip": [-1.5, 2.0],
    "sign": [0.0],
    "floor": [1.0],
    "ceil": [1.0],
    "round": [1.5, 2.5],
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_agree_with_nested_reverse_mode_to_order_6(name):
    f, lo, hi = UNARY[name]
    for x0 in _points(lo, hi, name) + KINKS.get(name, []):
        want = reverse_coefficients(f, x0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", al.SeriesFallbackWarning)
            got = al.taylor(f, x0, ORDER)
        assert got.shape == (ORDER + 1,)
        assert_coefficients(got, want, f"{name} at {x0}")


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_on_arrays_agree_elementwise(name):
    # The array path of every rule (Tensor data, einsum over the series axis): three
    # points at once along the direction v, each coefficient k scaled by v**k.
    f, lo, hi = UNARY[name]
    xs = np.array(_points(lo, hi, name))
    v = np.array([1.0, -0.5, 2.0])
    got = al.taylor(f, xs, ORDER, v=v)
    assert got.shape == (ORDER + 1, 3)
    for i in range(3):
        want = reverse_coefficients(f, xs[i]) * v[i] ** np.arange(ORDER + 1)
        assert_coefficients(got[:, i], want, f"{name} at {xs[i]}")


# Ties of maximum and minimum, the origin of arctan2 and the jump of mod: (a, b) points.
BINARY_KINKS = {
    "maximum": [(0.7, 0.7)],
    "minimum": [(0.7, 0.7)],
    "arctan2": [(0.0, 0.0)],
    "hypot": [(0.0, 1.5)],
    "mod": [(2.0, 1.0)],
    "mod_operator_negative_divisor": [(2.0, -1.0)],
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_agree_with_nested_reverse_mode_along_a_line(name):
    f, (alo, ahi), (blo, bhi) = BINARY[name]
    rng = np.random.default_rng(len(name))
    points = [(a, b) for a, b in zip(_points(alo, ahi, name), _points(blo, bhi, name + "b"))]
    for a0, b0 in points + BINARY_KINKS.get(name, []):
        va, vb = rng.uniform(-1, 1, 2)

        def g(t, a0=a0, b0=b0, va=va, vb=vb):
            return f(a0 + va * t, b0 + vb * t)

        want = reverse_coefficients(g, 0.0)
        got = al.taylor(g, 0.0, ORDER)
        assert_coefficients(got, want, f"{name} at {(a0, b0)}")
        # the same through a vector input and a direction (getitem, then the op)
        got = al.taylor(lambda z: f(z[0], z[1]), np.array([a0, b0]), ORDER, v=[va, vb])
        assert_coefficients(got, want, f"{name} at {(a0, b0)}, vector input")


def test_a_tie_of_maximum_shares_the_series_evenly_as_reverse_mode():
    # maximum(t, -t) = |t| at 0: reverse mode gives each side half, so the slope is 0.
    coefs = al.taylor(lambda t: al.maximum(t, -t) + al.minimum(2 * t, t * t), 0.0, 3)
    np.testing.assert_allclose(coefs, [0.0, 1.0, 0.5, 0.0])


TABLE_ORDER = 4


def _tensor_case(f, shapes, name):
    rng = np.random.default_rng(seed_of(name))
    xs = [rng.standard_normal(s) for s in shapes]
    vs = [rng.standard_normal(s) for s in shapes]
    out = f(*[Tensor(x) for x in xs])
    c = rng.standard_normal(np.shape(out.data))

    def along(t):  # f on the line through xs along vs; every argument moves
        return al.sum(f(*[x + v * t for x, v in zip(xs, vs)]) * c)

    want = reverse_coefficients(along, 0.0, TABLE_ORDER)
    got = al.taylor(along, 0.0, TABLE_ORDER)
    assert_coefficients(got, want, name, rtol=1e-7)


@pytest.mark.parametrize("name", sorted(TENSOR_OPS))
def test_tensor_ops_agree_with_nested_reverse_mode(name):
    f, shape = TENSOR_OPS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", al.SeriesFallbackWarning)  # pnorm: checked below
        _tensor_case(f, [shape], name)


#: Ops of the tables that Taylor mode differentiates by its fallback (nested reverse mode).
FALLBACK = {"pnorm", "_linear_scan"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_surface_agrees_with_nested_reverse_mode(name):
    f, shapes = CASES[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", al.SeriesFallbackWarning)
        _tensor_case(f, shapes, name)
    assert not [w for w in caught if issubclass(w.category, al.SeriesFallbackWarning)], name


# ---- exact coefficients: sympy up to order 20 --------------------------------------------

X = sp.Symbol("x")
COMPOSITES = {
    "sin(x**2)": (lambda x: al.sin(x**2), sp.sin(X**2), 0.3),
    "exp(sin(x))*log(1+x**2)": (
        lambda x: al.exp(al.sin(x)) * al.log(1 + x**2),
        sp.exp(sp.sin(X)) * sp.log(1 + X**2),
        0.7,
    ),
    "tanh(x)/(1+x**2)": (lambda x: al.tanh(x) / (1 + x**2), sp.tanh(X) / (1 + X**2), -0.4),
    "sqrt(1+x)**3": (lambda x: al.sqrt(1 + x) ** 3, sp.sqrt(1 + X) ** 3, 0.5),
    "sigmoid(x)*cos(3x)": (
        lambda x: al.sigmoid(x) * al.cos(3 * x),
        sp.cos(3 * X) / (1 + sp.exp(-X)),
        0.2,
    ),
    "softplus(x**2)-arctan(x)": (
        lambda x: al.softplus(x**2) - al.arctan(x),
        sp.log(1 + sp.exp(X**2)) - sp.atan(X),
        0.6,
    ),
    "x**x": (lambda x: x**x, X**X, 1.3),
    "arcsin(x/2)*cosh(x)": (
        lambda x: al.arcsin(x / 2) * al.cosh(x),
        sp.asin(X / 2) * sp.cosh(X),
        0.9,
    ),
    "erf(x)+log1p(x)": (
        lambda x: erf(x) + al.log1p(x),
        sp.erf(X) + sp.log(1 + X),
        0.4,
    ),
    "tan(x)*2**x/hypot(x,2)": (
        lambda x: al.tan(x) * 2.0**x / al.hypot(x, 2.0),
        sp.tan(X) * 2**X / sp.sqrt(X**2 + 4),
        0.5,
    ),
    "x**2.5*arcsinh(x)": (
        lambda x: x**2.5 * al.arcsinh(x),
        X ** sp.Rational(5, 2) * sp.asinh(X),
        1.1,
    ),
    "logaddexp(x, sin(x))": (
        lambda x: al.logaddexp(x, al.sin(x)),
        sp.log(sp.exp(X) + sp.exp(sp.sin(X))),
        0.8,
    ),
}


def _sympy_coefficients(expr, x0, order):
    """Taylor coefficients of a sympy expression at x0, to 60 digits: the expression turned
    into an mpmath function (sympy's lambdify) and differentiated by mpmath's arbitrary
    precision `taylor` (repeated symbolic differentiation swells past minutes at order 20;
    `test_the_oracle_agrees_with_exact_symbolic_derivatives` checks the two agree)."""
    with mpmath.workdps(60):
        f = sp.lambdify(X, expr, "mpmath")
        point = (
            mpmath.mpf(sp.Rational(x0).limit_denominator(10**6).p)
            / sp.Rational(x0).limit_denominator(10**6).q
        )
        return np.array([float(c) for c in mpmath.taylor(f, point, order)])


def test_the_oracle_agrees_with_exact_symbolic_derivatives():
    expr, x0 = sp.sin(X**2), sp.Rational(3, 10)
    exact, d = [], expr
    for k in range(21):
        exact.append(float(sp.N(d.subs(X, x0), 30)) / math.factorial(k))
        d = sp.diff(d, X)
    np.testing.assert_allclose(_sympy_coefficients(expr, 0.3, 20), exact, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composites_match_sympy_to_order_20(name):
    f, expr, x0 = COMPOSITES[name]
    want = _sympy_coefficients(expr, x0, 20)
    got = al.taylor(f, x0, 20)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0, err_msg=name)
    # derivative takes the same route: the 20th derivative is 20! times the coefficient
    d20 = al.derivative(f, order=20)(x0)
    assert d20 == pytest.approx(want[20] * math.factorial(20), rel=1e-10)


# ---- the fallback, primitives, bad input ----------------------------------------------


def _exp_without_series():
    exp = al.primitive(np.exp)
    exp.defvjp(lambda g, out, x: g * exp(x))
    return exp


def test_an_op_without_series_rule_warns_and_falls_back_to_nested_reverse_mode():
    exp = _exp_without_series()
    f = lambda x: exp(x) * al.sin(x)  # noqa: E731
    with pytest.warns(al.SeriesFallbackWarning, match="op 'exp' has no series rule"):
        got = al.taylor(f, 0.4, 5)
    assert_coefficients(got, al.taylor(lambda x: al.exp(x) * al.sin(x), 0.4, 5), "fallback")
    with pytest.warns(al.SeriesFallbackWarning):  # on arrays too, with a direction
        got = al.taylor(lambda x: exp(x).sum(), np.array([0.1, 0.2]), 4, v=[1.0, 2.0])
    want = [
        np.sum(np.exp([0.1, 0.2]) * np.array([1.0, 2.0]) ** k) / math.factorial(k) for k in range(5)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # derivative takes nested reverse mode for the whole function, silently: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert al.derivative(f, 3)(0.4) == pytest.approx(6 * got_of(f, 0.4, 3), rel=1e-12)


def got_of(f, x0, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", al.SeriesFallbackWarning)
        return al.taylor(f, x0, k)[k]


def test_defseries_gives_a_primitive_its_series_rule():
    from autograd_lite.core import series

    exp = _exp_without_series()
    exp(0.0)  # an Op declared before the rule gets it too
    exp.defseries(lambda cs, out, x: series.exp(cs[0], out))
    with warnings.catch_warnings():
        warnings.simplefilter("error", al.SeriesFallbackWarning)
        got = al.taylor(lambda x: exp(2 * x), 0.3, 6)
    want = [math.exp(0.6) * 2**k / math.factorial(k) for k in range(7)]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    with pytest.raises(TypeError, match="series rule must be a function"):
        exp.defseries(3)


def test_taylor_with_a_direction_is_jet_of_a_vector_function():
    x = np.array([0.3, -0.2, 0.5])
    v = np.array([1.0, 2.0, -1.0])
    f = lambda z: al.sum(al.sin(z) * z)  # noqa: E731
    got = al.taylor(f, x, 5, v=v)
    want = reverse_coefficients(lambda t: f(Tensor(x) + t * Tensor(v)), 0.0, 5)
    assert_coefficients(got, want, "directional")
    # a vector output: one column per element
    got = al.taylor(lambda z: al.exp(z), x, 3, v=v)
    want = np.array([np.exp(x) * v**k / math.factorial(k) for k in range(4)])
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_order_zero_and_constant_functions():
    np.testing.assert_allclose(al.taylor(al.sin, 0.5, 0), [math.sin(0.5)])
    np.testing.assert_allclose(al.taylor(lambda x: 3.0, 0.5, 2), [3.0, 0.0, 0.0])
    np.testing.assert_allclose(al.taylor(lambda x: x**3, 0.0, 4), [0, 0, 0, 1, 0])


@pytest.mark.parametrize(
    "order, error, message",
    [
        (-1, ValueError, "order must be >= 0, got -1"),
        (1.5, TypeError, "order must be an int, got float 1.5"),
        (True, TypeError, "order must be an int"),
        ("3", TypeError, "order must be an int"),
    ],
)
def test_a_bad_order_is_refused_naming_it(order, error, message):
    with pytest.raises(error, match=message):
        al.taylor(al.sin, 0.5, order)
    with pytest.raises(error, match="order must"):
        al.derivative(al.sin, order)


def test_a_bad_direction_is_refused_naming_v():
    with pytest.raises(ValueError, match=r"v has shape \(2,\), but x has shape \(3,\)"):
        al.taylor(lambda z: z.sum(), np.zeros(3), 2, v=np.ones(2))
    with pytest.raises(TypeError, match=r"v \(the direction\) is needed for an x of shape \(3,\)"):
        al.taylor(lambda z: z.sum(), np.zeros(3), 2)
    with pytest.raises(TypeError, match="taylor: v"):
        al.taylor(al.sin, 0.5, 2, v="up")
    with pytest.raises(TypeError, match="f must be a callable"):
        al.taylor(3, 0.5, 2)


def test_taylor_inside_another_transform_refuses_to_drop_the_derivative():
    with pytest.raises(TypeError, match="use derivative"):
        al.grad(lambda y: al.taylor(lambda x: x * y, 1.0, 2)[1])(2.0)
    # derivative nests, through nested reverse mode
    assert al.grad(lambda y: al.derivative(lambda x: al.sin(x * y), 2)(1.0))(0.5) == pytest.approx(
        -2 * 0.5 * math.sin(0.5) - 0.25 * math.cos(0.5), rel=1e-12
    )


def test_derivative_is_polynomial_in_the_order():
    # order 60 of a product: nested reverse mode doubles the graph with each order
    d = al.derivative(lambda x: al.sin(x) * al.exp(x), 60)(1.0)
    # (sin x e^x)^(n) = 2^(n/2) e^x sin(x + n pi/4)
    assert d == pytest.approx(2**30 * math.exp(1.0) * math.sin(1.0 + 60 * math.pi / 4), rel=1e-7)


def test_value_and_tensor_give_the_same_series():
    f = lambda x: al.log(1 + x * x) * al.tanh(x)  # noqa: E731
    a = al.taylor(f, 0.7, 8)
    b = al.taylor(f, np.array(0.7), 8)
    c = al.taylor(f, Value(0.7, requires_grad=False), 8)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    np.testing.assert_allclose(a, c, rtol=1e-14)
