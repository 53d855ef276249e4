"""Every op's first and second derivative against central finite differences, on both node types.

One table of (name, function, valid input domain) drives the Value and the Tensor tests.
"""

import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.core import ops
from autograd_lite.core.graph import toposort

from .helpers import assert_close, numeric_grad

SETTINGS = settings(max_examples=15, deadline=None)

# name -> (function on nodes, domain low, domain high); domains avoid kinks and poles.
UNARY = {
    "neg": (operator.neg, -3, 3),
    "exp": (al.exp, -3, 3),
    "log": (al.log, 0.2, 5),
    "sqrt": (al.sqrt, 0.2, 5),
    "sin": (al.sin, -3, 3),
    "cos": (al.cos, -3, 3),
    "tanh": (al.tanh, -3, 3),
    "sigmoid": (al.sigmoid, -4, 4),
    "softplus": (al.softplus, -4, 4),
    "relu": (al.relu, -3, 3),
    "abs": (al.abs, -3, 3),
    "square_pow": (lambda x: x**2, -3, 3),
    "cube_root_pos": (lambda x: x ** (1 / 3), 0.2, 4),
    "exp2_pow": (lambda x: 2.0**x, -3, 3),
    "rdiv": (lambda x: 2.0 / x, 0.5, 3),
    "rsub": (lambda x: 3.0 - x, -3, 3),
    "clip": (lambda x: al.clip(x, -1.5, 2.0), -3, 3),
    "log1p": (al.log1p, -0.5, 3),
    "expm1": (al.expm1, -3, 3),
    "log2": (al.log2, 0.2, 5),
    "log10": (al.log10, 0.2, 5),
    "exp2": (al.exp2, -3, 3),
    "square": (al.square, -3, 3),
    "reciprocal": (al.reciprocal, 0.5, 3),
    "sign": (al.sign, -3, 3),
    "floor": (al.floor, 1.1, 1.9),
    "ceil": (al.ceil, 1.1, 1.9),
    "round": (al.round, 1.1, 1.4),
    "tan": (al.tan, -1.2, 1.2),
    "sinh": (al.sinh, -3, 3),
    "cosh": (al.cosh, -3, 3),
    "arcsin": (al.arcsin, -0.9, 0.9),
    "arccos": (al.arccos, -0.9, 0.9),
    "arctan": (al.arctan, -3, 3),
    "arcsinh": (al.arcsinh, -3, 3),
    "arccosh": (al.arccosh, 1.2, 4),
    "arctanh": (al.arctanh, -0.9, 0.9),
    "sinc": (al.sinc, -3, 3),
    "sinc_near_0": (al.sinc, -0.3, 0.3),  # the Taylor-series side of sinc's derivatives
    "sinc_derivative": (lambda x: ops.apply(ops.SINC_DERIVATIVE, (x,), (3,)), -3, 3),
    "deg2rad": (al.deg2rad, -400, 400),
    "rad2deg": (al.rad2deg, -3, 3),
}
NONSMOOTH = {
    "relu",
    "abs",
    "clip",
}  # second derivative is 0 away from the kink; checked all the same
CONSTANT = {"sign", "floor", "ceil", "round"}  # piecewise constant: every derivative is 0

BINARY = {
    "add": (operator.add, (-3, 3), (-3, 3)),
    "sub": (operator.sub, (-3, 3), (-3, 3)),
    "mul": (operator.mul, (-3, 3), (-3, 3)),
    "div": (operator.truediv, (-3, 3), (0.5, 3)),
    "pow": (operator.pow, (0.3, 3), (-2, 2)),
    "maximum": (al.maximum, (-3, 3), (-3, 3)),
    "minimum": (al.minimum, (-3, 3), (-3, 3)),
    "arctan2": (al.arctan2, (-3, 3), (-3, 3)),
    "hypot": (al.hypot, (-3, 3), (-3, 3)),
    "logaddexp": (al.logaddexp, (-3, 3), (-3, 3)),
    "mod": (al.mod, (-3, 3), (0.5, 3)),
    "mod_operator_negative_divisor": (operator.mod, (-3, 3), (-3, -0.5)),
}


