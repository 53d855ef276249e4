"""Learning-rate schedules that set each parameter group's "lr", as `torch.optim.lr_scheduler`.

A scheduler is made after its optimizer and stepped after the optimizer:

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)        # opt.step() inside
        sched.step()

Making a scheduler sets the learning rates of epoch 0 (and records each group's
starting rate as its "initial_lr"); each `step()` moves to the next epoch and
writes the new rates into `optimizer.param_groups`. The rates follow PyTorch's
recurrences exactly (each new rate is computed from the group's current one, so
two schedulers on one optimizer compose by multiplying, as in PyTorch), and
equal `torch.optim.lr_scheduler`'s on the same settings.

`state_dict()` holds the scheduler's counters and settings, plus its class name
under "type"; `load_state_dict` refuses (ValueError, nothing changed) a state of
another scheduler type, with other entries, or for another number of groups.
Save and load the optimizer's state too: the rates themselves live there.
Unlike PyTorch, there is no `last_epoch` argument (resume with `load_state_dict`)
and `step()` takes no epoch.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections import Counter

import numpy as np

from ..core.graph import Node
from .optimizers import Optimizer, _check_hyper, _flag

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]


def _count(name, value, lo=1):
    """An int >= lo; ValueError naming the value otherwise."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= lo:
        return int(value)
    raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")


def _per_group(name, value, optimizer, check):
    """One checked value per parameter group: `value` repeated, or a list of one per group."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} has {len(value)} values for {n} param groups")
        return [check(f"{name}[{i}]", v) for i, v in enumerate(value)]
    return [check(name, value)] * n


def _like(current, saved):
    """True if `saved` has the kind of `current`: a number (or None where either is None), a
    string, a bool, a list/tuple of the same length or a dict of the same keys, item by item."""
    if current is None or saved is None:  # a number or None (ReduceLROnPlateau's default_min_lr)
        return all(x is None or _is_real(x) for x in (current, saved))
    if isinstance(current, (bool, str)):
        return type(saved) is type(current)
    if isinstance(current, numbers.Real):
        return _is_real(saved)
    if isinstance(current, (list, tuple)):
        return (
            isinstance(saved, (list, tuple))
            and len(saved) == len(current)
            and all(_like(c, s) for c, s in zip(current, saved))
        )
    if isinstance(current, dict):
        return (
            isinstance(saved, dict)
            and current.keys() == saved.keys()
            and all(_like(current[k], saved[k]) for k in current)
        )
    return False


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_count(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, bool) and x >= 0


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")


class _Schedule:
    """What every scheduler shares: its optimizer, `get_last_lr` and the saved state."""

    #: saved entries whose layout may differ from this scheduler's (`_check_loaded` checks them)
    _LOOSE = ()

    def __init__(self, optimizer):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

    def get_last_lr(self):
        """The learning rate of each parameter group as this scheduler last set it (a new list)."""
        return list(self._last_lr)

    def _check_groups(self):
        n = len(self.optimizer.param_groups)
        if n != len(self._last_lr):
            raise ValueError(
                f"{type(self).__name__} was made for {len(self._last_lr)} param groups, "
                f"the optimizer has {n} now"
            )

    def _saved_names(self):
        return [k for k in vars(self) if k not in ("optimizer", "lr_lambdas")]

    def state_dict(self):
        """The scheduler's settings and counters (PyTorch's names), and "type": its class name.

        Lists are copied; for `LambdaLR` the functions are not saved.
        """
        state = {"type": type(self).__name__}
        for name in self._saved_names():
            state[name] = copy.deepcopy(getattr(self, name))
        return state

    def load_state_dict(self, state_dict):
        """Restore settings and counters saved by `state_dict()` of the same scheduler type.

        Raises ValueError naming the first problem (another type, a missing or
        unexpected entry, an entry of another kind or length, e.g. a state for
        another number of param groups) before changing anything.
        """
        prefix = f"cannot load this state into {type(self).__name__}: "
        if not isinstance(state_dict, dict):
            raise ValueError(
                f"{prefix}expected a dict from state_dict(), got {type(state_dict).__name__}"
            )
        if state_dict.get("type") != type(self).__name__:
            raise ValueError(f"{prefix}it is the state of {state_dict.get('type')!r}")
        current = self.state_dict()
        for name in current:
            if name not in state_dict:
                raise ValueError(f"{prefix}it has no {name!r}")
        for name in state_dict:
            if name not in current:
                raise ValueError(f"{prefix}it has an unexpected entry {name!r}")
        for name, value in current.items():
            if name not in self._LOOSE and not _like(value, state_dict[name]):
                raise ValueError(
                    f"{prefix}{name!r} is {state_dict[name]!r}, expected one like {value!r}"
                )
        self._check_loaded(state_dict, prefix)
        for name in self._saved_names():
            value = copy.deepcopy(state_dict[name])
            setattr(self, name, list(value) if isinstance(value, tuple) else value)

    def _check_loaded(self, state_dict, prefix):
        """Checks of a loaded state beyond its layout (subclasses add theirs)."""


class LRScheduler(_Schedule):
    """Base of the epoch schedules: subclasses give `_rates()`, the rates of epoch `last_epoch`.

    `step()` advances `last_epoch` and writes the new rates into the optimizer's
    groups; if computing them raises, nothing changes (neither the rates nor the
    epoch). The optimizer checks a rate when it uses it: a negative one (from a
    `LambdaLR` function, say) raises ValueError at its next `step()`.
    """

    def __init__(self, optimizer):
        super().__init__(optimizer)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._step_count = 0
        self.step()  # epoch 0

    def step(self):
        """Move to the next epoch and set each group's "lr" to its rate there."""
        self._check_groups()
        self.last_epoch += 1
        self._step_count += 1
        try:
            rates = [float(r) for r in self._rates()]
        except BaseException:
            self.last_epoch -= 1
            self._step_count -= 1
            raise
        for group, r in zip(self.optimizer.param_groups, rates):
            group["lr"] = r
        self._last_lr = rates

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def _rates(self):  # pragma: no cover - abstract
        raise NotImplementedError


