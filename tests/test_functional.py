"""The transforms of autograd_lite.functional: results, shapes, nesting, and bad input."""

import math

import numpy as np
import pytest
from autograd_lite.functional import (
    derivative,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as al
from autograd_lite import Tensor, Value, functional

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
SETTINGS = settings(max_examples=30, deadline=None)


def arrays(shape):
    return hnp.arrays(np.float64, shape, elements=finite)


@pytest.fixture
def count_backward(monkeypatch):
    """Count the core's reverse sweeps run by the transforms."""
    calls = []
    real = functional.cotangents

    def counting(root, inputs, gradient=None, create_graph=False, batched=False):
        calls.append("batched" if batched else create_graph)
        return real(root, inputs, gradient, create_graph, batched)

    monkeypatch.setattr(functional, "cotangents", counting)
    return calls


def counted(f):
    """f, counting its calls in `.calls`."""

    def wrapper(*args):
        wrapper.calls += 1
        return f(*args)

    wrapper.calls = 0
    return wrapper


# ---- grad and value_and_grad ----------------------------------------------------------


def test_grad_of_a_number_is_a_float():
    g = grad(lambda x: x**2)(3.0)
    assert type(g) is float and g == 6.0


def test_grad_of_an_array_is_an_array_of_its_shape_and_dtype():
    x = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    g = grad(lambda t: (t * t).sum())(x)
    assert isinstance(g, np.ndarray) and g.shape == (2, 2) and g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * x)


def test_grad_of_a_list_is_an_array():
    g = grad(lambda t: (t**3).sum())([1.0, 2.0])
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g, [3.0, 12.0])


def test_node_inputs_give_node_results():
    g = grad(lambda x: x.sin())(Value(0.5, requires_grad=False))
    assert isinstance(g, Value) and g.data == pytest.approx(math.cos(0.5))
    t = grad(lambda x: x.sin().sum())(Tensor([0.5, 1.0]))
    assert isinstance(t, Tensor)
    np.testing.assert_allclose(t.data, np.cos([0.5, 1.0]))


def test_argnums_tuple_gives_a_tuple_of_gradients():
    gx, gz = grad(lambda x, y, z: x * y * z, argnums=(0, 2))(2.0, 3.0, 5.0)
    assert (gx, gz) == (15.0, 6.0)
    (gy,) = grad(lambda x, y: x * y, argnums=(1,))(2.0, 3.0)
    assert gy == 2.0
    assert grad(lambda x, y: x * y, argnums=-1)(2.0, 3.0) == 2.0


@pytest.mark.parametrize(
    "f",
    [
        lambda x, y: al.mean(x + y),  # mean's cotangent, spread into a new array
        lambda x, y: al.sum(x + y, axis=0).sum(),
        lambda x, y: (x + y)[np.array([0, 0, 1])].sum(),  # x[index]'s scatter
        lambda x, y: al.log_softmax(x + y, axis=-1).sum(),
    ],
)
def test_gradients_of_two_arguments_never_share_memory(f):
    # add passes its cotangent on unchanged to both inputs: editing one gradient in place
    # (clipping it, say) must not change the other one.
    gx, gy = grad(f, argnums=(0, 1))(np.ones((2, 3)), np.ones((2, 3)))
    want = gy.copy()
    gx *= 0.0
    np.testing.assert_array_equal(gy, want)
    _, back = vjp(f, np.ones((2, 3)), np.ones((2, 3)))
    gx, gy = back(1.0)
    assert not np.shares_memory(gx, gy)


def test_value_and_grad():
    v, g = value_and_grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert v == 5.0
    np.testing.assert_allclose(g, [2.0, 4.0])
    v, (ga, gb) = value_and_grad(lambda a, b: a / b, argnums=(0, 1))(1.0, 4.0)
    assert (v, ga, gb) == (0.25, 0.25, -1 / 16)


def test_keyword_arguments_reach_f_undifferentiated():
    assert grad(lambda x, power=2: x**power)(3.0, power=3) == 27.0


def test_one_element_tensor_output_of_any_shape_is_a_scalar():
    g = grad(lambda t: (t * t).sum(axis=0, keepdims=True))(np.array([3.0]))
    np.testing.assert_allclose(g, [6.0])


def test_a_leaf_reached_along_two_paths_gets_the_sum_exactly():
    f = lambda x: x * x + x
    assert grad(f)(3.0) == 7.0
    assert grad(f)(3.0) == 7.0  # a second call computes afresh, nothing accumulates


