"""Workload 8: `al.compile`, a recorded step replayed, against the same work by hand.

The computations of workloads 1 to 3, written as there, with the parameter update
made by `al.optim.SGD` inside the compiled step (a compiled function replays an
optimizer's `step()`; numpy arithmetic on `.data` is invisible to it). SGD's update
`data + g * -lr` gives bit for bit the `data - lr * g` of the hand-written steps,
so every row computes the same numbers:

- the op chain, 100 x (tanh, multiply) on 4 elements, forward and backward,
  against numpy by hand (`op_overhead._numpy`);
- the Tensor MLP training steps 64-128-10 and 784-256-10, batch 128, against
  numpy by hand (`tensor_mlp._numpy`);
- the scalar MLP 2-16-16-1 step, batch 32, against micrograd (`scalar_mlp`);
- the recording cost: a first call (recording included) against an eager call.
"""

from __future__ import annotations

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl
from . import op_overhead, scalar_mlp, tensor_mlp

WORKLOAD = "10. Compiled"
EAGER = "autograd_lite eager"


# ---- the steps, as the other workloads write them, with an optimizer for the update ----


def _chain_step(steps):
    from autograd_lite import Tensor

    x = Tensor(op_overhead.X0, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(steps):
            y = y.tanh() * op_overhead.SCALE
        y.sum().backward()
        return x.grad

    return run, lambda: x.grad


def _tensor_step(x, labels, layers):
    from autograd_lite import Tensor, optim

    params = [Tensor(a, requires_grad=True) for a in tensor_mlp._flat(layers)]
    w1, b1, w2, b2 = params
    xt = Tensor(x)
    rows = np.arange(len(labels))
    sgd = optim.SGD(params, lr=tensor_mlp.LR)

    def step():
        h = (xt @ w1 + b1).relu()
        logits = h @ w2 + b2
        loss = -logits.log_softmax(axis=1)[rows, labels].mean()
        loss.backward()
        sgd.step()
        sgd.zero_grad()
        return loss

    return step, lambda: [p.data for p in params]


def _scalar_step(x, y, layers):
    from autograd_lite import nn, optim

    sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, b in layers]
    model = nn.MLP(sizes[0], sizes[1:])
    neurons = [n for layer in model.layers for n in layer.neurons]
    rows = [(row, b) for w_mat, bias in layers for row, b in zip(w_mat, bias)]
    for n, (row, b) in zip(neurons, rows):  # the initial weights of scalar_mlp
        for w, v in zip(n.w, row):
            w.data = float(v)
        n.b.data = float(b)
    sgd = optim.SGD(model.parameters(), lr=scalar_mlp.LR)
    xs, ys = x.tolist(), y.tolist()

    def step():
        model.zero_grad()
        loss = sum((model(xi)[0] - yi) ** 2 for xi, yi in zip(xs, ys)) / len(xs)
        loss.backward()
        sgd.step()
        return loss

    return step, lambda: [[*(w.data for w in n.w), n.b.data] for n in neurons]


# ---- implementations --------------------------------------------------------------------


def _compiled(make):
    """A step made by `make`, compiled; the first (recording) call happens in the check."""

    def build():
        import autograd_lite as al

        step, state = make()
        return al.compile(step), state

    return build


def _recording(make):
    """Each call records `make`'s step again (a fresh compiled function): the first-call cost."""

    def build():
        import autograd_lite as al

        step, state = make()
        return (lambda: al.compile(step)()), state

    return build


def cases(smoke=False):
    steps = 3 if smoke else 100
    repeats = 3 if smoke else 15
    min_round = 0.0 if smoke else 0.1
    out = [
        Case(
            WORKLOAD,
            f"{steps} x (tanh, multiply), 4 elements: forward + backward",
            [
                Impl(OURS, _compiled(lambda: _chain_step(steps))),
                Impl(EAGER, lambda: _chain_step(steps)),
                Impl(NUMPY, lambda: op_overhead._numpy(steps)),
            ],
            repeats=repeats,
            min_round=min_round,
        )
    ]
    shapes = [(20, 8, 3)] if smoke else [(784, 256, 10), (64, 128, 10)]
    batch = 4 if smoke else 128
    for sizes in shapes:
        problem = tensor_mlp.make_problem(sizes, batch)
        make = lambda problem=problem: _tensor_step(*problem)
        out.append(
            Case(
                WORKLOAD,
                f"Tensor MLP {'-'.join(map(str, sizes))}, batch {batch}: training step",
                [
                    Impl(OURS, _compiled(make)),
                    Impl(EAGER, make),
                    Impl(NUMPY, lambda problem=problem: tensor_mlp._numpy(*problem)),
                ],
                repeats=repeats,
                min_round=min_round,
            )
        )
    sizes, batch = ((2, 3, 3, 1), 4) if smoke else ((2, 16, 16, 1), 32)
    x, y, layers = scalar_mlp._problem(sizes, batch)
    make = lambda: _scalar_step(x, y, layers)
    shape = "-".join(map(str, sizes))
    out.append(
        Case(
            WORKLOAD,
            f"scalar MLP {shape}, batch {batch}: forward + backward + SGD",
            [
                Impl(OURS, _compiled(make)),
                Impl(EAGER, make),
                Impl(
                    "micrograd 0.1.0",
                    lambda: scalar_mlp._micrograd(x, y, layers),
                    ("micrograd",),
                ),
                Impl(NUMPY, lambda: scalar_mlp._numpy(x, y, layers)),
            ],
            repeats=5 if smoke else 7,
            min_round=0.0 if smoke else 1.0,
            rtol=1e-9,
        )
    )
    for name, make_step, by_hand in [
        (f"recording: scalar MLP {shape} step", make, lambda: scalar_mlp._numpy(x, y, layers)),
        (
            f"recording: {steps} x (tanh, multiply)",
            lambda: _chain_step(steps),
            lambda: op_overhead._numpy(steps),
        ),
    ]:
        out.append(
            Case(
                WORKLOAD,
                name,
                [
                    Impl(OURS, _recording(make_step)),
                    Impl(EAGER, make_step),
                    Impl(NUMPY, by_hand),
                ],
                repeats=5 if smoke else 7,
                min_round=min_round,
                rtol=1e-9,
            )
        )
    return out
