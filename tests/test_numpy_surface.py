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
    "diff_default": (lambda x: al.diff(x) ** 2, [(3, 4)]),
    "diff_n2_axis0_prepend": (lambda x: al.diff(x, n=2, axis=0, prepend=x[:1] * 3.0), [(3, 2)]),
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
