"""The graph core shared by `Value` and `Tensor`.

A node remembers how it was made: the `Op` that made it, its parent nodes and
a context tuple `_ctx = (out, *inputs, *params)` holding the raw data as it was
at forward time (floats for a `Value`, numpy arrays for a `Tensor`).

`backward` walks the graph in reverse topological order, computed without
recursion, and asks each op for the vector-Jacobian product (vjp) of the
cotangent flowing into it with respect to each parent. The vjp rules are
written in the engine's own functions, so they run on raw floats and arrays in
the fast path and on nodes when `create_graph=True`: then the backward pass is
itself recorded and can be differentiated again.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections import Counter

import numpy as np

__all__ = [
    "Node",
    "Op",
    "backward",
    "cotangents",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "toposort",
    "tracing",
]


class _GradState(threading.local):
    """Grad mode, one per thread as in PyTorch (`enabled` starts True in every thread).

    `tracing` counts the transforms (grad, jacobian, ...) running in this thread, and `born`
    collects the leaves that require grad made inside the innermost one (None outside).
    """

    enabled = True
    tracing = 0
    born = None


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations are being recorded for differentiation (in this thread)."""
    return _state.enabled


class _GradMode:
    """Context manager and decorator that sets grad mode, then restores it.

    As a decorator it works with or without parentheses: `@no_grad()` or `@no_grad`.
    """

    _mode = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)  # bare `@no_grad` on a function

    def __init__(self, fn=None):
        self._previous = []  # a stack, so one instance can be entered again while inside

    def __enter__(self):
        self._previous.append(_state.enabled)
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._previous.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record nothing inside: results of operations are constants (as `torch.no_grad`).

    Use as `with no_grad(): ...` or as a decorator `@no_grad()`.
    """

    _mode = False


class enable_grad(_GradMode):
    """Record operations again inside a `no_grad` block (as `torch.enable_grad`)."""

    _mode = True


class tracing:
    """Context manager marking the body of a transform: inside it, a node that requires grad
    refuses to become a Python number or a numpy array (see `escape_error`).

    `with tracing() as born:` gives the set of the leaves requiring grad made inside (by
    `Value(...)` or `Tensor(..., requires_grad=True)`): constants to the transform, as in JAX.
    """

    def __enter__(self):
        _state.tracing += 1
        self._outer = _state.born
        self._born = _state.born = set()
        return self._born

    def __exit__(self, *exc):
        _state.tracing -= 1
        _state.born = self._outer
        if self._outer is not None:  # made inside the enclosing transform too
            self._outer |= self._born
        return False


def escape_error(node, how):
    """The TypeError for `how` (e.g. "float() of") a traced node: inside a transform, a node
    that requires grad turned into a plain number or array drops out of the graph, and every
    derivative through it would silently be zero (HIPS autograd and JAX refuse it too)."""
    return TypeError(
        f"{how} a {type(node).__name__} that requires grad, inside a transform (grad, "
        "jacobian, ...): the result would leave the graph and its derivative would silently "
        "be 0. Use autograd_lite's functions on nodes (al.sin, al.exp, ... instead of math or "
        "numpy ones), or .data to use the value as a constant on purpose"
    )


class Op:
    """One differentiable operation: a name and one vjp rule per differentiable input.

    A rule is called as `rule(g, out, *inputs, *params)` and returns the
    cotangent for its input: `g` times the derivative of `out` with respect to
    that input. `g`, `out` and `inputs` are raw data in the fast path and nodes
    when the backward pass is being recorded, so a rule must use only operators
    and `autograd_lite` functions that accept both.
    """

    __slots__ = ("array", "name", "quiet", "scalar", "vjps")

    def __init__(self, name, vjps, scalar=None, array=None, quiet=False):
        self.name = name
        self.vjps = tuple(vjps)
        self.scalar = scalar  # forward on Python floats (Value), may raise ArithmeticError
        self.array = array  # forward on numpy arrays (Tensor, and the IEEE fallback)
        self.quiet = quiet  # silence numpy's floating-point warnings in the forward

    def __repr__(self):
        return f"Op({self.name!r})"


class Node:
    """Base of `Value` and `Tensor`: data, grad, and the record of how it was made."""

    __slots__ = ("_ctx", "_data", "_op", "_parents", "grad", "label", "requires_grad")

    @property
    def data(self):
        """The node's value: a float for a Value, an ndarray for a Tensor.

        Assigning checks and converts it (a node assigned gives its data), so
        `p.data = p.data - lr * p.grad` keeps `p` a well-formed node; TypeError
        for anything that is not numeric.
        """
        return self._data

    @data.setter
    def data(self, value):
        self._data = self._convert_data(value)

    # ---- hooks the node types provide ------------------------------------------------
    def _seed(self, gradient, create_graph):  # pragma: no cover - abstract
        raise NotImplementedError

    def _convert_data(self, value):  # pragma: no cover - abstract
        raise NotImplementedError

    def _new_grad(self, g):  # pragma: no cover - abstract
        """`.grad` plus the cotangent g, computed without changing the node."""
        raise NotImplementedError

    def _alias(self, data, record=True):  # pragma: no cover - abstract
        """A node of the same kind holding `data`; if `record`, it passes cotangents to self."""
        raise NotImplementedError

    # True for node types whose cotangents must be fitted to their input's shape and dtype
    # by a `_fit(c, like)` static method (Tensor: undo broadcasting, cast, and turn a numpy
    # scalar back into a 0-d array).
    _SHAPED = False

    # ---- shared ----------------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        """A leaf was made by the user, not by an operation (its `_op` is None)."""
        return self._op is None

    @property
    def op(self) -> str:
        """Name of the operation that made this node ('' for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def parents(self) -> tuple:
        """The nodes this one was computed from (constants appear as None)."""
        return self._parents

    def backward(self, gradient=None, create_graph=False):
        """Add d(self)/d(node) times `gradient` into `.grad` of every node that requires grad.

        gradient: the cotangent, shaped like `self`; optional when `self` has one element
            (it is then 1). With `create_graph=True` it may itself require grad.
        create_graph: record the backward pass so the gradients it produces are
            nodes that can be differentiated again (Hessians, n-th derivatives).
        Raises RuntimeError if `self` does not require grad; ValueError on a
        gradient of the wrong shape. On error nothing has been changed.
        """
        backward(self, gradient, create_graph)

    def detach(self):
        """A new leaf sharing this node's data, cut off from the graph (requires_grad False)."""
        return self._alias(self._data, record=False)

    def zero_grad(self):
        """Reset `.grad` (0.0 for a Value, None for a Tensor)."""
        self.grad = type(self)._ZERO_GRAD


#: The op of an alias node: the identity, passing the cotangent straight through.
ALIAS = Op("alias", (lambda g, out, x: g,))


_FINISHED = object()  # on the stack below a node's parents: when popped, the node is done


def toposort(root) -> list:
    """Nodes reachable from `root` that require grad, in reverse topological order.

    The root comes first and every node comes before its parents. Iterative
    depth-first search (a chain of a million operations is fine) that allocates
    nothing per node: expanding a node pushes it, a marker, then its parents; the
    marker surfaces once every parent is finished. Nodes hash by identity, so
    they key sets and dicts directly.
    """
    order = []
    seen = set()
    stack = [root]
    push, pop, mark = stack.append, stack.pop, seen.add
    while stack:
        node = pop()
        if node is _FINISHED:
            order.append(pop())
            continue
        if node in seen:
            continue
        mark(node)
        push(node)
        push(_FINISHED)
        for p in node._parents:
            if p is not None and p.requires_grad and p not in seen:
                push(p)
    order.reverse()
    return order


def _live_args(node):
    """The rule arguments of `node` as nodes holding their forward-time data.

    A parent whose `.data` was reassigned after the forward pass is replaced by
    an alias node carrying the old data, with the parent as its only parent,
    so derivatives are of the recorded forward and still reach the parent.
    """
    ctx = node._ctx
    n = len(node._parents)
    args = [node if node._data is ctx[0] else node._alias(ctx[0])]
    for p, d in zip(node._parents, ctx[1 : n + 1]):
        args.append(d if p is None else p if p._data is d else p._alias(d))
    args.extend(ctx[n + 1 :])
    return args


def backward(root, gradient=None, create_graph=False):
    """Reverse-mode sweep from `root`, adding into `.grad`; see `Node.backward`."""
    grads = _sweep(root, gradient, create_graph)
    # Two phases: every new .grad is computed first, so an error changes none of them.
    news = [node._new_grad(g) for node, g in grads.items()]
    if not root._SHAPED:
        for node, new in zip(grads, news):
            node.grad = new
        return
    # A rule may pass its cotangent on unchanged, so several nodes can get one array. Those
    # get read-only views: `Tensor.grad` copies such an array when it is read, so each
    # gradient a user sees has its own memory, and gradients nobody reads are never copied.
    owners = [
        id(new if new.base is None else new.base) if new.__class__ is np.ndarray else None
        for new in news
    ]
    count = Counter(owners)
    for node, new, owner in zip(grads, news, owners):
        if owner is not None and count[owner] > 1:
            new = new.view()
            new.flags.writeable = False
        node._grad = new


def cotangents(root, inputs, gradient=None, create_graph=False):
    """d(root)/d(input) contracted with `gradient`, for each of `inputs`; `.grad` is untouched.

    The functional form of `backward`, as `torch.autograd.grad`: returns a list
    aligned with `inputs` holding raw data (a float for a Value, an ndarray for a
    Tensor), a node when `create_graph=True`, or None for an input the sweep
    never reached (its derivative is zero). Raises as `backward` does.
    """
    grads = _sweep(root, gradient, create_graph)
    return [grads.get(x) for x in inputs]


def _sweep(root, gradient, create_graph):
    """The total cotangent of every node reached from `root`: {node: cotangent}."""
    if not root.requires_grad:
        raise RuntimeError(
            f"backward() on a {type(root).__name__} that does not require grad: "
            "it was not computed from anything with requires_grad=True (or under no_grad())"
        )
    seed = root._seed(gradient, create_graph)
    grads = {root: seed}
    fit = root._fit if root._SHAPED else None
    prev_mode = _state.enabled
    _state.enabled = create_graph
    # The sweep makes no reference cycles, but allocates a lot: keep the cyclic garbage
    # collector from walking the whole graph again and again (time per op stays flat).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with np.errstate(all="ignore"):
            for node in toposort(root):
                op = node._op
                if op is None:
                    continue
                g = grads.get(node)
                if g is None:
                    continue
                ctx = node._ctx
                args = _live_args(node) if create_graph else ctx
                for i, p in enumerate(node._parents):
                    if p is None or not p.requires_grad:
                        continue
                    try:
                        c = op.vjps[i](g, *args)
                    except (ArithmeticError, ValueError):
                        if type(g) is not float:
                            raise
                        c = _ieee_rule(op.vjps[i], g, args)
                    if fit is not None:
                        like = ctx[i + 1]
                        # numpy gives a scalar, not a 0-d array, for arithmetic on 0-d arrays
                        if c.shape != like.shape or c.dtype is not like.dtype or not like.ndim:
                            c = fit(c, like)
                    if create_graph and not isinstance(c, Node):
                        c = p._alias(c, record=False)  # a constant cotangent is still a node
                    prev = grads.get(p)
                    if prev is not None:
                        c = prev + c
                        if fit is not None and not like.ndim:
                            c = fit(c, like)
                    grads[p] = c
    finally:
        _state.enabled = prev_mode
        if collecting:
            gc.enable()
    return grads


def _ieee_rule(rule, g, args):
    """Redo a rule that hit a pole on Python floats (1/0, log(0), overflow) in IEEE numpy."""
    f64 = np.float64
    return float(rule(f64(g), *[f64(a) if type(a) is float else a for a in args]))
