"""Forward mode: jvp, jacfwd, linearize and forward-over-reverse, on every op of the tables.

Each op is checked three ways: the jvp against reverse mode (<w, J t> = <J^T w, t> for a
random cotangent w) and against central differences; jacfwd batched (one sweep for every
column) against one sweep per column and against the jvp; and to second order both
ways round: forward-over-reverse (`forward.hvp`) and reverse-over-forward (the gradient
of a recorded jvp) against reverse-over-reverse (`functional.hvp`). PyTorch's torch.func
is the oracle at special points (kinks, zeros, infinities, NaN).
"""

import math

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value, functional, linalg, nn, primitive
from autograd_lite.core import ops
from autograd_lite.transforms import forward

from .test_numpy_surface import CASES
from .test_ops import BINARY, TENSOR_OPS, UNARY, _away_from_kinks, _draw

# ---- the checks ---------------------------------------------------------------------------


def _close(a, b, what, atol=1e-6, rtol=1e-5):
    a, b = np.asarray(_data(a), float), np.asarray(_data(b), float)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    assert np.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True), f"{what}:\n{a}\n!=\n{b}"


def _data(x):
    return x.data if isinstance(x, (Value, Tensor)) else x


def _directional_difference(f, xs, ts, eps=1e-6):
    """(f(x + eps t) - f(x - eps t)) / (2 eps), on plain arrays."""
    plus = f(*[Tensor(x + eps * t) for x, t in zip(xs, ts)])
    minus = f(*[Tensor(x - eps * t) for x, t in zip(xs, ts)])
    return (_data(plus) - _data(minus)) / (2 * eps)


def check_forward(f, xs, seed=0, second=True, what=""):
    """Forward mode of f (Tensors in, one Tensor out) at the float64 arrays xs, against
    reverse mode, finite differences, column-by-column jacfwd, and to second order."""
    rng = np.random.default_rng(seed)
    xs = [np.asarray(x, float) for x in xs]
    ts = [rng.normal(size=x.shape) for x in xs]
    nums = tuple(range(len(xs)))
    out, d = al.jvp(f, tuple(xs), tuple(ts))
    _close(out, _data(f(*[Tensor(x) for x in xs])), f"{what}: jvp's output")
    _close(d, _directional_difference(f, xs, ts), f"{what}: jvp vs differences", 1e-5, 1e-4)
    # reverse mode: <w, J t> = <J^T w, t> for a random cotangent w (one backward pass)
    w = rng.normal(size=np.shape(_data(out)))
    cts = al.vjp(f, *xs)[1](w)
    by_reverse = sum(np.vdot(c, t) for c, t in zip(cts, ts))
    _close(np.vdot(w, d), by_reverse, f"{what}: <w, jvp> vs <vjp(w), t>")
    # every column at once (batched tangents) vs one sweep per column, and J t vs the jvp
    batched = al.jacfwd(f, argnums=nums)(*xs)
    looped = al.jacfwd(f, argnums=nums, vectorize=False)(*xs)
    for i in nums:
        _close(batched[i], looped[i], f"{what}: jacfwd batched vs column by column, input {i}")
    by_columns = sum(np.tensordot(j, t, axes=t.ndim) for j, t in zip(batched, ts))
    _close(by_columns, d, f"{what}: jacfwd's columns times t vs jvp")
    if not second:
        return

    def loss(*args):
        return al.sum(f(*args) * w)

    for i in nums:  # second order along input i, the others held
        others = list(xs)

        def loss_i(x, i=i, others=others):
            args = [Tensor(a) for a in others]
            args[i] = x
            return loss(*args)

        expected = functional.hvp(loss_i, xs[i], ts[i])  # reverse-over-reverse
        _close(forward.hvp(loss_i, xs[i], ts[i]), expected, f"{what}: fwd-over-rev, input {i}")

        def along(x, i=i, others=others):  # w^T J t_i, recorded: its gradient is H t_i
            args = [Tensor(a) for a in others]
            args[i] = x
            prims = tuple(args)
            tans = tuple(ts[k] if k == i else np.zeros_like(xs[k]) for k in nums)
            return al.sum(al.jvp(f, prims, tans)[1] * w)

        _close(al.grad(along)(xs[i]), expected, f"{what}: rev-over-fwd, input {i}")


