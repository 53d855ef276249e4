"""Gradient checking: the Jacobian from backward against central finite differences.

`gradcheck(f, inputs)` compares, for every output of f and every input, the
Jacobian computed by reverse mode (`functional.jacobian`) with the
central-difference Jacobian

    J_num[:, j] = (f(x + eps e_j) - f(x - eps e_j)) / (2 eps),

whose error is O(eps^2) for smooth f (Nocedal and Wright, Numerical
Optimization, section 8.1). The differences are always taken in float64, also
for float32 inputs: in float32 the rounding error eps_machine / eps would swamp
the derivative. An element passes when |analytical - numerical| <= atol + rtol
* |numerical| (numpy.isclose), as in `torch.autograd.gradcheck`; a NaN on either side
fails, since nothing is checked where the derivative is undefined.

`gradgradcheck(f, inputs)` does the same for second derivatives: it checks the
gradient function g(x, v) = v^T J_f(x) (a vjp of f) the same way, with respect to
the inputs x and to the cotangent v, as `torch.autograd.gradgradcheck` does. The
direction v matters: g is linear in v, and anything that differentiates the vjp in v
(the transpose of a vjp, reverse-over-reverse Hessians) relies on it, so a rule right
in value but not linear in its cotangent is caught.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..core import ops
from ..core.anomaly import place
from ..core.graph import Node, enable_grad, no_grad, toposort
from ..core.tensor import Tensor
from ..core.value import Value
from . import functional

__all__ = ["GradcheckError", "KinkNote", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences (an AssertionError, so pytest shows it)."""


class KinkNote(UserWarning):
    """A check passed at a kink by a subgradient: the warning's text names each element."""


#: The most failing elements a report lists in its table, and kinks a note names.
_TABLE_ROWS = 8


def _arguments(inputs):
    """The arguments of f: a tuple is the argument list, anything else one argument."""
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    if not args:
        raise ValueError("gradcheck needs at least one input")
    for i, a in enumerate(args):
        ok = isinstance(a, (Value, Tensor, list, np.ndarray)) or (
            isinstance(a, numbers.Real) and not isinstance(a, bool)
        )
        if not ok:
            raise TypeError(
                f"gradcheck: input {i} must be a number, a list or array of numbers, a Value or a "
                f"Tensor; got {type(a).__name__} {a!r}"
            )
    return args


def _check_tolerances(eps, atol, rtol):
    if not (isinstance(eps, numbers.Real) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"gradcheck: eps must be a positive finite number, got {eps!r}")
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(tol, numbers.Real) and tol >= 0):
            raise ValueError(f"gradcheck: {name} must be a number >= 0, got {tol!r}")


def _outputs64(out):
    """f's output(s) as a list of float64 arrays."""
    outs = out if isinstance(out, (tuple, list)) else [out]
    return [np.asarray(o.data if isinstance(o, Node) else o, dtype=np.float64) for o in outs]


def _describe(arg):
    """Shape and dtype of an input, for reports."""
    if isinstance(arg, (Value, numbers.Real)):
        return "a scalar"
    data = np.asarray(arg.data if isinstance(arg, Node) else arg)
    return f"shape {data.shape}, {data.dtype}"


def _numerical(f, args):
    """Evaluate f at float64 copies of the inputs: returns (points, evaluate) for perturbing.

    `points[i]` is a float64 array of input i; `evaluate()` calls f (under no_grad) on the
    current points, scalar inputs as Values and array inputs as Tensors (as the transforms
    pass them), and returns f's output.
    """
    scalar = [isinstance(a, (Value, numbers.Real)) for a in args]
    points = [
        ops.real_array(a.data if isinstance(a, Node) else a, "gradcheck: input").astype(np.float64)
        for a in args
    ]

    def evaluate():
        xs = [Value(float(p)) if s else Tensor(p) for p, s in zip(points, scalar)]
        with no_grad():
            return f(*xs)

    return points, evaluate