def _away_from_kinks(x):
    """Move points too close to 0 (the kink of relu and abs) away from it."""
    return np.where(np.abs(x) < 0.05, 0.5, x)


def _draw(rng, lo, hi, shape=()):
    x = rng.uniform(lo, hi, size=shape)
    return _away_from_kinks(x) if lo < 0 < hi else x


# ---- Value ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_value_unary_first_and_second_derivative(name, seed):
    f, lo, hi = UNARY[name]
    x0 = float(_draw(np.random.default_rng(seed), lo, hi))
    x = Value(x0)
    y = f(x)
    y.backward(create_graph=True)
    d1 = x.grad
    assert_close(d1.data, numeric_grad(lambda t: f(Value(t)).data, x0), what=f"{name}'")

    def first(t):
        v = Value(t)
        f(v).backward()
        return v.grad

    x.grad = 0.0
    if d1.requires_grad:
        d1.backward()
    else:  # the derivative does not depend on x: the second derivative is 0
        assert name in ("neg", "rsub", "deg2rad", "rad2deg") or name in NONSMOOTH | CONSTANT
    assert_close(x.grad, numeric_grad(first, x0), atol=1e-4, what=f"{name}''")


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_value_binary_first_and_second_derivative(name, seed):
    f, (alo, ahi), (blo, bhi) = BINARY[name]
    rng = np.random.default_rng(seed)
    a0, b0 = float(_draw(rng, alo, ahi)), float(_draw(rng, blo, bhi))
    if name in ("maximum", "minimum") and abs(a0 - b0) < 0.05:
        b0 += 0.5
    a, b = Value(a0), Value(b0)
    f(a, b).backward(create_graph=True)
    ga, gb = a.grad, b.grad
    assert_close(
        ga.data if isinstance(ga, Value) else ga, numeric_grad(lambda t: f(Value(t), b0).data, a0)
    )
    assert_close(
        gb.data if isinstance(gb, Value) else gb, numeric_grad(lambda t: f(a0, Value(t)).data, b0)
    )

    # second derivatives: d/da (df/da) and d/db (df/da)
    def dfa(s, t):
        u, v = Value(s), Value(t)
        f(u, v).backward()
        return u.grad

    if isinstance(ga, Value) and ga.requires_grad:
        a.grad, b.grad = 0.0, 0.0
        ga.backward()
        assert_close(a.grad, numeric_grad(lambda s: dfa(s, b0), a0), atol=1e-4, what="d2f/da2")
        assert_close(b.grad, numeric_grad(lambda t: dfa(a0, t), b0), atol=1e-4, what="d2f/dadb")


# ---- Tensor: elementwise ops with broadcasting ---------------------------------------------


