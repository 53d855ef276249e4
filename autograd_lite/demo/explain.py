"""The backprop example, z = W x + b, a = ReLU(z), L = MSE(a, y), explained factor by factor.

`explain_backprop()` builds the example from `nn.Linear`, `nn.ReLU` and
`nn.MSELoss`, runs the engine's backward pass, and prints for every weight
and bias the chain-rule factors worked out by hand,

    dL/dW_ij = dL/da_i * da_i/dz_i * dz_i/dW_ij,   dL/db_i = dL/da_i * da_i/dz_i * 1,

with dL/da_i = 2 (a_i - y_i) / m (the mean over m outputs), da_i/dz_i = 1 if
z_i > 0 else 0 (ReLU, taking 0 at z = 0 as PyTorch does) and dz_i/dW_ij = x_j,
next to the engine's gradient and a central finite-difference estimate.
By default it runs the worked example `examples.BACKPROP` (one output:
W is the row w, and MSE over one output is (a - y)^2); any layer size works.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from .. import nn
from ..core.graph import no_grad
from ..core.tensor import Tensor
from .examples import BACKPROP

__all__ = ["BackpropExplanation", "ChainRuleRow", "explain_backprop"]


@dataclass(frozen=True)
class ChainRuleRow:
    """One parameter entry: the three chain-rule factors, their product, and two checks."""

    name: str  # e.g. 'weight[0, 2]' or 'bias[1]'
    dL_da: float
    da_dz: float
    dz_dparam: float
    product: float  # dL_da * da_dz * dz_dparam: the chain rule by hand
    engine: float  # the gradient from backward()
    finite_difference: float  # (L(p + eps) - L(p - eps)) / (2 eps)


@dataclass(frozen=True)
class BackpropExplanation:
    """The forward values of the example and one `ChainRuleRow` per weight and bias."""

    x: np.ndarray
    z: np.ndarray
    a: np.ndarray
    y: np.ndarray
    loss: float
    rows: tuple

    def max_discrepancy(self) -> float:
        """The largest absolute difference between two of product, engine and finite difference."""
        return max(
            max(
                abs(r.product - r.engine),
                abs(r.product - r.finite_difference),
                abs(r.engine - r.finite_difference),
            )
            for r in self.rows
        )


def _vector(values, what):
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{what} must be a non-empty 1-d sequence of numbers, got shape {arr.shape}"
        )
    return arr


def explain_backprop(
    x=BACKPROP.x,
    weight=(BACKPROP.w,),
    bias=(BACKPROP.b,),
    y=(BACKPROP.y,),
    eps=1e-6,
    file=None,
    verbose=True,
):
    """Backpropagate through z = W x + b, a = ReLU(z), L = MSE(a, y) and explain each factor.

    x: n input numbers; weight: an (m, n) nested sequence (W of `Linear(n, m)`);
    bias: m numbers; y: m targets (default: the worked example `examples.BACKPROP`,
    n = 3, m = 1). eps: the finite-difference step (float64).
    file: where the table is printed (default sys.stdout); verbose=False prints nothing.
    Returns a `BackpropExplanation` whose rows hold, per parameter entry, the
    hand-worked factors dL/da, da/dz, dz/dparam, their product, the engine's
    gradient and a central finite-difference estimate; for a z_i within eps
    of 0 the finite difference straddles ReLU's kink and need not agree.
    Raises ValueError when the shapes do not fit together.
    """
    if not (isinstance(eps, (int, float)) and 0 < eps < float("inf")):
        raise ValueError(f"eps must be a positive finite step, got {eps!r}")
    x, y, b = _vector(x, "x"), _vector(y, "y"), _vector(bias, "bias")
    W = np.asarray(weight, dtype=float)
    m, n = len(y), len(x)
    if W.shape != (m, n) or b.shape != (m,):
        raise ValueError(
            f"for {n} inputs and {m} targets, weight must have shape {(m, n)} and bias {(m,)}; "
            f"got {W.shape} and {b.shape}"
        )
    layer = nn.Linear(n, m)
    layer.load_state_dict({"weight": W, "bias": b})
    relu, mse = nn.ReLU(), nn.MSELoss()

    z = layer(Tensor(x))
    a = relu(z)
    loss = mse(a, y)
    loss.backward()

    # The chain rule by hand, one factor at a time.
    dL_da = 2.0 * (a.data - y) / m
    da_dz = (z.data > 0).astype(float)

    def loss_at(param, index, value):
        """L with one entry of `param` replaced by `value`; the parameter is restored after."""
        old = param.data
        trial = old.copy()
        trial[index] = value
        param.data = trial
        try:
            with no_grad():
                return mse(relu(layer(Tensor(x))), y).item()
        finally:
            param.data = old

    rows = []
    for param, kind in ((layer.weight, "weight"), (layer.bias, "bias")):
        for index in np.ndindex(param.shape):
            i = index[0]
            dz_dp = x[index[1]] if kind == "weight" else 1.0
            p0 = param.data[index]
            fd = (loss_at(param, index, p0 + eps) - loss_at(param, index, p0 - eps)) / (2 * eps)
            rows.append(
                ChainRuleRow(
                    name=f"{kind}[{', '.join(map(str, index))}]",
                    dL_da=float(dL_da[i]),
                    da_dz=float(da_dz[i]),
                    dz_dparam=float(dz_dp),
                    product=float(dL_da[i] * da_dz[i] * dz_dp),
                    engine=float(param.grad.data[index]),
                    finite_difference=float(fd),
                )
            )
    result = BackpropExplanation(x, z.data.copy(), a.data.copy(), y, loss.item(), tuple(rows))
    if verbose:
        _print_table(result, sys.stdout if file is None else file)
    return result


def _print_table(r, file):
    def fmt(v):
        return np.array2string(np.asarray(v), precision=6, separator=", ")

    print("z = W x + b,  a = ReLU(z),  L = MSE(a, y) = mean((a - y)^2)", file=file)
    print(
        f"x = {fmt(r.x)}   z = {fmt(r.z)}   a = {fmt(r.a)}   y = {fmt(r.y)}   L = {r.loss:.6g}",
        file=file,
    )
    print(
        "chain rule: dL/dW_ij = dL/da_i * da_i/dz_i * dz_i/dW_ij,  "
        "dL/db_i = dL/da_i * da_i/dz_i * 1",
        file=file,
    )
    print(
        f"  with dL/da_i = 2(a_i - y_i)/{len(r.y)},  da_i/dz_i = 1 if z_i > 0 else 0,  "
        "dz_i/dW_ij = x_j",
        file=file,
    )
    head = ("param", "dL/da", "da/dz", "dz/dparam", "product", "engine", "finite diff")
    print(f"{head[0]:<13}" + "".join(f"{h:>13}" for h in head[1:]), file=file)
    for row in r.rows:
        nums = (row.dL_da, row.da_dz, row.dz_dparam, row.product, row.engine, row.finite_difference)
        print(f"{row.name:<13}" + "".join(f"{v:>13.7g}" for v in nums), file=file)
    print(
        "largest disagreement among product, engine and finite difference: "
        f"{r.max_discrepancy():.2e}",
        file=file,
    )
