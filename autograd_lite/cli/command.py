"""The `autograd-lite` command: the demo, and derivatives of any formula from the shell.

    autograd-lite demo [--out DIR]
    autograd-lite grad 'sin(x**2)' --at x=1.5
    autograd-lite jacobian '[x**2 + y, sin(x*y)]' --at x=1,y=2
    autograd-lite hessian 'x**2 + x*y + y**2' --at x=0,y=0
    autograd-lite derivative 'sin(x)' --order 4 --at x=0.3
    autograd-lite check 'tanh(x*y)' --at x=0.5,y=-1
    autograd-lite draw 'sin(x**2)' --at x=1.5 -o graph.svg --direction both
    autograd-lite draw 'sin(x**2)' --at x=1.5 -o graph.html      (the explorer: step by step)
    autograd-lite explain 'sin(x**2)' --at x=1.5

`python -m autograd_lite` is the same command; `--version` prints the version. Options
and the formula come in any order, long options may be abbreviated, and a formula may
start with '-'; argv is never rewritten (`_Parser` decides what is an option). The demo
itself lives in `autograd_lite.demo.demo`. Formulas are read by
`autograd_lite.cli.formula` (a whitelist, never `eval`). Every command takes
`--json`; numbers are printed with `repr`, so they read back to the same float.
Exit status: 0 on success, 1 when a check fails (or something else goes wrong
at run time), 2 for a usage error (a bad formula, a bad --at, a bad option).
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import textwrap
import time
import warnings

from .. import __version__
from ..core.value import Value
from ..transforms.functional import derivative, hessian, jacobian, value_and_grad
from ..transforms.gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import formula as formula_lang
from .formula import FormulaError

PROG = "autograd-lite"


class UsageError(Exception):
    """The command line is wrong: exit status 2."""


class CommandFailed(Exception):
    """The command ran but its answer is negative (a failed check) or it could not finish:
    exit status 1."""


# ---------------------------------------------------------------------------------------
# Derivatives of a formula, by the transforms of autograd_lite.functional.


def _argnums(f):
    """Differentiate with respect to every variable (one positional argument each)."""
    return tuple(range(len(f.variables)))


def check_report(check, f, point, **tolerances):
    """None if `check` (gradcheck or gradgradcheck) passes for `f` at `point`, else its report.

    Used by `check` and by the demo; the tolerances go to the check as keywords.
    """
    try:
        check(f, tuple(point), **tolerances)
    except GradcheckError as e:
        return str(e)
    return None


# ---------------------------------------------------------------------------------------
# Output: repr-precision numbers, text or JSON.


def _num(x) -> str:
    """A float as the shortest text that reads back to the same float ('inf', 'nan' too)."""
    return repr(float(x))


def _jsonable(obj):
    """Floats, lists and dicts for json.dumps; inf and nan become the strings 'inf', 'nan'
    (JSON has no such numbers)."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (str, bool, int)) or obj is None:
        return obj
    x = float(obj)
    return x if math.isfinite(x) else repr(x)


def _print_json(data):
    print(json.dumps(_jsonable(data)))


def _table(rows, row_names, col_names):
    """Lines of a matrix with named rows and columns, numbers in repr precision."""
    cells = [[""] + list(col_names)] + [
        [r] + [_num(v) for v in row] for r, row in zip(row_names, rows)
    ]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]


def _header(f, point):
    args = ", ".join(f.variables)
    lines = [f"f({args}) = {f.source}"]
    if f.variables:
        lines.append("at " + ", ".join(f"{n} = {_num(v)}" for n, v in zip(f.variables, point)))
    return lines


def _base_record(command, f, point):
    return {
        "command": command,
        "formula": f.source,
        "variables": list(f.variables),
        "at": dict(zip(f.variables, point)),
    }


# ---------------------------------------------------------------------------------------
# The formula commands.


