"""The one mechanism of `autograd_lite.numpy` and its `linalg`: a module whose names are
those of a numpy namespace, autograd_lite's function where it has one of that name."""

from __future__ import annotations

from collections.abc import Callable, Iterable


def implemented(namespace, modules: Iterable) -> dict:
    """{name: function} for the names of the numpy `namespace` that `modules` export (their
    `__all__`) as functions; a later module's function wins over an earlier one's."""
    found = {}
    for module in modules:
        for name in getattr(module, "__all__", ()):
            function = getattr(module, name)
            if callable(function) and hasattr(namespace, name):
                found[name] = function
    return found


def lazy_names(module_globals: dict, namespace, ours: Callable[[], dict]):
    """The `__getattr__` and `__dir__` of a module standing for numpy's `namespace`.

    `np.<name>` is `ours()[name]` when autograd_lite has it, else numpy's attribute
    (AttributeError for a name numpy lacks too); each is remembered in the module after
    its first look-up, so later calls cost an ordinary attribute access.
    """

    def __getattr__(name: str):
        value = ours().get(name)
        if value is None:
            try:
                value = getattr(namespace, name)
            except AttributeError:
                module = module_globals["__name__"]
                raise AttributeError(f"module {module!r} has no attribute {name!r}") from None
        module_globals[name] = value
        return value

    def __dir__():
        return sorted(set(module_globals) | set(dir(namespace)))

    return __getattr__, __dir__
