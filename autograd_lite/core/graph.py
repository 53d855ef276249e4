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
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from operator import attrgetter

import numpy as np

__all__ = [
    "HookHandle",
    "Node",
    "ELEMENTWISE",
    "Op",
    "node_maker",
    "backward",
    "cotangents",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "toposort",
    "tracing",
    "Unbatchable",
    "per_row",
]


class _GradState(threading.local):
    """Grad mode, one per thread as in PyTorch (`enabled` starts True in every thread).

    `anomaly` is the active `detect_anomaly` block (or None). While grad mode is on inside
    one, `enabled` holds that block instead of True (`_on()`), so the node maker learns both
    from the one thread-local read it makes per op anyway. `tracing` counts the
    transforms (grad, jacobian, ...) running in this thread, and `born`
    collects the leaves that require grad made inside the innermost one (None outside).
    """

    enabled = True
    tracing = 0
    born = None
    anomaly = None  # the innermost `detect_anomaly` block (core/anomaly.py), or None


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations are being recorded for differentiation (in this thread)."""
    return _state.enabled is not False


def _on(mode: bool):
    """The value of `_state.enabled` for grad mode `mode`: False, or the active
    `detect_anomaly` block, or True outside any."""
    return mode and (_state.anomaly or True)


class _GradMode:
    """Context manager and decorator that sets grad mode, then restores it.

    As a decorator it works with or without parentheses: `@no_grad()` or `@no_grad`.
    """

    _mode = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)  # bare `@no_grad` on a function

    def __init__(self, fn: Callable | None = None):
        self._previous = []  # a stack, so one instance can be entered again while inside

    def __enter__(self):
        self._previous.append(_state.enabled)
        _state.enabled = _on(self._mode)

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


def escape_error(node: Node, how: str) -> TypeError:
    """The TypeError for `how` (e.g. "float() of") a traced node: inside a transform, a node
    that requires grad turned into a plain number or array drops out of the graph, and every
    derivative through it would silently be zero (HIPS autograd and JAX refuse it too)."""
    return TypeError(
        f"{how} a {type(node).__name__} that requires grad, inside a transform (grad, "
        "jacobian, ...): the result would leave the graph and its derivative would silently "
        "be 0. Use autograd_lite's functions on nodes (al.sin, al.exp, ... instead of math or "
        "numpy ones), or .data to use the value as a constant on purpose"
    )


#: `Op(..., jvps=ELEMENTWISE)`: the op is elementwise, each jvp rule is its vjp rule.
ELEMENTWISE = "elementwise"


class Op:
    """One differentiable operation, declared once: everything the package knows about it.

    Declared with keyword fields (see `ops.py` for the table):

    name: how the op shows on a node (`node.op`, drawings): "+", "exp", "sum".
    vjps: one vjp rule per input, `rule(g, out, *inputs, *params)`, returning the
        cotangent of that input: `g` times the derivative of `out` with respect to
        it. In the fast path the arguments are raw floats or arrays; when the
        backward pass is recorded (`create_graph=True`) they are nodes, so a rule
        uses only operators and autograd_lite functions, which accept both. The
        backward pass sums a rule's result back to its input's shape and dtype.
    scalar: the forward on Python floats (for `Value`), or None if there is none.
        It may raise ArithmeticError or ValueError at a pole: the array forward on
        numpy float64 then gives the IEEE result (1/0 = inf, log(0) = -inf).
    array: the forward on numpy arrays (for `Tensor`, and the IEEE fallback).
    params: names of the non-differentiable parameters, passed after the inputs
        to the forwards and the rules, e.g. ("axis", "keepdims").
    quiet: silence numpy's floating-point warnings in the array forward (for ops
        with poles, where inf and nan are the expected results).
    function: the name of its public function in `autograd_lite`, or None.
    methods: names of the methods `Value` and `Tensor` get for it: "exp", or
        "__add__" (node first) and "__radd__" (a `__r..__` name takes the node second).
    formula: its name in the formula language of the command line, or None.
    doc: the docstring of its public function and methods.
    variadic: it takes any number of inputs (concatenate, stack); `vjps` then holds
        one rule `rule(g, out, *inputs, *params)` returning the list of every input's
        cotangent, so n inputs cost O(n) in the backward pass, not O(n^2).
    jvps: the forward-mode rules, one per input, `rule(t, out, *inputs, *params)`,
        returning the contribution of that input's tangent t to the output's tangent
        (HIPS autograd's defjvp convention); None for an input that is not
        differentiable, () for an op without forward mode (the tangent sweep of
        core/forward.py then raises NotImplementedError naming it). Written, like the
        vjps, with autograd_lite's functions, so they run on raw data and, nested, on
        nodes. t may carry leading batch axes beyond the input's shape (a batched
        sweep); a rule treats every such axis as a batch axis. It may return a result
        that broadcasts to the output's shape (the sweep broadcasts and casts it). A
        variadic op has one rule `rule(ts, out, *inputs, *params)`, ts a list with None
        for the inputs without a tangent, returning the output's tangent.
        `jvps=ELEMENTWISE` declares an elementwise op: its Jacobian for each input is
        diagonal (after broadcasting) and its vjp rules are g times the partial
        derivative, so each jvp rule is its vjp rule applied to the tangent.
    series: the Taylor-mode rule (core/taylor.py), `rule(cs, out, *inputs, *params)`:
        cs holds one array of Taylor coefficients per input, shape (K, *input.shape)
        with cs[i][k] = x_i^(k)/k! along the sweep's direction (K = order + 1; an input
        that does not vary has zeros after its data), and the rule returns the output's,
        shape (K, *out.shape), with raw data only (core/series.py has the recurrences).
        None: no rule; Taylor mode then falls back to nested differentiation of the op,
        with a warning. A rule may also return NotImplemented for the same fallback.
    """

    __slots__ = (
        "array",
        "doc",
        "formula",
        "function",
        "jvps",
        "methods",
        "name",
        "params",
        "quiet",
        "scalar",
        "series",
        "variadic",
        "vjps",
    )

    def __init__(
        self,
        name: str,
        *,
        vjps,
        jvps=(),
        scalar=None,
        array=None,
        params: tuple = (),
        quiet: bool = False,
        function: str | None = None,
        methods: tuple = (),
        formula: str | None = None,
        doc: str | None = None,
        variadic: bool = False,
        series=None,
    ):
        self.name = name
        self.vjps = tuple(vjps)
        self.jvps = self.vjps if jvps is ELEMENTWISE else tuple(jvps)
        self.scalar = scalar
        self.array = array
        self.params = tuple(params)
        self.quiet = quiet
        self.function = function
        self.methods = tuple(methods)
        self.formula = formula
        self.doc = doc
        self.variadic = variadic
        self.series = series

    @property
    def arity(self) -> int | None:
        """The number of differentiable inputs (None for a variadic op)."""
        return None if self.variadic else len(self.vjps)

    def cotangent(self, i: int, g, *args):
        """The cotangent of input i given `g` and the rule arguments (out, *inputs, *params)."""
        if self.variadic:
            return self.vjps[0](g, *args)[i]
        return self.vjps[i](g, *args)

    def __repr__(self):
        return f"Op({self.name!r})"


_object_new = object.__new__


class Node:
    """Base of `Value` and `Tensor`: data, grad, and the record of how the node was made.

    A node made by an op keeps `_op`, its `_parents` (None for a constant operand)
    and `_ctx = (out, *inputs, *params)`, the raw data at forward time; a leaf
    has `_op = None`. `_grad` holds the gradient (raw until read, for a Tensor).
    Nodes are made by `node_maker`; node types provide the hooks declared below.
    """

    __slots__ = (
        "__weakref__",  # for register_hook: the registry must not keep a hooked node alive
        "_ctx",
        "_data",
        "_grad",
        "_op",
        "_parents",
        "_saved",
        "label",
        "requires_grad",
    )

    #: `.grad` before any backward pass (0.0 for a Value, None for a Tensor).
    _ZERO_GRAD = None
    #: True for node types whose cotangents need `_sum_to_shape` (Tensor: broadcasting).
    _SHAPED = False

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
        self._saved = False  # a new array: no recorded op holds it

    # ---- hooks the node types provide ------------------------------------------------
    @staticmethod
    def _apply(op, args, params=()):  # pragma: no cover - abstract
        """Run `op` on `args` (nodes of this type and raw operands) and record the result."""
        raise NotImplementedError

    @staticmethod
    def _unary(op, x):  # pragma: no cover - abstract
        """`_apply(op, (x,))` for a node `x` of this type and an op without params, fast."""
        raise NotImplementedError

    @staticmethod
    def _binary(op, a, b):  # pragma: no cover - abstract
        """`_apply(op, (a, b))` where a or b is a node of this type, for a two-input op, fast."""
        raise NotImplementedError

    @staticmethod
    def _convert_data(value):  # pragma: no cover - abstract
        """`value` as this type's raw data (float, float ndarray); TypeError if not numeric."""
        raise NotImplementedError

    def _seed(self, gradient, create_graph):  # pragma: no cover - abstract
        """The cotangent that starts the sweep from this node (1 when `gradient` is None).

        A node when `create_graph`, raw data otherwise; raises on a wrong shape or type.
        """
        raise NotImplementedError

    def _new_grad(self, g):  # pragma: no cover - abstract
        """`.grad` plus the cotangent g, computed without changing the node."""
        raise NotImplementedError

    def _alias(self, data, differentiable=True):  # pragma: no cover - abstract
        """A node of this type holding `data`; if `differentiable`, cotangents pass to self."""
        raise NotImplementedError

    def _hook_argument(self, g):  # pragma: no cover - abstract
        """The raw cotangent g as a hook sees it (a float; a read-only constant Tensor)."""
        raise NotImplementedError

    def _hook_result(self, r, hook):  # pragma: no cover - abstract
        """A hook's replacement `r` as a raw cotangent of this node; ValueError or TypeError
        naming `hook` if it does not fit (wrong shape, not numeric)."""
        raise NotImplementedError

    @staticmethod
    def _sum_to_shape(c, like):  # pragma: no cover - abstract (only for _SHAPED types)
        """The cotangent c summed over broadcast axes to the shape of `like`, in its dtype
        (and an ndarray: numpy turns arithmetic on 0-d arrays into numpy scalars)."""
        raise NotImplementedError

    def _as_tensor(self, dtype=np.float64):  # pragma: no cover - abstract
        """This node as a Tensor: itself, or a Value as a recorded 0-d Tensor of `dtype`
        (op as_tensor)."""
        raise NotImplementedError

    def _as_value(self):  # pragma: no cover - abstract
        """This node as a Value: itself, or a one-element Tensor recorded (op as_value)."""
        raise NotImplementedError

    # ---- shared ----------------------------------------------------------------------
    def _init_leaf(self, data, label, requires_grad):
        """Make this node a leaf holding `data` (converted by the node type's constructor)."""
        self._data = data
        self._saved = False
        self._grad = self._ZERO_GRAD
        self.label = "" if label is None else str(label)
        self.requires_grad = bool(requires_grad)
        self._op = None
        self._parents = self._ctx = ()
        if requires_grad and _state.born is not None:
            _state.born.add(self)  # made inside a transform: a constant to it

    @property
    def grad(self):
        """The gradient accumulated by backward passes (see the node type)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value

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

    def backward(self, gradient=None, create_graph: bool = False) -> None:
        """Add d(self)/d(node) times `gradient` into `.grad` of every node that requires grad.

        gradient: the cotangent, shaped like `self`; optional when `self` has one element
            (it is then 1). With `create_graph=True` it may itself require grad.
        create_graph: record the backward pass so the gradients it produces are
            nodes that can be differentiated again (Hessians, n-th derivatives).
        Raises RuntimeError if `self` does not require grad; ValueError on a
        gradient of the wrong shape. On error nothing has been changed.
        """
        backward(self, gradient, create_graph)

    def register_hook(self, hook: Callable) -> HookHandle:
        """Call `hook(grad)` in every backward sweep that reaches this node (as PyTorch's
        `Tensor.register_hook`).

        grad is the node's total cotangent in that sweep, complete (every use of the node has
        added into it) and not yet passed on: for an interior node before its vjp rules send it
        to its parents, for a leaf before it is added into `.grad`. It is a float for a Value
        and a constant read-only Tensor of the node's shape and dtype for a Tensor; with
        `create_graph=True` it is the recorded cotangent node. The hook may return a
        replacement (a number, array or node of the same shape), which is what flows on and
        what `.grad` receives; returning None keeps it. Several hooks run in the order they
        were registered, each seeing the previous one's result. Hooks run in `backward`,
        `cotangents` and the transforms built on them (grad, vjp, jacobian, ...).
        Returns a handle whose `remove()` takes the hook off. The hook does not keep the
        node alive. Raises TypeError if `hook` is not callable, RuntimeError if the node
        does not require grad (no sweep would reach it). A hook's exception propagates and
        the backward pass then changes no `.grad`.
        """
        if not callable(hook):
            raise TypeError(f"register_hook needs a callable, got {type(hook).__name__} {hook!r}")
        if not self.requires_grad:
            raise RuntimeError(
                f"register_hook on a {type(self).__name__} that does not require grad: no "
                "backward pass reaches it"
            )
        key = id(self)
        entry = _hooks.get(key)
        if entry is None:
            entry = _hooks[key] = (weakref.ref(self, _forget_hooks(key)), [])
        handle = HookHandle(key, hook)
        entry[1].append(handle)
        return handle

    def detach(self) -> Node:
        """A new leaf sharing this node's data, cut off from the graph (requires_grad False).

        The array is shared until either node's `.data` is read to be edited: both are
        marked saved, so that read copies first and the other keeps its values.
        """
        out = self._alias(self._data, differentiable=False)
        out._saved = self._saved = True
        return out

    def zero_grad(self) -> None:
        """Reset `.grad` (0.0 for a Value, None for a Tensor)."""
        self.grad = type(self)._ZERO_GRAD


def node_maker(cls: type[Node]) -> Callable[..., Node]:
    """The one way nodes are made: `new(data, op, parents, ctx, requires_grad)` for type `cls`.

    The node holds `data`; the record of how it was made (`op`, `parents`, and
    `ctx = (data, *raw inputs, *params)`, what the vjp rules are called with) is
    kept only when the node requires grad and grad mode is on; otherwise it is a
    constant leaf. Made once per node type, with its constants bound, because
    every operation of the forward pass goes through it.
    """
    zero_grad = cls._ZERO_GRAD
    state = _state
    make = _object_new

    saves_arrays = cls._SHAPED  # floats are immutable: only arrays need guarding

    def new(data, op=None, parents=(), ctx=(), requires_grad=False):
        out = make(cls)
        out._data = data
        out._grad = zero_grad
        out.label = ""
        if requires_grad and (mode := state.enabled):
            out.requires_grad = True
            out._op = op
            out._parents = parents
            out._ctx = ctx
            if mode is not True:  # inside detect_anomaly (its block): note the place, check
                mode.forward(out, op, parents, ctx)
            if saves_arrays:
                # The op keeps these arrays for its rules: `.data` now copies before it
                # hands one out, so an in-place edit never changes what backward reads.
                out._saved = True
                for p in parents:
                    if p is not None:
                        p._saved = True
        else:
            out.requires_grad = False
            out._op = None
            out._parents = out._ctx = ()
            if saves_arrays:
                out._saved = False
        return out

    return new


#: The op of an alias node: the identity, passing the cotangent straight through.
ALIAS = Op(
    "alias",
    series=lambda cs, out, x: cs[0],
    vjps=(lambda g, out, x: g,),
    jvps=(lambda t, out, x: t,),
)


#: The hooks of `register_hook`: {id(node): (weak reference to the node, [HookHandle, ...])}.
#: An entry goes when its node is collected or its last hook removed; while it is empty the
#: sweep looks nothing up (one test of a local per node).
_hooks: dict = {}


def _forget_hooks(key):
    """The weakref callback that drops the hooks of a collected node."""

    def forget(_ref):
        _hooks.pop(key, None)

    return forget


class HookHandle:
    """What `register_hook` returns: `remove()` takes the hook off (again: nothing happens)."""

    __slots__ = ("hook", "key")

    def __init__(self, key, hook):
        self.key = key
        self.hook = hook

    def remove(self) -> None:
        """Take the hook off its node; the node's entry goes with its last hook."""
        entry = _hooks.get(self.key)
        if entry is not None and self in entry[1]:
            entry[1].remove(self)
            if not entry[1]:
                del _hooks[self.key]


