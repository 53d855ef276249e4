"""numpy's reductions, shape functions and products: gradients to second order against
finite differences, one table per module, and every public function of the module in it."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.core import ops, products, reductions, shapes

from .helpers import check_first_and_second_order
from .peers import _oracle as oracle

# name -> (function of Tensors, input shapes); inputs are drawn standard normal.
REDUCTIONS = {
    "cumsum_axis": (lambda x: al.cumsum(x, axis=1) ** 3, [(3, 4)]),
    "cumsum_flat": (lambda x: al.cumsum(x) ** 3, [(2, 3)]),
    "cumsum_method": (lambda x: x.cumsum(0) ** 3, [(3, 2)]),
    "cumprod_axis": (lambda x: al.cumprod(x, axis=1), [(3, 4)]),
    "cumprod_flat": (lambda x: al.cumprod(x), [(2, 3)]),
    "cumprod_method": (lambda x: x.cumprod(-2), [(3, 2)]),
    "prod_all": (lambda x: al.prod(x), [(2, 3)]),
    "prod_axis": (lambda x: al.prod(x, axis=0), [(3, 4)]),
    "prod_tuple_keepdims": (lambda x: al.prod(x, axis=(0, 2), keepdims=True), [(2, 3, 2)]),
    "prod_method": (lambda x: x.prod(axis=-1), [(3, 4)]),
    "var_all": (lambda x: al.var(x), [(3, 4)]),
    "var_axis_ddof1": (lambda x: al.var(x, axis=1, ddof=1), [(3, 4)]),
    "var_tuple_keepdims": (lambda x: x.var(axis=(0, 2), keepdims=True), [(2, 3, 2)]),
    "std_all": (lambda x: al.std(x), [(3, 4)]),
    "std_axis_ddof1": (lambda x: al.std(x, axis=0, ddof=1), [(3, 4)]),
    "std_method_keepdims": (lambda x: x.std(axis=-1, keepdims=True), [(2, 3)]),
    # no derivative of their own: the index or the mask they give selects differentiable data
    "argmax_pick": (lambda x: x[np.arange(3), al.argmax(x, axis=1)], [(3, 4)]),
    "argmin_pick": (lambda x: x.reshape(-1)[x.argmin()] * x, [(3, 4)]),
    "all_mask": (lambda x: al.where(al.all(x < 1, axis=1, keepdims=True), x, x * x), [(3, 4)]),
    "any_mask": (lambda x: al.where(al.any(x > 1, axis=0), x, -x), [(3, 4)]),
}
# Shape functions are linear: cubing the result makes the second-order check run their vjps
# on recorded cotangents (a linear function alone has a zero second derivative).
SHAPES = {
    "diff_default": (lambda x: al.diff(x) ** 3, [(3, 4)]),
    "diff_n2_axis0_prepend": (
        lambda x: al.diff(x, n=2, axis=0, prepend=x[:1] * 3.0) ** 3,
        [(3, 2)],
    ),
    "flip_axis": (lambda x: al.flip(x, 1) ** 3 * np.arange(12.0).reshape(3, 4), [(3, 4)]),
    "flip_all": (lambda x: al.flip(x) ** 3 * np.arange(6.0), [(6,)]),
    "squeeze_all": (lambda x: al.squeeze(x) ** 3, [(2, 1, 3, 1)]),
    "squeeze_axes": (lambda x: al.squeeze(x, (1, -1)) ** 3, [(2, 1, 3, 1)]),
    "squeeze_method": (lambda x: x.squeeze(0) ** 3, [(1, 3)]),
    "expand_dims_tuple": (lambda x: al.expand_dims(x, (0, -1)) ** 3, [(2, 3)]),
    "ravel_C": (lambda x: al.ravel(x) ** 3 * np.arange(6.0), [(2, 3)]),
    "ravel_F": (lambda x: x.ravel("F") ** 3 * np.arange(6.0), [(2, 3)]),
    "flatten_method": (lambda x: x.flatten() ** 3 * np.arange(24.0), [(2, 3, 4)]),
    "fliplr_matrix": (lambda x: al.fliplr(x) ** 3 * np.arange(12.0).reshape(3, 4), [(3, 4)]),
    "flipud_vector": (lambda x: al.flipud(x) ** 3 * np.arange(5.0), [(5,)]),
    "rot90_once": (lambda x: al.rot90(x) ** 3 * np.arange(12.0).reshape(4, 3), [(3, 4)]),
    "rot90_k3_axes": (lambda x: al.rot90(x, -1, (2, 0)) ** 3, [(2, 3, 4)]),
    "rot90_half": (lambda x: al.rot90(x, 2) ** 3 * np.arange(6.0).reshape(2, 3), [(2, 3)]),
    "roll_axis": (lambda x: al.roll(x, 2, axis=1) ** 3 * np.arange(12.0).reshape(3, 4), [(3, 4)]),
    "roll_flat": (lambda x: al.roll(x, -5) ** 3 * np.arange(12.0).reshape(3, 4), [(3, 4)]),
    "roll_tuple": (lambda x: al.roll(x, (1, -2, 1), axis=(0, 2, 0)) ** 3, [(2, 3, 4)]),
    "repeat_int": (lambda x: al.repeat(x, 2, axis=-1) ** 3, [(2, 3)]),
    "repeat_counts": (lambda x: al.repeat(x, [2, 0, 3], axis=0) ** 3, [(3, 2)]),
    "repeat_method_flat": (lambda x: x.repeat(3) ** 3, [(2, 2)]),
    "tile_reps": (lambda x: al.tile(x, (2, 1, 3)) ** 3, [(2, 3)]),
    "pad_constant": (lambda x: al.pad(x, ((1, 0), (2, 1))) ** 3, [(2, 3)]),
    "pad_values": (lambda x: al.pad(x, 1, constant_values=(2.0, -1.0)) ** 3, [(2, 3)]),
    "pad_edge": (lambda x: al.pad(x, (2, 1), mode="edge") ** 3, [(2, 3)]),
    "pad_reflect": (lambda x: al.pad(x, 4, mode="reflect") ** 3, [(3,)]),
    "pad_symmetric": (lambda x: al.pad(x, ((1, 2), (0, 3)), mode="symmetric") ** 3, [(2, 2)]),
    "pad_wrap": (lambda x: al.pad(x, (3, 1), mode="wrap") ** 3, [(2, 3)]),
    "diag_build": (lambda x: al.diag(x, -1) ** 3, [(3,)]),
    "diag_extract": (lambda x: al.diag(x, 1) ** 3, [(3, 4)]),
    "diagonal_3d": (lambda x: al.diagonal(x, -1, 2, 0) ** 3, [(3, 2, 4)]),
    "diagonal_method": (lambda x: x.diagonal() ** 3, [(3, 4)]),
    "trace_matrix": (lambda x: al.trace(x) ** 3, [(3, 3)]),
    "trace_method_offset": (lambda x: x.trace(1, -1, 1) ** 3, [(2, 3, 4)]),
    "triu_k": (lambda x: al.triu(x, 1) ** 3, [(2, 3, 4)]),
    "tril_vector": (lambda x: al.tril(x, -1) ** 3, [(3,)]),
    "take_along_axis_repeated": (
        lambda x: al.take_along_axis(x, np.array([[0, 0, 2], [1, -1, 1]]), 1) ** 3,
        [(2, 3)],
    ),
    "take_along_axis_broadcast": (
        lambda x: al.take_along_axis(x, np.array([[2], [0], [2]]), 0) ** 3,
        [(3, 4)],
    ),
    "split_sections": (lambda x: al.split(x, 2)[1] ** 3, [(4, 3)]),
    "split_points_both": (lambda x: sum(p.sum() ** 2 for p in al.split(x, [1, 3], 1)), [(2, 5)]),
    "array_split_unequal": (lambda x: al.array_split(x, 3)[0] ** 3, [(4,)]),
    "hsplit_columns": (lambda x: al.hsplit(x, 2)[1] ** 3, [(3, 4)]),
    "vsplit_rows": (lambda x: al.vsplit(x, [1])[1] ** 3, [(3, 2)]),
    "swapaxes_negative": (lambda x: al.swapaxes(x, 0, -1) ** 3, [(2, 3, 4)]),
    "swapaxes_method": (lambda x: x.swapaxes(1, 2) ** 3, [(2, 3, 4)]),
    "moveaxis_tuple": (lambda x: al.moveaxis(x, (0, 1), (-1, 0)) ** 3, [(2, 3, 4)]),
    "append_flat": (lambda x, y: al.append(x, y) ** 3, [(2, 2), (3,)]),
    "append_axis": (lambda x, y: al.append(x, y, axis=1) ** 3, [(2, 2), (2, 1)]),
}
PRODUCTS = {
    "einsum_matmul": (lambda a, b: al.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)]),
    "einsum_implicit": (lambda a, b: al.einsum("ij,jk", a, b), [(2, 3), (3, 2)]),
    "einsum_trace": (lambda x: al.einsum("ii", x) ** 2, [(3, 3)]),
    "einsum_diagonal": (lambda x: al.einsum("ii->i", x) ** 2, [(3, 3)]),
    "einsum_repeated_in_three_axes": (lambda x: al.einsum("iji->j", x) ** 2, [(2, 3, 2)]),
    "einsum_summed_alone": (lambda x, y: al.einsum("ij,k->ik", x, y) ** 2, [(2, 3), (2,)]),
    "einsum_ellipsis_broadcast": (
        lambda a, b: al.einsum("...ij,...jk->...ik", a, b),
        [(2, 1, 3, 4), (5, 4, 2)],
    ),
    "einsum_size1_broadcast": (lambda a, b: al.einsum("ij,ij->j", a, b) ** 2, [(1, 3), (2, 3)]),
    "einsum_three_operands": (
        lambda a, b, c: al.einsum("ij,jk,k->i", a, b, c),
        [(2, 3), (3, 4), (4,)],
    ),
    "tensordot_int": (lambda a, b: al.tensordot(a, b, 2), [(3, 4, 2), (4, 2, 3)]),
    "tensordot_pairs": (lambda a, b: al.tensordot(a, b, ([0, 2], [2, 0])), [(2, 3, 4), (4, 1, 2)]),
    "tensordot_outer": (lambda a, b: al.tensordot(a, b, 0) ** 2, [(2,), (3,)]),
    "dot_3d": (lambda a, b: al.dot(a, b) ** 2, [(2, 3, 4), (2, 4, 3)]),
    "dot_nd_vector": (lambda a, b: al.dot(a, b) ** 2, [(2, 3, 4), (4,)]),
    "dot_method": (lambda a, b: a.dot(b) ** 2, [(3, 4), (4,)]),
    "inner_nd": (lambda a, b: al.inner(a, b) ** 2, [(2, 3), (4, 3)]),
    "vdot_matrices": (lambda a, b: al.vdot(a, b) ** 2, [(2, 3), (3, 2)]),
    "kron_2d": (lambda a, b: al.kron(a, b) ** 2, [(2, 2), (2, 3)]),
    "kron_mixed_ndim": (lambda a, b: al.kron(a, b) ** 2, [(3,), (2, 2)]),
}
TABLES = {reductions: REDUCTIONS, shapes: SHAPES, products: PRODUCTS}
CASES = {**REDUCTIONS, **SHAPES, **PRODUCTS}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_first_and_second_order_gradients(name, seed):
    f, shapes_ = CASES[name]
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=s) for s in shapes_]
    check_first_and_second_order(f, *xs, seed=seed, what=name)


@pytest.mark.parametrize("module", list(TABLES), ids=lambda m: m.__name__.rpartition(".")[2])
def test_every_public_function_is_in_its_table(module):
    keys = TABLES[module]
    missing = {f for f in module.__all__ if not any(k.startswith(f + "_") for k in keys)}
    assert not missing, f"{module.__name__}: functions missing from the gradient table: {missing}"


# ---- products at exact zeros and beside inf and NaN ------------------------------------------

# Rows with one zero, two zeros, all zeros, and none.
ZEROS = np.array(
    [[1.5, 0.0, 2.0, -1.0], [0.0, 1.25, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0], [0.5, -2.0, 1.5, 0.75]]
)


@pytest.mark.parametrize("axis", [0, 1, -1, None, (0, 1)], ids=str)
def test_prod_is_exact_at_zeros_to_second_order(axis):
    # prod is multilinear, so central differences are exact up to rounding even at 0: a rule
    # dividing by x would give nan (or a silent 0) at the zeros.
    check_first_and_second_order(lambda x: al.prod(x, axis=axis), ZEROS, what=f"prod {axis}")
    check_first_and_second_order(lambda x: al.prod(x.T, axis=axis), ZEROS, what="prod .T")


@pytest.mark.parametrize("axis", [0, 1, None], ids=str)
def test_cumprod_is_exact_at_zeros_to_second_order(axis):
    check_first_and_second_order(lambda x: al.cumprod(x, axis=axis), ZEROS, what=f"cumprod {axis}")


def _without(x, *indices):
    return np.prod(np.delete(x, list(indices)))


@pytest.mark.parametrize(
    "x",
    [
        [np.inf, 1.0, 2.0, 3.0],
        [np.nan, 1.0, -2.0, 3.0],
        [0.0, np.inf, 2.0, 0.5],
        [2.0, 0.0, 0.0, 5.0],
    ],
    ids=["inf", "nan", "zero_and_inf", "two_zeros"],
)
def test_prod_gradient_is_the_product_of_the_other_elements(x):
    # The true partial derivatives, finite beside an inf or a NaN (torch's result / x: nan).
    x = np.array(x)
    with np.errstate(invalid="ignore"):  # inf * 0 in the forward: nan, as numpy's
        grad = al.grad(lambda t: al.prod(t))(x)
        expected = [_without(x, j) for j in range(4)]
    np.testing.assert_array_equal(np.asarray(grad), expected)


@pytest.mark.parametrize(
    "x", [[2.0, 0.0, 0.0, 5.0], [2.0, 0.0, -1.5, 5.0], [0.0, 0.0, 0.0, 0.0], [2.0, 0.5, -1.5, 5.0]]
)
def test_prod_hessian_is_the_product_of_all_elements_but_two(x):
    x = np.array(x)
    hess = al.hessian(lambda t: al.prod(t))(x)
    expected = [[0.0 if i == j else _without(x, i, j) for j in range(4)] for i in range(4)]
    np.testing.assert_allclose(np.asarray(hess), expected, rtol=1e-15)


def test_prod_first_derivative_past_the_float_range_is_the_product_of_the_others():
    x = np.array([1000.0, 1e300, 1e300])
    with np.errstate(over="ignore"):
        grad = np.asarray(al.grad(lambda t: al.prod(t))(x))
    np.testing.assert_allclose(grad, [np.inf, 1e303, 1e303])  # torch: [inf, inf, inf]


def test_cumprod_and_prod_agree_with_pytorch_at_zeros_to_second_order():
    torch = pytest.importorskip("torch")
    from .peers._oracle import check

    rng = np.random.default_rng(3)
    w, v = rng.normal(size=ZEROS.shape), [rng.normal(size=ZEROS.shape)]
    check(lambda t: al.cumprod(t, axis=1), lambda t: torch.cumprod(t, 1), [ZEROS], w, v)
    check(lambda t: al.cumprod(t, axis=0), lambda t: torch.cumprod(t, 0), [ZEROS], w, v)
    check(lambda t: al.prod(t, axis=1), lambda t: torch.prod(t, 1), [ZEROS], w[:, 0], v)
    check(lambda t: al.prod(t.T, axis=1), lambda t: torch.prod(t.T, 1), [ZEROS], w[0], v)
    flat = ZEROS[3].copy()
    flat[2] = 0.0  # one zero in the whole array
    check(lambda t: al.prod(t), torch.prod, [flat], None, [rng.normal(size=4)])


def test_a_long_cumprod_gradient_matches_the_recurrence():
    # The doubling scan behind cumprod's vjp against the product of the others, term by term.
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 1.5, size=150)
    x[[17, 100]] = 0.0
    g = rng.normal(size=150)
    t = Tensor(x, requires_grad=True)
    al.cumprod(t).backward(Tensor(g))
    out = np.cumprod(x)
    expected = np.array(
        [sum(g[i] * _without(x[: i + 1], j) for i in range(j, 150)) for j in range(150)]
    )
    np.testing.assert_allclose(t.grad.data, expected, rtol=1e-10, atol=1e-12 * np.abs(out).max())


# ---- hypothesis: shapes and axes against numpy and finite differences ------------------------


@st.composite
def _array_and_axes(draw, tuple_axes=True):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    choices = [st.none(), st.integers(-ndim, ndim - 1)]
    if tuple_axes:
        choices.append(
            st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
        )
    axis = draw(st.one_of(*choices))
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).uniform(-2, 2, size=shape), axis, seed


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's, where N - ddof <= 0
@settings(max_examples=12, deadline=None)
@given(case=_array_and_axes(), keepdims=st.booleans(), ddof=st.sampled_from([0, 1]))
def test_prod_var_std_match_numpy_and_finite_differences(case, keepdims, ddof):
    x, axis, seed = case
    count = x.size if axis is None else int(np.prod(np.take(x.shape, axis)))
    fns = {
        "prod": (lambda t: al.prod(t, axis, keepdims), np.prod(x, axis, keepdims=keepdims)),
        "var": (
            lambda t: t.var(axis, ddof, keepdims),
            np.var(x, axis, ddof=ddof, keepdims=keepdims),
        ),
        "std": (
            lambda t: al.std(t, axis, ddof, keepdims),
            np.std(x, axis, ddof=ddof, keepdims=keepdims),
        ),
    }
    for name, (f, expected) in fns.items():
        out = f(Tensor(x))
        assert out.shape == np.shape(expected), name
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15, err_msg=name)
        if name != "prod" and count <= ddof:
            continue  # divided by 0: inf or nan, nothing to differentiate
        check_first_and_second_order(f, x, seed=seed, what=f"{name} axis={axis}")


@settings(max_examples=12, deadline=None)
@given(case=_array_and_axes(tuple_axes=False))
def test_cumprod_matches_numpy_and_finite_differences(case):
    x, axis, seed = case
    out = al.cumprod(Tensor(x), axis)
    np.testing.assert_allclose(out.data, np.cumprod(x, axis), rtol=1e-13)
    check_first_and_second_order(lambda t: t.cumprod(axis), x, seed=seed, what=f"cumprod {axis}")


@settings(max_examples=20, deadline=None)
@given(case=_array_and_axes(tuple_axes=False), keepdims=st.booleans())
def test_argmax_argmin_all_any_are_numpys_and_record_nothing(case, keepdims):
    x, axis, _ = case
    x = np.round(x)  # ties, and zeros for all/any
    x.flat[0] = np.nan if x.size > 2 else x.flat[0]
    t = Tensor(x, requires_grad=True)
    for name in ("argmax", "argmin", "all", "any"):
        for result in (getattr(al, name)(t, axis, keepdims), getattr(t, name)(axis, keepdims)):
            expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
            assert not isinstance(result, al.Tensor) and type(result) is type(expected), name
            np.testing.assert_array_equal(result, expected)
            assert np.asarray(result).dtype == np.asarray(expected).dtype
    assert t.grad is None


# ---- the other functions: Values, numpy dispatch, dtypes, conventions ------------------------


def test_values_reduce_like_numpy_zero_d_arrays():
    v = Value(3.0)
    assert al.prod(v) is v
    assert al.var(v).data == 0.0 and al.std(v).data == 0.0
    c = al.cumprod(v)
    assert isinstance(c, Tensor) and c.shape == (1,)
    c.backward(Tensor([2.0]))
    assert v.grad == 2.0
    assert al.argmax(v) == 0 and al.all(Value(0.0)) == np.False_ and al.any(v) == np.True_
    assert al.argmax([v, Value(5.0), v]) == 1


@pytest.mark.parametrize(
    "call, shape, grad",  # grad: d/dv sum(out**2) at v = 3
    [
        (lambda v: al.reshape(v, (1, 1)), (1, 1), 6.0),
        (lambda v: np.reshape(v, (-1,)), (1,), 6.0),
        (lambda v: np.transpose(v), (), 6.0),
        (lambda v: al.broadcast_to(v, (3,)), (3,), 18.0),
        (lambda v: al.outer(v, np.array([1.0, 2.0])), (1, 2), 30.0),
        (lambda v: np.outer(np.array([1.0, 2.0]), v), (2, 1), 30.0),
    ],
)
def test_values_reshape_and_broadcast_like_numpy_zero_d_arrays(call, shape, grad):
    v = Value(3.0)
    out = call(v)
    assert isinstance(out, Tensor) and out.shape == shape
    al.sum(out * out).backward()
    assert v.grad == grad


@pytest.mark.parametrize(
    "reduce",
    [al.sum, al.mean, al.max, al.min, al.logsumexp, al.prod, al.var, al.std, ops.norm],
)
@pytest.mark.parametrize("make", [Value, lambda x: Tensor(x, requires_grad=True)])
@pytest.mark.parametrize("axis", [0, -1, 1, (0,)])
def test_a_scalar_has_no_axis_to_reduce_as_numpys_zero_d_array(reduce, make, axis):
    """numpy's var (and every reduction given a tuple) refuses any axis of a 0-d array; a
    Value used to ignore the axis, var and std of a 0-d Tensor raised IndexError."""
    x = make(0.5)
    bad = axis if isinstance(axis, int) else axis[0]
    with pytest.raises(ValueError, match=f"axis {bad} is out of bounds for an array of dim"):
        reduce(x, axis=axis)
    assert np.shape(reduce(x, axis=None).data) == ()


def test_numpy_functions_dispatch_to_the_recorded_ops():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    t = Tensor(x, requires_grad=True)
    pairs = [
        (np.prod(t, axis=1), np.prod(x, axis=1)),
        (np.cumprod(t, axis=0), np.cumprod(x, axis=0)),
        (np.var(t, axis=0, ddof=1), np.var(x, axis=0, ddof=1)),
        (np.std(t), np.std(x)),
        (np.sinc(t), np.sinc(x)),
        (np.deg2rad(t), np.deg2rad(x)),
        (np.radians(t), np.radians(x)),
        (np.rad2deg(t), np.rad2deg(x)),
        (np.degrees(t), np.degrees(x)),
        (np.remainder(t, 0.75), np.remainder(x, 0.75)),
        (np.mod(2.0, t), np.mod(2.0, x)),
        (t % -0.75, x % -0.75),
        (1.5 % t, 1.5 % x),
        (np.broadcast_to(t, (2, 2, 3)), np.broadcast_to(x, (2, 2, 3))),
        (np.broadcast_to(t[0], 3), np.broadcast_to(x[0], 3)),
    ]
    for ours, theirs in pairs:
        assert isinstance(ours, Tensor) and ours.requires_grad
        np.testing.assert_allclose(ours.data, theirs, rtol=1e-15)
    assert np.argmax(t) == np.argmax(x) and np.argmin(t, axis=0).tolist() == [0, 0, 1]
    assert np.all(t) == np.True_ and np.any(t, axis=1).tolist() == [True, True]


def test_float32_stays_float32():
    t = Tensor(np.array([[1.0, 0.0], [2.0, -3.0]]), dtype=np.float32, requires_grad=True)
    for f in (al.prod, al.cumprod, al.var, al.std, al.sinc, al.deg2rad, lambda a: a % 0.7):
        t.grad = None
        out = f(t)
        assert out.dtype == np.float32, f
        out.sum().backward()
        assert t.grad.dtype == np.float32, f


def test_var_and_std_divide_by_n_minus_ddof_as_numpy():
    x = np.array([[1.0, 2.0, 4.0], [0.5, 0.5, 3.5]])
    for ddof in (0, 1, 2, 2.5):
        np.testing.assert_allclose(al.var(x, axis=1, ddof=ddof), np.var(x, axis=1, ddof=ddof))
        np.testing.assert_allclose(al.std(x, ddof=ddof), np.std(x, ddof=ddof))
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns "Degrees of freedom <= 0"
        for ddof in (3, 4):
            for fn in ("var", "std"):
                expected = getattr(np, fn)(x, axis=1, ddof=ddof)  # inf (no division by < 0)
                np.testing.assert_array_equal(getattr(al, fn)(Tensor(x), 1, ddof).data, expected)
        single = np.var([[2.0], [2.0]], axis=1, ddof=1)  # 0 / 0
        np.testing.assert_array_equal(al.var(Tensor([[2.0], [2.0]]), 1, 1).data, single)


def test_std_at_zero_variance_has_gradient_zero_and_a_nan_second_derivative():
    # PyTorch's first derivative (0, as norm's at 0); the Hessian there is unbounded: nan
    # (torch's double backward gives 0). README "Numerics and conventions".
    x = Tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], requires_grad=True)
    al.std(x, axis=1).sum().backward(create_graph=True)
    g = x.grad
    np.testing.assert_array_equal(g.data[0], [0.0, 0.0, 0.0])
    x.grad = None
    (g * np.array([[1.0, 0.0, -1.0], [1.0, 0.0, -1.0]])).sum().backward()
    assert np.isnan(x.grad.data[0]).all() and np.isfinite(x.grad.data[1]).all()


# ---- sinc, mod -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order, expected",
    [(0, 1.0), (1, 0.0), (2, -(np.pi**2) / 3), (3, 0.0), (4, np.pi**4 / 5), (5, 0.0)],
)
def test_sinc_derivatives_of_every_order_are_exact_at_zero(order, expected):
    # sinc(x) = sum_k (-1)^k (pi x)^(2k) / (2k + 1)!: the 2k-th derivative at 0 is
    # (-1)^k pi^(2k) / (2k + 1), the odd ones 0. Value and Tensor alike.
    for x0 in (0.0, Tensor(0.0)):
        got = al.derivative(al.sinc, order)(x0)
        assert float(got) == pytest.approx(expected, rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("x0", [0.0, 0.5])
def test_sinc_gives_a_value_a_python_float_gradient(x0):
    # The README's promise for every op; sinc's derivative op had no float forward, so a
    # Value's .grad was a numpy.float64 (whose .data is a memoryview, not the number).
    v = Value(x0)
    al.sinc(v).backward()
    assert type(v.grad) is float and v.grad == pytest.approx(float(al.derivative(al.sinc)(x0)))
    w = Value(x0)
    al.sinc(w).backward(create_graph=True)
    assert type(w.grad.data) is float


def test_sinc_derivatives_keep_their_precision_near_zero():
    # The closed form (cos(pi x) - sinc(x)) / x cancels to 0 at x = 1e-8; the series does not.
    for x0 in (1e-8, -3e-5, 0.6366, 0.6367):  # the last two straddle the switch at |pi x| = 2
        d1 = al.derivative(al.sinc, 1)(x0)
        d2 = al.derivative(al.sinc, 2)(x0)
        u = np.pi * x0
        exact_d1 = np.pi * (u * np.cos(u) - np.sin(u)) / u**2 if abs(u) > 0.1 else -np.pi * u / 3
        assert d1 == pytest.approx(exact_d1, rel=1e-6 if abs(u) <= 0.1 else 1e-12)
        if abs(u) < 1e-4:
            assert d2 == pytest.approx(-(np.pi**2) / 3, rel=1e-8)
    near = np.array([-0.6366, 0.6367, 1e-9])
    np.testing.assert_allclose(
        ops._sinc_derivative_array(near, 3), [-f for f in ops._sinc_derivative_array(-near, 3)]
    )


def test_mod_follows_pythons_sign_rule_and_torchs_derivatives():
    xs = [7.5, -7.5, 0.0, 1.0, -1e-300, 5.0, -5.0]
    ys = [2.0, -2.0, 0.1, np.inf, -np.inf, 3.0]
    for x0 in xs:
        for y0 in ys:
            a, b = Value(x0), Value(y0)
            out = a % b
            with np.errstate(all="ignore"):
                assert _same(out.data, np.remainder(x0, y0)), (x0, y0)
                q = np.floor_divide(x0, y0)
            out.backward()
            assert a.grad == 1.0 and _same(b.grad, -q), (x0, y0, b.grad)
    # 1 // 0.1 is 9 (0.1 is a little above 1/10): the remainder's own quotient, not floor(1/0.1)
    y = Tensor([0.1], requires_grad=True)
    (1.0 % y).sum().backward()
    assert y.grad.data.tolist() == [-9.0]
    with np.errstate(all="ignore"):
        assert np.isnan((Value(3.0) % 0.0).data) and np.isnan(al.mod(np.inf, 2.0))


def _same(a, b):
    return (np.isnan(a) and np.isnan(b)) or a == b


# ---- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda t: al.prod(t, axis=2), ValueError, ["prod", "axis 2"]),
        (lambda t: al.prod(t, axis=(0, 0)), ValueError, ["prod", "repeats"]),
        (lambda t: al.prod(t, axis=1.0), TypeError, ["prod", "1.0"]),
        (lambda t: al.var(t, axis=-3), ValueError, ["var", "axis -3"]),
        (lambda t: al.std(t, axis=(0, 5)), ValueError, ["std", "axis 5"]),
        (lambda t: al.var(t, ddof="1"), TypeError, ["var", "ddof", "'1'"]),
        (lambda t: al.cumprod(t, axis=2), ValueError, ["cumprod", "axis 2"]),
        (lambda t: al.cumprod(t, axis=True), TypeError, ["cumprod", "True"]),
        (lambda t: al.argmax(t, axis=3), ValueError, ["axis 3"]),
        (lambda t: al.any(t, axis=-4), ValueError, ["axis -4"]),
    ],
)
def test_bad_axes_raise_naming_them_and_change_nothing(call, error, words):
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (t * t).sum()
    y.backward()
    before = t.grad.data.copy()
    with pytest.raises(error) as info:
        call(t * 2.0)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    np.testing.assert_array_equal(t.grad.data, before)
    y.backward()  # the graph is intact
    np.testing.assert_array_equal(t.grad.data, 2 * before)


def test_cumprod_gradient_past_the_float_range_follows_the_recurrence():
    # s[0] = g[0] + x[1] (g[1] + x[2] g[2]) = 1 + 1e300: finite, as the recurrence reads it;
    # the doubling scan would form x[1] x[2] = inf first, and inf * g[2] = inf * 0 = nan.
    x = Tensor([1000.0, 1e300, 1e300], requires_grad=True)
    with np.errstate(over="ignore"):
        al.cumprod(x).backward(Tensor([1.0, 1.0, 0.0]))
    np.testing.assert_array_equal(x.grad.data, [1e300, 1000.0, 0.0])


@pytest.mark.parametrize("x0", [0.0, 2.0, -1.5])
def test_products_differentiate_to_any_order(x0):
    # The scan's vjp is the scan run backwards, so every order is recorded: here to the 4th.
    def series(x):  # x + x**2 + x**3 + x**4
        return al.sum(al.cumprod(al.stack([x, x, x, x])))

    def cube(x):  # 2 x**3
        return al.prod(al.stack([x, x, x, 2.0]))

    expected = [1 + 2 * x0 + 3 * x0**2 + 4 * x0**3, 2 + 6 * x0 + 12 * x0**2, 6 + 24 * x0, 24]
    assert [float(al.derivative(series, n)(x0)) for n in (1, 2, 3, 4)] == expected
    assert [float(al.derivative(cube, n)(x0)) for n in (1, 2, 3, 4)] == [6 * x0**2, 12 * x0, 12, 0]


# ---------------------------------------------------------------------------------------
# products: PyTorch as the oracle to second order, numpy for values, and bad input

try:  # PyTorch is the oracle (pip install torch==2.13.0); without it these tests skip
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle: not installed")

# name -> (autograd_lite function, torch function, input shapes)
PRODUCT_ORACLE = {
    "einsum_matmul": ("ij,jk->ik", [(3, 4), (4, 2)]),
    "einsum_trace": ("ii", [(4, 4)]),
    "einsum_diagonal": ("ii->i", [(3, 3)]),
    "einsum_batched": ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    "einsum_ellipsis": ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    "einsum_sum_all": ("ij->", [(3, 4)]),
    "einsum_outer": ("i,j->ij", [(3,), (4,)]),
    "einsum_bilinear": ("i,ij,j->", [(3,), (3, 4), (4,)]),
    "einsum_transpose_implicit": ("ba", [(2, 3)]),
    "einsum_diagonal_product": ("ii,ij->j", [(3, 3), (3, 4)]),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(PRODUCT_ORACLE))
def test_einsum_against_torch_to_second_order(name):
    spec, shapes_ = PRODUCT_ORACLE[name]
    rng = np.random.default_rng(len(name))
    xs = [rng.normal(size=s) for s in shapes_]
    out_shape = np.einsum(spec, *xs).shape
    w, v = rng.normal(size=out_shape), [rng.normal(size=s) for s in shapes_]
    mine = oracle.ours(lambda *ts: al.einsum(spec, *ts) ** 2, xs, w, v)
    ref = oracle.theirs(lambda *ts: torch.einsum(spec, *ts) ** 2, xs, w, v)
    assert not oracle.compare(mine, ref, rtol=1e-9), oracle.compare(mine, ref, rtol=1e-9)


OTHER_PRODUCTS = (
    {}
    if torch is None
    else {
        "tensordot_int": (
            lambda a, b: al.tensordot(a, b, 2),
            lambda a, b: torch.tensordot(a, b, 2),
            [(3, 4, 2), (4, 2, 3)],
        ),
        "tensordot_pairs": (
            lambda a, b: al.tensordot(a, b, ([0, 2], [2, 0])),
            lambda a, b: torch.tensordot(a, b, ([0, 2], [2, 0])),
            [(2, 3, 4), (4, 1, 2)],
        ),
        "kron": (al.kron, torch.kron, [(2, 3), (3, 2)]),
        "kron_3d": (al.kron, torch.kron, [(2, 1, 2), (2, 2)]),
        "dot_3d_2d": (  # numpy's dot: a's last axis with b's second-to-last
            al.dot,
            lambda a, b: torch.tensordot(a, b, ([2], [0])),
            [(2, 3, 4), (4, 2)],
        ),
        "dot_3d_3d": (
            al.dot,
            lambda a, b: torch.tensordot(a, b, ([2], [1])),
            [(2, 3, 4), (2, 4, 3)],
        ),
        "inner": (al.inner, torch.inner, [(2, 3), (4, 3)]),
        "vdot": (al.vdot, lambda a, b: torch.vdot(a.reshape(-1), b.reshape(-1)), [(2, 3), (3, 2)]),
    }
)


@needs_torch
@pytest.mark.parametrize("name", sorted(OTHER_PRODUCTS))
def test_products_against_torch_to_second_order(name):
    al_fn, torch_fn, shapes_ = OTHER_PRODUCTS[name]
    rng = np.random.default_rng(len(name) + 7)
    xs = [rng.normal(size=s) for s in shapes_]
    out_shape = tuple(torch_fn(*[torch.tensor(x) for x in xs]).shape)
    w, v = rng.normal(size=out_shape), [rng.normal(size=s) for s in shapes_]
    mine = oracle.ours(lambda *ts: al_fn(*ts) ** 2, xs, w, v)
    ref = oracle.theirs(lambda *ts: torch_fn(*ts) ** 2, xs, w, v)
    assert not oracle.compare(mine, ref, rtol=1e-9), oracle.compare(mine, ref, rtol=1e-9)


batch_pairs = st.lists(st.sampled_from([(1, 1), (1, 2), (2, 1), (2, 2), (3, 3)]), max_size=2)


@needs_torch
@settings(max_examples=40, deadline=None)
@given(batch_pairs, st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 99))
def test_einsum_broadcasting_batched_matmul_matches_numpy_and_torch(pairs, m, n, p, seed):
    rng = np.random.default_rng(seed)
    ba, bb = tuple(a for a, _ in pairs), tuple(b for _, b in pairs)
    drop = rng.integers(0, len(ba) + 1)  # the first operand may have fewer batch axes
    a, b = rng.normal(size=ba[drop:] + (m, n)), rng.normal(size=bb + (n, p))
    spec = "...ij,...jk->...ik"
    out = al.einsum(spec, al.Tensor(a), al.Tensor(b))
    np.testing.assert_allclose(out.data, np.einsum(spec, a, b), rtol=1e-12, atol=1e-12)
    w = rng.normal(size=out.shape)
    v = [rng.normal(size=a.shape), rng.normal(size=b.shape)]
    mine = oracle.ours(lambda x, y: al.einsum(spec, x, y) ** 2, [a, b], w, v)
    ref = oracle.theirs(lambda x, y: torch.einsum(spec, x, y) ** 2, [a, b], w, v)
    assert not oracle.compare(mine, ref, rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(0, 2), st.integers(0, 99))
def test_tensordot_matches_numpy_for_drawn_axes(ndim_extra, n_summed, seed):
    rng = np.random.default_rng(seed)
    summed = tuple(rng.integers(1, 4, size=n_summed))
    a_shape = tuple(rng.integers(1, 4, size=ndim_extra)) + summed
    b_shape = summed + tuple(rng.integers(1, 4, size=ndim_extra))
    perm = rng.permutation(len(a_shape))  # the summed axes anywhere in a
    a = rng.normal(size=a_shape).transpose(perm)
    b = rng.normal(size=b_shape)
    ax_a = [int(np.where(perm == ndim_extra + k)[0][0]) for k in range(n_summed)]
    axes = (ax_a, list(range(n_summed)))
    np.testing.assert_allclose(
        al.tensordot(a, b, axes), np.tensordot(a, b, axes), rtol=1e-12, atol=1e-12
    )
    check_first_and_second_order(lambda x, y: al.tensordot(x, y, axes) ** 2, a, b, seed=seed)


def test_einsum_implicit_output_is_numpys_ascii_order_and_takes_values():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3) + 1
    np.testing.assert_array_equal(al.einsum("Ab,ab", a, b), np.einsum("Ab,ab", a, b))
    v = al.Value(3.0)
    y = al.einsum(",i->i", v, al.Tensor([1.0, 2.0]))
    y.sum().backward()
    assert y.data.tolist() == [3.0, 6.0] and v.grad == 3.0


def test_numpy_dispatches_products_to_autograd_lite():
    t = al.Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    m = np.arange(8.0).reshape(4, 2)
    for y, ref in [
        (np.dot(t, m), np.dot(t.data, m)),
        (np.einsum("ijk->k", t), np.einsum("ijk->k", t.data)),
        (np.tensordot(t, m, 1), np.tensordot(t.data, m, 1)),
        (np.kron(t, m), np.kron(t.data, m)),
        (np.inner(t, m.T), np.inner(t.data, m.T)),
        (np.vdot(t, t), np.vdot(t.data, t.data)),
        (t.dot(m), t.data.dot(m)),
    ]:
        assert isinstance(y, al.Tensor) and y.requires_grad
        np.testing.assert_allclose(y.data, ref)


BAD_PRODUCTS = [
    (lambda a, b: al.einsum("ij,jk->ik", a), "1 operand", [(2, 3)]),
    (lambda a, b: al.einsum("ijk,jk->ik", a, b), r"'ijk'.*\(2, 3\)", [(2, 3), (3, 4)]),
    (lambda a, b: al.einsum("ij,jk->ik", a, b), r"label 'j'.*\(4, 4\)", [(2, 3), (4, 4)]),
    (lambda a, b: al.einsum("ij,jk->iz", a, b), "'z'.*never appears", [(2, 3), (3, 4)]),
    (lambda a, b: al.einsum("ij,jk->ii", a, b), "'i'.*more than once", [(2, 3), (3, 4)]),
    (lambda a, b: al.einsum("...j,jk->k", a, b), r"no '\.\.\.' in the output", [(2, 3), (3, 4)]),
    (lambda a, b: al.einsum("i1,jk", a, b), "invalid subscript term 'i1'", [(2, 3), (3, 4)]),
    (lambda a, b: al.tensordot(a, b, 2), r"\(2, 3\) and \(3, 4\)", [(2, 3), (3, 4)]),
    (lambda a, b: al.tensordot(a, b, ([0], [1, 0])), r"\(2, 3\) and \(3, 4\)", [(2, 3), (3, 4)]),
    (lambda a, b: al.dot(a, b), r"dot: shapes \(2, 3, 4\) and \(3, 2\)", [(2, 3, 4), (3, 2)]),
    (lambda a, b: al.inner(a, b), r"inner: shapes \(2, 3\) and \(4,\)", [(2, 3), (4,)]),
    (lambda a, b: al.vdot(a, b), r"vdot: shapes \(2, 3\) and \(5,\)", [(2, 3), (5,)]),
]


@pytest.mark.parametrize("fn, message, shapes_", BAD_PRODUCTS)
def test_bad_products_name_the_shapes_and_leave_the_graph_alone(fn, message, shapes_):
    ts = [al.Tensor(np.ones(s), requires_grad=True) for s in shapes_]
    (ts[0] * 2).sum().backward()
    before = ts[0].grad.data.copy()
    args = ts + [None] * (2 - len(ts))
    with pytest.raises(ValueError, match=message):
        fn(*args)
    np.testing.assert_array_equal(ts[0].grad.data, before)


def test_tensordot_axis_out_of_range_is_named():
    with pytest.raises(np.exceptions.AxisError, match="axis 5"):
        al.tensordot(np.ones((2, 3)), np.ones((3, 2)), ([5], [0]))
