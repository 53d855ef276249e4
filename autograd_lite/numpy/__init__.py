"""numpy's names, differentiable where autograd_lite has the function: for code written for
HIPS autograd (`import autograd.numpy as np`), `import autograd_lite.numpy as np`.

Every name is numpy's. Where autograd_lite implements a function of that name (the
`__all__` of the core modules: `exp`, `tanh`, `sum`, `dot`, `cumsum`, ...), the name is
autograd_lite's function, which takes Values, Tensors, numbers and arrays and records on
nodes; every other name is numpy's own: constants (`pi`, `newaxis`, `float64`), array
creation (`zeros`, `ones`, `arange`, `eye`), `random`. Names are looked up when first used,
so a function added to autograd_lite later appears here by itself. `linalg` is the same
for `numpy.linalg` with `autograd_lite.math.linalg` (`np.linalg.inv`, `np.linalg.eigh`).

`array` (and `asarray`) of a list holding Values or Tensors stacks them differentiably
(`autograd_lite.stack`, nested lists too); of a node, it is that node; of anything else,
numpy's.

numpy's own functions refuse a Tensor that requires grad with a TypeError naming the
function (`Tensor.__array_function__`, `Tensor.__array_ufunc__`): `np.sort(t)` raises
rather than silently returning a constant whose gradient would be 0.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

import numpy as _numpy

from .. import core as _core
from ..core import ops as _ops
from ..core.graph import Node as _Node
from ..core.tensor import Tensor as _Tensor
from . import linalg as linalg
from ._namespace import implemented, lazy_names


@functools.cache
def _ours() -> dict:
    """autograd_lite's functions by numpy name, from every core module's `__all__`: `ops`
    (the op table) first, so that a later module may refine one of its functions (a `dot`
    of any number of axes, say)."""
    names = sorted(m.name for m in pkgutil.iter_modules(_core.__path__) if m.name != "ops")
    modules = [importlib.import_module(f"{_core.__name__}.{n}") for n in names]
    return implemented(_numpy, [_ops, *modules])


__getattr__, __dir__ = lazy_names(globals(), _numpy, _ours)


def _node_array(obj, dtype, name):
    """`obj` as a node when it is one or holds some (stacked with its history), else None."""
    if isinstance(obj, _Node):
        out = obj._alias(obj._data)
    elif isinstance(obj, (list, tuple)) and _ops._contains_node(obj):
        out = _ops._stacked(obj)
    else:
        return None
    if dtype is not None:
        if out.__class__ is not _Tensor:
            raise TypeError(f"{name}: dtype= needs array data, got a {type(out).__name__}")
        out = out.astype(dtype)
    return out


def array(object, dtype=None, *args, **kwargs):
    """numpy.array, but a list holding Values or Tensors (nested lists too) is stacked into
    a Tensor with its history (`autograd_lite.stack`), and a node gives a node sharing its
    history (and its data, copied before any in-place edit). `dtype` (float16, float32,
    float64) converts differentiably. Anything else is `numpy.array(object, dtype, ...)`.

    Raises TypeError for numpy's further arguments (copy, order, ...) with nodes.
    """
    if args or kwargs:
        if isinstance(object, _Node) or (
            isinstance(object, (list, tuple)) and _ops._contains_node(object)
        ):
            raise TypeError(f"array of nodes takes only dtype=, got {args or tuple(kwargs)}")
        return _numpy.array(object, dtype, *args, **kwargs)
    node = _node_array(object, dtype, "array")
    return _numpy.array(object, dtype) if node is None else node


def asarray(a, dtype=None, *args, **kwargs):
    """numpy.asarray, with lists of nodes and nodes as in `array` (differentiable)."""
    node = None if args or kwargs else _node_array(a, dtype, "asarray")
    return _numpy.asarray(a, dtype, *args, **kwargs) if node is None else node
