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

import fnmatch
import numbers
import os
import sys
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..core import ops
from ..core.anomaly import place
from ..core.graph import ALIAS, Node, enable_grad, no_grad, toposort
from ..core.tensor import Tensor
from ..core.value import Value
from . import forward, functional

__all__ = [
    "GradcheckError",
    "KinkNote",
    "check_grads",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
]


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
        ops.real_array(a.data if isinstance(a, Node) else a, "gradcheck: input").astype(
            np.float64, order="C"
        )
        for a in args
    ]

    def evaluate():
        xs = [Value(float(p)) if s else Tensor(p) for p, s in zip(points, scalar)]
        with no_grad():
            return f(*xs)

    return points, evaluate


def _check(
    f, args, eps, atol, rtol, raise_exception, name, what, which=None, strict=False, panels=None
):
    """The comparison shared by gradcheck and gradgradcheck; `what(k)` names output k and
    `which(i)` input i (default "input i"); `strict` fails at kinks (see `gradcheck`).
    `panels`, a list or None: each compared (output, input) pair appends what `plot` draws."""
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
                panels,
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
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    """The `stacklevel` of warnings.warn called from here that names the first frame
    outside this module (the user's call of gradcheck, gradcheck_module, ...)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


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
    analytical,
    numerical,
    sides,
    out_shape,
    arg,
    input_name,
    output_name,
    tols,
    notes,
    header,
    panels=None,
):
    """None if every element is within tolerance (or, unless strict, at a kink with the
    engine's value between the one-sided derivatives `sides`: a note joins `notes`), else
    a report of the worst elements. tols: (eps, atol, rtol, strict). `panels` (a list or
    None) gets (header, |analytical - numerical|, ok, input shape) for `plot`."""
    eps, atol, rtol, strict = tols
    ok = np.isclose(analytical, numerical, rtol=rtol, atol=atol)  # NaN never passes
    kink, between = _kinks(analytical, sides, atol, rtol)
    if strict:
        ok &= ~kink
    else:
        ok |= kink & between
        for r, c in zip(*np.nonzero(kink & ok)):
            notes.append(f"{header}: " + _kink_text(r, c, analytical, sides, "subgradient"))
    if panels is not None:
        in_shape = np.shape(arg.data if isinstance(arg, Node) else arg)
        panels.append((header, np.abs(analytical - numerical), ok, in_shape))
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
    plot=False,
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
        input in turn; every element's sign random and size uniform in [0.5, 1.5], so no
        element's error is weighted near zero), from the seeded generator `seed`: the vjp
        at u dotted with v against u . (f(x + eps v) - f(x - eps v)) / (2 eps), as
        PyTorch's fast gradcheck, with two random v per input (an error hides from a
        projection only by chance, from two only by two chances). It costs one vjp in all
        and four evaluations of f per input, instead of two evaluations per element. It can
        miss an error both projections cancel, mostly one near the tolerance
        (benchmarks/gradcheck_fast.py measures it; docs/gradcheck.md has the numbers):
        try other seeds, or the full check.
    plot: False (the default); True draws a heat map of |analytical - numerical| for each
        compared (output, input) pair with matplotlib's pyplot (a new figure, so a notebook
        shows it under the cell; a script calls `plt.show()` or `plt.savefig`); or a path:
        the figure is saved there as an image (by its suffix: .png, .svg, .pdf) and closed.
        For a matrix (2-D) input each cell is an element of the input (the largest error
        over the output's elements); otherwise rows are output elements and columns input
        elements, as in the report. Failing elements are marked with x. On a failure the
        GradcheckError's `figure` attribute holds the figure. Not with fast_mode (no
        elements are compared there); matplotlib is imported only when plot is set.
    Returns True. On a mismatch raises GradcheckError (an AssertionError) naming the
    output, the input and the worst element's index, with the numerical and analytical
    values side by side, then a table of the worst elements (index, numerical, analytical,
    abs and rel error) and the tolerances, then the first op whose rule is wrong: f is run
    again with grad and each recorded op, in forward order, is checked alone on the inputs
    it saw; the first that fails is named (op, label, place in forward order, where it was
    made under `detect_anomaly`, input index). Or returns False if raise_exception=False.
    Raises TypeError for a non-numeric input or a seed that is not an int, ValueError for
    eps <= 0, negative tolerances or plot with fast_mode.
    """
    args = _arguments(inputs)
    tols = (eps, atol, rtol)
    return _gradcheck(f, args, tols, raise_exception, strict, fast_mode, seed, plot)


def _gradcheck(f, args, tols, raise_exception, strict, fast_mode, seed, plot, which=None):
    """gradcheck of f at the argument tuple `args`; `which(i)` names argument i in reports."""
    eps, atol, rtol = tols
    if fast_mode:
        if plot is not False:
            raise ValueError("gradcheck: plot needs the full check (fast_mode=False)")
        return _check_fast(f, args, tols, raise_exception, seed, which)
    what = lambda k: f"output {k}"  # noqa: E731
    panels = None if plot is False else []
    try:
        _check(f, args, eps, atol, rtol, True, "gradcheck", what, which, strict, panels)
    except GradcheckError as e:
        figure = _plot(panels, plot, tols)
        if not raise_exception:
            return False
        # Add which op's rule is at fault.
        error = GradcheckError(f"{e}\n{_first_wrong_rule(f, args, eps, atol, rtol)}")
        error.figure = figure
        raise error from None
    _plot(panels, plot, tols)
    return True


def _plot(panels, plot, tols):
    """Draw `panels` (see `_compare`) as heat maps if plot is True or a path; the figure."""
    if plot is False or not panels:
        return None
    import matplotlib.pyplot as plt  # lazily: only a plotting check needs it
    from matplotlib.ticker import MaxNLocator

    eps, atol, rtol = tols
    width = max(5.5, 4.5 * len(panels))
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 4.2), squeeze=False)
    for ax, (header, err, ok, in_shape) in zip(axes[0], panels):
        if len(in_shape) == 2:  # one cell per element of the matrix input
            err, ok = err.max(axis=0).reshape(in_shape), ok.all(axis=0).reshape(in_shape)
            ax.set_xlabel("input column")
            ax.set_ylabel("input row")
        else:
            ax.set_xlabel("input element")
            ax.set_ylabel("output element")
        image = ax.imshow(err, cmap="viridis", interpolation="nearest", aspect="auto")
        for axis in (ax.xaxis, ax.yaxis):  # element indices: whole numbers only
            axis.set_major_locator(MaxNLocator(integer=True))
        fig.colorbar(image, ax=ax, label="|analytical - numerical|")
        rows, cols = np.nonzero(~ok)
        ax.scatter(cols, rows, marker="x", color="red", s=40)
        ax.set_title(header, fontsize="medium")
    fig.suptitle(
        f"gradcheck error (eps={eps:g}, atol={atol:g}, rtol={rtol:g})\n"
        "red x: outside atol + rtol * |numerical|",
        fontsize="medium",
    )
    fig.tight_layout()
    if plot is not True:  # a path: save it, keep no pyplot figure open
        from .._files import atomic_write

        suffix = os.path.splitext(os.fspath(plot))[1].lstrip(".") or "png"
        atomic_write(plot, lambda fh: fig.savefig(fh, format=suffix))
        plt.close(fig)
    return fig


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
            label = f"label {node.label!r}" if node.label else "no label"
            made = place(node)
            made = f", made at {made}" if made else ""
            where = f"{node.op!r} ({label}, op {k} of {len(order)} in forward order{made})"
            if _undefined(node):
                return (
                    f"first op undefined where it was evaluated: {where} gives NaN from finite "
                    "inputs, so it has no derivative there (its rule is not to blame)"
                )
            i = _wrong_input(node, eps, atol, rtol)
            if i is not None:
                return (
                    f"first op whose rule is wrong: {where}, input {i}: its rule alone "
                    "disagrees with finite differences at the inputs it saw"
                )
        return "every op's rule agrees with finite differences alone at the inputs it saw"
    except Exception as e:  # the report above stands; say why this part is missing
        return f"(the ops' rules could not be re-checked one by one: {type(e).__name__}: {e})"


