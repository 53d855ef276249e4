"""gradcheck and gradgradcheck: they pass on correct rules and catch wrong ones."""

import math
import re

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import GradcheckError, Tensor, Value, gradcheck, gradgradcheck
from autograd_lite.core import ops
from autograd_lite.core.graph import Op

# sin with a deliberately wrong derivative rule: sin' = sin.
WRONG_SIN = Op(
    "sin", scalar=math.sin, array=np.sin, vjps=(lambda g, out, x: g * ops.sin(x),), quiet=True
)

# sin with the right first derivative computed on raw data: its cotangent is not differentiable,
# so the first derivative is right and the second is wrong (cos(x) is treated as a constant).
FLAT_SIN = Op("sin", array=np.sin, vjps=(lambda g, out, x: g * np.cos(ops._raw(x)),), quiet=True)


def wrong_sin(x):
    return ops.apply(WRONG_SIN, (x,))


def flat_sin(x):
    return ops.apply(FLAT_SIN, (x,))


X = np.array([0.3, -1.2, 0.7])

CORRECT = [
    ("sin*x on a vector", lambda x: al.sin(x) * x, (X,)),
    ("softmax", lambda x: al.softmax(x), (X,)),
    ("two inputs, broadcast", lambda a, b: al.tanh(a[:, None] * b), (X, np.array([0.5, -2.0]))),
    (
        "matmul and logsumexp",
        lambda a, x: al.logsumexp(a @ x),
        (np.arange(6.0).reshape(2, 3) / 5, X),
    ),
    ("Values", lambda x, y: (x * y).exp() / (1 + y * y), (0.4, Value(-0.8))),
    ("two outputs", lambda x: (x.sum(), x * x), (X,)),
    ("a list input", lambda x: al.norm(x), ([3.0, -4.0],)),
]


@pytest.mark.parametrize("name, f, inputs", CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_rules_pass(name, f, inputs):
    assert gradcheck(f, inputs) is True
    assert gradgradcheck(f, inputs) is True


def test_a_single_non_tuple_input_is_one_argument():
    assert gradcheck(lambda x: (x * x).sum(), Tensor([1.0, 2.0]))
    assert gradcheck(lambda x: x * x, 1.5)


def test_float32_inputs_are_differenced_in_float64():
    # In float32, (f(x + 1e-6) - f(x - 1e-6)) / 2e-6 is mostly rounding noise.
    x = Tensor(np.array([0.3, 1.7, -2.1], dtype=np.float32))
    assert gradcheck(lambda t: (t * t * t).sum() * t.exp(), (x,))
    assert gradgradcheck(lambda t: (t * t * t).sum(), (x,))


def test_a_wrong_rule_is_caught_with_a_report():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: wrong_sin(x), (X,))
    assert isinstance(info.value, AssertionError)
    msg = str(info.value)
    assert "output 0" in msg and "input 0" in msg
    # The worst element is the diagonal entry where |cos(x) - sin(x)| is largest: x = -1.2.
    assert "d output 0[1] / d input 0[1]" in msg
    numerical = float(re.search(r"numerical +(\S+)", msg).group(1))
    analytical = float(re.search(r"analytical +(\S+)", msg).group(1))
    assert numerical == pytest.approx(math.cos(-1.2), abs=1e-8)
    assert analytical == pytest.approx(math.sin(-1.2), abs=1e-12)
    assert gradcheck(lambda x: wrong_sin(x), (X,), raise_exception=False) is False


def test_the_report_names_the_input_and_output_at_fault():
    f = lambda a, b: (a * 2, a * wrong_sin(b))
    with pytest.raises(
        GradcheckError, match=r"output 1 \(shape \(\)\) with respect to input 1 \(a scalar\)"
    ):
        gradcheck(f, (0.5, 0.9))


def test_a_large_eps_on_a_curved_function_fails():
    # Central differences err by f'''(x) eps^2 / 6 = eps^2 for x**3: 0.01 > atol + rtol * 3.
    assert gradcheck(lambda x: x**3, (1.0,), eps=0.1, raise_exception=False) is False
    assert gradcheck(lambda x: x**3, (1.0,))
    assert gradcheck(lambda x: 3 * x + 1, (1.0,), eps=0.1)  # a straight line has no such error


def test_gradgradcheck_catches_a_rule_whose_first_derivative_is_right():
    f = lambda x: flat_sin(x).sum()
    assert gradcheck(f, (X,))
    with pytest.raises(GradcheckError, match="gradgradcheck: .*gradient w.r.t. input 0"):
        gradgradcheck(f, (X,))
    assert gradgradcheck(lambda x: al.sin(x).sum(), (X,))


