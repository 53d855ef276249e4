"""Containers of modules, as PyTorch's: `Sequential`, `ModuleList`, `ModuleDict`.

Each keeps its modules in a private dict, name -> module, that `Module`'s traversal
reads through `_named_items`: so their parameters are named `0.weight`, `1.bias`
(or `encoder.weight` in a ModuleDict), exactly the keys of PyTorch's `state_dict`.
"""

from __future__ import annotations

import operator

from .module import Module, _parameters_of


def _checked_module(m, where):
    if not isinstance(m, Module):
        raise TypeError(f"{where} must be a Module, got {type(m).__name__}")
    return m


class _Container(Module):
    """The storage shared by the containers: `_modules`, a dict name -> module."""

    def _named_items(self):
        return list(self._modules.items()) + super()._named_items()

    def _set_modules(self, items):
        """Replace the contents by (name, module) pairs, labelling the parameters anew."""
        self._modules = dict(items)
        for name, m in self._modules.items():
            for dotted, p in _parameters_of(m, name):
                p.label = dotted

    def __len__(self):
        return len(self._modules)


class _IndexedContainer(_Container):
    """Modules named '0', '1', ... by position: the base of `ModuleList` and `Sequential`."""

    def _index(self, i):
        """A position as a non-negative int; IndexError naming it and the length if outside."""
        n = len(self._modules)
        try:
            i = operator.index(i)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__} indices must be integers or slices, got {type(i).__name__}"
            ) from None
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for {type(self).__name__} of length {n}")
        return i % n

    def _renumber(self, modules):
        self._set_modules((str(i), m) for i, m in enumerate(modules))

    def __getitem__(self, i):
        if isinstance(i, slice):
            out = type(self).__new__(type(self))
            out._set_modules(self._sliced(i))
            return out
        return list(self._modules.values())[self._index(i)]

    def _sliced(self, i):
        """The (name, module) pairs of a slice: renumbered from 0 (PyTorch's ModuleList)."""
        return [(str(k), m) for k, m in enumerate(list(self._modules.values())[i])]

    def __setitem__(self, i, module):
        name = list(self._modules)[self._index(i)]
        _checked_module(module, f"{type(self).__name__} item {i}")
        self._set_modules({**self._modules, name: module}.items())

    def __delitem__(self, i):
        modules = list(self._modules.values())
        if isinstance(i, slice):
            del modules[i]
        else:
            del modules[self._index(i)]
        self._renumber(modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def append(self, module):
        """Add `module` at the end; returns self. TypeError if it is not a Module."""
        _checked_module(module, f"{type(self).__name__}.append's argument")
        self._renumber([*self._modules.values(), module])
        return self

    def extend(self, modules):
        """Add every module of the iterable `modules` at the end; returns self."""
        modules = list(modules)
        for i, m in enumerate(modules):
            _checked_module(m, f"{type(self).__name__}.extend's item {i}")
        self._renumber([*self._modules.values(), *modules])
        return self

    def insert(self, index, module):
        """Insert `module` before position `index` (as list.insert)."""
        _checked_module(module, f"{type(self).__name__}.insert's module")
        modules = list(self._modules.values())
        modules.insert(operator.index(index), module)
        self._renumber(modules)


class ModuleList(_IndexedContainer):
    """A list of modules whose parameters the model finds (as `torch.nn.ModuleList`).

    `ModuleList([Linear(2, 2), Linear(2, 1)])`; indexing (negative too), slices (a new
    ModuleList), `len`, iteration, `append`, `extend`, `insert`, `del`. Parameters are
    named `0.weight`, `1.bias`, ... Items must be Modules (TypeError naming the item
    otherwise); an index out of range raises IndexError naming it and the length.
    A plain Python list of modules works too; this is the PyTorch spelling.
    """

    def __init__(self, modules=()):
        self._modules = {}
        self.extend(modules)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("a ModuleList has no forward(): call its modules in a loop")


class Sequential(_IndexedContainer):
    """Modules applied one after another: `Sequential(Linear(4, 8), ReLU(), Linear(8, 3))`.

    Parameters are named by position as in PyTorch: `0.weight`, `2.bias`, ... (or by
    the keys of a dict given as the only argument: `Sequential({"fc": Linear(4, 2)})`
    gives `fc.weight`). Indexing, slicing (a new Sequential), `len`, iteration,
    `append`, `extend`, `insert` and `del` as `ModuleList`. State saved by earlier
    versions, which named these `layers.0.weight`, still loads. Raises TypeError for an
    argument that is not a Module.
    """

    _legacy_prefix = "layers."

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], dict):
            items = [(_checked_key(k), m) for k, m in modules[0].items()]
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            _checked_module(m, f"Sequential's argument {name}")
        self._set_modules(items)

    def _sliced(self, i):
        return list(self._modules.items())[i]  # names kept, as PyTorch's Sequential

    @property
    def layers(self):
        """The modules as a list (the attribute earlier versions kept them in)."""
        return list(self._modules.values())

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x


def _checked_key(key):
    """A ModuleDict key: a non-empty str without '.' (it would split the dotted names)."""
    if not isinstance(key, str):
        raise TypeError(f"module names must be str, got {type(key).__name__} {key!r}")
    if not key or "." in key:
        raise KeyError(f"module name {key!r} must be non-empty and contain no '.'")
    return key


class ModuleDict(_Container):
    """A dict of modules whose parameters the model finds (as `torch.nn.ModuleDict`).

    `ModuleDict({"encoder": Linear(4, 2), "head": Linear(2, 1)})` keeps insertion
    order; parameters are named `encoder.weight`, ... Supports `d[key]`, `d[key] = m`,
    `del d[key]`, `in`, `len`, iteration over keys, `keys()`, `values()`, `items()`,
    `update()`, `pop()`, `clear()`. Keys must be non-empty strs without '.' (TypeError
    or KeyError otherwise); values must be Modules (TypeError).
    """

    def __init__(self, modules=None):
        self._modules = {}
        if modules is not None:
            self.update(modules)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("a ModuleDict has no forward(): call its modules by key")

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.update({key: module})

    def __delitem__(self, key):
        modules = dict(self._modules)
        del modules[key]
        self._set_modules(modules.items())

    def __iter__(self):
        return iter(list(self._modules))

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return list(self._modules)

    def values(self):
        return list(self._modules.values())

    def items(self):
        return list(self._modules.items())

    def update(self, modules):
        """Add or replace entries from a dict or (key, module) pairs; all checked first."""
        pairs = list(modules.items() if isinstance(modules, dict) else modules)
        for key, m in pairs:
            _checked_module(m, f"ModuleDict[{_checked_key(key)!r}]")
        self._set_modules({**self._modules, **dict(pairs)}.items())

    def pop(self, key):
        """Remove the entry `key` and return its module (KeyError if absent)."""
        module = self._modules[key]
        del self[key]
        return module

    def clear(self):
        self._set_modules(())
