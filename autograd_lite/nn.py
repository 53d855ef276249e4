"""Neural-network building blocks on the engine: modules, layers and losses.

A `Module` holds parameters (leaf `Tensor`s or `Value`s with
`requires_grad=True`) in its attributes, directly or inside lists, tuples and
dicts, and sub-modules the same way. `named_parameters()` finds them all with
dotted names such as `layers.0.weight`, in attribute order; the same names
label the parameters (`p.label`), key `state_dict()`, and name the arrays of a
saved `.npz` file.

Two families share the `Module` base:

- batch layers on `Tensor`s, shaped `(batch, features)` as in PyTorch:
  `Linear`, `ReLU`, `Tanh`, `Sigmoid`, `Sequential`;
- for teaching, scalar layers on `Value`s, as in micrograd: `Neuron`,
  `Layer`, `MLP`, whose inputs and outputs are lists of numbers or Values.

The losses `MSELoss`, `BCEWithLogitsLoss` and `CrossEntropyLoss` (and their
functional forms) accept either family.
"""

from __future__ import annotations

import math
import os
import tempfile
import zipfile

import numpy as np

from . import ops
from .graph import Node
from .tensor import Tensor
from .value import Value

__all__ = [
    "MLP",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Layer",
    "Linear",
    "MSELoss",
    "Module",
    "Neuron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "mse_loss",
]

_CONTAINERS = (list, tuple, dict)
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)  # what reading a bad .npz raises


def _members(obj):
    """(name, item) pairs inside a module or container that may hold parameters or modules."""
    if isinstance(obj, Module):
        items = ((k, v) for k, v in vars(obj).items() if not k.startswith("_"))
    elif isinstance(obj, dict):
        items = ((str(k), v) for k, v in obj.items())
    else:
        items = ((str(i), v) for i, v in enumerate(obj))
    return [(k, v) for k, v in items if isinstance(v, (Module, Node) + _CONTAINERS)]


def _walk(root, prefix=""):
    """Every module and node reachable from `root`, as (dotted name, object), depth first.

    Attribute (and list) order is kept; each object is visited once, so shared
    modules and reference cycles are harmless. Iterative: no recursion.
    """
    seen = set()
    stack = [(prefix, root)]
    while stack:
        name, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield name, obj
        if isinstance(obj, Node):
            continue
        children = [(f"{name}.{k}" if name else k, v) for k, v in _members(obj)]
        stack.extend(reversed(children))


def _walk_children(module):
    """Direct sub-modules (also those in lists, tuples and dicts) as (dotted name, module)."""
    out = []
    for name, obj in _members(module):
        if isinstance(obj, Module):
            out.append((name, obj))
        elif isinstance(obj, _CONTAINERS):
            out.extend((f"{name}.{k}", v) for k, v in _members(obj) if isinstance(v, Module))
    return out


def _is_parameter(obj):
    return isinstance(obj, Node) and obj.requires_grad and obj.is_leaf


def _parameters_of(obj, prefix=""):
    return [(name, p) for name, p in _walk(obj, prefix) if _is_parameter(p)]


