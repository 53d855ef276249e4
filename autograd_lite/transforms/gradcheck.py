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
direction v matters: g is linear in v, and `jvp` relies on it (it differentiates
the vjp in v), so a rule right in value but not linear in its cotangent is caught.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from ..core import ops
from ..core.graph import Node, no_grad
from ..core.tensor import Tensor
from ..core.value import Value
from . import functional

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences (an AssertionError, so pytest shows it)."""


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


def _check(f, args, eps, atol, rtol, raise_exception, name, what, which=None):
    """The comparison shared by gradcheck and gradgradcheck; `what(k)` names output k and
    `which(i)` input i (default "input i")."""
    which = which or (lambda i: f"input {i}")
    _check_tolerances(eps, atol, rtol)
    points, evaluate = _numerical(f, args)
    out = evaluate()
    base = _outputs64(out)
    with no_grad():  # plain results, no recorded backward
        jac = functional.jacobian(f, argnums=tuple(range(len(args))))(*args)
    if not isinstance(out, (tuple, list)):  # one output: make it [output][input]
        jac = (jac,)
    for i, p in enumerate(points):
        flat = p.reshape(-1)  # a view: perturbing it perturbs the input f sees
        numerical = [np.empty((o.size, p.size)) for o in base]
        for j in range(p.size):
            x = flat[j]
            flat[j] = x + eps
            plus = _outputs64(evaluate())
            flat[j] = x - eps
            minus = _outputs64(evaluate())
            flat[j] = x
            with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is nan, quietly
                for k in range(len(base)):
                    numerical[k][:, j] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
        for k, o in enumerate(base):
            a = jac[k][i]
            analytical = np.asarray(a.data if isinstance(a, Node) else a, dtype=np.float64)
            analytical = analytical.reshape(o.size, p.size)
            report = _compare(
                analytical, numerical[k], o.shape, args[i], which(i), what(k), eps, atol, rtol
            )
            if report is not None:
                if raise_exception:
                    raise GradcheckError(f"{name}: {report}")
                return False
    report = _nonlinear_vjp(f, args, out, jac, which, atol, rtol)
    if report is not None:
        if raise_exception:
            raise GradcheckError(f"{name}: {report}")
        return False
    return True


def _nonlinear_vjp(f, args, out, jac, which, atol, rtol):
    """None if the vjp at one random cotangent u equals u^T J; else what differs.

    The rows above come from one-hot cotangents, which cannot tell a rule `g * y` from
    `g * g * y` (the same at g = 1); such a rule is wrong for every other cotangent, and
    forward mode (jvp), which differentiates the vjp in g, would silently go wrong too.
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


def _compare(analytical, numerical, out_shape, arg, input_name, output_name, eps, atol, rtol):
    """None if every element is within tolerance, else a report of the worst one."""
    ok = np.isclose(analytical, numerical, rtol=rtol, atol=atol)  # NaN never passes
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
    ]
    if ok.size <= 36:
        with np.printoptions(precision=6, suppress=True):
            lines += [
                "numerical Jacobian:",
                str(numerical),
                "analytical Jacobian:",
                str(analytical),
            ]
    return "\n".join(lines)


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
    Returns True. On a mismatch raises GradcheckError (an AssertionError) naming the
    output, the input and the worst element's index, with the numerical and analytical
    values side by side; or returns False if raise_exception=False.
    Raises TypeError for a non-numeric input, ValueError for eps <= 0 or negative tolerances.
    """
    args = _arguments(inputs)
    return _check(f, args, eps, atol, rtol, raise_exception, "gradcheck", lambda k: f"output {k}")


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
    right in value but not linear in its cotangent, which would corrupt `jvp`. A mismatch
    names "cotangent of output k" or "input i". Same arguments, results and errors as
    `gradcheck`.
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
