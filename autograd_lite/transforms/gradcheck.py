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
gradient function (a vjp of f with a fixed cotangent) the same way.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

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
    points = [np.array(a.data if isinstance(a, Node) else a, dtype=np.float64) for a in args]

    def evaluate():
        xs = [Value(float(p)) if s else Tensor(p) for p, s in zip(points, scalar)]
        with no_grad():
            return f(*xs)

    return points, evaluate


def _check(f, args, eps, atol, rtol, raise_exception, name, what):
    """The comparison shared by gradcheck and gradgradcheck; `what(k)` names output k."""
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
                analytical, numerical[k], o.shape, args[i], i, what(k), eps, atol, rtol
            )
            if report is not None:
                if raise_exception:
                    raise GradcheckError(f"{name}: {report}")
                return False
    return True


def _compare(analytical, numerical, out_shape, arg, i, output_name, eps, atol, rtol):
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
    where = f"d {output_name}{_index(r, out_shape)} / d input {i}{_index(c, in_shape)}"
    head = f"Jacobian mismatch for {output_name} (shape {out_shape}) with respect to input {i}"
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

    The gradient function g(x) = u^T J_f(x) (one entry per input) is built with `vjp`, with
    u = 1 for a one-element output and a fixed random normal cotangent (numpy generator
    `seed`) for a larger one, as `torch.autograd.gradgradcheck` does. Its Jacobian, by double
    backward, is checked against central differences of g exactly as in `gradcheck`; for a
    scalar f that Jacobian is the Hessian. Same arguments, results and errors as `gradcheck`.
    """
    args = _arguments(inputs)
    _, evaluate = _numerical(f, args)
    out = evaluate()
    rng = np.random.default_rng(seed)
    cts = [
        np.ones(o.shape) if o.size == 1 else rng.standard_normal(o.shape) for o in _outputs64(out)
    ]
    cts = tuple(cts) if isinstance(out, (tuple, list)) else cts[0]

    def gradient(*xs):
        _, vjp_fn = functional.vjp(f, *xs)
        return vjp_fn(cts)

    return _check(
        gradient,
        args,
        eps,
        atol,
        rtol,
        raise_exception,
        "gradgradcheck",
        lambda k: f"gradient w.r.t. input {k}",
    )
