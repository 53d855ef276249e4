"""Pictures of computation graphs: Graphviz drawings (the `graphviz` package loads on first
use), the explorer (an offline web page stepping through the backward sweep) and `explain`,
the same sweep as text."""

from .drawing import GraphvizNotFoundError, draw_graph, save_graph
from .explorer import Explorer, explore
from .trace import explain, trace_backward

__all__ = [
    "Explorer",
    "GraphvizNotFoundError",
    "draw_graph",
    "explain",
    "explore",
    "save_graph",
    "trace_backward",
]