def _load(args, need_variables=True):
    """The parsed formula and the point from --at; UsageError on either being wrong."""
    variables = None
    if args.vars is not None:
        try:
            variables = formula_lang.check_variables(v for v in args.vars.split(",") if v.strip())
        except FormulaError as e:
            raise UsageError(f"bad --vars: {e}") from None
    try:
        f = formula_lang.parse(args.formula, variables)
    except FormulaError as e:
        raise UsageError(f"bad formula: {e}") from None
    try:
        point = formula_lang.parse_point(args.at, f.variables)
    except FormulaError as e:
        raise UsageError(f"bad --at: {e}") from None
    if need_variables and not f.variables:
        raise UsageError(
            f"the formula {f.source!r} has no variables, so there is nothing to differentiate "
            "(name some with --vars)"
        )
    return f, point


def _need_scalar(f, command, instead):
    if f.is_vector:
        raise UsageError(
            f"{command} needs a formula with one output, but {f.source!r} has {f.n_outputs}; "
            f"{instead}"
        )


def cmd_grad(args):
    f, point = _load(args)
    _need_scalar(f, "grad", "use jacobian")
    value, gradient = value_and_grad(f, _argnums(f))(*point)
    if args.json:
        _print_json({**_base_record("grad", f, point), "value": value, "gradient": gradient})
        return 0
    names = [f"df/d{n}" for n in f.variables]
    width = max(len(n) for n in names)
    lines = _header(f, point) + ["f".ljust(width) + " = " + _num(value)]
    lines += [n.ljust(width) + " = " + _num(g) for n, g in zip(names, gradient)]
    print("\n".join(lines))
    return 0


def cmd_jacobian(args):
    f, point = _load(args)
    value = f(*point)
    values = value if f.is_vector else [value]
    rows = jacobian(f, _argnums(f))(*point)  # [output][variable]; a scalar f gives one row
    rows = rows if f.is_vector else [rows]
    if args.json:
        _print_json({**_base_record("jacobian", f, point), "value": values, "jacobian": rows})
        return 0
    outs = [f"f{i}" for i in range(len(values))]
    lines = _header(f, point)
    lines.append("f = [" + ", ".join(_num(v) for v in values) + "]")
    lines.append(f"Jacobian J[i][j] = d f_i / d x_j ({len(rows)} x {len(f.variables)}):")
    lines += _table(rows, outs, f.variables)
    print("\n".join(lines))
    return 0


def cmd_hessian(args):
    f, point = _load(args)
    _need_scalar(f, "hessian", "take the Hessian of one output at a time")
    value = f(*point)
    rows = hessian(f, _argnums(f))(*point)
    if args.json:
        _print_json({**_base_record("hessian", f, point), "value": value, "hessian": rows})
        return 0
    n = len(f.variables)
    lines = _header(f, point) + ["f = " + _num(value)]
    lines.append(f"Hessian H[i][j] = d2f / dx_i dx_j ({n} x {n}):")
    lines += _table(rows, f.variables, f.variables)
    print("\n".join(lines))
    return 0


def cmd_derivative(args):
    f, point = _load(args)
    _need_scalar(f, "derivative", "use jacobian")
    if args.order < 0:
        raise UsageError(f"--order must be >= 0, got {args.order}")
    wrt = args.wrt
    if wrt is None:
        if len(f.variables) > 1:
            raise UsageError(
                f"the formula has several variables ({', '.join(f.variables)}): say which one "
                "to differentiate with --wrt"
            )
        wrt = f.variables[0]
    if wrt not in f.variables:
        raise UsageError(
            f"--wrt {wrt!r} is not a variable of the formula ({', '.join(f.variables)})"
        )
    i = f.variables.index(wrt)

    def along(t):  # f as a function of `wrt` alone, the other variables held at the point
        return f(*point[:i], t, *point[i + 1 :])

    value = f(*point)
    result = derivative(along, args.order)(point[i])
    if args.json:
        record = _base_record("derivative", f, point)
        record.update(variable=wrt, order=args.order, value=value, derivative=result)
        _print_json(record)
        return 0
    n = args.order
    name = "f" if n == 0 else f"df/d{wrt}" if n == 1 else f"d^{n}f/d{wrt}^{n}"
    lines = _header(f, point) + ["f = " + _num(value)]
    if n > 0:  # order 0 is f itself, already printed
        lines.append(f"{name} = {_num(result)}")
    print("\n".join(lines))
    return 0


