"""Convolution and pooling (nn.functional, nn.Conv2d/MaxPool2d/AvgPool2d) against PyTorch,
to second order, and the CNN example on the digits."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Tensor, nn
from autograd_lite.nn import functional as F

from .helpers import check_first_and_second_order

torch = pytest.importorskip("torch")
TF = torch.nn.functional
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "train_cnn_digits.py"
TOL = 1e-10


def _torch_derivatives(fn, arrays, w, vs):
    """PyTorch's output, gradient of sum(fn * w) and Hessian-vector product along vs."""
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    gs = torch.autograd.grad((out * torch.tensor(w)).sum(), ts, create_graph=True)
    recorded = sum((g * torch.tensor(v)).sum() for g, v in zip(gs, vs))
    if recorded.requires_grad:
        hv = torch.autograd.grad(recorded, ts, allow_unused=True)
    else:  # every gradient is constant in the inputs (max pooling): zero second derivative
        hv = [None] * len(ts)
    hv = [np.zeros(a.shape) if h is None else h.numpy() for a, h in zip(arrays, hv)]
    return out.detach().numpy(), [g.detach().numpy() for g in gs], hv


def _our_derivatives(fn, arrays, w, vs):
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    (out * w).sum().backward(create_graph=True)
    gs = [t.grad for t in ts]
    for t in ts:
        t.grad = None
    recorded = [(g * v).sum() for g, v in zip(gs, vs) if g.requires_grad]
    if recorded:
        sum(recorded[1:], recorded[0]).backward()
    hv = [np.zeros(t.shape) if t.grad is None else t.grad.data for t in ts]
    return out.data, [g.data for g in gs], hv


def assert_matches_torch(ours, theirs, *arrays, seed=0, tol=TOL):
    """Forward, gradient and Hessian-vector product of ours and theirs agree to tol."""
    rng = np.random.default_rng(seed)
    shape = theirs(*[torch.tensor(a) for a in arrays]).shape
    w = rng.normal(size=tuple(shape))
    vs = [rng.normal(size=a.shape) for a in arrays]
    got, expected = _our_derivatives(ours, arrays, w, vs), _torch_derivatives(theirs, arrays, w, vs)
    np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=tol, err_msg="forward")
    for what, i in (("gradient", 1), ("Hessian-vector product", 2)):
        for k, (a, b) in enumerate(zip(got[i], expected[i])):
            np.testing.assert_allclose(a, b, rtol=0, atol=tol, err_msg=f"{what}, input {k}")


# (x shape, weight shape, bias, keywords)
CONV_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), True, {}),
    ((1, 1, 5, 5), (1, 1, 1, 1), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 2), True, {"stride": 2, "padding": 1, "dilation": 2}),
    ((1, 2, 9, 8), (3, 2, 2, 3), False, {"stride": (3, 2), "padding": (2, 0), "dilation": (1, 3)}),
    ((2, 2, 9, 8), (3, 2, 4, 3), True, {"padding": "same", "dilation": (2, 1)}),
    ((1, 2, 6, 6), (2, 2, 3, 3), True, {"padding": "same"}),
    ((1, 2, 6, 6), (2, 2, 3, 3), True, {"padding": "valid", "stride": 3}),
    ((3, 1, 4, 4), (2, 1, 4, 4), True, {}),  # the kernel covers the whole image
    ((1, 2, 2, 3), (2, 2, 3, 3), True, {"padding": 1, "stride": (1, 2)}),  # padding needed
    ((2, 2, 10, 9), (3, 2, 3, 3), True, {"stride": 4, "padding": 2}),  # rows no window reaches
]