def test_transforms_leave_every_grad_as_they_found_it():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0], requires_grad=True)
    w.grad, x.grad = Tensor([10.0, 20.0]), Tensor([30.0, 40.0])
    before = (w.grad, x.grad)
    grad(lambda v: (w * v).sum())(x)
    hessian(lambda v: (w * v * v).sum())(x)
    jacobian(lambda v: w * v)(x)
    vjp(lambda v: w * v, x)[1](np.ones(2))
    jvp(lambda v: w * v, (x,), (np.ones(2),))
    assert w.grad is before[0] and x.grad is before[1]  # the very same objects
    v, c = Value(2.0), Value(3.0)
    v.grad, c.grad = 7.0, 8.0
    derivative(lambda t: t * t * c, 2)(v)
    assert (v.grad, c.grad) == (7.0, 8.0)


def test_the_backward_helper_counts_only_its_own_sweep_and_restores_grad():
    # A leaf whose .grad already holds something (say, from the user's own backward) gets
    # exactly the gradient of this sweep, and keeps its old .grad afterwards.
    x = Value(2.0)
    x.grad = 100.0
    y = x * x + x
    assert functional._grads(y, None, [x], False) == [5.0]
    assert functional._sweeps(y, [1.0, 2.0], [x], False) == [[5.0], [10.0]]
    assert x.grad == 100.0 and y.grad == 0.0


def test_a_captured_node_that_requires_grad_makes_the_result_differentiable():
    # torch.func semantics: the gradient with respect to x still depends on w.
    w = Tensor([1.0, 2.0], requires_grad=True)
    g = grad(lambda x: (w * x * x).sum())(np.array([3.0, 4.0]))
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, [6.0, 16.0])  # 2 w x
    g.sum().backward()
    np.testing.assert_allclose(w.grad.data, [6.0, 8.0])  # d/dw sum(2 w x) = 2 x


def test_a_node_input_that_requires_grad_is_differentiated_through():
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = grad(lambda t: (t**3).sum())(x)  # 3 x^2
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])  # 6 x


def test_under_no_grad_results_are_plain():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with al.no_grad():
        g = grad(lambda x: (w * x * x).sum())(np.array([3.0, 4.0]))
        v = grad(lambda x: x * x)(Value(2.0))
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g, [6.0, 16.0])
    assert isinstance(v, Value) and not v.requires_grad and v.data == 4.0


# ---- nesting -------------------------------------------------------------------------


def test_no_perturbation_confusion_when_the_inner_variable_is_bound_to_the_outer():
    # g(x) = x * d/dy (x + y) at y = x: the inner derivative is 1, so g'(5) = 1 (not 2).
    g = lambda x: x * grad(lambda y: x + y)(x)
    assert grad(g)(5.0) == 1.0


def test_no_perturbation_confusion_with_a_captured_outer_variable():
    # g(x) = x * d/dy (x * y) at y = 1 = x * x, so g'(4) = 8.
    g = lambda x: x * grad(lambda y: x * y)(1.0)
    assert grad(g)(4.0) == 8.0


def test_the_same_examples_with_tensors():
    g = lambda x: (x * grad(lambda y: (x + y).sum())(x)).sum()
    np.testing.assert_allclose(grad(g)(np.array([5.0, 6.0])), [1.0, 1.0])
    g = lambda x: (x * grad(lambda y: (x * y).sum())(np.ones(2))).sum()
    np.testing.assert_allclose(grad(g)(np.array([4.0, 5.0])), [8.0, 10.0])


@SETTINGS
@given(st.floats(-2, 2))
def test_grad_nests_to_any_depth(x):
    f = lambda t: t.sin() * t
    d1 = lambda t: math.cos(t) * t + math.sin(t)
    d3 = lambda t: -math.cos(t) * t - 3 * math.sin(t)
    assert grad(f)(x) == pytest.approx(d1(x), abs=1e-12)
    assert grad(grad(grad(f)))(x) == pytest.approx(d3(x), abs=1e-12)
    assert grad(grad(grad(grad(f))))(x) == pytest.approx(
        math.sin(x) * x - 4 * math.cos(x), abs=1e-12
    )


def test_nested_jacobian_of_grad_is_the_hessian():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    f = lambda x: 0.5 * (x * (Tensor(a) @ x)).sum()
    np.testing.assert_allclose(jacobian(grad(f))(np.array([0.3, -1.0])), a)
    np.testing.assert_allclose(hessian(f)(np.array([0.3, -1.0])), a)


@SETTINGS
@given(st.floats(-2, 2), st.integers(0, 9))
def test_derivative_of_any_order(x, n):
    # d^n/dx^n sin = sin(x + n pi/2); d^n/dx^n exp(2x) = 2^n exp(2x).
    assert derivative(al.sin, n)(x) == pytest.approx(math.sin(x + n * math.pi / 2), abs=1e-9)
    assert derivative(lambda t: (2 * t).exp(), n)(x) == pytest.approx(
        2**n * math.exp(2 * x), rel=1e-9
    )