def _run_hooks(node, g, create_graph, handles):
    """The cotangent g of `node` after its hooks (see `Node.register_hook`)."""
    for handle in tuple(handles):  # a hook may remove itself
        hook = handle.hook
        r = hook(g if create_graph else node._hook_argument(g))
        if r is None:
            continue
        if create_graph:
            if not isinstance(r, Node):
                r = node._alias(node._hook_result(r, hook), differentiable=False)
            elif np.shape(r._data) != np.shape(node._data):
                node._hook_result(r._data, hook)  # raises, naming the shapes
            g = r
        else:
            g = node._hook_result(r._data if isinstance(r, Node) else r, hook)
    return g


_FINISHED = object()  # on the stack below a node's parents: when popped, the node is done


def toposort(root: Node) -> list[Node]:
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


# ---------------------------------------------------------------------------------------
# The backward sweep.


def backward(root: Node, gradient=None, create_graph: bool = False) -> None:
    """Reverse-mode sweep from `root`, adding into `.grad`; see `Node.backward`."""
    grads = _sweep(root, gradient, create_graph)
    # Two phases: every new .grad is computed first, so an error changes none of them; the
    # lock makes read-add-write of a .grad one step for threads sharing a leaf (as PyTorch).
    with _commit_lock:
        news = [node._new_grad(g) for node, g in grads.items()]
        if root._SHAPED:  # a Value's graph holds floats (arrays only in rare mixed graphs)
            news = _unshared(news)
        _commit(grads, news)