def _check_hessian_vector_product(loss, x, g, v, what):
    """Differentiate the recorded gradient g of loss at x along v: against differences of grads."""
    x0 = x.data

    def grad_at(a):
        t = Tensor(a, requires_grad=True)
        loss(t).backward()
        return t.grad.data

    x.grad = None
    if g.requires_grad:  # otherwise the gradient does not depend on x: H v = 0
        (g * v).sum().backward()
    hv = x.grad.data if x.grad is not None else np.zeros(x0.shape)
    assert_close(hv, (grad_at(x0 + 1e-6 * v) - grad_at(x0 - 1e-6 * v)) / 2e-6, atol=1e-4, what=what)


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), shape=array_shapes(min_dims=0, max_dims=3, max_side=3))
def test_tensor_unary_first_and_second_derivative(name, seed, shape):
    f, lo, hi = UNARY[name]
    rng = np.random.default_rng(seed)
    x0 = _draw(rng, lo, hi, shape)
    w = rng.normal(size=shape)  # a random cotangent, so every element matters
    v = rng.normal(size=shape)  # a random direction for the Hessian-vector product

    def loss(t):
        return (f(t) * w).sum()

    x = Tensor(x0, requires_grad=True)
    loss(x).backward(create_graph=True)
    g = x.grad
    assert_close(g.data, numeric_grad(lambda a: loss(Tensor(a)).item(), x0), what=f"{name}'")

    _check_hessian_vector_product(loss, x, g, v, what=f"{name}'' v")


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1), shapes=mutually_broadcastable_shapes(num_shapes=2, max_side=3)
)
def test_tensor_binary_broadcasting_gradients(name, seed, shapes):
    f, (alo, ahi), (blo, bhi) = BINARY[name]
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a0, b0 = _draw(rng, alo, ahi, sa), _draw(rng, blo, bhi, sb)
    if name in ("maximum", "minimum"):
        b0 = b0 + 0.25 * np.sign(b0) * (np.abs(np.broadcast_to(a0, out_shape) - b0).min() < 0.1)
    w = rng.normal(size=out_shape)
    a, b = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    (f(a, b) * w).sum().backward()
    assert a.grad.shape == sa and b.grad.shape == sb
    assert_close(a.grad.data, numeric_grad(lambda t: (f(Tensor(t), b0) * w).sum().item(), a0))
    assert_close(b.grad.data, numeric_grad(lambda t: (f(a0, Tensor(t)) * w).sum().item(), b0))

    # second order: the Hessian-vector product in each operand, the other held fixed
    for which, x0 in (("a", a0), ("b", b0)):

        def loss(t, which=which):
            return (f(t, b0) if which == "a" else f(a0, t)) * w

        x = Tensor(x0, requires_grad=True)
        loss(x).sum().backward(create_graph=True)
        _check_hessian_vector_product(
            lambda t: loss(t).sum(), x, x.grad, rng.normal(size=x0.shape), f"{name}'' in {which}"
        )


# ---- Tensor-only ops ------------------------------------------------------------------------

