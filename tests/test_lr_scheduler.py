"""optim.lr_scheduler: rates equal torch.optim.lr_scheduler's; state round trips; errors."""

import math

import numpy as np
import pytest

from autograd_lite import Tensor, Value, optim
from autograd_lite.optim import lr_scheduler

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")

STEPS = 50
LRS = (0.1, 0.03)  # two parameter groups, so per-group lists and lerps are exercised


def _pair(kind="SGD", **options):
    """Our optimizer and PyTorch's, each with two groups of one parameter."""
    ours = getattr(optim, kind)(
        [{"params": [Tensor([1.0], requires_grad=True)], "lr": lr} for lr in LRS], **options
    )
    theirs = getattr(torch.optim, kind)(
        [{"params": [torch.ones(1, requires_grad=True)], "lr": lr} for lr in LRS], **options
    )
    return ours, theirs


def _momenta(opt):
    key = "betas" if "betas" in opt.defaults else "momentum"
    return [g[key][0] if key == "betas" else g[key] for g in opt.param_groups]


def _compare(opt, topt, sched, tsched, step, steps=STEPS):
    """Step both `steps` times; the rates (and momenta) equal after construction and each step."""
    for k in range(steps + 1):
        if k:
            for o, s in ((opt, sched), (topt, tsched)):
                o.step()
                step(s, k)
        where = f"after {k} steps"
        np.testing.assert_allclose(
            sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12, atol=0, err_msg=where
        )
        np.testing.assert_allclose(
            [g["lr"] for g in opt.param_groups],
            [g["lr"] for g in topt.param_groups],
            rtol=1e-12,
            atol=0,
            err_msg=where,
        )
        np.testing.assert_allclose(_momenta(opt), _momenta(topt), rtol=1e-12, err_msg=where)


def _plain_step(s, k):
    s.step()


SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[30, 5, 12, 12], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),  # five half-periods: down and up again
    ("CosineAnnealingLR", dict(T_max=50)),
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.01)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.25, end_factor=1.0, total_iters=8)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=20)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e), lambda e: math.cos(e / 20) ** 2])),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS)),
    (
        "OneCycleLR",
        dict(
            max_lr=[0.5, 0.2],
            total_steps=STEPS,
            anneal_strategy="linear",
            three_phase=True,
            pct_start=0.25,
        ),
    ),
    (
        "OneCycleLR",
        dict(
            max_lr=0.4,
            epochs=5,
            steps_per_epoch=10,
            cycle_momentum=False,
            div_factor=10.0,
            final_div_factor=100.0,
        ),
    ),
]


def _id(case):
    name, options = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items() if k != "lr_lambda")


@pytest.mark.parametrize("case", SCHEDULES, ids=[_id(c) for c in SCHEDULES])
def test_rates_equal_torch(case):
    name, options = case
    opt, topt = _pair(momentum=0.9)
    sched = getattr(lr_scheduler, name)(opt, **options)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **options)
    if name != "OneCycleLR":
        _compare(opt, topt, sched, tsched, _plain_step)
    else:
        _compare(opt, topt, sched, tsched, _plain_step, steps=STEPS - 1)
        _check_one_cycle_end(opt, topt, sched, tsched)


def _check_one_cycle_end(opt, topt, sched, tsched):
    """The step to total_steps: PyTorch extrapolates past the end, ours stops at min_lr."""
    for o, s in ((opt, sched), (topt, tsched)):
        o.step()
        s.step()
    lows = [g["min_lr"] for g in opt.param_groups]
    np.testing.assert_allclose(sched.get_last_lr(), lows, rtol=1e-12)
    assert not np.allclose(tsched.get_last_lr(), lows, rtol=0.5, atol=0)


def test_one_cycle_cycles_adams_beta1_as_torch():
    opt, topt = _pair("Adam", betas=(0.9, 0.99))
    options = dict(max_lr=0.01, total_steps=30, base_momentum=0.8, max_momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, **options)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, **options)
    _compare(opt, topt, sched, tsched, _plain_step, steps=29)
    _check_one_cycle_end(opt, topt, sched, tsched)
    assert opt.param_groups[0]["betas"][1] == 0.99
    with pytest.raises(ValueError, match="stepped 31 times, past its total_steps 30"):
        sched.step()
    assert sched.last_epoch == 30  # nothing changed


