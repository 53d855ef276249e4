"""Numerics and conventions (README table): IEEE semantics and PyTorch's choices at kinks.

Each case runs on a Value and on a 0-d Tensor and must agree.
"""

import math
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value

NAN, INF = float("nan"), float("inf")


def _both(x):
    """A Value and a 0-d Tensor holding x, both requiring grad."""
    return Value(x), Tensor(x, requires_grad=True)


def _value_and_grad(f, x):
    """[(value, derivative)] for a Value and a 0-d Tensor input."""
    out = []
    for node in _both(x):
        y = f(node)
        y.backward()
        grad = node.grad if isinstance(node, Value) else node.grad.item()
        out.append((float(y.data), float(grad)))
    return out


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(
    "f, x, expected",
    [
        (al.log, 0.0, -INF),
        (al.log, -1.0, NAN),
        (lambda x: 1 / x, 0.0, INF),
        (lambda x: -1 / x, 0.0, -INF),
        (lambda x: x / 0.0, 0.0, NAN),
        (al.exp, 1000.0, INF),
        (al.sqrt, -1.0, NAN),
        (lambda x: x ** (1 / 3), -8.0, NAN),
        (lambda x: x**-1.0, 0.0, INF),
        (lambda x: x**401.0, -10.0, -INF),
        (al.sin, INF, NAN),
        (al.relu, NAN, NAN),
        (al.tanh, NAN, NAN),
        (al.sigmoid, NAN, NAN),
        (al.abs, NAN, NAN),
        (al.exp, NAN, NAN),
    ],
)
def test_ieee_values_never_raise(f, x, expected):
    for node in _both(x):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no Python or numpy complaint either
            got = float(f(node).data)
        assert _same(got, expected), f"{f} at {x} on {type(node).__name__}: {got} != {expected}"
    if f.__name__ != "<lambda>":  # the module's functions take plain numbers too
        assert _same(f(x), expected)


