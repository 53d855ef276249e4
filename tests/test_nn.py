"""nn: modules, Linear, activations, the Value MLP, losses, saving and loading, explain_backprop."""

import math
import os

import numpy as np
import pytest

from autograd_lite import Tensor, Value, nn
from autograd_lite.demo import examples
from autograd_lite.demo.explain import explain_backprop


def _snapshot(model):
    return {name: np.array(p.data, copy=True) for name, p in model.named_parameters()}


def _assert_unchanged(model, snapshot):
    now = _snapshot(model)
    assert now.keys() == snapshot.keys()
    for name in now:
        assert np.array_equal(now[name], snapshot[name]), name


def _mlp(seed=0):
    return nn.Sequential(nn.Linear(4, 5, rng=seed), nn.ReLU(), nn.Linear(5, 3, rng=seed + 1))


# ---- Module: finding, naming and labelling parameters ----------------------------------


class _Block(nn.Module):
    def __init__(self):
        self.pair = [nn.Linear(2, 2, rng=0), nn.Linear(2, 1, rng=1)]
        self.table = {"gain": Tensor([1.0], requires_grad=True)}
        self.scale = Value(2.0, label="will be renamed")
        self.frozen = Tensor([3.0])  # requires_grad False: not a parameter

    def forward(self, x):
        return self.pair[1](self.pair[0](x)) * self.table["gain"] * self.scale.data


class _Net(nn.Module):
    def __init__(self):
        self.blocks = [_Block(), _Block()]
        self.head = nn.Linear(1, 1, rng=2)


def test_named_parameters_are_dotted_recursive_and_include_lists_and_dicts():
    names = [n for n, _ in _Net().named_parameters()]
    block = ["pair.0.weight", "pair.0.bias", "pair.1.weight", "pair.1.bias", "table.gain", "scale"]
    assert names == [f"blocks.0.{n}" for n in block] + [f"blocks.1.{n}" for n in block] + [
        "head.weight",
        "head.bias",
    ]


def test_sequential_names_and_labels_follow_the_outermost_module():
    model = _mlp()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.label for p in model.parameters()] == names
    outer = nn.Sequential(model)  # nesting relabels with the longer names
    assert [p.label for p in outer.parameters()] == [f"0.{n}" for n in names]
    assert all(p.label == n for n, p in _Net().named_parameters())


def test_a_shared_parameter_is_listed_once():
    shared = nn.Linear(3, 3, rng=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(model.parameters()) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_zero_grad_train_eval():
    net = _Net()
    out = net.blocks[0](Tensor([[1.0, 2.0]]))
    out.sum().backward()
    assert net.blocks[0].pair[0].weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters() if isinstance(p, Tensor))
    assert net.blocks[0].scale.grad == 0.0
    assert net.eval() is net
    assert not any(m.training for _, m in net.named_modules())
    net.train()
    assert all(m.training for _, m in net.named_modules())


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="_Net must define forward"):
        _Net()(1.0)


# ---- Linear ------------------------------------------------------------------------------


def test_linear_shapes_init_bound_and_seed():
    layer = nn.Linear(50, 20, rng=np.random.default_rng(7))
    assert layer.weight.shape == (20, 50) and layer.bias.shape == (20,)
    k = 1 / math.sqrt(50)  # PyTorch's default bound for weight and bias
    for p in (layer.weight, layer.bias):
        assert p.requires_grad and np.all(np.abs(p.data) <= k)
    assert np.abs(layer.weight.data).max() > 0.95 * k  # uniform over the whole interval
    assert abs(layer.weight.data.mean()) < 0.1 * k
    again = nn.Linear(50, 20, rng=np.random.default_rng(7))
    assert np.array_equal(again.weight.data, layer.weight.data)
    assert not np.array_equal(nn.Linear(50, 20, rng=8).weight.data, layer.weight.data)
    assert nn.Linear(3, 2, bias=False, rng=0).bias is None
    assert len(nn.Linear(3, 2, bias=False, rng=0).parameters()) == 1