def cmd_check(args):
    if not (math.isfinite(args.eps) and args.eps > 0):
        raise UsageError(f"--eps must be a positive finite step, got {args.eps:g}")
    for name in ("atol", "rtol"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            raise UsageError(f"--{name} must be a finite number >= 0, got {value:g}")
    f, point = _load(args)
    tolerances = {"eps": args.eps, "atol": args.atol, "rtol": args.rtol}
    # strict: the command fails at a kink, where no single derivative is right.
    first = check_report(gradcheck, f, point, strict=True, **tolerances)
    second = check_report(gradgradcheck, f, point, **tolerances)
    passed = first is None and second is None
    if args.json:
        record = _base_record("check", f, point)
        record.update(
            eps=args.eps,
            atol=args.atol,
            rtol=args.rtol,
            passed=passed,
            gradcheck={"passed": first is None, "report": first},
            gradgradcheck={"passed": second is None, "report": second},
        )
        _print_json(record)
    else:
        lines = _header(f, point)
        lines.append(f"tolerances: eps={args.eps!r}, atol={args.atol!r}, rtol={args.rtol!r}")
        lines.append("inputs: " + ", ".join(f"input {i} = {n}" for i, n in enumerate(f.variables)))
        for name, report in (("gradcheck", first), ("gradgradcheck", second)):
            lines.append(f"{name}: " + ("passed" if report is None else "FAILED"))
            if report is not None:
                lines += ["  " + line for line in report.splitlines()]
        print("\n".join(lines))
    if not passed:
        failed = " and ".join(n for n, r in (("gradcheck", first), ("gradgradcheck", second)) if r)
        raise CommandFailed(f"{failed} failed for {f.source!r} at the given point")
    return 0


_DRAW_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".html")


def _formula_graph(f, point, command):
    """The formula's output on labelled Values (the variables' names; the output 'f')."""
    xs = [Value(v, label=n) for n, v in zip(f.variables, point)]
    out = f(*xs)
    if not (isinstance(out, Value) and out.requires_grad):
        raise UsageError(f"the formula {f.source!r} is a constant: there is no graph to {command}")
    if not out.label:  # the output (unless it is a variable itself)
        out.label = "f"
    return out


def cmd_explain(args):
    f, point = _load(args, need_variables=False)
    _need_scalar(f, "explain", "explain one output at a time")
    from ..viz.trace import explain

    out = _formula_graph(f, point, "explain")
    if args.max_steps is not None and args.max_steps < 1:
        raise UsageError(f"--max-steps must be at least 1, got {args.max_steps}")
    if not args.json:
        explain(out, max_steps=args.max_steps)
        return 0
    from ..viz.trace import trace_backward

    trace = trace_backward(out)
    steps = [
        {
            "node": trace.name(s.node),
            "op": s.node.op,
            "cotangent": s.cotangent,
            "edges": [
                {
                    "to": trace.name(e.parent),
                    "local": e.local,
                    "contribution": e.contribution,
                    "total": e.total,
                }
                for e in s.edges
            ],
        }
        for s in trace.steps[: args.max_steps]
    ]
    _print_json(
        {
            **_base_record("explain", f, point),
            "value": out.data,
            "steps": steps,
            "total_steps": len(trace.steps),
        }
    )
    return 0