def _undefined(node):
    """Whether `node`'s op gave NaN from inputs that are all finite (sqrt or log of a
    negative number): it has no derivative there, whatever its rule says."""
    n = len(node._parents)
    out, raws = node._ctx[0], node._ctx[1 : 1 + n]
    try:
        return bool(np.isnan(out).any()) and all(np.isfinite(r).all() for r in raws)
    except TypeError:  # an operand that is not numbers
        return False


def _wrong_input(node, eps, atol, rtol):
    """The index of the first differentiable input of `node` whose rule fails gradcheck
    alone at the recorded inputs (kinks tolerated, no warning), else None."""
    op, parents = node._op, node._parents
    if op.array is None and op.scalar is None:  # no forward to difference (an alias)
        return None
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


def _reverse_products(f, args, u, directions):
    """[u^T J v for v in directions] by reverse mode: one vjp of f at the cotangent u,
    dotted with each v (a tuple of one tangent per argument)."""
    with no_grad():
        _, vjp_fn = functional.vjp(f, *args)
        got = [_raw64(g) for g in vjp_fn(u)]
    return [sum(float(np.sum(g * t)) for g, t in zip(got, v)) for v in directions]


def _forward_products(f, args, u, directions):
    """[u^T J v for v in directions] by forward mode: one jvp of f per direction v (J v),
    dotted with the cotangent u."""
    us = u if isinstance(u, tuple) else (u,)
    products = []
    with no_grad():
        for v in directions:
            _, jv = forward.jvp(f, args, v)
            jvs = jv if isinstance(jv, tuple) else (jv,)
            products.append(sum(float(np.sum(_raw64(t) * w)) for t, w in zip(jvs, us)))
    return products


