"""`primitive`: the public way to add a differentiable operation.

```python
@al.primitive
def softplus(x):  # the forward, on raw floats and numpy arrays
    return np.logaddexp(0.0, x)


@softplus.defvjp
def softplus_vjp(g, out, x):  # rule(g, out, *inputs): the cotangent of x
    return g * al.sigmoid(x)
```

The decorated function declares an `Op`, the same declaration the built-in ops of
`ops.py` use, and runs it with `ops.apply`: so it takes Values, Tensors, numbers and
arrays, its gradients are summed over broadcast axes by the backward sweep, and a rule
written with autograd_lite's functions is recorded under `create_graph=True` and gives
derivatives of any order. The idea and the rule signature `rule(g, ans, *inputs)` are
HIPS autograd's `primitive` and `defvjp`; `defjvp` gives forward-mode rules alike,
`rule(t, ans, *inputs)`, the output's tangent for an input's tangent t.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable

import numpy as np

from . import ops
from .graph import Node, Op, per_row, tracing

__all__ = ["Primitive", "looped_jvp", "primitive"]


class Primitive:
    """A function made differentiable by its vjp rules: what `@primitive` returns.

    `f(*inputs, **params)`: positional arguments are the inputs (numbers, arrays, lists,
    Values, Tensors), keyword arguments are parameters (`axis=1`), handed to the forward
    and to the rules as keywords and never differentiated. The result is a `Value` when
    the inputs are Values and numbers, a `Tensor` when one is a Tensor or an array among
    Values, and raw data (a float, an ndarray) when no input is a node.

    The forward gets floats for Values and numbers (a numpy scalar it returns becomes a
    float) and ndarrays for Tensors and arrays (an integer result becomes float64).
    """

    def __init__(self, fn: Callable):
        if not callable(fn):
            raise TypeError(f"primitive needs a function, got {type(fn).__name__} {fn!r}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.vjps: tuple = ()
        self.jvps: tuple = ()
        self.series: Callable | None = None
        self.batched = False  # see defvjp
        self._ops: dict = {}  # (number of inputs, parameter names) -> Op

    def defvjp(self, *rules: Callable | None, batched: bool = False):
        """Set the vjp rules, one per input in order: `rule(g, out, *inputs, **params)`.

        g: the cotangent of the output (its shape); out: the output; then the inputs and
        the parameters as the call got them. A rule returns the cotangent of its input:
        g times the derivative of out with respect to that input. It may return it in the
        output's shape; the backward sweep sums it over broadcast axes to the input's shape
        and casts it to the input's dtype, as for the built-in ops. `None`, or no rule at
        all for the last inputs, marks an input as not differentiable: a backward pass
        that needs its cotangent raises NotImplementedError naming the op and the input.

        On raw data (the usual backward pass) a rule may use numpy freely. With
        `create_graph=True` it is called with nodes: written with autograd_lite's
        functions and operators it is then recorded, so the op can be differentiated again;
        one that turns nodes into constants raises a TypeError naming the op.

        batched: the rules are batch-aware: handed a g with extra leading axes (the
        batched sweeps of `jacobian(..., vectorize=True)` and `hessian`), they treat them
        as batch axes and keep them in front of the cotangent they return (use negative
        axes, reshape to `g.shape[:g.ndim - out.ndim] + shape`, ...). Without it a batched
        sweep calls the rules once per row: always right, but slower.

        Returns the rule when given one, so it works as a decorator.
        Raises TypeError for a rule that is neither callable nor None (and, in the backward
        pass, TypeError naming the op and the input for a rule returning no numbers).
        """
        self.vjps = _checked_rules(self.name, rules)
        self.batched = bool(batched)
        for op in self._ops.values():
            per_row(op, not self.batched)
        return rules[0] if len(rules) == 1 else None

    def defjvp(self, *rules: Callable | None):
        """Set the forward-mode rules, one per input in order: `rule(t, out, *inputs, **params)`
        (HIPS autograd's defjvp convention, mirroring `defvjp`).

        t: the tangent of that input (its shape, or with leading batch axes in a batched
        sweep: a rule must treat any axis before the input's own as a batch axis, e.g. use
        negative axes); out: the output; then the inputs and the parameters as the call got
        them. A rule returns that input's contribution to the output's tangent: the
        derivative of out with respect to the input, applied to t. It may return it in any
        shape that broadcasts to the output's (the sweep broadcasts it and casts it to the
        output's dtype). `None`, or no rule for the last inputs, marks an input as not
        differentiable in forward mode: a sweep reaching it with a tangent raises
        NotImplementedError naming the op and the input. Nested under reverse mode the rule
        is called with nodes and must be written with autograd_lite's functions, as a vjp
        rule under `create_graph=True`. Returns the rule when given one (a decorator).
        Raises TypeError for a rule that is neither callable nor None; a sweep raises
        TypeError, naming the op and the input, for a rule returning no numbers (None), and
        ValueError for a result that does not broadcast to the output's shape.
        """
        self.jvps = _checked_rules(self.name, rules)
        return rules[0] if len(rules) == 1 else None

    def defseries(self, rule: Callable):
        """Set the Taylor-mode rule: `rule(cs, out, *inputs, **params)` returning the
        output's Taylor coefficients, an array of shape (K, *out.shape), given `cs`, one
        array of shape (K, *input.shape) per input (coefficient k is the k-th derivative
        along the sweep's curve divided by k!; an input that does not vary has zeros after
        its data) and the raw data of the output and the inputs. Written on raw numpy
        arrays; core/series.py has the recurrences (Cauchy products, exp, log, ...).

        A primitive without one is differentiated by nested reverse mode where Taylor mode
        meets it, with a warning (`SeriesFallbackWarning`). A linear primitive's rule is
        its forward applied to every coefficient. Returns the rule, so it works as a
        decorator. Raises TypeError for a rule that is not callable.
        """
        if not callable(rule):
            raise TypeError(
                f"primitive {self.name!r}: the series rule must be a function, got "
                f"{type(rule).__name__} {rule!r}"
            )
        self.series = rule
        for (n, keys), op in self._ops.items():  # ops declared before the rule get it too
            op.series = _series(self, n, keys)
        return rule

    def __call__(self, *inputs, **params):
        if not inputs:
            raise TypeError(f"primitive {self.name!r} needs at least one input")
        if len(self.vjps) > len(inputs):
            raise TypeError(
                f"primitive {self.name!r} has {len(self.vjps)} vjp rules but was called with "
                f"{len(inputs)} input(s); inputs are positional, parameters are keywords"
            )
        for key, v in params.items():
            if isinstance(v, Node) or (
                isinstance(v, (list, tuple)) and any(isinstance(e, Node) for e in v)
            ):
                raise TypeError(
                    f"primitive {self.name!r}: keyword argument {key}= is a parameter and is never "
                    "differentiated, but it holds a node; pass inputs positionally"
                )
        keys = tuple(params)
        op = self._ops.get((len(inputs), keys))
        if op is None:
            op = self._ops[len(inputs), keys] = self._declare(len(inputs), keys)
            per_row(op, not self.batched)
        return ops.apply(op, inputs, tuple(params.values()))

    def _declare(self, n, keys):
        """The `Op` of a call with n inputs and parameters named `keys`."""
        return Op(
            self.name,
            scalar=_scalar_forward(self, n, keys),
            array=_array_forward(self, n, keys),
            series=None if self.series is None else _series(self, n, keys),
            vjps=[_vjp(self, i, n, keys) for i in range(n)],
            jvps=[_jvp(self, i, n, keys) for i in range(n)],
            params=keys,
            doc=self.__doc__,
        )

    def __repr__(self):
        return f"primitive({self.name!r})"


def primitive(fn: Callable) -> Primitive:
    """Make `fn`, written on raw floats and numpy arrays, a differentiable op.

    Give its derivative with `@f.defvjp` (one rule per input, see `Primitive.defvjp`);
    then `f` runs on Values, Tensors, numbers and arrays like the built-in ops (see
    `Primitive`). Raises TypeError if `fn` is not callable.
    """
    return Primitive(fn)


def looped_jvp(rule: Callable, i: int) -> Callable:
    """A jvp rule for input i written for an unbatched tangent (of the input's shape), made
    to accept leading batch axes by calling it once per batch element and stacking the
    results: for ops whose rule cannot cheaply be batch-aware (MODES: the fallback)."""

    def jvp(t, out, *args, **kw):
        shape = ops._shape(args[i])
        if len(ops._shape(t)) == len(shape):
            return rule(t, out, *args, **kw)
        t = ops.reshape(t, (-1, *shape))
        return ops.stack([rule(t[b], out, *args, **kw) for b in range(ops._shape(t)[0])])

    return jvp


def _checked_rules(name, rules):
    for i, r in enumerate(rules):
        if r is not None and not callable(r):
            raise TypeError(
                f"primitive {name!r}: the rule for input {i} must be a function or None, "
                f"got {type(r).__name__} {r!r}"
            )
    return tuple(rules)


def _keywords(keys, values):
    return dict(zip(keys, values)) if keys else {}


def _run(prim, n, keys, args):
    """The user's forward on raw inputs and parameters, its bad-input errors made clear.

    numpy's ValueError (shapes that do not fit), AxisError (an axis out of range) and
    IndexError are raised again as the same type, their message prefixed with the op and
    the input shapes: "tensordot: shapes (2, 3) and (4, 5): shape-mismatch for sum". Raised
    before any node is made, so the graph and every `.grad` are as they were.
    """
    try:
        return prim.fn(*args[:n], **_keywords(keys, args[n:]))
    except (ValueError, IndexError) as e:
        shapes = [str(np.shape(x)) for x in args[:n]]
        listed = shapes[0] if n == 1 else ", ".join(shapes[:-1]) + " and " + shapes[-1]
        name = prim.name.lstrip("_") or prim.name  # a private forward's public name
        try:
            clear = type(e)(f"{name}: shape{'s' if n > 1 else ''} {listed}: {e}")
        except Exception:  # an exception type that takes other arguments: as it was
            raise e from None
        raise clear.with_traceback(e.__traceback__) from None


def _scalar_forward(prim, n, keys):
    """The forward on Python floats (Value and numbers): a float, or TypeError naming the op."""

    def forward(*args):
        out = _run(prim, n, keys, args)
        if type(out) is float:
            return out
        if isinstance(out, numbers.Real) or (
            isinstance(out, np.ndarray) and out.ndim == 0 and out.dtype.kind in "biuf"
        ):
            return float(out)
        raise TypeError(
            f"primitive {prim.name!r} on numbers returned {type(out).__name__} "
            f"{np.shape(out)!r}, not a real number"
        )

    return forward


def _array_forward(prim, n, keys):
    """The forward on arrays (Tensor and arrays): a float16, float32 or float64 array."""

    def forward(*args):
        out = np.asarray(_run(prim, n, keys, args))
        if out.dtype not in ops.FLOATS:
            if out.dtype.kind not in "biuf":
                raise TypeError(
                    f"primitive {prim.name!r} returned an array of dtype {out.dtype}, "
                    "not real numbers"
                )
            out = out.astype(np.float64)
        return out

    return forward


def _user_rule(prim, rules, i, n, kind, why):
    """The user's `kind` rule for input i, looked up when called (so `defvjp` or `defjvp`
    may come after the first call); NotImplementedError naming the primitive and the input
    if there is none (`why`: what reached it)."""
    user_rule = rules[i] if i < len(rules) else None
    if user_rule is None:
        raise NotImplementedError(
            f"primitive {prim.name!r} has no {kind} rule for input {i} (of {n}), which {why}; "
            f"give one with {prim.name}.def{kind}(...)"
        )
    return user_rule


def _vjp(prim, i, n, keys):
    """The `Op`'s rule for input i: the user's rule (`_user_rule`), given its parameters as
    keywords."""

    def rule(g, out, *args):
        user_rule = _user_rule(prim, prim.vjps, i, n, "vjp", "requires grad")
        inputs, kw = args[:n], _keywords(keys, args[n:])
        if isinstance(g, Node):  # create_graph: the rule must record on nodes
            c = _recorded(prim, i, user_rule, g, out, inputs, kw)
        elif type(g) is not float and type(inputs[i]) is float:  # a batch (B,) for a Value
            c = np.asarray(user_rule(g, out, *inputs, **kw))
        else:
            c = _shaped_like(_numbers(prim, i, "vjp", user_rule(g, out, *inputs, **kw)), inputs[i])
        return _fitted(prim, i, c, inputs[i])

    return rule


def _series(prim, n, keys):
    """The `Op`'s series rule: the user's, given its parameters as keywords."""

    def rule(cs, out, *args):
        return prim.series(cs, out, *args[:n], **_keywords(keys, args[n:]))

    return rule


def _jvp(prim, i, n, keys):
    """The `Op`'s jvp rule for input i: the user's rule (`_user_rule`), given its parameters
    as keywords."""

    def rule(t, out, *args):
        user_rule = _user_rule(
            prim, prim.jvps, i, n, "jvp", "forward mode (jvp, jacfwd, linearize) reached"
        )
        inputs, kw = args[:n], _keywords(keys, args[n:])
        if isinstance(t, Node):  # nested: the rule must record on nodes
            return _recorded(prim, i, user_rule, t, out, inputs, kw, "jvp")
        c = _numbers(prim, i, "jvp", user_rule(t, out, *inputs, **kw))
        return _tangent_fitted(prim, i, c, t, inputs[i], out)

    return rule


def _numbers(prim, i, kind, c):
    """A rule's raw result c as a float or a real ndarray; TypeError naming the op and the
    input for anything else (None, strings: numpy would make them NaN or fail unnamed)."""
    if type(c) is float:
        return c
    try:
        arr = c if isinstance(c, np.ndarray) else np.asarray(c)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"primitive {prim.name!r}: its {kind} rule for input {i} returned "
            f"{type(c).__name__} {c!r}, not a number or an array of real numbers"
        )
    return arr


def _tangent_fitted(prim, i, c, t, x, out):
    """A raw tangent contribution c as it is when it broadcasts to the output's shape (after
    the batch axis of a batched tangent t); otherwise ValueError naming the op and the input."""
    batched = np.ndim(t) > np.ndim(x)
    want = (np.shape(t)[:1] if batched else ()) + np.shape(out)
    c_shape = np.shape(c)
    try:
        fits = np.broadcast_shapes(c_shape, want) == want
    except ValueError:
        fits = False
    if fits:
        return c
    raise ValueError(
        f"primitive {prim.name!r}: its jvp rule for input {i} returned a tangent of shape "
        f"{c_shape}, which does not broadcast to the output's shape {want}"
    )


def _fitted(prim, i, c, x):
    """Cotangent c of input x in a shape the sweep can sum to x's: c as it is when x
    broadcasts to c's shape (the sweep sums it back), c broadcast to x's shape when c
    broadcasts to it (a constant cotangent given in fewer elements); otherwise ValueError
    naming the op, the input and both shapes (a wrong shape would otherwise become a `.grad`
    of the wrong shape, or a wrong sum). Raised during the sweep, before any `.grad` is set.
    """
    data = x._data if isinstance(x, Node) else x
    if not isinstance(data, np.ndarray) or c.shape == data.shape:  # a Value's: no shape
        return c
    shape = data.shape
    try:
        common = np.broadcast_shapes(c.shape, shape)
    except ValueError:
        common = None
    if common == c.shape:
        return c
    if common == shape:
        return ops.broadcast_to(c, shape) if isinstance(c, Node) else np.broadcast_to(c, shape)
    raise ValueError(
        f"primitive {prim.name!r}: its vjp rule for input {i} returned a cotangent of shape "
        f"{c.shape}, which does not fit the input's shape {shape} (it must have the input's "
        "shape, or the output's shape when the input was broadcast)"
    )


def _recorded(prim, i, user_rule, g, out, inputs, kw, kind="vjp"):
    """The rule run on nodes, refusing anything that would drop the derivative silently.

    Inside `tracing`, a node that requires grad turned into a float or an array raises
    (see `graph.escape_error`); a constant result other than zero is refused too.
    """
    advice = (
        "it works on raw data (first derivatives), but to differentiate it twice write it "
        "with autograd_lite's functions and operators (al.exp, al.sigmoid, ...)"
    )
    with tracing():
        try:
            c = user_rule(g, out, *inputs, **kw)
        except TypeError as e:
            raise TypeError(
                f"primitive {prim.name!r}: its {kind} rule for input {i} failed on nodes ({e}); "
                + advice
            ) from e
    if isinstance(c, Node):
        return c
    x = inputs[i]
    if np.all(np.asarray(c) == 0):  # a zero derivative has zero derivatives: exact
        if kind == "jvp":  # the tangent sweep fits it to the output
            return c
        return _shaped_like(c, x._data if isinstance(x, Node) else x)
    raise TypeError(
        f"primitive {prim.name!r}: its {kind} rule for input {i} returned a constant "
        f"({type(c).__name__}) where it was given nodes, so its derivative would silently be "
        "lost; " + advice
    )


def _shaped_like(c, x):
    """A raw cotangent in the form the sweep expects for raw input data x: a float for a
    float, an ndarray (which the sweep sums to x's shape) for an array."""
    if type(x) is float:
        return c if type(c) is float else float(c)
    if isinstance(x, np.ndarray) and not isinstance(c, np.ndarray):
        c = np.asarray(c)
        if c.ndim == 0:
            c = np.broadcast_to(c, x.shape)
    return c