def _check(f, args, eps, atol, rtol, raise_exception, name, what, which=None, strict=False):
    """The comparison shared by gradcheck and gradgradcheck; `what(k)` names output k and
    `which(i)` input i (default "input i"); `strict` fails at kinks (see `gradcheck`)."""
    which = which or (lambda i: f"input {i}")
    _check_tolerances(eps, atol, rtol)
    points, evaluate = _numerical(f, args)
    out = evaluate()
    base = _outputs64(out)
    with no_grad():  # plain results, no recorded backward
        jac = functional.jacobian(f, argnums=tuple(range(len(args))))(*args)
    if not isinstance(out, (tuple, list)):  # one output: make it [output][input]
        jac = (jac,)
    notes = []
    for i, p in enumerate(points):
        flat = p.reshape(-1)  # a view: perturbing it perturbs the input f sees
        # Central differences, and the one-sided ones (right, left) that tell a kink.
        numerical, right, left = ([np.empty((o.size, p.size)) for o in base] for _ in range(3))
        for j in range(p.size):
            plus, minus = _both_sides(flat, j, eps, evaluate)
            with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is nan, quietly
                for k, b in enumerate(base):
                    numerical[k][:, j] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
                    right[k][:, j] = ((plus[k] - b) / eps).reshape(-1)
                    left[k][:, j] = ((b - minus[k]) / eps).reshape(-1)
        _confirm_kinks(flat, base, evaluate, eps, numerical, (left, right), atol, rtol)
        for k, o in enumerate(base):
            a = jac[k][i]
            analytical = np.asarray(a.data if isinstance(a, Node) else a, dtype=np.float64)
            analytical = analytical.reshape(o.size, p.size)
            sides = (left[k], right[k])
            header = f"{what(k)} w.r.t. {which(i)}"
            report = _compare(
                analytical,
                numerical[k],
                sides,
                o.shape,
                args[i],
                which(i),
                what(k),
                (eps, atol, rtol, strict),
                notes,
                header,
            )
            if report is not None:
                return _fail(f"{name}: {report}", raise_exception)
    report = _nonlinear_vjp(f, args, out, jac, which, atol, rtol)
    if report is not None:
        return _fail(f"{name}: {report}", raise_exception)
    _note(name, notes)
    return True


def _both_sides(flat, j, h, evaluate):
    """f's outputs (float64) with element j of the input `flat` moved by +h, then by -h."""
    x = flat[j]
    flat[j] = x + h
    plus = _outputs64(evaluate())
    flat[j] = x - h
    minus = _outputs64(evaluate())
    flat[j] = x
    return plus, minus


def _confirm_kinks(flat, base, evaluate, eps, numerical, sides, atol, rtol):
    """Keep as kinks only the elements whose one-sided differences still disagree as much at
    step eps / 10: at a kink the jump stays, on a smooth curve it is f'' eps and shrinks
    tenfold, at a step of f itself it grows tenfold (no derivative at all). Elsewhere both
    sides are set to the central difference (no kink). Only the columns with a candidate
    are evaluated again."""
    left, right = sides
    with np.errstate(invalid="ignore"):
        candidate = [
            np.isfinite(lf) & np.isfinite(rt) & ~np.isclose(lf, rt, rtol=rtol, atol=atol)
            for lf, rt in zip(left, right)
        ]
    h = eps / 10
    for j in np.nonzero(np.any([c.any(axis=0) for c in candidate], axis=0))[0]:
        plus, minus = _both_sides(flat, j, h, evaluate)
        with np.errstate(invalid="ignore", over="ignore"):
            for k, b in enumerate(base):
                jump = ((plus[k] - b) / h - (b - minus[k]) / h).reshape(-1)
                # A kink's jump stays; a jump of f itself (a step) grows like 1/h.
                ratio = np.abs(jump) / np.abs(right[k][:, j] - left[k][:, j])
                stays = (ratio > 0.5) & (ratio < 2.0)
                candidate[k][:, j] &= stays
    for k in range(len(base)):
        smooth = ~candidate[k]
        left[k][smooth] = right[k][smooth] = numerical[k][smooth]


