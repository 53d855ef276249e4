"""`al.compile`: a replayed step is the eager step, bit for bit, and eager mode is untouched."""

import contextlib
import functools
import operator
import struct
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Tensor, Value, jit, nn, optim
from autograd_lite.core import ops, tensor, value
from autograd_lite.jit import _FAST_RULES, _FAST_SCALAR_RULES, _SAFE_SCALAR, _swaps
from autograd_lite.math.distributions import Normal
from benchmarks.workloads import compiled as workload
from benchmarks.workloads import op_overhead, scalar_mlp, tensor_mlp

# A recording found to depend on data is a warning (and eager calls): here, an error, except
# where a test expects it.
pytestmark = pytest.mark.filterwarnings("error:al.compile:RuntimeWarning")


def _same(a, b):
    """Bit-for-bit equal nested results (arrays, floats, nodes), NaNs in the same places."""
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    a = a.data if isinstance(a, (Tensor, Value)) else a
    b = b.data if isinstance(b, (Tensor, Value)) else b
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    bits = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" else a.dtype
    assert np.array_equal(a.reshape(-1).view(bits), b.reshape(-1).view(bits)), (a, b)  # -0.0 too


def _twins(make, steps=4, compile_it=True):
    """Run two copies of a step, eager and compiled, `steps` times; compare every call."""
    eager_step, eager_state = make()
    step, state = make()
    fast = al.compile(step) if compile_it else step
    for _ in range(steps):
        _same(eager_step(), fast())
        _same(eager_state(), state())
    return fast


@contextlib.contextmanager
def _levels(min_width):
    """Float operations by numpy (`jit._levelled`) from `min_width` of a kind and level on,
    in any program that has some (None: never)."""
    saved = jit._LEVELS_MIN_WIDTH, jit._LEVELS_MIN_SHARE
    jit._LEVELS_MIN_WIDTH, jit._LEVELS_MIN_SHARE = min_width or 10**9, 0.0
    try:
        yield
    finally:
        jit._LEVELS_MIN_WIDTH, jit._LEVELS_MIN_SHARE = saved


def _program(fast):
    (program,) = fast._cache.values()
    return program


# ---- every benchmark workload ------------------------------------------------------------


def test_op_chain_workload_replays_bit_for_bit():
    fast = _twins(lambda: workload._chain_step(20))
    assert fast.recordings == 2  # recorded, recorded again to verify, replayed


@pytest.mark.parametrize("sizes", [(20, 8, 3), (64, 128, 10)])
def test_tensor_mlp_workload_replays_bit_for_bit(sizes):
    problem = tensor_mlp.make_problem(sizes, 16)
    fast = _twins(lambda: workload._tensor_step(*problem))
    assert fast.recordings == 2  # recorded, recorded again to verify, replayed


@pytest.mark.parametrize("min_width", [None, 1, 5])
def test_scalar_mlp_workload_replays_bit_for_bit(min_width):
    x, y, layers = scalar_mlp._problem((2, 4, 4, 1), 6)
    with _levels(min_width):
        fast = _twins(lambda: workload._scalar_step(x, y, layers))
    assert fast.recordings == 2  # recorded, recorded again to verify, replayed
    assert (_program(fast).floats is not None) == (min_width is not None)


def test_compiled_workload_steps_are_the_hand_written_ones():
    """The workload's steps (SGD inside) compute what workloads 1-3 compute by hand."""
    x, y, layers = scalar_mlp._problem((2, 4, 4, 1), 6)
    ours, ours_state = workload._scalar_step(x, y, layers)
    hand, hand_state = scalar_mlp._ours(x, y, layers)
    problem = tensor_mlp.make_problem((20, 8, 3), 16)
    tensor_ours, tensor_state = workload._tensor_step(*problem)
    tensor_hand, tensor_hand_state = tensor_mlp._ours(*problem)
    chain, chain_state = workload._chain_step(10)
    chain_hand, chain_hand_state = op_overhead._ours(10)
    for _ in range(3):
        _same(ours(), hand())
        _same(ours_state(), hand_state())
        _same(tensor_ours(), tensor_hand())
        _same(tensor_state(), tensor_hand_state())
        _same(chain(), chain_hand())


def test_depth_workload_chain_replays():
    def make():
        x = Value(0.5)

        def run():
            x.grad = 0.0
            y = x
            for _ in range(300):
                y = y * 0.999 + 0.001
            y.backward()
            return x.grad

        return run, lambda: x.grad

    _twins(make)


def test_digits_style_step_with_batches_as_arguments():
    """Modules, cross_entropy, SGD, and the batch passed in: each call a different batch."""
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((5, 8, 6)), rng.integers(0, 3, (5, 8))

    ys[3] = ys[0]  # batch 3: new inputs, the labels of batch 0 (replayed, not recorded)

    def make():
        model = nn.Sequential(nn.Linear(6, 7, rng=1), nn.ReLU(), nn.Linear(7, 3, rng=2))
        sgd = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        calls = iter(range(100))

        def fit(x, y):
            loss = nn.cross_entropy(model(Tensor(x)), y)
            sgd.zero_grad()
            loss.backward()
            sgd.step()
            return loss

        def step():
            k = next(calls) % len(xs)
            return fit(xs[k], ys[k])

        return step, lambda: [p.data for p in model.parameters()], fit

    eager, eager_state, _ = make()
    _, state, fit = make()
    fast = al.compile(fit)
    # Integer labels are part of the key (numpy work on them is not recorded): 4 distinct
    # label arrays; 3 of them recorded and verified, one recorded (7), the others replays.
    # The third recording made for new label values only says so, once.
    with pytest.warns(RuntimeWarning, match="values of integer or bool arrays") as caught:
        for k in range(8):
            _same(eager(), fast(xs[k % 5], ys[k % 5]))
            _same(eager_state(), state())
    assert fast.recordings == 7 and len(caught) == 1
    # Float arrays of new values are inputs, not keys: no recording and no warning.
    fast = al.compile(fit)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(6):
            fast(xs[k % 5] + k, ys[0])
    assert fast.recordings == 2


def test_python_numbers_that_change_at_every_call_say_so_once():
    """Python numbers passed as arguments are part of the key: a scalar step given new floats
    at every call records at every call, and says so once, naming the way out."""
    w = Value(0.5)

    def step(x):
        w.grad = None
        out = w * x
        out.backward()
        return out, w.grad

    fast = al.compile(step)
    with pytest.warns(RuntimeWarning, match="or of Python numbers") as caught:
        for v in range(6):
            _same(step(float(v)), fast(float(v)))
    assert fast.recordings == 6 and len(caught) == 1


def test_adam_and_a_scheduler_are_replayed():
    def make():
        w = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
        adam = optim.Adam([w], lr=0.05)
        schedule = optim.lr_scheduler.StepLR(adam, step_size=2, gamma=0.5)

        def step():
            adam.zero_grad()
            loss = ((w * w).sum(axis=0) - 1.0).tanh().sum()
            loss.backward()
            adam.step()
            schedule.step()
            return loss

        return step, lambda: (w.data, adam.param_groups[0]["lr"])

    _twins(make, steps=6)


# ---- the functional transforms ---------------------------------------------------------


def test_compile_of_grad_is_grad():
    def f(x):
        return (al.sin(x) * x).sum() + al.logsumexp(x * 2.0)

    df, fast = al.grad(f), al.compile(al.grad(f))
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.standard_normal(5)
        _same(df(x), fast(x))
    assert fast.recordings == 2  # recorded, recorded again to verify, replayed


def test_compile_of_value_and_grad_with_two_arguments():
    def f(a, b):
        return ((a @ b).tanh() ** 2).mean()

    vg, fast = al.value_and_grad(f, argnums=(0, 1)), al.compile(al.value_and_grad(f, (0, 1)))
    rng = np.random.default_rng(2)
    for _ in range(3):
        a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
        _same(vg(a, b), fast(a, b))


def test_compile_of_grad_of_a_value_function():
    def f(x):
        return (x * x + x.exp()).relu() / 3.0

    fast = al.compile(al.grad(f))
    for x in [Value(v, requires_grad=False) for v in (0.3, -2.0, 1.5)]:
        _same(al.grad(f)(x), fast(x))
    assert fast.recordings == 2  # Values are inputs: recorded, verified, replayed


# ---- random graphs ---------------------------------------------------------------------

UNARY = ["tanh", "sin", "exp", "relu", "sigmoid", "abs", "neg", "square", "sqrt_abs"]
BINARY = ["add", "sub", "mul", "div", "maximum"]


TENSOR_ONLY = ["log_softmax", "pick", "mean_all", "matmul"]  # the replay's kernels among them


def _tensor_only(name, a, b):
    """Ops on Tensors whose replays call kernels (`jit._KERNELS`), each giving a shape that
    broadcasts with the leaves': `a @ (b.T @ b)` where the shapes fit (else a * b),
    log_softmax, x[int arrays] with repeated and negative indices (4 elements), the mean."""
    if name == "log_softmax":
        return a.log_softmax(axis=-1) if a.ndim else a
    if name == "pick":
        rows, cols = np.array([0, -1, 0, 2]), np.array([1, 1, -1, 0])
        if a.ndim == 2:
            return a[rows % a.shape[0], cols % a.shape[1]]
        return a[rows % a.shape[0]] if a.ndim == 1 else a
    if name == "mean_all":
        return a.mean()
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[1]:
        return a @ (b.T @ b)
    return a * b


