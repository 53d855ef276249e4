"""The installed `autograd-lite` command, run in a subprocess as a user would run it.

The tests that run dozens of command lines (bad input, option orders) call the command's
own `main` in this process instead (`run_here`): the same code after Python's start-up,
which is most of a subprocess's time.
"""

import contextlib
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograd_lite.demo import examples

from .helpers import needs_dot

BIN = os.path.dirname(sys.executable)
COMMAND = shutil.which("autograd-lite", path=BIN) or shutil.which("autograd-lite")


def run(*args, cwd=None, env=None):
    """Run the installed command; returns (exit status, stdout, stderr)."""
    if COMMAND is None:
        pytest.fail(
            "the autograd-lite command is not installed: run `make setup` (pip install -e .)"
        )
    p = subprocess.run(
        [COMMAND, *args], check=False, capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )
    return p.returncode, p.stdout, p.stderr


def run_json(*args):
    status, out, err = run(*args, "--json")
    assert status == 0, err
    return json.loads(out)


def _json_here(*args):
    status, out, err = run_here(*args, "--json")
    assert status == 0, err
    return json.loads(out)


def run_many(calls, cwd=None):
    """Run several commands at once (each is mostly Python start-up)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: run(*args, cwd=cwd), calls))


def run_here(*args, cwd=None):
    """`run`, calling the command's `main` in this process (in `cwd`, if given)."""
    from autograd_lite.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            status = main(list(args))
        except SystemExit as e:  # argparse's --help and --version exit
            status = e.code
    return status, out.getvalue(), err.getvalue()


def test_grad_prints_the_value_and_each_partial_derivative():
    status, out, err = run("grad", "sin(x**2)", "--at", "x=1.5")
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "f(x) = sin(x**2)",
        "at x = 1.5",
        f"f     = {math.sin(2.25)!r}",
        f"df/dx = {math.cos(2.25) * 3!r}",
    ]
    partials = examples.PARTIALS  # 3x^2 + 2xy at (1, 2): [6x + 2y, 2x]
    record = run_json("grad", partials.formula, "--at", "x=1,y=2")
    assert record["variables"] == ["x", "y"] and record["at"] == {"x": 1.0, "y": 2.0}
    assert record["value"] == partials.value
    assert record["gradient"] == list(partials.gradient)


def test_jacobian_of_the_worked_example():
    record = run_json("jacobian", "[x**2 + y, sin(x*y)]", "--at", "x=1,y=2")
    c = math.cos(2.0)
    assert record["value"] == [3.0, math.sin(2.0)]
    assert record["jacobian"] == [[2.0, 1.0], [2 * c, 1 * c]]  # [[2x, 1], [y cos(xy), x cos(xy)]]
    status, out, _ = run("jacobian", "[x**2 + y, sin(x*y)]", "--at", "x=1,y=2")
    assert status == 0
    rows = [line.split() for line in out.splitlines()[-3:]]
    assert rows == [["x", "y"], ["f0", "2.0", "1.0"], ["f1", repr(2 * c), repr(c)]]


def test_hessian_of_the_worked_example_everywhere():
    for at in ("x=0,y=0", "x=1.5,y=-3"):
        record = run_json("hessian", "x**2 + x*y + y**2", "--at", at)
        assert record["hessian"] == [[2.0, 1.0], [1.0, 2.0]]
    status, out, _ = run("hessian", "x**2 + x*y + y**2", "--at", "x=0,y=0")
    assert status == 0
    assert [line.split() for line in out.splitlines()[-3:]] == [
        ["x", "y"],
        ["x", "2.0", "1.0"],
        ["y", "1.0", "2.0"],
    ]


def test_derivative_of_any_order():
    record = run_json("derivative", "sin(x)", "--order", "4", "--at", "x=0.3")
    assert record["derivative"] == pytest.approx(math.sin(0.3), rel=1e-15)
    assert record["order"] == 4 and record["variable"] == "x"
    status, out, _ = run("derivative", "x**2", "--at", "x=3")  # the worked example: f'(3) = 6
    assert status == 0 and out.splitlines()[-1] == "df/dx = 6.0"
    record = run_json("derivative", "x**3 * y", "--order", "2", "--wrt", "x", "--at", "x=2,y=5")
    assert record["derivative"] == 6 * 2 * 5