_get_grad = attrgetter("_grad")

#: Set once a Value has met a Tensor in this process (ops as_tensor, as_value): from then on
#: the sweep decides per parent whether to fit a cotangent to an array, since one graph may
#: hold both node types; until then the root's type decides for the whole graph (quicker).
_kinds_met = False

#: Held while gradients are added into `.grad`: no update is lost between threads.
_commit_lock = threading.RLock()


def _commit(nodes, news):
    """Set each node's `_grad` to its new value: all or none.

    An exception while assigning (a KeyboardInterrupt, say) puts back the gradients
    already assigned before it propagates. Only a second interrupt arriving during
    that restoring loop could leave some gradients new.
    """
    olds = list(map(_get_grad, nodes))
    try:
        for node, new in zip(nodes, news):
            node._grad = new
    except BaseException:
        for node, old in zip(nodes, olds):
            node._grad = old
        raise


def cotangents(
    root: Node,
    inputs: Sequence[Node],
    gradient=None,
    create_graph: bool = False,
    batched: bool = False,
) -> list:
    """d(root)/d(input) contracted with `gradient`, for each of `inputs`; `.grad` is untouched.

    The functional form of `backward`, as `torch.autograd.grad`: returns a list
    aligned with `inputs` holding raw data (a float for a Value, an ndarray for a
    Tensor), a node when `create_graph=True`, or None for an input the sweep
    never reached (its derivative is zero). Raises as `backward` does.

    batched: `gradient` holds B cotangents stacked on a leading axis, shape
    (B, *root.shape) (an ndarray; a Tensor when `create_graph`), all swept at once
    (as `torch.autograd.grad(..., is_grads_batched=True)`); each result then has shape
    (B, *input.shape) (a Value's: (B,)). Raises ValueError for a gradient of another
    shape, `Unbatchable` when the graph has a hook (`register_hook`).
    """
    if not batched:
        grads = _sweep(root, gradient, create_graph)
        return _own_memory([grads.get(x) for x in inputs])
    batch, seed = _batched_seed(root, gradient, create_graph)
    grads = _sweep(root, seed, create_graph, batch=batch)
    return _own_memory([_with_batch(grads.get(x), x, batch) for x in inputs])