def _unary(name, x):
    if name == "neg":
        return -x
    if name == "square":
        return x**2
    if name == "sqrt_abs":
        return al.sqrt(al.abs(x) + 1.0)
    if name == "exp":
        return al.exp(al.tanh(x))
    return getattr(al, name)(x)


def _binary(name, a, b):
    if name == "maximum":
        return al.maximum(a, b)
    if name == "div":
        return a / (al.abs(b) + 0.5)
    return getattr(operator, name)(a, b)


graphs = st.lists(
    st.tuples(
        st.sampled_from(UNARY + BINARY),
        st.integers(0, 100),
        st.integers(0, 100),
        st.sampled_from(["none", "sum0", "mean1", "keep"]),
    ),
    min_size=1,
    max_size=12,
)


def _random_program(program, leaves):
    """Apply `program` to `leaves`: each step one op on two earlier results (broadcasting)."""
    vals = list(leaves)
    for name, i, j, reduce in program:
        a, b = vals[i % len(vals)], vals[j % len(vals)]
        if name in TENSOR_ONLY:
            out = _tensor_only(name, a, b)
        else:
            out = _unary(name, a) if name in UNARY else _binary(name, a, b)
        if isinstance(out, Tensor) and out.ndim == 2:
            if reduce == "sum0":
                out = out.sum(axis=0)
            elif reduce == "mean1":
                out = out.mean(axis=1, keepdims=True)
        vals.append(out)
    return vals