def test_a_formula_may_start_with_a_minus_sign():
    assert run_json("grad", "-x**2", "--at", "x=3")["gradient"] == [-6.0]
    assert run_json("grad", "--at", "x=3", "-x")["gradient"] == [-1.0]
    status, out, _ = run("grad", "--json", "--at", "x=3", "--", "-sin(x)")
    assert status == 0 and json.loads(out)["value"] == -math.sin(3.0)


def test_options_and_formula_in_any_order_abbreviated_and_errors_name_only_what_was_typed():
    expected = _json_here("derivative", "x**3*y", "--order", "2", "--wrt", "x", "--at", "x=2,y=5")
    for argv in (
        ["derivative", "--at", "x=2,y=5", "x**3*y", "--wrt", "x", "--order", "2"],
        ["derivative", "--ord", "2", "--w", "x", "--a", "x=2,y=5", "x**3*y"],
        ["derivative", "--order=2", "--wrt=x", "--at=x=2,y=5", "--", "x**3*y"],
    ):
        status, out, err = run_here(argv[0], "--json", *argv[1:])
        assert status == 0 and json.loads(out)["derivative"] == expected["derivative"] == 60.0, err
    status, out, err = run_here("grad", "--at", "x=1", "--json", "--", "-x")
    assert status == 0 and json.loads(out)["gradient"] == [-1.0], err
    assert _json_here("grad", "--at", "x=2", "-x**2")["gradient"] == [-4.0]
    status, _, err = run_here("grad", "--bogus", "x", "--at", "x=1")
    assert status == 2 and "unrecognized arguments: --bogus " in err
    status, _, err = run_here("grad", "x", "--at", "x=1", "--ti", "3", "--nope")
    assert status == 2 and "unrecognized arguments: --nope " in err
    status, _, err = run_here("check", "x", "--at", "x=1", "--a", "1")
    assert status == 2 and "ambiguous option: --a could match --at, --atol" in err
    for args in (["grad", "--bogus", "x", "--at", "x=1"], ["grad", "x", "y"]):
        status, _, err = run_here(*args)
        assert status == 2 and " -- " not in err and "--at" not in err.split("(see")[0], err


def test_version_constants_and_did_you_mean():
    import autograd_lite

    status, out, err = run("--version")
    assert (status, out, err) == (0, f"autograd-lite {autograd_lite.__version__}\n", "")
    record = run_json("grad", "sin(pi*x) + e", "--at", "x=1")
    assert record["variables"] == ["x"] and record["value"] == math.sin(math.pi) + math.e
    status, _, err = run("grad", "x", "--vars", "x,pi", "--at", "x=1")
    assert status == 2 and "'pi' is the constant" in err
    status, _, err = run("grad", "sine(x)", "--at", "x=1")
    assert status == 2 and "did you mean 'sin'?" in err and len(err.splitlines()) == 1


def test_a_derivative_that_grows_too_large_gives_up_at_the_timeout():
    # Taylor mode costs O(order^2) per op: order 300000 would still run for minutes.
    status, out, err = run(
        "derivative", "sin(x)*exp(x)", "--order", "300000", "--at", "x=1", "--timeout", "1"
    )
    assert status == 1 and out == ""
    assert err.startswith("autograd-lite: error: gave up after 1 s (--timeout)")
    assert len(err.splitlines()) == 1


def test_vars_orders_the_variables_and_may_add_unused_ones():
    record = run_json("grad", "x*y", "--vars", "y,x,z", "--at", "x=2,y=3,z=7")
    assert record["variables"] == ["y", "x", "z"]
    assert record["gradient"] == [2.0, 3.0, 0.0]


def test_numbers_round_trip_and_non_finite_ones_are_json_strings():
    record = run_json("grad", "x / 3 + 1/y", "--at", "x=0.1,y=0")
    assert record["value"] == "inf"
    assert record["gradient"][0] == 1 / 3  # repr precision: the exact same float
    assert record["gradient"][1] == "-inf"
    assert run_json("grad", "9**9**9 + x", "--at", "x=1")["value"] == "inf"