def _fail(report, raise_exception):
    """Raise GradcheckError(report), or return False when raise_exception is False."""
    if raise_exception:
        raise GradcheckError(report)
    return False


def _note(name, notes):
    """Warn (KinkNote) with the kinks a passing check accepted, if any."""
    if notes:
        more = len(notes) - _TABLE_ROWS
        lines = notes[:_TABLE_ROWS] + ([f"... and {more} more"] if more > 0 else [])
        warnings.warn(
            f"{name} passed at {len(notes)} kink(s), where the one-sided differences disagree "
            "and the engine's value lies between them:\n" + "\n".join(lines),
            KinkNote,
            stacklevel=4,
        )


def _kinks(analytical, sides, atol, rtol):
    """(kink, between): where the one-sided derivatives disagree (both finite), and where
    the engine's value lies between them (within the tolerance)."""
    left, right = sides
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(left) & np.isfinite(right)
        kink = finite & ~np.isclose(left, right, rtol=rtol, atol=atol)
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        slack = atol + rtol * np.maximum(np.abs(lo), np.abs(hi))
        between = (analytical >= lo - slack) & (analytical <= hi + slack)
    return kink, between


def _kink_text(r, c, analytical, sides, verdict):
    left, right = sides
    return (
        f"element ({r}, {c}): kink, one-sided derivatives {left[r, c]:.6g} and "
        f"{right[r, c]:.6g}, engine {analytical[r, c]:.6g} ({verdict})"
    )


def _nonlinear_vjp(f, args, out, jac, which, atol, rtol):
    """None if the vjp at one random cotangent u equals u^T J; else what differs.

    The rows above come from one-hot cotangents, which cannot tell a rule `g * y` from
    `g * g * y` (the same at g = 1); such a rule is wrong for every other cotangent, and
    anything that differentiates the vjp in g (its transpose) would silently go wrong too.
    """
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = np.random.default_rng(12345)
    us = []
    for o in outs:
        shape = np.shape(o.data if isinstance(o, Node) else o)
        u = rng.uniform(0.5, 1.5, shape) * rng.choice((-1.0, 1.0), shape)
        us.append(float(u) if isinstance(o, (Value, float, int)) or not shape else u)
    with no_grad():
        _, vjp_fn = functional.vjp(f, *args)
        got = vjp_fn(tuple(us) if isinstance(out, (tuple, list)) else us[0])
    for i in range(len(args)):
        expected = sum(
            np.asarray(u, dtype=np.float64).reshape(-1)
            @ np.asarray(
                jac[k][i].data if isinstance(jac[k][i], Node) else jac[k][i], dtype=np.float64
            ).reshape(np.size(u), -1)
            for k, u in enumerate(us)
        )
        g = got[i]
        actual = np.asarray(g.data if isinstance(g, Node) else g, dtype=np.float64).reshape(-1)
        if not np.allclose(actual, expected, atol=atol, rtol=rtol, equal_nan=True):
            return (
                f"the vjp of {which(i)} is not linear in the cotangent: at a random cotangent "
                f"u it gives {actual.tolist()[:6]}, while u^T J (the rows checked above) gives "
                f"{np.asarray(expected).tolist()[:6]}"
            )
    return None


