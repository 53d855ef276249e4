"""Batched reverse sweeps (`cotangents(..., batched=True)`) and the vectorized transforms.

Every op of the op tables (tests/test_ops.py, tests/test_numpy_surface.py, linalg) is swept
with B cotangents at once and compared with B single sweeps: first order, with the sweep
recorded (create_graph, its result differentiated again), and through a recorded gradient
graph (reverse over reverse, the Hessian's route). Then jacobian/jacrev/hessian with
vectorize=True against vectorize=False and torch.func, chunk_size, and bad input.
"""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.core import graph, ops
from autograd_lite.core.graph import cotangents
from autograd_lite.math import linalg

from .helpers import assert_close, seed_of
from .test_numpy_surface import CASES as SURFACE
from .test_ops import BINARY, TENSOR_OPS, UNARY, _draw

B = 3  # the batch: enough rows to catch a rule that mixes them up


def _sym(x):
    return x + x.swapaxes(-1, -2)


def _spd(x):
    """Symmetric positive definite for any x: x x^T + 3 I."""
    return x @ x.swapaxes(-1, -2) + 3.0 * np.eye(x.shape[-1])


# name -> (function of Tensors, input shapes): math/linalg and nn's primitives.
LINALG = {
    "inv": (lambda a: linalg.inv(a + 3.0 * np.eye(3)), [(3, 3)]),
    "logdet": (lambda a: linalg.logdet(_spd(a)), [(3, 3)]),
    "slogdet": (lambda a: linalg.slogdet(a + 3.0 * np.eye(3)).logabsdet, [(3, 3)]),
    "det": (lambda a: linalg.det(a + 3.0 * np.eye(3)), [(3, 3)]),
    "solve": (lambda a, b: linalg.solve(a + 3.0 * np.eye(3), b), [(3, 3), (3, 2)]),
    "cholesky": (lambda a: linalg.cholesky(_spd(a)), [(3, 3)]),
    "eigh_values": (lambda a: linalg.eigh(_sym(a))[0], [(3, 3)]),
    "eigh_vectors": (lambda a: linalg.eigh(_sym(a))[1] ** 2, [(3, 3)]),
    "eigh_batched": (lambda a: linalg.eigh(_sym(a))[0], [(2, 3, 3)]),
    "norm_fro": (lambda a: linalg.norm(a), [(3, 4)]),
    "norm_nuc": (lambda a: linalg.norm(a, "nuc"), [(3, 4)]),
    "erf": (lambda a: al.nn.erf(a), [(3, 4)]),
}


def _inputs(name):
    """(function, list of float64 arrays) for every op of every table."""
    rng = np.random.default_rng(seed_of(name))
    if name.startswith("unary:"):
        f, lo, hi = UNARY[name[6:]]
        return f, [_draw(rng, lo, hi, (3, 4))]
    if name.startswith("binary:"):
        f, (lo1, hi1), (lo2, hi2) = BINARY[name[7:]]
        return f, [_draw(rng, lo1, hi1, (3, 4)), _draw(rng, lo2, hi2, (4,))]  # broadcast
    if name.startswith("tensor:"):
        f, shape = TENSOR_OPS[name[7:]]
        x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.3 - 1.0  # no ties
        return f, [np.where(np.abs(x) < 0.05, 0.5, x)]
    table = SURFACE if name.startswith("surface:") else LINALG
    f, shapes = table[name.partition(":")[2]]
    return f, [rng.normal(size=s) for s in shapes]


NAMES = (
    [f"unary:{n}" for n in sorted(UNARY)]
    + [f"binary:{n}" for n in sorted(BINARY)]
    + [f"tensor:{n}" for n in sorted(TENSOR_OPS)]
    + [f"surface:{n}" for n in sorted(SURFACE)]
    + [f"linalg:{n}" for n in sorted(LINALG)]
)


def _stack(rows, x):
    return np.stack([np.zeros(x.shape) if r is None else np.asarray(r) for r in rows])


def _data(c):
    return c.data if isinstance(c, Tensor) else c


def _record(f, arrays):
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    return ts, f(*ts)


