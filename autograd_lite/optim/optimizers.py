"""Optimizers: `SGD` and `Adam`, with PyTorch's update formulas.

An optimizer holds a list of parameters (leaf `Tensor`s or `Value`s that
require grad). `step()` reads each parameter's `.grad` and writes new
`.data`; `zero_grad()` clears the gradients. Updates work on raw numpy arrays
and floats, so nothing is recorded on the graph, and they are out of place:
a `.grad` array (which may be shared between nodes) is never modified, and a
parameter's `.data` is replaced by a new array rather than written into.

A step is all or nothing: every gradient is checked first, every new value is
computed next, and only then are parameters and optimizer state replaced. A
parameter whose gradient is None (a Tensor that no backward pass reached) is
skipped, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..core.graph import Node
from ..core.value import Value

__all__ = ["SGD", "Adam", "Optimizer"]


def _check_hyper(name, value, lo=0.0, hi=math.inf, hi_open=False):
    """A float in [lo, hi] (or [lo, hi) if hi_open); ValueError naming the value otherwise."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = lo <= value and (value < hi if hi_open else value <= hi)
    if not ok:
        right = ")" if hi_open else "]"
        raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}{right}, got {value!r}")
    return float(value)


def _descend(data, lr, direction):
    """data - lr * direction, as a new array made with a single allocation.

    One result updated in place, rather than the two temporaries of
    `data - lr * direction`, is much faster for large weights (allocating
    megabyte arrays is what costs). Neither input is modified.
    """
    new = direction * -lr
    new += data
    return new


class Optimizer:
    """Base class: keeps the parameter list and does the checked, all-or-nothing step.

    Subclasses implement `_update(i, data, grad)` on arrays, returning the new
    data and the new state of parameter i without changing either input.
    """

    def __init__(self, params):
        if isinstance(params, Node):
            raise TypeError("params must be an iterable of parameters, e.g. model.parameters()")
        unique, seen = [], set()
        for i, p in enumerate(params):
            if not isinstance(p, Node):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Tensor or Value")
            if not (p.requires_grad and p.is_leaf):
                raise ValueError(
                    f"parameter {i} ({p.label or type(p).__name__}) must be a leaf "
                    "with requires_grad=True"
                )
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError("the optimizer got an empty list of parameters")
        self.params = unique
        self.state = [None] * len(unique)  # per parameter, as the subclass keeps it
        self.steps = 0

    def zero_grad(self):
        """Clear every parameter's gradient (None for a Tensor, 0.0 for a Value)."""
        for p in self.params:
            p.zero_grad()

    def _grads(self):
        """Each parameter's gradient as an array (None if it has none), checked before updating."""
        grads = []
        for i, p in enumerate(self.params):
            g = p.grad
            if isinstance(g, Node):  # made with create_graph=True: use its value
                g = g.data
            if g is not None:
                g = np.asarray(g)
                if g.shape != np.shape(p._data):
                    raise ValueError(
                        f"{p.label or f'parameter {i}'}: gradient of shape {g.shape} "
                        f"for data of shape {np.shape(p._data)}"
                    )
            grads.append(g)
        return grads

    def step(self):
        """Apply one update to every parameter that has a gradient; all or nothing.

        Works on raw arrays (a Value's float becomes a 0-d array), so nothing is
        recorded on the graph; `.data` is replaced, `.grad` is only read.
        """
        grads = self._grads()
        updates = [
            None if g is None else self._update(i, np.asarray(p._data), g)
            for i, (p, g) in enumerate(zip(self.params, grads))
        ]
        # Commit every parameter and its state, or none: an exception midway (a
        # KeyboardInterrupt) puts back what was already assigned before it propagates.
        done = []
        try:
            for i, (p, upd) in enumerate(zip(self.params, updates)):
                if upd is None:
                    continue
                done.append((i, p._data, self.state[i]))
                data, self.state[i] = upd
                p.data = float(data) if isinstance(p, Value) else data
        except BaseException:
            for i, old_data, old_state in done:
                self.params[i].data, self.state[i] = old_data, old_state
                self.params[i]._saved = True  # the old array may be held by a graph
            raise
        self.steps += 1

    def _update(self, i, data, grad):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    PyTorch's `torch.optim.SGD` algorithm (its documentation states it), with
    gradient g, weight decay lambda, momentum mu, dampening tau:
        g <- g + lambda * theta                  (if weight_decay != 0)
        b <- g on the first step, else mu * b + (1 - tau) * g   (if momentum != 0)
        g <- g + mu * b if nesterov else b
        theta <- theta - lr * g
    lr, momentum, dampening, weight_decay: non-negative floats; nesterov
    needs momentum > 0 and dampening 0. Raises ValueError naming a bad value.
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False):
        self.lr = _check_hyper("lr", lr)
        self.momentum = _check_hyper("momentum", momentum)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        self.dampening = _check_hyper("dampening", dampening)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"nesterov needs momentum > 0 and dampening 0, got momentum={momentum!r}, "
                f"dampening={dampening!r}"
            )
        self.nesterov = bool(nesterov)
        super().__init__(params)

    def _update(self, i, data, g):
        if self.weight_decay:
            g = g + self.weight_decay * data
        buf = None
        if self.momentum:
            prev = self.state[i]
            buf = g if prev is None else self.momentum * prev + (1.0 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
        return _descend(data, self.lr, g), buf


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with PyTorch's `torch.optim.Adam` formulas and defaults.

    At step t, with gradient g, betas (b1, b2), weight decay lambda (L2, added
    to the gradient as in PyTorch's Adam, not decoupled as in AdamW):
        g <- g + lambda * theta
        m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2      (m, v start at 0)
        m_hat = m / (1 - b1^t);   v_hat = v / (1 - b2^t)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)
    lr, eps, weight_decay: non-negative floats; betas in [0, 1). Raises
    ValueError naming a bad value. A parameter's step count t advances only
    on steps where it has a gradient.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr = _check_hyper("lr", lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair of numbers, got {betas!r}") from None
        self.betas = (
            _check_hyper("betas[0]", b1, hi=1.0, hi_open=True),
            _check_hyper("betas[1]", b2, hi=1.0, hi_open=True),
        )
        self.eps = _check_hyper("eps", eps)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        super().__init__(params)

    def _update(self, i, data, g):
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * data
        t, m, v = self.state[i] or (0, np.zeros_like(data), np.zeros_like(data))
        t += 1
        m = m * b1  # new arrays: the old moments stay intact until the step commits
        m += (1.0 - b1) * g
        v = v * b2
        v += (1.0 - b2) * np.square(g)
        # lr * m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
        denom = np.sqrt(v)
        denom /= math.sqrt(1.0 - b2**t)
        denom += self.eps
        return _descend(data, self.lr / (1.0 - b1**t), m / denom), (t, m, v)