def _check_root(root):
    """RuntimeError unless a backward pass can start at `root` (it requires grad)."""
    if not root.requires_grad:
        raise RuntimeError(
            f"backward() on a {type(root).__name__} that does not require grad: "
            "it was not computed from anything with requires_grad=True (or under no_grad())"
        )


def _sweep(root, gradient, create_graph, observe=None, batch=None):
    """The total cotangent of every node reached from `root`: {node: cotangent}.

    Seed the root; then, in reverse topological order, each node's op turns the
    node's total cotangent into one cotangent per parent (its vjp rules), and
    each is added into that parent's total. With `create_graph` the rules run on
    nodes and grad mode is on, so the sweep itself is recorded. A node's hooks
    (`register_hook`) see its total before it is passed on and may replace it.
    observe: None, or called once per edge as the sweep passes it, in the sweep's
    order, as `observe(node, i, parent, g, c, total)`: the node's cotangent g, the
    contribution c sent to its input i (fitted to the parent's shape) and the
    parent's running total after adding c (the explorer and `explain` replay these).
    batch: None, or the batch shape (B,) of a batched sweep (`cotangents(batched=True)`):
    then `gradient` is the seed already shaped (B, *root.shape), every cotangent carries
    the leading batch axis, and each is summed to (B, *input.shape) (`_sum_to_batch`); the
    rules of ops in `per_row` are called once per row.
    """
    _check_root(root)
    grads = {root: root._seed(gradient, create_graph) if batch is None else gradient}
    ndarray = np.ndarray
    uniform = None if _kinds_met else root._SHAPED  # see _kinds_met
    hooked = _hooks or None  # register_hook: looked up per node only when some node has one
    if _state.anomaly is not None:  # detect_anomaly: check every cotangent a rule gives
        observe = _both(_state.anomaly.backward, observe)
    with _sweeping(create_graph):
        for node in toposort(root):
            if hooked is not None and id(node) in hooked and node in grads:
                if batch is not None:
                    raise Unbatchable(f"a batched sweep reached a hooked node ({node.op!r})")
                # Its cotangent is complete: every node it feeds came earlier in the order.
                grads[node] = _run_hooks(node, grads[node], create_graph, hooked[id(node)][1])
            op = node._op
            if op is None:  # a leaf: nothing to pass on
                continue
            g = grads.get(node)
            if g is None:  # no cotangent reached this node
                continue
            ctx = node._ctx
            args = _forward_time_args(node) if create_graph else ctx
            # A variadic op's one rule gives every input's cotangent at once.
            every = op.vjps[0](g, *args) if op.variadic else None
            if batch is not None and op in _PER_ROW:
                every = _rows(op, node, g, args, batch)
            for i, p in enumerate(node._parents):
                if p is None or not p.requires_grad:
                    continue
                if every is not None:
                    c = every[i]
                else:
                    try:
                        c = op.vjps[i](g, *args)
                    except (ArithmeticError, ValueError):
                        if type(g) is not float:  # only a Value's Python floats raise at a pole
                            raise
                        c = _ieee_rule(op.vjps[i], g, args)
                shaped = uniform if uniform is not None else ctx[i + 1].__class__ is ndarray
                if shaped:
                    like = ctx[i + 1]
                    if batch is not None:
                        c = p._sum_to_batch(c, like, batch)
                    # numpy gives a scalar, not a 0-d array, for arithmetic on 0-d arrays
                    elif c.shape != like.shape or c.dtype is not like.dtype or not like.ndim:
                        c = p._sum_to_shape(c, like)
                if create_graph and not isinstance(c, Node):
                    c = p._alias(c, differentiable=False)  # a constant cotangent is still a node
                total = grads.get(p)
                if total is not None:
                    total = total + c
                    if shaped and not like.ndim and batch is None:
                        total = p._sum_to_shape(total, like)
                else:
                    total = c
                grads[p] = total
                if observe is not None:
                    observe(node, i, p, g, c, total)
    return grads