def test_derivative_of_a_polynomial_ends_in_zeros():
    d = [derivative(lambda t: t**4, n)(2.0) for n in range(7)]
    assert d == [16.0, 32.0, 48.0, 48.0, 24.0, 0.0, 0.0]
    assert derivative(lambda t: t**2, 3)(1.5) == 0.0
    assert derivative(lambda t: t**4, 5)(0.0) == 0.0


def test_derivative_on_a_one_element_tensor():
    np.testing.assert_allclose(derivative(lambda t: (t**3).sum(), 2)(np.array([2.0])), [12.0])


def test_derivative_runs_one_forward_and_no_backward_pass_in_taylor_mode(count_backward):
    f = counted(lambda t: t.exp() * t)
    assert derivative(f, 4)(0.7) == pytest.approx(math.exp(0.7) * (0.7 + 4))
    assert f.calls == 1
    assert count_backward == []


def test_derivative_without_series_rules_runs_order_backward_passes(count_backward):
    exp = al.primitive(np.exp)  # a vjp rule but no series rule: nested reverse mode
    exp.defvjp(lambda g, out, x: g * exp(x))
    f = counted(lambda t: exp(t) * t)
    assert derivative(f, 4)(0.7) == pytest.approx(math.exp(0.7) * (0.7 + 4))
    assert f.calls == 1
    assert count_backward == [True, True, True, False]


# ---- jacobian ------------------------------------------------------------------------


def test_jacobian_shapes():
    vec = lambda t: al.stack([t, t * t, 3 * t])
    assert jacobian(vec)(np.array(2.0)).shape == (3,)  # scalar (0-d) input: (m,)
    assert jacobian(lambda t: vec(t[0]))(np.array([2.0])).shape == (3, 1)  # (1,) input: (m, 1)
    j = jacobian(lambda t: t.T @ t)(np.ones((4, 3)))
    assert j.shape == (3, 3, 4, 3)
    assert jacobian(lambda t: t.sum())(np.ones((2, 5))).shape == (2, 5)  # a scalar: the gradient
    assert type(jacobian(lambda t: t * t)(3.0)) is float


def test_jacobian_of_a_tuple_output_and_tuple_argnums_nest_as_in_jax():
    j = jacobian(lambda x, y: (x * y, x + 2 * y), argnums=(0, 1))(3.0, 5.0)
    assert j == ((5.0, 3.0), (1.0, 2.0))


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_jacobian_of_a_linear_map_is_its_matrix(m, n, data):
    a = data.draw(arrays((m, n)))
    b = data.draw(arrays((m,)))
    x = data.draw(arrays((n,)))
    np.testing.assert_array_equal(jacobian(lambda t: Tensor(a) @ t + b)(x), a)


@pytest.mark.parametrize(
    "options, sweeps",
    [
        ({}, ["batched"]),  # every output element's row in one batched sweep
        ({"chunk_size": 4}, ["batched"] * 3),  # 9 rows: 4 + 4 + 1
        ({"vectorize": False}, [False] * 9),  # one backward per output element
    ],
)
def test_jacobian_is_built_by_rows_over_one_forward(count_backward, options, sweeps):
    f = counted(lambda t: al.tanh(t[:, None] * t[None, :]))
    j = jacobian(f, **options)(np.array([0.1, 0.2, 0.3]))
    assert f.calls == 1
    assert count_backward == sweeps
    assert j.shape == (3, 3, 3)


@SETTINGS
@given(arrays((3,)))
def test_jacobian_matches_the_elementwise_derivative(x):
    np.testing.assert_allclose(jacobian(al.sin)(x), np.diag(np.cos(x)), atol=1e-15)


def test_jacobian_of_a_tensor_with_history_is_a_stacked_node():
    x = Tensor([1.0, 2.0], requires_grad=True)
    j = jacobian(lambda t: t * t)(x)  # diag(2x)
    assert isinstance(j, Tensor) and j.requires_grad
    np.testing.assert_allclose(j.data, np.diag([2.0, 4.0]))
    j.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


# ---- hessian and hvp -----------------------------------------------------------------


def test_hessian_of_the_benchmark_function_matches_its_formula():
    # f = logsumexp(A x): H = A^T (diag(p) - p p^T) A with p = softmax(A x).
    rng = np.random.default_rng(1)
    a, x = rng.standard_normal((50, 100)), rng.standard_normal(100)
    h = hessian(lambda t: al.logsumexp(Tensor(a) @ t))(x)
    z = a @ x
    p = np.exp(z - z.max())
    p /= p.sum()
    np.testing.assert_allclose(h, a.T @ (np.diag(p) - np.outer(p, p)) @ a, atol=1e-12)


