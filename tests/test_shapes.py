"""numpy's shape functions (core/shapes.py) beyond their table in test_numpy_surface.py:
hypothesis-drawn shapes, axes and parameters against numpy with an exact oracle for the
first and second derivative, PyTorch as an oracle at ordinary and special points, Values
and raw data as inputs, and bad input.

The exact oracle: each of these functions copies elements of its input (or writes zeros),
so it is linear, and its vjp sends each output's cotangent to the element it copies. Run
numpy's function on the element numbers 1..n (0 for nothing) and `np.bincount` of the
result, weighted by the cotangent, is the vjp; no finite differences needed.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autograd_lite as al
from autograd_lite import Tensor, Value

from .peers._oracle import check


def _copy_vjp(np_fn, shape, w):
    """The vjp of np_fn (which copies elements of an array of `shape`, or writes zeros) for
    the cotangent w: each element's copies' cotangents, summed."""
    size = int(np.prod(shape))
    numbers = np.arange(1, size + 1, dtype=float).reshape(shape)
    source = np.asarray(np_fn(numbers)).astype(np.int64).ravel()
    return np.bincount(source, weights=np.ravel(w), minlength=size + 1)[1:].reshape(shape)


def _check_against_numpy(al_fn, np_fn, x, seed=0):
    """Value equal to numpy's; gradient of sum(f(x)**2 w) and its derivative along v exact.

    With J the copy, that gradient is J^T(2 J(x) w) and its derivative along v is
    J^T(2 J(v) w); J(v) is numpy's function on v and J^T the bincount above.
    """
    rng = np.random.default_rng(seed)
    expected = np.asarray(np_fn(x))
    t = Tensor(x, requires_grad=True)
    out = al_fn(t)
    assert out.shape == expected.shape
    assert np.array_equal(out.data, expected)
    w, v = rng.normal(size=expected.shape), rng.normal(size=x.shape)
    (out * out * w).sum().backward(create_graph=True)
    g = t.grad
    np.testing.assert_allclose(g.data, _copy_vjp(np_fn, x.shape, 2 * expected * w), atol=1e-12)
    t.grad = None
    hv_expected = _copy_vjp(np_fn, x.shape, 2 * np.asarray(np_fn(v)) * w)
    if g.requires_grad:
        (g * v).sum().backward()
        hv = t.grad.data if t.grad is not None else np.zeros(x.shape)
    else:  # a gradient that does not depend on x: possible only where it is zero
        hv = np.zeros(x.shape)
    np.testing.assert_allclose(hv, hv_expected, atol=1e-12)


def _flat(pieces, join):
    """A list of arrays as one vector (to check split's pieces together)."""
    return join([p.reshape((-1,)) for p in pieces]) if pieces else np.zeros(0)


def _axis_in(draw, n):
    return draw(st.integers(-n, n - 1))


def _two_axes(draw, n):
    i = _axis_in(draw, n)
    j = draw(st.integers(-n, n - 1).filter(lambda j: (j - i) % n != 0))
    return i, j


# name -> function (hypothesis draw, shape) -> (autograd_lite function, numpy function), or
# None when the shape does not suit the function.
def _squeeze(draw, shape):
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = (
        draw(st.none() | st.lists(st.sampled_from(ones), unique=True).map(tuple)) if ones else None
    )
    return lambda x: al.squeeze(x, axis), lambda x: np.squeeze(x, axis)


def _expand_dims(draw, shape):
    k = draw(st.integers(1, 3))
    m = len(shape) + k
    axis = tuple(draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k, unique=True)))
    axis = tuple(a - m if draw(st.booleans()) else a for a in axis)
    return lambda x: al.expand_dims(x, axis), lambda x: np.expand_dims(x, axis)


def _ravel(draw, shape):
    order = draw(st.sampled_from("CF"))
    if draw(st.booleans()):
        return lambda x: x.flatten(order), lambda x: x.flatten(order)
    return lambda x: al.ravel(x, order), lambda x: np.ravel(x, order)