def test_linear_forward_and_gradients_match_numpy():
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, rng=rng)
    x = rng.standard_normal((6, 4))
    W, b = layer.weight.data.copy(), layer.bias.data.copy()
    out = layer(x)
    np.testing.assert_allclose(out.data, x @ W.T + b, rtol=1e-14)
    g = rng.standard_normal((6, 3))
    xt = Tensor(x, requires_grad=True)
    layer(xt).backward(g)
    np.testing.assert_allclose(layer.weight.grad.data, g.T @ x, rtol=1e-13)
    np.testing.assert_allclose(layer.bias.grad.data, g.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(xt.grad.data, g @ W, rtol=1e-13)
    np.testing.assert_allclose(layer(x[0]).data, x[0] @ W.T + b, rtol=1e-14)  # one sample, 1-d


def test_linear_does_not_make_an_array_input_require_grad():
    layer = nn.Linear(4, 3, rng=0)
    out = layer(np.ones((2, 4)))
    out.sum().backward()
    x = out.parents[0]  # out = linear(x, W, b): one node
    assert out.op == "linear" and x.requires_grad is False and x.grad is None


@pytest.mark.parametrize("shape", [(2, 5), (5,), (3, 2, 5)])
def test_linear_wrong_feature_size_names_both_sizes(shape):
    layer = nn.Linear(4, 3, rng=0)
    with pytest.raises(ValueError, match=r"Linear\(4, 3\) expects 4 input features.*got 5"):
        layer(np.ones(shape))


@pytest.mark.parametrize("args", [(0, 3), (4, -1), (2.5, 3), (True, 3)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="must be a positive integer"):
        nn.Linear(*args)


def test_activations_on_tensors_and_lists_of_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.ReLU()(Tensor(x)).data, [0.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.Tanh()(Tensor(x)).data, np.tanh(x))
    np.testing.assert_allclose(nn.Sigmoid()(Tensor(x)).data, 1 / (1 + np.exp(-x)))
    vals = nn.Tanh()([Value(v) for v in x])
    assert [v.data for v in vals] == pytest.approx(np.tanh(x).tolist())


# ---- the scalar Value MLP ------------------------------------------------------------------


def test_neuron_computes_act_of_w_dot_x_plus_b_and_its_gradient():
    n = nn.Neuron(3, activation="tanh", rng=0)
    x = [0.5, -1.0, 2.0]
    z = sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data
    out = n(x)
    assert out.data == pytest.approx(math.tanh(z), rel=1e-14)
    out.backward()
    for w, xi in zip(n.w, x):
        assert w.grad == pytest.approx((1 - math.tanh(z) ** 2) * xi, rel=1e-12)
    with pytest.raises(ValueError, match="expects 3 inputs, got 2"):
        n([1.0, 2.0])
    with pytest.raises(ValueError, match="activation"):
        nn.Neuron(3, activation="swish")


def test_mlp_of_values_names_layers_and_matches_a_tensor_computation():
    mlp = nn.MLP(3, [4, 2], rng=1)
    names = [n for n, _ in mlp.named_parameters()]
    assert names[:4] == [f"0.neurons.0.w.{i}" for i in range(3)] + ["0.neurons.0.b"]
    assert len(names) == 4 * 4 + 2 * 5
    assert all(isinstance(p, Value) for p in mlp.parameters())
    x = [0.3, -0.7, 1.1]
    W1 = np.array([[w.data for w in n.w] for n in mlp.layers[0].neurons])
    b1 = np.array([n.b.data for n in mlp.layers[0].neurons])
    W2 = np.array([[w.data for w in n.w] for n in mlp.layers[1].neurons])
    b2 = np.array([n.b.data for n in mlp.layers[1].neurons])
    expected = W2 @ np.maximum(W1 @ x + b1, 0) + b2  # the last layer is linear: logits
    assert [v.data for v in mlp(x)] == pytest.approx(expected.tolist(), rel=1e-13)
    assert "MLP(3, 4, 2)" in repr(mlp)


# ---- losses --------------------------------------------------------------------------------


def test_mse_loss_values_reductions_and_gradient():
    pred = Tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    target = np.array([[1.5, 2.0], [2.0, 7.0]])
    loss = nn.MSELoss()(pred, target)
    assert loss.item() == pytest.approx((0.25 + 0 + 1 + 4) / 4)
    loss.backward()
    np.testing.assert_allclose(pred.grad.data, 2 * (pred.data - target) / 4)
    assert nn.mse_loss(pred, target, reduction="sum").item() == pytest.approx(5.25)
    np.testing.assert_allclose(
        nn.mse_loss(pred, target, reduction="none").data, (pred.data - target) ** 2
    )
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2,\)"):
        nn.mse_loss(pred, np.ones(2))
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss(reduction="avg")
    # on Values: one prediction, or a list
    v = Value(3.0)
    loss = nn.mse_loss(v, 1.0)
    loss.backward()
    assert (loss.data, v.grad) == (4.0, 4.0)
    assert nn.mse_loss([Value(1.0), Value(2.0)], [0.0, 0.0]).data == pytest.approx(2.5)


def test_bce_with_logits_is_stable_and_its_gradient_is_sigmoid_minus_target():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0, 1000.0, -1000.0])
    y = np.array([1.0, 0.0, 1.0, 0.3, 0.0, 0.0, 1.0])
    logits = Tensor(x, requires_grad=True)
    losses = nn.binary_cross_entropy_with_logits(logits, y, reduction="none")
    p = 1 / (1 + np.exp(-x[:5]))
    naive = -(y[:5] * np.log(p) + (1 - y[:5]) * np.log(1 - p))
    np.testing.assert_allclose(losses.data[:5], naive, rtol=1e-12)
    np.testing.assert_allclose(losses.data[5:], [1000.0, 1000.0])  # no overflow, no inf
    nn.BCEWithLogitsLoss()(logits, y).backward()
    sig = np.exp(-np.logaddexp(0, -x))
    np.testing.assert_allclose(logits.grad.data, (sig - y) / len(x), rtol=1e-12, atol=1e-300)
    assert logits.grad.data[2] == pytest.approx((0.5 - 1.0) / len(x))  # at x = 0 too
    for v, t in [(0.0, 1.0), (2.0, 0.0), (-2.0, 1.0), (-800.0, 1.0)]:  # the Value form agrees
        xv = Value(v)
        loss = nn.binary_cross_entropy_with_logits(xv, t)
        loss.backward()
        assert loss.data == pytest.approx(max(v, 0) - v * t + math.log1p(math.exp(-abs(v))))
        assert xv.grad == pytest.approx(math.exp(-np.logaddexp(0.0, -v)) - t)


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_cross_entropy_matches_log_softmax_and_its_gradient_is_softmax_minus_onehot():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((5, 4)) * 3
    labels = np.array([0, 3, 1, 1, 2])
    logits = Tensor(z, requires_grad=True)
    loss = nn.CrossEntropyLoss()(logits, labels)
    ref = -_log_softmax(z)[np.arange(5), labels]
    assert loss.item() == pytest.approx(ref.mean(), rel=1e-14)
    loss.backward()
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(
        logits.grad.data, (np.exp(_log_softmax(z)) - onehot) / 5, rtol=1e-12, atol=1e-15
    )
    assert nn.cross_entropy(logits, labels, reduction="sum").item() == pytest.approx(ref.sum())
    np.testing.assert_allclose(
        nn.cross_entropy(logits, labels, reduction="none").data, ref, rtol=1e-11
    )
    assert nn.cross_entropy(Tensor(z[1]), 3).item() == pytest.approx(ref[1])  # one sample
    assert nn.cross_entropy(logits, labels.astype(float)).item() == pytest.approx(ref.mean())