@pytest.mark.parametrize("x_shape, w_shape, bias, kw", CONV_CASES)
def test_conv2d_matches_torch_to_second_order(x_shape, w_shape, bias, kw):
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=x_shape), rng.normal(size=w_shape)]
    if bias:
        arrays.append(rng.normal(size=w_shape[0]))
    assert_matches_torch(
        lambda *t: F.conv2d(*t, **kw), lambda *t: TF.conv2d(*t, **kw), *arrays, seed=2
    )


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 2),  # batch
    st.integers(1, 3),  # in channels
    st.integers(1, 3),  # out channels
    st.tuples(st.integers(1, 3), st.integers(1, 3)),  # kernel
    st.tuples(st.integers(1, 3), st.integers(1, 3)),  # stride
    st.tuples(st.integers(0, 2), st.integers(0, 2)),  # padding
    st.tuples(st.integers(1, 2), st.integers(1, 2)),  # dilation
    st.tuples(st.integers(0, 4), st.integers(0, 4)),  # image size beyond the smallest
    st.booleans(),
)
def test_conv2d_geometry_drawn_by_hypothesis_matches_torch(
    n, c, o, kernel, stride, padding, dilation, extra, bias
):
    size = [
        max(1, d * (k - 1) + 1 - 2 * p) + e for k, d, p, e in zip(kernel, dilation, padding, extra)
    ]
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(n, c, *size)), rng.normal(size=(o, c, *kernel))]
    if bias:
        arrays.append(rng.normal(size=o))
    kw = {"stride": stride, "padding": padding, "dilation": dilation}
    assert_matches_torch(lambda *t: F.conv2d(*t, **kw), lambda *t: TF.conv2d(*t, **kw), *arrays)


POOL_CASES = [
    ((2, 3, 6, 6), {"kernel_size": 2}),
    ((1, 2, 7, 5), {"kernel_size": 3, "stride": 2}),
    ((1, 2, 7, 5), {"kernel_size": (3, 2), "stride": 1, "padding": (1, 1)}),
    ((2, 1, 5, 6), {"kernel_size": 2, "stride": (1, 3), "padding": 1}),
    ((1, 1, 4, 4), {"kernel_size": 4}),
    ((3, 4, 4), {"kernel_size": 2, "stride": 1}),  # one image, no batch axis
]


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("shape, kw", POOL_CASES)
def test_pooling_matches_torch_to_second_order(name, shape, kw):
    x = np.random.default_rng(3).normal(size=shape)
    ours, theirs = getattr(F, name), getattr(TF, name)
    assert_matches_torch(lambda t: ours(t, **kw), lambda t: theirs(t, **kw), x, seed=4)


INF, NAN = np.inf, np.nan
MAX_POOL_SPECIAL = [
    # ties everywhere, overlapping windows: each window's cotangent goes to its first element
    (np.ones((1, 1, 4, 4)), {"kernel_size": 2, "stride": 1}),
    (np.zeros((1, 2, 5, 5)), {"kernel_size": 3, "stride": 2, "padding": 1}),
    # NaN: the window picks its last NaN
    (np.array([[[[1, NAN, 1], [NAN, 1, 1], [1, 1, NAN]]]]), {"kernel_size": 2, "stride": 1}),
    # all -inf, padded: the padding never wins the tie
    (np.full((1, 1, 3, 3), -INF), {"kernel_size": 2, "stride": 2, "padding": 1}),
    (np.array([[[[-INF, 2, INF], [INF, -INF, 0], [3, 3, -INF]]]]), {"kernel_size": 2, "stride": 1}),
    (np.array([[[[0, -0.0, 0], [-0.0, 0, -0.0]]]]), {"kernel_size": (2, 2), "stride": 1}),
]


@pytest.mark.parametrize("x, kw", MAX_POOL_SPECIAL)
def test_max_pool2d_ties_nan_and_inf_route_the_cotangent_as_torch(x, kw):
    rng = np.random.default_rng(5)
    X = Tensor(x, requires_grad=True)
    y = F.max_pool2d(X, **kw)
    g = rng.normal(size=y.shape)
    y.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    ty = TF.max_pool2d(tx, **kw)
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    np.testing.assert_array_equal(X.grad.data, tx.grad.numpy())


def test_max_pool2d_passes_an_infinite_cotangent_without_making_nan():
    X = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    y = F.max_pool2d(X, 2)
    y.backward(np.array([[[[INF, 1.0], [2.0, -INF]]]]))
    tx = torch.tensor(X.data, requires_grad=True)
    TF.max_pool2d(tx, 2).backward(torch.tensor([[[[INF, 1.0], [2.0, -INF]]]]))
    np.testing.assert_array_equal(X.grad.data, tx.grad.numpy())
    assert not np.isnan(X.grad.data).any()