def test_check_passes_on_smooth_formulas_and_fails_with_status_1_at_a_kink():
    status, out, err = run("check", "tanh(x*y) + x**3", "--at", "x=0.5,y=-1")
    assert (status, err) == (0, "")
    assert "gradcheck: passed" in out and "gradgradcheck: passed" in out
    record = run_json("check", "[x**2 + y, sin(x*y)]", "--at", "x=1,y=2")
    assert record["passed"] and record["gradcheck"]["passed"] and record["gradgradcheck"]["passed"]
    status, out, err = run("check", "relu(x)", "--at", "x=0")  # analytical 0, numerical 1/2
    assert status == 1
    assert "gradcheck: FAILED" in out and "0.5" in out
    assert len(err.splitlines()) == 1 and "gradcheck" in err and "Traceback" not in err
    status, out, err = run("check", "x/y", "--at", "x=0,y=0")  # inf - inf in the differences
    assert status == 1 and "FAILED" in out
    assert len(err.splitlines()) == 1 and "Warning" not in err


@needs_dot
def test_draw_writes_an_svg_with_the_graph(tmp_path):
    target = tmp_path / "graph.svg"
    status, out, err = run(
        "draw", "sin(x**2)", "--at", "x=1.5", "-o", str(target), "--direction", "both"
    )
    assert (status, err) == (0, "")
    assert out == f"wrote {target} (both graph of sin(x**2))\n"
    svg = target.read_text()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "sin" in svg and "stroke-dasharray" in svg  # the op, and dashed backward edges
    dot = tmp_path / "graph.dot"
    assert run("draw", "x*y", "--at", "x=1,y=2", "-o", str(dot))[0] == 0
    assert "digraph" in dot.read_text()
    status, _, err = run("draw", "x", "--at", "x=1", "-o", str(tmp_path / "graph.txt"))
    assert status == 2 and ".svg" in err
    assert not (tmp_path / "graph.txt").exists()


def test_draw_takes_max_nodes_and_refuses_bad_values(tmp_path):
    """--max-nodes is draw_graph's max_nodes=; a bad value is one line on stderr (status 2),
    no traceback, no file. There is no --collapse: a formula has no modules to fold."""
    dot = tmp_path / "g.dot"
    formula = "sin(x*y) + exp(x) * (x + y) ** 2"
    status, _, err = run_here(
        "draw", formula, "--at", "x=1,y=2", "-o", str(dot), "--max-nodes", "4"
    )
    assert (status, err) == (0, "")
    source = dot.read_text()
    assert "max_nodes=4" in source  # the summary box
    assert len(re.findall(r"^\s*\w+ \[label=", source, flags=re.M)) <= 5
    for bad, words in [
        (["--max-nodes", "0"], "--max-nodes"),
        (["--max-nodes", "many"], "--max-nodes"),
        (["--max-nodes", "2.5"], "--max-nodes"),
        (["--collapse"], "--collapse"),  # an option that could do nothing is refused
    ]:
        target = tmp_path / "bad.svg"
        status, out, err = run_here("draw", formula, "--at", "x=1,y=2", "-o", str(target), *bad)
        assert status == 2 and out == "", (bad, err)
        assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err
        assert not target.exists()
    status, _, err = run_here(
        "draw", "x*y", "--at", "x=1,y=2", "-o", str(tmp_path / "e.html"), "--max-nodes", "3"
    )
    assert status == 2 and "--max-nodes" in err and ".html" in err


def test_every_command_has_help_with_an_example_and_python_m_is_the_same_command():
    commands = ["demo", "grad", "jacobian", "hessian", "derivative", "check", "draw", "explain"]
    results = [run_here(c, "--help") for c in commands] + [run_here("--help")]
    for command, (status, out, _) in zip(commands, results):
        assert status == 0
        assert "example:" in out and f"autograd-lite {command}" in out
    assert all(c in results[-1][1] for c in commands)
    p = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "grad", "sin(x**2)", "--at", "x=1.5"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0 and p.stdout == run("grad", "sin(x**2)", "--at", "x=1.5")[1]