_M = np.random.default_rng(7).normal(size=(4, 2))
_B = np.random.default_rng(8).normal(size=(2, 5, 3))
TENSOR_OPS = {
    "sum_axis": (lambda t: t.sum(axis=1), (3, 4)),
    "sum_tuple_keepdims": (lambda t: t.sum(axis=(0, 2), keepdims=True), (2, 3, 2)),
    "mean": (lambda t: t.mean(axis=0), (3, 4)),
    "mean_all": (lambda t: al.mean(t), (3, 4)),
    "max_axis": (lambda t: t.max(axis=1), (3, 4)),
    "min_all": (lambda t: t.min(), (3, 4)),
    "max_keepdims": (lambda t: t.max(axis=-1, keepdims=True), (2, 3)),
    "reshape": (lambda t: t.reshape(3, 2) * np.arange(6.0).reshape(3, 2), (2, 3)),
    "transpose": (lambda t: t.transpose(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3), (2, 3, 4)),
    "T": (lambda t: t.T @ np.ones((2, 2)), (2, 3)),
    "getitem_slice": (lambda t: t[1:, ::2], (3, 4)),
    "getitem_repeated": (lambda t: t[np.array([0, 0, 2])] * 2.0, (3, 4)),
    "getitem_int_tuple": (lambda t: t[np.array([0, 1, 1]), np.array([2, 2, 0])], (3, 4)),
    "getitem_bool": (lambda t: t[t.data > 0], (3, 4)),
    "concatenate": (lambda t: al.concatenate([t, t * 2.0, t[:1]], axis=0), (2, 3)),
    "stack": (lambda t: al.stack([t, al.sin(t)], axis=1), (2, 3)),
    "where": (lambda t: al.where(t.data > 0, t**2, t * 3.0), (5,)),
    "clip": (lambda t: t.clip(-0.7, 0.6), (6,)),
    "logsumexp": (lambda t: al.logsumexp(t, axis=0), (3, 4)),
    "logsumexp_all": (lambda t: al.logsumexp(t), (3, 4)),
    "softmax": (lambda t: al.softmax(t, axis=-1), (3, 4)),
    "log_softmax": (lambda t: al.log_softmax(t, axis=0), (3, 4)),
    "norm2": (lambda t: al.norm(t), (5,)),
    "norm2_axis": (lambda t: al.norm(t, axis=1), (3, 4)),
    "norm1": (lambda t: al.norm(t, ord=1, axis=0), (3, 4)),
    "norm_inf": (lambda t: al.norm(t, ord=np.inf), (5,)),
    "norm_p": (lambda t: al.norm(t, ord=3, axis=1), (3, 4)),
    "matmul_2d": (lambda t: t @ _M, (3, 4)),
    "matmul_batched": (lambda t: t @ _M, (2, 3, 4)),
    "matmul_broadcast_left": (lambda t: _B @ t, (3, 4)),
    "matmul_vec_mat": (lambda t: t @ _M, (4,)),
    "matmul_mat_vec": (lambda t: t @ np.arange(4.0), (3, 4)),
    "matmul_vec_vec": (lambda t: t @ np.arange(4.0), (4,)),
    "dot": (lambda t: al.dot(t, np.arange(4.0)), (4,)),
    "outer": (lambda t: al.outer(t, np.arange(3.0)), (4,)),
    "self_matmul": (lambda t: t @ t.T, (3, 4)),
    "linear_batch": (lambda t: al.linear(t, _M.T, np.arange(2.0)), (3, 4)),
    "linear_batched_3d": (lambda t: al.linear(t, _M.T), (2, 3, 4)),
    "linear_vector": (lambda t: al.linear(t, _M.T, np.ones(2)), (4,)),
    # the op itself, without a cast (Tensor.astype skips it then): float32 would defeat the
    # finite differences; test_astype_is_differentiable_... checks the cast
    "astype": (lambda t: ops.apply(ops.ASTYPE, (t * t,), (np.dtype(np.float64),)), (3,)),
    "broadcast_to": (lambda t: al.broadcast_to(t * t, (2, 3, 4)), (3, 4)),
    "scatter": (lambda t: ops._scatter(t * t, np.array([0, 2, 0]), (4, 2)), (3, 2)),
    "direction": (lambda t: ops.apply(ops.DIRECTION, (t * t,), (1,)), (3, 4)),
    "sinc_derivative": (lambda t: ops.apply(ops.SINC_DERIVATIVE, (t,), (3,)), (3, 4)),
    # a Value meeting a Tensor: as_value, then as_tensor when the Value meets t again
    "value_meets_tensor": (lambda t: t * al.sin(t[1]._as_value() * 2.0), (3,)),
}


@pytest.mark.parametrize("name", sorted(TENSOR_OPS))
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_tensor_op_gradients(name, seed):
    f, shape = TENSOR_OPS[name]
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=shape)
    if name in ("max_axis", "min_all", "max_keepdims", "norm_inf"):
        # no ties, in x or |x|, and none made by _away_from_kinks: distinct magnitudes 0.3 apart
        x0 = (rng.permutation(x0.size).reshape(shape) + 1) * 0.3 * rng.choice([-1, 1], shape)
    x0 = _away_from_kinks(x0)
    w = rng.normal(size=np.shape(f(Tensor(x0)).data))

    def loss(t):
        return (f(t) * w).sum()

    x = Tensor(x0, requires_grad=True)
    loss(x).backward(create_graph=True)
    assert_close(x.grad.data, numeric_grad(lambda a: loss(Tensor(a)).item(), x0), what=name)
    _check_hessian_vector_product(loss, x, x.grad, rng.normal(size=shape), what=f"{name}''")


