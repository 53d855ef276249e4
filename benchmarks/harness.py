"""Measuring: implementations of one computation, timed interleaved, with medians and ratios.

A workload is a list of `Case`s. The CPU time of the calling thread is recorded
beside the wall time of single-threaded implementations: on a machine shared
with other work it is the steadier figure. (The thread's, not the process's:
after a multi-threaded round, PyTorch's OpenMP workers keep spinning for a
while and would be billed to whatever runs next.)

A case is one computation (say a training step
of a 784-256-10 MLP) written once per `Impl` (autograd_lite, each peer, numpy
by hand). `measure_case` first runs every implementation once and checks that
they all compute the same numbers, then times them round-robin: in each round
every implementation runs `number` calls back to back, the order rotating
from round to round, so slow drifts of the machine (frequency, other load)
hit all of them alike. The reported figure is the median over rounds of the
time per call.

Garbage collection stays on while timing, so the collector's work on the
objects a library makes (micrograd's reference cycles, a graph of Python
nodes) is part of its time. But before each round, all objects alive until
then are collected and frozen (`gc.freeze`): the modules of every peer
imported into this one process (PyTorch alone brings hundreds of thousands
of objects) would otherwise be traversed again by every full collection,
taxing each library for what the others imported.

Cases of kind "value" measure something other than the wall time of a call
(bytes per node, backward seconds per op): their callable returns the measured
number itself, and the median over repeats is reported.
"""

from __future__ import annotations

import gc
import importlib.util
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

NUMPY = "numpy (by hand)"  # the name of the hand-written floor in every case that has one
OURS = "autograd_lite"


@dataclass
class Impl:
    """One implementation of a case.

    build: makes the inputs and returns `(fn, state)`: `fn()` is what is timed
        (or, for a "value" case, returns the measured number); `state()`, if
        not None, returns what the first call computed (arrays, floats or
        nested lists of them) for the cross-check against the reference.
    requires: modules that must be importable, else the row says "not installed".
    before: called (untimed) before each round, e.g. to set PyTorch's thread count.
    threads: how many threads it computes on (1 unless told): CPU time is comparable
        with wall time only for single-threaded implementations.
    """

    name: str
    build: Callable[[], tuple]
    requires: tuple = ()
    before: Callable[[], None] | None = None
    threads: int = 1

    def missing(self) -> list:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]


@dataclass
class Case:
    """One computation of a workload, written once per implementation."""

    workload: str
    name: str
    impls: list
    kind: str = "time"  # "time": wall time per call; "value": fn() returns the number
    unit: str = "s"
    repeats: int = 7
    min_round: float = 0.05  # seconds: a round runs enough calls to last at least this long
    expected_errors: tuple = ()  # exceptions that are a result (micrograd's RecursionError)
    reference: str | None = NUMPY  # impl whose state() the others must match
    rtol: float = 1e-7
    atol: float = 1e-9
    describe: Callable | None = None  # the first call's output -> a note for the row


@dataclass
class Row:
    """One measured line of the table."""

    workload: str
    case: str
    impl: str
    value: float | None  # median (seconds, or the case's unit); None when not measured
    unit: str
    samples: list = field(default_factory=list)
    cpu: float | None = None  # median CPU seconds of the calling thread per call (1 thread only)
    cpu_samples: list = field(default_factory=list)
    number: int = 1  # calls per round
    note: str = ""
    x_fastest: float | None = None
    x_numpy: float | None = None
    threads: int = 1


def flatten(x) -> np.ndarray:
    """Everything an implementation computed, as one float64 vector (for the cross-check)."""
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a PyTorch tensor
        return x.detach().numpy().astype(np.float64).ravel().copy()
    if isinstance(x, (list, tuple)):
        parts = [flatten(v) for v in x]
        return np.concatenate(parts) if parts else np.zeros(0)
    if not isinstance(x, (np.ndarray, float, int, np.floating)) and hasattr(x, "data"):
        return flatten(x.data)  # a Value or Tensor of autograd_lite, a micrograd Value
    return np.array(x, dtype=np.float64).ravel()


def remembering(compute):
    """`(run, state)` for a pure function: `run()` calls `compute()`, `state()` its last result."""
    last = []

    def run():
        last[:] = [compute()]
        return last[0]

    return run, lambda: last[0]


class MismatchError(AssertionError):
    """Two implementations of one case computed different numbers."""


def compare_states(case: Case, states: dict) -> None:
    """Raise MismatchError unless every state matches the reference's (rtol, atol)."""
    ref_name = case.reference if case.reference in states else None
    if ref_name is None:
        return
    ref = states[ref_name]
    for name, got in states.items():
        if name == ref_name:
            continue
        if got.shape != ref.shape or not np.allclose(got, ref, rtol=case.rtol, atol=case.atol):
            worst = np.max(np.abs(got - ref)) if got.shape == ref.shape else "shape"
            raise MismatchError(
                f"{case.workload} / {case.name}: {name} disagrees with {ref_name} "
                f"(shapes {got.shape} and {ref.shape}, largest difference {worst})"
            )