@pytest.mark.parametrize("loss", [nn.mse_loss, nn.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_losses_give_the_same_numbers_and_gradients_on_values_and_tensors(
    loss, reduction
):
    pred, target = [0.5, -2.0, 30.0, 0.0], [1.0, 0.0, 1.0, 0.25]
    t = Tensor(pred, requires_grad=True)
    vs = [Value(p) for p in pred]
    on_tensor, on_values = loss(t, np.array(target), reduction), loss(vs, target, reduction)
    if reduction == "none":
        assert [v.data for v in on_values] == pytest.approx(on_tensor.data.tolist(), rel=1e-15)
        on_tensor, on_values = on_tensor.sum(), sum(on_values[1:], on_values[0])
    assert on_values.data == pytest.approx(on_tensor.item(), rel=1e-15)
    on_tensor.backward()
    on_values.backward()
    assert [v.grad for v in vs] == pytest.approx(t.grad.data.tolist(), rel=1e-14)


def test_cross_entropy_is_stable_for_huge_logits():
    loss = nn.cross_entropy(Tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]), [0, 0])
    assert loss.item() == pytest.approx((0.0 + 1000.0) / 2)


def test_cross_entropy_on_values_matches_tensors():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((3, 4))
    labels = [2, 0, 3]
    rows = [[Value(v) for v in row] for row in z]
    loss = nn.cross_entropy(rows, labels)
    t = Tensor(z, requires_grad=True)
    ref = nn.cross_entropy(t, labels)
    assert loss.data == pytest.approx(ref.item(), rel=1e-13)
    loss.backward()
    ref.backward()
    np.testing.assert_allclose(
        [[v.grad for v in row] for row in rows], t.grad.data, rtol=1e-12, atol=1e-15
    )
    single = nn.cross_entropy(rows[0], 2)
    assert single.data == pytest.approx(-_log_softmax(z[0])[2])


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 3], "class label 3 is out of range for 3 classes"),
        ([-1, 0], "class label -1 is out of range"),
        ([0.0, 1.5], "class labels must be integers, got 1.5"),
        ([0.0, np.nan], "class labels must be integers, got nan"),
        (np.array(["a", "b"]), "class labels must be integers"),
        ([0, 1, 2], r"shape \(2,\).*got shape \(3,\)"),
    ],
)
def test_cross_entropy_rejects_bad_labels(labels, message):
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=message):
        nn.cross_entropy(logits, labels)
    rows = [[Value(0.0) for _ in range(3)] for _ in range(2)]
    with pytest.raises(ValueError, match=message):
        nn.cross_entropy(rows, labels)


