"""Mathematics on the engine: linear algebra (`linalg`) and probability (`distributions`)."""

from . import distributions, linalg

__all__ = ["distributions", "linalg"]