def _compare(
    analytical, numerical, sides, out_shape, arg, input_name, output_name, tols, notes, header
):
    """None if every element is within tolerance (or, unless strict, at a kink with the
    engine's value between the one-sided derivatives `sides`: a note joins `notes`), else
    a report of the worst elements. tols: (eps, atol, rtol, strict)."""
    eps, atol, rtol, strict = tols
    ok = np.isclose(analytical, numerical, rtol=rtol, atol=atol)  # NaN never passes
    kink, between = _kinks(analytical, sides, atol, rtol)
    if strict:
        ok &= ~kink
    else:
        ok |= kink & between
        for r, c in zip(*np.nonzero(kink & ok)):
            notes.append(f"{header}: " + _kink_text(r, c, analytical, sides, "subgradient"))
    if ok.all():
        return None
    excess = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    # Elements within tolerance never count; among the rest a NaN difference is the worst.
    excess = np.where(ok, -np.inf, np.where(np.isnan(excess), np.inf, excess))
    r, c = np.unravel_index(int(np.argmax(excess)), excess.shape)
    in_shape = np.shape(arg.data if isinstance(arg, Node) else arg)
    n, a = numerical[r, c], analytical[r, c]
    tolerance = atol + rtol * abs(n)
    where = f"d {output_name}{_index(r, out_shape)} / d {input_name}{_index(c, in_shape)}"
    head = f"Jacobian mismatch for {output_name} (shape {out_shape}) with respect to {input_name}"
    count = f"{int((~ok).sum())} of {ok.size} elements are outside the tolerance"
    lines = [
        f"{head} ({_describe(arg)}).",
        f"worst element: {where}",
        f"    numerical  {n: .12g}",
        f"    analytical {a: .12g}",
        f"    |difference| {abs(a - n):.6g} > atol + rtol * |numerical| = {tolerance:.6g}",
        f"{count} (eps={eps:g}, atol={atol:g}, rtol={rtol:g}).",
        *_table(analytical, numerical, excess, atol, rtol),
    ]
    bad_kinks = [(r, c) for r, c in zip(*np.nonzero(kink & ~ok))][:_TABLE_ROWS]
    for r, c in bad_kinks:
        verdict = "strict=True fails at every kink" if strict and between[r, c] else "outside"
        lines.append(_kink_text(r, c, analytical, sides, verdict))
    if ok.size <= 36:
        with np.printoptions(precision=6, suppress=True):
            lines += [
                "numerical Jacobian:",
                str(numerical),
                "analytical Jacobian:",
                str(analytical),
            ]
    return "\n".join(lines)


def _table(analytical, numerical, excess, atol, rtol):
    """Lines of a table of the worst failing elements (Jacobian row, column), worst first."""
    order = np.argsort(-excess, axis=None, kind="stable")
    order = [k for k in order if excess.flat[k] > -np.inf][:_TABLE_ROWS]
    lines = [
        f"worst elements (tolerance: |abs error| <= atol + rtol * |numerical|, atol={atol:g}, "
        f"rtol={rtol:g}):",
        f"    {'index':<12}{'numerical':>16}{'analytical':>16}{'abs error':>14}{'rel error':>14}",
    ]
    for k in order:
        r, c = np.unravel_index(k, excess.shape)
        n, a = numerical[r, c], analytical[r, c]
        err = abs(a - n)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = err / abs(n) if n != 0 else np.inf
        lines.append(f"    {f'({r}, {c})':<12}{n:>16.9g}{a:>16.9g}{err:>14.6g}{rel:>14.6g}")
    return lines


def _index(flat_index, shape):
    if not shape:
        return ""
    return "[" + ", ".join(str(int(n)) for n in np.unravel_index(flat_index, shape)) + "]"


