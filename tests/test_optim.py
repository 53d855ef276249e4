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
    assert opt.state == [None, None]
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
    with pytest.raises(ValueError, match="must be a leaf"):
        optim.SGD([_param() * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="iterable of parameters"):
        optim.Adam(_param())
    p = _param()
    assert len(optim.SGD([p, p], lr=0.1).params) == 1


# ---- parameters a step does not reach ----------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.1),
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.1),
    ],
    ids=["sgd-weight-decay", "sgd-momentum", "adam"],
)
def test_a_value_reset_and_not_reached_does_not_move(make):
    used, unused = Value(1.0), Value(5.0)
    opt = make([used, unused])
    for _ in range(2):  # the second step: momentum and moments exist for both
        opt.zero_grad()
        (used * unused).backward()
        opt.step()
    before = unused.data
    opt.zero_grad()
    (used * 2.0).backward()  # unused is not reached: PyTorch would find its .grad None
    opt.step()
    assert unused.data == before


# ---- parameter groups ----------------------------------------------------------------------------


def test_groups_have_their_own_options_and_defaults_fill_the_rest():
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, weight_decay=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["weight_decay"] for g in opt.param_groups] == [0.5, 0.5]
    a.grad, b.grad = Tensor([1.0]), Tensor([1.0])
    opt.step()  # g + 0.5 p = 1.5
    assert (a.data[0], b.data[0]) == (pytest.approx(1 - 0.15), pytest.approx(1 - 0.75))
    opt.param_groups[0]["lr"] = 0.0  # as a scheduler does: read at the next step
    opt.step()
    assert a.data[0] == pytest.approx(1 - 0.15)


def test_add_param_group_and_its_errors_change_nothing():
    a, b, c = (Tensor([float(i)], requires_grad=True) for i in range(3))
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "betas": (0.5, 0.9)})
    assert opt.params == [a, b] and opt.param_groups[1]["betas"] == (0.5, 0.9)
    assert opt.param_groups[1]["lr"] == 0.1
    with pytest.raises(ValueError, match="parameter 0 is already in param group 0"):
        opt.add_param_group({"params": [c, a]})
    with pytest.raises(ValueError, match=r"param group 2: betas\[1\] must be .* got 1.5"):
        opt.add_param_group({"params": [c], "betas": (0.5, 1.5)})
    with pytest.raises(ValueError, match="needs a 'params' entry"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="a set has no order"):
        opt.add_param_group({"params": {c}})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([c])
    assert opt.params == [a, b] and len(opt.param_groups) == 2 and opt.state == [None, None]


def test_an_option_made_bad_between_steps_is_refused_before_any_change():
    a = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = Tensor([1.0])
    opt.param_groups[0]["lr"] = -0.1
    with pytest.raises(ValueError, match=r"param group 0: lr must be .* got -0.1"):
        opt.step()
    assert a.data[0] == 1.0 and opt.state == [None]
    opt.param_groups[0]["nesterov"] = True
    opt.param_groups[0]["lr"] = 0.1
    opt.param_groups[0]["dampening"] = 0.5
    with pytest.raises(ValueError, match="nesterov needs momentum > 0 and dampening 0"):
        opt.step()


# ---- state_dict ----------------------------------------------------------------------------------


def _param_list(*shapes):
    shapes = shapes or ((2,), (3, 2))
    return [
        Tensor(np.linspace(-1, 1, int(np.prod(s))).reshape(s), requires_grad=True) for s in shapes
    ]


def _trained(opt, steps=3):
    """opt after `steps` steps on the sum of its parameters' squares."""
    for _ in range(steps):
        opt.zero_grad()
        sum(((p * p).sum() for p in opt.params), Tensor(0.0)).backward()
        opt.step()
    return opt


def test_state_dict_layout_and_copies():
    opt = _trained(_two_groups(_param_list()))
    sd = opt.state_dict()
    assert sd["type"] == "Adam"
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [1e-3, 0.5]
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 1]
    assert sd["state"][1]["step"] == 3 and sd["state"][1]["exp_avg"].shape == (3, 2)
    sd["state"][0]["exp_avg"][...] = 99.0  # a copy: the optimizer's state is untouched
    assert not np.any(opt.state[0]["exp_avg"] == 99.0)


