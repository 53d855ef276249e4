"""Data sets for the examples: scikit-learn's bundled digits and iris (loaded on first use)."""

from .datasets import Split, digits_split, iris_split

__all__ = ["Split", "digits_split", "iris_split"]
