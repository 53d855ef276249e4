"""nn's layers and losses against torch.nn, float64, with identical weights copied across.

Each case runs a layer (or loss) as a function of its input and its parameters in both
libraries and compares, to a relative 1e-10 (tests/peers/_oracle.py): the output, the
vjp with a random cotangent for the input and every parameter, and the Hessian-vector
product (double backward, torch.autograd.grad(create_graph=True)) in a random direction.
Then: running statistics, initialisation, state_dict keys, and bad input.
"""

import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")

from autograd_lite import Tensor, Value, nn  # noqa: E402

from .peers._oracle import compare, ours, theirs  # noqa: E402

F = torch.nn.functional
RNG = np.random.default_rng(20261202)


def _close(a, b, rtol=1e-10, atol=1e-13):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol)


def _check(al_fn, torch_fn, xs, shape=None):
    """Value, vjp and Hessian-vector product of al_fn and torch_fn agree (random w and v)."""
    xs = [np.asarray(x, dtype=float) for x in xs]
    if shape is None:
        with torch.no_grad():
            shape = torch_fn(*[torch.tensor(x) for x in xs]).shape
    w = RNG.standard_normal(tuple(shape))
    v = [RNG.standard_normal(x.shape) for x in xs]
    problems = compare(ours(al_fn, xs, w, v), theirs(torch_fn, xs, w, v))
    assert not problems, "autograd_lite (first) vs PyTorch (second):\n" + "\n".join(problems)


def _check_layer(layer, module, x, names=("weight", "bias")):
    """Compare `layer` and the torch `module` as functions of (input, *parameters).

    The torch module's parameters are set to ours first, so both start identical.
    """
    names = [n for n in names if getattr(layer, n, None) is not None]
    params = [getattr(layer, n).data.copy() for n in names]
    with torch.no_grad():
        for n, p in zip(names, params):
            getattr(module, n).copy_(torch.tensor(p))

    def al_fn(x, *ps):
        for n, p in zip(names, ps):
            setattr(layer, n, p)
        return layer(x)

    def torch_fn(x, *ps):
        return torch.func.functional_call(module, dict(zip(names, ps)), (x,))

    with torch.no_grad():  # the output's shape, from a copy: its running statistics move
        shape = copy.deepcopy(module)(torch.tensor(x)).shape
    _check(al_fn, torch_fn, [x, *params], shape)


def _randomise(layer, names=("weight", "bias")):
    for n in names:
        p = getattr(layer, n, None)
        if p is not None:
            p.data = RNG.standard_normal(p.shape)
    return layer


# ---- layers against torch.nn ------------------------------------------------------------


def test_linear():
    _check_layer(nn.Linear(4, 3, rng=0), torch.nn.Linear(4, 3).double(), RNG.normal(size=(5, 4)))
    layer = nn.Linear(4, 2, bias=False, rng=0)
    _check_layer(layer, torch.nn.Linear(4, 2, bias=False).double(), RNG.normal(size=(3, 4)))


X_SPECIAL = np.array([[-3.0, -1.0, -1e-8, 0.0, 1e-8], [0.5, 1.0, 2.5, 6.0, -6.0]])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    layer, module = nn.GELU(approximate), torch.nn.GELU(approximate)
    _check_layer(layer, module, RNG.normal(size=(4, 5)) * 2, ())
    _check_layer(layer, module, X_SPECIAL, ())


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5])
def test_leaky_relu(slope):
    layer, module = nn.LeakyReLU(slope), torch.nn.LeakyReLU(slope)
    _check_layer(layer, module, RNG.normal(size=(4, 5)), ())
    _check_layer(layer, module, X_SPECIAL, ())  # 0 included: the slope, as PyTorch


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("cls", ["Softmax", "LogSoftmax"])
def test_softmax_and_log_softmax(cls, dim):
    layer, module = getattr(nn, cls)(dim), getattr(torch.nn, cls)(dim)
    _check_layer(layer, module, RNG.normal(size=(3, 4)) * 3, ())
    _check_layer(layer, module, RNG.normal(size=(2, 3, 4)), ())
    _check_layer(layer, module, np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]), ())


