"""Workload 1: a scalar MLP 2-16-16-1 on `Value`s against micrograd 0.1.0, and memory per node.

Training step: forward of a batch of 32 points one by one (micrograd's way),
mean squared error, backward, and the update `p.data -= lr * p.grad` of every
parameter. The models are each library's own scalar MLP (`micrograd.nn.MLP`,
`autograd_lite.nn.MLP`), both made of neurons b + w_1 x_1 + ... with ReLU on
hidden layers and a linear output; given the same weights they compute
bit-for-bit the same numbers. numpy by hand (the whole batch as matrices) is
the floor. Memory: bytes that a 100,000-node chain `y = y * x` keeps alive,
per node, measured with tracemalloc.
"""

from __future__ import annotations

import gc
import itertools
import tracemalloc

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl

WORKLOAD = "1. Scalar MLP"
LR = 0.05


def _problem(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (batch, sizes[0]))
    y = np.sign(x[:, 0] * x[:, -1])  # the XOR-like quadrant sign: +1 or -1
    layers = [
        (rng.uniform(-1.0, 1.0, (n_out, n_in)), rng.uniform(-0.1, 0.1, n_out))
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    return x, y, layers


def _scalar_step(model, x, y, layers):
    """A training step of a micrograd-style `model` (layers of neurons with .w and .b)."""
    neurons = [n for layer in model.layers for n in layer.neurons]
    rows = [(row, b) for w_mat, bias in layers for row, b in zip(w_mat, bias)]
    for n, (row, b) in zip(neurons, rows):  # the same initial weights for every library
        for w, v in zip(n.w, row):
            w.data = float(v)
        n.b.data = float(b)
    params = model.parameters()
    xs, ys = x.tolist(), y.tolist()

    def output(xi):
        out = model(xi)
        return out[0] if isinstance(out, list) else out  # micrograd unwraps a single output

    def step():
        model.zero_grad()
        loss = sum((output(xi) - yi) ** 2 for xi, yi in zip(xs, ys)) / len(xs)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss

    return step, lambda: [[*(w.data for w in n.w), n.b.data] for n in neurons]


def _ours(x, y, layers):
    from autograd_lite import nn

    sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, b in layers]
    return _scalar_step(nn.MLP(sizes[0], sizes[1:]), x, y, layers)


def _micrograd(x, y, layers):
    from micrograd import nn

    sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, b in layers]
    return _scalar_step(nn.MLP(sizes[0], sizes[1:]), x, y, layers)


def _numpy(x, y, layers):
    """The same step on the whole batch at once, gradients written out by hand."""
    params = [a.copy() for w, b in layers for a in (w, b)]
    n_layers = len(layers)

    def step():
        acts, pre = [x], []
        h = x
        for i in range(n_layers):
            w, b = params[2 * i], params[2 * i + 1]
            z = h @ w.T + b
            pre.append(z)
            h = z if i == n_layers - 1 else np.maximum(z, 0.0)
            acts.append(h)
        err = h[:, 0] - y
        loss = np.mean(err**2)
        g = (2.0 / len(y)) * err[:, None]
        for i in reversed(range(n_layers)):
            if i != n_layers - 1:
                g = g * (pre[i] > 0)
            w = params[2 * i]
            gw, gb = g.T @ acts[i], g.sum(axis=0)
            g = g @ w
            params[2 * i] -= LR * gw
            params[2 * i + 1] -= LR * gb
        return loss

    # micrograd's order of parameters: per neuron, its weights then its bias.
    def state():
        out = []
        for i in range(n_layers):
            w, b = params[2 * i], params[2 * i + 1]
            out.append(np.concatenate([w, b[:, None]], axis=1).ravel())
        return out

    return step, state


def chain_bytes_per_node(value_cls, n):
    """Bytes kept alive per node by a chain y = y * x of `n` multiplications (tracemalloc)."""
    x = value_cls(1.0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = x
        for _ in range(n):
            y = y * x
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del y
    return (after - before) / n


def cases(smoke=False):
    sizes, batch, chain = ((2, 3, 3, 1), 4, 1000) if smoke else ((2, 16, 16, 1), 32, 100_000)
    x, y, layers = _problem(sizes, batch)
    shape = "-".join(map(str, sizes))

    def impl(name, fn, requires=()):
        return Impl(name, lambda: fn(x, y, layers), requires)

    def memory(name, module):
        def build():
            value_cls = __import__(module, fromlist=["Value"]).Value
            return (lambda: chain_bytes_per_node(value_cls, chain)), None

        return Impl(name, build, (module.split(".")[0],))

    return [
        Case(
            WORKLOAD,
            f"{shape}, batch {batch}: forward + backward + SGD",
            [
                impl(OURS, _ours),
                impl("micrograd 0.1.0", _micrograd, ("micrograd",)),
                impl(NUMPY, _numpy),
            ],
            repeats=5 if smoke else 7,
            min_round=0.0 if smoke else 2.0,  # steady state: micrograd's cycles pile up
            rtol=1e-9,
        ),
        Case(
            WORKLOAD,
            f"memory of a {chain:,}-node chain",
            [memory(OURS, "autograd_lite"), memory("micrograd 0.1.0", "micrograd.engine")],
            kind="value",
            unit="B/node",
            repeats=1 if smoke else 3,
            reference=None,
        ),
    ]
