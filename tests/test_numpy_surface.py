"""numpy's reductions, shape functions and products: gradients to second order against
finite differences, one table per module, and every public function of the module in it."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.core import products, reductions, shapes

from .helpers import check_first_and_second_order

# name -> (function of Tensors, input shapes); inputs are drawn standard normal.
REDUCTIONS = {
    "cumsum_axis": (lambda x: al.cumsum(x, axis=1) ** 3, [(3, 4)]),
    "cumsum_flat": (lambda x: al.cumsum(x) ** 3, [(2, 3)]),
    "cumsum_method": (lambda x: x.cumsum(0) ** 3, [(3, 2)]),
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
    keys = TABLES[module]
    missing = {f for f in module.__all__ if not any(k.startswith(f + "_") for k in keys)}
    assert not missing, f"{module.__name__}: functions missing from the gradient table: {missing}"