def gradcheck(
    f: Callable,
    inputs: Sequence,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    strict: bool = False,
    fast_mode: bool = False,
    seed: int = 0,
) -> bool:
    """Check the derivatives of f at `inputs` against central finite differences.

    f: a function written with autograd_lite ops, returning a Value, a Tensor, or a tuple
        of them (each output is checked).
    inputs: the arguments of f: a tuple of numbers, lists, arrays, Values or Tensors (a
        single non-tuple input is one argument). Every element of every input is checked:
        the backward Jacobian (shape output.size x input.size) against
        (f(x + eps) - f(x - eps)) / (2 eps), computed in float64 even for float32 inputs.
        Then the vjp at one random cotangent u must equal u^T J: a rule that is right at
        the one-hot cotangents of the rows but not linear in its cotangent fails.
    eps: the finite-difference step; atol, rtol: an element passes when
        |analytical - numerical| <= atol + rtol * |numerical| (as torch.autograd.gradcheck).
    Kinks: where the one-sided differences (f(x + eps) - f(x)) / eps and (f(x) - f(x - eps))
        / eps disagree, and still do at step eps / 10 (a corner, not curvature: relu and abs
        at 0, a tie of maximum, clip at a bound), the central difference is their average and
        no single number is right; the element passes when the engine's value lies between
        the two (a subgradient, within the tolerance), and a KinkNote warning names each such
        element: "element (i, j): kink, one-sided derivatives -1 and 1, engine 0
        (subgradient)", (i, j) being (output element, input element) of the Jacobian.
        strict=True fails at every kink instead.
    fast_mode: instead of every element, compare u^T J v for random u (outputs) and v (each
        input in turn), from the seeded generator `seed`: the vjp at u dotted with v against
        u . (f(x + eps v) - f(x - eps v)) / (2 eps), as PyTorch's fast gradcheck. It costs
        two evaluations of f and one vjp per input instead of two evaluations per element,
        and can miss an error orthogonal to the projection (try other seeds).
    Returns True. On a mismatch raises GradcheckError (an AssertionError) naming the
    output, the input and the worst element's index, with the numerical and analytical
    values side by side, then a table of the worst elements (index, numerical, analytical,
    abs and rel error) and the tolerances, then the first op whose rule is wrong: f is run
    again with grad and each recorded op, in forward order, is checked alone on the inputs
    it saw; the first that fails is named (op, label, place in forward order, where it was
    made under `detect_anomaly`, input index). Or returns False if raise_exception=False.
    Raises TypeError for a non-numeric input or a seed that is not an int, ValueError for
    eps <= 0 or negative tolerances.
    """
    args = _arguments(inputs)
    if fast_mode:
        return _check_fast(f, args, eps, atol, rtol, raise_exception, seed)
    what = lambda k: f"output {k}"  # noqa: E731
    try:
        return _check(f, args, eps, atol, rtol, raise_exception, "gradcheck", what, strict=strict)
    except GradcheckError as e:  # add which op's rule is at fault
        raise GradcheckError(f"{e}\n{_first_wrong_rule(f, args, eps, atol, rtol)}") from None


def _first_wrong_rule(f, args, eps, atol, rtol) -> str:
    """The first op of f's graph (in forward order) whose vjp rule, checked alone on the
    inputs it saw, disagrees with finite differences: "first op whose rule is wrong: ..."."""
    try:
        xs = [
            Value(float(np.asarray(a.data if isinstance(a, Node) else a)))
            if isinstance(a, (Value, numbers.Real))
            else Tensor(a.data if isinstance(a, Node) else a, requires_grad=True)
            for a in args
        ]
        with enable_grad():  # recorded, also when gradcheck runs under no_grad
            out = f(*xs)
        order, seen = [], set()
        for o in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(o, Node) and o.requires_grad:
                for node in reversed(toposort(o)):  # parents before children
                    if node not in seen and node._op is not None:
                        seen.add(node)
                        order.append(node)
        for k, node in enumerate(order, 1):
            i = _wrong_input(node, eps, atol, rtol)
            if i is not None:
                label = f"label {node.label!r}" if node.label else "no label"
                made = place(node)
                made = f", made at {made}" if made else ""
                return (
                    f"first op whose rule is wrong: {node.op!r} ({label}, op {k} of {len(order)} "
                    f"in forward order{made}), input {i}: its rule alone disagrees with finite "
                    "differences at the inputs it saw"
                )
        return "every op's rule agrees with finite differences alone at the inputs it saw"
    except Exception as e:  # the report above stands; say why this part is missing
        return f"(the ops' rules could not be re-checked one by one: {type(e).__name__}: {e})"


def _wrong_input(node, eps, atol, rtol):
    """The index of the first differentiable input of `node` whose rule fails gradcheck
    alone at the recorded inputs (kinks tolerated, no warning), else None."""
    op, parents = node._op, node._parents
    n = len(parents)
    raws, params = list(node._ctx[1 : 1 + n]), node._ctx[1 + n :]
    for i, p in enumerate(parents):
        if p is None or not p.requires_grad:
            continue

        def alone(x, i=i):
            return ops.apply(op, raws[:i] + [x] + raws[i + 1 :], params)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KinkNote)
            ok = _check(alone, (raws[i],), eps, atol, rtol, False, "", lambda k: "")
        if not ok:
            return i
    return None