def test_softmax_without_dim_takes_pytorchs_legacy_axis_with_a_warning():
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = RNG.normal(size=shape)
        with pytest.warns(UserWarning, match="implicit dimension"):
            ours_out = nn.Softmax()(x).data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _close(ours_out, torch.nn.Softmax()(torch.tensor(x)).numpy())


def test_flatten():
    x = RNG.normal(size=(2, 3, 4, 5))
    for args in [(), (0,), (1, 2), (2, -1), (-3, -2), (0, -1)]:
        _check_layer(nn.Flatten(*args), torch.nn.Flatten(*args), x, ())


@pytest.mark.parametrize("shape", [4, (4,), (3, 4)])
def test_layer_norm(shape):
    layer = _randomise(nn.LayerNorm(shape))
    module = torch.nn.LayerNorm(shape).double()
    _check_layer(layer, module, RNG.normal(size=(2, 3, 4)) * 3 + 1)
    _check_layer(layer, module, RNG.normal(size=(3, 4)))


def test_layer_norm_without_affine_or_bias_and_another_eps():
    x = RNG.normal(size=(5, 6))
    no_affine = nn.LayerNorm(6, elementwise_affine=False)
    assert no_affine.parameters() == []
    _check_layer(no_affine, torch.nn.LayerNorm(6, elementwise_affine=False).double(), x)
    no_bias = _randomise(nn.LayerNorm(6, eps=1e-3, bias=False))
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]
    _check_layer(no_bias, torch.nn.LayerNorm(6, eps=1e-3, bias=False).double(), x)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batch_norm_in_training_mode(shape):
    layer = _randomise(nn.BatchNorm1d(3))
    module = torch.nn.BatchNorm1d(3).double()
    _check_layer(layer, module, RNG.normal(size=shape) * 2 + 0.5)
    # each of the three calls above (value, vjp, hvp run forward once each side) moved
    # the running statistics the same way
    _close(layer.running_mean.data, module.running_mean.numpy())
    _close(layer.running_var.data, module.running_var.numpy())
    assert int(layer.num_batches_tracked) == int(module.num_batches_tracked) == 1


def test_batch_norm_running_statistics_and_evaluation_mode_match_pytorch():
    for momentum in [0.1, 0.5, None]:
        layer = _randomise(nn.BatchNorm1d(4, momentum=momentum))
        module = torch.nn.BatchNorm1d(4, momentum=momentum).double()
        module.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
        for _ in range(4):
            x = RNG.normal(size=(5, 4)) * 3 + 2
            _close(layer(x).data, module(torch.tensor(x)).detach().numpy())
        assert list(layer.state_dict()) == list(module.state_dict())
        for name, value in module.state_dict().items():
            _close(layer.state_dict()[name], value.numpy())
        layer.eval(), module.eval()
        x = RNG.normal(size=(3, 4, 2))
        _check_layer(layer, module, x)
        _close(layer.running_mean.data, module.running_mean.numpy())  # eval: not moved


def test_batch_norm_without_affine_or_running_statistics():
    x = RNG.normal(size=(4, 2, 3))
    plain = nn.BatchNorm1d(2, affine=False)
    assert plain.parameters() == []
    _check_layer(plain, torch.nn.BatchNorm1d(2, affine=False).double(), x)
    batch_only = _randomise(nn.BatchNorm1d(2, track_running_stats=False)).eval()
    module = torch.nn.BatchNorm1d(2, track_running_stats=False).double().eval()
    assert batch_only.state_dict().keys() == {"weight", "bias"} == module.state_dict().keys()
    _check_layer(batch_only, module, x)  # batch statistics even in eval mode


def test_loading_a_pytorch_state_dict_gives_the_same_model():
    theirs_model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.GELU(), torch.nn.Linear(4, 2)
    ).double()
    theirs_model.train()(torch.randn(8, 3, dtype=torch.float64))  # move the running stats
    theirs_model.eval()
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(), nn.Linear(4, 2)).eval()
    model.load_state_dict({k: v.numpy() for k, v in theirs_model.state_dict().items()})
    x = RNG.normal(size=(6, 3))
    _close(model(x).data, theirs_model(torch.tensor(x)).detach().numpy())


