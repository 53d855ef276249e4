"""`al.primitive`: user-declared ops on every node type, to any order, with clear errors."""

import math
import runpy
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@al.primitive
def softplus2(x):
    return np.logaddexp(0.0, x)


@softplus2.defvjp
def softplus2_vjp(g, out, x):
    return g * al.sigmoid(x)


@al.primitive
def softplus_raw(x):
    return np.logaddexp(0.0, x)


@softplus_raw.defvjp
def softplus_raw_vjp(g, out, x):  # x taken as a raw array: first derivatives only
    return g / (1.0 + np.exp(-np.asarray(x)))


@al.primitive
def mul_add(x, y):  # x * y + x, broadcasting as numpy does
    return x * y + x


mul_add.defvjp(lambda g, out, x, y: g * (y + 1.0), lambda g, out, x, y: g * x)


def test_defvjp_as_a_decorator_returns_the_rule():
    assert softplus2_vjp.__name__ == "softplus2_vjp"
    assert softplus2.__name__ == "softplus2" and softplus2.vjps == (softplus2_vjp,)


def test_a_primitive_on_a_value_gives_a_value_and_its_gradient():
    x = Value(0.3)
    y = softplus2(x)
    assert isinstance(y, Value) and type(y.data) is float and y.op == "softplus2"
    assert y.data == pytest.approx(math.log1p(math.exp(0.3)))
    y.backward()
    assert type(x.grad) is float and x.grad == pytest.approx(_sigmoid(0.3))


def test_a_primitive_on_a_tensor_keeps_shape_and_dtype():
    for dtype in (np.float32, np.float64):
        x = Tensor([-1.0, 0.0, 2.0], requires_grad=True, dtype=dtype)
        y = softplus2(x)
        assert isinstance(y, Tensor) and y.dtype == dtype and y.shape == (3,)
        y.sum().backward()
        assert x.grad.dtype == dtype
        np.testing.assert_allclose(x.grad.data, 1 / (1 + np.exp(-x.data)), rtol=1e-6)


def test_a_primitive_on_raw_data_returns_raw_data():
    out = softplus2(0.3)
    assert type(out) is float and out == pytest.approx(math.log1p(math.exp(0.3)))
    assert type(softplus2(np.float64(0.3))) is not Value
    arr = softplus2(np.array([0.0, 1.0]))
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, np.logaddexp(0.0, [0.0, 1.0]))


def test_an_integer_forward_becomes_float():
    count = al.primitive(lambda x: np.ceil(np.asarray(x)).astype(int))
    count.defvjp(lambda g, out, x: 0.0 * g)
    t = count(Tensor([0.5, 1.5], requires_grad=True))
    assert t.dtype == np.float64 and np.array_equal(t.data, [1.0, 2.0])
    v = count(Value(0.5))
    assert isinstance(v, Value) and type(v.data) is float and v.data == 1.0


def test_gradients_of_a_two_input_primitive_reduce_over_broadcasting():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = mul_add(x, y)
    np.testing.assert_allclose(out.data, x.data * y.data + x.data)
    out.sum().backward()
    assert x.grad.shape == (2, 3) and y.grad.shape == (3,)
    np.testing.assert_allclose(x.grad.data, np.broadcast_to(y.data + 1.0, (2, 3)))
    np.testing.assert_allclose(y.grad.data, x.data.sum(axis=0))


def test_a_value_meets_an_array_in_a_primitive():
    a = Value(2.0)
    out = mul_add(a, np.array([1.0, 2.0]))
    assert isinstance(out, Tensor)
    out.sum().backward()
    assert type(a.grad) is float and a.grad == pytest.approx((1.0 + 1.0) + (2.0 + 1.0))


def test_second_and_third_derivatives_match_the_closed_form():
    s = _sigmoid(0.7)
    assert al.derivative(softplus2, order=2)(0.7) == pytest.approx(s * (1 - s))
    assert al.derivative(softplus2, order=3)(0.7) == pytest.approx(s * (1 - s) * (1 - 2 * s))
    x = np.array([-0.5, 0.2, 1.5])
    h = al.hessian(lambda t: softplus2(t).sum())(x)
    sx = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(np.asarray(h), np.diag(sx * (1 - sx)))


def test_a_two_input_primitive_passes_gradcheck_and_gradgradcheck():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    y = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    assert al.gradcheck(mul_add, (x, y))
    assert al.gradgradcheck(mul_add, (x, y))
    assert al.gradgradcheck(mul_add, (Value(0.3), Value(-1.2)))


def test_a_rule_in_numpy_calls_that_dispatch_records_and_differentiates_twice():
    @al.primitive
    def softplus_np(x):
        return np.logaddexp(0.0, x)

    # np.exp and the operators on a node dispatch to autograd_lite: recorded
    softplus_np.defvjp(lambda g, out, x: g / (1.0 + np.exp(-x)))
    s = _sigmoid(0.4)
    assert al.derivative(softplus_np, order=2)(0.4) == pytest.approx(s * (1 - s))
    t = np.array([0.4, -1.0])
    sig = 1.0 / (1.0 + np.exp(-t))
    assert al.hessian(lambda u: softplus_np(u).sum())(t) == pytest.approx(np.diag(sig * (1 - sig)))