class Module:
    """Base class of layers, models and losses (as `torch.nn.Module`).

    Subclasses set parameters and sub-modules as attributes in `__init__` and
    define `forward`; calling the module calls `forward`. Assigning a
    parameter, module or list of them to an attribute labels every parameter
    inside with its dotted name, so drawings of the graph can group them.
    Attributes whose names start with '_' are private and never searched.
    """

    training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if not name.startswith("_") and isinstance(value, (Module, Node) + _CONTAINERS):
            for dotted, p in _parameters_of(value, name):
                p.label = dotted

    # ---- traversal ---------------------------------------------------------------------
    def named_modules(self):
        """[(dotted name, module)] of this module (named '') and every sub-module, depth first."""
        return [(n, m) for n, m in _walk(self) if isinstance(m, Module)]

    def named_parameters(self):
        """[(dotted name, parameter)] for every parameter, depth first in attribute order.

        A parameter is a leaf `Tensor` or `Value` with `requires_grad=True`; one
        shared between several places is listed once, under its first name.
        """
        return _parameters_of(self)

    def parameters(self):
        """The parameters as a list, in the order of `named_parameters()`."""
        return [p for _, p in _parameters_of(self)]

    def zero_grad(self):
        """Reset the gradient of every parameter (None for a Tensor, 0.0 for a Value)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode=True):
        """Set `training` on this module and every sub-module; returns self."""
        for _, m in self.named_modules():
            m.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: `train(False)`; returns self."""
        return self.train(False)

    # ---- saving and loading ----------------------------------------------------------------
    def state_dict(self):
        """{dotted name: numpy array copy} of every parameter (0-d arrays for Values)."""
        return {name: np.array(p.data, copy=True) for name, p in _parameters_of(self)}

    def load_state_dict(self, state):
        """Copy parameter values from `state` ({name: numpy array, Tensor, Value or number}).

        Every name and shape is checked before anything changes: unknown or
        missing names, wrong shapes and non-numeric values raise ValueError
        listing every problem, and leave the parameters untouched. Values are
        converted to each parameter's dtype.
        """
        params = dict(_parameters_of(self))
        problems = [f"missing {n!r}" for n in params if n not in state]
        problems += [f"unexpected {k!r}" for k in state if k not in params]
        new = {}
        for name, p in params.items():
            if name not in state:
                continue
            raw = state[name]
            arr = np.asarray(raw.data if isinstance(raw, Node) else raw)
            expected = np.shape(p.data)
            if arr.dtype.kind not in "biuf":
                problems.append(f"{name!r} is not numeric (dtype {arr.dtype})")
            elif arr.shape != expected:
                problems.append(f"{name!r} has shape {arr.shape}, the parameter has {expected}")
            else:
                new[name] = arr
        if problems:
            raise ValueError(
                f"cannot load state into {type(self).__name__}: " + "; ".join(problems)
            )
        for name, p in params.items():
            if isinstance(p, Value):
                p.data = float(new[name])
            else:
                p.data = new[name].astype(p.data.dtype, copy=True)

    def save(self, path):
        """Write `state_dict()` to `path` as a numpy `.npz` archive, atomically.

        The archive is written to a temporary file in the same directory and
        then renamed over `path` (`os.replace`), so a failure never leaves a
        half-written file and an existing file stays intact until the end.
        """
        _atomic_write(path, lambda f: np.savez(f, **self.state_dict()))

    def load(self, path):
        """Load parameters saved by `save(path)`; returns self.

        Raises FileNotFoundError for a missing file, ValueError for a file that
        is not a `.npz` archive or whose names or shapes do not match this
        model. On any error the parameters are left untouched.
        """
        path = os.fspath(path)
        try:
            archive = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise FileNotFoundError(f"no saved model at {path!r}") from None
        except _READ_ERRORS as e:
            raise ValueError(f"{path!r} is not a .npz archive of saved parameters ({e})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(  # noqa: TRY004 - a wrong file is a bad value, as the other load errors
                f"{path!r} holds a single array, not a .npz archive of parameters"
            )
        with archive:
            try:
                state = {k: archive[k] for k in archive.files}
            except _READ_ERRORS as e:  # a damaged member of the archive
                raise ValueError(f"{path!r} could not be read as saved parameters ({e})") from None
        self.load_state_dict(state)
        return self

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({n}): " + repr(m).replace("\n", "\n  ") for n, m in _walk_children(self)]
        return "\n".join([head] + lines)

    def extra_repr(self) -> str:
        """The constructor arguments shown by `repr` (override in subclasses)."""
        return ""


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file