def _positive_int(text):
    """An argparse type: a whole number of at least 1 (argparse names the option on error)."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"needs a whole number >= 1, got {text!r}")
    return n


def cmd_draw(args):
    f, point = _load(args, need_variables=False)
    _need_scalar(f, "draw", "draw one output at a time")
    suffix = os.path.splitext(args.output)[1].lower()
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):  # a typo in the path should not create folders
        raise UsageError(f"-o {args.output!r}: the folder {folder!r} does not exist")
    if suffix not in _DRAW_SUFFIXES:
        raise UsageError(
            f"-o {args.output!r}: the file must end in one of {', '.join(_DRAW_SUFFIXES)}"
        )
    drawing = {"direction": args.direction, "max_nodes": args.max_nodes}
    if suffix == ".html" and args.max_nodes:
        raise UsageError(
            f"--max-nodes is for drawings, not the explorer {args.output!r} (.html), which "
            "lays out and folds a large graph itself"
        )
    from .. import viz  # imported here: it loads graphviz, which the other commands do not need

    out = _formula_graph(f, point, "draw")
    out.backward()
    try:
        if suffix == ".html":  # the explorer: forward pass and backward sweep, step by step
            viz.explore(out, args.output, title="; ".join(_header(f, point)))
        else:
            with viz.drawing.graphviz_notes() as notes:  # without `dot`: said in one line
                viz.save_graph(out, args.output, **drawing)
            for note in notes[:1]:
                print(f"autograd-lite draw: note: {note}", file=sys.stderr)
    except viz.GraphvizNotFoundError:
        source = os.path.splitext(args.output)[0] + ".dot"
        try:
            viz.save_graph(out, source, **drawing)
        except OSError as e:
            raise CommandFailed(f"cannot write {source!r}: {e.strerror or e}") from None
        raise CommandFailed(
            f"{args.output} not written: rendering {suffix} needs Graphviz's 'dot' program, "
            f"which is not installed; wrote the DOT source to {source} instead (install Graphviz: "
            "https://graphviz.org/download/, e.g. apt-get install graphviz or brew install "
            "graphviz)"
        ) from None
    except OSError as e:
        raise CommandFailed(f"cannot write {args.output!r}: {e.strerror or e}") from None
    if args.json:
        _print_json(
            {
                **_base_record("draw", f, point),
                "value": out.data,
                "direction": args.direction,
                "output": args.output,
            }
        )
    else:
        what = "explorer" if suffix == ".html" else f"{args.direction} graph"
        print(f"wrote {args.output} ({what} of {f.source})")
    return 0


# ---------------------------------------------------------------------------------------
# The demo: the project's main job on real input (autograd_lite.demo.demo).


def cmd_demo(args):
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out!r} is a file; give a folder (made if missing)")
    from ..demo.demo import run_demo  # imported here: the demo imports this module

    def say(text=""):
        if not args.json:
            print(text, flush=True)

    summary = run_demo(args.out, epochs=5 if args.quick else 40, say=say)
    if args.json:
        passed = summary.pop("passed")
        _print_json({"command": "demo", **summary})
    else:
        passed = summary["passed"]
    if not passed:
        raise CommandFailed("a gradient check of the demo failed")
    return 0


# ---------------------------------------------------------------------------------------
# The parser.

_EXAMPLES = {
    "grad": (
        "the value of a scalar formula and its partial derivatives",
        "autograd-lite grad 'sin(x**2)' --at x=1.5",
    ),
    "jacobian": (
        "the Jacobian J[i][j] = d f_i / d x_j of a vector formula [f0, f1, ...]",
        "autograd-lite jacobian '[x**2 + y, sin(x*y)]' --at x=1,y=2",
    ),
    "hessian": (
        "the Hessian H[i][j] = d2f / dx_i dx_j of a scalar formula",
        "autograd-lite hessian 'x**2 + x*y + y**2' --at x=0,y=0",
    ),
    "derivative": (
        "the n-th derivative of a scalar formula along one variable",
        "autograd-lite derivative 'sin(x)' --order 4 --at x=0.3",
    ),
    "check": (
        (
            "gradcheck and gradgradcheck: the engine's first and second derivatives against "
            "central finite differences (exit status 1 if either fails)"
        ),
        "autograd-lite check 'tanh(x*y) + x**3' --at x=0.5,y=-1",
    ),
    "draw": (
        "draw the formula's computation graph with Graphviz (.svg, .png, .pdf or .dot), or "
        "write the explorer, a web page stepping through the backward pass (.html, no Graphviz)",
        "autograd-lite draw 'sin(x**2)' --at x=1.5 -o graph.svg --direction both",
    ),
    "explain": (
        "print the backward pass step by step: one line per edge, local derivative x "
        "cotangent = contribution, and the sums where edges meet",
        "autograd-lite explain 'sin(x**2) + x' --at x=1.5",
    ),
}

_FORMULA_HELP = textwrap.fill(
    "The formula: numbers, the constants pi and e, variables, + - * / **, parentheses, "
    + " ".join(name for name, (arity, _) in formula_lang.FUNCTIONS.items() if arity == 1)
    + " of one argument, "
    + " ".join(name for name, (arity, _) in formula_lang.FUNCTIONS.items() if arity == 2)
    + " of two; [f0, f1, ...] for a vector. It may start with '-' ('-x**2'), or follow '--'. "
    "Quote it for the shell. Variables are ordered alphabetically unless --vars gives the order. "
    "Exit status: 0 success, 1 a failed check, 2 a usage error.",
    width=78,
)


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as UsageError (one line, exit status 2).

    On a formula command (`takes_formula`), an argument that starts with a single '-'
    is an option only if it is exactly one of the command's short options (`-h`, `-o`);
    anything else is the formula, so `grad '-x**2' --at x=1` and `grad -h*x ...` work
    without `--`. A short option takes its value as the next argument (`-o FILE`).
    Arguments starting with '--' and a letter are long options, abbreviations included
    (`--a` for `--at`); an unknown one is reported as such.
    """

    takes_formula = False

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def _parse_optional(self, arg_string):
        # argparse's own hook deciding whether an argument is an option; returning None
        # makes it a positional argument (the same in every supported Python).
        if self.takes_formula and not self._is_option(arg_string):
            return None
        return super()._parse_optional(arg_string)

    def _is_option(self, arg):
        long_option = arg.startswith("--") and arg[2:3].isalpha()  # '--at', not '---x'
        return long_option or arg in self._option_string_actions