# ---- every op of the tables -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_forward_mode(name):
    f, lo, hi = UNARY[name]
    rng = np.random.default_rng(1)
    x = _draw(rng, lo, hi, (2, 3))
    check_forward(f, [x], what=name)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_forward_mode_on_values(name):
    """A Value's tangent is a float; forward-over-reverse and reverse-over-forward of Values."""
    f, lo, hi = UNARY[name]
    x0 = float(_draw(np.random.default_rng(2), lo, hi))
    out, d = al.jvp(f, (x0,), (1.5,))
    assert type(d) is float
    _close(d, 1.5 * al.grad(f)(x0), f"{name}: jvp of a Value")
    second = al.derivative(f, 2)(x0)
    _close(forward.hvp(f, x0, 1.0), second, f"{name}: fwd-over-rev of a Value")
    _close(al.grad(lambda x: al.jvp(f, (x,), (1.0,))[1])(x0), second, f"{name}: rev-over-fwd")


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (3,))])
def test_binary_ops_forward_mode_with_broadcasting(name, shapes):
    f, (alo, ahi), (blo, bhi) = BINARY[name]
    rng = np.random.default_rng(3)
    a, b = _draw(rng, alo, ahi, shapes[0]), _draw(rng, blo, bhi, shapes[1])
    if name in ("maximum", "minimum"):
        b = np.where(np.abs(a - b) < 0.05, b + 0.5, b)  # no ties here (tested below)
    check_forward(f, [a, b], what=name)


def _tensor_op_point(name, shape, rng):
    x = rng.normal(size=shape)
    if name in ("max_axis", "min_all", "max_keepdims", "norm_inf"):  # no ties
        x = (rng.permutation(x.size).reshape(shape) + 1) * 0.3 * rng.choice([-1, 1], shape)
    return _away_from_kinks(x)


