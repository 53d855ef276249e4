"""Normalisation layers, as PyTorch's: `LayerNorm` and `BatchNorm1d`.

Both compute y = (x - mean) / sqrt(var + eps) * weight + bias with the biased variance
(divided by n), written in the engine's ops, so the gradients with respect to the input
and the affine parameters (and second derivatives) flow through the statistics.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core import ops
from ..core.tensor import Tensor
from .module import Module, _as_batch, _check_count


def _normalize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes`, var the biased variance; also (mean, var)."""
    mean = ops.mean(x, axis=axes, keepdims=True)
    centred = x - mean
    var = ops.mean(centred * centred, axis=axes, keepdims=True)
    return centred / ops.sqrt(var + eps), mean, var


def _affine(y, weight, bias):
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


class LayerNorm(Module):
    """Normalise each sample over its last axes, as `torch.nn.LayerNorm`.

    normalized_shape: an int or a tuple, the shape of the trailing axes normalised
    together; the input has shape (*, *normalized_shape), the output the same.
    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased variance over
    those axes (Ba, Kiros & Hinton 2016). weight starts at ones and bias at zeros, both
    shaped normalized_shape (elementwise_affine=False: neither; bias=False: no bias).
    Raises ValueError naming both shapes when the input's trailing axes differ.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(_check_count(n, "normalized_shape") for n in normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        shape = self.normalized_shape
        self.weight = Tensor(np.ones(shape), requires_grad=True) if elementwise_affine else None
        self.bias = (
            Tensor(np.zeros(shape), requires_grad=True) if elementwise_affine and bias else None
        )

    def forward(self, x):
        x = _as_batch(x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k :] != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"{self!r} expects an input whose last {k} axes have shape "
                f"{self.normalized_shape}, got input of shape {x.shape}"
            )
        y, _, _ = _normalize(x, tuple(range(x.ndim - k, x.ndim)), self.eps)
        return _affine(y, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class BatchNorm1d(Module):
    """Normalise each feature over the batch, as `torch.nn.BatchNorm1d` (Ioffe & Szegedy 2015).

    Input (N, C) or (N, C, L), C = num_features; output the same shape.
    Training mode: mean and biased variance of each channel over the batch (and L) give
    y = (x - mean) / sqrt(var + eps) * weight + bias, and the running statistics move
    towards them: running = (1 - momentum) running + momentum batch, with the
    *unbiased* variance (times n / (n - 1)) for running_var, as PyTorch;
    momentum=None gives the cumulative average (1 / num_batches_tracked). Evaluation
    mode (`eval()`): running_mean and running_var take the batch's place, constants.
    weight starts at ones, bias at zeros (affine=False: neither).
    Buffers: running_mean (zeros), running_var (ones), Tensors of shape (C,), and
    num_batches_tracked (an int64 0-d array), all in `state_dict` under PyTorch's
    names. track_running_stats=False: no buffers, batch statistics in both modes.
    The buffers' arrays are replaced by new ones, never written into, and only after
    the output is computed. Raises ValueError naming the layer and the shape for an input
    of another rank or channel count, or with a single value per channel in training.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        self.num_features = _check_count(num_features, "num_features")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        c = self.num_features
        self.weight = Tensor(np.ones(c), requires_grad=True) if affine else None
        self.bias = Tensor(np.zeros(c), requires_grad=True) if affine else None
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c)))
            self.register_buffer("running_var", Tensor(np.ones(c)))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        """running_mean to zeros, running_var to ones, num_batches_tracked to 0."""
        if self.track_running_stats:
            self.running_mean = Tensor(np.zeros(self.num_features))
            self.running_var = Tensor(np.ones(self.num_features))
            self.num_batches_tracked = np.array(0, dtype=np.int64)

    def forward(self, x):
        x = _as_batch(x)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r} expects input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got input of shape {x.shape}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        # (C,) statistics broadcast against (N, C) directly, against (N, C, L) as (C, 1)
        shape = (self.num_features,) if x.ndim == 2 else (self.num_features, 1)
        batch_stats = self.training or not self.track_running_stats
        if not batch_stats:
            mean = self.running_mean.data.reshape(shape)
            var = self.running_var.data.reshape(shape)
            y = (x - mean) / np.sqrt(var + self.eps)
        else:
            n = x.size // self.num_features
            if self.training and n < 2:
                raise ValueError(
                    f"{self!r} needs more than 1 value per channel when training, got input "
                    f"of shape {x.shape}"
                )
            y, mean, var = _normalize(x, axes, self.eps)
        w = None if self.weight is None else self.weight.reshape(shape)
        b = None if self.bias is None else self.bias.reshape(shape)
        out = _affine(y, w, b)
        if self.training and self.track_running_stats:
            self._update_running_stats(ops._raw(mean).reshape(-1), ops._raw(var).reshape(-1), n)
        return out

    def _update_running_stats(self, mean, var, n):
        count = self.num_batches_tracked + 1
        f = 1.0 / float(count) if self.momentum is None else self.momentum
        unbiased = var * (n / (n - 1))
        # new arrays: a graph recorded in eval mode keeps the statistics it saw
        self.running_mean.data = (1 - f) * self.running_mean.data + f * mean
        self.running_var.data = (1 - f) * self.running_var.data + f * unbiased
        self.num_batches_tracked = count

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )
