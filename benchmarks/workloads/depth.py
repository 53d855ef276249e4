"""Workload 5: backward through a chain of 10^4, 10^5 and 10^6 scalar ops; time per op.

The chain is y = y * c (c a constant), so every node has one parent and the
backward pass is pure per-node overhead: a flat time per op from 10^4 to 10^6
shows that the topological sort and the sweep are linear and iterative.
micrograd sorts recursively, so its backward raises RecursionError past
about a thousand nodes: the table shows that error in its rows. A second
autograd_lite row runs the same backward with Python's cyclic garbage
collector paused, which shows how much of the time per op is the collector
traversing the chain (a diagnostic, not a way users run it).
"""

from __future__ import annotations

import gc
import time

from ..harness import OURS, Case, Impl

WORKLOAD = "5. Depth"
FACTOR = 1.000001


def backward_seconds_per_op(value_cls, n, collector=True):
    """Build y = x * c * c * ... (n ops), then time y.backward() alone; CPU seconds per op.

    The calling thread's CPU time is taken (the pass is single-threaded): on a
    shared machine it does not count the time other programs hold the core.
    collector=False pauses Python's garbage collector during the backward pass only.
    """
    x = value_cls(1.0)
    y = x
    for _ in range(n):
        y = y * FACTOR
    was_enabled = gc.isenabled()
    if not collector:
        gc.disable()
    try:
        t0 = time.thread_time()
        y.backward()
        seconds = time.thread_time() - t0
    finally:
        if was_enabled:
            gc.enable()
    expected = FACTOR**n
    if abs(x.grad - expected) > 1e-9 * expected:
        raise AssertionError(f"chain of {n}: dy/dx = {x.grad}, expected {expected}")
    return seconds / n


def _impl(name, module, n, collector=True):
    def build():
        value_cls = __import__(module, fromlist=["Value"]).Value
        return (lambda: backward_seconds_per_op(value_cls, n, collector)), None

    return Impl(name, build, (module.split(".")[0],))


def cases(smoke=False):
    lengths = (100, 2_000) if smoke else (10_000, 100_000, 1_000_000)
    return [
        Case(
            WORKLOAD,
            f"backward through {n:,} scalar ops (CPU time per op)",
            [
                _impl(OURS, "autograd_lite", n),
                _impl(f"{OURS}, collector paused", "autograd_lite", n, collector=False),
                _impl("micrograd 0.1.0", "micrograd.engine", n),
            ],
            kind="value",
            unit="s/op",
            repeats=1 if smoke else {10_000: 21, 100_000: 7}.get(n, 3),
            expected_errors=(RecursionError,),
            reference=None,
        )
        for n in lengths
    ]