# ---- batched sweeps ----------------------------------------------------------------------


class Unbatchable(NotImplementedError):
    """A batched sweep met what it cannot batch (a hook): sweep the rows one by one instead."""


#: The ops whose vjp rules take one cotangent at a time (a `primitive` not declared
#: batch-aware): a batched sweep calls them once per row (see `per_row`).
_PER_ROW: set = set()


def per_row(op: Op, rows: bool = True) -> None:
    """Mark `op` as having rules that see one cotangent at a time (rows=True), or as
    batch-aware (rows=False: its rules treat extra leading axes of g as batch axes, the
    default of every `Op`). A batched sweep calls a per-row op's rules once per row."""
    if rows:
        _PER_ROW.add(op)
    else:
        _PER_ROW.discard(op)


def _batched_seed(root, gradient, create_graph):
    """The batch shape (B,) and the seed of a batched sweep from `gradient`, of shape
    (B, *root.shape): an ndarray, or a Tensor when `create_graph` (kept as a node)."""
    shape = np.shape(root._data)
    data = gradient._data if isinstance(gradient, Node) else gradient
    if not isinstance(data, np.ndarray) or data.ndim != len(shape) + 1 or data.shape[1:] != shape:
        raise ValueError(
            f"a batched gradient must have shape (B, *{shape}), got shape {np.shape(data)}"
        )
    batch = data.shape[:1]
    dtype = root._data.dtype if isinstance(root._data, np.ndarray) else np.dtype(np.float64)
    if create_graph:
        if not isinstance(gradient, Node):
            gradient = root._as_tensor()._alias(data, differentiable=False)
        return batch, gradient if gradient.dtype == dtype else gradient.astype(dtype)
    return batch, data.astype(dtype)  # a copy: results never share the caller's array