def _check_fast(f, args, eps, atol, rtol, raise_exception, seed):
    """gradcheck's fast mode: u^T J v against u . (directional central difference)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"gradcheck: seed must be an int, got {type(seed).__name__} {seed!r}")
    _check_tolerances(eps, atol, rtol)
    points, evaluate = _numerical(f, args)
    out = evaluate()
    multi = isinstance(out, (tuple, list))
    base = _outputs64(out)
    rng = np.random.default_rng(seed)
    us = [rng.standard_normal(b.shape) for b in base]
    cts = [
        float(u) if isinstance(o, (Value, numbers.Real)) else u
        for o, u in zip(out if multi else [out], us)
    ]
    with no_grad():
        _, vjp_fn = functional.vjp(f, *args)
        got = vjp_fn(tuple(cts) if multi else cts[0])
    for i, p in enumerate(points):
        v = rng.standard_normal(p.shape)
        g = got[i]
        analytical = float(
            np.sum(np.asarray(g.data if isinstance(g, Node) else g, dtype=np.float64) * v)
        )
        x = p.copy()
        p[...] = x + eps * v
        plus = _outputs64(evaluate())
        p[...] = x - eps * v
        minus = _outputs64(evaluate())
        p[...] = x
        with np.errstate(invalid="ignore", over="ignore"):
            numerical = float(sum(np.sum(u * (a - b)) for u, a, b in zip(us, plus, minus)))
            numerical /= 2 * eps
        if not np.isclose(analytical, numerical, rtol=rtol, atol=atol):
            return _fail(
                f"gradcheck (fast mode, seed {seed}): u^T J v disagrees for input {i} "
                f"({_describe(args[i])}), u and v random normal:\n"
                f"    numerical  {numerical: .12g}\n    analytical {analytical: .12g}\n"
                f"    |difference| {abs(analytical - numerical):.6g} > atol + rtol * "
                f"|numerical| = {atol + rtol * abs(numerical):.6g} (eps={eps:g}, atol={atol:g}, "
                f"rtol={rtol:g}); run without fast_mode for the elements at fault",
                raise_exception,
            )
    return True


def gradgradcheck(
    f: Callable,
    inputs: Sequence,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check the second derivatives of f at `inputs` against finite differences of the gradient.

    The gradient function g(x, u) = u^T J_f(x) (one entry per input) is built with `vjp`, at
    u = 1 for a one-element output and a fixed random normal cotangent (numpy generator
    `seed`) for a larger one. Its Jacobian, by double backward, is checked against central
    differences of g exactly as in `gradcheck`, with respect to every input x and to the
    cotangent u of every output, as `torch.autograd.gradgradcheck` does: for a scalar f the
    x part is the Hessian, and the u part (J_f^T, since g is linear in u) catches a rule
    right in value but not linear in its cotangent, which would corrupt the vjp's
    transpose. A mismatch names "cotangent of output k" or "input i". Same arguments,
    results and errors as `gradcheck`.
    """
    args = _arguments(inputs)
    _, evaluate = _numerical(f, args)
    out = evaluate()
    multi = isinstance(out, (tuple, list))
    rng = np.random.default_rng(seed)
    cts = []
    for o, o64 in zip(out if multi else [out], _outputs64(out)):
        if isinstance(o, (Value, numbers.Real)):
            cts.append(1.0)  # a Value output takes a number as its cotangent
        else:
            cts.append(np.ones(o64.shape) if o64.size == 1 else rng.standard_normal(o64.shape))
    n = len(args)

    def gradient(*xs_and_cts):
        _, vjp_fn = functional.vjp(f, *xs_and_cts[:n])
        u = xs_and_cts[n:]
        return vjp_fn(tuple(u) if multi else u[0])

    return _check(
        gradient,
        args + tuple(cts),
        eps,
        atol,
        rtol,
        raise_exception,
        "gradgradcheck",
        lambda k: f"gradient w.r.t. input {k}",
        lambda i: f"input {i}" if i < n else f"cotangent of output {i - n}",
    )