class StepLR(LRScheduler):
    """Multiply each rate by gamma every `step_size` epochs: lr_e = lr_0 * gamma^(e // step_size).

    step_size: an int >= 1; gamma: a number >= 0 (default 0.1). ValueError
    naming a bad value. As `torch.optim.lr_scheduler.StepLR`.
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _count("step_size", step_size)
        self.gamma = _check_hyper("gamma", gamma)
        super().__init__(optimizer)

    def _rates(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """Multiply each rate by gamma at each milestone epoch (twice at a milestone given twice).

    milestones: ints >= 1 (any order); gamma: a number >= 0 (default 0.1).
    ValueError naming a bad value. As `torch.optim.lr_scheduler.MultiStepLR`.
    A saved state may have other milestones than this scheduler's.
    """

    _LOOSE = ("milestones",)

    def __init__(self, optimizer, milestones, gamma=0.1):
        try:
            marks = list(milestones)
        except TypeError:
            raise ValueError(f"milestones must be a list of epochs, got {milestones!r}") from None
        self.milestones = dict(Counter(_count(f"milestones[{i}]", m) for i, m in enumerate(marks)))
        self.gamma = _check_hyper("gamma", gamma)
        super().__init__(optimizer)

    def _check_loaded(self, state_dict, prefix):
        saved = state_dict["milestones"]
        if not isinstance(saved, dict) or not all(
            _is_count(m) and m >= 1 and _is_count(c) and c >= 1 for m, c in saved.items()
        ):
            raise ValueError(f"{prefix}'milestones' must map epochs to counts, got {saved!r}")

    def _rates(self):
        times = self.milestones.get(self.last_epoch, 0)
        if not times:
            return self._current()
        return [lr * self.gamma**times for lr in self._current()]


class ExponentialLR(LRScheduler):
    """Multiply each rate by gamma every epoch: lr_e = lr_0 * gamma^e.

    gamma: a number >= 0. ValueError naming a bad value. As
    `torch.optim.lr_scheduler.ExponentialLR`.
    """

    def __init__(self, optimizer, gamma):
        self.gamma = _check_hyper("gamma", gamma)
        super().__init__(optimizer)

    def _rates(self):
        if self.last_epoch == 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (Loshchilov and Hutter, SGDR, without restarts), as PyTorch's.

    lr_e = eta_min + (lr_0 - eta_min) (1 + cos(pi e / T_max)) / 2, computed as
    PyTorch does, recursively from the current rate (so it composes with other
    changes of the rate); past T_max the cosine goes on (the rate rises again).
    T_max: an int >= 1; eta_min: a number >= 0. ValueError naming a bad value.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):  # noqa: N803 - PyTorch's name
        self.T_max = _count("T_max", T_max)
        self.eta_min = _check_hyper("eta_min", eta_min)
        super().__init__(optimizer)

    def _rates(self):
        e, t, low = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return self._current()
        if (e - 1 - t) % (2 * t) == 0:  # leaving the bottom: the recurrence would divide by 0
            return [
                lr + (base - low) * (1 - math.cos(math.pi / t)) / 2
                for lr, base in zip(self._current(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
        return [ratio * (lr - low) + low for lr in self._current()]


class LinearLR(LRScheduler):
    """Scale each rate linearly from start_factor to end_factor over total_iters epochs.

    lr_e = lr_0 * (start + (end - start) * min(e, total_iters) / total_iters),
    computed recursively as PyTorch does. start_factor in (0, 1] (default 1/3),
    end_factor in [0, 1] (default 1), total_iters an int >= 1 (default 5).
    ValueError naming a bad value. As `torch.optim.lr_scheduler.LinearLR`.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        self.start_factor = _check_hyper("start_factor", start_factor, hi=1.0)
        if self.start_factor == 0:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        self.end_factor = _check_hyper("end_factor", end_factor, hi=1.0)
        self.total_iters = _count("total_iters", total_iters)
        super().__init__(optimizer)

    def _rates(self):
        e, start, end = self.last_epoch, self.start_factor, self.end_factor
        if e == 0:
            return [lr * start for lr in self._current()]
        if e > self.total_iters:
            return self._current()
        factor = 1.0 + (end - start) / (self.total_iters * start + (e - 1) * (end - start))
        return [lr * factor for lr in self._current()]