def _time_calls(fn, number: int) -> tuple:
    """(wall seconds, CPU seconds of this thread) per call, over `number` calls."""
    c0, t0 = time.thread_time(), time.perf_counter()
    for _ in range(number):
        fn()
    wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
    return wall / number, cpu / number


def measure_case(case: Case, repeats: int | None = None, log=print) -> list:
    """Check, then time (or measure) every implementation of `case`; rows in impl order."""
    repeats = repeats or case.repeats
    rows = {
        i.name: Row(case.workload, case.name, i.name, None, case.unit, threads=i.threads)
        for i in case.impls
    }
    fns, states = {}, {}
    for impl in case.impls:
        row = rows[impl.name]
        missing = impl.missing()
        if missing:
            row.note = "not installed: " + ", ".join(missing)
            continue
        try:
            if impl.before:
                impl.before()
            fn, state = impl.build()
            first = fn()
        except case.expected_errors as e:
            row.note = f"{type(e).__name__}: {str(e)[:100]}"
            continue
        except Exception as e:  # noqa: BLE001 - a broken peer must not sink the run: report it
            row.note = f"failed: {type(e).__name__}: {e}"
            log(traceback.format_exc())
            continue
        if case.describe is not None:
            row.note = case.describe(first)
        if state is not None:
            states[impl.name] = flatten(state())
        fns[impl.name] = (impl, fn)
        if case.kind == "value":
            row.samples.append(float(first))
    compare_states(case, states)

    # How many calls per round, from the second of two more calls of each: a second call
    # may still be warming up (a compiled function records again to verify), and a round of
    # fewer calls weighs its cold first call (after the collection below) more.
    for name, (impl, fn) in fns.items():
        if case.kind == "time" and case.min_round > 0:
            if impl.before:
                impl.before()
            _time_calls(fn, 1)
            once = _time_calls(fn, 1)[0]
            rows[name].number = max(1, int(case.min_round / max(once, 1e-9)))

    order = list(fns)
    for r in range(repeats if case.kind == "time" else repeats - 1):
        shift = r % max(len(order), 1)
        for name in order[shift:] + order[:shift]:
            impl, fn = fns[name]
            row = rows[name]
            if impl.before:
                impl.before()
            gc.collect()
            gc.freeze()
            if case.kind == "time":
                wall, cpu = _time_calls(fn, row.number)
                row.samples.append(wall)
                row.cpu_samples.append(cpu)
            else:
                row.samples.append(float(fn()))
    gc.unfreeze()
    for row in rows.values():
        if row.samples:
            row.value = statistics.median(row.samples)
        if row.cpu_samples and row.threads == 1:
            row.cpu = statistics.median(row.cpu_samples)
    add_ratios(list(rows.values()))
    return list(rows.values())


def add_ratios(rows: list) -> None:
    """Fill x_fastest (to the smallest value of the case) and x_numpy (to numpy by hand)."""
    measured = [r for r in rows if r.value is not None]
    if not measured:
        return
    best = min(r.value for r in measured)
    floor = next((r.value for r in measured if r.impl == NUMPY), None)
    for r in measured:
        r.x_fastest = r.value / best if best > 0 else None
        r.x_numpy = r.value / floor if floor else None


def torch_threads(n: int | None):
    """A `before` hook that sets PyTorch's intra-op thread count (None: the default at import)."""

    def before():
        import torch

        torch.set_num_threads(n or DEFAULT_TORCH_THREADS[0])

    return before


DEFAULT_TORCH_THREADS = [None]  # filled by torch_default_threads() before any change


def torch_default_threads() -> int | None:
    """PyTorch's thread count as it was at import (before any `torch_threads` hook ran)."""
    if DEFAULT_TORCH_THREADS[0] is None and importlib.util.find_spec("torch") is not None:
        import torch

        DEFAULT_TORCH_THREADS[0] = torch.get_num_threads()
    return DEFAULT_TORCH_THREADS[0]


def torch_impls(build_for_threads, requires=("torch",), name="PyTorch") -> list:
    """PyTorch with one thread and with its default thread count, as two implementations."""
    default = torch_default_threads()
    label = f"{default} threads" if default else "default threads"
    return [
        Impl(f"{name} (1 thread)", build_for_threads, requires, torch_threads(1)),
        Impl(f"{name} ({label})", build_for_threads, requires, torch_threads(None), default or 1),
    ]