@pytest.mark.parametrize("options, rows", [({}, ["batched"]), ({"vectorize": False}, [False] * 4)])
def test_hessian_runs_one_forward_and_one_recorded_backward_then_rows(
    count_backward, options, rows
):
    f = counted(lambda t: (t.sin() * t).sum())
    hessian(f, **options)(np.array([0.1, 0.2, 0.3, 0.4]))
    assert f.calls == 1
    assert count_backward == [True] + rows


@SETTINGS
@given(arrays((4, 4)), arrays((4,)))
def test_hessian_is_symmetric_and_hvp_is_hessian_times_v(a, x):
    f = lambda t: al.tanh(Tensor(a) @ t).sum() + (t**4).sum()
    h = hessian(f)(x)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-12)
    v = np.arange(4.0) - 1.5
    np.testing.assert_allclose(hvp(f, x, v), h @ v, rtol=1e-10, atol=1e-10)


def test_hessian_with_tuple_argnums_has_blocks():
    h = hessian(lambda x, y: x * x * y + y.sin(), argnums=(0, 1))(2.0, 0.5)
    assert h == ((1.0, 4.0), (4.0, pytest.approx(-math.sin(0.5))))


def test_hessian_of_a_linear_function_is_zero():
    np.testing.assert_array_equal(hessian(lambda t: (3 * t).sum())(np.ones(3)), np.zeros((3, 3)))
    assert hessian(lambda t: 3 * t)(2.0) == 0.0


def test_hvp_takes_two_backward_passes(count_backward):
    hvp(lambda t: (t**3).sum(), np.ones(5), np.ones(5))
    assert count_backward == [True, False]


# ---- vjp and jvp ---------------------------------------------------------------------


def test_vjp_fn_is_reused_over_one_forward(count_backward):
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    f = counted(lambda t: Tensor(a) @ t.sin())
    x = np.array([0.1, 0.2, 0.3])
    out, vjp_fn = vjp(f, x)
    np.testing.assert_allclose(out, a @ np.sin(x))
    for u in (np.array([1.0, 0.0]), np.array([0.5, 2.0])):
        (g,) = vjp_fn(u)
        np.testing.assert_allclose(g, (u @ a) * np.cos(x))
    assert f.calls == 1 and len(count_backward) == 2


def test_vjp_with_several_primals_and_outputs():
    out, vjp_fn = vjp(lambda x, y: (x * y, x - y), 2.0, 3.0)
    assert out == (6.0, -1.0)
    assert vjp_fn((1.0, 10.0)) == (3.0 + 10.0, 2.0 - 10.0)


@SETTINGS
@given(arrays((3,)), arrays((3,)))
def test_jvp_is_the_jacobian_times_the_tangent(x, t):
    f = lambda v: al.stack([v[0] * v[1], (v * v).sum(), v.exp()[2]])
    out, d = jvp(f, (x,), (t,))
    np.testing.assert_allclose(out, [x[0] * x[1], (x * x).sum(), np.exp(x[2])])
    np.testing.assert_allclose(d, jacobian(f)(x) @ t, rtol=1e-12, atol=1e-12)


def test_jvp_with_two_primals_sums_both_directions():
    out, d = jvp(lambda x, y: x * y.sin(), (2.0, 0.5), (1.0, 3.0))
    assert out == 2.0 * math.sin(0.5)
    assert d == pytest.approx(math.sin(0.5) * 1.0 + 2.0 * math.cos(0.5) * 3.0)


def test_jvp_of_an_output_that_ignores_the_input_is_zero():
    _, d = jvp(lambda x: Tensor([1.0, 2.0]), (np.ones(2),), (np.ones(2),))
    np.testing.assert_array_equal(d, [0.0, 0.0])


# ---- bad input (issue section 4) -------------------------------------------------------


def test_grad_of_a_vector_output_says_use_jacobian():
    with pytest.raises(TypeError, match=r"shape \(3,\).*use jacobian"):
        grad(lambda t: t * 2)(np.ones(3))
    with pytest.raises(TypeError, match="2-tuple; use jacobian"):
        grad(lambda t: (t, t))(1.0)
    with pytest.raises(TypeError, match="hessian needs f to return a scalar"):
        hessian(lambda t: t * 2)(np.ones(3))