def test_embedding_accumulates_repeated_indices():
    layer = nn.Embedding(6, 3, rng=0)
    module = torch.nn.Embedding(6, 3).double()
    idx = np.array([[1, 3, 1], [5, 1, 0]])
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.weight.data))

    def al_fn(w):
        layer.weight = w
        return layer(idx)

    _check(al_fn, lambda w: F.embedding(torch.tensor(idx), w), [layer.weight.data])
    out = layer(idx)
    out.backward(np.ones(out.shape))
    assert layer.weight.grad.data[1].tolist() == [3.0, 3.0, 3.0]  # three occurrences of 1


def test_embedding_padding_row_returns_its_value_and_gets_no_gradient():
    layer = nn.Embedding(5, 2, padding_idx=-1, rng=1)
    assert layer.padding_idx == 4 and layer.weight.data[4].tolist() == [0.0, 0.0]
    layer.weight.data = RNG.normal(size=(5, 2))  # a non-zero padding row, as after loading
    idx = np.array([4, 0, 4, 2])

    def al_fn(w):
        layer.weight = w
        return layer(idx)

    _check(al_fn, lambda w: F.embedding(torch.tensor(idx), w, padding_idx=4), [layer.weight.data])
    out = layer(Tensor(idx.astype(float)))  # a Tensor of integral floats works as indices
    out.sum().backward()
    assert layer.weight.grad.data[4].tolist() == [0.0, 0.0]


def test_embedding_initialisation_is_standard_normal_and_seeded():
    w = nn.Embedding(400, 50, rng=3).weight.data
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    assert np.array_equal(w, nn.Embedding(400, 50, rng=3).weight.data)


def test_dropout_matches_pytorchs_formula_with_the_same_mask():
    p, x = 0.3, RNG.normal(size=(50, 40))
    kept = nn.Dropout(p, rng=7)(x).data != 0  # the mask a Dropout seeded 7 draws first

    def al_fn(x):
        return nn.Dropout(p, rng=7)(x)

    _check(al_fn, lambda x: x * torch.tensor(kept) / (1 - p), [x])
    assert abs(kept.mean() - (1 - p)) < 0.03


def test_dropout_honours_train_and_eval_and_its_seed():
    x = np.ones((20, 20))
    layer = nn.Dropout(0.5, rng=1)
    a, b = layer(x).data, layer(x).data
    assert not np.array_equal(a, b)  # a fresh mask every call
    assert set(np.unique(a)) == {0.0, 2.0}
    assert np.array_equal(a, nn.Dropout(0.5, rng=1)(x).data)  # the seed repeats the masks
    model = nn.Sequential(nn.Linear(20, 20, rng=0), nn.Dropout(0.5, rng=2))
    model.eval()
    np.testing.assert_array_equal(model(x).data, model[0](x).data)
    assert np.all(nn.Dropout(1.0)(x).data == 0) and np.array_equal(nn.Dropout(0.0)(x).data, x)


def test_erf_against_torch_to_second_order():
    x = np.array([-np.inf, -5.0, -1.0, -1e-9, 0.0, 0.3, 1.0, 3.0, 27.0, np.inf, np.nan])
    _check(nn.erf, torch.erf, [x])
    v = Value(0.4)
    y = nn.erf(v)
    y.backward()
    assert y.data == pytest.approx(math.erf(0.4)) and v.grad == pytest.approx(
        2 / math.sqrt(math.pi) * math.exp(-0.16)
    )


