"""Batch layers on `Tensor`s, shaped `(batch, features)` as in PyTorch: Linear, the
activations, Dropout, Flatten and Embedding (normalisation layers are in normalization.py).

Every layer checks its input's shape before computing anything and raises ValueError
naming itself and the shape. Parameters start as PyTorch's defaults for the layer; `rng`
is a `numpy.random.Generator` or a seed (None: fresh entropy).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..core import ops
from ..core import series as S
from ..core.graph import Node
from ..core.primitive import primitive
from ..core.tensor import Tensor
from . import init
from .module import Module, _as_batch, _as_integers, _check_count


class Linear(Module):
    """Affine map y = x W^T + b on a batch, as `torch.nn.Linear`.

    in_features, out_features: positive ints. Input: a Tensor or array of shape
    (..., in_features), usually (batch, in_features); output (..., out_features),
    float64 unless both input and parameters are float32.
    weight: Tensor (out_features, in_features); bias: Tensor (out_features,) or None.

    Initialisation follows PyTorch's default, `Linear.reset_parameters` in
    torch/nn/modules/linear.py: the weight is Kaiming-uniform with a = sqrt(5),
    whose bound gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)), comes to
    k = 1/sqrt(in_features); the bias is uniform in (-k, k) too. `rng` is a
    `numpy.random.Generator` or a seed (None: fresh entropy), so a seed makes
    runs repeatable.

    Raises ValueError for non-positive sizes and, in forward, naming both sizes
    when the input's last axis is not in_features.
    """

    def __init__(self, in_features, out_features, bias=True, rng=None):
        self.in_features = _check_count(in_features, "in_features")
        self.out_features = _check_count(out_features, "out_features")
        rng = np.random.default_rng(rng)
        k = 1.0 / math.sqrt(self.in_features)
        w = rng.uniform(-k, k, (self.out_features, self.in_features))
        self.weight = Tensor(w, requires_grad=True)
        self.bias = (
            Tensor(rng.uniform(-k, k, self.out_features), requires_grad=True) if bias else None
        )

    def forward(self, x):
        x = _as_batch(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            got = x.shape[-1] if x.ndim else "no"
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expects {self.in_features} "
                f"input features on the last axis, got {got} (input of shape {x.shape})"
            )
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


def _elementwise(method, x):
    """x.method() on a Tensor or Value, or on each Value of a list."""
    if isinstance(x, (list, tuple)):
        return [getattr(v, method)() for v in x]
    if not isinstance(x, Node):
        x = Tensor(x)
    return getattr(x, method)()


class ReLU(Module):
    """max(x, 0) elementwise (derivative 0 at 0, as PyTorch); on a Tensor, Value or Values."""

    def forward(self, x):
        return _elementwise("relu", x)


class Tanh(Module):
    """tanh(x) elementwise; on a Tensor, a Value, or a list of Values."""

    def forward(self, x):
        return _elementwise("tanh", x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise; on a Tensor, a Value, or a list of Values."""

    def forward(self, x):
        return _elementwise("sigmoid", x)


def _on_nodes(fn, x):
    """fn(x) on a Tensor or Value, or on each Value of a list; arrays become constant Tensors."""
    if isinstance(x, (list, tuple)):
        return [fn(v) for v in x]
    return fn(x if isinstance(x, Node) else Tensor(x))


_erf_array = np.frompyfunc(math.erf, 1, 1)


@primitive
def erf(x):
    """The error function 2/sqrt(pi) * integral_0^x exp(-t**2) dt, elementwise.

    On floats, arrays, Values and Tensors (math.erf per element: correctly rounded to
    about 1 ulp). Derivative 2/sqrt(pi) exp(-x**2), written in autograd_lite's ops, so
    it differentiates to any order. erf(±inf) = ±1, erf(nan) = nan.
    """
    if isinstance(x, np.ndarray):
        return np.asarray(_erf_array(x), dtype=x.dtype)  # 0-d: frompyfunc gives a float
    return math.erf(x)


def _erf_vjp(g, out, x):
    return g * (2.0 / math.sqrt(math.pi)) * ops.exp(-(x * x))


@erf.defseries
def _erf_series(cs, out, x):
    # erf' = 2/sqrt(pi) exp(-u**2): the series of the factor, then one integration.
    c = cs[0]
    return S.integrate(out, c, (2.0 / math.sqrt(math.pi)) * S.exp(-S.multiply(c, c)))


erf.defvjp(_erf_vjp, batched=True)  # elementwise: batch axes of g broadcast
erf.defjvp(_erf_vjp)  # elementwise: the jvp is the vjp rule applied to the tangent


def _gelu_erf(x):
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


def _gelu_tanh(x):
    return 0.5 * x * (1.0 + ops.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))))


