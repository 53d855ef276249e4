"""`numpy.linalg`'s names, autograd_lite's where `autograd_lite.math.linalg` has a function
of that name (`inv`, `eigh`, `matmul`, `outer`, `vector_norm`; they return Tensors), numpy's
otherwise (`det`, `solve`, `norm`, ...), which refuse a Tensor that requires grad with a
TypeError naming the function."""

from __future__ import annotations

import functools

import numpy as _numpy

from ..math import linalg as _linalg
from ._namespace import implemented, lazy_names


@functools.cache
def _ours() -> dict:
    return implemented(_numpy.linalg, [_linalg])


__getattr__, __dir__ = lazy_names(globals(), _numpy.linalg, _ours)