tensor_graphs = st.lists(
    st.tuples(
        st.sampled_from(UNARY + BINARY + TENSOR_ONLY),
        st.integers(0, 100),
        st.integers(0, 100),
        st.sampled_from(["none", "sum0", "mean1", "keep"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(tensor_graphs, st.integers(0, 2**16), st.sampled_from([None, np.inf, -np.inf, np.nan]))
def test_random_tensor_graphs_replay_bit_for_bit(program, seed, special):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (3, 1), ()]

    def leaf(shape):
        x = rng_copy.standard_normal(shape)
        if special is not None and x.size > 1:
            x.reshape(-1)[rng_copy.integers(x.size)] = special
        return x

    def make():
        params = [Tensor(leaf(s), requires_grad=True) for s in shapes]
        sgd = optim.SGD(params, lr=0.01, momentum=0.5)

        def step():
            sgd.zero_grad()
            out = _random_program(program, params)
            loss = sum((v.sum() if v.ndim else v) for v in out[len(params) :])
            loss.backward()
            sgd.step()
            return loss

        return step, lambda: [p.data for p in params]

    rng_copy = np.random.default_rng(seed)
    eager = make()
    rng_copy = np.random.default_rng(seed)
    fast_step, state = make()
    fast = al.compile(fast_step)
    with np.errstate(all="ignore"):  # numpy's warnings for the infinities and NaNs
        for _ in range(3):
            _same(eager[0](), fast())
            _same(eager[1](), state())
    del rng


@settings(max_examples=30, deadline=None)
@given(graphs, st.lists(st.floats(-2, 2), min_size=3, max_size=3), st.sampled_from([None, 1, 2]))
def test_random_value_graphs_replay_bit_for_bit(program, start, min_width):
    def make():
        params = [Value(v) for v in start]
        sgd = optim.SGD(params, lr=0.01)

        def step():
            sgd.zero_grad()
            out = _random_program([(n, i, j, "none") for n, i, j, _ in program], params)
            loss = sum(out[len(params) :])
            loss.backward()
            sgd.step()
            return loss

        return step, lambda: [p.data for p in params]

    with _levels(min_width):  # None: the interpreter; else by levels, numpy where it can
        _twins(make, steps=3)


# ---- kernels: a rule's arithmetic called directly once the recording knows the shapes ----


def _specials(rng, shape, dtype=np.float64):
    """Normal numbers of `shape`; from 4 elements on, -0.0, infinities and NaN in some places."""
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    for v in (-0.0, np.inf, -np.inf, np.nan, 0.0):
        if flat.size >= 4 and rng.random() < 0.6:
            flat[rng.integers(flat.size)] = v
    return x.astype(dtype)


def _kernel_cases(rng):
    """(function recorded, its arguments), for every function of `jit._KERNELS`; cases its
    kernel takes and cases it leaves generic (other shapes, dtypes, a batched cotangent)."""
    cases = []
    sp = lambda shape, dtype=np.float64: _specials(rng, shape, dtype)  # noqa: E731
    for shape, dtype in [((4, 3), np.float64), ((2, 3, 4), np.float32), ((), np.float64)]:
        x = sp(shape, dtype)
        cases.append((ops._relu_rule, (sp(shape, dtype), ops.RELU.array(x), x)))
        cases.append((ops._relu_rule, (sp(shape, dtype), ops.RELU.array(x), Tensor(x))))
    for shape, axis in [((4, 3), 1), ((4, 3), 0), ((2, 3, 4), -1), ((5,), None), ((2, 3), (0, 1))]:
        for dtype in (np.float64, np.float32):
            x = sp(shape, dtype)
            out = ops._log_softmax_array(x, axis)
            cases.append((ops._log_softmax_array, (x, axis)))
            cases.append((ops._log_softmax_rule, (sp(shape, dtype), out, x, axis)))
            batched = sp((2, *shape), dtype)  # a batched sweep's cotangent: batch axes in front
            cases.append((ops._log_softmax_rule, (batched, out, x, axis)))
    for shape, axis, keepdims in [
        ((4, 3), None, False),
        ((4, 3), 1, True),
        ((2, 3, 4), (0, 2), False),
        ((0, 3), 0, False),
        ((4, 3), None, True),
        ((5,), 0, False),
    ]:
        x = sp(shape)
        out = ops._mean_array(x, axis, keepdims)
        cases.append((ops._mean_array, (x, axis, keepdims)))
        cases.append((jit._array_forward(ops.MEAN, True), (x, None, False)))
        for g in (sp(out.shape), np.full(out.shape, np.inf), np.full(out.shape, -0.0)):
            cases.append((ops._mean_rule, (g, out, x, axis, keepdims)))
    rows, cols = np.array([0, 3, 3, -1, 2]), np.array([1, 0, 0, 2, -3])
    x = sp((4, 3))
    for index in [(rows, cols), (rows[:, None], cols[None, :]), (rows,), (slice(1, 3), cols[:2])]:
        out = x[index]
        cases.append((ops.GETITEM.vjps[0], (sp(out.shape), out, x, index)))
        cases.append((ops.GETITEM.vjps[0], (sp(out.shape, np.float32), out, x, index)))
        cases.append((ops.GETITEM.vjps[0], (sp((2, *out.shape)), out, x, index)))  # batched
    x1 = sp((5,))
    cases.append((ops.GETITEM.vjps[0], (sp((3,)), x1[rows[:3]], x1, rows[:3])))
    for c_shape, like_shape in [
        ((4, 3), (3,)),
        ((4, 3), (1, 3)),
        ((4, 3), (4, 1)),
        ((2, 4, 3), (4, 3)),
        ((4, 3), ()),
        ((3,), (3,)),
    ]:
        cases.append((Tensor._sum_to_shape, (sp(c_shape), sp(like_shape))))
        cases.append((Tensor._sum_to_shape, (sp(c_shape), sp(like_shape, np.float32))))
    cases.append((Tensor._sum_to_shape, (-np.asarray(1.5), np.asarray(2.0))))  # a numpy scalar
    for shape, dtype in [((), np.float64), ((), np.float32), ((3,), np.float64)]:
        cases.append((np.ones_like, (sp(shape, dtype),)))
    for a_shape, b_shape in [((4, 3), (3, 2)), ((3,), (3, 2)), ((4, 3), (3,)), ((2, 4, 3), (3, 2))]:
        a, b = sp(a_shape), sp(b_shape)
        out = np.matmul(a, b)
        cases.append((ops._matmul_array, (a, b)))
        cases.append((ops._matmul_array, (-0.0 * np.abs(a), np.abs(b))))  # sums of -0.0
        for rule in ops.MATMUL.vjps:
            cases.append((rule, (sp(np.shape(out)), out, a, b)))
    return cases


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_kernels_compute_what_the_functions_they_replace_compute(seed):
    """Each kernel a replay calls instead of a recorded function gives that function's result,
    bit for bit (class, dtype, shape, every bit, NaNs and -0.0 included), wherever its maker
    takes the arguments; every maker is tested and takes some."""
    taken = set()
    with np.errstate(all="ignore"):
        cases = _kernel_cases(np.random.default_rng(seed))
    for f, args in cases:
        made = jit._KERNELS[f](*args)
        if made is None:
            continue
        taken.add(f)
        with np.errstate(all="ignore"):
            expected = f(*args)
            values = list(args)  # a kernel in steps: each result appended for the next
            for kernel, picks in made if made.__class__ is list else [made]:
                got = kernel(*[values[k] for k in picks])
                values.append(got)
        assert type(got) is type(expected), (f, type(got), type(expected))
        _same(expected, got)
    assert taken == set(jit._KERNELS)


def test_kernels_are_used_only_where_every_shape_is_fixed():
    """An op parameter computed by fn (here clip's bound, an input) may change shapes from
    call to call: then no kernel is made (kernels fix what the recorded shapes fixed)."""

    def loss(x, lo):
        return al.clip(x, lo, None).mean()

    def kernels(fast):
        used = {
            getattr(ins[0], "func", ins[0]) for _, code in _program(fast).blocks for ins in code
        }
        return used & {ops._mean_raw, ops._mean_all_rule_raw}

    x, lo = np.linspace(-1, 1, 6), np.full(6, -0.5)
    fast = al.compile(al.grad(loss))
    for _ in range(3):
        _same(al.grad(loss)(x, lo), fast(x, lo))
    assert not kernels(fast)
    steady = al.compile(al.grad(lambda x: loss(x, -0.5)))
    for _ in range(3):
        _same(al.grad(lambda x: loss(x, -0.5))(x), steady(x))
    assert kernels(steady)


def test_fast_scalar_rules_are_the_ops_rules():
    """The C functions standing for a few rules give exactly the rule's result."""
    specials = [0.0, -0.0, 1.5, -2.25, 1e308, -1e-310, float("inf"), -float("inf"), float("nan")]
    table = {**_FAST_RULES, **_FAST_SCALAR_RULES}
    for (op, i), fast in table.items():
        for g in specials:
            for x in specials:
                for y in specials:
                    args = (g, ops.scalar_forward(op, (x, y)[: op.arity]), x, y)[: 2 + op.arity]
                    expected = op.vjps[i](*args)
                    got = g if fast is None else fast[0](g, *[args[k] for k in fast[1]])
                    _same(expected, got)
    for op in _SAFE_SCALAR:  # their forwards never raise on floats
        for x in specials:
            for y in specials:
                op.scalar(*(x, y)[: op.arity])


# Floats where an operation rounds, overflows, underflows or meets a NaN: -0.0, the largest and
# smallest (subnormal) numbers, infinities.
SPECIALS = [0.0, -0.0, 1.0, -1.5, 0.1, 3.0, 1e308, -1e308, 1e-160, 5e-324, -2.5e-310]
SPECIALS += [float("inf"), -float("inf"), float("nan")]


def _special_step(xs, ys, zs):
    """Each float function replayed by numpy (`jit._VECTOR1`, `_VECTOR2`), on each pair of
    specials, forward and backward; the cotangent of each result is a special too (z)."""
    terms = []
    for x, y, z in zip(xs, ys, zs):
        p = x * y
        for out in (x + y, x - y, p, -x, x.relu(), p.relu(), (x - y).tanh(), p * 0.1 + y):
            terms.append(out * z)
    loss = sum(terms)
    loss.backward()
    return terms


def _bits(x, nan_sign=True):
    """The bits of a float; with nan_sign=False, every NaN alike."""
    return b"nan" if x != x and not nan_sign else struct.pack("<d", x)


def test_float_arithmetic_by_levels_is_eager_bit_for_bit_at_special_points():
    """Levelled numpy replay: the bits of Python's float operations (IEEE rounds each
    operation exactly), at -0.0, subnormals, overflow, infinities and NaN included. Which
    NaN an operation on two NaNs gives is up to the machine code: the results of the
    forwards (operator.mul ...) keep it, but CPython's own `g * y` in a rule may differ."""
    pairs = [(x, y) for x in SPECIALS for y in SPECIALS]
    specials = [xy + (SPECIALS[(3 * k) % len(SPECIALS)],) for k, xy in enumerate(pairs)]
    rng = np.random.default_rng(0)
    fast = al.compile(_special_step)
    for rows in [rng.standard_normal((len(pairs), 3)).tolist() for _ in range(2)] + [specials]:
        args = [[Value(v) for v in column] for column in zip(*rows)]  # inputs: xs, ys, zs
        eager_args = [[Value(v) for v in column] for column in zip(*rows)]
        got, expected = fast(*args), _special_step(*eager_args)
        assert [_bits(v.data) for v in got] == [_bits(v.data) for v in expected]
        got = [_bits(v.grad, False) for column in args for v in column]
        assert got == [_bits(v.grad, False) for column in eager_args for v in column]
    assert fast.recordings == 2 and _program(fast).floats is not None  # replayed by levels


# ---- the cache, recompiling, bad input ---------------------------------------------------


def test_new_shapes_and_dtypes_record_again_and_the_cache_is_bounded():
    def f(x):
        return (x * x).sum()

    fast = al.compile(al.grad(f), cache_size=2)
    a64, a32 = np.arange(3.0), np.arange(3.0, dtype=np.float32)
    _same(fast(a64), al.grad(f)(a64))
    _same(fast(a32), al.grad(f)(a32))
    assert fast(a32).dtype == np.float32  # verified
    assert fast.recordings == 3
    _same(fast(np.ones((2, 2))), al.grad(f)(np.ones((2, 2))))  # a third: the oldest goes
    assert fast.recordings == 4 and len(fast._cache) == 2
    fast(a32)  # replayed
    assert fast.recordings == 4
    fast(a64)  # evicted: recorded again
    assert fast.recordings == 5


def test_another_structure_records_again():
    def f(x):
        return al.sum(al.stack(x) * 2.0) if isinstance(x, list) else al.sum(x * 2.0)

    fast = al.compile(al.grad(f))
    _same(fast(np.ones(2)), np.full(2, 2.0))
    _same(fast([1.0, 2.0]), np.full(2, 2.0))  # a list of numbers: a constant of the key
    assert fast.recordings == 2


def test_python_numbers_are_part_of_the_key():
    w = Tensor(np.ones(3), requires_grad=True)

    def f(scale):
        return (w * scale).sum()

    fast = al.compile(f)
    assert fast(2.0).item() == 6.0
    assert fast(3.0).item() == 9.0
    assert fast(2.0).item() == 6.0
    assert fast.recordings == 3  # 2.0, 3.0, then 2.0 verified


def test_unsupported_arguments_raise_type_error_naming_them():
    fast = al.compile(lambda x: x)
    with pytest.raises(TypeError, match=r"argument\[0\]\['a'\] is a object"):
        fast({"a": object()})
    with pytest.raises(TypeError, match="fn must be callable"):
        al.compile(3)
    with pytest.raises(ValueError, match="cache_size"):
        al.compile(lambda: 0, cache_size=0)


def test_raw_arithmetic_on_data_inside_is_refused():
    w = Value(1.0)

    def manual_sgd():
        w.grad = 0.0
        (w * w).backward()
        w.data -= 0.1 * w.grad  # numpy/float arithmetic: would be fixed at recording

    with pytest.raises(TypeError, match="assigning .data"):
        al.compile(manual_sgd)()


def test_numbers_taken_out_of_nodes_are_refused():
    w = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="item"):
        al.compile(lambda: (w * 2.0).sum().item())()
    with pytest.raises(TypeError, match="float"):
        al.compile(lambda: float(Value(2.0) * w.sum()))()
    # a constant made inside may be read: its value is the same at every call
    assert al.compile(lambda: float(Value(2.0, requires_grad=False) * 3.0))() == 6.0


def test_create_graph_is_refused_clearly():
    w = Tensor(np.ones(2), requires_grad=True)

    def step():
        (w * w).sum().backward(create_graph=True)

    with pytest.raises(TypeError, match="create_graph"):
        al.compile(step)()
    with pytest.raises(TypeError, match="create_graph"):
        al.compile(al.hessian(lambda x: (x**3).sum()))(np.ones(2))


def test_data_dependent_control_flow_is_fixed_at_recording():
    """The documented pitfall (docs/compile.md): a branch on data is taken at recording. The
    second call records again and compares: a different program is found and warned about
    (those calls then run eagerly); a branch that changes only later is fixed for good."""

    def f(x):
        if (x.data > 0).all():  # decided by the data of the recordings
            return (x * 2.0).sum()
        return (x * -1.0).sum()

    fast = al.compile(al.grad(f))
    _same(fast(np.ones(2)), np.full(2, 2.0))
    with pytest.warns(RuntimeWarning, match="different programs"):
        _same(fast(-np.ones(2)), np.full(2, -1.0))  # the second recording differs: eager
    _same(fast(-np.ones(2)), np.full(2, -1.0))
    _same(fast(np.ones(2)), np.full(2, 2.0))

    fixed = al.compile(al.grad(f))
    fixed(np.ones(2))
    fixed(np.full(2, 3.0))  # the same program: verified
    _same(fixed(-np.ones(2)), np.full(2, 2.0))  # eager would give -1: the branch was fixed
    _same(al.grad(f)(-np.ones(2)), np.full(2, -1.0))


def test_numpy_on_raw_arrays_is_found_by_the_second_recording():
    w = Tensor(np.ones(3), requires_grad=True)

    def f(x):
        return (w * Tensor(np.exp(x))).sum()  # np.exp: not an op, invisible to a recording

    fast = al.compile(f)
    assert fast(np.zeros(3)).item() == 3.0
    with pytest.warns(RuntimeWarning, match="different programs"):
        assert fast(np.ones(3)).item() == (w * Tensor(np.exp(np.ones(3)))).sum().item()
    assert fast(np.full(3, 2.0)).item() == (w * Tensor(np.exp(np.full(3, 2.0)))).sum().item()


def test_a_constant_passed_through_by_minimum_is_still_the_constant():
    # minimum(x, c) gives the float object c itself when x > c: the program must not take a
    # later use of the constant c for that result (the other branch gives x), nor a second
    # minimum giving c for an ambiguous value.
    c = -0.5

    def f(x, y):
        al.minimum(x, c)  # the eager result holds c while x > c
        return y * c  # was replayed as y * x once x < c

    def g(x, y):
        m = al.minimum(x, c) + al.minimum(y, c)
        return m, y * c, al.minimum(x, c).data * y

    for fn in (f, g):
        fast = al.compile(fn)
        for x in [1.0, 2.0, -3.0, 4.0, -4.0]:
            _same(fast(Value(x), Value(10.0)), fn(Value(x), Value(10.0)))


def test_gradients_of_two_arguments_replayed_never_share_memory():
    # add passes its cotangent on unchanged: the replay copies it for the second gradient
    # as the eager sweep does (a copy unseen by the recording would run every call eagerly).
    fast = al.compile(lambda x, y: al.grad(lambda a, b: al.mean(a + b), argnums=(0, 1))(x, y))
    for k in range(3):
        gx, gy = fast(np.full((2, 3), float(k)), np.ones((2, 3)))
        assert not np.shares_memory(gx, gy)
    assert fast.recordings == 2


def test_results_are_constants_and_inputs_are_not_kept_changed():
    w = Tensor(np.ones(3), requires_grad=True)
    fast = al.compile(lambda x: (w * x).sum())
    for _ in range(2):
        out = fast(np.arange(3.0))
        assert isinstance(out, Tensor) and not out.requires_grad and out.item() == 3.0


def test_captured_parameter_of_a_new_shape_records_again():
    w = Tensor(np.ones(3), requires_grad=True)
    fast = al.compile(lambda: (w * w).sum())
    assert fast().item() == 3.0
    w.data = np.ones(4)
    assert fast().item() == 4.0
    assert fast.recordings == 2


# ---- eager mode is untouched -------------------------------------------------------------


def test_everything_swapped_is_put_back_even_after_an_error():
    before = [(owner, name, owner.__dict__[name]) for owner, name, _ in _swaps()]

    def broken():
        Tensor(np.ones(2), requires_grad=True).sum().backward()
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        al.compile(broken)()
    for owner, name, original in before:
        assert owner.__dict__[name] is original, name
    assert tensor._new_tensor is before[0][2] and value._new_value is before[1][2]


def test_another_thread_is_not_recorded():
    seen = []
    go, done = threading.Event(), threading.Event()

    def other():
        go.wait()
        t = Tensor(np.ones(2), requires_grad=True)
        (t * 3.0).sum().backward()
        seen.append(t.grad.data)
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    w = Tensor(np.ones(2), requires_grad=True)

    def step():
        go.set()
        done.wait(5)
        return (w * 2.0).sum()

    fast = al.compile(step)
    fast()
    thread.join()
    _same(seen[0], np.full(2, 3.0))
    assert fast().item() == 4.0


def test_the_documentation_examples_run():
    """docs/compile.md's code blocks, in order, in one namespace (their asserts are checks)."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "compile.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    namespace = {}
    for block in blocks:
        exec(compile(block, "docs/compile.md", "exec"), namespace)  # noqa: S102
    step = namespace["step"]
    assert step.recordings == 2
    _same(namespace["df"](-np.ones(2)), np.full(2, 2.0))  # the pitfall, as documented
    assert namespace["seen"] and "different programs" in str(namespace["seen"][0].message)


def test_dropout_in_training_is_refused_and_runs_in_eval():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Dropout(0.5, rng=1))
    step = al.compile(lambda x: model(Tensor(x)).sum())
    with pytest.raises(TypeError, match="Dropout in training mode"):
        step(np.ones((2, 3)))
    model.eval()
    _same(step(np.ones((2, 3))), model(Tensor(np.ones((2, 3)))).sum())


def test_arrays_of_captured_nodes_read_by_data_are_checked_at_every_call():
    """BatchNorm in eval mode reads its running statistics as raw arrays: when training
    (eager) replaces them, the compiled evaluation records again instead of using old ones."""
    bn = nn.BatchNorm1d(3)
    evaluate = al.compile(lambda x: bn(Tensor(x)).sum())
    x = np.arange(12.0).reshape(4, 3)
    for _ in range(3):
        bn.train()
        bn(Tensor(x * 0.5 + 1.0))  # eager training: new running statistics
        bn.eval()
        _same(evaluate(x), bn(Tensor(x)).sum())
    assert evaluate.recordings == 3


def test_a_frozen_parameter_records_again():
    def make():
        w, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)

        def step():
            w.grad = b.grad = None
            ((w * 2.0 + b).tanh()).sum().backward()
            return w.grad, b.grad

        return step, w

    eager, w_eager = make()
    step, w = make()
    fast = al.compile(step)
    _same(eager(), fast())
    w.requires_grad = w_eager.requires_grad = False
    assert eager()[0] is None and fast()[0] is None
    assert fast.recordings == 2


def test_backward_commits_into_the_nodes_passed_at_each_call():
    def step(w):
        w.grad = None
        (w * w * 3.0).sum().backward()
        return w.grad

    fast = al.compile(step)
    for k in range(3):
        w = Tensor(np.arange(3.0) + k, requires_grad=True)
        v = Value(1.0 + k)
        _same(fast(w), 6.0 * w.data)
        _same(w.grad, 6.0 * w.data)
        fast_value = al.compile(lambda v: (v * v).backward())
        fast_value(Value(5.0))
        fast_value(v)
        assert v.grad == 2.0 * v.data
    assert fast.recordings == 2  # recorded, recorded again to verify, replayed


def test_grad_of_a_node_made_inside_is_its_cotangent():
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)

    def step():
        h = w * 3.0
        (h.tanh() * h).sum().backward()
        return h.grad, w.grad

    eager = step()
    w.grad = None
    fast = al.compile(step)
    for _ in range(2):
        w.grad = None
        _same(fast(), eager)

    def twice():
        h = w * 3.0
        h.sum().backward()
        h.sum().backward()
        return h.grad

    with pytest.raises(TypeError, match="two backward passes"):
        al.compile(twice)()


def test_compile_of_jacobian_stacks_the_rows_of_each_call():
    def f(v):
        return al.stack([v[0] ** 2 + v[1], al.sin(v[0] * v[1])])

    for kw in ({}, {"chunk_size": 1}, {"vectorize": False}):  # batched, in chunks, row by row
        fast = al.compile(al.jacobian(f, **kw))
        for x in (np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([-3.0, 0.25])):
            _same(fast(x), al.jacobian(f, **kw)(x))
        assert fast.recordings == 2  # recorded, recorded again to verify, replayed


def test_a_returned_function_is_refused():
    with pytest.raises(TypeError, match="returned a function"):
        al.compile(lambda x: al.vjp(lambda v: al.sin(v), x))(np.ones(2))


def test_a_result_computed_outside_the_engine_is_never_replayed_stale():
    # numpy on a raw input: nothing recorded computes the result, so a replay would return
    # the recording's array for every later input. It is a constant of the program, which
    # differs between the two recordings: warned about, and run eagerly from then on.
    f = al.compile(lambda x: np.sin(x) * 2)
    with pytest.warns(RuntimeWarning):
        for v in ([0.1, 0.2], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]):
            np.testing.assert_array_equal(f(np.array(v)), np.sin(np.array(v)) * 2)
    g = al.compile(lambda x: float(np.sum(x)) + 1.0)  # a float the same way
    with pytest.warns(RuntimeWarning):
        for v in ([0.1, 0.2], [1.0, 2.0], [3.0, 4.0]):
            assert g(np.array(v)) == float(np.sum(v)) + 1.0
    h = al.compile(lambda x: int(np.argmax(x)))  # an int too
    with pytest.warns(RuntimeWarning):
        assert [h(np.array(v)) for v in ([0.0, 1.0], [1.0, 0.0], [0.0, 2.0])] == [1, 0, 1]


def test_gradients_accumulate_across_replays_as_across_eager_calls():
    """A step that never zeroes `.grad` adds each backward pass into it (and a Tensor whose
    `.grad` was set to None starts again from the cotangent), exactly as eager calls do."""

    def make():
        w = Tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
        b = Tensor(np.array(0.25), requires_grad=True)

        def step():
            ((w * w).sum() * b + b).backward()
            return w.grad, b.grad

        return step, lambda: [w.grad, b.grad]

    fast = _twins(make, steps=5)
    assert fast.recordings == 2


def test_grad_mode_is_part_of_the_key():
    """A step recorded with gradients on is not replayed inside `no_grad()`: that call runs
    as eagerly it would (its backward pass finds no graph, and says so)."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step():
        w.grad = None
        (w * w).sum().backward()
        return w.grad

    fast = al.compile(step)
    for _ in range(3):
        _same(fast(), 2.0 * w.data)
    with al.no_grad(), pytest.raises(RuntimeError) as eager_error:
        step()
    with al.no_grad(), pytest.raises(RuntimeError) as replay_error:
        fast()
    assert str(replay_error.value) == str(eager_error.value)


def test_values_computed_once_never_leave_the_program():
    """The seed of a scalar root and the rules on it alone are computed once (`jit._folded`),
    but not where the result leaves: here the mean's spread of 1/n is the parameter's
    gradient, which the caller edits in place between calls; each call still commits a
    fresh, correct gradient (the eager one)."""

    def make():
        w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)

        def step():
            w.grad = None
            w.mean().backward()
            return w.grad

        def edit():
            w.grad.data[...] = 99.0  # the caller's own edit of the gradient it was given
            return [w.data]

        return step, edit

    _twins(make, steps=4)


def test_a_value_computed_once_is_not_shared_with_one_computed_at_every_call(monkeypatch):
    """`jit._folded` on a program by hand: a pure call on constants is folded, unless a call
    made at every call returns a view of its result (or it leaves through a commit)."""
    vals = [np.float64(2.0), np.zeros(3), None, None, None, None]
    vals[2] = np.full(3, 2.0)  # r2 = spread(r0): pure, on a constant
    vals[3] = vals[2][::-1]  # r3 = a view of r2, made at every call (not pure)
    vals[4] = vals[2] * 2.0  # r4 = r2 * 2: a new array
    vals[5] = vals[2]  # r5 = np.asarray(r2): r2 itself
    spread = functools.partial(ops._filled, (3,))
    monkeypatch.setattr(jit, "_PURE", jit._PURE | {ops._filled})
    view = operator.itemgetter(slice(None, None, -1))
    make = [(jit._UNARY, [(spread, 2, 0)])]
    times_two = [(jit._BINARY, [(operator.mul, 4, 2, 0)])]
    consts = [(0, vals[0]), (1, vals[1])]

    def folded(blocks, pinned=()):
        return [reg for reg, _ in jit._folded(blocks, vals, consts, set(pinned))[1]]

    assert folded(make + times_two) == [2, 4]
    assert folded(make + [(jit._UNARY, [(view, 3, 2)])] + times_two) == [4]  # r2 seen via r3
    assert folded(make + times_two + [(jit._CALL, [(print, (4,))])]) == [2]  # r4 committed
    assert folded(make + times_two, pinned={4}) == [2]  # r4 returned
    same = [(jit._UNARY, [(np.asarray, 5, 2)])]
    assert folded(make + same + times_two) == [2, 4, 5]
    assert folded(make + same + times_two, pinned={5}) == [4]  # r2 returned, as r5


def test_an_array_captured_and_edited_in_place_records_again():
    """Work on a captured array (labels) may be computed once (the scatter of the loss's
    cotangent), as the program compares the array at every call: an edit in place (which
    the docs advise against) records again, so forward and backward pass both see it and
    the gradient is that of the loss, as in eager mode."""
    rng = np.random.default_rng(3)
    w = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    rows, labels = np.arange(4), np.array([0, 1, 2, 0])

    def step():
        w.grad = None
        loss = -w.log_softmax(axis=1)[rows, labels].mean()
        loss.backward()
        return loss, w.grad

    fast = al.compile(step)
    for _ in range(3):
        fast()
    labels[:] = [2, 2, 1, 1]
    _same(step(), fast())
    assert fast.recordings == 3


def _label_step(edit, *, before=False, argument=False, seed=0):
    """A fresh training step of a log-softmax loss at labels (4 x 3 weights) that edits its
    labels in place with `edit(labels)`, before or after using them; the labels are
    captured ([0, 1, 2, 0]) or, with `argument`, the step's argument."""
    w = Tensor(np.random.default_rng(seed).standard_normal((4, 3)), requires_grad=True)
    captured = np.array([0, 1, 2, 0])

    def step(*args):
        labels = args[0] if argument else captured
        w.grad = None
        if before:
            edit(labels)
        loss = -w.log_softmax(axis=1)[np.arange(4), labels].mean()
        loss.backward()
        if not before:
            edit(labels)
        return loss, w.grad

    return step


def _shift(labels):
    labels[:] = (labels + 1) % 3


def test_an_array_fn_edits_in_place_after_using_it_is_compared_as_it_was_used():
    """fn reads captured labels, then edits them in place (a side effect a replay does not
    redo). The program is made for the labels as fn used them, so it must compare against
    those contents, not the edited ones: otherwise a replay would read the labels as they
    are now in the forward pass while its gradient (the loss cotangent's scatter, computed
    once) stayed that of the old labels. Such a function runs eagerly, with a warning."""
    eager, fast = _label_step(_shift), al.compile(_label_step(_shift))
    with pytest.warns(RuntimeWarning, match="edits in place an array it has used"):
        for _ in range(4):
            _same(eager(), fast())
    assert fast.recordings == 1


def test_an_array_fn_edits_between_two_uses_in_one_call_is_not_replayed_as_one():
    """fn indexes with a captured array, edits it, indexes again, and restores it: the two
    uses saw two contents, which one register cannot hold, so fn runs eagerly."""
    idx = np.array([0, 1, 2])

    def f(x):
        x = Tensor(x, requires_grad=True)
        a = x[idx]
        idx[:] = [2, 2, 2]
        b = x[idx]
        idx[:] = [0, 1, 2]
        loss = (a * b).sum()
        loss.backward()
        return loss, x.grad

    fast = al.compile(f)
    rng = np.random.default_rng(0)
    with pytest.warns(RuntimeWarning, match="edits in place an array it has used"):
        for _ in range(4):
            x = rng.standard_normal(3)
            _same(f(x), fast(x))


def test_an_array_fn_edits_before_using_it_at_every_call_is_not_replayed():
    """fn shifts captured labels before using them, at every call: the two recordings held
    one array with two contents, so they are not the same program (the arrays' contents
    as used are compared, not only their identity), and fn runs eagerly."""
    eager = _label_step(_shift, before=True)
    fast = al.compile(_label_step(_shift, before=True))
    with pytest.warns(RuntimeWarning, match="recorded different programs"):
        for _ in range(5):
            _same(eager(), fast())


_ROWS = np.arange(4)


def _tensor_step(loss, arrays):
    """A step of `loss(w, arrays)` for a fresh (4, 3) parameter w: (step, arrays)."""
    w = Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)

    def step():
        w.grad = None
        out = loss(w, arrays)
        out.backward()
        return out, w.grad

    return step, arrays