class GELU(Module):
    """Gaussian error linear unit, elementwise, as `torch.nn.GELU`.

    approximate='none' (default): x Phi(x) = x/2 (1 + erf(x/sqrt(2))), exact;
    approximate='tanh': x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))) (Hendrycks &
    Gimpel 2016). Smooth: derivatives of every order. On a Tensor, a Value or a list
    of Values. Raises ValueError for another `approximate`.
    """

    def __init__(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return _on_nodes(_gelu_tanh if self.approximate == "tanh" else _gelu_erf, x)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x, elementwise (as `torch.nn.LeakyReLU`).

    The derivative at 0 is negative_slope, PyTorch's choice. On a Tensor, a Value or a
    list of Values.
    """

    def __init__(self, negative_slope=0.01):
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        slope = self.negative_slope
        return _on_nodes(lambda v: ops.where(v > 0, v, v * slope), x)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


def _softmax_dim(layer, dim, x):
    """The axis of a (log-)softmax: `dim`, or PyTorch's legacy choice when it is None."""
    if dim is None:
        warnings.warn(
            f"{type(layer).__name__}(dim=None): the implicit dimension choice is PyTorch's "
            "deprecated legacy (axis 0 for 0-, 1- and 3-d input, else 1); pass dim",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise ValueError(
            f"{type(layer).__name__}(dim={dim}) needs an input with axis {dim}, got input of "
            f"shape {x.shape}"
        )
    return dim


class _Softmax(Module):
    def __init__(self, dim=None):
        self.dim = dim

    def forward(self, x):
        x = _as_batch(x)
        return self._fn(x, axis=_softmax_dim(self, self.dim, x))

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_Softmax):
    """exp(x) / sum(exp(x)) along `dim`, as `torch.nn.Softmax`; each slice sums to 1.

    Computed as exp(log_softmax(x)), so large logits do not overflow. dim=None picks
    PyTorch's legacy axis with a warning. Input: a Tensor (or array) of any shape;
    ValueError naming the shape if it has no axis `dim`.
    """

    _fn = staticmethod(ops.softmax)


class LogSoftmax(_Softmax):
    """log(softmax(x)) along `dim`, as `torch.nn.LogSoftmax`: x - logsumexp(x), stable.

    Same shapes and errors as `Softmax`.
    """

    _fn = staticmethod(ops.log_softmax)


class Dropout(Module):
    """Zero each element with probability p during training, scale the rest by 1/(1 - p).

    As `torch.nn.Dropout`: in training mode (`train()`, the default) a fresh mask is
    drawn on every call from `rng` (a `numpy.random.Generator` or a seed, so a seeded
    Dropout repeats its masks); in evaluation mode (`eval()`) and for p = 0 the input
    passes unchanged. p = 1 gives zeros. Expected value of the output: the input.
    The gradient is the same mask times 1/(1 - p). Input: a Tensor or array of any
    shape, output the same shape. Raises ValueError for p outside [0, 1].
    """

    def __init__(self, p=0.5, rng=None):
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout probability must be a number in [0, 1], got {p!r}")
        self.p = float(p)
        self._rng = np.random.default_rng(rng)

    def forward(self, x):
        x = _as_batch(x)
        if not self.training or self.p == 0:
            return x
        keep = self._rng.random(x.shape) >= self.p
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        return x * (keep * scale).astype(x.data.dtype)

    def extra_repr(self):
        return f"p={self.p}"


class Flatten(Module):
    """Merge axes start_dim..end_dim into one, as `torch.nn.Flatten` (default: all but the
    batch axis, (N, *rest) -> (N, prod(rest))).

    Negative dims count from the end. Raises ValueError naming the input's shape when
    it has no such axes or start_dim comes after end_dim.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x):
        x = _as_batch(x)
        n = max(x.ndim, 1)
        start, end = self.start_dim, self.end_dim
        if not (-n <= start < n and -n <= end < n) or start % n > end % n:
            raise ValueError(
                f"Flatten(start_dim={start}, end_dim={end}) cannot flatten an input of shape "
                f"{x.shape}"
            )
        start, end = start % n, end % n
        shape = x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :]
        return x.reshape(shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Embedding(Module):
    """A lookup table: row i of `weight` (num_embeddings, embedding_dim) for index i.

    As `torch.nn.Embedding`: input integer indices of any shape (an int array, a list,
    or a Tensor or floats holding integers), output shape (*input.shape,
    embedding_dim). The weight starts N(0, 1) (PyTorch's default). Its gradient adds
    the cotangent of every occurrence, so a repeated index accumulates. `padding_idx`
    (negative counts from the end): that row starts at zero and never receives a
    gradient, though its current value is still returned.
    Raises ValueError for non-positive sizes, a padding_idx out of range, and indices
    that are not integers or are outside [0, num_embeddings), naming the index.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, rng=None):
        self.num_embeddings = _check_count(num_embeddings, "num_embeddings")
        self.embedding_dim = _check_count(embedding_dim, "embedding_dim")
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} is out of range for "
                    f"{self.num_embeddings} embeddings"
                )
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        self.weight = Tensor(
            np.empty((self.num_embeddings, self.embedding_dim)), requires_grad=True
        )
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """Weight drawn N(0, 1) again, the padding row zeroed (PyTorch's default)."""
        init.normal_(self.weight, generator=rng)
        if self.padding_idx is not None:
            data = self.weight.data.copy()
            data[self.padding_idx] = 0.0
            self.weight.data = data

    def forward(self, indices):
        idx = _as_integers(indices, f"{self!r}: indices")
        out = (idx < 0) | (idx >= self.num_embeddings)
        if out.any():
            raise ValueError(
                f"{self!r}: index {idx[out].flat[0].item()!r} is out of range for "
                f"{self.num_embeddings} embeddings (indices in 0..{self.num_embeddings - 1})"
            )
        idx = idx.astype(np.intp, copy=False)
        rows = self.weight[idx]
        if self.padding_idx is None:
            return rows
        # The padding row's value as a constant: returned, never differentiated.
        padded = (idx == self.padding_idx)[..., None]
        return ops.where(padded, Tensor(self.weight.data[idx]), rows)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
