"""Pictures of computation graphs: Graphviz drawings (the `graphviz` package loads on first
use; without Graphviz's `dot` program, `layered.svg_without_graphviz` lays a drawing out in
Python), the explorer (an offline web page stepping through the backward sweep) and
`explain`, the same sweep as text."""

from .drawing import (
    GraphvizNotFoundError,
    GraphvizNotFoundWarning,
    draw_dot,
    draw_graph,
    save_graph,
)
from .explorer import Explorer, explore
from .grad_flow import plot_grad_flow
from .trace import explain, trace_backward

__all__ = [
    "Explorer",
    "GraphvizNotFoundError",
    "GraphvizNotFoundWarning",
    "draw_dot",
    "draw_graph",
    "explain",
    "explore",
    "plot_grad_flow",
    "save_graph",
    "trace_backward",
]
