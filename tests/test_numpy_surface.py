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
SHAPES = {
    "flip_axis": (lambda x: al.flip(x, 1) * np.arange(12.0).reshape(3, 4), [(3, 4)]),
    "flip_all": (lambda x: al.flip(x) * np.arange(6.0), [(6,)]),
}
PRODUCTS: dict = {}
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