def _replayed_until_edited(make, edit):
    """make() -> (step, arrays): an eager and a compiled step agree bit for bit for three
    calls, and again after `edit(arrays)` of both, which the compiled one records again for."""
    (eager, a_eager), (step, a_fast) = make(), make()
    fast = al.compile(step)
    for _ in range(3):
        _same(eager(), fast())
    edit(a_eager)
    edit(a_fast)
    _same(eager(), fast())
    assert fast.recordings == 3


@pytest.mark.parametrize(
    "make_array, loss",
    [
        (lambda: np.array([[True, False, True]] * 4), lambda w, a: (w * a).sum()),
        (lambda: np.array([[1, 0, 2]] * 4), lambda w, a: (w * a).sum()),
        (lambda: np.array([0, 1, 2, 0]), lambda w, a: (w[[_ROWS, a]] ** 2).sum()),
        (lambda: np.full((4, 3), 2.0), lambda w, a: (w * Tensor(a)).sum()),
        (lambda: np.full((4, 3), 2.0), lambda w, a: nn.mse_loss(w, Tensor(a))),
        (lambda: np.array([1, 2, 0]), lambda w, a: al.repeat(w, a, axis=1).sum()),
        (lambda: np.array([[True, False, True]] * 4), lambda w, a: al.where(a, w, 0.0).sum()),
        (lambda: np.array([0, 1, 2, 0]), lambda w, a: nn.cross_entropy(w, a)),
        (lambda: np.array([0, 1, 2, 0]), lambda w, a: nn.nll_loss(w.log_softmax(axis=1), a)),
        (
            lambda: np.array([1.0, 2.0, 0.5]),
            lambda w, a: nn.cross_entropy(w, [0, 1, 2, 0], weight=a),
        ),
        (
            lambda: np.ones((4, 3), dtype=np.float32),
            lambda w, a: nn.binary_cross_entropy(w.sigmoid(), np.full((4, 3), 0.5), weight=a),
        ),
        (lambda: np.array([[1, 0], [0, 2]]), lambda w, a: al.pad(w, a).tanh().mean()),
        (lambda: np.array([0, 2]), lambda w, a: al.pad(w, {1: a}).tanh().mean()),
        (lambda: np.full((4, 3), 0.5), lambda w, a: (al.exp(a) * w).sum()),
        (lambda: np.arange(12).reshape(4, 3), lambda w, a: al.einsum("ij,ij->", w, a)),
        (lambda: np.arange(12), lambda w, a: (al.append(w, a) ** 2 * np.arange(24.0)).sum()),
        (lambda: np.array([1.0, 2.0]), lambda w, a: al.pad(w, 1, constant_values=a).sum()),
        (lambda: np.arange(12).reshape(4, 3), lambda w, a: Normal(w, 1.0).log_prob(a).sum()),
        (
            lambda: np.full((4, 3), 0.5, np.float32),
            lambda w, a: (w * al.vjp(lambda v: v * v, np.ones((4, 3)))[1](a)[0]).sum(),
        ),
    ],
    ids=[
        "bool operand",
        "int operand",
        "list index",
        "Tensor(array)",
        "mse target",
        "repeat counts",
        "where mask",
        "cross_entropy labels",
        "nll_loss labels",
        "class weights",
        "float32 bce weight",
        "pad widths",
        "pad widths by axis",
        "an op on raw arrays only",
        "einsum's int operand",
        "append's int values",
        "pad's fill",
        "a distribution's int observation",
        "vjp's float32 cotangent",
    ],
)
def test_a_captured_array_converted_before_the_op_is_compared_at_every_call(make_array, loss):
    """Library code converts some captured arrays before an op sees them (a bool or int
    operand to floats, a list index to an array, `Tensor(array)` copies, `repeat`'s counts
    to int64): the program compares the array fn passed, so an edit between calls records
    again instead of replaying the converted copy of the old contents."""

    def edit(a):
        a.flat[1] = 5.0 if a.dtype.kind == "f" else a.flat[0]

    _replayed_until_edited(lambda: _tensor_step(loss, make_array()), edit)