def test_two_schedulers_on_one_optimizer_compose_as_torch():
    opt, topt = _pair()
    ours = [lr_scheduler.LinearLR(opt, 0.1, total_iters=5), lr_scheduler.ExponentialLR(opt, 0.9)]
    theirs = [
        torch.optim.lr_scheduler.LinearLR(topt, 0.1, total_iters=5),
        torch.optim.lr_scheduler.ExponentialLR(topt, 0.9),
    ]
    for _ in range(20):
        opt.step()
        topt.step()
        for s in ours + theirs:
            s.step()
        np.testing.assert_allclose(ours[1].get_last_lr(), theirs[1].get_last_lr(), rtol=1e-12)


PLATEAUS = [
    dict(patience=2, factor=0.5),
    dict(
        mode="max", threshold_mode="abs", threshold=0.1, cooldown=2, patience=1, min_lr=[0.01, 0.02]
    ),
    dict(patience=0, factor=0.3, threshold=0.05, cooldown=1, min_lr=0.005, eps=1e-3),
]


@pytest.mark.parametrize("options", PLATEAUS)
def test_reduce_on_plateau_equals_torch(options):
    rng = np.random.default_rng(3)
    metrics = np.concatenate(
        [np.linspace(1, 0.5, 10), np.full(15, 0.5), 0.5 + rng.normal(0, 0.05, 25)]
    )
    opt, topt = _pair()
    sched = lr_scheduler.ReduceLROnPlateau(opt, **options)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **options)
    _compare(opt, topt, sched, tsched, lambda s, k: s.step(float(metrics[k - 1])))
    sched.step(Tensor([0.1]))  # a one-element Tensor or Value is read as its value
    sched.step(Value(0.1))
    with pytest.raises(TypeError, match="metrics must be a number"):
        sched.step("low")


# ---- state_dict --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [SCHEDULES[2], SCHEDULES[4], SCHEDULES[9], SCHEDULES[13], ("ReduceLROnPlateau", PLATEAUS[1])],
    ids=_id,
)
def test_a_round_trip_continues_the_same_rates(case):
    name, options = case
    make = getattr(lr_scheduler, name)
    step = (lambda s, k: s.step(1.0 / (1 + k % 7))) if name == "ReduceLROnPlateau" else _plain_step
    straight, _ = _pair(momentum=0.9)
    s1 = make(straight, **options)
    first, _ = _pair(momentum=0.9)
    s2 = make(first, **options)
    for k in range(1, 41):
        if k == 15:
            saved_opt, saved_sched = first.state_dict(), s2.state_dict()
            first, _ = _pair(momentum=0.9)
            s2 = make(first, **options)  # made first, then loaded: its own start is overwritten
            first.load_state_dict(saved_opt)
            s2.load_state_dict(saved_sched)
        for o, s in ((straight, s1), (first, s2)):
            o.step()
            step(s, k)
        assert s2.get_last_lr() == s1.get_last_lr()
        assert [g["lr"] for g in first.param_groups] == [g["lr"] for g in straight.param_groups]


def test_state_dict_names_its_type_and_copies():
    opt, _ = _pair()
    sched = lr_scheduler.MultiStepLR(opt, [3, 3, 8], gamma=0.5)
    state = sched.state_dict()
    assert state["type"] == "MultiStepLR" and state["milestones"] == {3: 2, 8: 1}
    assert state["base_lrs"] == list(LRS) and state["last_epoch"] == 0
    state["base_lrs"][0] = 5.0
    assert sched.base_lrs[0] == LRS[0]
    assert "lr_lambdas" not in lr_scheduler.LambdaLR(opt, lambda e: 1.0).state_dict()


def _one_group_sgd():
    return optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1)