@pytest.mark.parametrize("name", sorted(TENSOR_OPS))
def test_tensor_ops_forward_mode(name):
    f, shape = TENSOR_OPS[name]
    check_forward(f, [_tensor_op_point(name, shape, np.random.default_rng(4))], what=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_surface_forward_mode(name):
    f, shapes = CASES[name]
    rng = np.random.default_rng(5)
    check_forward(f, [rng.normal(size=s) for s in shapes], what=name)


def _spd(rng, n=3):
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


LINALG = {
    "det": (lambda a: linalg.det(a), [(3, 3)]),
    "det_batched": (lambda a: linalg.det(a), [(2, 3, 3)]),
    "inv": (lambda a: linalg.inv(a), [(3, 3)]),
    "logdet": (lambda a: linalg.logdet(a @ a.T + 3.0 * np.eye(3)), [(3, 3)]),
    "slogdet": (lambda a: linalg.slogdet(a).logabsdet, [(3, 3)]),
    "solve": (lambda a, b: linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve_vector": (lambda a, b: linalg.solve(a, b), [(3, 3), (3,)]),
    "cholesky": (lambda a: linalg.cholesky(a @ a.T + 3.0 * np.eye(3)), [(3, 3)]),
    "eigh_values": (lambda a: linalg.eigh(a + a.T)[0], [(3, 3)]),
    "eigh_vectors": (lambda a: linalg.eigh(a + a.T)[1] ** 2, [(3, 3)]),
    "erf": (lambda x: nn.erf(x), [(2, 3)]),
    "conv2d": (lambda x, w: nn.functional.conv2d(x, w, padding=1), [(1, 2, 4, 4), (3, 2, 2, 2)]),
    "max_pool2d": (lambda x: nn.functional.max_pool2d(x * x, 2), [(1, 2, 4, 4)]),
    "avg_pool2d": (lambda x: nn.functional.avg_pool2d(x, 2) ** 2, [(1, 1, 4, 4)]),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_and_nn_forward_mode(name):
    f, shapes = LINALG[name]
    rng = np.random.default_rng(6)
    xs = [
        rng.normal(size=s) + (2.0 * np.eye(s[-1]) if len(s) >= 2 and s[-1] == s[-2] else 0)
        for s in shapes
    ]
    check_forward(f, xs, what=name)


# ---- jvp, jacfwd, linearize: results and shapes ----------------------------------------------


def test_jvp_is_one_forward_sweep_not_two_backward_passes():
    """The tangent comes from the jvp rules: a primitive with a deliberately wrong vjp rule
    but a right jvp rule gives the right jvp (the old jvp differentiated the vjp)."""

    @primitive
    def cube(x):
        return x**3

    cube.defvjp(lambda g, out, x: g * 0.0)  # wrong on purpose: reverse mode gives 0
    cube.defjvp(lambda t, out, x: t * 3 * x**2)
    _, d = al.jvp(cube, (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
    _close(d, [3.0, 12.0], "jvp of cube")


def test_an_op_without_a_jvp_rule_raises_naming_it():
    @primitive
    def twice(x):
        return 2 * x

    twice.defvjp(lambda g, out, x: 2 * g)
    with pytest.raises(NotImplementedError, match="twice.*jvp"):
        al.jvp(twice, (np.ones(2),), (np.ones(2),))
    with pytest.raises(NotImplementedError, match="twice"):
        al.jacfwd(twice)(np.ones(2))
    assert al.grad(lambda x: al.sum(twice(x)))(np.ones(2)).tolist() == [2.0, 2.0]


def test_jacfwd_shapes_follow_jax():
    def f(x, y):
        return al.sin(x)[:, None] * y

    x, y = np.arange(3.0), np.arange(8.0).reshape(2, 1, 4)
    jx, jy = al.jacfwd(f, argnums=(0, 1))(x, y)
    assert jx.shape == (2, 3, 4, 3) and jy.shape == (2, 3, 4, 2, 1, 4)
    _close(jy, al.jacobian(f, argnums=1)(x, y), "jacfwd vs jacobian")
    assert al.jacfwd(f)(x, y).shape == (2, 3, 4, 3)
    assert type(al.jacfwd(lambda s: s * s)(3.0)) is float
    assert al.jacfwd(lambda s: al.sin(s))(np.array(0.5)).shape == ()
    # a tuple of outputs gives a tuple over outputs
    a, b = al.jacfwd(lambda v: (v * 2.0, al.sum(v)))(np.ones(3))
    assert a.shape == (3, 3) and b.shape == (3,)
    # a Tensor argument gives Tensors
    assert isinstance(al.jacfwd(lambda v: v * v)(Tensor([1.0, 2.0])), Tensor)


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 100])
def test_jacfwd_chunks_give_the_same_jacobian(chunk_size):
    rng = np.random.default_rng(12)
    a, x = rng.normal(size=(7, 5)), rng.normal(size=5)
    f = lambda v: al.concatenate([al.tanh(a @ v), al.cumprod(v)])  # noqa: E731
    expected = al.jacobian(f)(x)
    _close(al.jacfwd(f, chunk_size=chunk_size)(x), expected, f"chunks of {chunk_size}")


def test_jacfwd_of_a_function_that_ignores_its_input_is_zero():
    j = al.jacfwd(lambda x: Tensor(np.ones(2)))(np.ones(3))
    assert j.shape == (2, 3) and not j.any()


def test_linearize_reuses_one_recording_for_many_tangents():
    calls = []

    def f(x):
        calls.append(1)
        return al.tanh(x) * x

    x = np.array([0.3, -1.2, 2.0])
    out, f_jvp = al.linearize(f, x)
    _close(out, np.tanh(x) * x, "linearize's output")
    jac = al.jacobian(f)(x)
    for k in range(3):
        t = np.eye(3)[k] * (k + 1)
        _close(f_jvp(t), jac @ t, f"f_jvp of tangent {k}")
    assert len(calls) == 1 + 1  # linearize's recording and jacobian's, none for f_jvp
    with pytest.raises(TypeError, match="tangents"):
        f_jvp(x, x)
    with pytest.raises(ValueError, match="shape"):
        f_jvp(np.ones(2))


def test_jvp_nested_inside_grad_records_its_sweep():
    # d/dx [d/dt sin(x t) at t = 1, tangent 1] = d/dx [x cos(x)] = cos(x) - x sin(x)
    x0 = 0.7
    g = al.grad(lambda x: al.jvp(lambda t: al.sin(x * t), (1.0,), (1.0,))[1])(x0)
    assert g == pytest.approx(math.cos(x0) - x0 * math.sin(x0), rel=1e-12)
    # and the other way: jvp of a gradient (forward-over-reverse), to third order
    h3 = al.jvp(al.grad(al.grad(lambda x: x**4)), (2.0,), (1.0,))[1]
    assert h3 == pytest.approx(24 * 2.0)


def test_hessian_forward_over_reverse_agrees_with_reverse_over_reverse():
    rng = np.random.default_rng(7)
    a = rng.normal(size=(6, 4))

    def f(x, y):
        return al.logsumexp(a @ x) + al.sum(al.tanh(x) * y) ** 2

    x, y = rng.normal(size=4), rng.normal(size=4)
    expected = al.hessian(f, argnums=(0, 1))(x, y)
    for vectorize, chunk in ((True, None), (True, 3), (False, None)):
        got = forward._hessian_fwd_over_rev(f, (0, 1), vectorize=vectorize, chunk_size=chunk)(x, y)
        for i in range(2):
            for j in range(2):
                _close(got[i][j], expected[i][j], f"H[{i}][{j}]", atol=1e-12, rtol=1e-10)
    assert forward._hessian_fwd_over_rev(lambda s: s**3)(2.0) == pytest.approx(12.0)


def test_float32_tangents_stay_float32():
    x = np.ones(3, np.float32)
    _, d = al.jvp(lambda v: al.exp(v) * 2.0, (x,), (np.ones(3),))
    assert d.dtype == np.float32
    assert al.jacfwd(lambda v: al.tanh(v))(x).dtype == np.float32


# ---- kinks and special points: forward agrees with reverse and with PyTorch ------------------


def test_kinks_forward_and_reverse_agree():
    x = np.array([0.0, -1.0, 2.0])
    for f in (al.relu, al.abs, lambda v: al.clip(v, -1.0, 2.0), al.sign, al.floor):
        _close(al.jacfwd(f)(x), al.jacobian(f)(x), f"kink of {f}")
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])
    for f in (al.maximum, al.minimum):
        fwd = al.jacfwd(f, argnums=(0, 1))(a, b)
        rev = al.jacobian(f, argnums=(0, 1))(a, b)
        for i in range(2):
            _close(fwd[i], rev[i], f"ties of {f.__name__}")
    assert al.jvp(al.maximum, (1.0, 1.0), (1.0, 0.0))[1] == 0.5  # a tie shares half


SPECIAL = [0.0, -0.0, 1.0, -2.0, np.inf, -np.inf, np.nan]
TORCH_UNARY = {
    "relu": (al.relu, "relu"),
    "abs": (al.abs, "abs"),
    "sqrt": (al.sqrt, "sqrt"),
    "log": (al.log, "log"),
    "exp": (al.exp, "exp"),
    "tanh": (al.tanh, "tanh"),
    "sigmoid": (al.sigmoid, "sigmoid"),
    "sin": (al.sin, "sin"),
    "arctan": (al.arctan, "arctan"),
    "log1p": (al.log1p, "log1p"),
    "expm1": (al.expm1, "expm1"),
    "sign": (al.sign, "sign"),
    "floor": (al.floor, "floor"),
}


@pytest.mark.parametrize("name", sorted(TORCH_UNARY))
def test_jvp_matches_torch_func_at_special_points(name):
    torch = pytest.importorskip("torch")
    from torch.func import jacfwd as torch_jacfwd
    from torch.func import jvp as torch_jvp

    ours, theirs = TORCH_UNARY[name]
    fn = getattr(torch, theirs)
    x = np.array(SPECIAL)
    t = np.linspace(0.5, 2.0, x.size)
    d = al.jvp(ours, (x,), (t,))[1]
    (_, expected) = torch_jvp(fn, (torch.tensor(x),), (torch.tensor(t),))
    if name in ("sign", "floor", "abs"):  # ours is NaN at a NaN input (README), torch's 0
        expected = torch.where(torch.isnan(torch.tensor(x)), torch.nan, expected)
    _close(d, expected.numpy(), f"{name} vs torch.func.jvp", atol=1e-12, rtol=1e-12)
    finite = x[np.isfinite(x)]
    _close(
        al.jacfwd(ours)(finite),
        torch_jacfwd(fn)(torch.tensor(finite)).numpy(),
        f"{name} vs torch.func.jacfwd",
        atol=1e-12,
        rtol=1e-12,
    )


def test_binary_kinks_match_torch_func():
    torch = pytest.importorskip("torch")
    from torch.func import jvp as torch_jvp

    a = np.array([1.0, 2.0, 0.0, -1.0, 3.0])
    b = np.array([1.0, 0.0, 0.0, 2.0, np.nan])
    ta, tb = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.5, -1.0, 2.0, 1.0, 1.0])
    for ours, theirs in ((al.maximum, torch.maximum), (al.minimum, torch.minimum)):
        d = al.jvp(ours, (a, b), (ta, tb))[1]
        args = tuple(torch.tensor(v) for v in (a, b))
        _, e = torch_jvp(theirs, args, (torch.tensor(ta), torch.tensor(tb)))
        _close(d[:4], e.numpy()[:4], f"{ours.__name__} vs torch", atol=1e-12)
    x = np.array([-1.0, 2.0, 0.5, -3.0])
    d = al.jvp(lambda v: al.clip(v, -1.0, 2.0), (x,), (np.ones(4),))[1]
    _, e = torch_jvp(lambda v: torch.clamp(v, -1.0, 2.0), (torch.tensor(x),), (torch.ones(4),))
    _close(d, e.numpy(), "clip at its bounds vs torch.clamp")