@pytest.mark.parametrize("name", NAMES)
def test_a_batched_sweep_agrees_with_single_sweeps(name):
    f, arrays = _inputs(name)
    ts, o = _record(f, arrays)
    gs = np.random.default_rng(1).normal(size=(B, *o.shape))
    batched = cotangents(o, ts, gs, batched=True)
    for j, t in enumerate(ts):
        loop = _stack([cotangents(o, ts, gs[k])[j] for k in range(B)], t)
        got = np.zeros((B, *t.shape)) if batched[j] is None else batched[j]
        assert got.shape == (B, *t.shape), name
        assert_close(got, loop, atol=1e-10, what=f"{name} input {j}")


@pytest.mark.parametrize("name", NAMES)
def test_a_recorded_batched_sweep_differentiates_like_single_sweeps(name):
    # create_graph: the rules run on batched nodes; the results' own gradient must agree.
    f, arrays = _inputs(name)
    rng = np.random.default_rng(2)
    ts, o = _record(f, arrays)
    gs = rng.normal(size=(B, *o.shape))
    ws = [rng.normal(size=(B, *t.shape)) for t in ts]

    def second(cts):
        loss = sum((c * w).sum() for c, w in zip(cts, ws) if isinstance(c, Tensor))
        if not isinstance(loss, Tensor) or not loss.requires_grad:
            return [np.zeros(t.shape) for t in ts], [None] * len(ts)
        return [np.zeros(t.shape) if c is None else c for c in cotangents(loss, ts)], cts

    bat = cotangents(o, ts, Tensor(gs), True, batched=True)
    loop_rows = [cotangents(o, ts, Tensor(gs[k]), True) for k in range(B)]
    loop = [
        None
        if all(r[j] is None for r in loop_rows)
        else al.stack([Tensor(np.zeros(t.shape)) if r[j] is None else r[j] for r in loop_rows])
        for j, t in enumerate(ts)
    ]
    for j, t in enumerate(ts):  # the first order, recorded
        want = np.zeros((B, *t.shape)) if loop[j] is None else loop[j].data
        got = np.zeros((B, *t.shape)) if bat[j] is None else bat[j].data
        assert_close(got, want, atol=1e-10, what=f"{name} recorded input {j}")
    for j, (b, lp) in enumerate(zip(second(bat)[0], second(loop)[0])):
        assert_close(_data(b), _data(lp), atol=1e-9, what=f"{name} second order, input {j}")


@pytest.mark.parametrize("name", NAMES)
def test_a_batched_sweep_through_a_recorded_gradient_agrees(name):
    # Reverse over reverse, the Hessian's route: B cotangents through the gradient's graph.
    f, arrays = _inputs(name)
    rng = np.random.default_rng(3)
    ts, o = _record(f, arrays)
    w = rng.normal(size=o.shape)
    grads = cotangents(o, ts, Tensor(w), True)
    for i, g in enumerate(grads):
        if not isinstance(g, Tensor) or not g.requires_grad:
            continue
        vs = rng.normal(size=(B, *g.shape))
        batched = cotangents(g, ts, vs, batched=True)
        for j, t in enumerate(ts):
            loop = _stack([cotangents(g, ts, vs[k])[j] for k in range(B)], t)
            got = np.zeros((B, *t.shape)) if batched[j] is None else batched[j]
            assert_close(got, loop, atol=1e-9, what=f"{name} d(grad {i})/d input {j}")


def test_every_declared_op_is_swept_batched_by_these_tables():
    """The tables reach every op of the Op table (as tests/test_ops.py checks for its own)."""
    seen = set()
    for name in NAMES:
        f, arrays = _inputs(name)
        _, o = _record(f, arrays)
        seen |= {n._op for n in graph.toposort(o) if n._op is not None}
    missing = {op.name for op in ops.OPS} - {op.name for op in seen} - {"as_tensor"}
    assert not missing, missing


def test_a_value_in_a_tensor_graph_is_batched_too():
    x = Tensor([0.3, -1.2, 2.0], requires_grad=True)
    v = Value(0.7)
    o = x * al.sin(x[1]._as_value() * v) + v * v
    gs = np.random.default_rng(4).normal(size=(B, 3))
    xb, vb = cotangents(o, [x, v], gs, batched=True)
    assert xb.shape == (B, 3) and vb.shape == (B,)
    for k in range(B):
        xk, vk = cotangents(o, [x, v], gs[k])
        assert_close(xb[k], xk, atol=1e-12)
        assert_close(vb[k], vk, atol=1e-12)


