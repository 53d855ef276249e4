"""The backward sweep, recorded edge by edge as the engine runs it, and printed as text.

`trace_backward(root)` runs the engine's own sweep (`core.graph._sweep`, the one
`backward()` uses) with an observer, so the order of the steps, the cotangent
arriving at each node and the contribution sent along each edge are the
engine's numbers, not recomputed. `.grad` is left untouched (as `cotangents`).
The local derivative of an edge of a `Value` graph is the op's vjp rule applied
to a cotangent of 1 (as in the drawings, `drawing._edge_vjp`); on a `Tensor`
graph it is a Jacobian, of which only the size is given.

`explain(root)` prints that trace, one line per edge; the explorer
(`autograd_lite.viz.explorer`) replays it in a web page.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import numpy as np

from ..core.graph import Node, _sweep, toposort
from .drawing import _array_text, _edge_vjp, _graph_nodes, _node_names, _num, _raw

__all__ = ["EdgeStep", "SweepStep", "SweepTrace", "explain", "trace_backward"]


@dataclass(frozen=True)
class EdgeStep:
    """One edge of the sweep: `node`'s cotangent passed on to its input `index`, `parent`.

    local: d node / d parent, a float on a Value graph (the vjp rule at cotangent 1),
        None on a Tensor graph, where it is a Jacobian of size `jacobian` (out.size, in.size).
    contribution: what the engine sent along the edge (float or ndarray, the parent's shape).
    before: the parent's running total before this edge (None for the first edge to reach it);
    total: after it (before + contribution, as the engine added them).
    """

    parent: Node
    index: int
    local: float | None
    jacobian: tuple | None
    contribution: object
    before: object
    total: object


@dataclass(frozen=True)
class SweepStep:
    """One node of the sweep, in the engine's order: its total cotangent and its edges out.

    A leaf has no edges: the sweep passes nothing on, and `backward()` adds its
    cotangent into `.grad`.
    """

    node: Node
    cotangent: object
    edges: tuple


@dataclass(frozen=True)
class SweepTrace:
    """The whole sweep from `root`: `steps` in order, `nodes` (every node reachable, root
    first, breadth-first, constants included), `names` (id(node) -> its name in the
    drawings, distinct: `drawing._node_names`) and `formulas` (id(op node) -> the
    expression it computes from its inputs' names)."""

    root: Node
    steps: tuple
    nodes: tuple
    names: dict
    formulas: dict

    def name(self, node):
        """The node's name in the drawings: its label, or the expression it computes from
        its inputs' names when short (`w*x`, `z + b`), or a numbered name (`n3`); a
        suffix (`x#2`) where two nodes would share one."""
        return self.names[id(node)]

    def formula(self, node):
        """What an op node computes from its inputs' names (`w0*1.5 + w1*-0.5 + w2*2`) when
        its name does not say it already (a label, a numbered name); else ""."""
        name, formula = self.names[id(node)], self.formulas.get(id(node))
        if formula is None or re.sub(r"#\d+$", "", name) in (formula, f"({formula})"):
            return ""
        return formula

    def __repr__(self):
        # Short: a REPL or notebook echoes the result of `explain`, and the full dataclass
        # repr would print every node and step.
        edges = sum(len(step.edges) for step in self.steps)
        return f"<SweepTrace: {len(self.steps)} nodes, {edges} edges from {self.name(self.root)}>"


def trace_backward(root, gradient=None):
    """Run the engine's backward sweep from `root`, recording every step; `.grad` unchanged.

    root: a Value or Tensor that requires grad. gradient: the seed cotangent, shaped
    like root (optional when root has one element: then 1), as in `backward()`.
    Returns a `SweepTrace`. Raises TypeError for a root that is not a node, and what
    `backward()` raises (RuntimeError when root does not require grad, ValueError on a
    gradient of the wrong shape).
    """
    if not isinstance(root, Node):
        raise TypeError(f"trace_backward needs a Value or Tensor, got {type(root).__name__}")
    edges = {}  # node -> [EdgeStep], in the order the engine passed them
    running = {}  # parent -> its total so far

    def observe(node, i, parent, g, c, total):
        local = jac = None
        if node._SHAPED:
            jac = (int(np.size(node._ctx[0])), int(np.size(node._ctx[i + 1])))
        else:
            local = _edge_vjp(node, i, np.float64(1.0))
        step = EdgeStep(parent, i, local, jac, _raw(c), running.get(parent), _raw(total))
        edges.setdefault(node, []).append(step)
        running[parent] = _raw(total)

    grads = _sweep(root, gradient, False, observe)
    steps = tuple(
        SweepStep(node, _raw(grads[node]), tuple(edges.get(node, ())))
        for node in toposort(root)  # the order `_sweep` walks
        if node in grads
    )
    nodes = tuple(_graph_nodes(root, grad_only=False))
    formulas = {}
    names = _node_names(root, nodes, formulas)
    return SweepTrace(root, steps, nodes, names, formulas)


def short(x):
    """A number or array as short text: 4 significant digits, an array by shape and summary."""
    x = _raw(x)
    if x is None:
        return "none"
    if isinstance(x, np.ndarray) and x.ndim:
        return f"{x.shape} {_array_text(x)}"
    return _num(x)


def explain(root, gradient=None, max_steps=50, file=None):
    """Print the backward sweep from `root` as text: one line per edge, in the engine's order.

    For each node the sweep visits: its name, op and total cotangent; then one line
    per edge to an input: local derivative x cotangent = contribution (on a Tensor
    graph the local derivative is a Jacobian, given by its size, and the
    contribution is the vjp, summarised); where several edges meet an input, its
    running sum (before + contribution = total). Leaves end in `.grad += ...`.
    gradient: the seed, as in `backward()`. max_steps: print at most this many nodes
    (None: all), then say how many were left out. file: default sys.stdout.
    The numbers are the engine's (`trace_backward`); `.grad` is left untouched.
    Returns the `SweepTrace`. Raises ValueError for a max_steps below 1, and what
    `trace_backward` raises.
    """
    if max_steps is not None and (type(max_steps) is not int or max_steps < 1):
        raise ValueError(f"max_steps must be a positive int or None, got {max_steps!r}")
    trace = trace_backward(root, gradient)
    out = sys.stdout if file is None else file
    n = len(trace.steps)
    print(
        f"backward sweep from {trace.name(root)} = {short(root.data)}: {n} node"
        f"{'s' * (n != 1)} in the engine's order (reverse topological)",
        file=out,
    )
    print("      each edge: -> input  local derivative x cotangent = contribution", file=out)
    shown = trace.steps if max_steps is None else trace.steps[:max_steps]
    width = max(len(trace.name(s.node)) for s in trace.steps)
    for k, step in enumerate(shown, 1):
        node = step.node
        what = f"{node.op}" if node._op is not None else "leaf"
        name, formula = trace.name(node), trace.formula(node)
        print(
            f"{k:>4}. {trace.name(node):<{width}}  [{what}]  cotangent {short(step.cotangent)}"
            + ("  -> .grad += it" if node._op is None else "")
            + (f"  ({name} = {formula})" if formula else ""),
            file=out,
        )
        for e in step.edges:
            target = trace.name(e.parent)
            if e.local is not None:
                line = f"{_num(e.local)} x {short(step.cotangent)} = {short(e.contribution)}"
            else:
                line = f"vjp (Jacobian {e.jacobian[0]}x{e.jacobian[1]}) = {short(e.contribution)}"
            if e.before is not None:
                line += f";  sum at {target}: {short(e.before)} + {short(e.contribution)}"
                line += f" = {short(e.total)}"
            print(f"{'':6}-> {target:<{width}}  {line}", file=out)
    if len(shown) < n:
        print(f"... {n - len(shown)} more steps (max_steps={max_steps})", file=out)
    return trace