def test_a_raw_numpy_rule_gives_first_derivatives_and_refuses_the_second():
    x = Value(0.4)
    softplus_raw(x).backward()
    assert x.grad == pytest.approx(_sigmoid(0.4))
    t = Tensor([0.4, -1.0], requires_grad=True)
    softplus_raw(t).sum().backward()
    np.testing.assert_allclose(t.grad.data, 1 / (1 + np.exp(-t.data)))
    with pytest.raises(TypeError, match="primitive 'softplus_raw'.*differentiate it twice"):
        al.derivative(softplus_raw, order=2)(0.4)
    y = softplus_raw(Value(0.4))
    with pytest.raises(TypeError, match="primitive 'softplus_raw'"):
        y.backward(create_graph=True)


def test_a_rule_that_hides_a_constant_is_refused_under_create_graph():
    @al.primitive
    def cube(x):
        return x**3

    @cube.defvjp
    def cube_vjp(g, out, x):
        return g * 3.0 * np.asarray(x) ** 2  # np.asarray drops the Tensor's history

    t = Tensor([1.0, 2.0], requires_grad=True)
    cube(t).sum().backward()
    np.testing.assert_allclose(t.grad.data, [3.0, 12.0])
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="primitive 'cube'.*input 0"):
        cube(t).sum().backward(create_graph=True)


def test_a_rule_returning_a_constant_is_refused_unless_zero():
    const = al.primitive(lambda x: 2.0 * x)
    const.defvjp(lambda g, out, x: 2.0)  # ignores g: a constant even on nodes
    with pytest.raises(TypeError, match="returned a constant"):
        al.derivative(const, order=2)(1.0)
    flat = al.primitive(np.floor)
    flat.defvjp(lambda g, out, x: 0.0)
    assert al.derivative(flat, order=2)(1.5) == 0.0
    t = Tensor([0.5, 1.5], requires_grad=True)
    flat(t).sum().backward()
    assert np.array_equal(t.grad.data, [0.0, 0.0])


def test_a_missing_rule_raises_naming_the_op_and_the_input():
    @al.primitive
    def scaled(x, k):
        return x * k

    scaled.defvjp(lambda g, out, x, k: g * k, None)
    x, k = Value(2.0), Value(3.0, requires_grad=False)
    scaled(x, k).backward()  # k needs no cotangent: its missing rule is never asked for
    assert x.grad == 3.0
    k = Value(3.0)
    with pytest.raises(NotImplementedError, match="'scaled'.*input 1"):
        scaled(Value(2.0), k).backward()
    assert k.grad == 0.0  # nothing changed
    undeclared = al.primitive(np.sin)
    with pytest.raises(NotImplementedError, match="'sin'.*input 0"):
        undeclared(Tensor([1.0], requires_grad=True)).sum().backward()


def test_keyword_parameters_pass_through_and_are_never_differentiated():
    @al.primitive
    def lse(x, axis=None):
        m = np.max(x, axis=axis, keepdims=True)
        return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))

    @lse.defvjp
    def lse_vjp(g, out, x, axis=None):
        kept = tuple(1 if i == axis % x.ndim else n for i, n in enumerate(x.shape))
        return al.reshape(g, kept) * al.exp(x - al.reshape(out, kept))

    x = Tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    out = lse(x, axis=1)
    assert out.shape == (2,) and "axis" in out._op.params
    np.testing.assert_allclose(out.data, np.log(np.exp(x.data).sum(axis=1)))
    assert al.gradcheck(lambda t: lse(t, axis=1), (x,))
    assert al.gradgradcheck(lambda t: lse(t, axis=1), (x,))
    assert al.gradcheck(lambda t: lse(t, axis=0), (x,))
    with pytest.raises(TypeError, match="axis= is a parameter"):
        lse(x, axis=Value(1.0))


def test_gradcheck_and_gradgradcheck_catch_a_wrong_rule():
    wrong_first = al.primitive(np.sin)
    wrong_first.defvjp(lambda g, out, x: g * al.cos(x) * 1.01)
    x = Tensor([0.3, 1.1], requires_grad=True)
    with pytest.raises(al.GradcheckError):
        al.gradcheck(wrong_first, (x,))

    # Right first derivative, but x's history is cut (detach): the second derivative is 0.
    wrong_second = al.primitive(np.sin)
    wrong_second.defvjp(lambda g, out, x: g * al.cos(x.detach() if isinstance(x, Tensor) else x))
    assert al.gradcheck(wrong_second, (x,))
    with pytest.raises(al.GradcheckError, match="input 0"):
        al.gradgradcheck(wrong_second, (x,))

    right = al.primitive(np.sin)
    right.defvjp(lambda g, out, x: g * al.cos(x))
    assert al.gradcheck(right, (x,)) and al.gradgradcheck(right, (x,))