#: How each mode of `check_grads` computes u^T J v: reverse (u^T J by a vjp, dotted with
#: each v) or forward (J v by a jvp per v, dotted with u). Each takes (f, args, u,
#: directions): u the cotangent, shaped as f's output (a tuple for a tuple), directions a
#: list of tuples of one tangent per argument; it returns one float per direction.
_PRODUCTS = {"rev": _reverse_products, "fwd": _forward_products}

#: Random directions v fast mode tries per argument: an error hides from one projection
#: only by chance (u^T E v near 0), from two only by a second such chance.
_PROJECTIONS = 2


def _direction(rng, shape):
    """A random direction for fast mode: each element's size uniform in [0.5, 1.5], its sign
    random. Sizes bounded away from 0 (unlike normal draws) let no element of an error
    vanish from u^T E v by a tiny weight: a wrong element always counts at least half."""
    return rng.uniform(0.5, 1.5, shape) * rng.choice((-1.0, 1.0), shape)


def _raw64(x):
    return np.asarray(x.data if isinstance(x, Node) else x, dtype=np.float64)


def _check_fast(f, args, tols, raise_exception, seed, which=None, mode="rev"):
    """gradcheck's fast mode: u^T J v (by `mode`, see `_PRODUCTS`) against
    u . (directional central difference), `_PROJECTIONS` random v per argument in turn."""
    which = which or (lambda i: f"input {i}")
    eps, atol, rtol = tols
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"gradcheck: seed must be an int, got {type(seed).__name__} {seed!r}")
    _check_tolerances(eps, atol, rtol)
    points, evaluate = _numerical(f, args)
    out = evaluate()
    multi = isinstance(out, (tuple, list))
    base = _outputs64(out)
    rng = np.random.default_rng(seed)
    us = [_direction(rng, b.shape) for b in base]
    cts = [
        float(u) if isinstance(o, (Value, numbers.Real)) else u
        for o, u in zip(out if multi else [out], us)
    ]
    tries = [
        (i, _direction(rng, p.shape)) for i, p in enumerate(points) for _ in range(_PROJECTIONS)
    ]
    directions = [
        tuple(v if k == i else np.zeros(q.shape) for k, q in enumerate(points)) for i, v in tries
    ]
    products = _PRODUCTS[mode](f, args, tuple(cts) if multi else cts[0], directions)
    for (i, v), analytical in zip(tries, products):
        p = points[i]
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
                f"gradcheck (fast mode, seed {seed}): u^T J v disagrees for {which(i)} "
                f"({_describe(args[i])}), u and v random (signs random, sizes in [0.5, 1.5]):\n"
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