# ---- losses against torch.nn ----------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss(reduction):
    target = RNG.normal(size=(4, 3))
    pred = target + RNG.normal(size=(4, 3))
    pred[0, 0] = target[0, 0]  # a tie: gradient 0, as PyTorch

    def al_fn(p, t):
        return nn.L1Loss(reduction)(p, t)

    _check(al_fn, lambda p, t: torch.nn.L1Loss(reduction=reduction)(p, t), [pred, target])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber_loss(reduction, delta):
    target = RNG.normal(size=(3, 4))
    pred = target + RNG.normal(size=(3, 4)) * 2
    pred[0] = target[0] + np.array([delta, -delta, 0.0, delta * (1 + 1e-9)])  # the kinks

    def al_fn(p, t):
        return nn.HuberLoss(reduction, delta)(p, t)

    def torch_fn(p, t):
        return torch.nn.HuberLoss(reduction=reduction, delta=delta)(p, t)

    _check(al_fn, torch_fn, [pred, target])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_loss(reduction, weighted):
    probs = RNG.uniform(0.02, 0.98, size=(4, 3))
    target = RNG.uniform(0, 1, size=(4, 3))
    target[0] = [0.0, 1.0, 0.5]
    weight = RNG.uniform(0.5, 2, size=3) if weighted else None

    def al_fn(p, t):
        return nn.BCELoss(weight, reduction)(p, t)

    def torch_fn(p, t):
        w = None if weight is None else torch.tensor(weight)
        return torch.nn.BCELoss(weight=w, reduction=reduction)(p, t)

    # Second derivatives against the closed form, not PyTorch: its double backward of BCELoss
    # is off by up to about 1e-9 relative (ours matched 50-digit arithmetic where it differed).
    # Of -W (y log p + (1 - y) log(1 - p)): d2/dp2 = W (y / p^2 + (1 - y) / (1 - p)^2),
    # d2/dp dy = -W (1 / p + 1 / (1 - p)), d2/dy2 = 0.
    w = RNG.standard_normal(() if reduction != "none" else probs.shape)
    v = [RNG.standard_normal(probs.shape) for _ in range(2)]
    big_w = w * (1.0 if weight is None else weight) / (probs.size if reduction == "mean" else 1)
    pp = big_w * (target / probs**2 + (1 - target) / (1 - probs) ** 2)
    py = -big_w * (1 / probs + 1 / (1 - probs))
    exact = {"d2[0]": pp * v[0] + py * v[1], "d2[1]": py * v[0]}
    xs = [probs, target]
    problems = compare(ours(al_fn, xs, w, v), theirs(torch_fn, xs, w, v), expected=exact)
    assert not problems, "autograd_lite (first) vs PyTorch (second):\n" + "\n".join(problems)


def test_bce_loss_at_probabilities_0_and_1_is_finite_as_pytorchs():
    probs = np.array([0.0, 1.0, 0.0, 1.0, 1e-300])
    target = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    p = Tensor(probs, requires_grad=True)
    loss = nn.binary_cross_entropy(p, target, reduction="none")
    loss.sum().backward()
    tp = torch.tensor(probs, requires_grad=True)
    ref = F.binary_cross_entropy(tp, torch.tensor(target), reduction="none")
    ref.sum().backward()
    _close(loss.data, ref.detach().numpy())
    _close(p.grad.data, tp.grad.numpy())
    assert np.isfinite(p.grad.data).all()