def _atomic_write(path, write):
    """Call write(binary file) on a temporary file beside `path`, then rename it onto `path`.

    A failure removes the temporary file and leaves any existing `path` as it was.
    """
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _as_batch(x):
    """A Tensor for a layer's input: Tensors pass through, arrays become constants."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_count(n, what):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return int(n)


# ---------------------------------------------------------------------------------------
# Batch layers on Tensors


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


class Sequential(Module):
    """Modules applied one after another: `Sequential(Linear(4, 8), ReLU(), Linear(8, 3))`.

    The modules are kept in `self.layers`, so parameters are named
    `layers.0.weight`, `layers.2.bias`, ...
    """

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, argument {i} is a {type(m).__name__}")
        self.layers = list(modules)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)


# ---------------------------------------------------------------------------------------
# Scalar layers on Values (micrograd style)

_ACTIVATIONS = ("relu", "tanh", "sigmoid", None)


class Neuron(Module):
    """One unit on scalars: act(sum_i w_i x_i + b), with `Value` weights `w` (a list) and `b`.

    nin: number of inputs; activation: 'relu', 'tanh', 'sigmoid' or None
    (linear). Weights and bias start in U(-k, k), k = 1/sqrt(nin), as `Linear`.
    Input: a sequence of nin numbers or Values; output: a Value. A sequence of
    another length raises ValueError naming both lengths.
    """

    def __init__(self, nin, activation="relu", rng=None):
        self.nin = _check_count(nin, "nin")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of 'relu', 'tanh', 'sigmoid', None; got {activation!r}"
            )
        self.activation = activation
        rng = np.random.default_rng(rng)
        k = 1.0 / math.sqrt(self.nin)
        self.w = [Value(float(u)) for u in rng.uniform(-k, k, self.nin)]
        self.b = Value(float(rng.uniform(-k, k)))

    def forward(self, x):
        if len(x) != self.nin:
            raise ValueError(f"Neuron({self.nin}) expects {self.nin} inputs, got {len(x)}")
        z = self.b
        for wi, xi in zip(self.w, x):
            z = z + wi * xi
        return z if self.activation is None else getattr(z, self.activation)()

    def extra_repr(self):
        return f"{self.nin}, activation={self.activation!r}"


class Layer(Module):
    """`nout` Neurons reading the same `nin` inputs; returns a list of nout Values."""

    def __init__(self, nin, nout, activation="relu", rng=None):
        rng = np.random.default_rng(rng)
        nout = _check_count(nout, "nout")
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def forward(self, x):
        return [n(x) for n in self.neurons]

    def __repr__(self):  # one line: listing every Neuron would drown the model's outline
        n = self.neurons[0]
        return f"Layer({n.nin}, {len(self.neurons)}, activation={n.activation!r})"


class MLP(Module):
    """A multi-layer perceptron of Values: `MLP(4, [16, 3])` maps 4 inputs to 3 outputs.

    Hidden layers use `activation` ('relu' by default); the last layer is
    linear, so its outputs are logits (or regression outputs). Input: a
    sequence of nin numbers or Values; output: a list of Values, one per output.
    """

    def __init__(self, nin, nouts, activation="relu", rng=None):
        rng = np.random.default_rng(rng)
        if len(nouts) == 0:
            raise ValueError("MLP needs at least one layer size in nouts, got []")
        sizes = [_check_count(nin, "nin")] + [_check_count(n, "layer size") for n in nouts]
        last = len(sizes) - 2
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else None, rng)
            for i in range(len(sizes) - 1)
        ]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def extra_repr(self):
        sizes = [self.layers[0].neurons[0].nin] + [len(layer.neurons) for layer in self.layers]
        return ", ".join(map(str, sizes))


# ---------------------------------------------------------------------------------------
# Losses. Each accepts Tensors (any shape, usually a batch) or Values (one Value, or a
# list of them; a list of lists of logits for cross_entropy).

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _reduce(losses, reduction):
    """Reduce a Tensor of per-element losses, or a list of per-element Values."""
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
        targets = [float(t) for t in np.ravel(np.asarray(raw, dtype=float))]
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


def mse_loss(pred, target, reduction="mean"):
    """Mean squared error: mean((pred - target)**2) (PyTorch's `MSELoss` formula).

    pred: a Tensor of any shape, or a Value or list of Values. target: numbers
    of the same shape (array, Tensor, number, or list). reduction: 'mean'
    (default), 'sum', or 'none' (the per-element squared errors).
    Raises ValueError on a shape mismatch (no broadcasting) or an unknown reduction.
    """
    _check_reduction(reduction)
    if _is_scalar_input(pred):
        preds, targets = _scalar_pairs(pred, target, "mse_loss")
        diffs = [p - t for p, t in zip(preds, targets)]
        return _reduce([d * d for d in diffs], reduction)
    pred = _as_batch(pred)
    _check_same_shape(pred, target, "mse_loss")
    diff = pred - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], computed stably.

    Per element: max(x, 0) - x y + log(1 + exp(-|x|)), which equals
    -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] and never overflows
    (the form PyTorch's `BCEWithLogitsLoss` documents). Its derivative is
    sigmoid(x) - y everywhere, 0.5 - y at x = 0 included (there max(x, 0)
    shares the tie evenly). Shapes and reduction as `mse_loss`.
    """
    _check_reduction(reduction)
    if _is_scalar_input(logits):
        xs, ys = _scalar_pairs(logits, target, "binary_cross_entropy_with_logits")
        return _reduce([_bce(x, y) for x, y in zip(xs, ys)], reduction)
    x = _as_batch(logits)
    _check_same_shape(x, target, "binary_cross_entropy_with_logits")
    return _reduce(_bce(x, target), reduction)


def _bce(x, y):
    return ops.maximum(x, 0.0) - x * y + ops.log(1.0 + ops.exp(-ops.abs(x)))


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


def _cross_entropy_values(rows, labels):
    """Per-sample cross-entropy of lists of Value logits: logsumexp(row) - row[label]."""
    losses = []
    for row, y in zip(rows, labels):
        m = max(v.data for v in row)  # a constant shift: exact, and keeps exp from overflowing
        total = sum((ops.exp(v - m) for v in row[1:]), ops.exp(row[0] - m))
        losses.append(ops.log(total) + m - row[y])
    return losses


def cross_entropy(logits, labels, reduction="mean"):
    """Cross-entropy of integer class labels under softmax(logits) (PyTorch's `CrossEntropyLoss`).

    Per sample: -log_softmax(logits)[label] = logsumexp(logits) - logits[label],
    computed through `log_softmax`, so large logits never overflow.
    logits: a Tensor (batch, classes) or (classes,); or, on scalars, a list of
    Values (one sample) or a list of such lists (a batch).
    labels: integers (an int array, a list, or floats with integral values)
    of shape (batch,) or a single integer.
    reduction: 'mean' over the batch (default), 'sum', or 'none'.
    Raises ValueError for labels out of [0, classes), non-integer labels, or
    labels whose shape does not match the batch.
    """
    _check_reduction(reduction)
    if _is_scalar_input(logits) or (
        isinstance(logits, (list, tuple)) and logits and isinstance(logits[0], (list, tuple))
    ):
        single = isinstance(logits[0], Value)
        rows = [list(logits)] if single else [list(r) for r in logits]
        n_classes = len(rows[0])
        if any(len(r) != n_classes for r in rows):
            raise ValueError("cross_entropy: every row of logits needs the same number of classes")
        shape = () if single else (len(rows),)
        ys = np.atleast_1d(_class_labels(labels, n_classes, shape))
        return _reduce(_cross_entropy_values(rows, ys), reduction)
    x = _as_batch(logits)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"cross_entropy expects logits of shape (batch, classes) or (classes,), got {x.shape}"
        )
    y = _class_labels(labels, x.shape[-1], x.shape[:-1])
    logp = x.log_softmax(axis=-1)
    picked = logp[y] if x.ndim == 1 else logp[np.arange(x.shape[0]), y]  # integer-array gather
    if reduction == "none":
        return -picked
    return -picked.mean() if reduction == "mean" else -picked.sum()  # an empty batch: mean nan


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