def gradcheck_module(
    model,
    loss_fn: Callable,
    inputs,
    targets,
    params: str | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    strict: bool = False,
    fast_mode: bool = False,
    seed: int = 0,
    plot=False,
) -> bool:
    """Check the gradient of `loss_fn(model(inputs), targets)` w.r.t. the model's parameters.

    model: an `nn.Module` (anything with `named_parameters()`, Tensor or Value parameters);
    inputs: what the model is called with (an array is made a constant Tensor; a list, as
    the rows of a Value MLP take, is passed as is); targets: passed to loss_fn unchanged;
    loss_fn(output, targets) returns the loss (a one-element node).
    params: None checks every parameter; a str is a glob pattern (`fnmatch`, case
    sensitive) on the dotted names of `named_parameters()`: "0.*" the first layer of a
    Sequential, "*.weight" every weight, "2.bias" one parameter.
    The check is `gradcheck`'s (same eps, atol, rtol, strict, fast_mode, seed, plot and
    report) on the loss as a function of the chosen parameters, which are its arguments:
    the report names "parameter '0.weight'" instead of "input 0", and a failure names the
    first op whose rule is wrong. The other parameters stay constants. Parameters are
    differenced in float64 whatever their dtype.
    The model's parameters (values, `.grad`, requires_grad) are exactly as before when this
    returns or raises: during the check each chosen parameter stands for the argument
    passed in its place (an alias node), and is restored afterwards.
    Returns True, or False if raise_exception=False and the check fails. Raises
    GradcheckError on a mismatch, ValueError if no parameter's name matches `params`
    (listing the names), TypeError if params is not None or a str, or if the model has no
    `named_parameters`.
    """
    if not callable(getattr(model, "named_parameters", None)):
        raise TypeError(
            f"gradcheck_module: model must be an nn.Module (with named_parameters()), "
            f"got {type(model).__name__}"
        )
    if params is not None and not isinstance(params, str):
        raise TypeError(
            f"gradcheck_module: params must be None (all) or a glob pattern str, got {params!r}"
        )
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    chosen = [(n, p) for n, p in named if params is None or fnmatch.fnmatchcase(n, params)]
    if not chosen:
        raise ValueError(
            f"gradcheck_module: no parameter that requires grad matches {params!r}; the "
            f"parameters are {[n for n, _ in named]}"
        )
    names = [n for n, _ in chosen]
    leaves = [p for _, p in chosen]
    x = Tensor(inputs) if isinstance(inputs, np.ndarray) else inputs
    saved = [_slots(p) for p in leaves]
    args = tuple(np.array(p.data) if isinstance(p, Tensor) else float(p.data) for p in leaves)

    def loss(*ws):
        for p, w in zip(leaves, ws):
            _stand_in(p, w)
        return loss_fn(model(x), targets)

    try:
        tols = (eps, atol, rtol)
        which = lambda i: f"parameter {names[i]!r}"  # noqa: E731
        return _gradcheck(loss, args, tols, raise_exception, strict, fast_mode, seed, plot, which)
    finally:
        for p, slots in zip(leaves, saved):
            for name, value in slots.items():
                if value is _UNSET:
                    if hasattr(p, name):
                        delattr(p, name)
                else:
                    setattr(p, name, value)


#: The fields of a node that `_stand_in` changes, restored by gradcheck_module.
_NODE_FIELDS = ("_data", "_grad", "_op", "_parents", "_ctx", "_saved", "requires_grad")


_UNSET = object()


def _slots(node) -> dict:
    return {k: getattr(node, k, _UNSET) for k in _NODE_FIELDS}


def _stand_in(p, w):
    """Make the parameter p compute w: an alias of w when w is recorded (so derivatives flow
    from the model's ops through p to w), else a leaf holding w's value."""
    data = w._data if isinstance(w, Node) else w
    if isinstance(p, Tensor):
        data = np.asarray(data)
    else:
        data = float(data)
    p._data = data
    p._saved = True  # never edited in place while recorded ops may hold it
    if isinstance(w, Node) and w.requires_grad:
        p._op, p._parents, p._ctx = ALIAS, (w,), (data, data)
    else:
        p._op, p._parents, p._ctx = None, (), ()