def test_argnums_out_of_range_and_malformed():
    with pytest.raises(TypeError, match="argnums 2 is out of range: f was called with 2"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple"):
        grad(lambda x: x, argnums=[0])
    with pytest.raises(TypeError, match="argnums must be an int"):
        jacobian(lambda x: x, argnums=1.0)
    with pytest.raises(ValueError, match="names an argument twice"):
        grad(lambda x, y: x * y, argnums=(0, -2))(1.0, 2.0)


def test_a_string_input_is_named():
    with pytest.raises(TypeError, match="argument 0 must be a number.*str 'abc'"):
        grad(lambda x: x)("abc")
    with pytest.raises(TypeError, match="argument 1 is not an array of real numbers"):
        jacobian(lambda x, y: x * y, argnums=(0, 1))(1.0, ["a", "b"])


def test_a_bad_output_is_named():
    with pytest.raises(TypeError, match="output 0 is str 'no'"):
        grad(lambda x: "no")(1.0)
    with pytest.raises(TypeError, match="f must be a callable"):
        grad(3.0)


def test_an_unused_input_has_gradient_zero_not_none():
    assert grad(lambda x: 3.0)(2.0) == 0.0
    assert grad(lambda x, y: y * y, argnums=(0, 1))(2.0, 3.0) == (0.0, 6.0)
    g = grad(lambda x, y: (y * y).sum(), argnums=0)(np.ones((2, 3)), np.ones(2))
    np.testing.assert_array_equal(g, np.zeros((2, 3)))
    np.testing.assert_array_equal(
        jacobian(lambda x: Tensor([1.0, 2.0]))(np.ones(3)), np.zeros((2, 3))
    )
    np.testing.assert_array_equal(hvp(lambda x: 1.0, np.ones(2), np.ones(2)), [0.0, 0.0])
    assert derivative(lambda x: 5.0, 3)(1.0) == 0.0


def test_nan_inputs_give_nan_results_without_exception():
    assert math.isnan(grad(lambda x: x * x)(float("nan")))
    g = grad(lambda t: (t * t).sum())(np.array([1.0, np.nan]))
    assert g[0] == 2.0 and np.isnan(g[1])
    h = hessian(lambda t: (t**3).sum())(np.array([np.nan, 1.0]))
    assert np.isnan(h[0, 0]) and h[1, 1] == 6.0
    assert np.isnan(jacobian(al.exp)(np.array([np.nan]))).all()


def test_a_cotangent_or_tangent_of_the_wrong_shape_is_named():
    _, vjp_fn = vjp(lambda t: t * 2, np.ones(3))
    with pytest.raises(
        ValueError, match=r"cotangent has shape \(2,\), but it must have shape \(3,\)"
    ):
        vjp_fn(np.ones(2))
    with pytest.raises(
        ValueError, match=r"tangent 0 has shape \(3,\), but it must have shape \(2,\)"
    ):
        jvp(lambda t: t, (np.ones(2),), (np.ones(3),))
    with pytest.raises(ValueError, match=r"v has shape \(1,\), but it must have shape \(2,\)"):
        hvp(lambda t: (t * t).sum(), np.ones(2), np.ones(1))
    with pytest.raises(TypeError, match="one tangent per primal"):
        jvp(lambda t: t, (1.0,), (1.0, 2.0))


def test_derivative_order_must_be_a_non_negative_int():
    with pytest.raises(ValueError, match="order must be >= 0, got -1"):
        derivative(al.sin, -1)
    with pytest.raises(TypeError, match="order must be an int, got 1.5"):
        derivative(al.sin, 1.5)
    with pytest.raises(TypeError, match=r"x must be a scalar, got shape \(2,\)"):
        derivative(lambda t: t.sum())(np.ones(2))
    assert derivative(al.sin, 0)(0.5) == math.sin(0.5)


# ---- a traced number cannot leave the graph -----------------------------------

ESCAPES = [
    ("math.sin", lambda x: math.sin(x)),
    ("float", lambda x: float(x) ** 2),
    ("complex", lambda x: complex(x).real * x),
    ("item", lambda x: x.item() * x),
    ("np.float64", lambda x: np.float64(x) * x),
]


@pytest.mark.parametrize("name, f", ESCAPES, ids=[e[0] for e in ESCAPES])
def test_a_traced_value_turned_into_a_number_raises_naming_the_fix(name, f):
    with pytest.raises(TypeError, match=r"al\.sin.*\.data"):
        grad(f)(1.0)


def tensor_escapes():
    return [
        ("float", lambda t: float(t.sum()) * t.sum()),
        ("item", lambda t: t.sum().item() * t.sum()),
        ("np.asarray", lambda t: (Tensor(np.asarray(t)) * t).sum()),
        ("np.array of a list", lambda t: (Tensor(np.array([t, t])) * t).sum()),
        ("math.log", lambda t: math.log(t[0]) * t.sum()),
        ("numpy()", lambda t: np.sum(t.numpy()) * t.sum()),
    ]


@pytest.mark.parametrize("name, f", tensor_escapes(), ids=[e[0] for e in tensor_escapes()])
def test_a_traced_tensor_turned_into_numbers_or_an_array_raises(name, f):
    with pytest.raises(TypeError, match=r"inside a transform.*\.data"):
        grad(f)(np.array([1.0, 2.0]))


def test_numpy_functions_autograd_lite_has_are_recorded_inside_a_transform():
    assert grad(lambda t: np.dot(t, t))(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]


def test_a_new_node_made_from_a_traced_one_raises():
    # Value(x) and Tensor(t) copy the data into a new leaf: the history would be cut.
    with pytest.raises(
        TypeError, match=r"Value\(\) or \.data = from a Value that requires grad.*\.data"
    ):
        grad(lambda x: al.Value(x) * x)(3.0)
    with pytest.raises(TypeError, match=r"Tensor\(\) of a Tensor that requires grad.*\.data"):
        grad(lambda t: (Tensor(t) * t).sum())(np.ones(2))
    with pytest.raises(TypeError, match="inside a transform"):
        grad(lambda t: (Tensor([t[0], t[1]]) * t).sum())(np.ones(2))
    assert grad(lambda x: al.Value(x.data) * x)(3.0) == 3.0  # a constant on purpose
    assert al.Value(al.Value(2.0)).data == 2.0 and Tensor(Tensor([1.0])).data == [1.0]


def test_every_transform_refuses_the_escape():
    bad = lambda x: x * float(x)
    with pytest.raises(TypeError, match="inside a transform"):
        value_and_grad(bad)(2.0)
    with pytest.raises(TypeError, match="inside a transform"):
        vjp(bad, 2.0)
    with pytest.raises(TypeError, match="inside a transform"):
        jvp(bad, (2.0,), (1.0,))
    with pytest.raises(TypeError, match="inside a transform"):
        jacobian(bad)(2.0)
    with pytest.raises(TypeError, match="inside a transform"):
        hessian(bad)(2.0)
    with pytest.raises(TypeError, match="inside a transform"):
        hvp(bad, 2.0, 1.0)
    with pytest.raises(TypeError, match="inside a transform"):
        derivative(bad, 2)(2.0)
    with pytest.raises(TypeError, match="inside a transform"):
        al.gradcheck(bad, (2.0,))
    with pytest.raises(TypeError, match="inside a transform"):
        al.gradgradcheck(bad, (2.0,))


def test_a_captured_node_that_requires_grad_cannot_escape_either():
    # Its derivative would be lost from a result that carries history (torch.func semantics).
    w = Value(3.0)
    with pytest.raises(TypeError, match="inside a transform"):
        grad(lambda x: x * float(w))(2.0)


def test_data_comparisons_and_constants_still_work_inside_a_transform():
    # .data is the explicit way out; comparisons and bool() read the data, as in PyTorch.
    assert grad(lambda x: x * x.data)(3.0) == 3.0
    assert grad(lambda x: x * x if x > 0 else -x)(3.0) == 6.0
    assert grad(lambda x: x * x if x > 0 else -x)(-3.0) == -1.0
    relu_sum = lambda t: (t * Tensor(t.data > 0)).sum() if bool(t.sum() > 0) else t.sum()
    np.testing.assert_array_equal(grad(relu_sum)(np.array([1.0, -2.0, 3.0])), [1.0, 0.0, 1.0])
    assert grad(lambda t: (t * t).sum() if bool(t[0]) else t.sum())(np.array([1.0])) == [2.0]
    c = Value(2.0, requires_grad=False)
    assert grad(lambda x: x * float(c) * math.cos(c))(1.0) == 2.0 * math.cos(2.0)
    assert grad(lambda t: (t * np.asarray(Tensor([1.0, 2.0]))).sum())([0.0, 0.0]).tolist() == [
        1.0,
        2.0,
    ]


def test_outside_a_transform_a_node_converts_as_in_pytorch():
    v = Value(2.0)
    t = Tensor([[1.5]], requires_grad=True)
    assert float(v) == 2.0 and v.item() == 2.0 and math.sqrt(v * 2) == 2.0
    assert float(t) == 1.5 and t.item() == 1.5
    np.testing.assert_array_equal(np.asarray(t), [[1.5]])


def test_the_guard_is_lifted_when_the_transform_returns_or_raises():
    with pytest.raises(TypeError):
        grad(lambda x: float(x))(1.0)
    assert float(Value(2.0)) == 2.0
    with pytest.raises(ZeroDivisionError):
        grad(lambda x: grad(lambda y: 1 // 0)(x))(1.0)
    assert float(Value(2.0)) == 2.0
    state = al.core.graph._state
    assert state.tracing == 0 and state.born is None and not functional._live.variables


# ---- nested transforms: plain in, plain out; traced in, traced out ------------


def test_an_inner_transform_on_a_plain_input_leaks_nothing():
    # d/dx [d/dw sin(w x) at w = 1] = d/dx [x cos x] = cos x - x sin x.
    r = grad(lambda x: grad(lambda w: al.sin(w * x))(1.0))(0.5)
    assert type(r) is float
    assert r == pytest.approx(math.cos(0.5) - 0.5 * math.sin(0.5), abs=1e-15)


def test_inner_vjp_jvp_jacobian_hessian_hvp_derivative_leak_nothing():
    x0 = 0.5
    s, c = math.sin(x0), math.cos(x0)
    first = c - x0 * s  # d/dx [d/dw sin(w x) at w = 1] = d/dx [x cos x]
    second = -2 * x0 * s - x0 * x0 * c  # d/dx [d2/dw2 sin(w x) at w = 1] = d/dx [-x^2 sin x]
    inner = [
        ("vjp", lambda x: vjp(lambda w: al.sin(w * x), 1.0)[1](1.0)[0], first),
        ("jvp", lambda x: jvp(lambda w: al.sin(w * x), (1.0,), (1.0,))[1], first),
        ("jacobian", lambda x: jacobian(lambda w: al.sin(w * x))(1.0), first),
        ("value_and_grad", lambda x: value_and_grad(lambda w: al.sin(w * x))(1.0)[1], first),
        ("derivative", lambda x: derivative(lambda w: al.sin(w * x))(1.0), first),
        ("hessian", lambda x: hessian(lambda w: al.sin(w * x))(1.0), second),
        ("hvp", lambda x: hvp(lambda w: al.sin(w * x), 1.0, 1.0), second),
        ("derivative 2", lambda x: derivative(lambda w: al.sin(w * x), 2)(1.0), second),
    ]
    for name, g, want in inner:
        r = grad(g)(x0)
        assert type(r) is float, (name, r)
        assert r == pytest.approx(want, abs=1e-14), name


def test_an_inner_transform_with_array_inputs_leaks_nothing():
    w0 = np.array([1.0, 2.0])
    r = grad(lambda x: (grad(lambda w: (w * w * x).sum())(w0) * x).sum())(np.array([3.0, 4.0]))
    assert isinstance(r, np.ndarray)
    np.testing.assert_array_equal(r, 4 * w0 * np.array([3.0, 4.0]))  # d/dx 2 w x^2


def test_nested_transforms_differentiate_exactly():
    # f = x^3 sin x; derivatives by hand.
    f = lambda t: t**3 * al.sin(t)
    s, c = math.sin, math.cos
    d1 = lambda x: 3 * x**2 * s(x) + x**3 * c(x)
    d2 = lambda x: 6 * x * s(x) + 6 * x**2 * c(x) - x**3 * s(x)
    d3 = lambda x: 6 * s(x) + 18 * x * c(x) - 9 * x**2 * s(x) - x**3 * c(x)
    for x in (0.3, -1.1, 2.0):
        assert grad(grad(f))(x) == pytest.approx(d2(x), rel=1e-13)
        assert grad(lambda t: grad(f)(t) * t)(x) == pytest.approx(d2(x) * x + d1(x), rel=1e-13)
        assert hessian(f)(x) == pytest.approx(d2(x), rel=1e-13)
        assert jacobian(grad(f))(x) == pytest.approx(d2(x), rel=1e-13)
        assert grad(hessian(f))(x) == pytest.approx(d3(x), rel=1e-13)
        assert derivative(grad(f), 2)(x) == pytest.approx(d3(x), rel=1e-13)
        assert jvp(grad(f), (x,), (2.0,))[1] == pytest.approx(2 * d2(x), rel=1e-13)
        assert vjp(grad(f), x)[1](2.0)[0] == pytest.approx(2 * d2(x), rel=1e-13)
        assert hvp(lambda t: grad(f)(t) * t, x, 1.0) == pytest.approx(
            d3(x) * x + 2 * d2(x), rel=1e-13
        )
    # Vectors: f(v) = (v0^2 v1, ...) and its Hessian against grad of grad, row by row.
    g = lambda v: v[0] ** 2 * v[1] + al.sin(v[0] * v[1])
    v = np.array([0.7, -0.4])
    h = hessian(g)(v)
    a, b = v
    exact = np.array(
        [
            [2 * b - b * b * math.sin(a * b), 2 * a + math.cos(a * b) - a * b * math.sin(a * b)],
            [2 * a + math.cos(a * b) - a * b * math.sin(a * b), -a * a * math.sin(a * b)],
        ]
    )
    np.testing.assert_allclose(h, exact, rtol=1e-13)
    np.testing.assert_allclose(jacobian(grad(g))(v), exact, rtol=1e-13)
    for k in range(2):
        np.testing.assert_allclose(grad(lambda t, k=k: grad(g)(t)[k])(v), exact[k], rtol=1e-13)


# ---- 0-d Tensors stay 0-d -----------------------------------------------------


def test_a_0d_tensor_stays_a_tensor_in_vjp_and_jvp():
    x = Tensor(np.array(1.5))
    out, d = jvp(lambda t: t * t, (x,), (Tensor(np.array(1.0)),))
    assert type(out) is Tensor and type(d) is Tensor and d.shape == () and d.data == 3.0
    out, fn = vjp(lambda t: t * t, x)
    (g,) = fn(Tensor(np.array(1.0)))
    assert type(out) is Tensor and type(g) is Tensor and g.shape == () and g.data == 3.0
    # Two 0-d outputs: the sum of their cotangents is still a 0-d Tensor.
    _, fn = vjp(lambda t: (t * 2, t * t), x)
    (g,) = fn((Tensor(np.array(1.0)), Tensor(np.array(1.0))))
    assert type(g) is Tensor and g.shape == () and g.data == 5.0


def test_a_0d_array_in_gives_0d_arrays_out():
    x = np.array(1.5)
    results = {
        "grad": grad(lambda t: t * t)(x),
        "value": value_and_grad(lambda t: t * t)(x)[0],
        "jacobian": jacobian(lambda t: t * t)(x),
        "hessian": hessian(lambda t: t * t * t)(x),
        "hvp": hvp(lambda t: t * t * t, x, np.array(1.0)),
        "derivative": derivative(lambda t: t * t * t, 2)(x),
        "derivative 0": derivative(lambda t: t * t * t, 0)(x),
        "derivative of a constant": derivative(lambda t: t * 0 + 1, 3)(x),
        "vjp out": vjp(lambda t: t * t, x)[0],
        "vjp": vjp(lambda t: t * t, x)[1](np.array(1.0))[0],
        "two cotangents": vjp(lambda t: (t * 2, t * t), x)[1]((1.0, 1.0))[0],
        "jvp out": jvp(lambda t: t * t, (x,), (np.array(1.0),))[0],
        "jvp": jvp(lambda t: t * t, (x,), (np.array(1.0),))[1],
    }
    for name, r in results.items():
        assert type(r) is np.ndarray and r.shape == (), (name, type(r))
    assert results["hessian"] == 9.0 and results["two cotangents"] == 5.0


def test_plain_numbers_in_give_floats_out():
    assert type(jvp(lambda t: t * t, (1.5,), (1.0,))[1]) is float
    assert type(vjp(lambda t: (t * 2, t * t), 1.5)[1]((1.0, 1.0))[0]) is float
    assert type(hessian(lambda t: t * t * t)(1.5)) is float
    assert type(hvp(lambda t: t * t * t, 1.5, 1.0)) is float
    assert type(derivative(lambda t: t * t * t, 4)(1.5)) is float


def test_grad_of_a_0d_tensor_used_twice_is_an_ndarray():
    x = Tensor(np.array(2.0), requires_grad=True)
    (x * x).backward()
    assert type(x.grad.data) is np.ndarray and x.grad.data.shape == () and x.grad.data == 4.0
    (x * x).backward()  # accumulated into .grad
    assert type(x.grad.data) is np.ndarray and x.grad.data == 8.0
    y = Tensor(np.array(3.0), requires_grad=True)
    z = y * 2
    (z * z + z).backward()  # an interior node reached twice
    assert type(z.grad.data) is np.ndarray and z.grad.data == 13.0
    assert type(y.grad.data) is np.ndarray and y.grad.data == 26.0


def test_a_leaf_made_inside_f_is_a_constant_of_that_call():
    # Value(2.0) requires grad by default (micrograd's habit); made inside f, nobody outside
    # can hold it, so the results stay plain, as in JAX.
    r = grad(lambda x: x * al.Value(2.0))(3.0)
    assert type(r) is float and r == 2.0
    g = grad(lambda t: (t * Tensor([2.0, 1.0], requires_grad=True)).sum())(np.ones(2))
    assert type(g) is np.ndarray
    np.testing.assert_array_equal(g, [2.0, 1.0])

    # An inner transform sees a leaf made by the outer f before it as a leaf from outside:
    # d/dx [x * d/dy (y c x)] = d/dx [c x^2] = 2 c x, with c = Value(2.0) made inside.
    def outer(x):
        c = al.Value(2.0)
        inner = grad(lambda y: y * c * x)(1.0)
        assert isinstance(inner, Value) and inner.requires_grad
        return x * inner

    r = grad(outer)(3.0)
    assert type(r) is float and r == 12.0
