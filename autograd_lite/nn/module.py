"""`Module`: the base of layers, models and losses, with named parameters and saving.

A `Module` holds parameters (leaf `Tensor`s or `Value`s with
`requires_grad=True`) in its attributes, directly or inside lists, tuples and
dicts, and sub-modules the same way. `named_parameters()` finds them all with
dotted names such as `layers.0.weight`, in attribute order; the same names
label the parameters (`p.label`), key `state_dict()`, and name the arrays of a
saved `.npz` file.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib

import numpy as np

from .._files import atomic_write
from ..core.graph import Node
from ..core.tensor import Tensor
from ..core.value import Value

try:
    from lzma import LZMAError
except ImportError:  # a Python without lzma: zipfile then refuses such members itself
    LZMAError = OSError

_CONTAINERS = (list, tuple, dict)
# What opening a file that is not a zip archive raises.
_OPEN_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)
# What reading a damaged member raises (bad CRC, corrupt or truncated stream, unknown
# compression method or encryption: NotImplementedError and RuntimeError).
_MEMBER_ERRORS = (OSError, EOFError, RuntimeError, zipfile.BadZipFile, zlib.error, LZMAError)
_HEADER_ROOM = 1 << 16  # bytes allowed for a .npy header (numpy itself refuses past 10,000)


def _members(obj):
    """(name, item) pairs inside a module or container that may hold parameters or modules."""
    if isinstance(obj, Module):
        items = ((k, v) for k, v in vars(obj).items() if not k.startswith("_"))
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


def _walk_children(module):
    """Direct sub-modules (also those in lists, tuples and dicts) as (dotted name, module)."""
    out = []
    for name, obj in _members(module):
        if isinstance(obj, Module):
            out.append((name, obj))
        elif isinstance(obj, _CONTAINERS):
            out.extend((f"{name}.{k}", v) for k, v in _members(obj) if isinstance(v, Module))
    return out


def _entry_problem(name, shape, dtype, expected):
    """Why an array of `shape`, `dtype` cannot be parameter `name` of shape `expected`, or None."""
    if dtype.kind not in "biuf":  # also refuses object (pickled) and structured arrays
        return f"{name!r} is not numeric (dtype {dtype})"
    if shape != expected:
        return f"{name!r} has shape {shape}, the parameter has {expected}"
    return None


def _read_member(zf, info, name, expected):
    """(array, None) from the `.npy` member `info` of `zf`, or (None, the problem).

    The member's sizes are checked before its data is read: its declared size
    in the zip directory must leave room for no more than an array of shape
    `expected`, and its `.npy` header must declare a numeric dtype and exactly
    that shape, and exactly as many data bytes as the zip entry holds. So
    memory stays within the size of the parameter, whatever the file claims.
    """
    room = _HEADER_ROOM + 16 * math.prod(expected)  # 16: the widest numeric item
    if info.file_size > room:
        return None, f"{name!r} holds {info.file_size} bytes, too many for shape {expected}"
    fmt = np.lib.format
    try:
        with zf.open(info) as f:
            try:
                version = fmt.read_magic(f)
            except ValueError as e:
                return None, f"{name!r} is not a .npy array ({e})"
            headers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
            if version not in headers:
                return None, f"{name!r} has .npy format version {version}, not 1.0 or 2.0"
            try:
                shape, fortran_order, dtype = headers[version](f)
            except ValueError as e:
                return None, f"{name!r} has a damaged .npy header ({e})"
            problem = _entry_problem(name, shape, dtype, expected)
            if problem:
                return None, problem
            size, held = math.prod(shape) * dtype.itemsize, info.file_size - f.tell()
            if held != size:
                return None, f"{name!r} declares {size} bytes of data, its zip entry holds {held}"
            data = f.read(size)  # zipfile checks the CRC on reaching the end
    except _MEMBER_ERRORS as e:
        return None, f"{name!r} is damaged ({e})"
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return array, None


def _is_parameter(obj):
    return isinstance(obj, Node) and obj.requires_grad and obj.is_leaf


def _parameters_of(obj, prefix=""):
    return [(name, p) for name, p in _named_members(obj, prefix) if _is_parameter(p)]


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
        return [(n, m) for n, m in _named_members(self) if isinstance(m, Module)]

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
            problem = _entry_problem(name, arr.shape, arr.dtype, np.shape(p.data))
            if problem:
                problems.append(problem)
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
        atomic_write(path, lambda f: np.savez(f, **self.state_dict()))

    def load(self, path):
        """Load parameters saved by `save(path)`; returns self.

        Raises FileNotFoundError for a missing file, and ValueError naming the
        file and every problem for a file that is not a `.npz` archive of this
        model's parameters: a member name it does not expect (or a missing or
        repeated one), a shape or non-numeric dtype (object arrays are never
        unpickled) declared in a member's `.npy` header, a member whose size
        disagrees with its header, or a damaged archive (truncated, corrupt
        compressed data, bad CRC). Names and headers are checked before any
        array data is read, so a crafted file declaring a huge array costs no
        memory. On any error the parameters are left untouched.
        """
        path = os.fspath(path)
        try:
            zf = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"no saved model at {path!r}") from None
        except _OPEN_ERRORS as e:
            if _is_npy(path):
                raise ValueError(
                    f"{path!r} holds a single array, not a .npz archive of parameters"
                ) from None
            raise ValueError(f"{path!r} is not a .npz archive of saved parameters ({e})") from None
        params = dict(_parameters_of(self))
        state, problems = {}, []
        with zf:
            for info in zf.infolist():
                name = info.filename.removesuffix(".npy")
                if name == info.filename or name not in params:
                    problems.append(f"unexpected member {info.filename!r}")
                elif name in state:
                    problems.append(f"member {info.filename!r} appears twice")
                else:
                    array, problem = _read_member(zf, info, name, np.shape(params[name].data))
                    state[name] = array
                    if problem:
                        problems.append(problem)
        problems += [f"missing {n!r}" for n in params if n not in state]
        if problems:
            raise ValueError(
                f"{path!r} cannot be loaded into this {type(self).__name__}: " + "; ".join(problems)
            )
        self.load_state_dict(state)
        return self

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({n}): " + repr(m).replace("\n", "\n  ") for n, m in _walk_children(self)]
        return "\n".join([head] + lines)

    def extra_repr(self) -> str:
        """The constructor arguments shown by `repr` (override in subclasses)."""
        return ""


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