# ---- state_dict, save and load -------------------------------------------------------------


def test_state_dict_is_a_copy_and_loads_arrays_or_tensors():
    model = _mlp(0)
    state = model.state_dict()
    assert list(state) == [n for n, _ in model.named_parameters()]
    state["0.weight"][:] = 0.0
    assert not np.all(model.layers[0].weight.data == 0.0)
    other = _mlp(5)
    mixed = {
        k: (Tensor(v) if i % 2 else v) for i, (k, v) in enumerate(_mlp(0).state_dict().items())
    }
    other.load_state_dict(mixed)
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(other(x).data, _mlp(0)(x).data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda s: s.update({"2.bias": np.zeros(4)}),
            r"'2.bias' has shape \(4,\), the parameter has \(3,\)",
        ),
        (lambda s: s.pop("2.weight"), "missing '2.weight'"),
        (lambda s: s.update({"9.weight": np.zeros(1)}), "unexpected '9.weight'"),
        (lambda s: s.update({"2.bias": np.array(["a", "b", "c"])}), "not numeric"),
    ],
)
def test_load_state_dict_checks_everything_before_changing_anything(edit, message):
    model = _mlp(0)
    before = _snapshot(model)
    state = _mlp(1).state_dict()  # every other entry is valid and different
    edit(state)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_save_load_round_trip_gives_identical_predictions(tmp_path):
    model = _mlp(0)
    path = tmp_path / "model.npz"
    model.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind
    fresh = _mlp(9)
    assert fresh.load(path) is fresh
    x = np.random.default_rng(1).standard_normal((7, 4))
    np.testing.assert_array_equal(fresh(x).data, model(x).data)
    mlp = nn.MLP(4, [3, 2], rng=0)
    mlp.save(tmp_path / "mlp.npz")
    other = nn.MLP(4, [3, 2], rng=1).load(tmp_path / "mlp.npz")
    assert [v.data for v in other(x[0].tolist())] == [v.data for v in mlp(x[0].tolist())]
    assert all(type(p.data) is float for p in other.parameters())


