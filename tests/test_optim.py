"""optim: SGD and Adam against steps worked by hand, validation, and all-or-nothing updates."""

import math

import numpy as np
import pytest

from autograd_lite import Tensor, Value, nn, optim


def _quadratic_steps(opt, p, n):
    """n steps on L = sum(p**2), whose gradient is 2p; returns the data after each step."""
    out = []
    for _ in range(n):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        out.append(p.data.copy())
    return out


def _param():
    return Tensor([1.0, -2.0], requires_grad=True)


# ---- SGD: each case worked by hand on L = sum(p^2), g = 2p, p0 = [1, -2], lr = 0.1 --------


def test_sgd_plain():
    p = _param()
    steps = _quadratic_steps(optim.SGD([p], lr=0.1), p, 2)
    # p1 = p0 - 0.1 * 2 p0 = 0.8 p0;  p2 = 0.8 p1 = 0.64 p0
    np.testing.assert_allclose(steps, [[0.8, -1.6], [0.64, -1.28]], rtol=1e-15)


def test_sgd_momentum():
    p = _param()
    steps = _quadratic_steps(optim.SGD([p], lr=0.1, momentum=0.9), p, 3)
    # b1 = g1 = 2 p0,                  p1 = p0 - 0.1 b1 = 0.8 p0
    # b2 = 0.9 b1 + g2 = 1.8 p0 + 1.6 p0 = 3.4 p0,   p2 = 0.8 p0 - 0.34 p0 = 0.46 p0
    # b3 = 0.9 b2 + g3 = 3.06 p0 + 0.92 p0 = 3.98 p0, p3 = 0.46 p0 - 0.398 p0 = 0.062 p0
    np.testing.assert_allclose(steps, [[0.8, -1.6], [0.46, -0.92], [0.062, -0.124]], rtol=1e-13)


def test_sgd_weight_decay_and_nesterov_and_dampening():
    p = _param()
    steps = _quadratic_steps(optim.SGD([p], lr=0.1, weight_decay=0.1), p, 2)
    # g = 2p + 0.1p = 2.1p: p1 = 0.79 p0, p2 = 0.79^2 p0 = 0.6241 p0
    np.testing.assert_allclose(steps, [[0.79, -1.58], [0.6241, -1.2482]], rtol=1e-14)
    p = _param()
    steps = _quadratic_steps(optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, 2)
    # b1 = 2 p0, step 2 p0 + 0.9 b1 = 3.8 p0: p1 = 0.62 p0
    # g2 = 1.24 p0, b2 = 1.8 p0 + 1.24 p0 = 3.04 p0,
    # step 1.24 p0 + 2.736 p0 = 3.976 p0: p2 = 0.2224 p0
    np.testing.assert_allclose(steps, [[0.62, -1.24], [0.2224, -0.4448]], rtol=1e-13)
    p = _param()
    steps = _quadratic_steps(optim.SGD([p], lr=0.1, momentum=0.5, dampening=0.5), p, 2)
    # b1 = g1 = 2 p0 (no dampening on the first step): p1 = 0.8 p0
    # b2 = 0.5 b1 + 0.5 g2 = p0 + 0.8 p0 = 1.8 p0: p2 = 0.8 p0 - 0.18 p0 = 0.62 p0
    np.testing.assert_allclose(steps, [[0.8, -1.6], [0.62, -1.24]], rtol=1e-13)


# ---- Adam ------------------------------------------------------------------------------------


def test_adam_first_steps_by_hand():
    p = _param()
    steps = _quadratic_steps(optim.Adam([p], lr=0.1), p, 2)
    # Step 1: g = [2, -4]; m = 0.1 g; v = 0.001 g^2; m_hat = g, v_hat = g^2,
    #   p1 = p0 - 0.1 * g / (|g| + 1e-8) = [1 - 0.2/2.00000001, -2 + 0.4/4.00000001]
    np.testing.assert_allclose(steps[0], [1 - 0.2 / (2 + 1e-8), -2 + 0.4 / (4 + 1e-8)], rtol=1e-15)
    # Step 2: g = 2 p1 ~ [1.8, -3.8]
    #   m = 0.9 * [0.2, -0.4] + 0.1 * [1.8, -3.8] = [0.36, -0.74]
    #   v = 0.999 * [0.004, 0.016] + 0.001 * [3.24, 14.44] = [0.007236, 0.030424]
    #   m_hat = m / 0.19 = [1.894737, -3.894737];  v_hat = v / 0.001999 = [3.619810, 15.219610]
    #   p2 = p1 - 0.1 * m_hat / (sqrt(v_hat) + eps) = [0.9 - 0.0995878, -1.9 + 0.0998335]
    np.testing.assert_allclose(steps[1], [0.8004122287, -1.8001664861], rtol=1e-9)