def _assert_same_state(opt, sd):
    now = opt.state_dict()
    assert now["param_groups"] == sd["param_groups"]
    assert now["state"].keys() == sd["state"].keys()
    for i, entry in sd["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(now["state"][i][key], value)


def _two_groups(ps):
    return optim.Adam([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (lambda: optim.SGD(_param_list(), momentum=0.9), "it is the state of 'SGD'"),
        (lambda: optim.AdamW(_param_list()), "it is the state of 'AdamW'"),
        (lambda: _two_groups(_param_list()), "it has 2 param groups, the optimizer 1"),
        (
            lambda: optim.Adam(_param_list((2,), (2, 3))),
            r"state\[1\]\['exp_avg'\] has shape \(2, 3\), the parameter shape \(3, 2\)",
        ),
        (
            lambda: optim.Adam(_param_list((2,), (3, 2), (1,))),
            r"param group 0 holds parameters \[0, 1\] here, but \[0, 1, 2\] in the state",
        ),
    ],
    ids=["another-type", "adamw-into-adam", "group-count", "shape", "parameter-count"],
)
def test_loading_a_state_for_other_parameters_or_another_optimizer_changes_nothing(source, message):
    opt = _trained(optim.Adam(_param_list()))
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(_trained(source()).state_dict())
    _assert_same_state(opt, before)


def test_loading_a_state_with_a_bad_entry_names_it_and_changes_nothing():
    opt = _trained(optim.Adam(_param_list()))
    before = opt.state_dict()
    for edit, message in [
        (lambda sd: sd["state"][1].pop("exp_avg_sq"), r"state\[1\] has no 'exp_avg_sq'"),
        (
            lambda sd: sd["state"][0].update(momentum_buffer=np.zeros(2)),
            "has an entry 'momentum_buffer'",
        ),
        (
            lambda sd: sd["state"][0].update(step=-1),
            r"state\[0\]\['step'\] must be a non-negative integer",
        ),
        (lambda sd: sd["state"].update({5: {}}), "state entry 5 is not a parameter index 0..1"),
        (
            lambda sd: sd["param_groups"][0].update(eps=-1.0),
            "param group 0: eps must be .* got -1.0",
        ),
        (
            lambda sd: sd["param_groups"][0].pop("amsgrad"),
            "param group 0: option 'amsgrad' is missing",
        ),
        (lambda sd: sd.pop("state"), "expected a dict with 'state' and 'param_groups'"),
    ]:
        sd = opt.state_dict()
        edit(sd)
        with pytest.raises(ValueError, match=message):
            opt.load_state_dict(sd)
        _assert_same_state(opt, before)


def test_a_loaded_state_is_copied_in_the_parameters_dtype():
    opt = _trained(optim.RMSprop(_param_list((2,))))
    sd = opt.state_dict()
    p32 = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    other = optim.RMSprop([p32])
    other.load_state_dict(sd)
    assert other.state[0]["square_avg"].dtype == np.float32
    sd["state"][0]["square_avg"][...] = 7.0
    assert not np.any(other.state[0]["square_avg"] == 7.0)


# ---- new options: validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: optim.SGD(ps, maximize="yes"), "maximize must be True or False, got 'yes'"),
        (lambda ps: optim.Adam(ps, amsgrad=1), "amsgrad must be True or False, got 1"),
        (lambda ps: optim.AdamW(ps, weight_decay=-1.0), "weight_decay must be .* got -1.0"),
        (lambda ps: optim.RMSprop(ps, alpha=1.5), r"alpha must be a number in \[0, 1\], got 1.5"),
        (lambda ps: optim.RMSprop(ps, momentum=-0.1), "momentum must be .* got -0.1"),
        (lambda ps: optim.RMSprop(ps, centered=None), "centered must be True or False"),
    ],
)
def test_bad_new_options_name_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make([_param()])


def test_a_frozen_layer_is_accepted_and_never_moves_as_in_pytorch():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model[0].requires_grad_(False)  # frozen: still in parameters(), as PyTorch's
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    frozen = model[0].weight.data.copy()
    trained = model[2].weight.data.copy()
    for _ in range(2):
        opt.zero_grad()
        model(Tensor(np.ones((2, 3)))).sum().backward()
        opt.step()
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert not np.array_equal(model[2].weight.data, trained)


_SGD_CASES = {
    "plain": ({}, None),
    "two groups": ({"groups": True}, None),
    "float32": ({"dtype": np.float32}, None),
    "a parameter without a gradient": ({"unused": True}, None),
    "lr changed between steps": ({}, lambda opt: opt.param_groups[0].update(lr=0.05)),
    "momentum switched on": ({}, lambda opt: opt.param_groups[0].update(momentum=0.9)),
    "weight decay": ({"weight_decay": 0.01}, None),
    "maximize": ({"maximize": True}, None),
    "a Value among the parameters": ({"value": True}, None),
}


def _sgd_run(case, step):
    """Four SGD steps of a small least-squares fit in configuration `case`, each step taken
    by `step(opt)`: the parameters after every step, their floats in hex (every bit)."""
    options, between = _SGD_CASES[case]
    rng = np.random.default_rng(0)
    dtype = options.get("dtype", np.float64)
    ws = [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in [(3, 2), (2,)]]
    unused = Tensor(np.ones(2), requires_grad=True)
    v = Value(0.5)
    params = ws + [unused] * options.get("unused", False) + [v] * options.get("value", False)
    kw = {k: options[k] for k in ("weight_decay", "maximize") if k in options}
    if options.get("groups"):
        opt = optim.SGD([{"params": ws[:1]}, {"params": ws[1:], "lr": 0.3}], lr=0.1)
    else:
        opt = optim.SGD(params, lr=0.1, **kw)
    x = Tensor(rng.standard_normal((4, 3)).astype(dtype))
    seen = []
    for k in range(4):
        for p in params:
            p.grad = None
        loss = ((x @ ws[0] + ws[1]) ** 2).sum() * (v if options.get("value") else 1.0)
        loss.backward()
        step(opt)
        seen.append([[float(x).hex() for x in np.ravel(p.data)] for p in params])
        if k == 1 and between is not None:
            between(opt)
    return seen


@pytest.mark.parametrize("case", list(_SGD_CASES))
def test_sgd_takes_a_short_path_with_the_general_paths_floats(case, monkeypatch):
    """Plain SGD on Tensors (the common training step) skips the general machinery of
    `Optimizer.step`; every configuration gives the floats of the general path, bit for bit,
    and the plain ones never reach it (except the step after their options changed)."""
    general = _sgd_run(case, optim.Optimizer.step)
    calls = []
    real = optim.Optimizer.step
    monkeypatch.setattr(optim.Optimizer, "step", lambda opt: calls.append(1) or real(opt))
    assert _sgd_run(case, optim.SGD.step) == general
    short = case in ("plain", "two groups", "float32", "a parameter without a gradient")
    changed = {"lr changed between steps": 1, "momentum switched on": 2}
    assert len(calls) == (0 if short else changed.get(case, 4))