@pytest.mark.parametrize(
    "f, shapes",
    [
        (
            lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2)),
            [(1, 2, 5, 6), (2, 2, 2, 2), (2,)],
        ),
        (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [(1, 2, 5, 5)]),
        (lambda x: F.max_pool2d(x, 2, stride=1), [(1, 2, 3, 4)]),
        (lambda x, w: F.max_pool2d(F.conv2d(x, w).tanh(), 2), [(2, 1, 5, 5), (2, 1, 2, 2)]),
    ],
)
def test_conv_and_pool_against_finite_differences(f, shapes):
    rng = np.random.default_rng(6)
    check_first_and_second_order(f, *[rng.normal(size=s) for s in shapes], what="conv/pool")


def test_float32_stays_float32_and_one_image_has_no_batch_axis():
    rng = np.random.default_rng(7)
    x, w = (
        rng.normal(size=(2, 5, 5)).astype(np.float32),
        rng.normal(size=(3, 2, 3, 3)).astype(np.float32),
    )
    X = Tensor(x, requires_grad=True)
    y = F.conv2d(X, w, padding=1)
    assert y.shape == (3, 5, 5) and y.dtype == np.float32
    y.sum().backward()
    assert X.grad.dtype == np.float32
    expected = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-5)
    for pool in (F.max_pool2d, F.avg_pool2d):
        assert pool(Tensor(x), 2).dtype == np.float32
    assert isinstance(F.conv2d(x, w), np.ndarray)  # raw in, raw out, as every op


BAD_CALLS = [
    (
        lambda x: F.conv2d(x, np.zeros((4, 2, 3, 3))),
        r"conv2d: input of shape \(2, 3, 6, 6\) has 3 channels, "
        r"but weight of shape \(4, 2, 3, 3\) expects 2",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3))),
        r"conv2d: weight must be 4-d .* got shape \(4, 3, 3\)",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 7, 3))),
        r"conv2d: the kernel .* spans 7 x 3 pixels, "
        r"more than the padded input's 6 x 6 \(input of shape \(2, 3, 6, 6\)",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3, 3)), dilation=3),
        r"conv2d: the kernel .* spans 7 x 7 pixels",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3, 3)), np.zeros(3)),
        r"conv2d: bias must have shape \(4,\).* got shape \(3,\)",
    ),
    (
        lambda x: F.conv2d(x[0, 0], np.zeros((4, 3, 3, 3))),
        r"conv2d: input must be 4-d .* got shape \(6, 6\)",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3, 3)), stride=0),
        r"conv2d: stride must be at least 1, got 0",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3, 3)), padding=-1),
        r"conv2d: padding must be at least 0",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3, 3)), padding=(1, 2, 3)),
        r"conv2d: padding must be an int or a pair",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3, 3)), padding="same", stride=2),
        r"conv2d: padding='same' needs stride 1",
    ),
    (
        lambda x: F.conv2d(x, np.zeros((4, 3, 3, 3)), dilation=1.5),
        r"conv2d: dilation must be an int or a pair",
    ),
    (
        lambda x: F.max_pool2d(x, 7),
        r"max_pool2d: the kernel \(kernel_size 7\) spans 7 x 7 pixels, more than the padded "
        r"input's 6 x 6 \(input of shape \(2, 3, 6, 6\)",
    ),
    (
        lambda x: F.max_pool2d(x, 2, padding=2),
        r"max_pool2d: padding 2 must be at most half of kernel_size 2",
    ),
    (
        lambda x: F.avg_pool2d(x, (2, 0)),
        r"avg_pool2d: kernel_size must be at least 1, got \(2, 0\)",
    ),
    (lambda x: F.avg_pool2d(x.sum(), 2), r"avg_pool2d: input must be 4-d .* got shape \(\)"),
]


@pytest.mark.parametrize("call, message", BAD_CALLS)
def test_bad_shapes_raise_value_errors_naming_the_function_and_shapes(call, message):
    X = Tensor(np.ones((2, 3, 6, 6)), requires_grad=True)
    (X * 2).sum().backward()
    grad = X.grad
    with pytest.raises(ValueError, match=message):
        call(X)
    assert X.grad is grad and np.all(grad.data == 2)  # nothing half-changed


# ---------------------------------------------------------------------------------------
# Layers.