def test_adam_weight_decay_is_added_to_the_gradient():
    p = Tensor([1.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.01, weight_decay=0.5)
    p.grad = Tensor([-1.0])  # g + 0.5 p = -0.5: a positive step of lr
    opt.step()
    p1 = 1.0 + 0.01 * 0.5 / (0.5 + 1e-8)
    assert p.data[0] == pytest.approx(p1, rel=1e-15)
    p.grad = Tensor([1.5])  # g + 0.5 p1 = 2.005 (nearly)
    opt.step()
    g = 1.5 + 0.5 * p1
    m = 0.9 * (0.1 * -0.5) + 0.1 * g
    v = 0.999 * (0.001 * 0.25) + 0.001 * g**2
    expected = p1 - 0.01 * (m / (1 - 0.9**2)) / (math.sqrt(v / (1 - 0.999**2)) + 1e-8)
    assert p.data[0] == pytest.approx(expected, rel=1e-12)


def test_optimizers_update_values_like_tensors():
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.1)):
        vals = [Value(1.0), Value(-2.0)]
        t = _param()
        opt_v, opt_t = make(vals), make([t])
        for _ in range(3):
            opt_v.zero_grad()
            opt_t.zero_grad()
            sum((v * v for v in vals), Value(0.0)).backward()
            (t * t).sum().backward()
            opt_v.step()
            opt_t.step()
        assert [v.data for v in vals] == pytest.approx(t.data.tolist(), rel=1e-14)
        assert all(type(v.data) is float for v in vals)


def test_float32_parameters_stay_float32():
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01), optim.Adam([p])):
        (p * p).sum().backward()
        opt.step()
        assert p.data.dtype == np.float32


# ---- how steps treat gradients and data --------------------------------------------------------


def test_a_shared_gradient_array_is_never_modified():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    shared = Tensor([0.5, -0.5])
    a.grad = b.grad = shared
    before = shared.data.copy()
    old_a = a.data
    for opt in (
        optim.SGD([a, b], lr=0.1),
        optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1),
        optim.Adam([a, b], weight_decay=0.1),
    ):
        opt.step()
        opt.step()
    np.testing.assert_array_equal(shared.data, before)
    np.testing.assert_array_equal(old_a, [1.0, 2.0])  # .data is replaced, not written into
    assert a.grad is shared


def test_a_step_is_all_or_nothing():
    good = Tensor([1.0, 2.0], requires_grad=True)
    bad = Tensor([1.0, 2.0], requires_grad=True, label="head.weight")
    opt = optim.Adam([good, bad], lr=0.1)
    good.grad = Tensor([1.0, 1.0])
    bad.grad = Tensor([1.0, 1.0])
    bad.data = np.array([[1.0, 2.0]])  # reshaped after backward: the gradient no longer fits
    with pytest.raises(
        ValueError, match=r"head.weight: gradient of shape \(2,\) for data of shape \(1, 2\)"
    ):
        opt.step()
    np.testing.assert_array_equal(good.data, [1.0, 2.0])
    assert opt.state == [None, None] and opt.steps == 0
    bad.data = np.array([1.0, 2.0])
    opt.step()  # now the first step, as if the failed one never happened
    np.testing.assert_allclose(good.data, [0.9, 1.9], rtol=1e-7)


def test_parameters_without_a_gradient_are_skipped():
    used = Tensor([1.0], requires_grad=True)
    unused = Tensor([5.0], requires_grad=True)
    opt = optim.SGD([used, unused], lr=0.5, weight_decay=0.1)
    (used * 2.0).sum().backward()
    opt.step()
    assert used.data[0] == pytest.approx(1.0 - 0.5 * (2.0 + 0.1))
    assert unused.data[0] == 5.0


def test_gradients_made_with_create_graph_are_used_by_value():
    p = Tensor([3.0], requires_grad=True)
    (p * p).sum().backward(create_graph=True)
    assert p.grad.requires_grad
    optim.SGD([p], lr=0.1).step()
    assert p.data[0] == pytest.approx(3.0 - 0.1 * 6.0)


def test_zero_grad_and_model_parameters():
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU(), nn.Linear(2, 1, rng=1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(np.ones((3, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ---- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), r"lr must be .* got -0.1"),
        (lambda ps: optim.SGD(ps, lr=float("nan")), "lr must be .* got nan"),
        (lambda ps: optim.SGD(ps, lr="fast"), "lr must be .* got 'fast'"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), "momentum must be .* got -0.5"),
        (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1), "weight_decay must be .* got -1"),
        (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), "nesterov needs momentum > 0"),
        (lambda ps: optim.Adam(ps, lr=-1e-3), r"lr must be .* got -0.001"),
        (
            lambda ps: optim.Adam(ps, betas=(1.0, 0.999)),
            r"betas\[0\] must be a number in \[0, 1\), got 1.0",
        ),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), r"betas\[1\] must be .* got -0.1"),
        (lambda ps: optim.Adam(ps, betas=0.9), "betas must be a pair"),
        (lambda ps: optim.Adam(ps, eps=-1e-8), "eps must be .* got -1e-08"),
        (lambda ps: optim.Adam(ps, weight_decay=-0.1), "weight_decay must be .* got -0.1"),
    ],
)
def test_bad_hyper_parameters_name_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make([_param()])


def test_bad_parameter_lists():
    with pytest.raises(ValueError, match="empty list of parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        optim.SGD([_param(), np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="requires_grad=True"):
        optim.SGD([Tensor([1.0])], lr=0.1)
    with pytest.raises(TypeError, match="iterable of parameters"):
        optim.Adam(_param())
    p = _param()
    assert len(optim.SGD([p, p], lr=0.1).params) == 1
