"""Optimizers: `SGD`, `Adam`, `AdamW` and `RMSprop`, with PyTorch's update formulas.

An optimizer holds parameters (leaf `Tensor`s or `Value`s; a frozen one, with
`requires_grad=False`, gets no gradient and so is skipped, as in PyTorch)
in parameter groups, each a dict with its own options, as `torch.optim`:
`SGD(model.parameters(), lr=0.1)` makes one group; `SGD([{"params": a},
{"params": b, "lr": 0.01}], lr=0.1)` two, the second with its own learning rate
(options a group leaves out come from the constructor's arguments). A
scheduler or the user may change `group["lr"]` and the other options between
steps; `step()` checks them again when they changed.

`step()` reads each parameter's `.grad` and writes new `.data`; `zero_grad()`
resets the gradients. Updates work on raw numpy arrays and floats, so nothing
is recorded on the graph, and they are out of place: a `.grad` array (which may
be shared between nodes) is never modified, and a parameter's `.data` is
replaced by a new array rather than written into.

A step is all or nothing: every option and gradient is checked first, every
new value is computed next, and only then are parameters and optimizer state
replaced. A parameter that no backward pass reached since its gradient was
reset is skipped, as PyTorch skips a parameter whose `.grad` is None: no weight
decay, no momentum, no step count for it. For a Tensor that is `.grad is None`;
for a Value, whose reset gradient reads 0.0, it is the reset marker itself (a
backward pass that reaches the Value, even with a zero gradient, replaces it).

`state_dict()` / `load_state_dict()` have PyTorch's structure, plus the
optimizer's class name: `{"type": "Adam", "state": {index: {...}},
"param_groups": [{options..., "params": [indices]}]}`, parameters numbered in
group order from 0. Unlike `torch.optim`, `state` is a list indexed that way
(None for a parameter without state yet), not a dict keyed by parameter.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..core.graph import Node
from ..core.value import Value

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop"]


# ---- checking options ----------------------------------------------------------------------------


def _check_hyper(name, value, lo=0.0, hi=math.inf, hi_open=False):
    """A float in [lo, hi] (or [lo, hi) if hi_open); ValueError naming the value otherwise."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = lo <= value and (value < hi if hi_open else value <= hi)
    if not ok:
        right = ")" if hi_open else "]"
        raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}{right}, got {value!r}")
    return float(value)


def _non_negative(name, value):
    return _check_hyper(name, value)


def _fraction(name, value):
    return _check_hyper(name, value, hi=1.0)