def _with_batch(c, x, batch):
    """A batched sweep's result for input x in full shape (B, *x.shape); None stays None.

    A rule may give a cotangent without the batch axis (a constant zero, a Value's float
    0.0): it is the same for every row, so it is broadcast."""
    if c is None:
        return None
    want = batch + np.shape(x._data)
    if np.shape(c._data if isinstance(c, Node) else c) == want:
        return c
    if isinstance(c, Node):
        from . import ops  # the engine's broadcast_to (ops imports this module)

        return ops.broadcast_to(c._as_tensor(), want)
    return np.array(np.broadcast_to(c, want))


def _rows(op, node, g, args, batch):
    """Every input's cotangent from `op`'s rules called once per row of the batched g, each
    summed to its input's shape, then stacked: [(B, *input.shape) or None per input]."""
    from . import ops  # the engine's stack (ops imports this module)

    n = len(node._parents)
    out_ndim = np.ndim(node._ctx[0])
    if np.ndim(g._data if isinstance(g, Node) else g) == out_ndim:  # the same for every row
        return [
            None if p is None or not p.requires_grad else op.cotangent(i, g, *args)
            for i, p in enumerate(node._parents)
        ]
    rows = [[] for _ in range(n)]
    for k in range(batch[0]):
        every = op.vjps[0](g[k], *args) if op.variadic else None
        for i, p in enumerate(node._parents):
            if p is None or not p.requires_grad:
                continue
            c = every[i] if every is not None else op.vjps[i](g[k], *args)
            like = node._ctx[i + 1]
            if like.__class__ is np.ndarray:
                c = p._sum_to_shape(c, like)
            rows[i].append(c)
    return [
        None
        if not r
        else ops.stack(r)
        if any(isinstance(c, Node) for c in r)
        else np.array([np.asarray(c) for c in r])
        for r in rows
    ]