# At least 30 hostile or malformed command lines: each exits with status 2 and one line on
# stderr, no traceback.
HOSTILE = [
    "__import__('os').system('touch PWNED')",
    "__import__('os')",
    "open('PWNED', 'w')",
    "open('x','w')",
    'exec(\'open("PWNED", "w")\')',
    "eval('1')",
    "globals()",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "'touch PWNED'",
    "lambda: x",
    "[open('PWNED','w') for i in [1]]",
    "sin(x=1)",
    "sin(*[x])",
    "x[0]",
    "unknown_function(x)",
    "True + x",
    "1j * x",
    "(x := 2)",
    "f'{x}'",
    "max(x)",
    "sin(x, x)",
    "x if x else 1",
    "x < 1",
    "x % 2",
    "(x, 1)",
    "[[x]]",
    "x +",
    "",
    "(" * 101 + "x" + ")" * 101,
    "x" * 10_001,
    "-" * 9_000 + "x",
    "1" * 5_000,
    "x\nimport os",
    "sin",
    "__builtins__",
    "1if x else 2",  # Python's parser would print a SyntaxWarning for this one
    "x is 1",
]


def test_hostile_formulas_exit_2_with_one_line_and_touch_nothing(tmp_path):
    assert len(HOSTILE) >= 30
    calls = [["grad", source, "--at", "x=1"] for source in HOSTILE]
    results = [run_here(*args, cwd=tmp_path) for args in calls]
    for source, (status, out, err) in zip(HOSTILE, results):
        assert status == 2, (source, err)
        assert out == "", source
        assert len(err.splitlines()) == 1, (source, err)
        assert err.startswith("autograd-lite: error: bad formula: "), (source, err)
        assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing was created: no PWNED, no x
    # In this process pytest captures warnings; a child shows whether Python's SyntaxWarning
    # for this one reaches stderr.
    status, out, err = run("grad", "1if x else 2", "--at", "x=1", cwd=tmp_path)
    assert (status, out, len(err.splitlines())) == (2, "", 1), err


def test_bad_command_lines_are_usage_errors_with_status_2():
    calls = [
        ["grad", "x + y", "--at", "x=1"],  # missing variable
        ["grad", "x", "--at", "x=1,z=2"],  # unknown variable
        ["grad", "x", "--at", "x=abc"],  # not a number
        ["grad", "x", "--at", "x"],  # malformed
        ["grad", "x", "--vars", "1x", "--at", "x=1"],
        ["grad", "[x, y]", "--at", "x=1,y=2"],  # a vector: use jacobian
        ["grad", "2 + 3"],  # nothing to differentiate
        ["derivative", "x*y", "--at", "x=1,y=2"],  # which variable?
        ["derivative", "x", "--at", "x=1", "--order", "-1"],
        ["derivative", "x", "--at", "x=1", "--order", "two"],
        ["draw", "x", "--at", "x=1"],  # -o is required
        ["grad"],
        ["frobnicate"],
        [],
    ]
    for args, (status, _out, err) in zip(calls, [run_here(*args) for args in calls]):
        assert status == 2, (args, err)
        assert len(err.splitlines()) == 1, (args, err)
        assert err.startswith("autograd-lite"), (args, err)
        assert "Traceback" not in err


