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
from ..core.primitive import primitive
from ..core.tensor import Tensor
from ..core.value import Value
from .module import Module, _as_batch, _as_integers

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


def _class_labels(labels, n_classes, shape, ignore_index=None):
    """Integer class labels as an intp array of `shape`, each in [0, n_classes) or ignore_index."""
    arr = _as_integers(labels, "class labels")
    if arr.shape != shape:
        raise ValueError(
            f"expected class labels of shape {shape} for these logits, got shape {arr.shape}"
        )
    out = (arr < 0) | (arr >= n_classes)  # checked before the cast, so 1e300 is named as is
    if ignore_index is not None:
        out &= arr != ignore_index
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


def _class_weights(weight, n_classes, what):
    """`weight` as a float array of shape (n_classes,), or None."""
    if weight is None:
        return None
    w = np.asarray(weight.data if isinstance(weight, Node) else weight)
    if w.dtype.kind not in "biuf" or w.shape != (n_classes,):
        raise ValueError(
            f"{what}: weight must be {n_classes} numbers, one per class (shape "
            f"({n_classes},)), got shape {w.shape} and dtype {w.dtype}"
        )
    return w.astype(np.float64)


def _class_loss(what, scores, labels, reduction, weight, ignore_index, from_logits):
    """The loss of integer labels under log-probabilities: -w[y] log p[y] per sample, reduced.

    scores: logits (from_logits: log_softmax is taken first) or log-probabilities, as a
    Tensor (batch, classes) or (classes,), a list of Values (one sample) or a list of such
    lists. Samples labelled ignore_index weigh 0. 'mean' divides by the sum of the
    samples' weights (their number when unweighted), as PyTorch; nan when it is 0.
    """
    _check_reduction(reduction)
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise ValueError(f"{what}: ignore_index must be an integer, got {ignore_index!r}")
    if _is_value_rows(scores):
        single = isinstance(scores[0], Value)
        rows = [list(scores)] if single else [list(r) for r in scores]
        n_classes = len(rows[0])
        if any(len(r) != n_classes for r in rows):
            raise ValueError(f"{what}: every row of logits needs the same number of classes")
        ys = _class_labels(labels, n_classes, () if single else (len(rows),), ignore_index)
        ys = np.atleast_1d(ys)
        w = _class_weights(weight, n_classes, what)
        kept = ys != ignore_index
        per_sample = [
            (_nll_values(row, y) if from_logits else -row[y])
            if keep
            else Value(0.0, requires_grad=False)
            for row, y, keep in zip(rows, ys, kept)
        ]
        if w is None and kept.all():
            return _reduce(per_sample, reduction)
        wy = np.where(kept, 1.0 if w is None else w[np.where(kept, ys, 0)], 0.0)
        per_sample = [v * float(c) for v, c in zip(per_sample, wy)]
        return _weighted_reduce(per_sample, wy.sum(), reduction)
    x = _as_batch(scores)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"{what} expects {'logits' if from_logits else 'log-probabilities'} of shape "
            f"(batch, classes) or (classes,), got {x.shape}"
        )
    y = _class_labels(labels, x.shape[-1], x.shape[:-1], ignore_index)
    w = _class_weights(weight, x.shape[-1], what)
    logp = ops.log_softmax(x, axis=-1) if from_logits else x
    kept = y != ignore_index
    safe = np.where(kept, y, 0)
    per_sample = -(logp[safe] if x.ndim == 1 else logp[np.arange(x.shape[0]), safe])
    if w is None and kept.all():
        return _reduce(per_sample, reduction)
    wy = np.where(kept, 1.0 if w is None else w[safe], 0.0)
    return _weighted_reduce(per_sample * wy, wy.sum(), reduction)


def _weighted_reduce(losses, total, reduction):
    """Reduce weighted per-sample losses; 'mean' divides by `total`, the sum of the weights.

    With total 0 (every sample ignored) the mean is nan and its gradient 0, as PyTorch's:
    nan is added as a constant, so it does not reach the gradient.
    """
    if reduction != "mean":
        return _reduce(losses, reduction)
    summed = _reduce(losses, "sum")
    return summed * (1.0 / total) if total else summed + np.nan