def test_defjvp_stores_the_rules():
    f = al.primitive(np.sin)
    rule = f.defjvp(lambda g, out, x: g * al.cos(x))
    assert f.jvps == (rule,)


def test_bad_declarations_and_calls_raise():
    with pytest.raises(TypeError, match="needs a function"):
        al.primitive(3)
    with pytest.raises(TypeError, match="input 1 must be a function or None"):
        softplus_raw.defvjp(softplus_raw_vjp, 3)
    with pytest.raises(TypeError, match="2 vjp rules but was called with 1"):
        mul_add(1.0)
    with pytest.raises(TypeError, match="at least one input"):
        softplus2()
    vector = al.primitive(lambda x: np.array([x, x]))
    with pytest.raises(TypeError, match="primitive '<lambda>' on numbers returned ndarray"):
        vector(Value(1.0))


def test_the_custom_op_example_runs(capsys):
    path = Path(__file__).resolve().parent.parent / "examples" / "custom_op.py"
    runpy.run_path(str(path), run_name="__main__")
    printed = capsys.readouterr().out
    assert "gradcheck caught it" in printed and "gradgradcheck refuses" in printed
    assert "gradcheck and gradgradcheck pass" in printed


@al.primitive
def _tensordot(a, b, axes=2):  # a private forward: errors name its public name
    return np.tensordot(a, b, axes=axes)


@al.primitive
def pick(x, index):
    return np.asarray(x)[index]


def _used_leaf():
    """A leaf with a gradient, and an interior node of its graph."""
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = t * 2.0
    (y * y).sum().backward()
    return t, y


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda t, y: _tensordot(y, np.ones((4, 5))),
            ValueError,
            "tensordot: shapes (2, 3) and (4, 5): shape-mismatch for sum",
        ),
        (
            lambda t, y: al.cumsum(y, axis=5),
            np.exceptions.AxisError,
            "cumsum: shape (2, 3): axis 5 is out of bounds for array of dimension 2",
        ),
        (
            lambda t, y: al.flip(t, axis=(0, -3)),
            np.exceptions.AxisError,
            "flip: shape (2, 3): axis -3 is out of bounds for array of dimension 2",
        ),
        (
            lambda t, y: pick(y, index=7),
            IndexError,
            "pick: shape (2, 3): index 7 is out of bounds for axis 0 with size 2",
        ),
        (
            lambda t, y: mul_add(y, np.ones(4)),
            ValueError,
            "mul_add: shapes (2, 3) and (4,): operands could not be broadcast together",
        ),
    ],
)
def test_a_forward_error_names_the_op_and_shapes_and_changes_nothing(call, error, message):
    t, y = _used_leaf()
    grad, parents = t.grad.data.copy(), y.parents
    with pytest.raises(error) as caught:
        call(t, y)
    assert type(caught.value) is error and str(caught.value).startswith(message)
    assert t.grad.data.tolist() == grad.tolist() and y.parents == parents and t.is_leaf
    (y * y).sum().backward()  # the graph is whole: the gradient adds once more
    assert t.grad.data.tolist() == (2 * grad).tolist()


def test_a_forward_error_on_values_and_raw_numbers_is_named_too():
    with pytest.raises(IndexError, match=r"^pick: shape \(\): too many indices"):
        pick(Value(1.0), index=0)
    with pytest.raises(IndexError, match=r"^pick: shape \(3,\): index 3 is out of bounds"):
        pick(np.ones(3), index=3)
    three = al.primitive(lambda a, b, c: a + b + c)
    with pytest.raises(ValueError, match=r"^<lambda>: shapes \(2,\), \(3,\) and \(\): "):
        three(np.ones(2), np.ones(3), 1.0)


@al.primitive
def _keepdims_sum(x):
    return np.sum(x, keepdims=True)


_keepdims_sum.defvjp(lambda g, out, x: g)  # g has the output's shape (1,): broadcast back


@al.primitive
def _transposed(x):
    return x.T.copy()


_transposed.defvjp(lambda g, out, x: g)  # a buggy rule: the cotangent is not transposed back


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_rule_cotangent_that_broadcasts_to_the_input_is_broadcast(create_graph):
    x = al.Tensor([1.0, 2.0], requires_grad=True)
    _keepdims_sum(x).backward(np.ones(1), create_graph=create_graph)
    assert x.grad.shape == (2,)
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_rule_cotangent_of_a_wrong_shape_is_refused_and_changes_nothing(create_graph):
    x = al.Tensor(np.ones((3, 2)), requires_grad=True)
    x.grad = np.full((3, 2), 7.0)
    with pytest.raises(ValueError, match=r"_transposed.*input 0.*\(2, 3\).*\(3, 2\)"):
        al.sum(_transposed(x)).backward(create_graph=create_graph)
    np.testing.assert_array_equal(x.grad.data, np.full((3, 2), 7.0))
