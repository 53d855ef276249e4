"""`al.compile` against steps built to make a replay differ from the eager call.

Each case runs an eager step and its compiled twin on the same changing inputs and
compares results and parameters bit for bit after every call; where a replay cannot be
right, the compiled function must record again or refuse with a TypeError.
"""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, nn, optim

pytestmark = pytest.mark.filterwarnings("error:al.compile:RuntimeWarning")


def _bits(x):
    x = np.asarray(x.data if isinstance(x, (Tensor, al.Value)) else x)
    return x.dtype, x.shape, x.tobytes()


def _all_bits(out):
    """`_bits` of a result or of each item of a tuple or list of results."""
    return [_bits(x) for x in out] if isinstance(out, (tuple, list)) else [_bits(out)]


def _inputs(n, shape=(5, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(n)]


# ---- a module's mode (train / eval) is part of what a recording was made for --------------


def _dropout_model():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Dropout(0.5, rng=3), nn.Linear(4, 2, rng=1))
    return model.eval()


def test_dropout_switched_to_train_after_recording_in_eval_is_not_replayed():
    """Recorded in eval mode (no mask), then train(): a replay would skip the dropout."""
    model = _dropout_model()
    step = al.compile(lambda x: (model(Tensor(x)) ** 2).sum())
    for x in _inputs(3):
        step(x)
    model.train()
    with pytest.raises(TypeError, match="Dropout in training mode"):
        step(_inputs(1, seed=1)[0])


def test_batchnorm_eval_then_train_then_eval_matches_eager():
    """BatchNorm1d uses the batch statistics in training mode, the running ones in eval."""
    models = [nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4)) for _ in range(2)]
    eager = lambda x: (models[0](Tensor(x)) ** 2).sum()  # noqa: E731
    fast = al.compile(lambda x: (models[1](Tensor(x)) ** 2).sum())
    xs = _inputs(8)
    for m in models:
        m.eval()
    for x in xs[:3]:
        assert _bits(eager(x)) == _bits(fast(x))
    for m in models:
        m.train()
    with pytest.raises(TypeError, match="running statistics"):  # training mode updates them
        fast(xs[3])
    for m in models:  # the refused step changed nothing: both twins update eagerly
        m(Tensor(xs[3]))
    for m in models:
        m.eval()
    for x in xs[4:]:
        assert _bits(eager(x)) == _bits(fast(x))


# ---- arguments: one array passed in two places ---------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: (Tensor(x) * Tensor(y)).sum(),
        al.grad(lambda x, y: (x * al.tanh(y)).sum(), argnums=(0, 1)),
    ],
    ids=["tensors", "grad"],
)
def test_one_array_as_two_arguments_then_two_arrays(fn):
    """f(a, a) recorded (one array in two places), then f(c, d): not a replay of a * a."""
    a, c, d = _inputs(3, shape=(3,))
    fast = al.compile(fn)
    for args in [(a, a), (a, a), (c, d), (d, c), (c, c)]:
        assert _all_bits(fn(*args)) == _all_bits(fast(*args))


# ---- a module's parameters and layers are read from the module at every call --------------


def _replace_weight(model):
    model[0].weight = Tensor(np.full((4, 3), 0.3), requires_grad=True)


def _replace_layer(model):
    model[0] = nn.Linear(3, 4, rng=9)


def _replace_eps(model):
    model[1].eps = 0.5  # BatchNorm1d in eval mode: numpy on the running statistics and eps


def _replace_scalar_weight(model):
    model[0].neurons[1].w[0] = al.Value(0.25)


@pytest.mark.parametrize(
    "change, norm",
    [
        (_replace_weight, False),
        (_replace_layer, False),
        (_replace_weight, True),
        (_replace_layer, True),
        (_replace_eps, True),  # BatchNorm1d's option (Dropout has none)
    ],
    ids=["weight-dropout", "layer-dropout", "weight-batchnorm", "layer-batchnorm", "eps-batchnorm"],
)
def test_a_module_attribute_replaced_after_recording_is_read_anew(change, norm):
    """A parameter, layer or option assigned anew (as a user or a loader may): eager code
    uses the new one; a replay of the recording used the old node's data."""
    make = _dropout_model
    if norm:
        make = lambda: nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4)).eval()  # noqa: E731
    models = [make() for _ in range(2)]
    eager = lambda x: (models[0](Tensor(x)) ** 2).sum()  # noqa: E731
    fast = al.compile(lambda x: (models[1](Tensor(x)) ** 2).sum())
    for k, x in enumerate(_inputs(6)):
        if k == 3:
            for m in models:
                change(m)
        assert _bits(eager(x)) == _bits(fast(x))


def test_a_scalar_weight_replaced_in_its_list_is_read_anew():
    models = [nn.MLP(2, [3, 1], rng=0) for _ in range(2)]
    eager = lambda a, b: models[0]([a, b])[0]  # noqa: E731
    fast = al.compile(lambda a, b: models[1]([a, b])[0])
    for k, (a, b) in enumerate(np.random.default_rng(0).standard_normal((6, 2)).tolist()):
        if k == 3:
            for m in models:
                _replace_scalar_weight(m)
        a, b = al.Value(a), al.Value(b)  # inputs (floats would be part of the key)
        assert _bits(eager(a, b)) == _bits(fast(a, b))


# ---- results computed outside the recorded ops --------------------------------------------