def test_mlp_jvp_and_jacfwd_match_torch():
    torch = pytest.importorskip("torch")
    from torch.func import jacfwd as torch_jacfwd
    from torch.func import jvp as torch_jvp

    rng = np.random.default_rng(8)
    w1, w2, x = rng.normal(size=(5, 4)), rng.normal(size=(3, 5)), rng.normal(size=(2, 4))

    def ours(w):
        return al.log_softmax(al.tanh(x @ w.T) @ w2.T, axis=-1)

    def theirs(w):
        return torch.log_softmax(torch.tanh(torch.tensor(x) @ w.T) @ torch.tensor(w2).T, -1)

    t = rng.normal(size=w1.shape)
    _, e = torch_jvp(theirs, (torch.tensor(w1),), (torch.tensor(t),))
    _close(al.jvp(ours, (w1,), (t,))[1], e.numpy(), "MLP jvp vs torch", atol=1e-12)
    _close(al.jacfwd(ours)(w1), torch_jacfwd(theirs)(torch.tensor(w1)).numpy(), "jacfwd")


# ---- bad input --------------------------------------------------------------------------------


def test_bad_tangents_are_refused_naming_them():
    f = lambda v: v * 2.0  # noqa: E731
    with pytest.raises(ValueError, match="tangent 0 has shape"):
        al.jvp(f, (np.ones(2),), (np.ones(3),))
    with pytest.raises(TypeError, match="tangent 0.*complex"):
        al.jvp(f, (np.ones(2),), (np.array([1j, 1j]),))
    with pytest.raises(TypeError, match="tangent 0 is boolean"):
        al.jvp(f, (np.ones(2),), (np.array([True, False]),))
    with pytest.raises(TypeError, match="tangent 1 must be real"):
        al.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0, "x"))
    with pytest.raises(TypeError, match="one tangent per primal"):
        al.jvp(f, (1.0,), (1.0, 2.0))
    with pytest.raises(TypeError, match="tuples"):
        al.jvp(f, 1.0, 1.0)
    with pytest.raises(TypeError, match="must be a number"):
        al.jvp(f, (1.0,), (np.ones(2),))


