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
    growth: tuple = ()  # case prefixes, each size twice the last: the largest ratio of our
    # times between neighbours is measured (limit 4: growing no faster than quadratically)
    impl: str = OURS  # the row judged (e.g. ours inside detect_anomaly), if not the plain one


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
    Target(
        "Tensor MLP 64-128-10 step inside detect_anomaly <= 3x outside",
        "2. Tensor MLP",
        "64-128-10",
        3.0,
        OURS,
        impl=f"{OURS} inside detect_anomaly",
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
        "Hessian of logsumexp(A @ x), A 50 x 100: <= 1.0x torch.func.hessian (1 thread)",
        "4. Hessian",
        "",
        1.0,
        "torch.func.hessian (1 thread)",
        any_of_ours=True,
    ),
    Target(
        "Jacobian of tanh(A @ x), A 200 x 100, vectorized: <= 1.0x torch.func.jacrev (1 thread)",
        "8. Jacobian",
        "",
        1.0,
        "torch.func.jacrev (1 thread)",
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
        "derivative(sin(x**2), order=20) at 0.3 under 50 ms",
        "9. Taylor derivative",
        "order 20:",
        0.05,
    ),
    Target(
        "derivative(sin(x**2), order=100) at 0.3 under 2 s",
        "9. Taylor derivative",
        "order 100:",
        2.0,
    ),
    Target(
        "derivative time from order 10 to 20 to 40 grows no faster than quadratically",
        "9. Taylor derivative",
        "",
        4.0,
        growth=("order 10:", "order 20:", "order 40:"),
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
    Target("compiled op chain <= 1.5x numpy by hand", "10. Compiled", "100 x", 1.5, NUMPY),
    Target(
        "compiled Tensor MLP 64-128-10 step <= 1.2x numpy by hand",
        "10. Compiled",
        "Tensor MLP 64-128-10",
        1.2,
        NUMPY,
    ),
    Target(
        "compiled Tensor MLP 784-256-10 step <= 1.05x numpy by hand",
        "10. Compiled",
        "Tensor MLP 784-256-10",
        1.05,
        NUMPY,
    ),
    Target(
        "compiled scalar MLP step <= 0.05x micrograd's time",
        "10. Compiled",
        "scalar MLP 2-16-16-1",
        0.05,
        "micrograd",
    ),
    Target(
        "recording (first call) of the scalar MLP step <= 3x an eager call",
        "10. Compiled",
        "recording: scalar MLP",
        3.0,
        "autograd_lite eager",
    ),
    Target(
        "recording (first call) of the op chain <= 3x an eager call",
        "10. Compiled",
        "recording: 100 x",
        3.0,
        "autograd_lite eager",
    ),
]


def _ours(rows, any_of_ours, impl=OURS):
    """The row called `impl`; or, with `any_of_ours`, the best row whose name starts with OURS."""
    mine = [
        r
        for r in rows
        if r.value is not None and (r.impl.startswith(OURS) if any_of_ours else r.impl == impl)
    ]
    return min(mine, key=lambda r: r.value) if mine else None


def _growth(rows, t):
    """(the largest ratio of our CPU times between neighbouring sizes, the ratios as text)."""
    times = []
    for prefix in t.growth:
        ours = [r for r in rows if r.impl == OURS and r.case.startswith(prefix) and r.value]
        if not ours:
            return None, "not measured"
        times.append(ours[0].cpu or ours[0].value)  # CPU time: less disturbed by others
    ratios = [b / a for a, b in zip(times, times[1:])]
    return max(ratios), "time ratios " + ", ".join(f"{q:.2f}" for q in ratios)


def evaluate(rows) -> list:
    """One dict per target: text, measured ratio (or value), limit, met (None: not measured)."""
    out = []
    for t in TARGETS:
        in_workload = [r for r in rows if r.workload == t.workload and r.case.startswith(t.case)]
        measured, detail = None, "not measured"
        if t.growth:
            measured, detail = _growth(in_workload, t)
        elif t.flat:
            per_case = [r for r in in_workload if r.impl == OURS and r.value is not None]
            if len(per_case) >= 2:
                values = [r.value for r in per_case]
                measured = max(values) / min(values)
                detail = " / ".join(f"{v * 1e9:.0f}" for v in values) + " ns/op"
        else:
            ours = _ours(in_workload, t.any_of_ours, t.impl)
            if t.against is None and ours is not None:
                measured, detail = ours.value, f"{ours.value:.3g} {ours.unit}"
            elif ours is not None:
                peers = [
                    r
                    for r in in_workload
                    if r.impl.startswith(t.against) and r.impl != ours.impl and r.value
                ]
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
