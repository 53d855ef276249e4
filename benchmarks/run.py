"""Run the benchmarks: `python -m benchmarks.run` (what `make bench` does).

Every workload runs autograd_lite and its peers in this one process,
interleaved and repeated (see harness.py), then prints a table of medians with
ratios to the fastest implementation and to numpy by hand, checks the targets,
and writes results/latest.json, results/latest.md and results/latest.png.

OpenBLAS: some machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE to keep old
OpenBLAS builds correct; with a current numpy they only pin a slower kernel.
Unless --keep-openblas-env is given, this script restarts itself once with
both removed, so numpy (and with it autograd_lite and HIPS autograd) runs the
kernel numpy would pick on a user's machine; PyTorch uses its own MKL and is
not affected. The kernel in use is recorded in the JSON. Every case also
checks that all implementations computed the same numbers before timing.

Memory: glibc's malloc gives freed memory at the top of its heap back to the
system once more than a threshold is free there, and takes it back page by
page (a page fault each) at the next large allocation. Whether a step of the
784-256-10 MLP frees enough to cross it depends on what ran just before, so
one implementation faults 400 to 750 times per step in some rounds and never
in others, and a step takes up to twice as long. Unless --keep-malloc is
given, the run fixes glibc's thresholds (`mallopt`: arrays up to 64 MiB from
the heap, kept until 256 MiB are free) for every implementation alike, so the
timings compare the computations. Recorded in the JSON as "malloc".
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv=None):
    from .workloads import ALL

    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--only",
        nargs="+",
        choices=sorted(ALL),
        metavar="WORKLOAD",
        help=f"run only these workloads (of: {', '.join(ALL)})",
    )
    p.add_argument("--smoke", action="store_true", help="tiny sizes, few repeats (seconds)")
    p.add_argument("--repeats", type=int, help="rounds per case (default: each case's own)")
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.{json,md,png}")
    p.add_argument("--no-save", action="store_true", help="print the table only")
    p.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="threads of numpy's BLAS (default 1, like PyTorch's 1-thread rows)",
    )
    p.add_argument(
        "--keep-openblas-env",
        action="store_true",
        help=f"keep {' and '.join(OPENBLAS_VARS)} as set (default: unset them)",
    )
    p.add_argument(
        "--keep-malloc",
        action="store_true",
        help="keep glibc's malloc thresholds (default: fix them for every implementation, "
        "so that heap trimming's page faults do not decide a run; see benchmarks/README.md)",
    )
    p.add_argument(
        "--profile",
        metavar="WORKLOAD",
        choices=sorted(ALL),
        help="profile autograd_lite's side of WORKLOAD with cProfile instead",
    )
    p.add_argument("--calls", type=int, default=20, help="calls per case under --profile")
    return p.parse_args(argv)


def restart_without_openblas_env(args, argv):
    """Re-run this command with the OpenBLAS variables removed (read only at library load)."""
    found = {k: os.environ[k] for k in OPENBLAS_VARS if k in os.environ}
    if args.keep_openblas_env or not found:
        return
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
    env["AUTOGRAD_LITE_BENCH_UNSET"] = " ".join(f"{k}={v}" for k, v in found.items())
    print(f"restarting without {', '.join(found)} (see --keep-openblas-env)", flush=True)
    os.execve(sys.executable, [sys.executable, "-m", "benchmarks.run", *argv], env)


MALLOC_THRESHOLDS = {"M_MMAP_THRESHOLD": (-3, 64 << 20), "M_TRIM_THRESHOLD": (-1, 256 << 20)}


def fix_malloc_thresholds(keep: bool) -> str:
    """Fix glibc's heap thresholds (see the module docstring); what was done, as text."""
    if keep:
        return "glibc defaults (--keep-malloc)"
    import ctypes
    import ctypes.util

    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return "system defaults (no glibc mallopt here)"
    if not all([mallopt(param, value) for param, value in MALLOC_THRESHOLDS.values()]):
        return "system defaults (mallopt refused)"
    return ", ".join(f"{n} {v >> 20} MiB" for n, (_, v) in MALLOC_THRESHOLDS.items())


def machine_info() -> dict:
    import numpy as np

    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "openblas_env": {k: os.environ.get(k) for k in OPENBLAS_VARS},
        "openblas_env_unset_by_run": os.environ.get("AUTOGRAD_LITE_BENCH_UNSET", ""),
    }
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        ).stdout.strip()
        info["commit"] = commit
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = None
    for module in ("torch", "autograd", "micrograd"):
        try:
            info[module] = metadata.version(module)
        except metadata.PackageNotFoundError:
            info[module] = None
    if info["torch"]:
        from .harness import torch_default_threads

        info["torch_threads_default"] = torch_default_threads()
    info["load_average_before"] = os.getloadavg()
    return info


