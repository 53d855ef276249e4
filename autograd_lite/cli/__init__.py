"""The `autograd-lite` command and the formula language it reads."""

from .command import build_parser, main

__all__ = ["build_parser", "main"]