@pytest.mark.parametrize(
    "make_arrays, loss",
    [
        (lambda: [np.ones(3) for _ in range(4)], lambda w, a: al.einsum("ij,ij->", w, a)),
        (
            lambda: [np.array([i % 3]) for i in range(4)],
            lambda w, a: (al.take_along_axis(w, a, axis=1) ** 2).sum(),
        ),
        (lambda: [np.array(-0.2) for _ in range(3)], lambda w, a: (al.clip(w, a, None) ** 2).sum()),
    ],
    ids=["einsum operand", "take_along_axis indices", "clip bounds"],
)
def test_a_captured_list_of_arrays_stacked_by_the_library_is_compared(make_arrays, loss):
    """A list of arrays that library code stacks into one new array (an operand, indices,
    bounds) is compared item by item at every call: an edit of one records again."""

    def edit(arrays):
        arrays[1][...] = 2 if arrays[1].dtype.kind in "iu" else 0.5

    _replayed_until_edited(lambda: _tensor_step(loss, make_arrays()), edit)


@pytest.mark.parametrize(
    "make_array, loss, new",
    [
        (lambda: np.array([4, 3]), lambda w, a: (w.reshape(a)[0] ** 2).sum(), [2, 6]),
        (
            lambda: np.array([0, 1, 2]),
            lambda w, a: (w.reshape(2, 2, 3).transpose(a)[0, 0] ** 2).sum(),
            [0, 2, 1],
        ),
        (lambda: np.array([2, 4, 3]), lambda w, a: (al.broadcast_to(w, a) ** 2).mean(), [3, 4, 3]),
    ],
    ids=["reshape's shape", "transpose's axes", "broadcast_to's shape"],
)
def test_a_captured_shape_or_axes_array_is_compared(make_array, loss, new):
    """A shape or axes given as an array becomes a tuple of numbers before the op sees it:
    the program compares the array, so another shape written into it records again."""
    _replayed_until_edited(
        lambda: _tensor_step(loss, make_array()), lambda a: a.__setitem__(slice(None), new)
    )


