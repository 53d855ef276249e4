"""optim against torch.optim (float64): trajectories, state and state_dict, option by option.

A small MLP loss over parameters of several shapes, two of them Values, one of which a
backward pass reaches only on some steps (PyTorch finds its .grad None on the others and
skips it); 30 steps; every parameter after every step equal to PyTorch's to 1e-12.
"""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value, optim

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")

STEPS = 30
_rng = np.random.default_rng(7)
X = _rng.normal(size=(5, 3))
Y = _rng.normal(size=(5, 2))
INITIAL = {
    "W1": _rng.normal(size=(3, 4)),
    "b1": _rng.normal(size=4) * 0.1,
    "W2": _rng.normal(size=(4, 2)),
    "scale": np.array(1.3),  # a Value in autograd_lite, a 0-d tensor in PyTorch
    "shift": np.array(-0.4),  # a Value reached only on steps k with k % 3 != 0
}
VALUES = ("scale", "shift")


def _loss(lib, p, k, sign):
    """The same expression in both libraries: mean((tanh(X W1 + b1) W2 * scale [+ shift] - Y)^2)."""
    x, y = (torch.from_numpy(X), torch.from_numpy(Y)) if lib == "torch" else (Tensor(X), Tensor(Y))
    out = (x @ p["W1"] + p["b1"]).tanh() @ p["W2"] * p["scale"]
    if k % 3:
        out = out + p["shift"]
    return ((out - y) ** 2).mean() * sign


def _ours():
    return {
        n: Value(float(a)) if n in VALUES else Tensor(a.copy(), requires_grad=True)
        for n, a in INITIAL.items()
    }


def _theirs():
    return {n: torch.tensor(a, dtype=torch.float64, requires_grad=True) for n, a in INITIAL.items()}


def _groups(p, grouped, lr):
    """All parameters in one list, or two groups, the first with twice the learning rate."""
    order = list(INITIAL)
    if not grouped:
        return [p[n] for n in order]
    return [
        {"params": [p[n] for n in order[:2]], "lr": 2 * lr},
        {"params": [p[n] for n in order[2:]]},
    ]


def _data(p):
    return {
        n: np.asarray(v.data if isinstance(v, Value) else v.detach().numpy()) for n, v in p.items()
    }


def _run(make_ours, make_theirs, options, grouped, steps=STEPS):
    sign = -1.0 if options.get("maximize") else 1.0
    lr = options.get("lr", 1e-3)
    ours, theirs = _ours(), _theirs()
    opt = make_ours(_groups(ours, grouped, lr), **options)
    topt = make_theirs(_groups(theirs, grouped, lr), foreach=False, **options)
    for k in range(steps):
        for o, loss in (
            (opt, _loss("ours", ours, k, sign)),
            (topt, _loss("torch", theirs, k, sign)),
        ):
            o.zero_grad()
            loss.backward()
            o.step()
        mine, expected = _data(ours), _data(theirs)
        for n in INITIAL:
            np.testing.assert_allclose(
                mine[n], expected[n], rtol=1e-12, atol=1e-12, err_msg=f"{n}, step {k}"
            )
    return opt, topt, ours


CASES = [
    (optim.SGD, torch.optim.SGD, dict(lr=0.05)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, weight_decay=0.1)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.5, maximize=True)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, maximize=True, weight_decay=0.1)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    (
        optim.Adam,
        torch.optim.Adam,
        dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, amsgrad=True, weight_decay=0.1, maximize=True),
    ),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.5, 0.9))),  # lerp's other branch
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, maximize=True)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.5)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    (
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1),
    ),
    (
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.005, alpha=0.9, eps=1e-6, maximize=True, weight_decay=0.05),
    ),
    (
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.01, alpha=0.3, centered=True),
    ),  # lerp's other branch
]


def _case_id(case):
    ours, _, options = case
    return ours.__name__ + "-" + "-".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("grouped", [False, True], ids=["one-group", "two-groups"])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_equals_torch(case, grouped):
    _run(*case, grouped=grouped)


@pytest.mark.parametrize("case", CASES[3:4] + CASES[10:11] + CASES[18:19], ids=_case_id)
def test_state_dict_has_torch_layout_and_values(case):
    opt, topt, _ = _run(*case, grouped=True, steps=7)
    mine, theirs = opt.state_dict(), topt.state_dict()
    assert mine["type"] == type(opt).__name__
    assert [g["params"] for g in mine["param_groups"]] == [
        g["params"] for g in theirs["param_groups"]
    ]
    for g, tg in zip(mine["param_groups"], theirs["param_groups"]):
        for key, value in g.items():
            assert (tuple(tg[key]) if key == "betas" else tg[key]) == value
    assert mine["state"].keys() == theirs["state"].keys()
    for i, entry in mine["state"].items():
        assert entry.keys() == theirs["state"][i].keys(), i
        for key, value in entry.items():
            expected = theirs["state"][i][key]
            if key == "step":
                assert value == int(expected.item())
            else:
                np.testing.assert_allclose(value, expected.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES[4:5] + CASES[13:14] + CASES[18:19], ids=_case_id)
def test_a_state_dict_round_trip_continues_the_same_trajectory(case):
    make_ours, _, options = case
    straight = _ours()
    opt = make_ours(_groups(straight, True, options["lr"]), **options)
    resumed = _ours()
    first = make_ours(_groups(resumed, True, options["lr"]), **options)
    for k in range(12):
        for o, p in ((opt, straight), (first, resumed)):
            if k == 6 and o is first:  # saved, and a new optimizer loads it midway
                saved = first.state_dict()
                o = first = make_ours(_groups(resumed, True, 1.0), **{**options, "lr": 1.0})
                first.load_state_dict(saved)
            o.zero_grad()
            _loss("ours", p, k, 1.0).backward()
            o.step()
    for n in INITIAL:
        np.testing.assert_array_equal(np.asarray(_data(resumed)[n]), np.asarray(_data(straight)[n]))
    assert first.param_groups[0]["lr"] == 2 * options["lr"]  # options come from the state


def test_float32_parameters_match_torch_float32():
    for make, tmake, options in (CASES[4], CASES[10], CASES[18]):
        p = Tensor(np.linspace(-1, 1, 6, dtype=np.float32), requires_grad=True)
        tp = torch.tensor(np.linspace(-1, 1, 6, dtype=np.float32), requires_grad=True)
        opt, topt = make([p], **options), tmake([tp], foreach=False, **options)
        for _ in range(10):
            for o, q, mod in ((opt, p, al), (topt, tp, torch)):
                o.zero_grad()
                (mod.sin(q * 3.0) * q).sum().backward()
                o.step()
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-6)