def _swapaxes(draw, shape):
    if not shape:
        return None
    i, j = _axis_in(draw, len(shape)), _axis_in(draw, len(shape))
    return lambda x: al.swapaxes(x, i, j), lambda x: np.swapaxes(x, i, j)


def _moveaxis(draw, shape):
    n = len(shape)
    if not n:
        return None
    k = draw(st.integers(1, n))
    src = draw(st.permutations(range(n)))[:k]
    dst = draw(st.permutations(range(-n, 0)))[:k]
    return lambda x: al.moveaxis(x, src, dst), lambda x: np.moveaxis(x, src, dst)


def _rot90(draw, shape):
    if len(shape) < 2:
        return None
    k, axes = draw(st.integers(-5, 5)), _two_axes(draw, len(shape))
    return lambda x: al.rot90(x, k, axes), lambda x: np.rot90(x, k, axes)


def _roll(draw, shape):
    n = len(shape)
    if n and draw(st.booleans()):
        axis = tuple(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3)))
        shift = tuple(draw(st.lists(st.integers(-7, 7), min_size=len(axis), max_size=len(axis))))
    else:
        axis, shift = None, draw(st.integers(-7, 7))
    return lambda x: al.roll(x, shift, axis), lambda x: np.roll(x, shift, axis)


def _repeat(draw, shape):
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    n = int(np.prod(shape)) if axis is None else shape[axis]
    if draw(st.booleans()):
        repeats = draw(st.integers(0, 3))
    else:
        repeats = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return lambda x: al.repeat(x, repeats, axis), lambda x: np.repeat(x, repeats, axis)


def _tile(draw, shape):
    reps = tuple(draw(st.lists(st.integers(0, 3), max_size=4)))
    return lambda x: al.tile(x, reps), lambda x: np.tile(x, reps)


def _pad(draw, shape):
    mode = draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    widths = tuple(
        (0, 0)
        if n == 0 and mode != "constant"
        else tuple(draw(st.lists(st.integers(0, 5), min_size=2, max_size=2)))
        for n in shape
    ) or draw(st.integers(0, 3))  # a 0-d array: numpy takes an int (and pads nothing)
    return lambda x: al.pad(x, widths, mode), lambda x: np.pad(x, widths, mode)


def _diagonal(draw, shape):
    if len(shape) < 2:
        return None
    offset, (i, j) = draw(st.integers(-4, 4)), _two_axes(draw, len(shape))
    return lambda x: al.diagonal(x, offset, i, j), lambda x: np.diagonal(x, offset, i, j)


def _diag(draw, shape):
    if len(shape) not in (1, 2):
        return None
    k = draw(st.integers(-4, 4))
    return lambda x: al.diag(x, k), lambda x: np.diag(x, k)


def _triangle(draw, shape):
    if not shape:
        return None
    k, name = draw(st.integers(-4, 4)), draw(st.sampled_from(["triu", "tril"]))
    return lambda x: getattr(al, name)(x, k), lambda x: getattr(np, name)(x, k)


def _take_along_axis(draw, shape):
    if not shape:
        return None
    axis = _axis_in(draw, len(shape))
    n = shape[axis]
    idx_shape = tuple(
        draw(st.integers(0, 4)) if i == axis else draw(st.sampled_from([m, 1]))
        for i, m in enumerate(shape)
    )
    if n == 0 and 0 not in idx_shape:
        return None  # nothing to take
    idx = np.array(
        draw(
            st.lists(
                st.integers(-n, n - 1),
                min_size=int(np.prod(idx_shape)),
                max_size=int(np.prod(idx_shape)),
            )
        )
        if n
        else [],
        dtype=np.int64,
    ).reshape(idx_shape)
    return lambda x: al.take_along_axis(x, idx, axis), lambda x: np.take_along_axis(x, idx, axis)


