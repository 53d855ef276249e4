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