def test_same_formula_runs_on_value_tensor_and_raw_numbers():
    def f(x):
        return al.tanh(al.exp(x) * 0.5) + al.sigmoid(x) * al.sqrt(al.abs(x) + 1) - al.relu(x) ** 2

    for x0 in (-1.3, 0.4, 2.0):
        v = Value(x0)
        t = Tensor(x0, requires_grad=True)
        fv, ft, fr = f(v), f(t), f(x0)
        assert isinstance(fr, float)
        assert fv.data == pytest.approx(fr) and ft.item() == pytest.approx(fr)
        fv.backward()
        ft.backward()
        assert v.grad == pytest.approx(t.grad.item())
    arr = np.array([-1.0, 0.5])
    assert isinstance(f(arr), np.ndarray)
    assert np.allclose(f(arr), [f(-1.0), f(0.5)])


def test_float32_stays_float32_and_gets_float32_gradients():
    x = Tensor(np.ones(3), dtype=np.float32, requires_grad=True)
    y = (x * 2.5 + al.exp(x)).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    assert np.allclose(x.grad.data, 2.5 + np.e)


def test_astype_is_differentiable_and_casts_the_gradient_back():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    assert np.allclose(x.grad.data, [2.0, 4.0])


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_gradients_in_weight_and_bias_match_finite_differences(x_shape):
    rng = np.random.default_rng(1)
    x0, w0, b0 = rng.normal(size=x_shape), rng.normal(size=(3, 4)), rng.normal(size=3)
    cot = rng.normal(size=x_shape[:-1] + (3,))

    def loss(x, w, b):
        return (al.linear(x, w, b) * cot).sum()

    x, w, b = (Tensor(a, requires_grad=True) for a in (x0, w0, b0))
    loss(x, w, b).backward()
    assert_close(x.grad.data, numeric_grad(lambda a: loss(Tensor(a), w0, b0).item(), x0))
    assert_close(w.grad.data, numeric_grad(lambda a: loss(x0, Tensor(a), b0).item(), w0))
    assert_close(b.grad.data, numeric_grad(lambda a: loss(x0, w0, Tensor(a)).item(), b0))
    assert np.allclose(al.linear(x0, w0, b0), x0 @ w0.T + b0)
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        al.linear(Tensor(np.ones(3)), w0)


# ---- every declared op is in the tables above ------------------------------------------------


def _recorded_ops(node):
    """Names of the ops in the graph of `node` (what the tables' functions exercise)."""
    return {n.op for n in toposort(node)} - {""}


def _ops_in_tables(node_type):
    """Names of the ops the tables run on `node_type`.

    Every table's test checks first and second derivatives (the Hessian-vector
    product for Tensors), so an op in a table is checked to second order.
    """
    found = set()
    for f, lo, hi in UNARY.values():
        x = Value((lo + hi) / 2) if node_type is Value else Tensor(np.full(2, (lo + hi) / 2))
        x.requires_grad = True
        found |= _recorded_ops(f(x))
    for f, (alo, ahi), (blo, bhi) in BINARY.values():
        a, b = node_type((alo + ahi) / 2), node_type((blo + bhi) / 2)
        a.requires_grad = b.requires_grad = True
        found |= _recorded_ops(f(a, b))
    if node_type is Tensor:
        for f, shape in TENSOR_OPS.values():
            x0 = np.random.default_rng(0).normal(size=shape)
            found |= _recorded_ops(f(Tensor(x0, requires_grad=True)))
    return found


@pytest.mark.parametrize("node_type", [Value, Tensor])
def test_every_declared_op_is_in_the_gradient_tables(node_type):
    # Value runs the ops with a forward on floats; Tensor runs them all.
    declared = {op.name for op in ops.OPS if node_type is Tensor or op.scalar is not None}
    missing = declared - _ops_in_tables(node_type)
    assert not missing, f"ops missing from the {node_type.__name__} gradient tables: {missing}"


def test_every_op_function_is_exported_with_the_declarations_docstring():
    for op in ops.OPS:
        if op.function is not None:
            fn = getattr(al, op.function)
            assert fn is getattr(ops, op.function) and fn.__doc__ == op.doc, op
            assert op.function in al.__all__, op
        for name in op.methods:
            for node_type in (Value, Tensor):
                assert callable(getattr(node_type, name)), (node_type, name)


