"""Derivatives at the special points of each formula: where a mask, a kink, a pole or a NaN
meets the chain rule. Every case here once gave a wrong number (or NaN) without an error.
Reference values are the limits a finite difference converges to, and PyTorch's where it
agrees with them."""

import math

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value

INF, NAN = math.inf, math.nan


def grad_at(f, x):
    return al.grad(f)(x)


# ---- masks select, never multiply: an infinite (or NaN) cotangent stays out of a 0 ------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: al.sqrt(al.relu(x)),
        lambda x: al.relu(x) ** 0.5,
        lambda x: al.sqrt(al.maximum(x, 0.0)),
        lambda x: al.sqrt(al.maximum(0.0, x)),
        lambda x: al.log(al.relu(x)),
        lambda x: al.sqrt(al.clip(x, 0.0, None)),
        lambda x: al.log(al.clip(x, 0.0, 1.0)),
        lambda x: al.sqrt(al.minimum(x, 0.0) * -1.0),
    ],
    ids=[
        "sqrt_relu",
        "relu_pow_half",
        "sqrt_maximum",
        "sqrt_maximum_swapped",
        "log_relu",
        "sqrt_clip",
        "log_clip",
        "sqrt_neg_minimum",
    ],
)
@pytest.mark.parametrize("kind", ["value", "tensor"])
def test_a_blocked_path_gives_zero_even_behind_an_infinite_derivative(f, kind):
    x0 = -1.0 if "minimum" not in f.__code__.co_names else 1.0
    x = x0 if kind == "value" else np.array([x0, x0])
    g = al.grad(lambda t: al.sum(f(t)))(x)
    assert np.all(np.asarray(g) == 0.0), g


# ---- NaN never hides behind an all-zero gradient -----------------------------------------


@pytest.mark.parametrize("op", [al.maximum, al.minimum])
def test_maximum_and_minimum_pass_the_cotangent_to_both_sides_of_a_nan(op):
    a, b = Value(NAN), Value(1.0)
    out = op(a, b)
    out.backward()
    assert math.isnan(out.data)
    assert (a.grad, b.grad) == (1.0, 1.0)  # as PyTorch
    t, u = Tensor([NAN, 2.0], requires_grad=True), Tensor([1.0, NAN], requires_grad=True)
    op(t, u).sum().backward()
    assert t.grad.data.tolist() == [1.0, 1.0] and u.grad.data.tolist() == [1.0, 1.0]


def test_clip_of_nan_passes_the_cotangent():
    x = Tensor([NAN], requires_grad=True)
    al.clip(x, 0.0, 1.0).sum().backward()
    assert x.grad.data.tolist() == [1.0]


# ---- second derivatives at special points ------------------------------------------------


def test_the_hessian_of_bce_with_logits_at_zero_is_a_quarter_per_element():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    X = np.eye(4)

    def loss(w):
        return al.nn.binary_cross_entropy_with_logits(Tensor(X) @ w, y)

    H = al.hessian(loss)(np.zeros(4))
    np.testing.assert_allclose(H, np.eye(4) * 0.25 / 4)


@pytest.mark.parametrize("x", [INF, -INF, NAN, 0.0, 2.0])
def test_the_derivative_of_x_to_the_zero_is_zero_everywhere(x):
    assert al.grad(lambda t: t**0.0)(x) == 0.0
    assert al.derivative(lambda t: t**0.0, order=2)(x) == 0.0
    assert al.grad(lambda t: al.sum(t**0.0))(np.array([x])).tolist() == [0.0]


# ---- lists of nodes are stacked differentiably -------------------------------------------