def _split(draw, shape):
    if not shape:
        return None
    axis = _axis_in(draw, len(shape))
    n = shape[axis]
    if draw(st.booleans()):
        cuts = draw(st.lists(st.integers(-n - 2, n + 2), max_size=4))
        name = draw(st.sampled_from(["split", "array_split"]))
    else:
        name = "array_split" if draw(st.booleans()) else "split"
        divisors = [d for d in range(1, 6) if name == "array_split" or n % d == 0]
        cuts = draw(st.sampled_from(divisors))
    return (
        lambda x: _flat(getattr(al, name)(x, cuts, axis), al.concatenate),
        lambda x: _flat(getattr(np, name)(x, cuts, axis), np.concatenate),
    )


def _append(draw, shape):
    other = draw(array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    values = np.arange(float(np.prod(other))).reshape(other) * 0  # zeros: no source
    return lambda x: al.append(x, values), lambda x: np.append(x, values)


DRAWERS = {
    "squeeze": _squeeze,
    "expand_dims": _expand_dims,
    "ravel": _ravel,
    "swapaxes": _swapaxes,
    "moveaxis": _moveaxis,
    "rot90": _rot90,
    "roll": _roll,
    "repeat": _repeat,
    "tile": _tile,
    "pad": _pad,
    "diagonal": _diagonal,
    "diag": _diag,
    "triangle": _triangle,
    "take_along_axis": _take_along_axis,
    "split": _split,
    "append": _append,
}


@pytest.mark.parametrize("name", sorted(DRAWERS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_drawn_shapes_and_axes_against_numpy(name, data):
    shape = data.draw(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), "shape")
    if name == "squeeze":  # make length-one axes likely
        shape = tuple(1 if data.draw(st.booleans()) else n for n in shape)
    fns = DRAWERS[name](data.draw, shape)
    if fns is None:
        return
    x = np.random.default_rng(len(shape)).normal(size=shape)
    _check_against_numpy(*fns, x)


# ---------------------------------------------------------------------------------------
# PyTorch as the oracle: value, vjp and Hessian-vector product, at random and special points.

INF, NAN = float("inf"), float("nan")


def _cubed(f):
    """f(x)**3: the second derivative then runs the vjp of f on a recorded cotangent."""
    return lambda *xs: f(*xs) ** 3


def _last_axis_pad(widths, mode, torch_mode, shape):
    """A case padding the last axis by widths = (before, after), in numpy's mode and torch's."""
    return (
        lambda x: al.pad(x, ((0, 0), widths), mode),
        lambda x: _torch().nn.functional.pad(x, widths, mode=torch_mode),
        [shape],
    )


# name -> (autograd_lite function, PyTorch function, input shapes)
TORCH_CASES = {
    "squeeze": (lambda x: al.squeeze(x, (0, 2)), lambda x: x.squeeze((0, 2)), [(1, 3, 1, 2)]),
    "expand_dims": (lambda x: al.expand_dims(x, -2), lambda x: x.unsqueeze(-2), [(3, 4)]),
    "ravel": (lambda x: x.ravel(), lambda x: x.flatten(), [(2, 3, 4)]),
    "flatten_F": (lambda x: x.flatten("F"), lambda x: x.permute(2, 1, 0).flatten(), [(2, 3, 4)]),
    "repeat": (lambda x: al.repeat(x, 3, 1), lambda x: x.repeat_interleave(3, 1), [(2, 3)]),
    "repeat_counts": (
        lambda x: al.repeat(x, [2, 0, 1], axis=-1),
        lambda x: x.repeat_interleave(_torch().tensor([2, 0, 1]), -1),
        [(2, 3)],
    ),
    "tile": (lambda x: al.tile(x, (2, 1, 3)), lambda x: x.tile((2, 1, 3)), [(2, 3)]),
    "fliplr": (al.fliplr, lambda x: x.fliplr(), [(3, 4)]),
    "flipud": (al.flipud, lambda x: x.flipud(), [(3, 4)]),
    "rot90": (lambda x: al.rot90(x, 3, (2, 0)), lambda x: x.rot90(3, (2, 0)), [(2, 3, 4)]),
    "roll": (
        lambda x: al.roll(x, (2, -1), (1, 0)),
        lambda x: x.roll((2, -1), (1, 0)),
        [(3, 4)],
    ),
    "roll_flat": (lambda x: al.roll(x, 5), lambda x: x.roll(5), [(3, 4)]),
    "diag_build": (lambda x: al.diag(x, 2), lambda x: x.diag(2), [(3,)]),
    "diag_extract": (lambda x: al.diag(x, -1), lambda x: x.diag(-1), [(4, 3)]),
    "diagonal": (
        lambda x: al.diagonal(x, 1, 2, 0),
        lambda x: x.diagonal(1, 2, 0),
        [(3, 2, 4)],
    ),
    "trace": (al.trace, lambda x: x.trace(), [(4, 3)]),
    "trace_batched": (
        lambda x: x.trace(-1, 1, 2),
        lambda x: x.diagonal(-1, 1, 2).sum(-1),
        [(2, 3, 3)],
    ),
    "triu": (lambda x: al.triu(x, -1), lambda x: x.triu(-1), [(2, 3, 4)]),
    "tril": (lambda x: al.tril(x, 1), lambda x: x.tril(1), [(4, 3)]),
    "pad_constant": (
        lambda x: al.pad(x, ((1, 2), (0, 3)), constant_values=1.5),
        lambda x: _torch().nn.functional.pad(x, (0, 3, 1, 2), value=1.5),
        [(2, 3)],
    ),
    "pad_edge": _last_axis_pad((2, 3), "edge", "replicate", (2, 3)),
    "pad_reflect": _last_axis_pad((2, 1), "reflect", "reflect", (2, 4)),
    "pad_wrap": _last_axis_pad((3, 2), "wrap", "circular", (2, 4)),
    "array_split": (
        lambda x: al.concatenate([p * (i + 1) for i, p in enumerate(al.array_split(x, 3, 1))], 1),
        lambda x: _torch().cat([p * (i + 1) for i, p in enumerate(x.tensor_split(3, 1))], 1),
        [(2, 5)],
    ),
    "split_points": (
        lambda x: al.split(x, [1, 3])[1] - al.split(x, [1, 3])[2][:2],
        lambda x: x.tensor_split([1, 3])[1] - x.tensor_split([1, 3])[2][:2],
        [(5, 2)],
    ),
    "swapaxes": (lambda x: x.swapaxes(-1, 0), lambda x: x.swapaxes(-1, 0), [(2, 3, 4)]),
    "moveaxis": (
        lambda x: al.moveaxis(x, (0, 2), (1, 0)),
        lambda x: x.moveaxis((0, 2), (1, 0)),
        [(2, 3, 4)],
    ),
    "append": (
        al.append,
        lambda x, y: _torch().cat([x.flatten(), y.flatten()]),
        [(2, 3), (4,)],
    ),
    "append_axis": (
        lambda x, y: al.append(x, y, axis=0),
        lambda x, y: _torch().cat([x, y], 0),
        [(2, 3), (1, 3)],
    ),
    "take_along_axis": (
        lambda x: al.take_along_axis(x, np.array([[0, 2, 2, 0], [1, 1, 1, 1]]), 1),
        lambda x: x.take_along_dim(_torch().tensor([[0, 2, 2, 0], [1, 1, 1, 1]]), 1),
        [(2, 3)],
    ),
}


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")


def _special(shape, seed):
    """Normal draws with 0, -0.0, a tie, +-inf and NaN put in (as many as fit)."""
    x = np.random.default_rng(seed).normal(size=shape).ravel()
    specials = [0.0, -0.0, INF, -INF, NAN]
    x[: len(specials)] = specials[: x.size]
    if x.size > len(specials) + 1:
        x[-1] = x[-2]  # a tie
    return np.random.default_rng(seed).permutation(x).reshape(shape)


@pytest.mark.parametrize("point", ["random", "special"])
@pytest.mark.parametrize("cubed", [False, True], ids=["linear", "cubed"])
@pytest.mark.parametrize("name", sorted(TORCH_CASES))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_against_torch(name, cubed, point):
    torch = _torch()
    al_fn, torch_fn, shapes = TORCH_CASES[name]
    if cubed:
        al_fn, torch_fn = _cubed(al_fn), _cubed(torch_fn)
    rng = np.random.default_rng(len(name))
    if point == "random":
        xs = [rng.normal(size=s) for s in shapes]
    else:
        xs = [_special(s, i) for i, s in enumerate(shapes)]
    out_shape = tuple(torch_fn(*[torch.tensor(x) for x in xs]).shape)
    check(al_fn, torch_fn, xs, w=rng.normal(size=out_shape), v=[rng.normal(size=s) for s in shapes])


# ---------------------------------------------------------------------------------------
# Values (numpy's 0-d arrays), raw data, numpy dispatch and methods.


@pytest.mark.parametrize(
    "fn, shape, copies",
    [
        (al.ravel, (1,), 1),
        (al.flatten, (1,), 1),
        (al.squeeze, (), 1),
        (lambda v: al.expand_dims(v, 0), (1,), 1),
        (lambda v: al.repeat(v, 3), (3,), 3),
        (lambda v: al.tile(v, (2, 2)), (2, 2), 4),
        (lambda v: al.roll(v, 1), (), 1),
        (lambda v: al.pad(v, 2), (), 1),
        (lambda v: al.append(v, [1.0, 2.0]), (3,), 1),
    ],
)
def test_a_value_is_a_0d_array(fn, shape, copies):
    v = Value(1.5)
    out = fn(v)
    assert isinstance(out, Tensor) and out.shape == shape
    assert out.data[(0,) * len(shape)] == 1.5
    (out * out).sum().backward()
    assert type(v.grad) is float and v.grad == 2 * 1.5 * copies


@pytest.mark.parametrize(
    "fn",
    [al.fliplr, al.flipud, al.rot90, al.diag, al.diagonal, al.trace, al.triu, al.tril],
)
def test_functions_needing_axes_refuse_a_value(fn):
    with pytest.raises(ValueError, match=r"shape \(\)"):
        fn(Value(1.0))


def test_split_of_a_value_is_refused():
    for fn in (al.split, al.array_split, al.hsplit, al.vsplit):
        with pytest.raises(ValueError, match=fn.__name__):
            fn(Value(1.0), 1)


def test_raw_data_gives_raw_float_arrays_of_its_dtype():
    x32 = np.arange(6, dtype=np.float32).reshape(2, 3)
    for out in (
        al.pad(x32, 1, constant_values=2),
        al.repeat(x32, 2),
        al.tile(x32, 2),
        al.roll(x32, 1),
    ):
        assert type(out) is np.ndarray and out.dtype == np.float32
    assert al.ravel([[1, 2], [3, 4]]).dtype == np.float64
    flat = al.flatten(x32)
    flat[0] = 99  # numpy's flatten copies
    assert x32[0, 0] == 0


def test_float32_tensors_stay_float32():
    t = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    outs = [
        al.pad(t, 1, constant_values=2.0),
        al.pad(t, 1, "reflect"),
        al.triu(t),
        al.diag(t[0]),
        al.take_along_axis(t, np.zeros((2, 1), int), 1),
        al.repeat(t, [1, 2], 0),
    ]
    for out in outs:
        assert out.dtype == np.float32
    sum(o.sum() for o in outs).backward()
    assert t.grad.dtype == np.float32


def test_numpy_functions_dispatch_and_record():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    outs = [
        np.squeeze(t[None]),
        np.pad(t, (1, 0), mode="edge"),
        np.trace(t),
        np.moveaxis(t, 0, -1),
        np.take_along_axis(t, np.array([[2], [0]]), axis=1),
        *np.split(t, 3, axis=1),
    ]
    assert all(isinstance(o, Tensor) and o.requires_grad for o in outs)
    sum(o.sum() for o in outs).backward()
    assert t.grad.shape == (2, 3)


def test_methods_are_numpy_s():
    x = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(x)
    assert np.array_equal(t.squeeze().data, x.squeeze())
    assert np.array_equal(t.ravel("F").data, x.ravel("F"))
    assert np.array_equal(t.flatten().data, x.flatten())
    assert np.array_equal(t.repeat([1, 0, 2], axis=1).data, x.repeat([1, 0, 2], axis=1))
    assert np.array_equal(t.swapaxes(-1, 0).data, x.swapaxes(-1, 0))
    assert np.array_equal(t.diagonal(1, 1, 2).data, x.diagonal(1, 1, 2))
    assert np.array_equal(t.trace(0, 2, 1).data, x.trace(0, 2, 1))


def test_split_pieces_keep_history_and_their_gradients_add_up():
    t = Tensor(np.arange(7.0), requires_grad=True)
    pieces = al.array_split(t, 3)
    assert [p.shape for p in pieces] == [(3,), (2,), (2,)]
    (pieces[0].sum() * 1 + pieces[2].sum() * 3 + al.split(t, [5])[0].sum()).backward()
    assert np.array_equal(t.grad.data, [2, 2, 2, 1, 1, 3, 3])


def test_rot90_by_zero_is_the_array_itself():
    t = Tensor(np.ones((2, 3)))
    assert al.rot90(t, 4) is t


def test_hessian_through_shape_functions():
    """A second derivative through several of them at once, against PyTorch."""
    torch = _torch()

    def ours(x):
        y = al.pad(al.roll(x, 1, 0), ((0, 1), (1, 0)), "reflect")
        return al.trace(y) * al.tile(al.diag(al.diag(x)), 2).sum() + (al.triu(y) ** 2).sum()

    def theirs(x):
        y = torch.nn.functional.pad(x.roll(1, 0)[None], (1, 0, 0, 1), mode="reflect")[0]
        return y.trace() * x.diag().diag().tile(2).sum() + (y.triu() ** 2).sum()

    x = np.random.default_rng(3).normal(size=(3, 3))
    expected = torch.autograd.functional.hessian(theirs, torch.tensor(x)).numpy()
    np.testing.assert_allclose(al.hessian(ours)(x), expected.reshape(9, 9).reshape(3, 3, 3, 3))


# ---------------------------------------------------------------------------------------
# Bad input: a clear error naming the value, and nothing changed.

BAD = [
    (lambda x: al.squeeze(x, 1), ValueError, r"squeeze: axis 1 of shape \(2, 3, 4\) has length 3"),
    (lambda x: al.squeeze(x, 3), ValueError, r"squeeze: axis 3"),
    (lambda x: al.expand_dims(x, 4), ValueError, r"expand_dims: axis 4 is out of bounds"),
    (lambda x: al.expand_dims(x, (0, -5)), ValueError, "repeats an axis"),
    (lambda x: al.ravel(x, "K"), ValueError, "ravel: order must be 'C' or 'F', got 'K'"),
    (lambda x: x.swapaxes(0, 3), ValueError, r"swapaxes: axis2 3 is out of bounds"),
    (lambda x: al.moveaxis(x, (0, 1), 2), ValueError, r"moveaxis: source \(0, 1\) and destina"),
    (lambda x: al.moveaxis(x, -4, 0), ValueError, "moveaxis: source -4 is out of bounds"),
    (lambda x: al.fliplr(x[0, 0]), ValueError, r"fliplr needs .* 2 dimension.*shape \(4,\)"),
    (lambda x: al.rot90(x, 1, (0, -3)), ValueError, r"rot90: axes \(0, -3\) name the same axis"),
    (lambda x: al.rot90(x, 1.5), TypeError, "rot90: k must be an int, got 1.5"),
    (lambda x: al.roll(x, 1.5, 0), TypeError, "roll: shift must be"),
    (lambda x: al.roll(x, (1, 2, 3), (0, 1)), ValueError, r"roll: shift \(1, 2, 3\) and axis"),
    (lambda x: al.roll(x, 1, 5), ValueError, "roll: axis 5 is out of bounds"),
    (lambda x: al.repeat(x, [1, 2], 1), ValueError, r"repeat: 2 repeats do not match axis 1 of l"),
    (lambda x: al.repeat(x, -1), ValueError, "repeat: repeats -1 include a negative count"),
    (lambda x: al.repeat(x, 2.0), TypeError, "repeat: repeats must be an int"),
    (lambda x: al.tile(x, (2, -1)), ValueError, r"tile: reps \(2, -1\) include a negative"),
    (lambda x: al.pad(x, ((1, 1), (2, 2))), ValueError, r"pad_width .* shape \(2, 3, 4\)"),
    (lambda x: al.pad(x, -1), ValueError, "pad: pad_width -1 has a negative width"),
    (lambda x: al.pad(x, 1.5), TypeError, "pad: pad_width must be ints"),
    (lambda x: al.pad(x, 1, "maximum"), ValueError, "pad: mode 'maximum' is not supported"),
    (lambda x: al.pad(x, 1, "edge", constant_values=3), ValueError, "mode 'edge' takes no"),
    (lambda x: al.pad(x, 1, "reflect", reflect_type="odd"), ValueError, "reflect_type 'odd'"),
    (lambda x: al.pad(x[:, :0], 1, "wrap"), ValueError, "cannot extend axis 1 of length 0"),
    (lambda x: al.diagonal(x, 0, 1, -2), ValueError, "diagonal: axis1 1 and axis2 -2 name the"),
    (lambda x: al.trace(x, 0, 0, 3), ValueError, "diagonal: axis2 3 is out of bounds"),
    (lambda x: al.diag(x), ValueError, r"diag: input must be 1-d or 2-d, got shape \(2, 3, 4\)"),
    (lambda x: al.triu(x, 0.5), TypeError, "triu: k must be an int"),
    (lambda x: al.take_along_axis(x, np.zeros((2, 1, 1)), 1), IndexError, "must be integers"),
    (lambda x: al.take_along_axis(x, x, 1), IndexError, r"t\.data\.astype\(int\)"),
    (lambda x: al.take_along_axis(x, np.zeros((2, 1), int), 1), ValueError, r"shape \(2, 1\)"),
    (lambda x: al.take_along_axis(x, np.full((2, 1, 1), 3), 1), IndexError, "index 3 is out of"),
    (lambda x: al.take_along_axis(x, np.full((2, 1, 1), -4), 1), IndexError, "index -4 is out"),
    (lambda x: al.take_along_axis(x, np.zeros((3, 1, 1), int), 1), ValueError, "do not broad"),
    (lambda x: al.take_along_axis(x, np.zeros((2, 2), int), None), ValueError, "must be 1-d"),
    (lambda x: al.split(x, 2, 1), ValueError, "split: axis 1 of length 3 does not split into 2"),
    (lambda x: al.array_split(x, 0), ValueError, "sections must be positive, got 0"),
    (lambda x: al.vsplit(x[0, 0], 2), ValueError, r"vsplit needs .* shape \(4,\)"),
    (lambda x: al.append(x, np.ones((2, 3)), axis=2), ValueError, r"append: values of shape \(2"),
    (lambda x: al.append(x, np.ones((2, 3, 1)), axis=3), ValueError, "append: axis 3 is out of"),
]


@pytest.mark.parametrize("fn, error, message", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_input_raises_and_changes_nothing(fn, error, message):
    leaf = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    leaf.grad = np.ones((2, 3, 4))
    x = leaf * 2.0
    with pytest.raises(error, match=message):
        fn(x)
    x.sum().backward()  # the failed call left nothing in the graph
    assert np.array_equal(leaf.grad.data, np.full((2, 3, 4), 3.0))


def test_axis_errors_are_numpy_s():
    with pytest.raises(np.exceptions.AxisError):
        al.squeeze(Tensor(np.ones((1, 2))), 2)
    with pytest.raises(np.exceptions.AxisError):
        Tensor(np.ones((2, 3))).swapaxes(0, 2)
    with pytest.raises(np.exceptions.AxisError):
        np.moveaxis(Tensor(np.ones((2, 3))), 2, 0)
