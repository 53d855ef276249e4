"""Workload 6: wall time to train an MLP on scikit-learn's digits to 95% test accuracy.

The 1,797 8x8 images (bundled with scikit-learn, no download), pixels scaled
to [0, 1], a fixed stratified split (75% train). Model 64-128-10 with ReLU,
float64, mean cross-entropy, plain SGD, minibatches of 32 in an order drawn
from a seeded generator, test accuracy after each epoch; the clock stops at
the first epoch that reaches the target. Every implementation gets the same
data, batch order, initial weights and learning rate, so they follow the same
trajectory up to rounding and stop at the same epoch (shown in the note).

autograd_lite and PyTorch are written as their users write them: modules
(`nn.Sequential` of `Linear`, `ReLU`, `Linear`), the library's cross-entropy
and its `optim.SGD`. A second autograd_lite row writes the same model as raw
Tensor expressions with a hand-written update, to show what the modules cost.
"""

from __future__ import annotations

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl, torch_impls
from .tensor_mlp import make_problem

WORKLOAD = "6. Digits MLP"
LR = 0.1
BATCH = 32


def load(n_train=None, seed=0):
    """(x_train, y_train, x_test, y_test) of scikit-learn's digits, pixels in [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data / 16.0, data.target, test_size=0.25, random_state=seed, stratify=data.target
    )
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    return x_train, y_train, x_test, y_test


def _batches(n, epoch, seed=0):
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i : i + BATCH] for i in range(0, n, BATCH)]


def _train(data, target, max_epochs, fit_batch, accuracy):
    """The loop shared by every implementation: epochs of minibatch steps until `target`."""
    _, y_train, x_test, y_test = data
    for epoch in range(1, max_epochs + 1):
        for idx in _batches(len(y_train), epoch):
            fit_batch(idx)
        acc = accuracy(x_test, y_test)
        if acc >= target:
            return epoch, acc
    return epoch, acc


def _initial(layers):
    return [a for w, b in layers for a in (w, b)]


def _as_linear(params):
    """The state in `Linear`'s layout (weights (out, in)), to compare with the module versions."""
    return lambda: [p.data.T if i % 2 == 0 else p.data for i, p in enumerate(params)]


def _modules(data, layers):
    """autograd_lite.nn and autograd_lite.optim, as a user writes the model."""
    import autograd_lite as al
    from autograd_lite import nn, optim

    (w1, b1), (w2, b2) = layers
    model = nn.Sequential(nn.Linear(*w1.shape), nn.ReLU(), nn.Linear(*w2.shape))
    first, last = model.layers[0], model.layers[2]
    opt = optim.SGD(model.parameters(), lr=LR)
    x_train, y_train = data[0], data[1]

    def reset():
        for lin, w, b in ((first, w1, b1), (last, w2, b2)):
            lin.weight.data, lin.bias.data = w.T.copy(), b.copy()

    def fit_batch(idx):
        loss = nn.cross_entropy(model(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()

    @al.no_grad()
    def accuracy(x, y):
        return float(np.mean(model(x).data.argmax(axis=1) == y))

    state = [first.weight, first.bias, last.weight, last.bias]
    return reset, fit_batch, accuracy, state


def _ours(data, layers):
    import autograd_lite as al

    params = [al.Tensor(a, requires_grad=True) for a in _initial(layers)]
    w1, b1, w2, b2 = params
    x_train, y_train = data[0], data[1]

    def reset():
        for p, a in zip(params, _initial(layers)):
            p.data = a.copy()

    def logits_of(x):
        return (x @ w1 + b1).relu() @ w2 + b2

    def fit_batch(idx):
        x, y = al.Tensor(x_train[idx]), y_train[idx]
        loss = -logits_of(x).log_softmax(axis=1)[np.arange(len(y)), y].mean()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data
            p.grad = None

    @al.no_grad()
    def accuracy(x, y):
        return float(np.mean(logits_of(al.Tensor(x)).data.argmax(axis=1) == y))

    return reset, fit_batch, accuracy, _as_linear(params)


def _torch(data, layers):
    import torch
    import torch.nn.functional as F
    from torch import nn

    (w1, b1), (w2, b2) = layers
    model = nn.Sequential(nn.Linear(*w1.shape), nn.ReLU(), nn.Linear(*w2.shape)).double()
    first, last = model[0], model[2]
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x_train, y_train = torch.from_numpy(data[0]), torch.from_numpy(data[1])

    @torch.no_grad()
    def reset():
        for lin, w, b in ((first, w1, b1), (last, w2, b2)):
            lin.weight.copy_(torch.from_numpy(w.T))
            lin.bias.copy_(torch.from_numpy(b))

    def fit_batch(idx):
        idx = torch.from_numpy(idx)
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()

    @torch.no_grad()
    def accuracy(x, y):
        return float(np.mean(model(torch.from_numpy(x)).argmax(dim=1).numpy() == y))

    return reset, fit_batch, accuracy, [first.weight, first.bias, last.weight, last.bias]


def _numpy(data, layers):
    w1, b1, w2, b2 = params = [a.copy() for a in _initial(layers)]
    x_train, y_train = data[0], data[1]

    def reset():
        for p, a in zip(params, _initial(layers)):
            p[...] = a

    def fit_batch(idx):
        x, y = x_train[idx], y_train[idx]
        rows = np.arange(len(y))
        z = x @ w1 + b1
        h = np.maximum(z, 0.0)
        logits = h @ w2 + b2
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        d_logits = e / e.sum(axis=1, keepdims=True)
        d_logits[rows, y] -= 1.0
        d_logits /= len(y)
        d_h = d_logits @ w2.T
        d_h *= z > 0
        grads = (x.T @ d_h, d_h.sum(axis=0), h.T @ d_logits, d_logits.sum(axis=0))
        for p, g in zip(params, grads):
            p -= LR * g

    def accuracy(x, y):
        logits = np.maximum(x @ w1 + b1, 0.0) @ w2 + b2
        return float(np.mean(logits.argmax(axis=1) == y))

    return (
        reset,
        fit_batch,
        accuracy,
        lambda: [p.T if i % 2 == 0 else p for i, p in enumerate(params)],
    )


def cases(smoke=False):
    data = load(n_train=64 if smoke else None)
    sizes = (64, 16, 10) if smoke else (64, 128, 10)
    target, max_epochs = (0.5, 3) if smoke else (0.95, 100)
    layers = make_problem(sizes, 1)[2]

    def impl(name, fn, requires=()):
        def build():
            reset, fit_batch, accuracy, state = fn(data, layers)

            def run():  # from the initial weights every time
                reset()
                return _train(data, target, max_epochs, fit_batch, accuracy)

            return run, state if callable(state) else (lambda: state)

        return Impl(name, build, requires)

    return [
        Case(
            WORKLOAD,
            f"{'-'.join(map(str, sizes))}, SGD lr {LR}, batch {BATCH}: train to "
            f"{target:.0%} test accuracy",
            [
                impl(OURS, _modules),
                impl(f"{OURS} (raw Tensor ops)", _ours),
                *torch_impls(impl("torch", _torch).build),
                impl(NUMPY, _numpy),
            ],
            repeats=2 if smoke else 9,
            min_round=0.0,
            rtol=1e-6,
            atol=1e-8,
            describe=lambda out: f"stopped after epoch {out[0]} at {out[1]:.1%}",
        )
    ]
