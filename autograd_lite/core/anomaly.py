"""Anomaly detection: find the op whose forward or vjp rule first made a NaN or an Inf.

`with detect_anomaly():` (PyTorch's name) turns on, for the ops run in this thread inside
the block, two things the engine never does otherwise:

- each recorded op notes where the user's code made it (file and line: the innermost frame
  outside the autograd_lite package), kept beside the node without holding it alive;
- each op's forward result, and each cotangent a vjp rule sends to an input during a
  backward pass, is checked: the first one holding a NaN (or an Inf, with `check_inf=True`)
  raises FloatingPointError naming the op, where it was made, and the shape and range
  (min, max, NaN/Inf) of its inputs, so the bad value is caught where it is born rather
  than where it surfaces (a NaN loss many steps later).

Outside the block the forward path pays nothing: grad mode's flag, which the node maker
reads for every op anyway, holds the block while one is active (graph._on), and the node
maker tests it against True, a local; the sweep tests one thread-local field per pass.
A backward pass raising here has changed no `.grad`.
"""

from __future__ import annotations

import os
import sys
import weakref

import numpy as np

from . import graph

__all__ = ["detect_anomaly"]

#: Where each node recorded inside a block was made: {id(node): (weak reference, "file:line")}.
#: An entry goes when its node is collected.
_places: dict = {}

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_place() -> str:
    """ "file:line" of the innermost frame outside the autograd_lite package."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:  # pragma: no cover - only autograd_lite's own frames on the stack
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def place(node) -> str | None:
    """Where `node` was made inside a `detect_anomaly` block ("file:line"), else None."""
    entry = _places.get(id(node))
    return entry[1] if entry is not None and entry[0]() is node else None


def _forget(key):
    def forget(_ref):
        _places.pop(key, None)

    return forget


def describe(data) -> str:
    """Shape and range of raw data for a report: "shape (3,), min -1, max 2, 1 NaN"."""
    a = np.asarray(data)
    if a.dtype.kind not in "biuf":
        return f"{type(data).__name__} {data!r}"
    a = a.astype(np.float64, copy=False)
    finite = a[np.isfinite(a)]
    parts = [f"shape {a.shape}"]
    if finite.size:
        parts.append(f"min {finite.min():.6g}, max {finite.max():.6g}")
    nans, infs = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    parts.append(f"{nans} NaN, {infs} Inf" if nans or infs else "all finite")
    return ", ".join(parts)


class detect_anomaly:
    """Context manager: inside, the first NaN (and Inf if `check_inf`) raises (see the module).

    check_inf: True (the default, as PyTorch's) stops on NaN and on ±Inf; False only on NaN.
    Raises FloatingPointError inside the block, naming the op (its name, where the user's
    code made it: file and line), the pass (forward, or backward with the input index whose
    cotangent went bad) and each input's shape, min, max and NaN/Inf count; TypeError if
    check_inf is not a bool. Blocks nest; leaving one restores the enclosing one's setting.
    Per thread, as grad mode is.
    """

    def __init__(self, check_inf: bool = True):
        if not isinstance(check_inf, bool):
            raise TypeError(f"detect_anomaly: check_inf must be True or False, got {check_inf!r}")
        self.check_inf = check_inf
        self._outer = []

    def __enter__(self):
        state = graph._state
        self._outer.append(state.anomaly)
        state.anomaly = self
        if state.enabled is not False:  # grad mode on: it carries the block (graph._on)
            state.enabled = self
        return self

    def __exit__(self, *exc):
        state = graph._state
        state.anomaly = self._outer.pop()
        if state.enabled is not False:
            state.enabled = graph._on(True)
        return False

    def _bad(self, data) -> str | None:
        """ "nan" or "inf" if `data` holds one this block stops on, else None."""
        a = np.asarray(data)
        if a.dtype.kind != "f":
            return None
        with np.errstate(all="ignore"):
            if np.isnan(a).any():
                return "nan"
            if self.check_inf and np.isinf(a).any():
                return "inf"
        return None

    def forward(self, node, op, parents, ctx) -> None:
        """Called by the node maker for a recorded op: note its place, check its result."""
        key = id(node)
        where = _user_place()
        _places[key] = (weakref.ref(node, _forget(key)), where)
        bad = self._bad(ctx[0] if ctx else node._data)
        if bad is not None:
            inputs = ctx[1 : 1 + len(parents)]
            raise FloatingPointError(
                f"detect_anomaly: op {op.name!r} at {where} produced {bad} in the forward pass "
                f"(result {describe(node._data)}); " + _inputs(inputs)
            )

    def backward(self, node, i, parent, g, c, total) -> None:
        """The sweep's observer: check the cotangent c that node's rule sent to input i."""
        bad = self._bad(c._data if isinstance(c, graph.Node) else c)
        if bad is None:
            return
        where = place(node) or "a place not recorded (made outside detect_anomaly)"
        n = len(node._parents)
        raw_g = g._data if isinstance(g, graph.Node) else g
        raise FloatingPointError(
            f"detect_anomaly: the vjp rule of op {node._op.name!r} (made at {where}) gave {bad} "
            f"for input {i} in the backward pass, from the cotangent {describe(raw_g)}; "
            + _inputs(node._ctx[1 : 1 + n])
        )


def _inputs(raws) -> str:
    return "inputs: " + "; ".join(f"input {k}: {describe(r)}" for k, r in enumerate(raws))
