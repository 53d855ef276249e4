"""Drawings of computation graphs with Graphviz (the `graphviz` package loads on first use).

Without Graphviz's `dot` program, `layered.svg_without_graphviz` lays a drawing out in Python.
"""

from .drawing import (
    GraphvizNotFoundError,
    GraphvizNotFoundWarning,
    draw_dot,
    draw_graph,
    save_graph,
)

__all__ = [
    "GraphvizNotFoundError",
    "GraphvizNotFoundWarning",
    "draw_dot",
    "draw_graph",
    "save_graph",
]