def _labels(n, classes, ignored=()):
    y = RNG.integers(0, classes, n)
    y[list(ignored)] = -100
    return y


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignored", [(), (1, 3)])
@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "NLLLoss"])
def test_class_losses(loss, reduction, weighted, ignored):
    x = RNG.normal(size=(5, 4)) * 2
    if loss == "NLLLoss":
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))  # log-probabilities
    y = _labels(5, 4, ignored)
    y[0] = y[4] if not ignored else y[0]  # a repeated class
    weight = RNG.uniform(0.2, 3, size=4) if weighted else None

    def al_fn(x):
        return getattr(nn, loss)(weight=weight, reduction=reduction)(x, y)

    def torch_fn(x):
        w = None if weight is None else torch.tensor(weight)
        return getattr(torch.nn, loss)(weight=w, reduction=reduction)(x, torch.tensor(y))

    _check(al_fn, torch_fn, [x])


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_losses_on_one_sample_and_custom_ignore_index(loss):
    x = RNG.normal(size=4)
    for label in [2, 0]:

        def al_fn(x, label=label):
            return getattr(nn, loss)(x, label, weight=[1.0, 2.0, 0.5, 1.0], ignore_index=0)

        def torch_fn(x, label=label):
            w = torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=torch.float64)
            return getattr(F, loss)(x, torch.tensor(label), weight=w, ignore_index=0)

        _check(al_fn, torch_fn, [x])  # label 0 is ignored: nan, as PyTorch


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_losses_on_values_match_tensors(reduction):
    z = RNG.normal(size=(4, 3))
    y = np.array([2, -100, 0, 2])
    weight = [0.5, 1.0, 2.0]
    for fn in (nn.cross_entropy, nn.nll_loss):
        t = Tensor(z, requires_grad=True)
        rows = [[Value(v) for v in row] for row in z]
        on_tensor = fn(t, y, reduction, weight=weight)
        on_values = fn(rows, y, reduction, weight=weight)
        if reduction == "none":
            _close([v.data for v in on_values], on_tensor.data)
            on_tensor, on_values = on_tensor.sum(), sum(on_values[1:], on_values[0])
        _close(on_values.data, on_tensor.item())
        on_tensor.backward()
        on_values.backward()
        _close([[v.grad for v in row] for row in rows], t.grad.data)


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (nn.l1_loss, ([0.5, -2.0], [1.0, 0.0])),
        (nn.huber_loss, ([0.5, -2.0], [1.0, 0.0])),
        (nn.binary_cross_entropy, ([0.25, 0.9], [1.0, 0.0])),
    ],
)
def test_pointwise_losses_on_values_match_tensors(fn, args):
    pred, target = args
    t = Tensor(pred, requires_grad=True)
    vs = [Value(p) for p in pred]
    on_tensor, on_values = fn(t, np.array(target)), fn(vs, target)
    _close(on_values.data, on_tensor.item())
    on_tensor.backward()
    on_values.backward()
    _close([v.grad for v in vs], t.grad.data)


# ---- initialisation -------------------------------------------------------------------------


def test_gains_and_fans_are_pytorchs():
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]:
        assert nn.init.calculate_gain(name) == pytest.approx(
            torch.nn.init.calculate_gain(name), rel=1e-15
        )
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2), rel=1e-15
    )
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")


@pytest.mark.parametrize(
    ("name", "kwargs", "shape"),
    [
        ("kaiming_uniform_", {}, (300, 200)),
        ("kaiming_uniform_", {"a": math.sqrt(5)}, (300, 200)),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, (100, 30, 3, 3)),
        ("kaiming_normal_", {"nonlinearity": "relu"}, (300, 200)),
        ("kaiming_normal_", {"mode": "fan_out"}, (100, 30, 3, 3)),
        ("xavier_uniform_", {"gain": 2.0}, (300, 200)),
        ("xavier_normal_", {}, (100, 30, 3, 3)),
        ("uniform_", {"a": -2.0, "b": 3.0}, (300, 200)),
        ("normal_", {"mean": 1.0, "std": 0.5}, (300, 200)),
    ],
)
def test_random_initialisers_draw_from_pytorchs_distributions(name, kwargs, shape):
    t = Tensor(np.zeros(shape), requires_grad=True)
    assert getattr(nn.init, name)(t, generator=0, **kwargs) is t
    ref = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()
    ours_data = t.data
    # same distribution: the spread of PyTorch's draw (27 000+ draws: within 3%), the mean
    # of the formula (within 5 standard errors), and for the uniform ones the same support
    expected_mean = kwargs.get("mean", (kwargs.get("a", 0) + kwargs.get("b", 0)) / 2)
    if name.startswith(("kaiming", "xavier")):
        expected_mean = 0.0
    assert abs(ours_data.mean() - expected_mean) < 5 * ref.std() / math.sqrt(ref.size)
    assert ours_data.std() == pytest.approx(ref.std(), rel=0.03)
    if "uniform" in name:
        bound = np.abs(ref).max()
        assert np.abs(ours_data).max() <= bound * 1.001 or name == "uniform_"
    again = getattr(nn.init, name)(Tensor(np.zeros(shape)), generator=0, **kwargs)
    assert np.array_equal(again.data, ours_data)  # the seed repeats the draw