def test_jacfwd_refuses_non_float_inputs_and_bad_chunk_sizes():
    with pytest.raises(TypeError, match="argument 0 holds int64"):
        al.jacfwd(lambda v: v * 2.0)(np.arange(3))
    with pytest.raises(TypeError, match="argument 1 holds"):
        al.jacfwd(lambda a, b: a * b, argnums=1)(1.0, 2)
    with pytest.raises(TypeError, match="argument 0 holds bool"):
        al.jacfwd(lambda v: v * 2.0)(np.array([True, False]))
    with pytest.raises(ValueError, match="chunk_size must be None or an int >= 1, got 0"):
        al.jacfwd(lambda v: v, chunk_size=0)
    with pytest.raises(TypeError, match="chunk_size"):
        al.jacfwd(lambda v: v, chunk_size=1.5)
    with pytest.raises(TypeError, match="argnums"):
        al.jacfwd(lambda v: v, argnums="0")


def test_hvp_forward_over_reverse_refuses_bad_input_as_hvp():
    with pytest.raises(ValueError, match="v has shape"):
        forward.hvp(lambda v: al.sum(v * v), np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="scalar"):
        forward.hvp(lambda v: v * v, np.ones(2), np.ones(2))


def test_module_level_table_has_a_jvp_for_every_op():
    missing = [op.name for op in ops.OPS if not op.jvps or None in op.jvps]
    assert not missing, f"ops without jvp rules: {missing}"


