"""Losses: each accepts Tensors (any shape, usually a batch) or Values (one Value, or a
list of them; a list of lists of logits for cross_entropy).

Each loss is written once, as a formula per element (per sample for cross_entropy)
in the engine's operations, which run on a whole Tensor batch at once or on one
Value at a time; `_reduce` then takes the mean, the sum, or nothing, for both.
The only split is how the inputs are read: a batch Tensor as it is, Values paired
with their targets one by one.
"""

from __future__ import annotations

import numpy as np

from ..core import ops
from ..core.graph import Node
from ..core.value import Value
from .module import Module, _as_batch

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _reduce(losses, reduction):
    """Reduce a Tensor of per-element losses, or a list of per-element Values.

    'mean' of an empty batch is nan for a Tensor (numpy's mean) and 0 for an empty list.
    """
    if reduction == "none":
        return losses
    if isinstance(losses, list):
        total = sum(losses[1:], losses[0]) if losses else Value(0.0, requires_grad=False)
        return total * (1.0 / len(losses)) if reduction == "mean" and losses else total
    return losses.mean() if reduction == "mean" else losses.sum()


def _scalar_pairs(pred, target, what):
    """Flatten Value predictions and their targets into two equal-length lists."""
    preds = list(pred) if isinstance(pred, (list, tuple)) else [pred]
    if isinstance(target, (list, tuple)):
        targets = list(target)
    else:
        raw = target.data if isinstance(target, Node) else target
        targets = [float(t) for t in np.ravel(ops.real_array(raw, f"{what}: target"))]
    if len(preds) != len(targets):
        raise ValueError(f"{what}: {len(preds)} predictions but {len(targets)} targets")
    return preds, targets


def _is_scalar_input(x):
    return isinstance(x, Value) or (
        isinstance(x, (list, tuple)) and any(isinstance(v, Value) for v in x)
    )


def _check_same_shape(pred, target, what):
    if np.shape(pred.data) != np.shape(ops._raw(target)):
        raise ValueError(
            f"{what}: input of shape {pred.shape} and target of shape {np.shape(ops._raw(target))} "
            "differ; they must match"
        )


def _elementwise_loss(name, formula, pred, target, reduction):
    """`formula(pred, target)` per element, then reduced: the one code path of a pointwise loss.

    On Values (one, or a list) the formula runs on each (Value, target number) pair;
    on a Tensor (or array) it runs once on the whole batch, whose target must have
    the same shape (no broadcasting). Raises ValueError naming `name` on a count or
    shape mismatch, or for an unknown reduction.
    """
    _check_reduction(reduction)
    if _is_scalar_input(pred):
        preds, targets = _scalar_pairs(pred, target, name)
        return _reduce([formula(p, t) for p, t in zip(preds, targets)], reduction)
    pred = _as_batch(pred)
    _check_same_shape(pred, target, name)
    return _reduce(formula(pred, target), reduction)


def _squared_error(pred, target):
    diff = pred - target
    return diff * diff


def _bce_with_logits(x, y):
    # softplus(x) - x y = max(x, 0) - x y + log(1 + exp(-|x|)): never overflows. One smooth
    # op, so the derivative sigmoid(x) - y and the second derivative sigmoid'(x) are exact
    # at x = 0 too (built from max and |x|, the Hessian there came out 0, not 1/4).
    return ops.softplus(x) - x * y