@pytest.mark.parametrize(
    "make_array, loss",
    [
        (lambda: np.array(2.0), lambda vs, a: vs[1] * a + vs[2]),
        (lambda: np.ones(4), lambda vs, a: nn.mse_loss(vs, a)),
    ],
    ids=["a 0-d operand", "a loss's target"],
)
def test_a_captured_array_a_value_step_reads_as_numbers_is_compared(make_array, loss):
    """Value arithmetic reads a captured array as Python floats (a 0-d operand, a loss's
    targets): the program compares the array at every call, so an edit records again."""

    def make():
        vs, a = [Value(0.3 * i - 0.5) for i in range(4)], make_array()

        def step():
            for v in vs:
                v.grad = None
            out = loss(vs, a)
            out.backward()
            return [out] + [v.grad for v in vs]

        return step, a

    _replayed_until_edited(make, lambda a: a.fill(3.0))


@pytest.mark.parametrize("op", ["maximum", "relu"])
def test_a_value_op_giving_back_its_operand_float_returns_data_and_grad(op):
    """Float ops may give back an operand's very object (max(0.1, -2.0) is the 0.1 given,
    ReLU of a positive x is x): `.data` and `.grad` read inside fn stand for their
    node alone, so returning them replays (it raised an 'ambiguous' TypeError), on both
    sides of the kink, with the captured constant still the constant."""
    c = -0.5

    def step(v):
        v.grad = None
        out = al.maximum(v, c) if op == "maximum" else v.relu()
        (out * 3.0).backward()
        return out.data, v.grad, c

    fast = al.compile(step)
    for x in [0.1, 0.7, -0.9, -0.2, 0.3]:
        _same(step(Value(x)), fast(Value(x)))
    assert fast.recordings == 2


def test_a_value_step_on_0d_float_array_arguments_replays_them():
    """0-d float arrays passed as arguments are inputs, also where Value arithmetic reads
    them as floats: a replay converts each call's (it used to keep the recorded float,
    see two different programs, warn and run eagerly)."""
    w = Value(0.5)

    def step(x, y):
        w.grad = None
        out = (w * x - y) ** 2
        out.backward()
        return out, w.grad

    fast = al.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for v in [2.0, 3.0, -1.5, 0.25, -0.0]:
            _same(step(np.array(v), np.array(v / 3)), fast(np.array(v), np.array(v / 3)))
    assert fast.recordings == 2


def test_a_0d_comparison_in_value_arithmetic_replays():
    """A comparison of a 0-d Tensor used as a Value operand (`v * (t > 0)`) is recorded, and
    a replay converts its result (numpy's bool scalar there) to a float as eager code
    converts the 0-d array fn got."""

    def f(v, t):
        return v * (t > 0)

    fast = al.compile(f)
    for s in (2.0, 3.0, -1.0, 0.5, -0.0):
        _same(f(Value(1.5), Tensor(np.array(s))), fast(Value(1.5), Tensor(np.array(s))))
    assert fast.recordings == 2


@pytest.mark.parametrize("wrap", [list, tuple])
def test_a_recorded_mask_inside_a_list_operand_is_read_at_every_call(wrap):
    """`x * [x > 0]`: the list made into an array holds a mask the program computes, so a
    replay converts that call's mask (it converted the recorded one once, silently)."""

    def f(x):
        return x * wrap([x > 0])

    fast = al.compile(f)
    for xs in ([1.0, 2.0, -3.0], [4.0, 5.0, -6.0], [-1.0, 2.0, 3.0], [0.5, -0.5, 2.0]):
        _same(f(Tensor(np.array(xs))), fast(Tensor(np.array(xs))))
    assert fast.recordings == 2


def test_a_scalar_model_called_on_a_captured_array_is_compared():
    """A scalar MLP iterates over a captured input array (numpy scalars, met one by one):
    the array a module is called on is compared at every call."""

    def make():
        model, x = nn.MLP(3, [4, 1], rng=0), np.ones(3)

        def step():
            model.zero_grad()
            out = model(x)[0]
            out.backward()
            return [out] + [p.grad for p in model.parameters()]

        return step, x

    _replayed_until_edited(make, lambda x: x.__setitem__(1, 5.0))


def test_an_integer_argument_fn_edits_at_every_call_runs_eagerly_for_any_values():
    """fn shifts its integer labels argument in place after using them: each call brings
    other values (a new cache key), but the function is what edits them, so it runs
    eagerly for every value (one recording, one warning), as the warning says."""
    eager = _label_step(_shift, argument=True, seed=4)
    fast = al.compile(_label_step(_shift, argument=True, seed=4))
    a, b = np.array([0, 1, 2, 0]), np.array([0, 1, 2, 0])
    with pytest.warns(RuntimeWarning) as seen:
        for _ in range(6):
            _same(eager(a), fast(b))
    assert fast.recordings == 1
    assert len(seen) == 1 and "edits in place an array it has used" in str(seen[0].message)


def test_a_captured_buffer_refilled_before_every_call_is_read_anew_with_one_warning():
    """A captured float buffer refilled in place before each call (`Tensor(buf)` copies
    it): every call records again and is right, and a warning says once that passing the
    buffer as an argument would let it replay."""
    w = Tensor(np.ones((4, 3)), requires_grad=True)
    buf = np.zeros((4, 3))

    def step():
        w.grad = None
        loss = (w * Tensor(buf)).sum()
        loss.backward()
        return loss, w.grad

    fast = al.compile(step)
    with pytest.warns(RuntimeWarning, match="has recorded again at 3 calls in a row") as seen:
        for i in range(8):
            buf[:] = i
            _same(step(), fast())
    assert len(seen) == 1 and fast.recordings == 8


@pytest.mark.parametrize("accumulate", [False, True])
def test_a_step_returning_a_gradient_array_read_by_grad_data(accumulate):
    """`w.grad.data` is the array the backward pass committed: the program returns what
    `.grad` holds at every call (with accumulation, another array than the cotangent)."""

    def make():
        w = Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
        opt = optim.SGD([w], lr=0.1)

        def step(x):
            if not accumulate:
                opt.zero_grad()
            loss = (w * Tensor(x)).tanh().sum()
            loss.backward()
            opt.step()
            return loss, w.grad.data

        return step

    eager, fast = make(), al.compile(make())
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.standard_normal((4, 3))
        _same(eager(x), fast(x))