# ---- the sweep's helpers: speed and IEEE arithmetic -------------------------------------


def _both(check, observe):
    """One observer calling `check` then `observe` (None: check alone)."""
    if observe is None:
        return check

    def both(*edge):
        check(*edge)
        observe(*edge)

    return both


class _sweeping:
    """Grad mode set to `create_graph`, the cyclic collector paused, numpy's warnings off.

    The sweep makes no reference cycles but allocates a lot: without the pause
    the cyclic garbage collector walks the whole graph again and again (the
    time per op would grow with the graph). Poles in rules give inf and nan
    silently, as in the forward pass. Everything is restored on exit.
    """

    __slots__ = ("create_graph", "errstate", "mode")

    def __init__(self, create_graph):
        self.create_graph = create_graph

    def __enter__(self):
        self.mode = _state.enabled
        _state.enabled = _on(self.create_graph)
        _pause_collector()
        self.errstate = np.errstate(all="ignore")
        self.errstate.__enter__()

    def __exit__(self, *exc):
        self.errstate.__exit__(*exc)
        _state.enabled = self.mode
        _resume_collector()
        return False


# The collector is paused by the first sweep to start and resumed by the last to end, so
# sweeps in several threads never leave it off (nor turn on one the program turned off).
_collector_lock = threading.Lock()
_collector = {"sweeps": 0, "was_enabled": False}