def _add_formula_command(commands, name, run):
    summary, example = _EXAMPLES[name]
    p = commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=f"example:\n  {example}\n\n{_FORMULA_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.takes_formula = True
    p.add_argument("formula", help="the formula, e.g. 'sin(x**2)' (may start with '-')")
    p.add_argument(
        "--at",
        action="append",
        metavar="NAME=NUMBER,...",
        help="where to evaluate, e.g. x=1.5,y=2 (may be repeated)",
    )
    p.add_argument(
        "--vars",
        metavar="NAME,...",
        help="the variables in this order (default: those of the formula, alphabetical)",
    )
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument(
        "--timeout",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="give up after this long (default 20; 0: never); large formulas, and very high "
        "orders of derivative (Taylor mode costs order**2 per operation), can take long",
    )
    p.set_defaults(run=run)
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the command, with one subparser per subcommand."""
    parser = _Parser(
        prog=PROG,
        description="Reverse-mode automatic differentiation from the shell.",
        epilog="examples:\n"
        + "\n".join(f"  {example}" for _, example in _EXAMPLES.values())
        + "\n\nRun 'autograd-lite COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="the main job: backprop step by step, gradient checks, an MLP on real digits, "
        "drawings",
        description="Backprop on the worked example with each chain-rule factor, gradient "
        "checks of the worked examples, an MLP trained on scikit-learn's handwritten digits, "
        "and Graphviz drawings (DOT source without Graphviz) plus the loss curve written to "
        "--out.",
        epilog="example:\n  autograd-lite demo --out out/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--out", default="out", metavar="DIR", help="where to write files (default out/)"
    )
    demo.add_argument("--json", action="store_true", help="print a machine-readable summary")
    demo.add_argument("--quick", action="store_true", help=argparse.SUPPRESS)  # for the tests
    demo.set_defaults(run=cmd_demo)
    _add_formula_command(commands, "grad", cmd_grad)
    _add_formula_command(commands, "jacobian", cmd_jacobian)
    _add_formula_command(commands, "hessian", cmd_hessian)
    p = _add_formula_command(commands, "derivative", cmd_derivative)
    p.add_argument(
        "--order", type=int, default=1, help="n, the order of the derivative (default 1)"
    )
    p.add_argument("--wrt", metavar="NAME", help="the variable (needed when there are several)")
    p = _add_formula_command(commands, "check", cmd_check)
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    p = _add_formula_command(commands, "draw", cmd_draw)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    p.add_argument(
        "--direction",
        choices=("forward", "backward", "both"),
        default="forward",
        help="forward values, backward gradients, or both on one picture (default forward; "
        "not for .html, which replays both)",
    )
    p.add_argument(
        "--max-nodes",
        type=_positive_int,
        metavar="N",
        help="draw at most N boxes (values, ops, constants), the nearest the output first, "
        "plus one box summing up the rest (default: all)",
    )
    p = _add_formula_command(commands, "explain", cmd_explain)
    p.add_argument(
        "--max-steps",
        type=int,
        default=50,
        metavar="N",
        help="print at most N nodes of the sweep (default 50)",
    )
    return parser


class _Timeout(Exception):
    pass


# What a formula command may add to the process's resident memory. It bounds the memory, and
# also the time spent freeing a recorded graph after giving up (a few seconds per GiB).
_MEMORY_LIMIT = 512 * 2**20
_TICK = 0.05  # seconds between checks of the clock and the memory
_GRACE = 1.0  # seconds before raising again, if the first raise was swallowed


def _memory_in_use():
    """The process's resident memory in bytes: now where /proc tells (Linux), else its peak.

    Not ru_maxrss on Linux: after exec it starts at the parent's peak, so a child of a
    large process would seem to have used that much already.
    """
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource  # Unix only, as setitimer

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, else KiB


@contextlib.contextmanager
def _time_limit(seconds, memory=None):
    """Raise CommandFailed if the block runs longer than `seconds`, or grows the process's
    resident memory by more than `memory` bytes (default `_MEMORY_LIMIT`); 0 s: no limits.

    Nested reverse mode multiplies the size of the recorded graph with each order of a
    derivative (Taylor mode, which `derivative` takes, costs order**2 per op instead), and
    a large formula or order can still run long or fill the memory: this bounds any
    command. A SIGALRM every `_TICK` s checks both, and raises again a second later if
    still running: a raise that lands where Python only prints exceptions (a `__del__`, a
    gc or weakref callback) is not lost.
    Needs SIGALRM (not on Windows: then no limit).
    """
    if not seconds or not hasattr(signal, "setitimer"):
        yield
        return
    memory = _MEMORY_LIMIT if memory is None else memory
    start, base = time.monotonic(), _memory_in_use()
    over = []  # set first thing on leaving: a tick still pending then must not raise
    raised = [-math.inf]  # when the last _Timeout was raised

    def check(signum, frame):
        now = time.monotonic()
        # While a raise is on its way out (unwinding, contextlib's __exit__) raising again
        # would escape the `except` below; a second later it evidently was swallowed.
        if over or now - raised[0] < _GRACE:
            return
        if now - start >= seconds:
            reason = f"gave up after {seconds:g} s (--timeout)"
        elif _memory_in_use() - base > memory:
            reason = f"gave up at {memory / 2**20:g} MiB of memory"
        else:
            return
        raised[0] = now
        raise _Timeout(reason)

    previous = signal.signal(signal.SIGALRM, check)
    try:
        signal.setitimer(signal.ITIMER_REAL, min(_TICK, seconds), min(_TICK, seconds))
        yield
    except _Timeout as e:
        over.append(str(e))  # leaving this clause frees the graph: seconds if it is large
    finally:
        over.append(None)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if over[0] is not None:
        raise CommandFailed(
            f"{over[0]}; the computation grew too large (try a lower --order; else a smaller "
            "formula or a larger --timeout)"
        )


def main(argv=None) -> int:
    """Run the command with `argv` (default: sys.argv[1:]); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError(f"choose a command (see '{PROG} --help')")
        timeout = getattr(args, "timeout", 0)
        if not (math.isfinite(timeout) and (timeout == 0 or 0.01 <= timeout <= 86400)):
            raise UsageError(
                f"--timeout must be 0 (never) or 0.01 to 86400 seconds, got {timeout:g}"
            )
        with warnings.catch_warnings():
            # IEEE arithmetic is the point here (1/0 = inf, inf - inf = nan), and the results
            # show it; numpy's RuntimeWarnings about it would only add lines to stderr.
            warnings.simplefilter("ignore", RuntimeWarning)
            with _time_limit(getattr(args, "timeout", 0)):
                return args.run(args)
    except UsageError as e:
        return _fail(e, 2)
    except CommandFailed as e:
        return _fail(e, 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # e.g. `autograd-lite ... | head -1`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 1
    except Exception as e:  # noqa: BLE001 - never a traceback: one line saying what went wrong
        return _fail(f"{type(e).__name__}: {e}", 1)


def _fail(message, status):
    text = " ".join(str(message).split())  # one line, whatever the message held
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return status