@pytest.mark.parametrize("name", sorted(CONSTANT))
@pytest.mark.parametrize("node_type", [Value, Tensor])
def test_piecewise_constant_ops_give_zero_even_for_an_infinite_cotangent(name, node_type):
    # The rule returns a zero; g * 0 would be nan for g = inf. At a NaN input the derivative
    # is nan: a NaN output never comes with a zero gradient.
    f = getattr(al, name)
    for x0, expected in ((1.25, 0.0), (float("nan"), float("nan"))):
        x = node_type(x0, requires_grad=True)
        (f(x) * float("inf")).backward()
        grad = np.asarray(x.grad.data if isinstance(x.grad, Tensor) else x.grad)
        assert np.array_equal(grad, expected, equal_nan=True), (name, x0, x.grad)


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), ((0, 2), True), (1, True)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_is_one_op_computing_exactly_the_sum_times_one_over_the_count(axis, keepdims, dtype):
    # One `mean` node (drawings show `mean`, not `sum` then `* 0.1`), with the numbers, to the
    # last bit and to second order, of the composition it replaced.
    x0 = np.random.default_rng(1).normal(size=(3, 4, 5)).astype(dtype)
    count = x0.size // np.sum(x0, axis=axis, keepdims=keepdims).size

    def composed(t):
        return al.sum(t, axis=axis, keepdims=keepdims) * (1.0 / count)

    results = []
    for f in (lambda t: al.mean(t, axis=axis, keepdims=keepdims), composed):
        x = Tensor(x0, requires_grad=True)
        m = f(x)
        ((m * m).sum()).backward(create_graph=True)
        first = x.grad
        x.grad = None
        (first * first).sum().backward()
        results.append((m, first.data, x.grad.data))
    (m, *grads), (ref, *ref_grads) = results
    assert m.op == "mean" and m.parents[0].is_leaf
    assert m.data.dtype == ref.data.dtype == dtype
    assert np.array_equal(m.data, ref.data)
    for g, r in zip(grads, ref_grads):
        assert g.dtype == r.dtype and np.array_equal(g, r)
    assert np.isnan(al.mean(Tensor(np.zeros((0, 2)), requires_grad=True)).item())


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_scatter_of_integer_indices_adds_exactly_as_np_add_at(data):
    """x[rows, cols]'s vjp sums repeated indices in order into zeros: bit for bit np.add.at
    (negative indices, -0.0 and inf included; NaN in the same places, its sign left open as
    numpy leaves it), whichever way it is computed."""
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    n = data.draw(st.integers(0, 9))
    parts = tuple(
        np.array(data.draw(st.lists(st.integers(-s, s - 1), min_size=n, max_size=n)), np.int64)
        for s in shape
    )
    values = st.sampled_from([0.0, -0.0, 1.5, -2.25, 1e308, np.inf, -np.inf, np.nan])
    g = np.array(data.draw(st.lists(values | st.floats(-10, 10), min_size=n, max_size=n)))
    index = parts if len(parts) > 1 else parts[0]
    expected = np.zeros(shape)
    with np.errstate(all="ignore"):
        np.add.at(expected, index, g)
        got = ops._scatter_array(g, index, shape)
    assert got.dtype == np.float64 and got.shape == expected.shape
    assert np.array_equal(got, expected, equal_nan=True)
    numbers = ~np.isnan(expected)
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(expected[numbers]))
    twos = np.zeros(shape)
    np.add.at(twos, index, 2.0)
    assert np.array_equal(ops._scatter_array(np.array(2.0), index, shape), twos)  # broadcast g


def test_a_bool_axis_is_refused_even_after_the_same_int_axis_was_used():
    """The checked axes are remembered per (axis, ndim): True must not pass for 1."""
    x = Tensor(np.ones((2, 3)))
    assert al.sum(x, axis=1).shape == (2,)
    for axis in (True, np.bool_(True)):
        with pytest.raises(TypeError, match="axis must be None, an int"):
            al.sum(x, axis=axis)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        al.mean(x, axis=2)