def mse_loss(pred, target, reduction="mean"):
    """Mean squared error: mean((pred - target)**2) (PyTorch's `MSELoss` formula).

    pred: a Tensor of any shape, or a Value or list of Values. target: numbers
    of the same shape (array, Tensor, number, or list). reduction: 'mean'
    (default), 'sum', or 'none' (the per-element squared errors).
    Raises ValueError on a shape mismatch (no broadcasting) or an unknown reduction.
    """
    return _elementwise_loss("mse_loss", _squared_error, pred, target, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], computed stably.

    Per element: softplus(x) - x y = max(x, 0) - x y + log(1 + exp(-|x|)), which
    equals -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] and never overflows
    (the form PyTorch's `BCEWithLogitsLoss` documents). Its derivative is
    sigmoid(x) - y and its second derivative sigmoid(x)(1 - sigmoid(x)) everywhere,
    x = 0 included. Shapes and reduction as `mse_loss`.
    """
    return _elementwise_loss(
        "binary_cross_entropy_with_logits", _bce_with_logits, logits, target, reduction
    )


def _class_labels(labels, n_classes, shape):
    """Integer class labels as an intp array of `shape`, each in [0, n_classes)."""
    arr = np.asarray(labels.data if isinstance(labels, Node) else labels)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"class labels must be integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise ValueError(f"class labels must be integers, got {arr[bad].flat[0].item()!r}")
    if arr.shape != shape:
        raise ValueError(
            f"expected class labels of shape {shape} for these logits, got shape {arr.shape}"
        )
    out = (arr < 0) | (arr >= n_classes)  # checked before the cast, so 1e300 is named as is
    if out.any():
        raise ValueError(
            f"class label {arr[out].flat[0].item()!r} is out of range for {n_classes} classes "
            f"(labels must be in 0..{n_classes - 1})"
        )
    return arr.astype(np.intp, copy=False)


def _nll_values(row, y):
    """-log_softmax(row)[y] of a list of Values: log(sum(exp(v - m))) - (row[y] - m).

    m, the largest logit, is a constant shift subtracted before anything else, so
    nothing overflows and no precision is lost for large logits.
    """
    m = max(v.data for v in row)
    return ops.log(sum((ops.exp(v - m) for v in row[1:]), ops.exp(row[0] - m))) - (row[y] - m)


def _is_value_rows(logits):
    return _is_scalar_input(logits) or (
        isinstance(logits, (list, tuple)) and logits and isinstance(logits[0], (list, tuple))
    )


def cross_entropy(logits, labels, reduction="mean"):
    """Cross-entropy of integer class labels under softmax(logits) (PyTorch's `CrossEntropyLoss`).

    Per sample: -log_softmax(logits)[label], with every logit shifted by the largest
    first, so large logits neither overflow nor lose precision.
    logits: a Tensor (batch, classes) or (classes,); or, on scalars, a list of
    Values (one sample) or a list of such lists (a batch).
    labels: integers (an int array, a list, or floats with integral values)
    of shape (batch,) or a single integer.
    reduction: 'mean' over the batch (default; nan for an empty batch), 'sum', or 'none'.
    Raises ValueError for labels out of [0, classes), non-integer labels, or
    labels whose shape does not match the batch.
    """
    _check_reduction(reduction)
    if _is_value_rows(logits):
        single = isinstance(logits[0], Value)
        rows = [list(logits)] if single else [list(r) for r in logits]
        n_classes = len(rows[0])
        if any(len(r) != n_classes for r in rows):
            raise ValueError("cross_entropy: every row of logits needs the same number of classes")
        ys = np.atleast_1d(_class_labels(labels, n_classes, () if single else (len(rows),)))
        per_sample = [_nll_values(row, y) for row, y in zip(rows, ys)]
    else:
        x = _as_batch(logits)
        if x.ndim not in (1, 2):
            raise ValueError(
                f"cross_entropy expects logits of shape (batch, classes) or (classes,), got "
                f"{x.shape}"
            )
        y = _class_labels(labels, x.shape[-1], x.shape[:-1])
        logp = ops.log_softmax(x, axis=-1)
        per_sample = -(logp[y] if x.ndim == 1 else logp[np.arange(x.shape[0]), y])
    return _reduce(per_sample, reduction)


class _Loss(Module):
    def __init__(self, reduction="mean"):
        self.reduction = _check_reduction(reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """`mse_loss` as a module: `MSELoss(reduction='mean')(pred, target)`."""

    def forward(self, pred, target):
        return mse_loss(pred, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """`binary_cross_entropy_with_logits` as a module: `BCEWithLogitsLoss()(logits, target)`."""

    def forward(self, logits, target):
        return binary_cross_entropy_with_logits(logits, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """`cross_entropy` as a module: `CrossEntropyLoss()(logits, labels)`."""

    def forward(self, logits, labels):
        return cross_entropy(logits, labels, self.reduction)
