"""How often gradcheck's fast mode catches a wrong rule, over many seeds, and how long it
takes on the digits MLP.

    python -m benchmarks.gradcheck_fast              # 1,000 seeds per wrong rule, timings
    python -m benchmarks.gradcheck_fast --seeds 100

Part 1: a wrong rule is injected (and put back) into a three-layer MLP written with the
primitive ops (matmul, + with a broadcast bias, tanh, reshape, transpose, mean), and
`gradcheck_module(..., fast_mode=True, seed=s)` runs for seeds 0, 1, ..., n - 1. A rule
wrong everywhere (scaled by 1.5) and a rule wrong in one element only (tanh's, off by 10%
at element [0, 0] of its input) are measured: fast mode compares one random projection
u^T J v per parameter, so an error can hide only when the projection is orthogonal to it.
Part 2: the seconds of checking every parameter of a 64-128-10 MLP (nn.Linear, tanh,
cross-entropy, batch 32), fast mode against the full element-by-element check.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np

import autograd_lite as al
from autograd_lite import GradcheckError, nn
from autograd_lite.core import ops


class MLP3(nn.Module):
    """4-5-5-3 written with the primitive ops, so each op kind is in the graph: matmul, + with
    a broadcast bias, tanh, a reshape (W2 is stored flat), a transpose (W3 is stored (out,
    in), as PyTorch's Linear). tests/test_gradcheck_module.py checks it too."""

    def __init__(self, rng):
        self.W1 = al.Tensor(rng.normal(0, 0.6, (4, 5)), requires_grad=True)
        self.b1 = al.Tensor(rng.normal(0, 0.1, 5), requires_grad=True)
        self.W2 = al.Tensor(rng.normal(0, 0.5, 25), requires_grad=True)
        self.b2 = al.Tensor(rng.normal(0, 0.1, 5), requires_grad=True)
        self.W3 = al.Tensor(rng.normal(0, 0.5, (3, 5)), requires_grad=True)
        self.b3 = al.Tensor(rng.normal(0, 0.1, 3), requires_grad=True)

    def forward(self, x):
        h = al.tanh(x @ self.W1 + self.b1)
        h = al.tanh(h @ self.W2.reshape(5, 5) + self.b2)
        return h @ self.W3.T + self.b3


def mse(out, target):
    return ((out - target) ** 2).mean()


@contextlib.contextmanager
def replaced_rule(op, i, rule, field="vjps"):
    """op's rule for input i (of its vjp rules, or of `field`: "jvps") is `rule(old_rule)`
    inside the block, put back in `finally`."""
    old = getattr(op, field)
    setattr(op, field, old[:i] + (rule(old[i]),) + old[i + 1 :])
    try:
        yield
    finally:
        setattr(op, field, old)


def scaled(rule):
    return lambda g, *rest: rule(g, *rest) * 1.5


def one_element(rule):
    def wrong(g, out, x):
        c = rule(g, out, x)
        bump = np.zeros(np.shape(ops._raw(x)))
        bump[(0,) * bump.ndim] = 0.1
        return c * (1.0 + bump)

    return wrong


WRONG = [
    ("tanh, every element x1.5", ops.TANH, 0, scaled),
    ("+ (broadcast bias), x1.5", ops.ADD, 1, scaled),
    ("mean, x1.5", ops.MEAN, 0, scaled),
    ("@ input 1, x1.5", ops.MATMUL, 1, scaled),
    ("reshape, x1.5", ops.RESHAPE, 0, scaled),
    ("transpose, x1.5", ops.TRANSPOSE, 0, scaled),
    ("tanh, one element +10%", ops.TANH, 0, one_element),
]


def caught(seeds, wrong):
    """(seeds whose fast check raised, seconds) for one wrong rule."""
    rng = np.random.default_rng(0)
    model, x, t = MLP3(rng), rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    _, op, i, make = wrong
    hits, start = 0, time.perf_counter()
    with replaced_rule(op, i, make):
        for s in range(seeds):
            try:
                al.gradcheck_module(model, mse, x, t, fast_mode=True, seed=s)
            except GradcheckError:
                hits += 1
    return hits, time.perf_counter() - start


def digits_timing():
    """Seconds of gradcheck_module on every parameter of a 64-128-10 MLP: (fast, full)."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(64, 128, rng=rng), nn.Tanh(), nn.Linear(128, 10, rng=rng))
    x, labels = rng.normal(size=(32, 64)), rng.integers(0, 10, 32)
    times = []
    for fast in (True, False):
        start = time.perf_counter()
        assert al.gradcheck_module(model, nn.cross_entropy, x, labels, fast_mode=fast)
        times.append(time.perf_counter() - start)
    return times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=1000, help="seeds per wrong rule (1000)")
    p.add_argument("--no-timing", action="store_true", help="skip the 64-128-10 timing")
    args = p.parse_args(argv)
    print(f"| wrong rule in a 3-layer MLP | caught (of {args.seeds} seeds) | seconds |")
    print("| --- | --- | --- |")
    for wrong in WRONG:
        hits, seconds = caught(args.seeds, wrong)
        print(f"| {wrong[0]} | {hits} | {seconds:.1f} |")
    if not args.no_timing:
        fast, full = digits_timing()
        n = 64 * 128 + 128 + 128 * 10 + 10
        print(
            f"\n64-128-10 MLP, all {n} parameters: fast mode {fast:.2f} s, full check {full:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