@pytest.mark.parametrize("which", ["lo", "hi"])
def test_clip_by_a_node_raises_naming_the_bound(which):
    """clip's bounds are constants (numbers or arrays), never differentiated: a node given
    as one raises a TypeError naming it (it recursed without end before), and points to
    maximum/minimum, which differentiate both sides."""
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    bound = Tensor(np.array([0.0, 0.0]))
    with pytest.raises(TypeError, match=f"clip: {which}= is a Tensor"):
        al.clip(x, **{which: bound})


def test_relu_rule_on_arrays_selects_where_the_cotangent_is_not_finite():
    """ReLU's rule on raw arrays, against numpy's where (g where the output is not 0, else 0):
    infinite and NaN cotangents at clipped places give 0, not inf * 0 = NaN, including
    where only some of them are (the quick 0/1 mask is for finite cotangents), and finite
    cotangents whose sum is past the float range give the same values."""
    out = np.array([0.0, 2.0, 0.0, np.nan, 0.0, 3.0])
    for g in (
        np.array([np.inf, 1.0, -2.0, 4.0, 5.0, 6.0]),
        np.array([1.0, -np.inf, np.nan, 4.0, 5.0, 6.0]),
        np.array([1.0, 2.0, 3.0, 4.0, np.nan, np.inf]),
        np.array([-np.inf, 1e308, 1.0, 1e308, np.inf, 1e308]),
        np.array([1e308, 1e308, 1e308, 1e308, 1e308, -1.0]),
        np.array([1.0, -2.0, 3.0, -4.0, 5.0, -6.0]),
    ):
        expected = np.where(out != 0, g, 0.0)
        with np.errstate(all="ignore"):  # as a backward sweep runs rules
            np.testing.assert_array_equal(ops._relu_rule_raw(g, out), expected)


def _bits(a):
    a = np.asarray(a)
    return a.dtype, a.shape, a.reshape(-1).view(f"u{a.dtype.itemsize}").tolist()


@pytest.mark.parametrize("seed", range(6))
def test_log_softmax_kernels_written_in_place_give_the_plain_formulas_floats(seed):
    """log_softmax and its rule write results over arrays of their own (one allocation
    fewer): bit for bit the floats and the layouts of the plain expressions, for float32 and
    float64, rows of -inf, NaN and huge values, a batched cotangent, another dtype of g,
    F-ordered arrays, and 0-d arrays."""
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        x = (
            rng.standard_normal((5, 4))
            * 10.0 ** rng.integers(0, 300 if dtype == np.float64 else 30)
        ).astype(dtype)
        x[1] = -np.inf
        x[2, 0] = np.nan
        for axes in ((1,), (0,), (0, 1)):
            with np.errstate(all="ignore"):
                m = np.max(x, axis=axes, keepdims=True)
                m = (
                    np.where(np.isfinite(m), m, 0.0).astype(dtype)
                    if not np.isfinite(m).all()
                    else m
                )
                plain = (x - m) - np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True))
                assert _bits(ops._log_softmax_raw(axes, x)) == _bits(plain)
                out = plain
                for g in (
                    rng.standard_normal(out.shape).astype(dtype),
                    np.asfortranarray(rng.standard_normal(out.shape).astype(dtype)),
                    rng.standard_normal(out.shape),  # float64 g for a float32 out
                    rng.standard_normal((2, *out.shape)).astype(dtype),  # batched
                ):
                    total = np.sum(g, axis=tuple(a - x.ndim for a in axes), keepdims=True)
                    for o in (out, np.asfortranarray(out)):  # the layouts too
                        got = ops._log_softmax_rule_summed(g, o, total)
                        plain = g - np.exp(o) * total
                        assert _bits(got) == _bits(plain)
                        assert got.strides == plain.strides
    zero_d = np.array(0.7)
    assert _bits(ops._log_softmax_raw((), zero_d)) == _bits(
        zero_d - zero_d - np.log(np.exp(zero_d - zero_d))
    )