@pytest.mark.parametrize("case", ["embedding indices", "backward gradient"])
def test_a_captured_array_converted_by_a_layer_or_backward_is_compared(case):
    """An Embedding's int32 indices (made intp by the layer) and `backward(gradient=g)`'s
    captured `g` (copied into the seed) are compared at every call: an edit between calls
    records again instead of replaying the old copy."""

    def make():
        emb = nn.Embedding(4, 2)
        emb.weight.data = np.arange(8.0).reshape(4, 2)
        a = np.array([0, 2, 1], dtype=np.int32) if case == "embedding indices" else np.ones(2)

        def step():
            emb.weight.grad = None
            if case == "embedding indices":
                emb(a).tanh().sum().backward()
            else:
                emb(np.array([1, 3])).sum(axis=0).backward(gradient=a)
            return emb.weight.grad

        return step, a

    (eager, a_eager), (step, a_fast) = make(), make()
    fast = al.compile(step)
    for _ in range(3):
        _same(eager(), fast())
    for a in (a_eager, a_fast):
        a[0] = 3
    _same(eager(), fast())
    assert fast.recordings == 3


def test_a_captured_index_given_another_shape_in_place_records_again():
    """`labels.shape = (2, 2)` keeps the bytes and changes what the index does (the shape
    of the picked values, hence of their mean's spread): the program compares shapes and
    dtypes of its constant arrays too, and records again."""
    w = Tensor(np.random.default_rng(2).standard_normal((4, 3)), requires_grad=True)
    rows, labels = np.arange(4), np.array([0, 1, 2, 0])

    def step():
        w.grad = None
        picked = w.log_softmax(axis=1)[rows, labels]
        loss = -picked.mean()
        loss.backward()
        return picked, loss, w.grad

    fast = al.compile(step)
    for _ in range(3):
        fast()
    rows.shape = labels.shape = (2, 2)
    _same(step(), fast())
    assert fast.recordings == 3


def test_an_integer_argument_fn_sorts_in_place_after_using_it_is_not_replayed_sorted():
    """An integer array argument is compared by contents; fn sorts it in place after using
    it as an index. A replay must not index with the recording's (now sorted) array."""
    eager = _label_step(np.ndarray.sort, argument=True, seed=1)
    fast = al.compile(_label_step(np.ndarray.sort, argument=True, seed=1))
    with pytest.warns(RuntimeWarning, match="edits in place an array it has used"):
        for _ in range(4):
            _same(eager(np.array([2, 0, 1, 0])), fast(np.array([2, 0, 1, 0])))
    assert fast.recordings == 1


def _called(program):
    """The functions a replayed program calls (partials by their function)."""
    return {getattr(ins[0], "func", ins[0]) for run, code in program.blocks for ins in code}


def test_the_scatter_of_a_loss_on_captured_labels_and_its_sum_are_computed_once():
    """A loss picking log-probabilities at captured labels: the indexing rule's scatter of
    the mean's constant spread, at the labels' places, is a constant too (the labels are
    compared bit for bit at every call), and so is its sum in log_softmax's rule: a replay
    neither scatters nor sums it; an edit of the labels records again."""
    problem = tensor_mlp.make_problem((6, 5, 3), 8)
    step, state = workload._tensor_step(*problem)
    fast = al.compile(step)
    for _ in range(3):
        fast()
    called = _called(_program(fast))
    assert ops._scatter_by_index not in called
    assert ops._log_softmax_rule_summed in called and ops._sum not in called


def test_a_replay_writes_results_over_arrays_it_alone_reads():
    """In the MLP step, x @ w1's product is read by the bias's sum alone, that sum by ReLU
    alone, and the cotangent d_h by ReLU's rule alone: a replay writes each result over its
    operand (eager code gives each a new array), with the same floats as eager calls."""
    problem = tensor_mlp.make_problem((6, 5, 3), 8)
    (eager, _), (step, _) = workload._tensor_step(*problem), workload._tensor_step(*problem)
    fast = al.compile(step)
    for _ in range(4):
        _same(eager(), fast())
    called = [getattr(ins[0], "func", ins[0]) for _, code in _program(fast).blocks for ins in code]
    assert called.count(jit._IN_PLACE[np.add]) == 2  # both biases added over the products
    assert jit._relu_in_place in called and jit._relu_rule_in_place in called
    assert np.add not in called and ops._relu_array not in called


@pytest.mark.parametrize(
    "case",
    ["returned", "read twice", "a view", "a parameter", "an argument", "committed", "dtype"],
)
def test_a_replay_never_writes_over_an_array_another_reader_sees(case):
    """An operand read by the outputs, by a second op, through a view, or held outside the
    program (a parameter's data, an argument, a gradient committed into `.grad`), or of
    another dtype than the result, is never written over: the replay gives eager's values,
    and leaves the parameters and the arguments as eager calls do."""

    def make():
        w = Tensor(np.linspace(-1.0, 1.0, 12).reshape(4, 3), requires_grad=True)
        b = Tensor(np.full(3, 0.5), requires_grad=True)
        v = Tensor(np.ones((3, 3)), requires_grad=True)

        def step(x):
            w.grad = b.grad = v.grad = None
            z = x @ w
            if case == "returned":
                out = z + b
                out.sum().backward()
                return out, z, w.grad
            if case == "read twice":
                out = (z + b) * z
            elif case == "a view":  # z.T is z's memory, which the product reads after
                out = (z.T + 1.0).T * z
            elif case == "a parameter":  # v's data, read by this sum alone
                out = z @ (v + 1.0).relu()
            elif case == "an argument":
                out = (x + 1.0).relu() @ w
            elif case == "committed":  # z's cotangent, committed into v's .grad, then ReLU's rule
                out = (z @ v).relu()
            else:  # float32 products plus float64 sums: float64 results
                out = ((x * 2.0) + w.sum(axis=1)) @ w
            out.sum().backward()
            return out, w.grad, b.grad, v.grad

        return step, w

    (eager, w_eager), (step, w_fast) = make(), make()
    fast = al.compile(step)
    for i in range(4):
        dtype = np.float32 if case == "dtype" else np.float64
        x_eager, x_fast = (Tensor(np.full((2, 4), 0.25 * i - 0.3, dtype)) for _ in range(2))
        _same(eager(x_eager), fast(x_fast))
        _same(x_eager, x_fast)
        _same(w_eager, w_fast)
    assert fast.recordings == 2


@pytest.mark.parametrize("case", ["sum", "data read"])
def test_a_replay_keeps_the_memory_layout_of_eager_arrays(case):
    """A sum adds an array's elements in memory order, so eager's layouts are part of its
    floats: a result written over an F-ordered operand stays F-ordered where eager code
    makes a new C-ordered array (x.T * 1.0 + c), and `.data` of an array an op saved is a
    copy with the layout of the original."""

    def f(x, c):
        if case == "sum":
            return ((x.T * 1.0) + c).sum()
        y = (x * 1.0).T * 1.0
        z = y * 2.0  # y saved by the product: reading .data copies it
        return Tensor(y.data).sum(), z

    fast = al.compile(f)
    rng = np.random.default_rng(0)
    for _ in range(12):
        x, c = rng.standard_normal((2, 8, 8)).astype(np.float32)
        eager_x, fast_x = (Tensor(x, requires_grad=case == "data read") for _ in range(2))
        _same(f(eager_x, Tensor(c)), fast(fast_x, Tensor(c)))
    assert fast.recordings == 2


def test_a_gradient_read_by_grad_keeps_its_layout_for_the_next_step():
    """`.grad` of a parameter whose cotangent is a transposed array gives a copy where the
    array cannot be handed out as it is; the copy keeps the layout (order K), so the
    optimizer's update, hence the parameter, is laid out alike in eager and replayed steps,
    and the next forward pass sums in the same order (found by random graphs: the loss
    differed in its last bit from the first replay on)."""

    def make():
        rng = np.random.default_rng(3)
        w = Tensor(rng.standard_normal((4, 4)), requires_grad=True)
        b = Tensor(rng.standard_normal(4), requires_grad=True)
        sgd = optim.SGD([w, b], lr=0.01, momentum=0.9)

        def step():
            w.grad = b.grad = None
            y = al.log_softmax(w.T, axis=0) - b
            loss = ((y * 1.5) * (y * 1.5)).mean()
            loss.backward()
            grads = [w.grad, b.grad]
            sgd.step()
            return loss, grads

        return step

    eager, fast = make(), al.compile(make())
    for _ in range(5):
        _same(eager(), fast())


def test_a_transforms_copies_of_shared_results_keep_eager_layout():
    """`al.grad` copies a result that shares memory with another (add passes one cotangent
    to both inputs); eager and replayed calls copy it alike, keeping its layout, so the
    caller's sums over the results agree to the last bit."""
    c = np.arange(16.0).reshape(4, 4)
    g = al.grad(lambda a, b: ((a + b).T * c).sum(), argnums=(0, 1))
    fast = al.compile(g)
    rng = np.random.default_rng(0)
    for _ in range(4):
        a, b = rng.standard_normal((2, 4, 4))
        eager, replayed = g(a, b), fast(a, b)
        _same(eager, replayed)
        assert [x.strides for x in eager] == [x.strides for x in replayed]


