"""`Module`: the base of layers, models and losses, with named parameters and saving.

A `Module` holds parameters (leaf `Tensor`s or `Value`s with
`requires_grad=True` when assigned) in its attributes, directly or inside lists,
tuples and dicts, and sub-modules the same way; buffers (`register_buffer`) are
saved state that is not trained. `named_parameters()` finds them all with dotted
names such as `blocks.0.weight`, in attribute order (PyTorch's names: a Sequential's
are `0.weight`, ...); the same names label the parameters (`p.label`), key
`state_dict()`, and name the arrays of a saved `.npz` file.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from .._files import OPEN_ERRORS, atomic_write, entry_problem, read_npy_member
from ..core.graph import Node
from ..core.tensor import Tensor
from ..core.value import Value

_CONTAINERS = (list, tuple, dict)


def _members(obj):
    """(name, item) pairs inside a module or container that may hold parameters or modules."""
    if isinstance(obj, Module):
        items = obj._named_items()
    elif isinstance(obj, dict):
        items = ((str(k), v) for k, v in obj.items())
    else:
        items = ((str(i), v) for i, v in enumerate(obj))
    return [(k, v) for k, v in items if isinstance(v, (Module, Node) + _CONTAINERS)]


def _named_members(root, prefix=""):
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


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


class _Buffers:
    """The marker on the walk's stack that emits a module's buffers once its members are done."""

    __slots__ = ("module", "prefix")

    def __init__(self, prefix, module):
        self.prefix, self.module = prefix, module


def _state_entries(root, prefix="", owner=None, local=""):
    """The parameters and buffers under `root`, in `state_dict` order.

    Yields (kind, dotted name, object, owning module, name within that module), kind
    'param' or 'buffer'. Depth first in attribute order, a module's buffers after its
    members (so a layer's keys read `weight, bias, running_mean, ...`, as in PyTorch);
    every object is visited once. A parameter is a leaf node that requires grad, or one
    its module registered as a parameter (assigned while it required grad, frozen since).
    """
    seen = set()
    stack = [(prefix, root, owner, local)]
    while stack:
        item = stack.pop()
        if isinstance(item, _Buffers):
            buffers = item.module.__dict__.get("_buffers", {})
            for name in buffers:
                value = item.module.__dict__.get(name)
                if value is not None:
                    yield "buffer", _join(item.prefix, name), value, item.module, name
            continue
        name, obj, owner, local = item
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Node):
            if obj.is_leaf and (obj.requires_grad or _registered(owner, local)):
                yield "param", name, obj, owner, local
            continue
        if isinstance(obj, Module):
            owner, local = obj, ""
            stack.append(_Buffers(name, obj))
        children = [(_join(name, k), v, owner, _join(local, k)) for k, v in _members(obj)]
        stack.extend(reversed(children))


def _registered(owner, local):
    return owner is not None and local in owner.__dict__.get("_param_names", ())


def _direct_children(module):
    """Sub-modules reached from `module`'s members through containers only, as (name, module)."""
    out, stack = [], list(reversed(_members(module)))
    while stack:
        name, obj = stack.pop()
        if isinstance(obj, Module):
            out.append((name, obj))
        elif isinstance(obj, _CONTAINERS):
            stack.extend(reversed([(f"{name}.{k}", v) for k, v in _members(obj)]))
    return out


def _parameters_of(obj, prefix=""):
    return [(n, p) for kind, n, p, _, _ in _state_entries(obj, prefix) if kind == "param"]


class Module:
    """Base class of layers, models and losses (as `torch.nn.Module`).

    Subclasses set parameters and sub-modules as attributes in `__init__` and
    define `forward`; calling the module calls `forward`. Assigning a
    parameter, module or list of them to an attribute labels every parameter
    inside with its dotted name, so drawings of the graph can group them, and
    registers the parameters: one frozen later (`requires_grad = False`) stays a
    parameter, in `parameters()` and `state_dict()`, as in PyTorch.
    Attributes whose names start with '_' are private and never searched.
    """

    training = True
    #: A prefix that earlier versions put before the names under this module ('layers.'
    #: for Sequential); state dicts and files that carry it still load.
    _legacy_prefix = None

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def _named_items(self):
        """(name, value) of the public attributes: where parameters and sub-modules are found."""
        return [(k, v) for k, v in vars(self).items() if not k.startswith("_")]

    def __setattr__(self, name, value):
        own = self.__dict__
        if name in own.get("_buffers", ()):
            value = _as_buffer(self, name, value)
        object.__setattr__(self, name, value)
        if name.startswith("_"):
            return
        _forget(self, name)
        if isinstance(value, (Module, Node) + _CONTAINERS):
            for kind, dotted, p, owner, local in _state_entries(value, name, self, name):
                if kind == "param":
                    p.label = dotted
                    if owner is self:
                        own.setdefault("_param_names", set()).add(local)

    def __delattr__(self, name):
        object.__delattr__(self, name)
        _forget(self, name)
        self.__dict__.get("_buffers", {}).pop(name, None)

    def register_parameter(self, name, param):
        """Set attribute `name` to `param` (a leaf Tensor or Value, or None) as a parameter.

        Unlike a plain assignment it is a parameter even if it does not require grad (a
        frozen one). Raises ValueError for an invalid name and TypeError for a non-leaf
        node or anything that is not a node.
        """
        _check_attribute_name(self, name, "parameter")
        if param is not None and not (isinstance(param, Node) and param.is_leaf):
            raise TypeError(
                f"register_parameter({name!r}): a parameter is a leaf Tensor or Value, "
                f"got {'a non-leaf node' if isinstance(param, Node) else type(param).__name__}"
            )
        setattr(self, name, param)
        if param is not None:
            self.__dict__.setdefault("_param_names", set()).add(name)

    def register_buffer(self, name, tensor, persistent=True):
        """Set attribute `name` to a buffer: state that is saved but never trained.

        tensor: a Tensor that does not require grad (kept as given), a numpy array or
        numbers (kept as a numpy array, any numeric dtype, e.g. an int64 counter), or
        None (no buffer yet). Buffers are in `state_dict()` (unless `persistent=False`)
        and `named_buffers()`, never in `parameters()`; assigning the attribute again
        converts the same way. Raises ValueError for an invalid or taken name, a Tensor
        that requires grad, or non-numeric data.
        """
        _check_attribute_name(self, name, "buffer")
        if name in self.__dict__ and name not in self.__dict__.get("_buffers", ()):
            raise ValueError(f"register_buffer: attribute {name!r} already exists")
        value = _as_buffer(self, name, tensor)
        self.__dict__.setdefault("_buffers", {})[name] = bool(persistent)
        setattr(self, name, value)

    # ---- traversal ---------------------------------------------------------------------
    def named_modules(self):
        """[(dotted name, module)] of this module (named '') and every sub-module, depth first."""
        return [(n, m) for n, m in _named_members(self) if isinstance(m, Module)]

    def modules(self):
        """This module and every sub-module, as `named_modules()` without the names."""
        return [m for _, m in self.named_modules()]

    def named_children(self):
        """[(name, module)] of the direct sub-modules (also those in lists and dicts), once each."""
        seen, out = set(), []
        for name, m in _direct_children(self):
            if id(m) not in seen:
                seen.add(id(m))
                out.append((name, m))
        return out

    def children(self):
        """The direct sub-modules, as `named_children()` without the names."""
        return [m for _, m in self.named_children()]

    def apply(self, fn):
        """Call `fn(module)` on every sub-module, children before parents, then on self.

        The order is PyTorch's: `apply` runs on each child in turn (recursively), then
        `fn(self)`; a shared module is visited once. Returns self. Typical use:
        `model.apply(init_weights)`.
        """
        seen, stack = set(), [(self, False)]
        while stack:
            module, expanded = stack.pop()
            if expanded:
                fn(module)
            elif id(module) not in seen:
                seen.add(id(module))
                stack.append((module, True))
                stack.extend((c, False) for c in reversed(module.children()))
        return self

    def named_parameters(self):
        """[(dotted name, parameter)] for every parameter, depth first in attribute order.

        A parameter is a leaf `Tensor` or `Value` that requires grad, or one registered
        as a parameter when assigned and frozen since; one shared between several places
        is listed once, under its first name.
        """
        return _parameters_of(self)

    def parameters(self):
        """The parameters as a list, in the order of `named_parameters()`."""
        return [p for _, p in _parameters_of(self)]

    def named_buffers(self):
        """[(dotted name, buffer)] of every buffer that is not None (see `register_buffer`)."""
        return [(n, b) for kind, n, b, _, _ in _state_entries(self) if kind == "buffer"]

    def buffers(self):
        """The buffers as a list, in the order of `named_buffers()`."""
        return [b for _, b in self.named_buffers()]

    def requires_grad_(self, requires_grad=True):
        """Set `requires_grad` on every parameter (False freezes them); returns self.

        Frozen parameters stay parameters: `parameters()` and `state_dict()` still list
        them, and a backward pass leaves their `.grad` alone.
        """
        for kind, _, p, owner, local in _state_entries(self):
            if kind == "param":
                if owner is not None:
                    owner.__dict__.setdefault("_param_names", set()).add(local)
                p.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self):
        """Reset the gradient of every parameter (None for a Tensor, 0.0 for a Value)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode=True):
        """Set `training` on this module and every sub-module; returns self.

        `Dropout` drops only in training mode and `BatchNorm1d` uses (and updates) the
        batch statistics only in training mode; `eval()` switches both off.
        """
        for _, m in self.named_modules():
            m.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: `train(False)`; returns self."""
        return self.train(False)

    # ---- saving and loading ----------------------------------------------------------------
    def _state_items(self):
        """{name: (object, owning module, name in it)} of what `state_dict` holds, in order."""
        return {
            n: (obj, owner, local)
            for kind, n, obj, owner, local in _state_entries(self)
            if kind == "param" or owner._buffers[local]
        }

    def _current_name(self, name):
        """`name` with the legacy prefixes of this model's modules taken out (see
        `_legacy_prefix`), outermost module first: `layers.0.weight` -> `0.weight`."""
        for prefix, m in self.named_modules():
            old = m._legacy_prefix and _join(prefix, m._legacy_prefix)
            if old and name.startswith(old):
                name = _join(prefix, name[len(old) :])
        return name

    def state_dict(self):
        """{dotted name: numpy array copy} of every parameter and persistent buffer.

        Values give 0-d arrays. Names as PyTorch's (`0.weight` in a Sequential,
        `1.running_mean` for a BatchNorm1d's buffer), in the same order.
        """
        return {n: np.array(_raw(obj), copy=True) for n, (obj, _, _) in self._state_items().items()}

    def load_state_dict(self, state):
        """Copy parameter and buffer values from `state` ({name: array, Tensor, Value or number}).

        Every name and shape is checked before anything changes: unknown or
        missing names, wrong shapes and non-numeric values raise ValueError
        listing every problem, and leave the parameters untouched. Values are
        converted to each entry's dtype. Names saved by earlier versions
        (`layers.0.weight` for a Sequential's `0.weight`) are read as the new ones.
        """
        entries = self._state_items()
        given, problems = {}, []
        for key in state:
            name = key if key in entries else self._current_name(key)
            if name not in entries:
                problems.append(f"unexpected {key!r}")
            elif name in given:
                problems.append(f"{key!r} and {given[name]!r} are both {name!r}")
            else:
                given[name] = key
        problems[:0] = [f"missing {n!r}" for n in entries if n not in given]
        new = {}
        for name, key in given.items():
            raw = state[key]
            arr = np.asarray(raw.data if isinstance(raw, Node) else raw)
            problem = entry_problem(name, arr.shape, arr.dtype, np.shape(_raw(entries[name][0])))
            if problem:
                problems.append(problem)
            else:
                new[name] = arr
        if problems:
            raise ValueError(
                f"cannot load state into {type(self).__name__}: " + "; ".join(problems)
            )
        for name, (obj, owner, local) in entries.items():
            if isinstance(obj, Value):
                obj.data = float(new[name])
            elif isinstance(obj, Node):
                obj.data = new[name].astype(obj.data.dtype, copy=True)
            else:  # a numpy buffer
                object.__setattr__(owner, local, new[name].astype(obj.dtype, copy=True))

    def save(self, path):
        """Write `state_dict()` to `path` as a numpy `.npz` archive, atomically.

        The archive is written to a temporary file in the same directory and
        then renamed over `path` (`os.replace`), so a failure never leaves a
        half-written file and an existing file stays intact until the end.
        """
        atomic_write(path, lambda f: np.savez(f, **self.state_dict()))

    def load(self, path):
        """Load parameters and buffers saved by `save(path)`; returns self.

        Raises FileNotFoundError for a missing file, and ValueError naming the
        file and every problem for a file that is not a `.npz` archive of this
        model's state: a member name it does not expect (or a missing or
        repeated one), a shape or non-numeric dtype (object arrays are never
        unpickled) declared in a member's `.npy` header, a member whose size
        disagrees with its header, or a damaged archive (truncated, corrupt
        compressed data, bad CRC). Names and headers are checked before any
        array data is read, so a crafted file declaring a huge array costs no
        memory. On any error the parameters are left untouched. Files saved by
        earlier versions (a Sequential's `layers.0.weight`) load too.
        """
        path = os.fspath(path)
        try:
            zf = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"no saved model at {path!r}") from None
        except OPEN_ERRORS as e:
            if _is_npy(path):
                raise ValueError(
                    f"{path!r} holds a single array, not a .npz archive of parameters"
                ) from None
            raise ValueError(f"{path!r} is not a .npz archive of saved parameters ({e})") from None
        entries = self._state_items()
        state, problems = {}, []
        with zf:
            for info in zf.infolist():
                given = info.filename.removesuffix(".npy")
                name = given if given in entries else self._current_name(given)
                if not info.filename.endswith(".npy") or name not in entries:
                    problems.append(f"unexpected member {info.filename!r}")
                elif name in state:
                    problems.append(f"member {info.filename!r} appears twice")
                else:
                    expected = np.shape(_raw(entries[name][0]))
                    array, problem = read_npy_member(zf, info, given, expected)
                    state[name] = array
                    if problem:
                        problems.append(problem)
        problems += [f"missing {n!r}" for n in entries if n not in state]
        if problems:
            raise ValueError(
                f"{path!r} cannot be loaded into this {type(self).__name__}: " + "; ".join(problems)
            )
        self.load_state_dict(state)
        return self

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({n}): " + repr(m).replace("\n", "\n  ") for n, m in self.named_children()]
        return "\n".join([head] + lines)

    def extra_repr(self) -> str:
        """The constructor arguments shown by `repr` (override in subclasses)."""
        return ""