def test_gradgradcheck_of_a_vector_output_uses_a_random_cotangent():
    assert gradgradcheck(lambda x: al.sin(x) * x[0], (X,))
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda x: flat_sin(x) * 2, (X,))


def test_nan_never_passes():
    # sqrt is undefined at -1: both derivatives are nan and nothing is confirmed (PyTorch fails too)
    assert gradcheck(lambda x: al.sqrt(x), (-1.0,), raise_exception=False) is False
    # log(x) is nan near x = -1, but its rule 1/x is not: a disagreement worth reporting.
    assert gradcheck(lambda x: al.log(x), (-1.0,), raise_exception=False) is False


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="input 1 must be a number.*str 'x'"):
        gradcheck(lambda a, b: a, (1.0, "x"))
    with pytest.raises(ValueError, match="eps must be a positive finite number, got 0"):
        gradcheck(lambda a: a, (1.0,), eps=0)
    with pytest.raises(ValueError, match="rtol must be a number >= 0, got -1"):
        gradcheck(lambda a: a, (1.0,), rtol=-1)
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: 1.0, ())


def test_the_report_names_an_element_that_actually_fails():
    # Only d out[1] / d x[1] = 2 is checked and passes; every other element involves a NaN.
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x * x, (np.array([np.nan, 1.0]),))
    assert "d output 0[1] / d input 0[1]" not in str(info.value)
    assert "3 of 4 elements are outside the tolerance" in str(info.value)


# sin whose cotangent is right in value for every g (g cos x) but whose derivative with
# respect to g is 2 cos x: (g - g.data) is 0 in value and 1 in derivative. Its vjp and its
# second derivative in x are right; the transpose of the vjp (linear in g) is not.
def _twice_in_g(g, out, x):
    return g * ops.cos(x) + (g - ops._raw(g)) * ops.cos(x)


NONLINEAR_SIN = Op("sin", scalar=math.sin, array=np.sin, vjps=(_twice_in_g,), quiet=True)


def nonlinear_sin(x):
    return ops.apply(NONLINEAR_SIN, (x,))


@pytest.mark.parametrize("x", [0.4, X], ids=["Value", "Tensor"])
def test_gradgradcheck_differentiates_with_respect_to_the_cotangent(x):
    f = lambda t: nonlinear_sin(t) * 3
    assert gradcheck(f, (x,))
    # The damage this rule does: the transpose of the vjp, its derivative in the cotangent.
    _, vjp_fn = al.vjp(f, x)
    one = 1.0 if isinstance(x, float) else np.ones_like(x)
    _, transposed = al.vjp(lambda u: vjp_fn(u)[0], one)
    (d,) = transposed(one)
    assert np.allclose(d, 6 * np.cos(x))  # not 3 cos(x)
    # jvp is forward mode, from the jvp rules, which this op lacks: it says so
    with pytest.raises(NotImplementedError, match="'sin'"):
        al.jvp(f, (x,), (np.ones_like(x),))
    with pytest.raises(GradcheckError, match=r"with respect to cotangent of output 0"):
        gradgradcheck(f, (x,))


def test_gradgradcheck_names_the_cotangent_of_each_output():
    f = lambda a, b: (al.sin(a) * b, nonlinear_sin(a + b) * 2)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, (X, np.array([0.5, 1.0, -0.3])))
    msg = str(info.value)
    assert "with respect to cotangent of output 1 (shape (3,), float64)" in msg
    assert "/ d cotangent of output 1[" in msg
    assert gradgradcheck(lambda a, b: (al.sin(a) * b, al.sin(a + b) * 2), (X, X[::-1].copy()))


def test_a_vjp_rule_not_linear_in_its_cotangent_fails_gradcheck():
    # g * g * cos(x) equals the right rule at the one-hot cotangents the Jacobian rows use,
    # and is wrong at every other one (jvp differentiates it in g and got 0).
    @al.primitive
    def sine(x):
        return np.sin(x)

    sine.defvjp(lambda g, out, x: g * g * al.cos(x))
    with pytest.raises(GradcheckError, match="not linear in the cotangent"):
        gradcheck(lambda x: sine(x), [np.array([0.3, 1.2])])
    right = al.primitive(np.sin)
    right.defvjp(lambda g, out, x: g * al.cos(x))
    assert gradcheck(lambda x: right(x), [np.array([0.3, 1.2])])