def _flag(name, value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")


def _betas(name, value):
    try:
        b1, b2 = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers, got {value!r}") from None
    return (
        _check_hyper(f"{name}[0]", b1, hi=1.0, hi_open=True),
        _check_hyper(f"{name}[1]", b2, hi=1.0, hi_open=True),
    )


def _step_count(name, value):
    """A step count from a saved state: a non-negative integer (an integral float or 0-d array
    is accepted, as PyTorch saves a tensor)."""
    try:
        number = np.asarray(value).item()
    except (TypeError, ValueError):
        number = None
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        if math.isfinite(number) and number >= 0 and number == int(number):
            return int(number)
    raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


# ---- arithmetic shared by the updates -----------------------------------------------------------


def _descend(data, lr, direction):
    """data - lr * direction, as a new array made with a single allocation.

    One result updated in place, rather than the two temporaries of
    `data - lr * direction`, is much faster for large weights (allocating
    megabyte arrays is what costs). Neither input is modified.
    """
    new = direction * -lr
    new += data
    return new


def _lerp(start, end, weight):
    """start + weight * (end - start), a new array, rounded as PyTorch's `lerp` (which uses
    `end - (end - start) * (1 - weight)` for weights of 0.5 and more)."""
    diff = end - start
    if weight < 0.5:
        diff *= weight
        diff += start
        return diff
    diff *= 1.0 - weight
    return end - diff


def _square_average(avg, g, decay):
    """decay * avg + (1 - decay) * g * g, a new array (PyTorch's `mul_(decay).addcmul_`)."""
    sq = g * (1.0 - decay)
    sq *= g
    new = avg * decay
    new += sq
    return new


def _is_index(key):
    return isinstance(key, numbers.Integral) and not isinstance(key, bool)


def _index_order(key):
    """Sort key: indices in numeric order, anything else after them."""
    return (0, int(key), "") if _is_index(key) else (1, 0, repr(key))


# ---- the base class --------------------------------------------------------------------------


class Optimizer:
    """Base class: parameter groups, the checked all-or-nothing step, and saved state.

    Subclasses declare `_OPTIONS` ({option name: checker(name, value) -> value}),
    `_STATE` ({state entry: "step" or "array"}) and implement
    `_update(data, grad, state, group)` on arrays, returning the new data and the
    parameter's new state dict (or None) without changing any input;
    `_required_state(group)` names the entries a saved state must have.
    """

    _OPTIONS: dict = {}
    _STATE: dict = {}

    def __init__(self, params, defaults):
        if isinstance(params, Node):
            raise TypeError("params must be an iterable of parameters, e.g. model.parameters()")
        self.defaults = dict(defaults)
        self._check_options(self.defaults, "")
        self.param_groups = []
        self.params = []  # every parameter, in group order: the indices of state_dict
        self.state = []  # per parameter: None, or the dict of its state
        self._group_of = []  # per parameter: the index of its group
        self._checked = []  # per group: its options as last checked
        params = list(params)
        if not params:
            raise ValueError("the optimizer got an empty list of parameters")
        if all(isinstance(g, dict) for g in params):
            for group in params:
                self.add_param_group(group)
        else:
            self._add_group({"params": params}, "")

    def add_param_group(self, param_group):
        """Add a group: a dict with "params" (an iterable of parameters, or one) and options.

        Options the dict leaves out take the constructor's values (`defaults`).
        Raises TypeError for a non-dict or a non-parameter, ValueError for a bad
        option, an empty group, or a parameter already in another group; on an
        error nothing is added.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        self._add_group(param_group, f"param group {len(self.param_groups)}: ")

    def _add_group(self, param_group, where):
        if "params" not in param_group:
            raise ValueError(f"{where}a parameter group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Node):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{where}params must be an ordered iterable (a set has no order)")
        unique, seen = [], set()
        for i, p in enumerate(params):
            if not isinstance(p, Node):
                raise TypeError(
                    f"{where}parameter {i} is a {type(p).__name__}, not a Tensor or Value"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{where}parameter {i} ({p.label or type(p).__name__}) must be a leaf, "
                    "not the result of an op"
                )
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError(f"{where}the optimizer got an empty list of parameters")
        for j, q in enumerate(self.params):
            if id(q) in seen:
                raise ValueError(
                    f"{where}parameter {q.label or j} is already in param group {self._group_of[j]}"
                )
        options = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        options.update(self._check_options(options, where))
        options["params"] = unique
        k = len(self.param_groups)
        self.param_groups.append(options)
        self._checked.append(self._options_of(options))
        self.params.extend(unique)
        self.state.extend([None] * len(unique))
        self._group_of.extend([k] * len(unique))

    def _check_options(self, options, where):
        """The checked (converted) values of the declared options; ValueError naming a bad one."""
        checked = {}
        for name, check in self._OPTIONS.items():
            if name not in options:
                raise ValueError(f"{where}option {name!r} is missing")
            try:
                checked[name] = check(name, options[name])
            except ValueError as e:
                raise ValueError(f"{where}{e}") from None
        return checked

    def _options_of(self, group):
        return tuple(map(group.get, self._OPTIONS))

    def zero_grad(self):
        """Reset every parameter's gradient (None for a Tensor, 0.0 for a Value)."""
        for p in self.params:
            p.zero_grad()

    def step(self):
        """Apply one update to every parameter reached by a backward pass; all or nothing.

        Checks the options of groups that changed since the last step and every
        gradient's shape first (ValueError naming the group or parameter), then
        computes every update, then commits. Works on raw arrays (a Value's
        float becomes a 0-d array), so nothing is recorded on the graph; `.data`
        is replaced, `.grad` is only read.
        """
        groups = self.param_groups
        for k, group in enumerate(groups):
            if self._options_of(group) != self._checked[k]:
                group.update(self._check_options(group, f"param group {k}: "))
                self._checked[k] = self._options_of(group)
        todo = []
        for i, p in enumerate(self.params):
            g = p._grad
            if g is None or g is p._ZERO_GRAD:  # reset, and no backward pass reached p since
                continue
            if g.__class__ is not np.ndarray:  # a Value's float, or a node (create_graph=True)
                g = np.asarray(g._data if isinstance(g, Node) else g)
            data = p._data
            if data.__class__ is not np.ndarray:
                data = np.asarray(data)  # a Value's float: a 0-d array
            if g.shape != data.shape:
                raise ValueError(
                    f"{p.label or f'parameter {i}'}: gradient of shape {g.shape} "
                    f"for data of shape {data.shape}"
                )
            todo.append((i, p, data, g))
        group_of, state, update = self._group_of, self.state, self._update
        updates = [update(data, g, state[i], groups[group_of[i]]) for i, _, data, g in todo]
        # Commit every parameter and its state, or none: an exception midway (a
        # KeyboardInterrupt) puts back what was already assigned before it propagates.
        done = []
        try:
            for (i, p, _, _), (data, new_state) in zip(todo, updates):
                done.append((i, p._data, state[i]))
                state[i] = new_state
                p.data = float(data) if isinstance(p, Value) else data
        except BaseException:
            for i, old_data, old_state in done:
                self.params[i].data, state[i] = old_data, old_state
                self.params[i]._saved = True  # the old array may be held by a graph
            raise

    def _update(self, data, grad, state, group):  # pragma: no cover - abstract
        raise NotImplementedError

    def _required_state(self, group):  # pragma: no cover - abstract
        raise NotImplementedError

    # ---- saving and loading ----------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as PyTorch lays it out, with copies of every array.

        `{"type": class name, "state": {index: {entry: array or step count}},
        "param_groups": [{option: value, ..., "params": [indices]}]}`: parameters
        are numbered in group order from 0; only parameters with state appear
        in "state". Arrays have the parameter's shape (0-d for a Value).
        """
        groups, start = [], 0
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(saved)
        state = {
            i: {k: v if self._STATE[k] == "step" else np.array(v, copy=True) for k, v in s.items()}
            for i, s in enumerate(self.state)
            if s is not None
        }
        return {"type": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Replace options and state by those of `state_dict` (from `state_dict()`).

        The state must come from the same optimizer class over parameters of
        the same count and shapes, group by group. Everything is checked before
        anything changes: a mismatch raises ValueError naming the first one (the
        type, the number of groups or of parameters in a group, an option, a
        state entry or its shape), and leaves the optimizer as it was. Arrays are
        copied, in each parameter's dtype.
        """
        name = type(self).__name__
        prefix = f"cannot load this state into {name}: "
        if not (isinstance(state_dict, dict) and {"state", "param_groups"} <= state_dict.keys()):
            raise ValueError(f"{prefix}expected a dict with 'state' and 'param_groups'")
        if state_dict.get("type") != name:
            raise ValueError(f"{prefix}it is the state of {state_dict.get('type')!r}")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(
            self.param_groups
        ):
            count = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else "no"
            raise ValueError(
                f"{prefix}it has {count} param groups, the optimizer {len(self.param_groups)}"
            )
        new_groups, start = [], 0
        for k, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            n = len(group["params"])
            ids = saved.get("params") if isinstance(saved, dict) else None
            expected = list(range(start, start + n))
            if ids is None or list(ids) != expected:
                raise ValueError(
                    f"{prefix}param group {k} holds parameters {expected} here, but "
                    f"{ids!r} in the state"
                )
            options = {key: value for key, value in saved.items() if key != "params"}
            options.update(self._check_options(options, f"{prefix}param group {k}: "))
            options["params"] = group["params"]
            new_groups.append(options)
            start += n
        entries = state_dict["state"]
        if not isinstance(entries, dict):
            raise ValueError(f"{prefix}'state' must be a dict of parameter index to its state")
        new_state = [None] * len(self.params)
        for i in sorted(entries, key=_index_order):
            if not (_is_index(i) and 0 <= i < len(self.params)):
                raise ValueError(
                    f"{prefix}state entry {i!r} is not a parameter index 0..{len(self.params) - 1}"
                )
            group = new_groups[self._group_of[i]]
            new_state[i] = self._checked_state(
                entries[i], self.params[i], group, f"{prefix}state[{i}]"
            )
        # commit: the group dicts stay the same objects (a scheduler may hold them)
        for group, new in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new)
        self._checked = [self._options_of(g) for g in self.param_groups]
        self.state = new_state

    def _checked_state(self, entry, p, group, where):
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be a dict, got {type(entry).__name__}")
        for key in entry:
            if key not in self._STATE:
                raise ValueError(
                    f"{where} has an entry {key!r}; a {type(self).__name__} state has "
                    f"{sorted(self._STATE)}"
                )
        for key in self._required_state(group):
            if key not in entry:
                raise ValueError(f"{where} has no {key!r}")
        shape = np.shape(p._data)
        dtype = np.float64 if isinstance(p, Value) else p._data.dtype
        checked = {}
        for key, value in entry.items():
            if self._STATE[key] == "step":
                checked[key] = _step_count(f"{where}[{key!r}]", value)
                continue
            arr = np.asarray(value.data if isinstance(value, Node) else value)
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"{where}[{key!r}] must be numbers, got dtype {arr.dtype}")
            if arr.shape != shape:
                raise ValueError(
                    f"{where}[{key!r}] has shape {arr.shape}, the parameter {p.label or ''}"
                    f"{' ' if p.label else ''}shape {shape}"
                )
            checked[key] = arr.astype(dtype, copy=True)
        return checked


