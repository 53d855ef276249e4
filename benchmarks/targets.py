"""The project's speed targets, checked against a run's rows.

A target never fails anything: the run reports "met" or "MISSED" next to each.
A ratio of two single-threaded implementations is taken on their CPU times,
which other programs on a shared machine disturb far less than wall times;
a ratio involving a multi-threaded one (PyTorch with 2 threads) on wall times.
"""

from __future__ import annotations

from dataclasses import dataclass

from .harness import NUMPY, OURS

FLAT_LIMIT = 1.5  # "flat": the slowest depth's time per op within 1.5x of the fastest's


@dataclass
class Target:
    text: str  # as the issue states it
    workload: str
    case: str  # a prefix of the case name
    limit: float
    against: str | None = None  # impl (prefix) whose value divides ours; None: our value itself
    flat: bool = False  # ours across every case of the workload: max / min
    any_of_ours: bool = False  # judge our best row (the Hessian has several), not the plain one


TARGETS = [
    Target(
        "scalar MLP step <= 0.25x micrograd's time", "1. Scalar MLP", "2-16-16-1", 0.25, "micrograd"
    ),
    Target("<= 400 bytes per node", "1. Scalar MLP", "memory", 400.0),
    Target(
        "Tensor MLP 784-256-10 step <= 1.15x numpy by hand",
        "2. Tensor MLP",
        "784-256-10",
        1.15,
        NUMPY,
    ),
    Target(
        "Tensor MLP 64-128-10 step <= 1.15x numpy by hand",
        "2. Tensor MLP",
        "64-128-10",
        1.15,
        NUMPY,
    ),
    Target("op chain <= 2x numpy by hand", "3. Op overhead", "", 2.0, NUMPY),
    Target(
        "Hessian no slower than torch.autograd.functional.hessian",
        "4. Hessian",
        "",
        1.0,
        "torch.autograd.functional",
        any_of_ours=True,
    ),
    Target(
        f"backward time per op flat from 1e4 to 1e6 (max/min <= {FLAT_LIMIT})",
        "5. Depth",
        "",
        FLAT_LIMIT,
        flat=True,
    ),
    Target(
        "digits training no slower than PyTorch (its faster thread setting)",
        "6. Digits MLP",
        "",
        1.0,
        "PyTorch",
    ),
    Target(
        "jvp of the MLP 784-256-10 loss <= 2x its forward pass",
        "7. Forward mode",
        "jvp of the MLP loss 784-256-10",
        2.0,
        "autograd_lite forward pass",
    ),
    Target(
        "jacfwd faster than jacobian (reverse) for few inputs, many outputs",
        "7. Forward mode",
        "jacobian of tanh",
        1.0,
        "autograd_lite jacobian (reverse)",
    ),
    Target("compiled op chain <= 1.5x numpy by hand", "8. Compiled", "100 x", 1.5, NUMPY),
    Target(
        "compiled Tensor MLP 64-128-10 step <= 1.2x numpy by hand",
        "8. Compiled",
        "Tensor MLP 64-128-10",
        1.2,
        NUMPY,
    ),
    Target(
        "compiled Tensor MLP 784-256-10 step <= 1.05x numpy by hand",
        "8. Compiled",
        "Tensor MLP 784-256-10",
        1.05,
        NUMPY,
    ),
    Target(
        "compiled scalar MLP step <= 0.05x micrograd's time",
        "8. Compiled",
        "scalar MLP 2-16-16-1",
        0.05,
        "micrograd",
    ),
    Target(
        "recording (first call) of the scalar MLP step <= 3x an eager call",
        "8. Compiled",
        "recording: scalar MLP",
        3.0,
        "autograd_lite eager",
    ),
    Target(
        "recording (first call) of the op chain <= 3x an eager call",
        "8. Compiled",
        "recording: 100 x",
        3.0,
        "autograd_lite eager",
    ),
]


def _ours(rows, any_of_ours):
    """The row called autograd_lite; or, with `any_of_ours`, the best row whose name starts so."""
    mine = [
        r
        for r in rows
        if r.value is not None and (r.impl.startswith(OURS) if any_of_ours else r.impl == OURS)
    ]
    return min(mine, key=lambda r: r.value) if mine else None


def evaluate(rows) -> list:
    """One dict per target: text, measured ratio (or value), limit, met (None: not measured)."""
    out = []
    for t in TARGETS:
        in_workload = [r for r in rows if r.workload == t.workload and r.case.startswith(t.case)]
        measured, detail = None, "not measured"
        if t.flat:
            per_case = [r for r in in_workload if r.impl == OURS and r.value is not None]
            if len(per_case) >= 2:
                values = [r.value for r in per_case]
                measured = max(values) / min(values)
                detail = " / ".join(f"{v * 1e9:.0f}" for v in values) + " ns/op"
        else:
            ours = _ours(in_workload, t.any_of_ours)
            if t.against is None and ours is not None:
                measured, detail = ours.value, f"{ours.value:.0f} {ours.unit}"
            elif ours is not None:
                peers = [r for r in in_workload if r.impl.startswith(t.against) and r.value]
                if peers:
                    peer = min(peers, key=lambda r: r.value)
                    on_cpu = ours.cpu and peer.cpu and ours.threads == peer.threads == 1
                    measured = ours.cpu / peer.cpu if on_cpu else ours.value / peer.value
                    clock = "CPU" if on_cpu else "wall"
                    detail = f"{ours.impl} / {peer.impl}, {clock} time"
        out.append(
            {
                "target": t.text,
                "measured": measured,
                "limit": t.limit,
                "met": None if measured is None else measured <= t.limit,
                "detail": detail,
            }
        )
    return out