def test_a_primitive_without_batched_rules_runs_row_by_row():
    # Its rule reshapes g to x's shape: handed a batch it would fail or mix rows up.
    @al.primitive
    def scale(x):
        return x * 2.0

    scale.defvjp(lambda g, out, x: np.reshape(g, np.shape(x)) * 2.0)
    x = Tensor(np.arange(4.0), requires_grad=True)
    o = al.sin(scale(x))
    gs = np.random.default_rng(5).normal(size=(B, 4))
    (xb,) = cotangents(o, [x], gs, batched=True)
    assert_close(xb, np.stack([cotangents(o, [x], g)[0] for g in gs]), atol=1e-12)


def test_a_primitive_declared_batched_gets_the_whole_batch():
    calls = []

    @al.primitive
    def double(x):
        return x * 2.0

    def rule(g, out, x):
        calls.append(np.shape(g))
        return g * 2.0

    double.defvjp(rule, batched=True)
    x = Tensor(np.arange(4.0), requires_grad=True)
    (xb,) = cotangents(double(x), [x], np.ones((B, 4)), batched=True)
    assert calls == [(B, 4)]
    assert_close(xb, np.full((B, 4), 2.0))


def test_a_batched_gradient_of_the_wrong_shape_is_refused_naming_it():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(B, \*\(3,\)\).*\(3,\)"):
        cotangents(x * 2.0, [x], np.ones(3), batched=True)


# ---- the transforms ----------------------------------------------------------------------

_A = np.random.default_rng(6).normal(size=(5, 4)) / 2
FUNCTIONS = {
    "tanh_affine": (lambda x: al.tanh(al.matmul(_A, x)), [(4,)]),
    "logsumexp": (lambda x: al.logsumexp(al.matmul(_A, x)), [(4,)]),
    "matrix_in": (lambda x: al.softmax(x, axis=-1).T @ _A[:3, :2], [(3, 4)]),
    "two_args": (lambda x, y: al.sin(x) * y + al.exp(y).sum(), [(3,), (2, 3)]),
    "indexing": (lambda x: al.concatenate([x[::2] ** 2, x[[0, 0, 1]]]).reshape(2, 3), [(6,)]),
}
TORCH = {
    "tanh_affine": lambda t, x: t.tanh(t.from_numpy(_A) @ x),
    "logsumexp": lambda t, x: t.logsumexp(t.from_numpy(_A) @ x, 0),
    "matrix_in": lambda t, x: t.softmax(x, -1).T @ t.from_numpy(_A[:3, :2]),
    "two_args": lambda t, x, y: t.sin(x) * y + t.exp(y).sum(),
    "indexing": lambda t, x: t.cat([x[::2] ** 2, x[[0, 0, 1]]]).reshape(2, 3),
}


def _args(name):
    rng = np.random.default_rng(7)
    return [rng.normal(size=s) for s in FUNCTIONS[name][1]]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("transform", [al.jacobian, al.jacrev])
def test_jacobians_vectorized_agree_with_row_by_row_and_torch(name, transform):
    torch = pytest.importorskip("torch")
    f, shapes = FUNCTIONS[name]
    args = _args(name)
    argnums = tuple(range(len(args)))
    slow = transform(f, argnums, vectorize=False)(*args)
    want = torch.func.jacrev(lambda *xs: TORCH[name](torch, *xs), argnums)(
        *[torch.from_numpy(a) for a in args]
    )
    for options in ({}, {"vectorize": True}, {"chunk_size": 1}, {"chunk_size": 2}):
        fast = transform(f, argnums, **options)(*args)
        for s, v, w in zip(slow, fast, want):
            assert v.shape == s.shape == tuple(w.shape), (name, options)
            assert_close(v, s, atol=1e-12, what=f"{name} {options}")
            assert_close(v, w.numpy(), atol=1e-12, what=f"{name} {options} vs torch")