def blas_info() -> list:
    """The BLAS and OpenMP libraries loaded, with kernel and thread count (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "architecture", "num_threads", "version")
    return [{k: p.get(k) for k in keys} for p in threadpool_info()]


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# ---- formatting --------------------------------------------------------------------------


def fmt_value(value, unit):
    if value is None:
        return "-"
    if unit == "s":
        for scale, name in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
            if value >= scale:
                return f"{value / scale:.3g} {name}"
        return f"{value * 1e9:.3g} ns"
    if unit == "s/op":
        return f"{value * 1e9:.0f} ns/op"
    return f"{value:.0f} {unit}"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def table_lines(rows, targets, info) -> list:
    lines = []
    width = max([len(r.impl) for r in rows] + [14])
    header = (
        f"  {'implementation':<{width}}  {'median':>12}  {'x fastest':>9}  {'x numpy':>8}  "
        f"{'CPU':>9}  note"
    )
    key = None
    for r in rows:
        if (r.workload, r.case) != key:
            key = (r.workload, r.case)
            lines += ["", f"== {r.workload}: {r.case}", header]
        lines.append(
            f"  {r.impl:<{width}}  {fmt_value(r.value, r.unit):>12}  {fmt_ratio(r.x_fastest):>9}  "
            f"{fmt_ratio(r.x_numpy):>8}  {fmt_value(r.cpu, r.unit) if r.cpu else '':>9}  "
            f"{r.note}".rstrip()
        )
    lines += ["", "== Targets (reported, never enforced)"]
    for t in targets:
        status = "met" if t["met"] else "MISSED"
        if t["met"] is None:
            status = "not judged" if t["measured"] is not None else "not measured"
        got = "-" if t["measured"] is None else f"{t['measured']:.3g}"
        lines.append(f"  {status:<12} {t['target']}: {got} (limit {t['limit']:g}; {t['detail']})")
    blas = ", ".join(
        f"{b['internal_api']} {b['architecture'] or ''} x{b['num_threads']}"
        for b in info.get("blas", [])
    )
    versions = ", ".join(
        f"{m} {info.get(m)}" for m in ("python", "numpy", "torch", "autograd", "micrograd")
    )
    lines += ["", f"machine: {info['cpu']}, {info['cores']} cores; {versions}; BLAS: {blas}"]
    if info.get("openblas_env_unset_by_run"):
        lines.append(f"unset for this run: {info['openblas_env_unset_by_run']}")
    if info.get("malloc"):
        lines.append(f"malloc: {info['malloc']}")
    load = [f"{x:.1f}" for x in info["load_average_before"] + info["load_average_after"]]
    lines.append(
        f"load average (1, 5, 15 min) before: {', '.join(load[:3])}; after: {', '.join(load[3:])}"
    )
    return lines


def markdown(rows, targets, info) -> str:
    head = (
        f"Run of {info['date']} at commit {info['commit']} on {info['cpu']} ({info['cores']} "
        f"cores), load average {info['load_average_before'][0]:.1f} before and "
        f"{info['load_average_after'][0]:.1f} after."
    )
    out = [head, ""]
    key = None
    for r in rows:
        if (r.workload, r.case) != key:
            key = (r.workload, r.case)
            out += [
                "",
                f"**{r.workload}: {r.case}**",
                "",
                "| implementation | median | x fastest | x numpy | CPU | note |",
                "| --- | ---: | ---: | ---: | ---: | --- |",
            ]
        cpu = fmt_value(r.cpu, r.unit) if r.cpu else ""
        out.append(
            f"| {r.impl} | {fmt_value(r.value, r.unit)} | {fmt_ratio(r.x_fastest)} | "
            f"{fmt_ratio(r.x_numpy)} | {cpu} | {r.note} |"
        )
    out += [
        "",
        "**Targets**",
        "",
        "| target | measured | limit | status | from |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for t in targets:
        status = "not measured" if t["met"] is None else "met" if t["met"] else "**missed**"
        got = "-" if t["measured"] is None else f"{t['measured']:.3g}"
        out.append(f"| {t['target']} | {got} | {t['limit']:g} | {status} | {t['detail']} |")
    return "\n".join(out) + "\n"


def _write_atomic(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save(rows, targets, info, out: Path) -> None:
    from .chart import bar_chart

    doc = {"machine": info, "targets": targets, "rows": [asdict(r) for r in rows]}
    _write_atomic(
        out / "latest.json", lambda p: Path(p).write_text(json.dumps(doc, indent=1) + "\n")
    )
    _write_atomic(out / "latest.md", lambda p: Path(p).write_text(markdown(rows, targets, info)))
    _write_atomic(out / "latest.png", lambda p: bar_chart(rows, p))


# ---- running -----------------------------------------------------------------------------


def run(names, smoke=False, repeats=None, log=print) -> list:
    from .harness import measure_case
    from .workloads import ALL

    rows = []
    for name in names:
        for case in ALL[name].cases(smoke=smoke):
            log(f"-- {case.workload}: {case.name}", flush=True)
            rows += measure_case(case, repeats=repeats, log=log)
    return rows


def profile(name, calls, smoke=False) -> None:
    """cProfile autograd_lite's side of every case of workload `name`; top functions by own time."""
    from .harness import OURS
    from .workloads import ALL

    for case in ALL[name].cases(smoke=smoke):
        for impl in case.impls:
            if not impl.name.startswith(OURS):
                continue
            fn, _ = impl.build()
            n = 1 if case.kind == "value" else calls
            fn()  # warm up outside the profile
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(n):
                fn()
            prof.disable()
            print(f"\n== {case.workload}: {case.name} / {impl.name}, {n} calls, by own time")
            pstats.Stats(prof).sort_stats("tottime").print_stats(18)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    restart_without_openblas_env(args, argv)
    malloc = fix_malloc_thresholds(args.keep_malloc)
    from threadpoolctl import threadpool_limits

    from .targets import evaluate
    from .workloads import ALL

    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        if args.profile:
            profile(args.profile, args.calls, args.smoke)
            return 0
        info = machine_info()
        info["blas"] = blas_info()
        info["malloc"] = malloc
        rows = run(args.only or list(ALL), smoke=args.smoke, repeats=args.repeats)
    info["load_average_after"] = os.getloadavg()
    targets = evaluate(rows)
    if args.smoke:  # tiny sizes: the targets' numbers are shown, never judged
        for t in targets:
            if t["met"] is not None:
                t["met"], t["detail"] = None, f"smoke sizes, not judged; {t['detail']}"
    print("\n".join(table_lines(rows, targets, info)))
    if not args.no_save:
        save(rows, targets, info, args.out)
        print(f"\nwrote {args.out}/latest.json, latest.md and latest.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