def test_zero_grad_is_one_call_of_a_replay():
    """`zero_grad()`'s loop over the parameters replays as one call clearing them all."""
    problem = tensor_mlp.make_problem((6, 5, 3), 8)
    step, state = workload._tensor_step(*problem)
    fast = al.compile(step)
    for _ in range(3):
        fast()
    clearing = [
        ins for run, code in _program(fast).blocks for ins in code if ins[0] is jit._clear_grads
    ]
    assert [len(ins[1]) for ins in clearing] == [4]


def test_a_scatter_computed_once_never_leaves_as_a_gradient():
    """Where the scatter at a captured index is a parameter's gradient itself, it leaves the
    program (committed into `.grad`): it is made at every call, so the caller's edit of the
    gradient it was given never reaches the next call's."""
    index = np.array([0, 2, 2])

    def make():
        w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)

        def step():
            w.grad = None
            w[index].mean().backward()
            return w.grad

        def edit():
            w.grad.data[...] = 99.0
            return [w.data]

        return step, edit

    _twins(make, steps=4)


@pytest.mark.parametrize("join", [al.concatenate, al.stack])
def test_a_value_computed_once_never_leaves_inside_a_list(join):
    """A rule giving a list of slices (concatenate's, stack's) of a value computed once
    shares it: it is computed at every call, so a gradient the caller edits in place (a
    hand-written update) never changes the next call's (found by a hostile review)."""
    c = np.array([4.0, 5.0])

    def loss(w):
        return join([w, c] if join is al.concatenate else [w, c[:1].repeat(3)]).mean()

    eager, fast = al.grad(loss), al.compile(al.grad(loss))
    w = np.array([1.0, 2.0, 3.0])
    for _ in range(4):
        expected, got = eager(w), fast(w)
        _same(expected, got)
        got *= -0.1  # the caller's own edit of the gradient it was given


def _three_calls(f, xs):
    """f compiled and eager on each of `xs` in turn: every result the same (a RuntimeWarning
    about a recording differing is an error here)."""
    fast = al.compile(f)
    for x in xs:
        _same(f(x), fast(x))
    return fast


# The first two calls agree on the sign of every element (so the recordings agree), the third
# does not: a mask fixed at recording would be replayed wrong, silently.
SIGNS = [np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([-1.0, -2.0])]


def test_masks_from_comparisons_of_tensors_are_made_at_every_call():
    """`al.where(x > 0, a, b)`, the docs' advice for a choice on data: the comparison is
    recorded, so a replay makes the mask from its own inputs."""
    _three_calls(al.grad(lambda x: al.where(x > 0, x * 2.0, -x).sum()), SIGNS)
    _three_calls(al.grad(lambda x: al.where(0.0 >= x, -x, x**2).sum()), SIGNS)
    # numpy's forms, and a 0-d Tensor's comparison (a numpy bool): recorded too
    _three_calls(al.grad(lambda x: al.where(np.zeros(2) < x, x * 2.0, -x).sum()), SIGNS)
    _three_calls(al.grad(lambda x: al.where(np.greater(x, 0), x * 2.0, -x).sum()), SIGNS)
    _three_calls(al.grad(lambda x: al.where(x.sum() > 0, x * 2.0, -x).sum()), SIGNS)
    _three_calls(al.grad(lambda x: (x * (x > 0) + x**2 * (0.0 >= x)).sum()), SIGNS)  # as floats


def test_a_mask_used_as_an_index_runs_eagerly_and_says_so():
    """x[x > 0] has as many elements as x has positive ones, and what fn computes from that
    shape (a variance, a length, a padding) would be fixed at the recording: such a function
    runs eagerly, with a warning (found by a hostile review: var, len, pad, diag and more
    kept the recorded count)."""

    def f(x):
        y = x[x > 0]
        return al.var(y) + y.sum() / len(y)

    xs = [np.array([1.0, 2.0, 3.0, -1.0]), np.array([2.0, 3.0, 4.0, -2.0])]
    xs += [np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, -1.0, -1.0, 6.0])]
    with pytest.warns(RuntimeWarning, match="indexes with a mask"):
        fast = _three_calls(al.grad(f), xs)
    assert fast.recordings == 1


def test_library_layers_with_a_choice_on_data_replay_it_from_the_inputs():
    """LeakyReLU and the Huber loss choose per element by comparing data: replayed, the choice
    follows the inputs (found by a hostile review: both replayed the recorded choice)."""
    leaky = nn.LeakyReLU(0.1)
    _three_calls(al.grad(lambda x: leaky(x).sum()), SIGNS)
    _three_calls(lambda x: leaky(Tensor(x)), SIGNS)
    _three_calls(al.grad(lambda x: leaky(x.sum())), SIGNS)  # 0-d
    huber = [np.array([0.5, -0.25]), np.array([0.1, 0.2]), np.array([5.0, -6.0])]
    _three_calls(al.grad(lambda x: nn.huber_loss(x, np.zeros(2))), huber)


def test_an_array_used_as_a_constant_and_edited_in_place_records_again():
    """An integer array argument (part of the key by value) and a captured index are held by
    the program as the objects fn used: an edit in place records again, so a later call
    with the first values never replays the edited array (found by a hostile review)."""
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    rows = np.arange(2)

    def step(labels):
        return (w[rows, labels] * 1.0).sum()

    fast = al.compile(step)
    labels = np.array([0, 1])
    for _ in range(2):
        _same(step(labels), fast(labels))
    labels[...] = [2, 2]  # the caller refills its buffer
    _same(step(labels), fast(labels))
    _same(step(np.array([0, 1])), fast(np.array([0, 1])))
    rows[...] = [1, 0]  # a captured index edited
    _same(step(np.array([0, 1])), fast(np.array([0, 1])))


def test_forward_mode_and_batch_norm_training_are_refused_clearly():
    """Inside a compiled function, forward mode (jvp, jacfwd, hvp) and BatchNorm1d's update of
    its running statistics raise a TypeError that names them, not one about `.data`."""
    x = np.array([1.0, -2.0])
    for transform in (
        lambda x: al.jvp(lambda v: (v * v).sum(), (x,), (np.ones(2),)),
        lambda x: al.jacfwd(lambda v: v * v)(x),
    ):
        with pytest.raises(TypeError, match="forward mode"):
            al.compile(transform)(x)
    norm = nn.BatchNorm1d(2)
    with pytest.raises(TypeError, match="BatchNorm1d in training mode"):
        al.compile(lambda x: norm(Tensor(x)).sum())(np.arange(6.0).reshape(3, 2))
    norm.eval()
    _three_calls(lambda x: norm(Tensor(x)).sum(), [np.arange(6.0).reshape(3, 2)] * 3)


def test_a_mask_that_changes_the_shapes_keeps_every_gradient_shaped_as_its_input():
    """x[x > 0] has as many elements as x has positive ones: when a call brings another
    count, the cotangent of a broadcast factor is still summed to its shape (the recording
    had seen them equal), as in eager mode."""
    w = Tensor(np.array([2.0]), requires_grad=True)

    def step(x):
        w.grad = None
        x = Tensor(x)
        (x[x > 0] * w).sum().backward()
        return w.grad

    fast = al.compile(step)
    with pytest.warns(RuntimeWarning, match="indexes with a mask"):  # and runs eagerly
        for x in [[1.0, -1.0, -1.0], [2.0, -1.0, -1.0], [1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]]:
            _same(step(np.array(x)), fast(np.array(x)))


@al.primitive
def _picked(x, mask=None):  # x[mask]: a user's op whose parameter decides its shape
    return x[mask]


_picked.defvjp(lambda g, out, x, mask=None: ops._scatter_array(g, mask, x.shape))


def test_a_primitive_given_a_computed_mask_as_a_parameter_runs_eagerly():
    """A user's primitive may make its shape from a parameter; one computed by fn (a mask)
    could change it from call to call, so such a function runs eagerly, with a warning."""

    def f(x):
        return (_picked(x, mask=x > 0) ** 2).sum()

    xs = [np.array([1.0, 2.0, -1.0]), np.array([2.0, 3.0, -2.0]), np.array([1.0, 2.0, 3.0])]
    with pytest.warns(RuntimeWarning, match="indexes with a mask"):
        fast = _three_calls(al.grad(f), xs)
    assert fast.recordings == 1


def test_a_float_condition_of_where_is_made_a_mask_at_every_call():
    """al.where's condition as floats (a Tensor fn computed, a float array argument) is
    turned into a bool mask at every call, not kept as at the recording (found by a
    hostile review)."""
    xs = [np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 4.0])]
    xs += [np.array([-1.0, 2.0, -3.0]), np.array([3.0, -2.0, 1.0])]

    def f(x):
        t = al.Tensor(x)
        return al.where(al.relu(t), t * 2.0, t * -1.0)

    _three_calls(f, xs)
    y = al.Tensor(np.array([1.0, 2.0, 3.0]))
    _three_calls(lambda m: al.where(m, y * 2.0, y * -1.0), [np.maximum(x, 0.0) for x in xs])