def cross_entropy(logits, labels, reduction="mean", weight=None, ignore_index=-100):
    """Cross-entropy of integer class labels under softmax(logits) (PyTorch's `CrossEntropyLoss`).

    Per sample: -weight[label] * log_softmax(logits)[label], with every logit shifted by
    the largest first, so large logits neither overflow nor lose precision.
    logits: a Tensor (batch, classes) or (classes,); or, on scalars, a list of
    Values (one sample) or a list of such lists (a batch).
    labels: integers (an int array, a list, or floats with integral values)
    of shape (batch,) or a single integer.
    reduction: 'mean' over the batch (default; nan for an empty batch), 'sum', or 'none'.
    weight: None or one number per class, shape (classes,): 'mean' is then the weighted
    mean, sum(w[y_n] l_n) / sum(w[y_n]), as PyTorch. ignore_index (default -100):
    samples with this label contribute 0 and leave the mean's denominator (nan if every
    sample is ignored). `reduction` stays the third argument (earlier versions); PyTorch's
    `label_smoothing` and class-probability targets are not implemented.
    Raises ValueError for labels out of [0, classes) (other than ignore_index),
    non-integer labels, labels whose shape does not match the batch, or a weight of
    another shape.
    """
    return _class_loss("cross_entropy", logits, labels, reduction, weight, ignore_index, True)


def nll_loss(log_probs, labels, reduction="mean", weight=None, ignore_index=-100):
    """Negative log-likelihood of integer labels: -weight[label] * log_probs[label] per sample.

    As `torch.nn.NLLLoss`: log_probs are log-probabilities (usually `LogSoftmax`'s
    output), a Tensor (batch, classes) or (classes,), or Values as `cross_entropy`.
    Labels, weight, ignore_index and reduction as `cross_entropy`, whose value this is
    on log_softmax(logits). The gradient is -weight[label] / (normaliser) at the label's
    entry and 0 elsewhere.
    """
    return _class_loss("nll_loss", log_probs, labels, reduction, weight, ignore_index, False)


def _absolute_error(pred, target):
    return abs(pred - target)


def l1_loss(pred, target, reduction="mean"):
    """Mean absolute error: mean(|pred - target|) (PyTorch's `L1Loss`).

    Derivative sign(pred - target) / n, 0 where they are equal (as PyTorch). Shapes and
    reduction as `mse_loss`.
    """
    return _elementwise_loss("l1_loss", _absolute_error, pred, target, reduction)


def huber_loss(pred, target, reduction="mean", delta=1.0):
    """Huber loss (PyTorch's `HuberLoss`): per element, with d = pred - target,
    d**2 / 2 where |d| < delta, else delta (|d| - delta / 2).

    Quadratic near 0, linear from delta on, continuous with its first derivative
    (clip(d, -delta, delta)). At |d| = delta exactly the linear piece is taken, so the
    second derivative there is 0, PyTorch's convention. Shapes and reduction as
    `mse_loss`; raises ValueError for delta <= 0.
    """
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not delta > 0:
        raise ValueError(f"huber_loss: delta must be a positive number, got {delta!r}")
    delta = float(delta)

    def formula(p, t):
        d = p - t
        size = abs(d)
        return ops.where(size < delta, 0.5 * (d * d), delta * (size - 0.5 * delta))

    return _elementwise_loss("huber_loss", formula, pred, target, reduction)


_LOG_FLOOR = -100.0  # PyTorch clamps BCE's logarithms at -100, so p = 0 or 1 stays finite


@primitive
def _bce(p, y):
    """-(y log p + (1 - y) log(1 - p)) elementwise, each logarithm clamped at -100."""
    with np.errstate(divide="ignore"):
        return -(
            y * np.maximum(np.log(p), _LOG_FLOOR) + (1 - y) * np.maximum(np.log1p(-p), _LOG_FLOOR)
        )


# PyTorch's derivatives (aten's binary_cross_entropy_backward and the target's backward):
# d/dp = (p - y) / max(p (1 - p), eps), finite at p = 0 and 1; d/dy = log(1 - p) - log(p).
# eps is PyTorch's EPSILON, the float32 1e-12 (9.99999996e-13 as a double), for equal results.
_BCE_EPS = float(np.float32(1e-12))
_bce.defvjp(
    lambda g, out, p, y: g * (p - y) / ops.maximum(p * (1 - p), _BCE_EPS),
    lambda g, out, p, y: g * (ops.log1p(-p) - ops.log(p)),
)