# ---- the optimizers ------------------------------------------------------------------------------


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay.

    PyTorch's `torch.optim.SGD` algorithm (its documentation states it), with
    gradient g, weight decay lambda, momentum mu, dampening tau:
        g <- -g                                  (if maximize)
        g <- g + lambda * theta                  (if weight_decay != 0)
        b <- g on the first step, else mu * b + (1 - tau) * g   (if momentum != 0)
        g <- g + mu * b if nesterov else b
        theta <- theta - lr * g
    lr, momentum, dampening, weight_decay: non-negative floats; nesterov needs
    momentum > 0 and dampening 0; maximize, nesterov: bools. Raises ValueError
    naming a bad value. State per parameter: "momentum_buffer" (with momentum).
    """

    _OPTIONS = {
        "lr": _non_negative,
        "momentum": _non_negative,
        "dampening": _non_negative,
        "weight_decay": _non_negative,
        "nesterov": _flag,
        "maximize": _flag,
    }
    _STATE = {"momentum_buffer": "array"}

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0.0,
        weight_decay=0.0,
        dampening=0.0,
        nesterov=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_options(self, options, where):
        checked = super()._check_options(options, where)
        if checked["nesterov"] and (checked["momentum"] == 0 or checked["dampening"] != 0):
            raise ValueError(
                f"{where}nesterov needs momentum > 0 and dampening 0, got "
                f"momentum={options['momentum']!r}, dampening={options['dampening']!r}"
            )
        return checked

    def _required_state(self, group):
        return ("momentum_buffer",)

    def step(self):
        """As `Optimizer.step`, with the same floats. Plain SGD on Tensors (no momentum,
        weight decay or maximize, options as last checked), the common training step, takes
        a short path: theta <- theta - lr * g for every parameter a backward pass reached,
        all or nothing. Anything else (a Value, a gradient with a graph, a shape mismatch to
        report) takes the general one."""
        groups, checked, lrs = self.param_groups, self._checked, []
        for k, group in enumerate(groups):
            if (
                group["momentum"]
                or group["weight_decay"]
                or group["maximize"]
                or self._options_of(group) != checked[k]
            ):
                return super().step()
            lrs.append(group["lr"])
        todo = []
        for p, k in zip(self.params, self._group_of):
            g, data = p._grad, p._data
            if g is None:
                continue
            if (
                g.__class__ is not np.ndarray
                or data.__class__ is not np.ndarray
                or g.shape != data.shape
            ):
                return super().step()
            todo.append((p, data, g, lrs[k]))
        news = [_descend(data, lr, g) for _, data, g, lr in todo]
        try:
            for (p, _, _, _), new in zip(todo, news):
                p._data, p._saved = new, False  # `p.data = new`: a float array, kept
        except BaseException:  # an interrupt midway: every parameter as it was
            for p, data, _, _ in todo:
                p._data, p._saved = data, True
            raise

    def _update(self, data, g, state, group):
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * data
        mu = group["momentum"]
        if not mu:
            return _descend(data, group["lr"], g), state
        buf = None if state is None else state.get("momentum_buffer")
        if buf is None:
            buf = np.array(g, copy=True)  # not the .grad array itself, which its owner may edit
        else:
            buf = buf * mu
            buf += (1.0 - group["dampening"]) * g
        if group["nesterov"]:
            g = g + mu * buf
        else:
            g = buf
        return _descend(data, group["lr"], g), {"momentum_buffer": buf}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with PyTorch's `torch.optim.Adam` formulas and defaults.

    At step t of a parameter, with gradient g, betas (b1, b2), weight decay
    lambda (L2, added to the gradient as in PyTorch's Adam; `AdamW` decouples it):
        g <- -g                                                 (if maximize)
        g <- g + lambda * theta
        m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2      (m, v start at 0)
        v_max <- max(v_max, v), used instead of v below         (if amsgrad)
        theta <- theta - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    lr, eps, weight_decay: non-negative floats; betas in [0, 1); amsgrad,
    maximize: bools. Raises ValueError naming a bad value. A parameter's step
    count t advances only on steps that reach it. State per parameter: "step",
    "exp_avg" (m), "exp_avg_sq" (v), "max_exp_avg_sq" (with amsgrad).
    """

    _OPTIONS = {
        "lr": _non_negative,
        "betas": _betas,
        "eps": _non_negative,
        "weight_decay": _non_negative,
        "amsgrad": _flag,
        "maximize": _flag,
    }
    _STATE = {"step": "step", "exp_avg": "array", "exp_avg_sq": "array", "max_exp_avg_sq": "array"}
    _DECOUPLED = False

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _required_state(self, group):
        keys = ("step", "exp_avg", "exp_avg_sq")
        return (*keys, "max_exp_avg_sq") if group["amsgrad"] else keys

    def _update(self, data, g, state, group):
        b1, b2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd:
            if self._DECOUPLED:
                data = data * (1.0 - lr * wd)
            else:
                g = g + wd * data
        if state is None:
            zeros = np.zeros_like(data)
            state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros}
        t = state["step"] + 1
        new = {
            "step": t,
            "exp_avg": _lerp(state["exp_avg"], g, 1.0 - b1),
            "exp_avg_sq": _square_average(state["exp_avg_sq"], g, b2),
        }
        v = new["exp_avg_sq"]
        if group["amsgrad"]:
            v_max = state.get("max_exp_avg_sq")
            v = new["max_exp_avg_sq"] = v if v_max is None else np.maximum(v_max, v)
        denom = np.sqrt(v)
        denom /= (1.0 - b2**t) ** 0.5
        denom += group["eps"]
        # theta - lr / (1 - b1^t) * m / denom, rounded as PyTorch's addcdiv (scale, then divide)
        out = new["exp_avg"] * (-lr / (1.0 - b1**t))
        out /= denom
        out += data
        return out, new


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay (`torch.optim.AdamW`).

    The same as `Adam`, except that weight decay shrinks the parameter itself
    before the update instead of adding lambda * theta to the gradient:
        theta <- theta * (1 - lr * lambda),  then Adam's step with g unchanged.
    Default weight_decay 1e-2 (PyTorch's). Options, errors and state as `Adam`.
    """

    _DECOUPLED = True

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e) with PyTorch's `torch.optim.RMSprop` formulas and defaults.

    With gradient g, smoothing alpha, weight decay lambda, momentum mu:
        g <- -g                                        (if maximize)
        g <- g + lambda * theta
        v <- alpha v + (1 - alpha) g^2                 (v starts at 0)
        a <- alpha a + (1 - alpha) g;  v~ = v - a^2    (if centered; else v~ = v)
        d <- sqrt(v~) + eps
        b <- mu b + g / d;  theta <- theta - lr b      (if momentum > 0; b starts at 0)
        theta <- theta - lr g / d                      (otherwise)
    lr, eps, weight_decay, momentum: non-negative floats; alpha in [0, 1];
    centered, maximize: bools. Raises ValueError naming a bad value. State per
    parameter: "step", "square_avg" (v), "momentum_buffer" (b, with momentum),
    "grad_avg" (a, if centered).
    """

    _OPTIONS = {
        "lr": _non_negative,
        "alpha": _fraction,
        "eps": _non_negative,
        "weight_decay": _non_negative,
        "momentum": _non_negative,
        "centered": _flag,
        "maximize": _flag,
    }
    _STATE = {
        "step": "step",
        "square_avg": "array",
        "momentum_buffer": "array",
        "grad_avg": "array",
    }

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _required_state(self, group):
        keys = ["step", "square_avg"]
        if group["momentum"] > 0:
            keys.append("momentum_buffer")
        if group["centered"]:
            keys.append("grad_avg")
        return keys

    def _update(self, data, g, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * data
        if state is None:
            state = {"step": 0, "square_avg": np.zeros_like(data)}
        new = {"step": state["step"] + 1}
        v = new["square_avg"] = _square_average(state["square_avg"], g, alpha)
        if group["centered"]:
            a = state.get("grad_avg")
            a = new["grad_avg"] = _lerp(np.zeros_like(data) if a is None else a, g, 1.0 - alpha)
            v = v - a * a
        d = np.sqrt(v)
        d += group["eps"]
        if mu > 0:
            b = state.get("momentum_buffer")
            b = np.zeros_like(data) if b is None else b * mu
            b += g / d
            new["momentum_buffer"] = b
            return _descend(data, group["lr"], b), new
        out = g * -group["lr"]  # rounded as PyTorch's addcdiv: scale, then divide
        out /= d
        out += data
        return out, new