def _pause_collector():
    with _collector_lock:
        if _collector["sweeps"] == 0:
            _collector["was_enabled"] = gc.isenabled()
            gc.disable()
        _collector["sweeps"] += 1


def _resume_collector():
    with _collector_lock:
        _collector["sweeps"] -= 1
        if _collector["sweeps"] == 0 and _collector["was_enabled"]:
            gc.enable()


def _ieee_rule(rule, g, args):
    """Redo a rule that hit a pole on Python floats (1/0, log(0), overflow) in IEEE numpy.

    A Value's rules run on Python floats, which raise where numpy gives inf or nan.
    """
    f64 = np.float64
    return float(rule(f64(g), *[f64(a) if type(a) is float else a for a in args]))


def _forward_time_args(node):
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


def _own_memory(results):
    """`cotangents`' results with every array after the first that shares memory with an
    earlier one copied: a rule may pass its cotangent on unchanged (add's does), so two
    inputs can get one array, and the caller may edit either in place."""
    seen = set()
    out = []
    for g in results:
        owner = _owner(g)
        if owner is not None:
            if owner in seen:
                g = np.copy(g)  # its layout kept (order K), as a replay copies it
            seen.add(owner)
        out.append(g)
    return out


def _owner(g):
    """The id of the array owning an ndarray g's memory; None for anything else."""
    return id(g if g.base is None else g.base) if g.__class__ is np.ndarray else None


def _unshared(grads):
    """Gradient arrays with any array shared by several nodes made a read-only view.

    A rule may pass its cotangent on unchanged, so several nodes can get one
    array. `Tensor.grad` copies a read-only array when it is read, so each
    gradient a user sees has its own memory, and gradients nobody reads are
    never copied.
    """
    owners = [  # `_owner`, written out: this runs at every commit
        id(g if g.base is None else g.base) if g.__class__ is np.ndarray else None for g in grads
    ]
    if len(set(owners)) == len(owners):  # the common case: no array shared
        return grads
    count = Counter(owners)
    out = []
    for g, owner in zip(grads, owners):
        if owner is not None and count[owner] > 1:
            g = g.view()
            g.flags.writeable = False
        out.append(g)
    return out