def _raw(obj):
    """The array or float of a node, or a numpy buffer itself."""
    return obj.data if isinstance(obj, Node) else obj


def _forget(module, name):
    """Drop the parameter registrations of attribute `name` (and of anything inside it)."""
    names = module.__dict__.get("_param_names")
    if names:
        names.difference_update([n for n in names if n == name or n.startswith(name + ".")])


def _check_attribute_name(module, name, what):
    if not isinstance(name, str):
        raise TypeError(f"a {what} name must be a str, got {type(name).__name__}")
    if not name or "." in name or name.startswith("_"):
        raise ValueError(
            f"{type(module).__name__}: {what} name {name!r} must be non-empty, without '.', "
            "and not start with '_'"
        )


def _as_buffer(module, name, value):
    """`value` as the buffer `name`: None, a Tensor that does not require grad, or an array."""
    if value is None or (isinstance(value, Node) and not value.requires_grad):
        return value
    if isinstance(value, Node):
        raise ValueError(
            f"{type(module).__name__}: buffer {name!r} cannot require grad (a trained "
            "tensor is a parameter)"
        )
    arr = np.array(value)
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{type(module).__name__}: buffer {name!r} must be numeric, got {arr.dtype}"
        )
    return arr


def _is_npy(path):
    """True if the file at `path` starts as a `.npy` array does."""
    try:
        with open(path, "rb") as f:
            return f.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX
    except OSError:
        return False


def _as_batch(x):
    """A Tensor for a layer's input: Tensors pass through, arrays become constants."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_count(n, what):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return int(n)


def _as_integers(values, what):
    """`values` (ints, an int array, or a Tensor or floats holding integers) as an array.

    Raises ValueError naming the first value that is not an integer.
    """
    arr = np.asarray(values.data if isinstance(values, Node) else values)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{what} must be integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise ValueError(f"{what} must be integers, got {arr[bad].flat[0].item()!r}")
    return arr