class LambdaLR(LRScheduler):
    """lr_e = lr_0 * lr_lambda(e): a function of the epoch, or one per parameter group.

    lr_lambda: a callable taking the epoch (an int) and returning a factor, or
    a list of one per group (ValueError for another count; TypeError for a
    non-callable). A rate that comes out negative or not finite is refused by
    the optimizer's next step. The functions are not part of `state_dict()`.
    As `torch.optim.lr_scheduler.LambdaLR`.
    """

    def __init__(self, optimizer, lr_lambda):
        _check_optimizer(optimizer)
        n = len(optimizer.param_groups)
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(fns) != n:
            raise ValueError(f"lr_lambda has {len(fns)} functions for {n} param groups")
        for i, fn in enumerate(fns):
            if not callable(fn):
                raise TypeError(f"lr_lambda[{i}] must be callable, got {type(fn).__name__}")
        self.lr_lambdas = fns
        super().__init__(optimizer)

    def _rates(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin, 2018), as `torch.optim.lr_scheduler.OneCycleLR`.

    The rate rises from max_lr / div_factor to max_lr over the first pct_start
    of total_steps, then falls to max_lr / (div_factor * final_div_factor)
    (three_phase: falls back to the start first, then to the minimum), along a
    cosine or a line (anneal_strategy "cos" or "linear"). With cycle_momentum
    the momentum (SGD, RMSprop) or beta1 (Adam, AdamW) moves the opposite way
    between max_momentum and base_momentum. Step it once per batch; stepping
    past total_steps raises ValueError. The rate after the last step (the
    total_steps-th, which no update uses) is the minimum; PyTorch extrapolates
    the last phase there, which for "linear" gives a negative rate (our
    optimizers refuse one). total_steps, or epochs and
    steps_per_epoch: ints >= 1; max_lr, base_momentum, max_momentum: a number or
    one per group. ValueError naming a bad value.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
    ):
        _check_optimizer(optimizer)
        if total_steps is not None:
            self.total_steps = _count("total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = _count("epochs", epochs) * _count("steps_per_epoch", steps_per_epoch)
        else:
            raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")
        pct = _check_hyper("pct_start", pct_start, hi=1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        n = self.total_steps
        three = _flag("three_phase", three_phase)
        ends = [pct * n - 1, 2 * pct * n - 2, n - 1] if three else [pct * n - 1, n - 1]
        keys = (
            [
                ("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                ("max_lr", "initial_lr", "base_momentum", "max_momentum"),
                ("initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
            if three
            else [
                ("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                ("max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        )
        self._schedule_phases = [
            {
                "end_step": float(end),
                "start_lr": a,
                "end_lr": b,
                "start_momentum": c,
                "end_momentum": d,
            }
            for end, (a, b, c, d) in zip(ends, keys)
        ]
        max_lrs = _per_group("max_lr", max_lr, optimizer, _check_hyper)
        div = _check_hyper("div_factor", div_factor)
        final_div = _check_hyper("final_div_factor", final_div_factor)
        if div == 0 or final_div == 0:
            raise ValueError("div_factor and final_div_factor must be > 0")
        self.cycle_momentum = _flag("cycle_momentum", cycle_momentum)
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and not self.use_beta1:
                raise ValueError(
                    f"cycle_momentum needs an optimizer with momentum or betas, "
                    f"not {type(optimizer).__name__} (pass cycle_momentum=False)"
                )
            tops = _per_group("max_momentum", max_momentum, optimizer, _check_hyper)
            bottoms = _per_group("base_momentum", base_momentum, optimizer, _check_hyper)
            if self.use_beta1:
                for i, m in enumerate(tops + bottoms):
                    _check_hyper(f"momentum {i} (beta1)", m, hi=1.0, hi_open=True)
        # every value is checked: now set the groups
        for i, group in enumerate(optimizer.param_groups):
            group["initial_lr"] = max_lrs[i] / div
            group["max_lr"] = max_lrs[i]
            group["min_lr"] = group["initial_lr"] / final_div
            if self.cycle_momentum:
                group["max_momentum"], group["base_momentum"] = tops[i], bottoms[i]
                self._set_momentum(group, tops[i])
        LRScheduler.__init__(self, optimizer)

    def _set_momentum(self, group, m):
        if self.use_beta1:
            group["betas"] = (m, *group["betas"][1:])
        else:
            group["momentum"] = m

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _rates(self):
        e = self.last_epoch
        if e > self.total_steps:
            raise ValueError(
                f"OneCycleLR stepped {e} times, past its total_steps {self.total_steps}"
            )
        rates, momenta = [], []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if e <= end or i == last:
                    # PyTorch extrapolates past the last phase's end at step total_steps (a
                    # rate no update uses, below zero for "linear"); ours stops at min_lr
                    pct = min((e - start) / (end - start), 1.0)
                    rates.append(
                        self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    )
                    momenta.append(
                        self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        if self.cycle_momentum
                        else None
                    )
                    break
                start = end
        if self.cycle_momentum:  # the rates are plain numbers: this cannot fail halfway
            for group, m in zip(self.optimizer.param_groups, momenta):
                self._set_momentum(group, m)
        return rates


class ReduceLROnPlateau(_Schedule):
    """Divide the rates by 1/factor when a metric has stopped improving for `patience` steps.

    `step(metric)` after each evaluation: the metric (a number, or a one-element
    Tensor or Value) improves when it beats the best so far by `threshold`
    (relative: best * (1 -/+ threshold), or absolute, by threshold_mode) in the
    direction of `mode` ("min" or "max"). After more than `patience` steps
    without improvement each rate becomes max(lr * factor, min_lr) (a change
    smaller than eps is skipped), then `cooldown` steps pass before counting
    again. factor in [0, 1); patience, cooldown: ints >= 0; threshold, eps,
    min_lr (a number or one per group): numbers >= 0. ValueError naming a bad
    value. As `torch.optim.lr_scheduler.ReduceLROnPlateau`.
    """

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
    ):
        super().__init__(optimizer)
        self.factor = _check_hyper("factor", factor, hi=1.0, hi_open=True)
        self.min_lrs = _per_group("min_lr", min_lr, optimizer, _check_hyper)
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else self.min_lrs[0]
        self.patience = _count("patience", patience, lo=0)
        self.cooldown = _count("cooldown", cooldown, lo=0)
        self.eps = _check_hyper("eps", eps)
        self.threshold = _check_hyper("threshold", threshold)
        self.mode, self.threshold_mode = mode, threshold_mode
        self._check_modes(mode, threshold_mode, "")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    @staticmethod
    def _check_modes(mode, threshold_mode, prefix):
        if mode not in ("min", "max"):
            raise ValueError(f"{prefix}mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{prefix}threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )

    def _check_loaded(self, state_dict, prefix):
        self._check_modes(state_dict["mode"], state_dict["threshold_mode"], prefix)

    def _is_better(self, a):
        best, th = self.best, self.threshold
        if self.mode == "min":
            return a < (best * (1.0 - th) if self.threshold_mode == "rel" else best - th)
        return a > (best * (th + 1.0) if self.threshold_mode == "rel" else best + th)

    def step(self, metrics):
        """Record one evaluation of the metric; reduce the rates after a plateau.

        metrics: a real number or a one-element Tensor/Value (its value is used).
        TypeError for anything else; nothing changes then.
        """
        value = metrics.data if isinstance(metrics, Node) else metrics
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.size != 1:
            raise TypeError(f"metrics must be a number, got {metrics!r}")
        current = float(arr.reshape(()))
        self._check_groups()
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
