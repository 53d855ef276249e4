"""The demo, `autograd-lite demo`: the project's main job on its worked examples and real data.

1. Backpropagation on the backprop example, each chain-rule factor beside the
   engine's gradient and a finite difference (`explain_backprop`).
2. gradcheck and gradgradcheck of the backprop, Jacobian and Hessian examples.
3. An MLP trained on scikit-learn's 8x8 handwritten digits (`train_digits`).
4. Drawings of the backprop example's graph: forward, backward, both; and the
   explorer, a web page stepping through its backward pass (no Graphviz needed).

The numbers come from `autograd_lite.demo.examples`. Without the Graphviz
`dot` program the drawings are laid out by autograd_lite (a plainer layout) and
one line says how to install Graphviz; everything else is the same.
"""

from __future__ import annotations

import dataclasses
import io
import os

from ..cli.command import check_report
from ..cli.formula import parse
from ..core import ops
from ..core.value import Value
from ..transforms.functional import hessian
from ..transforms.gradcheck import gradcheck, gradgradcheck
from . import examples
from .explain import explain_backprop

__all__ = ["backprop_graph", "backprop_loss", "run_demo"]

#: How to get Graphviz, printed when `dot` is missing (autograd_lite then lays the drawings out).
INSTALL_GRAPHVIZ = (
    "Graphviz's 'dot' program is not installed, so the drawings are laid out by autograd_lite "
    "(a plainer layout); install Graphviz (https://graphviz.org/download/, e.g. apt-get "
    "install graphviz or brew install graphviz) for Graphviz's layout"
)


def backprop_loss(w0, w1, w2, b):
    """L(w, b) of the backprop example (`examples.BACKPROP`), on floats or Values.

    z = w . x + b, a = relu(z), L = (a - y)^2 with the example's x and y; on
    Values the nodes z, a and L are labelled for the drawings.
    """
    ex = examples.BACKPROP
    z = w0 * ex.x[0] + w1 * ex.x[1] + w2 * ex.x[2] + b
    a = ops.relu(z)
    loss = (a - ex.y) ** 2
    for node, name in ((z, "z"), (a, "a"), (loss, "L")):
        if isinstance(node, Value):
            node.label = name
    return loss


def backprop_graph():
    """The backprop example on labelled scalar Values (w0 ... b, z, a, L); L after backward()."""
    ex = examples.BACKPROP
    params = [Value(v, label=n) for n, v in zip(("w0", "w1", "w2", "b"), (*ex.w, ex.b))]
    loss = backprop_loss(*params)
    loss.backward()
    return loss


def _backprop_step(say):
    """Step 1: `explain_backprop` on the example; returns its rows as dicts."""
    table = io.StringIO()
    explanation = explain_backprop(file=table)
    for line in table.getvalue().splitlines():
        say("  " + line)
    return [dataclasses.asdict(row) for row in explanation.rows]


def _checks_step(say):
    """Step 2: gradcheck and gradgradcheck of three worked examples, passed or failed."""
    bp, jac, hess = examples.BACKPROP, examples.JACOBIAN, examples.HESSIAN
    hessian_formula = parse(hess.formula)
    cases = [
        ("backprop example L(w0, w1, w2, b)", backprop_loss, [*bp.w, bp.b]),
        (f"Jacobian example {jac.formula}", parse(jac.formula), list(jac.at)),
        (f"Hessian example {hess.formula}", hessian_formula, list(hess.at)),
    ]
    results = []
    for name, f, point in cases:
        record = {"example": name, "at": point}
        reports = [check_report(check, f, point) for check in (gradcheck, gradgradcheck)]
        record["gradcheck"], record["gradgradcheck"] = (r is None for r in reports)
        verdicts = ["passed" if r is None else "FAILED" for r in reports]
        say(f"  {name:<38} gradcheck {verdicts[0]}, gradgradcheck {verdicts[1]}")
        for report in filter(None, reports):
            say("    " + report.replace("\n", "\n    "))
        results.append(record)
    matrix = [[float(v) for v in row] for row in hessian(hessian_formula, (0, 1))(*hess.at)]
    results[-1]["hessian"] = matrix
    by_hand = [[int(v) for v in row] for row in hess.hessian]
    say(f"  Hessian of {hess.formula} = {matrix} (worked by hand: {by_hand})")
    return results


def _drawings_step(out_dir, say):
    """Step 4: the backprop example drawn three ways as .svg (laid out here without Graphviz),
    and its explorer page (backprop_explorer.html)."""
    from .. import viz  # loads the graphviz package, which the other steps do not need

    loss = backprop_graph()
    files = []
    with viz.drawing.graphviz_notes() as notes:
        for direction in ("forward", "backward", "both"):
            path = os.path.join(out_dir, f"backprop_{direction}.svg")
            files.append(viz.save_graph(loss, path, direction=direction))
    if notes:
        say("  " + INSTALL_GRAPHVIZ)
    files.append(viz.explore(loss, os.path.join(out_dir, "backprop_explorer.html")))
    return files


def run_demo(out_dir="out", epochs=40, hidden=128, say=print):
    """Run the four steps of the demo, writing files into `out_dir` (made if missing).

    epochs, hidden: the digits MLP's training length and hidden width.
    say: called with each line of the report (`print`; a no-op for JSON output).
    Returns a dict: `backprop` (the chain-rule rows), `checks` (one record per
    example with `gradcheck` and `gradgradcheck` True/False), `test_accuracy`,
    `files` (the paths written) and `passed` (every check passed). A failed
    check does not stop the demo: the caller decides what `passed=False` means.
    Raises OSError if `out_dir` cannot be made or written.
    """
    from .train import train_digits  # loads scikit-learn, matplotlib and tqdm

    os.makedirs(out_dir, exist_ok=True)
    say("1. Backpropagation on the backprop example, factor by factor")
    backprop_rows = _backprop_step(say)
    say()
    say("2. Gradient checks against central finite differences (eps = 1e-6)")
    checks = _checks_step(say)
    say()
    say(
        f"3. An MLP 64-{hidden}-10 trained for {epochs} epochs on scikit-learn's real 8x8 "
        "handwritten digits"
    )
    result = train_digits(epochs=epochs, hidden=hidden, out_dir=out_dir, progress=True)
    say(
        f"  test accuracy: {result.test_accuracy:.1%} (train {result.train_accuracy:.1%}), "
        f"{result.seconds:.1f} s"
    )
    files = [result.paths["loss_curve"], result.paths["weights"]]
    say()
    say(
        "4. Drawings of the backprop example (forward, backward, both) and its explorer, a "
        "page to step through the backward pass in a browser"
    )
    files += _drawings_step(out_dir, say)
    say()
    say(f"Files written to {out_dir}:")
    for path in files:
        say(f"  {path}")
    return {
        "backprop": backprop_rows,
        "checks": checks,
        "test_accuracy": result.test_accuracy,
        "files": files,
        "passed": all(r["gradcheck"] and r["gradgradcheck"] for r in checks),
    }