@pytest.mark.parametrize("f", [al.tanh, al.sigmoid])
@pytest.mark.parametrize("x", [1000.0, -1000.0])
def test_tanh_and_sigmoid_saturate_without_overflow_or_warning(f, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value, grad in _value_and_grad(f, x):
            limit = {
                (al.tanh, 1): 1.0,
                (al.tanh, -1): -1.0,
                (al.sigmoid, 1): 1.0,
                (al.sigmoid, -1): 0.0,
            }
            assert value == limit[(f, int(np.sign(x)))]
            assert grad == 0.0


@pytest.mark.parametrize(
    "name, f, x, grad",
    [
        ("relu'(0)", al.relu, 0.0, 0.0),
        ("abs'(0)", al.abs, 0.0, 0.0),
        ("sqrt'(0)", al.sqrt, 0.0, INF),
        ("d/dx x**0 at 0", lambda x: x**0, 0.0, 0.0),
        ("d/dx x**2 at 0", lambda x: x**2, 0.0, 0.0),
        ("d/dx x**1 at 0", lambda x: x**1, 0.0, 1.0),
        ("d/db 0**b at b=2", lambda b: 0.0**b, 2.0, 0.0),
        ("relu'(nan)", al.relu, NAN, NAN),
        ("1/x at 0", lambda x: 1 / x, 0.0, -INF),
        ("log'(0)", al.log, 0.0, INF),
        ("sinc'(0)", al.sinc, 0.0, 0.0),
        ("d/dy 1 % y at y = 0.1: -(1 // 0.1)", lambda y: 1.0 % y, 0.1, -9.0),
    ],
)
def test_derivative_conventions_at_undefined_points(name, f, x, grad):
    for _, got in _value_and_grad(f, x):
        if math.isnan(grad):
            assert math.isnan(got) or got == 1.0, name  # PyTorch passes the cotangent through
        else:
            assert _same(got, grad), f"{name}: {got}"


def test_relu_of_nan_input_propagates_in_the_value_and_the_gradient_is_not_zeroed():
    v = Value(NAN)
    y = v.relu() * 2.0
    y.backward()
    assert math.isnan(y.data)
    assert v.grad != 0.0


@pytest.mark.parametrize("node", ["value", "tensor"])
def test_fifth_derivative_of_x4_at_zero_is_zero_not_nan(node):
    x = Value(0.0) if node == "value" else Tensor(0.0, requires_grad=True)
    g = x**4
    expected = [0.0, 0.0, 0.0, 24.0, 0.0]
    for order in range(5):
        x.grad = x._ZERO_GRAD
        g.backward(create_graph=True)
        g = x.grad
        assert float(g.data) == expected[order], f"order {order + 1}: {g.data}"


@pytest.mark.parametrize("x0", [0.0, -0.0])
def test_second_derivative_of_sinc_at_zero_is_minus_pi_squared_over_three(x0):
    for x in _both(x0):
        assert float(al.derivative(al.sinc, 2)(x).data) == pytest.approx(-(math.pi**2) / 3, 1e-15)


def test_prod_and_cumprod_differentiate_exactly_at_zeros():
    x = Tensor([2.0, 0.0, 3.0, 0.0], requires_grad=True)
    al.prod(x[:3]).backward()
    assert x.grad.data.tolist() == [0.0, 6.0, 0.0, 0.0]
    x.grad = None
    al.prod(x).backward(create_graph=True)
    g = x.grad
    assert g.data.tolist() == [0.0, 0.0, 0.0, 0.0]
    x.grad = None
    g[1].backward()  # d2 prod / dx1 dx3 = 2 * 3
    assert x.grad.data.tolist() == [0.0, 0.0, 0.0, 6.0]
    x.grad = None
    al.cumprod(x).sum().backward()  # d/dx1 of 2 x1 + 2 x1 3 + 2 x1 3 x3
    assert x.grad.data.tolist() == [1.0, 8.0, 0.0, 0.0]


def test_std_of_equal_elements_has_gradient_zero_and_second_derivative_nan():
    x = Tensor([1.5, 1.5, 1.5], requires_grad=True)
    al.std(x).backward(create_graph=True)
    g = x.grad
    assert g.data.tolist() == [0.0, 0.0, 0.0]
    x.grad = None
    g[0].backward()
    assert np.isnan(x.grad.data).all()


def test_derivative_of_a_pow_b_in_b_is_zero_at_a_zero_in_both_node_types():
    for a, b in [
        (Value(0.0), Value(3.0)),
        (Tensor(0.0, requires_grad=True), Tensor(3.0, requires_grad=True)),
    ]:
        y = a**b
        y.backward()
        assert float(np.asarray(b.grad.data if isinstance(b, Tensor) else b.grad)) == 0.0


def test_ties_split_the_gradient_evenly():
    x = Tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    assert np.array_equal(x.grad.data, [0, 0.5, 0.5, 0])
    x = Tensor([[1.0, 1.0], [0.0, 2.0]], requires_grad=True)
    x.min(axis=1).sum().backward()
    assert np.array_equal(x.grad.data, [[0.5, 0.5], [1.0, 0.0]])
    for a, b in [
        (Value(2.0), Value(2.0)),
        (Tensor(2.0, requires_grad=True), Tensor(2.0, requires_grad=True)),
    ]:
        al.maximum(a, b).backward()
        al.minimum(a, b).backward()
        assert float(np.asarray(a.grad.data if isinstance(a, Tensor) else a.grad)) == 1.0
        assert float(np.asarray(b.grad.data if isinstance(b, Tensor) else b.grad)) == 1.0


def test_value_and_zero_dim_tensor_agree_everywhere_on_a_grid():
    fs = [
        al.exp,
        al.log,
        al.sqrt,
        al.sin,
        al.cos,
        al.tanh,
        al.sigmoid,
        al.relu,
        al.abs,
        lambda x: x**2,
        lambda x: 1 / x,
        lambda x: x**0.5,
        lambda x: 2.0**x,
        al.sinc,
        al.deg2rad,
        lambda x: x % 1.5,
        lambda x: -1.5 % x,
    ]
    for f in fs:
        for x in (-2.0, -0.0, 0.0, 0.5, 3.0, INF, -INF, NAN):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                (v, gv), (t, gt) = _value_and_grad(f, x)
            assert _same(v, t) and _same(gv, gt), f"{f} at {x}: Value {v, gv} vs Tensor {t, gt}"


# ---- Python ints beyond the float range: ±inf, as IEEE overflow, never OverflowError ----

BIG = 10**400  # float(BIG) raises OverflowError; so do numpy's and PyTorch's conversions


@pytest.mark.parametrize(
    "name, f, expected",
    [
        ("Value(1.0) * BIG", lambda: Value(1.0) * BIG, INF),
        ("BIG * Value(1.0)", lambda: BIG * Value(1.0), INF),
        ("Value(BIG)", lambda: Value(BIG), INF),
        ("Value(-BIG)", lambda: Value(-BIG), -INF),
        ("BIG / Value(2.0)", lambda: BIG / Value(2.0), INF),
        ("Value(2.0) ** BIG", lambda: Value(2.0) ** BIG, INF),
        ("Value(0.5) ** BIG", lambda: Value(0.5) ** BIG, 0.0),
        ("BIG ** Value(2.0)", lambda: BIG ** Value(2.0), INF),
        ("exp(BIG)", lambda: al.exp(BIG), INF),
        ("exp(-BIG)", lambda: al.exp(-BIG), 0.0),
        ("exp(Value(1.0) - BIG)", lambda: al.exp(Value(1.0) - BIG), 0.0),
        ("maximum(Value(1.0), BIG)", lambda: al.maximum(Value(1.0), BIG), INF),
        ("maximum(1.0, -BIG)", lambda: al.maximum(1.0, -BIG), 1.0),
        ("clip(Value(1.0), -BIG, 2.0)", lambda: al.clip(Value(1.0), -BIG, 2.0), 1.0),
        ("clip(3.0, -BIG, 2.0)", lambda: al.clip(3.0, -BIG, 2.0), 2.0),
        ("Tensor(BIG)", lambda: Tensor(BIG), INF),
        ("Tensor([1.0]) + BIG", lambda: Tensor([1.0]) + BIG, INF),
        ("BIG / Tensor([2.0])", lambda: BIG / Tensor([2.0]), INF),
        ("Tensor([2.0]) ** BIG", lambda: Tensor([2.0]) ** BIG, INF),
        ("Tensor(1.0, float32) * BIG", lambda: Tensor(1.0, dtype=np.float32) * BIG, INF),
        ("maximum(Tensor([1.0]), BIG)", lambda: al.maximum(Tensor([1.0]), BIG), INF),
        ("clip(Tensor([1.0]), -BIG, 2.0)", lambda: al.clip(Tensor([1.0]), -BIG, 2.0), 1.0),
        ("clip(np.array([3.0]), -BIG, 2.0)", lambda: al.clip(np.array([3.0]), -BIG, 2.0), 2.0),
        ("maximum(np.array([1.0]), BIG)", lambda: al.maximum(np.array([1.0]), BIG), INF),
        ("max([1, BIG])", lambda: al.max([1, BIG]), INF),
        ("sum([1, -BIG])", lambda: al.sum([1, -BIG]), -INF),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_an_int_beyond_the_float_range_is_inf_not_overflow_error(name, f, expected):
    got = f()
    assert _same(float(np.asarray(getattr(got, "data", got)).reshape(-1)[0]), expected), name


def test_tensors_hold_python_ints_numpy_cannot_as_floats():
    t = Tensor([1, BIG, -BIG, 10**20, -(2**70)])
    assert t.dtype == np.float64
    assert t.data.tolist() == [1.0, INF, -INF, 1e20, -(2.0**70)]
    assert Tensor([[BIG], [2]], dtype=np.float32).data.tolist() == [[INF], [2.0]]
    x = Tensor([1.0], requires_grad=True)
    x.data = [BIG]
    assert x.data.tolist() == [INF]
    (x * 1.0).sum().backward(BIG)
    assert x.grad.data.tolist() == [INF]
    with pytest.raises(TypeError, match="real numbers"):
        Tensor([1, "a"])  # only numbers are converted


def test_a_value_seeded_or_set_with_a_huge_int_is_inf():
    v = Value(1.0)
    (v * 2.0).backward(BIG)
    assert v.grad == INF
    v.data = -BIG
    assert v.data == -INF
    assert al.grad(lambda x: x * 2)(BIG) == 2.0
