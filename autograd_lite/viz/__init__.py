"""Drawings of computation graphs with Graphviz (the `graphviz` package loads on first use)."""

from .drawing import GraphvizNotFoundError, draw_dot, draw_graph, save_graph

__all__ = ["GraphvizNotFoundError", "draw_dot", "draw_graph", "save_graph"]