def test_conv2d_layer_initialises_as_torch_and_state_dicts_load_both_ways():
    layer = nn.Conv2d(3, 8, (3, 2), stride=2, padding=1, rng=0)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    bound = 1 / np.sqrt(3 * 3 * 2)
    assert layer.weight.shape == (8, 3, 3, 2) and layer.bias.shape == (8,)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.8 * bound
    big = nn.Conv2d(16, 32, 3, rng=1).weight.data  # enough draws to see the distribution
    bound = 1 / np.sqrt(16 * 9)
    assert abs(big.std() - bound / np.sqrt(3)) < 0.02 * bound  # uniform(-k, k): std k/sqrt(3)
    theirs = torch.nn.Conv2d(3, 8, (3, 2), stride=2, padding=1, dtype=torch.float64)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(8).normal(size=(2, 3, 7, 6))
    np.testing.assert_allclose(layer(x).data, theirs(torch.tensor(x)).detach().numpy(), atol=TOL)
    fresh = nn.Conv2d(3, 8, (3, 2), stride=2, padding=1, rng=5)
    fresh.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(fresh(x).data, layer(x).data)
    no_bias = nn.Conv2d(3, 2, 1, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_pool_layers_match_torch_and_have_no_parameters():
    x = np.random.default_rng(9).normal(size=(2, 3, 7, 7))
    for ours, theirs in (
        (nn.MaxPool2d(3, stride=2, padding=1), torch.nn.MaxPool2d(3, stride=2, padding=1)),
        (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
    ):
        assert ours.parameters() == []
        np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).numpy(), atol=TOL)


def test_layer_errors_name_the_layer_and_the_shapes():
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(3, 8, kernel_size=\(3, 3\)\) cannot take an input of shape \(2, 4, 6, 6\): "
        r"conv2d: input of shape \(2, 4, 6, 6\) has 4 channels",
    ):
        nn.Conv2d(3, 8, 3)(np.zeros((2, 4, 6, 6)))
    with pytest.raises(
        ValueError,
        match=r"MaxPool2d\(kernel_size=\(5, 5\).* cannot take an input of shape \(1, 1, 4, 4\)",
    ):
        nn.MaxPool2d(5)(np.zeros((1, 1, 4, 4)))
    with pytest.raises(
        ValueError, match=r"AvgPool2d: padding 2 must be at most half of kernel_size 3"
    ):
        nn.AvgPool2d(3, padding=2)
    with pytest.raises(ValueError, match=r"Conv2d: stride must be at least 1, got 0"):
        nn.Conv2d(1, 1, 3, stride=0)
    with pytest.raises(ValueError, match=r"out_channels must be a positive integer, got 0"):
        nn.Conv2d(1, 0, 3)
    assert repr(nn.Conv2d(1, 4, 3, padding="same", bias=False)) == (
        "Conv2d(1, 4, kernel_size=(3, 3), padding='same', bias=False)"
    )


# ---------------------------------------------------------------------------------------
# The CNN example.


def test_cnn_digits_example_runs_quickly(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("train_cnn_digits", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(["--quick", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert f"test accuracy {result.test_accuracy:.1%}" in out
    assert "cnn_digits" in err and "loss=" in err  # the tqdm bar
    losses = result.losses
    assert len(losses) == 43 and np.mean(losses[-5:]) < 0.75 * np.mean(losses[:5])  # it learns
    assert result.paths["loss_curve"].endswith("cnn_digits_loss.png")
    assert Path(result.paths["loss_curve"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = example.DigitsCNN(seed=1).load(result.paths["weights"])
    assert [name for name, _ in model.named_parameters()][:2] == [
        "features.0.weight",
        "features.0.bias",
    ]
    np.testing.assert_array_equal(model(np.ones((2, 64))).data, result.model(np.ones((2, 64))).data)


def test_shifted_copies_move_the_digit_one_pixel():
    spec = importlib.util.spec_from_file_location("train_cnn_digits", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    image = np.zeros((8, 8))
    image[0, 0], image[3, 4] = 1.0, 2.0
    X, y = example.with_shifts(image.reshape(1, 64), np.array([7]))
    assert X.shape == (5, 64) and list(y) == [7] * 5
    shifted = X.reshape(5, 8, 8)
    assert shifted[1][1, 0] == 1 and shifted[1][4, 4] == 2 and shifted[1].sum() == 3  # down
    assert shifted[2][2, 4] == 2 and shifted[2].sum() == 2  # up: the top row falls off
    assert shifted[3][0, 1] == 1 and shifted[3][3, 5] == 2  # right
    assert shifted[4][3, 3] == 2 and shifted[4].sum() == 2  # left: the corner falls off