NESTED = {
    "logsumexp": lambda v: al.logsumexp(_A @ v),
    "tanh_squares": lambda v: al.sum(al.tanh(_A @ v) ** 2),
    "prod_cumsum": lambda v: al.prod(v) * al.cumsum(v)[2],
    "pnorm_max": lambda v: al.norm(v, 3) + al.max(v),
    "stack_getitem": lambda v: al.sum(al.stack([v, al.sin(v)])[:, 1:] ** 3),
}
_A = np.random.default_rng(9).normal(size=(5, 4))


@pytest.mark.parametrize("name", sorted(NESTED))
def test_every_nesting_of_forward_and_reverse_gives_the_hessian(name):
    f = NESTED[name]
    x = np.random.default_rng(10).normal(size=4)
    expected = al.hessian(f)(x)
    _close(al.jacfwd(al.jacfwd(f))(x), expected, "forward over forward (batched twice)")
    _close(al.jacfwd(al.grad(f))(x), expected, "forward over reverse")
    _close(al.jacobian(al.jacfwd(f))(x), expected, "reverse over forward")
    _close(forward._hessian_fwd_over_rev(f)(x), expected, "the forward-over-reverse helper")
    w = np.random.default_rng(11).normal(size=(5, 4))
    g = lambda v: al.tanh(_A @ v) * al.sum(v)  # noqa: E731
    _close(
        al.grad(lambda v: al.sum(al.jacfwd(g)(v) * w))(x),
        al.grad(lambda v: al.sum(al.jacobian(g)(v) * w))(x),
        "the gradient of a batched jacfwd",
    )


def test_a_tangent_with_history_is_differentiated_through():
    f = lambda x: al.sin(x) * x  # noqa: E731
    x0 = 0.8
    d = al.grad(lambda t: al.jvp(f, (x0,), (t,))[1])(2.0)  # the jvp is linear in t: f'(x0)
    assert d == pytest.approx(math.cos(x0) * x0 + math.sin(x0), rel=1e-14)
    second = al.grad(lambda x: al.linearize(f, x)[1](1.0))(x0)
    assert second == pytest.approx(2 * math.cos(x0) - x0 * math.sin(x0), rel=1e-14)


def test_a_primitive_jvp_rule_on_floats_works_once_and_refuses_nesting():
    @primitive
    def sine(x):
        return np.sin(x)

    sine.defvjp(lambda g, out, x: g * al.cos(x))
    sine.defjvp(lambda t, out, x: t * math.cos(x))  # on raw floats only
    assert al.jvp(sine, (0.5,), (2.0,))[1] == pytest.approx(2 * math.cos(0.5))
    with pytest.raises(TypeError, match="'sine': its jvp rule for input 0 failed on nodes"):
        al.grad(lambda x: al.jvp(sine, (x,), (1.0,))[1])(0.5)


def test_jvp_of_outputs_that_later_nodes_read_again():
    # The tangent sweep drops a tangent after its last reader: an output that later nodes
    # read too, and a node read twice by one op, keep theirs to the end.
    def f(x):
        a = al.sin(x)
        b = a * a + a
        return a, b, al.sum(b * a)

    x, t = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -2.0])
    _, (ta, tb, ts) = al.jvp(f, (x,), (t,))
    a = np.sin(x)
    want_a = np.cos(x) * t
    want_b = (2 * a + 1) * want_a
    _close(ta, want_a, "tangent of a")
    _close(tb, want_b, "tangent of b")
    _close(ts, np.sum(want_b * a + (a * a + a) * want_a), "tangent of the sum")