def check_grads(
    f: Callable,
    args: Sequence,
    order: int = 2,
    modes: Sequence[str] = ("rev",),
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> None:
    """Check f's derivatives of every order up to `order` by random projections (as
    `jax.test_util.check_grads` and HIPS autograd's `check_grads`).

    Order 1: for random u (one per output) and v (each argument in turn, from the
    numpy generator `seed`), u^T J v computed by each mode against
    u . (f(x + eps v) - f(x - eps v)) / (2 eps) (`gradcheck(fast_mode=True)`). Order k + 1:
    the same check of the derivative function of order k: for mode "rev" the vjp
    g(x, u) = u^T J_f(x) with the cotangent u an argument too (so a rule not linear in its
    cotangent is caught, as in `gradgradcheck`), for mode "fwd" the jvp h(x, t) = J_f(x) t
    with the tangent t an argument too; u and t drawn once per order.
    f, args: as `gradcheck`'s f and inputs (a tuple is the argument list).
    order: a positive int. modes: a sequence of "rev" (reverse mode: u^T J by a vjp, dotted
    with v) and "fwd" (forward mode: J v by a jvp, dotted with u), each checked to
    every order on its own. eps, atol, rtol: as `gradcheck`; each check passes when
    |analytical - numerical| <= atol + rtol * |numerical|.
    Returns None. Raises GradcheckError naming the order, the mode, the seed and the
    argument; ValueError for an unknown mode, an order < 1 or bad tolerances.
    """
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}")
    if isinstance(modes, str) or not modes:
        raise ValueError(
            f"check_grads: modes must be a non-empty tuple, e.g. ('rev',); got {modes!r}"
        )
    for mode in modes:
        if mode not in _PRODUCTS:
            raise ValueError(f"check_grads: unknown mode {mode!r}; modes are {sorted(_PRODUCTS)}")
    args = _arguments(args)
    for mode in modes:
        g, g_args, rng = f, args, np.random.default_rng(seed)
        for k in range(1, order + 1):
            try:
                _check_fast(g, g_args, (eps, atol, rtol), True, seed, mode=mode)
            except GradcheckError as e:
                raise GradcheckError(
                    f"check_grads: order {k} of {order}, mode {mode!r}: {e}"
                ) from None
            if k < order:
                g, g_args = _NEXT_ORDER[mode](g, g_args, rng)


def _random_like(xs, rng):
    """One standard normal draw shaped like each of xs (a float for a number or a Value)."""
    return tuple(
        float(rng.standard_normal())
        if isinstance(x, (Value, numbers.Real))
        else rng.standard_normal(np.shape(x.data if isinstance(x, Node) else x))
        for x in xs
    )


def _vjp_function(f, args, rng):
    """(g, args + u): g(*x, *u) = u^T J_f(x), the vjp as a function of the point and of the
    cotangent u (one random normal argument per output of f), for the next order."""
    out = _numerical(f, args)[1]()
    multi = isinstance(out, (tuple, list))
    us = _random_like(out if multi else (out,), rng)
    n = len(args)

    def vjp_of_f(*xs_and_us):
        _, vjp_fn = functional.vjp(f, *xs_and_us[:n])
        u = xs_and_us[n:]
        return vjp_fn(tuple(u) if multi else u[0])

    return vjp_of_f, args + us


def _jvp_function(f, args, rng):
    """(h, args + t): h(*x, *t) = J_f(x) t, the jvp as a function of the point and of the
    tangent t (one random normal argument per argument of f), for the next order: its
    check differentiates the jvp rules themselves (as `jax.test_util.check_grads`)."""
    n = len(args)

    def jvp_of_f(*xs_and_ts):
        return forward.jvp(f, xs_and_ts[:n], xs_and_ts[n:])[1]

    return jvp_of_f, args + _random_like(args, rng)


#: The derivative function whose check is the next order, by mode.
_NEXT_ORDER = {"rev": _vjp_function, "fwd": _jvp_function}
