"""numpy's reductions, shape functions and products: gradients to second order against
finite differences, one table per module, and every public function of the module in it."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.core import products, reductions, shapes

from .helpers import check_first_and_second_order

# name -> (function of Tensors, input shapes); inputs are drawn standard normal.
REDUCTIONS = {
    "cumsum_axis": (lambda x: al.cumsum(x, axis=1), [(3, 4)]),
    "cumsum_flat": (lambda x: al.cumsum(x), [(2, 3)]),
    "cumsum_method": (lambda x: x.cumsum(0), [(3, 2)]),
}
SHAPES = {
    "flip_axis": (lambda x: al.flip(x, 1) * np.arange(12.0).reshape(3, 4), [(3, 4)]),
    "flip_all": (lambda x: al.flip(x) * np.arange(6.0), [(6,)]),
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
    covered = {name.partition("_")[0] for name in TABLES[module]}
    missing = set(module.__all__) - covered
    assert not missing, f"{module.__name__}: functions missing from the gradient table: {missing}"


# ---------------------------------------------------------------------------------------
# products: PyTorch as the oracle to second order, numpy for values, and bad input

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .peers._oracle import compare, ours, theirs  # noqa: E402

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


@pytest.mark.parametrize("name", sorted(PRODUCT_ORACLE))
def test_einsum_against_torch_to_second_order(name):
    spec, shapes_ = PRODUCT_ORACLE[name]
    rng = np.random.default_rng(len(name))
    xs = [rng.normal(size=s) for s in shapes_]
    out_shape = np.einsum(spec, *xs).shape
    w, v = rng.normal(size=out_shape), [rng.normal(size=s) for s in shapes_]
    mine = ours(lambda *ts: al.einsum(spec, *ts) ** 2, xs, w, v)
    ref = theirs(lambda *ts: torch.einsum(spec, *ts) ** 2, xs, w, v)
    assert not compare(mine, ref, rtol=1e-9), compare(mine, ref, rtol=1e-9)


OTHER_PRODUCTS = {
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


@pytest.mark.parametrize("name", sorted(OTHER_PRODUCTS))
def test_products_against_torch_to_second_order(name):
    al_fn, torch_fn, shapes_ = OTHER_PRODUCTS[name]
    rng = np.random.default_rng(len(name) + 7)
    xs = [rng.normal(size=s) for s in shapes_]
    out_shape = tuple(torch_fn(*[torch.tensor(x) for x in xs]).shape)
    w, v = rng.normal(size=out_shape), [rng.normal(size=s) for s in shapes_]
    mine = ours(lambda *ts: al_fn(*ts) ** 2, xs, w, v)
    ref = theirs(lambda *ts: torch_fn(*ts) ** 2, xs, w, v)
    assert not compare(mine, ref, rtol=1e-9), compare(mine, ref, rtol=1e-9)


batch_pairs = st.lists(st.sampled_from([(1, 1), (1, 2), (2, 1), (2, 2), (3, 3)]), max_size=2)


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
    mine = ours(lambda x, y: al.einsum(spec, x, y) ** 2, [a, b], w, v)
    ref = theirs(lambda x, y: torch.einsum(spec, x, y) ** 2, [a, b], w, v)
    assert not compare(mine, ref, rtol=1e-9)


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
