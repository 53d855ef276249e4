"""Smoke test of benchmarks/: every case of every workload runs once at a tiny size.

autograd_lite's side always runs; a peer that is not installed is skipped (HIPS
autograd and micrograd come with the `dev` extra, PyTorch with `make test` where a
wheel of it is at hand, and with the `bench` extra).
Each implementation must compute the same numbers as numpy by hand, so the
benchmark keeps comparing like with like. Nothing here is timed.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import harness, run, targets  # noqa: E402
from benchmarks.workloads import ALL  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func imports jit

CASES = [case for module in ALL.values() for case in module.cases(smoke=True)]
PARAMS = [
    pytest.param(case, impl, id=f"{case.workload}|{case.name}|{impl.name}")
    for case in CASES
    for impl in case.impls
]


def _call_once(impl):
    for module in impl.requires:
        pytest.importorskip(module)
    if impl.before:
        impl.before()
    fn, state = impl.build()
    return fn(), state


@pytest.mark.parametrize("case, impl", PARAMS)
def test_each_implementation_runs_and_agrees_with_numpy(case, impl):
    try:
        out, state = _call_once(impl)
    except case.expected_errors:
        assert not impl.name.startswith(harness.OURS), "autograd_lite must not raise here"
        return
    if case.kind == "value":
        assert np.isfinite(float(out)) and float(out) > 0
    if state is None or case.reference is None or impl.name == case.reference:
        return
    reference = next(i for i in case.impls if i.name == case.reference)
    _, ref_state = _call_once(reference)
    states = {impl.name: harness.flatten(state()), reference.name: harness.flatten(ref_state())}
    assert states[impl.name].size > 0
    harness.compare_states(case, states)


def test_every_case_has_autograd_lite_and_the_numpy_floor_where_timed():
    assert {c.workload for c in CASES} == {
        "1. Scalar MLP",
        "2. Tensor MLP",
        "3. Op overhead",
        "4. Hessian",
        "5. Depth",
        "6. Digits MLP",
        "7. Forward mode",
        "8. Jacobian",
        "9. Taylor derivative",
        "10. Compiled",
    }
    for case in CASES:
        assert any(i.name.startswith(harness.OURS) for i in case.impls)
        if case.kind == "time":
            assert any(i.name == harness.NUMPY for i in case.impls)


def test_a_wrong_implementation_is_caught_before_timing():
    def build(offset):
        x = np.arange(3.0) + offset
        return lambda: (lambda: x.sum(), lambda: x)

    case = harness.Case(
        "w",
        "c",
        [harness.Impl(harness.NUMPY, build(0.0)), harness.Impl(harness.OURS, build(1e-3))],
        repeats=2,
    )
    with pytest.raises(harness.MismatchError, match="autograd_lite disagrees"):
        harness.measure_case(case, log=lambda *a, **k: None)


def test_measure_case_reports_medians_ratios_and_expected_errors():
    def ok(value):
        return lambda: (lambda: value, None)

    def deep():
        def fn():
            raise RecursionError("maximum recursion depth exceeded")

        return fn, None

    case = harness.Case(
        "w",
        "c",
        [
            harness.Impl(harness.OURS, ok(2.0)),
            harness.Impl("peer", ok(8.0)),
            harness.Impl("recursive peer", deep),
            harness.Impl("absent peer", ok(1.0), requires=("no_such_module_for_sure",)),
        ],
        kind="value",
        unit="B/node",
        repeats=3,
        expected_errors=(RecursionError,),
        reference=None,
    )
    rows = {r.impl: r for r in harness.measure_case(case, log=lambda *a, **k: None)}
    assert rows[harness.OURS].value == 2.0 and rows[harness.OURS].samples == [2.0] * 3
    assert rows["peer"].x_fastest == 4.0 and rows[harness.OURS].x_fastest == 1.0
    assert rows["recursive peer"].value is None
    assert rows["recursive peer"].note.startswith("RecursionError")
    assert rows["absent peer"].note == "not installed: no_such_module_for_sure"


def test_micrograd_recursion_error_shows_in_the_depth_table():
    pytest.importorskip("micrograd")
    case = ALL["depth"].cases(smoke=True)[-1]  # 2,000 ops: past micrograd's recursion limit
    rows = {r.impl: r for r in harness.measure_case(case, log=lambda *a, **k: None)}
    assert rows[harness.OURS].value > 0
    assert rows["micrograd 0.1.0"].value is None
    assert rows["micrograd 0.1.0"].note.startswith("RecursionError")


def test_targets_are_judged_from_rows():
    def row(workload, case, impl, value, unit="s", cpu=None, threads=1):
        return harness.Row(workload, case, impl, value, unit, cpu=cpu, threads=threads)

    rows = [
        row("1. Scalar MLP", "2-16-16-1, batch 32", harness.OURS, 1.0, cpu=1.0),
        row("1. Scalar MLP", "2-16-16-1, batch 32", "micrograd 0.1.0", 5.0, cpu=5.0),
        row("6. Digits MLP", "64-128-10", harness.OURS, 3.0, cpu=1.0),
        row("6. Digits MLP", "64-128-10", "PyTorch (1 thread)", 2.0, cpu=2.0),  # CPU: 0.5
        row("4. Hessian", "A 50x100", harness.OURS + " hessian", 3.0, cpu=3.0),
        row(
            "4. Hessian", "A 50x100", "torch.autograd.functional.hessian", 2.0, cpu=4.0, threads=2
        ),  # multi-threaded: judged on wall time, 1.5
        row("1. Scalar MLP", "memory", harness.OURS, 500.0, "B/node"),
        row("5. Depth", "1e4", harness.OURS, 1e-6, "s/op"),
        row("5. Depth", "1e6", harness.OURS, 2e-6, "s/op"),
    ]
    judged = {t["target"]: t for t in targets.evaluate(rows)}
    scalar = judged["scalar MLP step <= 0.25x micrograd's time"]
    assert scalar["measured"] == pytest.approx(0.2) and scalar["met"] is True
    assert judged["<= 400 bytes per node"]["met"] is False
    flat = next(t for name, t in judged.items() if name.startswith("backward time per op"))
    assert flat["measured"] == pytest.approx(2.0) and flat["met"] is False
    assert judged["op chain <= 2x numpy by hand"]["met"] is None
    digits = next(t for name, t in judged.items() if name.startswith("digits"))
    assert digits["measured"] == pytest.approx(0.5) and "CPU time" in digits["detail"]
    hessian = next(t for name, t in judged.items() if name.startswith("Hessian"))
    assert hessian["measured"] == pytest.approx(1.5) and "wall time" in hessian["detail"]


def test_run_writes_table_json_markdown_and_png(tmp_path, capsys):
    code = run.main(
        [
            "--smoke",
            "--only",
            "op_overhead",
            "--repeats",
            "2",
            "--keep-openblas-env",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "== 3. Op overhead" in printed and "x numpy" in printed
    doc = json.loads((tmp_path / "latest.json").read_text())
    ours = [r for r in doc["rows"] if r["impl"] == harness.OURS]
    assert len(ours) == 1 and ours[0]["value"] > 0 and len(ours[0]["samples"]) == 2
    assert doc["machine"]["numpy"] == np.__version__
    assert "| autograd_lite |" in (tmp_path / "latest.md").read_text()
    assert (tmp_path / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
