"""`al.compile` against steps built to make a replay differ from the eager call.

Each case runs an eager step and its compiled twin on the same changing inputs and
compares results and parameters bit for bit after every call; where a replay cannot be
right, the compiled function must record again or refuse with a TypeError.
"""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, nn

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
    with pytest.raises(TypeError, match=r"\.data"):  # training mode updates the statistics
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