@pytest.mark.parametrize(
    "fn, expected",
    [
        (al.sum, [1.0, 1.0]),
        (al.mean, [0.5, 0.5]),
        (lambda xs: al.sum(al.exp(xs)), [math.exp(3.0), math.exp(4.0)]),
        (al.norm, [0.6, 0.8]),
        (al.max, [0.0, 1.0]),
        (al.logsumexp, [1 / (1 + math.e), math.e / (1 + math.e)]),
    ],
)
def test_a_list_of_values_is_differentiable(fn, expected):
    v1, v2 = Value(3.0), Value(4.0)
    out = fn([v1, v2])
    out.backward()
    assert v1.grad == pytest.approx(expected[0]) and v2.grad == pytest.approx(expected[1])


def test_a_list_of_tensors_is_differentiable():
    t1, t2 = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    al.sum([t1, t2]).backward()
    assert t1.grad.data.tolist() == [1.0, 1.0] and t2.grad.data.tolist() == [1.0, 1.0]
    al.sum(al.exp((t1, t2))).backward()
    np.testing.assert_allclose(t2.grad.data, [1 + math.exp(3.0), 1 + math.exp(4.0)])


# ---- large logits keep their precision ------------------------------------------------------


@pytest.mark.parametrize("big", [1e16, 1e300])
def test_softmax_and_the_logsumexp_gradient_are_exact_for_large_logits(big):
    x = Tensor([big, big, 0.0], requires_grad=True)
    np.testing.assert_allclose(al.softmax(x).data, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(al.log_softmax(x).data[:2], [-math.log(2)] * 2)
    al.logsumexp(x).backward()
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5, 0.0])
    loss = al.nn.cross_entropy(Tensor([[big, big, 0.0]], requires_grad=True), [0])
    assert loss.item() == pytest.approx(math.log(2))


# ---- a Value meets an array or a Tensor ------------------------------------------------------


def test_a_value_meeting_an_array_gives_a_tensor_and_gets_a_float_gradient():
    v = Value(2.0)
    t = Tensor([1.0, 3.0], requires_grad=True)
    out = (v * np.array([1.0, 2.0]) + t * v).sum()
    assert isinstance(out, Tensor)
    out.backward()
    assert type(v.grad) is float and v.grad == pytest.approx(3.0 + 4.0)
    assert t.grad.data.tolist() == [2.0, 2.0]
    s = al.stack([v, Value(5.0)])
    assert isinstance(s, Tensor) and s.data.tolist() == [2.0, 5.0]
    # to second order: d2/dv2 of sum((v * [1, 2])**2) = 2 * (1 + 4)
    w = Value(1.5)
    (((w * np.array([1.0, 2.0])) ** 2).sum()).backward(create_graph=True)
    g = w.grad
    assert isinstance(g, Value) and g.data == pytest.approx(15.0)
    w.grad = 0.0
    g.backward()
    assert w.grad == pytest.approx(10.0)


def test_joining_many_pieces_records_one_op_whatever_their_number():
    # One declared op for every count (no op made, and cached, per count), whose rule
    # returns every piece's cotangent in one call: linear in the number of pieces.
    for n in (3, 5000):
        xs = [Tensor([float(i)], requires_grad=True) for i in range(n)]
        for join in (al.stack, al.concatenate):
            out = join(xs)
            assert out._op is getattr(al.core.ops, join.__name__.upper())
            (out * 2.0).sum().backward()
        assert xs[-1].grad.data.tolist() == [4.0]


def test_the_norm_has_gradient_zero_but_no_finite_hessian_at_zero():
    # |x| is not twice differentiable at 0: the Hessian is unbounded there. Before, the
    # rule x / where(norm == 0, 1, norm) gave the identity, a finite wrong answer.
    assert al.grad(lambda x: al.norm(x))(np.zeros(2)).tolist() == [0.0, 0.0]
    assert np.isnan(al.hessian(lambda x: al.norm(x))(np.zeros(2))).all()
    np.testing.assert_allclose(
        al.hessian(lambda x: al.norm(x))(np.array([3.0, 4.0])),
        (np.eye(2) - np.outer([0.6, 0.8], [0.6, 0.8])) / 5.0,
    )