def test_constant_initialisers_and_bad_input():
    t = Tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    assert nn.init.ones_(t) is t and t.data.dtype == np.float32 and np.all(t.data == 1)
    assert np.all(nn.init.zeros_(t).data == 0) and np.all(nn.init.constant_(t, 0.25).data == 0.25)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(3,\)"):
        nn.init.kaiming_uniform_(Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        nn.init.kaiming_normal_(t, mode="fan")
    with pytest.raises(TypeError, match="fills a Tensor, got ndarray"):
        nn.init.zeros_(np.zeros(3))


def test_linear_default_is_kaiming_uniform_with_a_sqrt_5():
    layer = nn.Linear(200, 300, rng=0)
    ref = torch.nn.Linear(200, 300).weight.detach().numpy()
    assert np.abs(layer.weight.data).max() <= 1 / math.sqrt(200)
    assert layer.weight.data.std() == pytest.approx(ref.std(), rel=0.02)


def test_layer_norm_and_batch_norm_start_as_pytorchs():
    for ours_layer, module in [
        (nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))),
        (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)),
    ]:
        state = ours_layer.state_dict()
        assert list(state) == list(module.state_dict())
        for k, v in module.state_dict().items():
            assert np.array_equal(state[k], v.numpy()), k
            assert state[k].dtype.kind == v.numpy().dtype.kind, k


# ---- bad input: ValueError naming the layer and the shapes, nothing changed ------------------


@pytest.mark.parametrize(
    ("layer", "x", "message"),
    [
        (nn.LayerNorm(4), np.ones((2, 5)), r"LayerNorm\(\(4,\).*shape \(4,\).*\(2, 5\)"),
        (nn.LayerNorm((2, 4)), np.ones(4), r"LayerNorm\(\(2, 4\).*\(4,\)"),
        (nn.BatchNorm1d(3), np.ones((4, 2)), r"BatchNorm1d\(3.*\(N, 3\).*\(4, 2\)"),
        (nn.BatchNorm1d(3), np.ones((2, 3, 4, 5)), r"BatchNorm1d\(3.*\(2, 3, 4, 5\)"),
        (nn.BatchNorm1d(3), np.ones((1, 3)), r"more than 1 value per channel.*\(1, 3\)"),
        (nn.Flatten(2), np.ones((2, 3)), r"Flatten\(start_dim=2.*\(2, 3\)"),
        (nn.Flatten(2, 1), np.ones((2, 3, 4)), r"Flatten\(start_dim=2, end_dim=1\)"),
        (nn.Softmax(2), np.ones((2, 3)), r"Softmax\(dim=2\).*\(2, 3\)"),
        (nn.LogSoftmax(-3), np.ones((2, 3)), r"LogSoftmax\(dim=-3\).*\(2, 3\)"),
        (nn.Embedding(4, 2), [0, 4], r"Embedding\(4, 2\): index 4 is out of range"),
        (nn.Embedding(4, 2), [0.5], r"Embedding\(4, 2\): indices must be integers, got 0.5"),
    ],
)
def test_bad_input_names_the_layer_and_shape_and_changes_nothing(layer, x, message):
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    with pytest.raises(ValueError, match=message):
        layer(x)
    after = layer.state_dict()
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.Dropout(1.5), r"Dropout probability must be a number in \[0, 1\], got 1.5"),
        (lambda: nn.GELU("fast"), "approximate must be 'none' or 'tanh', got 'fast'"),
        (lambda: nn.HuberLoss(delta=0), "delta must be a positive number, got 0"),
        (lambda: nn.Embedding(3, 2, padding_idx=3), "padding_idx 3 is out of range"),
        (lambda: nn.LayerNorm(0), "normalized_shape must be a positive integer"),
        (lambda: nn.BatchNorm1d(0), "num_features must be a positive integer"),
    ],
)
def test_bad_arguments_are_refused_at_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nn.cross_entropy(np.zeros((2, 3)), [0, 1], weight=[1.0, 2.0]), r"shape \(3,\)"),
        (lambda: nn.nll_loss(np.zeros((2, 3)), [0, 3]), "class label 3 is out of range"),
        (lambda: nn.nll_loss(np.zeros((2, 3)), [0, -1], ignore_index=-1.5), "ignore_index"),
        (lambda: nn.binary_cross_entropy(np.array([0.5, 1.5]), [0.0, 1.0]), "input.*got 1.5"),
        (lambda: nn.binary_cross_entropy(np.array([0.5]), [2.0]), "target.*got 2.0"),
        (
            lambda: nn.binary_cross_entropy(np.array([0.5, 0.5]), [0.0, 1.0], weight=[1, 2, 3]),
            r"weight of shape \(3,\) does not broadcast",
        ),
        (lambda: nn.l1_loss(np.zeros((2, 3)), np.zeros(3)), r"\(2, 3\).*\(3,\)"),
        (lambda: nn.huber_loss(np.zeros((2, 3)), np.zeros((3, 2))), r"\(2, 3\).*\(3, 2\)"),
    ],
)
def test_losses_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- shapes drawn by hypothesis -------------------------------------------------------------

