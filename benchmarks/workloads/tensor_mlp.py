"""Workload 2: one training step of a float64 Tensor MLP, 784-256-10 and 64-128-10, batch 128.

Step: h = relu(x W1 + b1), logits = h W2 + b2, mean cross-entropy against
integer labels, backward, SGD update in place. Each library is written the
way its users write it (PyTorch's fused `cross_entropy`, HIPS autograd's
`logsumexp`), on the same data and initial weights; numpy by hand, with the
gradients written out, is the floor the target is measured against.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..harness import NUMPY, OURS, Case, Impl, torch_impls

WORKLOAD = "2. Tensor MLP"
LR = 0.1
#: The same step as OURS, run inside `detect_anomaly` (every op's place recorded, every
#: forward result and cotangent checked for NaN and Inf): its cost against OURS.
ANOMALY = f"{OURS} inside detect_anomaly"


def make_problem(sizes, batch, seed=0):
    """Inputs, integer labels and He-initialised weights [(W (in, out), b (out,)), ...]."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0]))
    labels = rng.integers(0, sizes[-1], batch)
    layers = [
        (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in), np.zeros(n_out))
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    return x, labels, layers


def _flat(layers):
    return [a.copy() for w, b in layers for a in (w, b)]


def _ours(x, labels, layers):
    from autograd_lite import Tensor

    params = [Tensor(a, requires_grad=True) for a in _flat(layers)]
    w1, b1, w2, b2 = params
    xt = Tensor(x)
    rows = np.arange(len(labels))

    def step():
        h = (xt @ w1 + b1).relu()
        logits = h @ w2 + b2
        loss = -logits.log_softmax(axis=1)[rows, labels].mean()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data
            p.grad = None
        return loss

    return step, lambda: [p.data for p in params]


def _ours_in_anomaly(x, labels, layers):
    from autograd_lite import detect_anomaly

    step, state = _ours(x, labels, layers)

    def checked():
        with detect_anomaly():
            return step()

    return checked, state


def _hips(x, labels, layers):
    import autograd.numpy as anp
    from autograd import value_and_grad
    from autograd.scipy.special import logsumexp

    params = _flat(layers)
    rows = np.arange(len(labels))

    def loss_fn(w1, b1, w2, b2):
        h = anp.maximum(anp.dot(x, w1) + b1, 0.0)
        logits = anp.dot(h, w2) + b2
        log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
        return -anp.mean(log_probs[rows, labels])

    loss_and_grads = value_and_grad(loss_fn, argnum=(0, 1, 2, 3))

    def step():
        loss, grads = loss_and_grads(*params)
        for p, g in zip(params, grads):
            p -= LR * g
        return loss

    return step, lambda: params


def _torch(x, labels, layers):
    import torch
    import torch.nn.functional as F

    params = [torch.tensor(a, requires_grad=True) for a in _flat(layers)]
    w1, b1, w2, b2 = params
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)

    def step():
        logits = torch.relu(xt @ w1 + b1) @ w2 + b2
        loss = F.cross_entropy(logits, yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step, lambda: params


def _numpy(x, labels, layers):
    w1, b1, w2, b2 = params = _flat(layers)
    rows = np.arange(len(labels))
    n = len(labels)

    def step():
        z = x @ w1 + b1
        h = np.maximum(z, 0.0)
        logits = h @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0]).mean() - shifted[rows, labels].mean()
        d_logits = e / total  # softmax; minus the one-hot labels, over the batch size
        d_logits[rows, labels] -= 1.0
        d_logits /= n
        d_h = d_logits @ w2.T
        d_h *= z > 0
        grads = (x.T @ d_h, d_h.sum(axis=0), h.T @ d_logits, d_logits.sum(axis=0))
        for p, g in zip(params, grads):
            p -= LR * g
        return loss

    return step, lambda: params


def cases(smoke=False):
    shapes = [(20, 8, 3)] if smoke else [(784, 256, 10), (64, 128, 10)]
    batch = 4 if smoke else 128
    out = []
    for sizes in shapes:
        problem = make_problem(sizes, batch)

        def impl(name, fn, requires=(), problem=problem):
            return Impl(name, lambda: fn(*problem), requires)

        torch_build = lambda problem=problem: _torch(*problem)
        out.append(
            Case(
                WORKLOAD,
                f"{'-'.join(map(str, sizes))}, batch {batch}, float64: training step",
                [
                    impl(OURS, _ours),
                    impl(ANOMALY, _ours_in_anomaly),
                    impl("HIPS autograd", _hips, ("autograd",)),
                    *torch_impls(torch_build),
                    impl(NUMPY, _numpy),
                ],
                repeats=3 if smoke else 15,
                min_round=0.0 if smoke else 0.1,
            )
        )
    return out