def binary_cross_entropy(probs, target, reduction="mean", weight=None):
    """Binary cross-entropy of probabilities: -w (y log p + (1 - y) log(1 - p)) per element.

    As `torch.nn.BCELoss`: probs and target in [0, 1], the same shape (a Tensor, or
    Values as `mse_loss`); each logarithm is clamped at -100, so p = 0 or 1 gives a
    finite loss, and the derivative (p - y) / max(p (1 - p), 1e-12) is PyTorch's (so
    at p = 0 or 1 it is about ±1e12, not inf).
    weight: None or numbers broadcastable to the input's shape, a factor per element
    ('mean' is then the plain mean of the weighted losses, as PyTorch).
    Prefer `binary_cross_entropy_with_logits` on logits: it is stable where this
    saturates. Raises ValueError for a probability or target outside [0, 1] (or nan),
    naming it, a shape mismatch, or a weight that does not broadcast.
    """
    _check_reduction(reduction)
    values = _is_scalar_input(probs)
    raw = (
        [v.data for v in (probs if isinstance(probs, (list, tuple)) else [probs])]
        if values
        else (probs.data if isinstance(probs, Node) else probs)
    )
    _check_unit_interval(raw, "input")
    _check_unit_interval(target.data if isinstance(target, Node) else target, "target")
    losses = _elementwise_loss("binary_cross_entropy", _bce, probs, target, "none")
    if weight is not None:
        w = _element_weights(weight)
        shape = (len(losses),) if isinstance(losses, list) else losses.shape
        try:
            w = np.broadcast_to(w, shape)
        except ValueError:
            raise ValueError(
                f"binary_cross_entropy: weight of shape {w.shape} does not broadcast to the "
                f"input's shape {shape}"
            ) from None
        if isinstance(losses, list):
            losses = [v * float(c) for v, c in zip(losses, w)]
        else:
            losses = losses * w
    return _reduce(losses, reduction)


def _element_weights(weight):
    """binary_cross_entropy's weight (numbers, a Tensor's data) as a float64 array."""
    return np.asarray(weight.data if isinstance(weight, Node) else weight, dtype=float)


def _check_unit_interval(values, what):
    arr = np.asarray(values, dtype=float)
    bad = ~((arr >= 0) & (arr <= 1))
    if bad.any():
        raise ValueError(
            f"binary_cross_entropy: every {what} must be in [0, 1], got {arr[bad].flat[0].item()!r}"
        )


class _Loss(Module):
    def __init__(self, reduction="mean"):
        self.reduction = _check_reduction(reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with a per-class (or per-element) `weight`, kept as a buffer as in PyTorch."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else np.asarray(weight, float))


class MSELoss(_Loss):
    """`mse_loss` as a module: `MSELoss(reduction='mean')(pred, target)`."""

    def forward(self, pred, target):
        return mse_loss(pred, target, self.reduction)


class L1Loss(_Loss):
    """`l1_loss` as a module: `L1Loss(reduction='mean')(pred, target)`."""

    def forward(self, pred, target):
        return l1_loss(pred, target, self.reduction)


class HuberLoss(_Loss):
    """`huber_loss` as a module: `HuberLoss(reduction='mean', delta=1.0)(pred, target)`."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        huber_loss(Tensor(0.0), 0.0, delta=delta)  # checks delta now, not at the first call
        self.delta = float(delta)

    def forward(self, pred, target):
        return huber_loss(pred, target, self.reduction, self.delta)

    def extra_repr(self):
        return f"reduction={self.reduction!r}, delta={self.delta}"


class BCEWithLogitsLoss(_Loss):
    """`binary_cross_entropy_with_logits` as a module: `BCEWithLogitsLoss()(logits, target)`."""

    def forward(self, logits, target):
        return binary_cross_entropy_with_logits(logits, target, self.reduction)


class BCELoss(_WeightedLoss):
    """`binary_cross_entropy` as a module: `BCELoss(weight=None, reduction='mean')(p, y)`."""

    def forward(self, probs, target):
        return binary_cross_entropy(probs, target, self.reduction, self.weight)


class CrossEntropyLoss(_WeightedLoss):
    """`cross_entropy` as a module: `CrossEntropyLoss(weight=None, ignore_index=-100,
    reduction='mean')(logits, labels)` (PyTorch's argument order)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, logits, labels):
        return cross_entropy(logits, labels, self.reduction, self.weight, self.ignore_index)


class NLLLoss(CrossEntropyLoss):
    """`nll_loss` as a module: `NLLLoss(weight=None, ignore_index=-100, reduction='mean')`."""

    def forward(self, log_probs, labels):
        return nll_loss(log_probs, labels, self.reduction, self.weight, self.ignore_index)