@pytest.mark.parametrize("name", ["logsumexp", "matrix_in", "two_args"])
def test_hessians_vectorized_agree_with_row_by_row_and_torch(name):
    torch = pytest.importorskip("torch")
    f, _ = FUNCTIONS[name]
    args = _args(name)
    scalar = (lambda *xs: f(*xs).sum()) if name != "logsumexp" else f
    argnums = tuple(range(len(args)))
    slow = al.hessian(scalar, argnums, vectorize=False)(*args)
    want = torch.func.hessian(lambda *xs: TORCH[name](torch, *xs).sum(), argnums)(
        *[torch.from_numpy(a) for a in args]
    )
    for options in ({}, {"chunk_size": 1}, {"chunk_size": 3}, {"chunk_size": 1000}):
        fast = al.hessian(scalar, argnums, **options)(*args)
        for i in range(len(args)):
            for j in range(len(args)):
                assert fast[i][j].shape == slow[i][j].shape == tuple(want[i][j].shape)
                assert_close(fast[i][j], slow[i][j], atol=1e-12, what=f"{name} {options}")
                assert_close(fast[i][j], want[i][j].numpy(), atol=1e-12, what=f"{name} torch")


def test_vectorized_transforms_nest_and_take_node_arguments():
    # A Jacobian inside grad: the batched sweep is recorded (create_graph) and differentiated.
    x0 = np.array([0.3, -0.5, 1.1, 0.2])

    def through(vectorize):
        jac = al.jacrev(lambda x: al.tanh(al.matmul(_A, x)), vectorize=vectorize)
        return al.grad(lambda x: (jac(x) ** 2).sum())(x0)

    assert_close(through(True), through(False), atol=1e-12)
    x = Tensor(x0, requires_grad=True)
    h = al.hessian(lambda v: al.logsumexp(al.matmul(_A, v)))(x)
    assert isinstance(h, Tensor) and h.requires_grad
    h.sum().backward()
    want = al.grad(
        lambda v: al.hessian(lambda u: al.logsumexp(al.matmul(_A, u)), vectorize=False)(v).sum()
    )(x0)
    assert_close(x.grad.data, want, atol=1e-12)


def test_a_hooked_graph_falls_back_to_row_by_row():
    seen = []
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)

    def f(x):
        y = x * 3.0
        y.register_hook(lambda g: seen.append(g.shape))
        return al.sin(y)

    j = al.jacrev(f)(x.data)
    assert_close(j, np.diag(3.0 * np.cos(3.0 * x.data)))
    assert seen == [(3,)] * 3  # each hook call sees one cotangent of y's shape


def test_a_scalar_output_and_outputs_that_ignore_x():
    assert_close(al.jacrev(lambda x: al.sum(x * x))(np.arange(3.0)), 2 * np.arange(3.0))
    j = al.jacrev(lambda x, y: x * 2.0, (0, 1))(np.arange(3.0), np.ones(2))
    assert_close(j[1], np.zeros((3, 2)))
    h = al.hessian(lambda x, y: al.sum(x**3), (0, 1), chunk_size=2)(np.arange(3.0), np.ones(2))
    assert_close(h[0][0], np.diag(6 * np.arange(3.0)))
    assert_close(h[1][1], np.zeros((2, 2)))
    assert_close(h[0][1], np.zeros((3, 2)))


@pytest.mark.parametrize("transform", [al.jacobian, al.jacrev, al.hessian])
@pytest.mark.parametrize(
    "options, error, words",
    [
        ({"chunk_size": 0}, ValueError, "chunk_size must be None or an int >= 1, got 0"),
        ({"chunk_size": -3}, ValueError, "chunk_size .* got -3"),
        ({"chunk_size": 2.0}, TypeError, "chunk_size .* got 2.0"),
        ({"chunk_size": True}, TypeError, "chunk_size .* got True"),
        ({"chunk_size": "4"}, TypeError, "chunk_size .* got '4'"),
        ({"vectorize": "yes"}, TypeError, "vectorize must be True or False, got 'yes'"),
    ],
)
def test_bad_vectorize_and_chunk_size_are_named(transform, options, error, words):
    with pytest.raises(error, match=f"{transform.__name__}: {words}"):
        transform(lambda x: al.sum(x * x), **options)


def test_a_primitive_on_values_inside_a_batched_sweep():
    # erf (a batch-aware primitive) on Values: its cotangent for a Value is a batch (B,).
    def f(x):
        a, b = x[0]._as_value(), x[1]._as_value()
        return al.stack([al.nn.erf(a * 2.0), al.nn.erf(b) * a])

    x = np.array([0.3, -0.7])
    assert_close(al.jacrev(f)(x), al.jacrev(f, vectorize=False)(x), atol=1e-14)
    h = al.hessian(lambda v: f(v).sum())
    assert_close(h(x), al.hessian(lambda v: f(v).sum(), vectorize=False)(x), atol=1e-14)