def _accuracy_step():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    sgd = optim.SGD(model.parameters(), lr=0.1)
    labels = np.array([0, 1, 0, 1, 1])

    def step(x):
        sgd.zero_grad()
        logits = model(Tensor(x))
        loss = nn.cross_entropy(logits, labels)
        loss.backward()
        sgd.step()
        accuracy = (logits.data.argmax(axis=1) == labels).mean()  # numpy: not recorded
        return loss, accuracy

    return step, model


def test_a_metric_computed_by_numpy_is_not_replayed_after_two_equal_ones():
    """The two recordings happen to give the same accuracy; the third call gives another.
    A replay returned the recordings' accuracy for good."""
    (eager, eager_model), (step, model) = _accuracy_step(), _accuracy_step()
    fast = al.compile(step)
    xs = _inputs(5)
    xs[1] = xs[0].copy()  # the first two calls see the same batch: the same accuracy
    with pytest.warns(RuntimeWarning, match="different programs"):
        for x in xs:
            assert _all_bits(eager(x)) == _all_bits(fast(x))
            for p, q in zip(eager_model.parameters(), model.parameters()):
                assert _bits(p) == _bits(q)


def _numpy_of_input(x):
    t = Tensor(x)
    return (t * 2.0).sum(), t.data.sum()  # the second: numpy on the input's array


def _float_of_grad(x):
    w = al.Value(0.5, requires_grad=True)
    loss = (w * al.Value(x)) ** 2
    loss.backward()
    return loss, w.grad * 2.0  # Python arithmetic on the float .grad


@pytest.mark.parametrize(
    "step, wrap",
    [(_numpy_of_input, lambda v: np.full(3, v)), (_float_of_grad, al.Value)],
    ids=["numpy-of-input", "float-of-grad"],
)
def test_a_result_computed_outside_ops_from_two_equal_inputs_is_not_replayed(step, wrap):
    """The first two calls get the same input, the next ones others."""
    fast = al.compile(lambda x: step(x.data if isinstance(x, al.Value) else x))
    with pytest.warns(RuntimeWarning, match="different programs"):
        for v in [0.5, 0.5, 1.5, -2.0]:
            x = wrap(v)
            eager = step(x.data if isinstance(x, al.Value) else x)
            assert _all_bits(eager) == _all_bits(fast(x))


# ---- a captured array read by .data and edited in place --------------------------------------


@pytest.mark.parametrize("numpy_work", [lambda w: w * 2.0, np.exp], ids=["scaled", "exp"])
def test_a_parameter_edited_in_place_after_fn_read_its_data_is_read_anew(numpy_work):
    """fn does numpy on a captured parameter's array (a constant of the program); the array
    is then edited in place (same object), so the constant is stale."""
    w = Tensor(np.ones(3), requires_grad=True)

    def step(x):
        return (Tensor(x) * Tensor(numpy_work(w.data))).sum()

    fast = al.compile(step)
    with pytest.warns(RuntimeWarning, match="recorded again at 3 calls in a row"):
        for k, x in enumerate(_inputs(5, shape=(3,))):
            if k >= 2:
                w.data[...] = k  # in place: the very array fn read
            assert _bits(step(x)) == _bits(fast(x))


# ---- the second recording verifies only if its inputs differ from the first's ---------------


def _clipped(x):
    return (al.tanh(Tensor(np.clip(x, 0.0, None))) * 3.0).sum()  # numpy on the input: a constant


def _branching(x):
    t = Tensor(x)
    return (t * 2.0).sum() if x.sum() > 0 else (t * -1.0).sum()


def _clipped_weight(v):
    return (al.tanh(v) * Tensor(np.clip(v.data, 0.0, None))).sum()  # a weight from numpy


@pytest.mark.parametrize(
    "step", [_clipped, _branching, al.grad(_clipped_weight)], ids=["clip", "branch", "grad"]
)
def test_two_first_calls_with_the_same_input_verify_nothing(step):
    """Called twice with one batch (a warm-up, a first epoch), then with others: two equal
    recordings of equal inputs prove nothing about other inputs."""
    fast = al.compile(step)
    a, b, c = _inputs(3, shape=(4,))
    a = np.abs(a)
    with pytest.warns(RuntimeWarning, match="different programs"):  # found at the third
        for x in [a, a.copy(), -np.abs(b), c, a]:
            assert _all_bits(step(x)) == _all_bits(fast(x))


def _labelled_step():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    sgd = optim.SGD(model.parameters(), lr=0.1)

    def step(x, labels):  # labels: floats with integral values, made ints by numpy inside
        sgd.zero_grad()
        loss = nn.cross_entropy(model(Tensor(x)), labels)
        loss.backward()
        sgd.step()
        return loss

    return step, model


def test_one_input_equal_at_both_recordings_is_verified_when_it_changes():
    """Two batches with the same labels (by chance), then other labels: the labels' numpy
    work gave equal constants twice, which proves nothing for other labels."""
    (eager, eager_model), (step, model) = _labelled_step(), _labelled_step()
    fast = al.compile(step)
    xs = _inputs(4)
    labels = [np.array(v, dtype=float) for v in ([0, 1, 0, 1, 1], [0, 1, 0, 1, 1])]
    labels += [np.array([1, 1, 0, 0, 1.0]), np.array([0, 0, 0, 1, 1.0])]
    with pytest.warns(RuntimeWarning, match="different programs"):
        for x, y in zip(xs, labels):
            assert _bits(eager(x, y)) == _bits(fast(x, y))
            for p, q in zip(eager_model.parameters(), model.parameters()):
                assert _bits(p) == _bits(q)