def test_failed_loads_leave_the_parameters_untouched(tmp_path):
    model = _mlp(0)
    before = _snapshot(model)
    with pytest.raises(FileNotFoundError, match="no saved model"):
        model.load(tmp_path / "missing.npz")
    nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).save(tmp_path / "wide.npz")
    with pytest.raises(
        ValueError, match=r"'0.weight' has shape \(6, 4\), the parameter has \(5, 4\)"
    ):
        model.load(tmp_path / "wide.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip archive at all")
    with pytest.raises(ValueError, match="not a .npz archive"):
        model.load(tmp_path / "junk.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        model.load(tmp_path / "single.npy")
    _assert_unchanged(model, before)


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    _mlp(0).save(path)
    old = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"PK half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        _mlp(1).save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.npz"]


# ---- explain_backprop ---------------------------------------------------------------------


def test_explain_backprop_factors_engine_and_finite_differences_agree(capsys):
    r = explain_backprop()  # the worked example: one output, z = w . x + b
    ex = examples.BACKPROP
    assert [row.name for row in r.rows] == [
        "weight[0, 0]",
        "weight[0, 1]",
        "weight[0, 2]",
        "bias[0]",
    ]
    for row in r.rows:
        assert row.product == pytest.approx(row.dL_da * row.da_dz * row.dz_dparam, rel=1e-15)
        assert row.engine == pytest.approx(row.product, rel=1e-12, abs=1e-15)
        assert row.finite_difference == pytest.approx(row.product, rel=1e-6, abs=1e-9)
    assert r.z.tolist() == pytest.approx([ex.z]) and r.loss == pytest.approx(ex.loss)
    assert [row.dL_da for row in r.rows] == pytest.approx([ex.dL_da] * 4)
    assert [row.engine for row in r.rows] == pytest.approx([*ex.dL_dw, ex.dL_db], rel=1e-12)
    # A layer of two outputs: MSE is the mean over them, so dL/da_i = 2 (a_i - y_i) / 2.
    r = explain_backprop(ex.x, [ex.w, [0.2, 0.5, 0.3]], [ex.b, -0.1], [ex.y, 1.0])
    assert len(r.rows) == 2 * 3 + 2 and (r.z > 0).all()
    w00 = r.rows[0]
    assert (w00.name, w00.dL_da, w00.da_dz, w00.dz_dparam) == (
        "weight[0, 0]",
        pytest.approx(1.15),
        1.0,
        1.5,
    )
    assert w00.engine == pytest.approx(1.725)
    assert r.loss == pytest.approx((1.15**2 + 0.45**2) / 2)
    out = capsys.readouterr().out
    assert "finite diff" in out and "weight[1, 2]" in out and "1.725" in out


def test_explain_backprop_with_a_blocked_relu_and_bad_shapes():
    r = explain_backprop(x=[1.0, 1.0], weight=[[-1.0, -1.0]], bias=[0.5], y=[1.0], verbose=False)
    assert r.z[0] == -1.5
    assert all(
        row.da_dz == 0.0 and row.engine == 0.0 and row.finite_difference == 0.0 for row in r.rows
    )
    with pytest.raises(ValueError, match=r"weight must have shape \(1, 2\)"):
        explain_backprop(x=[1.0, 1.0], weight=[[1.0, 1.0, 1.0]], bias=[0.0], y=[1.0], verbose=False)


def test_cross_entropy_of_an_empty_batch_is_nan_not_an_exception():
    loss = nn.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))
    assert np.isnan(loss.item())


def test_an_mlp_needs_at_least_one_layer():
    with pytest.raises(ValueError, match="nouts"):
        nn.MLP(2, [])


def test_a_huge_label_is_named_as_given():
    with pytest.raises(ValueError, match=r"1e\+300 is out of range"):
        nn.cross_entropy(Tensor(np.zeros((1, 3))), np.array([1e300]))