@pytest.mark.parametrize(
    ("make_target", "state", "message"),
    [
        (
            lambda: lr_scheduler.StepLR(_pair()[0], 3),
            lambda: lr_scheduler.ExponentialLR(_pair()[0], 0.9).state_dict(),
            "it is the state of 'ExponentialLR'",
        ),
        (
            lambda: lr_scheduler.StepLR(_pair()[0], 3),
            lambda: lr_scheduler.StepLR(_one_group_sgd(), 3).state_dict(),
            r"'base_lrs' is \[0.1\], expected one like \[0.1, 0.03\]",
        ),
        (
            lambda: lr_scheduler.StepLR(_pair()[0], 3),
            lambda: {**lr_scheduler.StepLR(_pair()[0], 3).state_dict(), "gamma": "big"},
            "'gamma' is 'big'",
        ),
        (
            lambda: lr_scheduler.StepLR(_pair()[0], 3),
            lambda: {
                k: v
                for k, v in lr_scheduler.StepLR(_pair()[0], 3).state_dict().items()
                if k != "step_size"
            },
            "it has no 'step_size'",
        ),
        (
            lambda: lr_scheduler.ReduceLROnPlateau(_pair()[0]),
            lambda: {**lr_scheduler.ReduceLROnPlateau(_pair()[0]).state_dict(), "mode": "sideways"},
            "mode must be 'min' or 'max', got 'sideways'",
        ),
        (
            lambda: lr_scheduler.StepLR(_pair()[0], 3),
            lambda: [1, 2],
            "expected a dict from state_dict",
        ),
    ],
    ids=["another-type", "group-count", "kind", "missing", "mode", "not-a-dict"],
)
def test_loading_a_foreign_state_changes_nothing(make_target, state, message):
    sched = make_target()
    before = sched.state_dict()
    with pytest.raises(ValueError, match=message):
        sched.load_state_dict(state())
    assert sched.state_dict() == before


# ---- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda o: lr_scheduler.StepLR(o, 0),
            ValueError,
            "step_size must be an integer >= 1, got 0",
        ),
        (lambda o: lr_scheduler.StepLR(o, 2, gamma=-1), ValueError, "gamma must be .* got -1"),
        (
            lambda o: lr_scheduler.MultiStepLR(o, [3, 1.5]),
            ValueError,
            r"milestones\[1\] must be an integer",
        ),
        (
            lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0),
            ValueError,
            "T_max must be an integer >= 1",
        ),
        (
            lambda o: lr_scheduler.LinearLR(o, start_factor=0),
            ValueError,
            r"start_factor must be in \(0, 1\]",
        ),
        (
            lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
            ValueError,
            "1 functions for 2 param groups",
        ),
        (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, r"lr_lambda\[0\] must be callable"),
        (
            lambda o: lr_scheduler.OneCycleLR(o, 0.1),
            ValueError,
            "needs total_steps, or epochs and steps_per_epoch",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, [0.1], total_steps=5),
            ValueError,
            "max_lr has 1 values for 2 param groups",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=5, anneal_strategy="exp"),
            ValueError,
            "'cos' or 'linear'",
        ),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
            ValueError,
            r"factor must be a number in \[0, 1\)",
        ),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"),
            ValueError,
            "mode must be 'min' or 'max'",
        ),
        (lambda o: lr_scheduler.StepLR(object(), 3), TypeError, "needs an Optimizer, got object"),
    ],
)
def test_bad_settings_name_the_value_and_leave_the_optimizer_alone(make, error, message):
    opt, _ = _pair()
    with pytest.raises(error, match=message):
        make(opt)
    assert [g["lr"] for g in opt.param_groups] == list(LRS)
    assert all("initial_lr" not in g for g in opt.param_groups)


def test_a_negative_rate_from_a_lambda_is_refused_by_the_optimizer_step():
    opt, _ = _pair()
    p = opt.params[0]
    sched = lr_scheduler.LambdaLR(opt, lambda e: 1.0 if e < 3 else -1.0)
    for _ in range(3):
        sched.step()
    p.grad = Tensor([1.0])
    with pytest.raises(ValueError, match=r"param group 0: lr must be .* got -0.1"):
        opt.step()
    assert p.data[0] == 1.0


def test_a_failing_lambda_changes_nothing():
    opt, _ = _pair()
    sched = lr_scheduler.LambdaLR(opt, lambda e: 1.0 / (2 - e))
    sched.step()
    with pytest.raises(ZeroDivisionError):
        sched.step()
    assert sched.last_epoch == 1 and sched.get_last_lr() == list(LRS)


def test_a_group_added_after_the_scheduler_is_refused_by_name():
    opt, _ = _pair()
    sched = lr_scheduler.ExponentialLR(opt, 0.5)
    opt.add_param_group({"params": [Tensor([0.0], requires_grad=True)]})
    with pytest.raises(ValueError, match="made for 2 param groups, the optimizer has 3 now"):
        sched.step()