@needs_dot
def test_demo_runs_the_main_job_and_writes_its_files(tmp_path):
    out_dir = tmp_path / "out"
    status, out, err = run("demo", "--quick", "--out", str(out_dir), "--json")
    assert status == 0, err
    record = json.loads(out)
    rows = record["backprop"]
    assert [r["name"] for r in rows] == ["weight[0, 0]", "weight[0, 1]", "weight[0, 2]", "bias[0]"]
    by_hand = [*examples.BACKPROP.dL_dw, examples.BACKPROP.dL_db]  # [3.45, -1.15, 4.6, 2.3]
    assert [r["engine"] for r in rows] == pytest.approx(by_hand, rel=1e-12)
    for row in rows:  # chain rule by hand, engine and finite differences agree
        assert row["engine"] == pytest.approx(row["product"], rel=1e-12)
        assert row["finite_difference"] == pytest.approx(row["engine"], rel=1e-6)
    assert len(record["checks"]) == 3
    assert all(r["gradcheck"] and r["gradgradcheck"] for r in record["checks"])
    assert record["checks"][-1]["hessian"] == [list(row) for row in examples.HESSIAN.hessian]
    assert record["test_accuracy"] >= 0.9  # 5 epochs only in --quick (the full demo: 40)
    names = sorted(os.path.basename(f) for f in record["files"])
    assert names == [
        "backprop_backward.svg",
        "backprop_both.svg",
        "backprop_explorer.html",
        "backprop_forward.svg",
        "digits_loss.png",
        "digits_mlp.npz",
    ]
    for f in record["files"]:
        assert os.path.getsize(f) > 1000
    assert (out_dir / "digits_loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "stroke-dasharray" in (out_dir / "backprop_both.svg").read_text()  # backward edges
    assert "digits:" in err and "step/s" in err  # the tqdm progress bar


def test_without_graphviz_the_demo_and_draw_lay_the_svg_out_themselves_and_say_so(tmp_path):
    no_dot = {**os.environ, "PATH": str(tmp_path / "empty")}  # no `dot` anywhere on PATH
    status, out, err = run("demo", "--quick", "--out", str(tmp_path / "out"), env=no_dot)
    assert status == 0, err
    install = [line for line in out.splitlines() if "install Graphviz" in line]
    assert len(install) == 1 and "'dot' program is not installed" in install[0]
    assert "laid out by autograd_lite" in install[0] and "Warning" not in err
    drawings = sorted(p.name for p in (tmp_path / "out").glob("backprop_*"))
    assert drawings == [
        "backprop_backward.svg",
        "backprop_both.svg",
        "backprop_explorer.html",  # the explorer needs no Graphviz
        "backprop_forward.svg",
    ]
    picture = (tmp_path / "out" / "backprop_both.svg").read_text()
    assert "<svg" in picture and "∂L/∂(a - 0.2) = 2.3" in picture
    target = tmp_path / "g.svg"
    status, out, err = run("draw", "sin(x)", "--at", "x=1", "-o", str(target), env=no_dot)
    assert status == 0 and out.startswith(f"wrote {target}") and len(err.splitlines()) == 1
    assert "note: the Graphviz 'dot' program was not found" in err and "apt-get install" in err
    assert ">sin</text>" in target.read_text() and ">f</text>" in target.read_text()
    target = tmp_path / "g.png"  # a PNG needs Graphviz: the DOT source instead, status 1
    status, out, err = run("draw", "sin(x)", "--at", "x=1", "-o", str(target), env=no_dot)
    assert status == 1 and out == "" and len(err.splitlines()) == 1
    assert f"{target} not written" in err and "install Graphviz" in err
    assert not target.exists() and "sin" in (tmp_path / "g.dot").read_text()


def test_an_unexpected_error_is_one_line_with_status_1_never_a_traceback(monkeypatch, capsys):
    from autograd_lite.cli import command as cli

    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "cmd_grad", broken)
    assert cli.main(["grad", "x", "--at", "x=1"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "autograd-lite: error: RuntimeError: boom second line\n"


def test_the_demo_reports_a_failed_check_and_exits_1(monkeypatch, capsys, tmp_path):
    from autograd_lite.gradcheck import GradcheckError

    from autograd_lite.cli import command as cli
    from autograd_lite.demo import demo

    def wrong(f, inputs, **tolerances):
        raise GradcheckError("gradgradcheck: numerical 2.0 against analytical 3.0")

    monkeypatch.setattr(demo, "gradgradcheck", wrong)
    assert cli.main(["demo", "--quick", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.count("gradcheck passed, gradgradcheck FAILED") == 3
    assert "numerical 2.0 against analytical 3.0" in captured.out
    assert (
        captured.err.splitlines()[-1] == "autograd-lite: error: a gradient check of the demo failed"
    )


def test_order_zero_prints_f_once_and_a_negative_timeout_is_a_usage_error():
    status, out, err = run("derivative", "x**3", "--order", "0", "--at", "x=2")
    assert status == 0 and out.count("= 8.0") == 1
    status, out, err = run("grad", "x**3", "--at", "x=2", "--timeout=-5")
    assert status == 2 and "--timeout" in err and len(err.strip().splitlines()) == 1


def test_formulas_starting_with_minus_and_bad_option_values(tmp_path):
    status, out, err = run_here("grad", "-h*x", "--at", "h=2,x=1")
    assert status == 0 and "df/dx = -2.0" in out
    status, out, err = run_here("grad", "-omega*t", "--at", "omega=2,t=1")
    assert status == 0 and "df/dt" in out
    for argv in (
        ["grad", "x", "--at", "x=1", "--timeout", "nan"],
        ["check", "x**2", "--at", "x=1", "--eps", "0"],
        ["check", "x**2", "--at", "x=1", "--atol=-1"],
        ["draw", "x", "--at", "x=1", "-o", str(tmp_path / "missing" / "g.svg")],
    ):
        status, out, err = run_here(*argv)
        assert status == 2 and len(err.strip().splitlines()) == 1, (argv, err)
    assert not (tmp_path / "missing").exists()


def test_check_fails_where_the_derivative_is_undefined():
    status, out, _ = run("check", "sqrt(x)", "--at", "x=-1")
    assert status == 1 and "gradcheck: FAILED" in out


# ---- --timeout is a time limit, and memory within it stays bounded ------------------------


def _run_timed(argv):
    """Run `argv` in a child: (exit status, stderr, seconds taken)."""
    import time

    start = time.monotonic()
    p = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr, time.monotonic() - start


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmHWM (Linux)")
def test_a_computation_that_grows_stops_at_the_memory_limit_promptly():
    # Nested reverse mode once doubled the graph of sin(x)*exp(x) with each order of
    # derivative: without a memory limit that ran for the whole --timeout (30 s), reached
    # gigabytes, then spent seconds freeing them. Taylor mode now grows polynomially, so
    # the limit is shown on a computation that keeps allocating, as such a graph did.
    code = (
        "import re, sys\n"
        "from autograd_lite.cli import command\n"
        "command._MEMORY_LIMIT = 64 * 2**20\n"
        "hoard = []\n"
        "try:\n"
        "    with command._time_limit(30):\n"
        "        while True:\n"
        "            hoard.append(b'x' * 2**20)\n"
        "except command.CommandFailed as e:\n"
        "    hoard.clear()\n"
        "    print(e, file=sys.stderr)\n"
        # the peak of this process alone: ru_maxrss would start at the parent's peak
        "print(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1],"
        " file=sys.stderr)\n"
    )
    status, err, seconds = _run_timed([sys.executable, "-c", code])
    message, peak_kib = err.splitlines()
    assert status == 0, err
    assert message.startswith("gave up at 64 MiB of memory")
    assert seconds < 20, f"took {seconds:.1f} s"
    assert int(peak_kib) < 200 * 1024, f"peak {int(peak_kib) // 1024} MiB"


def test_the_timeout_ends_the_command_near_the_limit():
    status, err, seconds = _run_timed(
        [COMMAND, "derivative", "sin(exp(x))", "--order", "300000", "--at", "x=0.3"]
        + ["--timeout", "2"]
    )
    assert status == 1 and len(err.splitlines()) == 1
    assert err.startswith("autograd-lite: error: gave up after 2 s (--timeout)")
    assert seconds < 2 + 4, f"took {seconds:.1f} s"  # start-up (slow on a busy machine), freeing


def test_a_timeout_swallowed_once_is_raised_again(recwarn):
    # A signal handler's exception raised inside __del__ (or a gc or weakref callback) is
    # only printed, never propagated: a one-shot alarm was then lost for good.
    import time

    from autograd_lite.cli import command as cli

    class SlowToFree:
        def __del__(self):
            if time.monotonic() - start < 0.5:
                time.sleep(0.5)  # the first raise, at 0.2 s, lands in here and is lost

    def work():
        end = time.monotonic() + 5
        while time.monotonic() < end:
            SlowToFree()
            sum(range(10_000))  # later ticks land out here, not in the (now quick) __del__

    start = time.monotonic()
    with pytest.raises(cli.CommandFailed, match=r"gave up after 0.2 s"), cli._time_limit(0.2):
        work()
    assert time.monotonic() - start < 3  # raised again a second after the lost one