shapes = st.lists(st.integers(2, 4), min_size=2, max_size=4).map(tuple)


@settings(max_examples=15, deadline=None)
@given(shape=shapes, k=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_layer_norm_over_drawn_shapes(shape, k, seed):
    rng = np.random.default_rng(seed)
    normalized = shape[len(shape) - min(k, len(shape) - 1) :]
    layer = nn.LayerNorm(normalized)
    for p in (layer.weight, layer.bias):
        p.data = rng.standard_normal(p.shape)
    _check_layer(layer, torch.nn.LayerNorm(normalized).double(), rng.standard_normal(shape))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 5), c=st.integers(1, 4), length=st.sampled_from([None, 1, 3]))
def test_batch_norm_over_drawn_shapes(n, c, length):
    x = RNG.standard_normal((n, c) if length is None else (n, c, length))
    _check_layer(_randomise(nn.BatchNorm1d(c)), torch.nn.BatchNorm1d(c).double(), x)


@settings(max_examples=15, deadline=None)
@given(shape=shapes, data=st.data())
def test_softmax_flatten_and_activations_over_drawn_shapes(shape, data):
    x = RNG.standard_normal(shape) * 2
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    _check_layer(nn.LogSoftmax(dim), torch.nn.LogSoftmax(dim), x, ())
    start = data.draw(st.integers(0, len(shape) - 1))
    _check_layer(nn.Flatten(start), torch.nn.Flatten(start), x, ())
    _check_layer(nn.GELU(), torch.nn.GELU(), x, ())


def test_activations_on_values_match_tensors():
    xs = [-2.0, -0.0, 0.0, 0.7, 3.0]
    for layer in (nn.GELU(), nn.GELU("tanh"), nn.LeakyReLU(0.1)):
        vs = [Value(v) for v in xs]
        t = Tensor(xs, requires_grad=True)
        out_v, out_t = layer(vs), layer(t)
        _close([v.data for v in out_v], out_t.data)
        sum(out_v[1:], out_v[0]).backward()
        out_t.sum().backward()
        _close([v.grad for v in vs], t.grad.data)


def test_erf_on_a_0d_tensor_an_empty_one_and_float32():
    t = Tensor(0.5, requires_grad=True)
    y = nn.erf(t)
    y.backward()
    assert y.shape == () and y.item() == pytest.approx(math.erf(0.5), rel=1e-15)
    assert t.grad.item() == pytest.approx(2 / math.sqrt(math.pi) * math.exp(-0.25), rel=1e-15)
    assert nn.erf(Tensor(np.ones((2, 0)))).shape == (2, 0)
    out = nn.GELU()(Tensor(np.array([1.0, -2.0], dtype=np.float32)))
    assert out.data.dtype == np.float32
