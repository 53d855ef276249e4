"""Linear algebra on `Tensor`s, differentiable: products, norms, distances, eigh, PCA.

Every function accepts a `Tensor` or anything numpy turns into a float array
(numbers, nested lists, ndarrays) and returns `Tensor`s; plain arrays become
constant tensors (requires_grad False). A `Value` raises TypeError.

Most functions are compositions of the engine's existing operations. A few
are new primitives: `eigh`, `inv`, `logdet`, `slogdet`, `det`, `solve` and
`cholesky`. numpy computes their forward; their vjp rules, beside them, are
written with the engine's own functions, so like every other rule they can
be differentiated again (Hessians through an eigendecomposition work).
`norm` is numpy.linalg.norm, also `autograd_lite.norm`: its vector norms are
the core's, its matrix norms are here (singular values from `eigh`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core import ops, shapes
from ..core.graph import Node, Op
from ..core.primitive import primitive
from ..core.tensor import Tensor

__all__ = [
    "PCAResult",
    "SlogdetResult",
    "cholesky",
    "cosine_similarity",
    "det",
    "dot",
    "eigh",
    "euclidean_distance",
    "hadamard",
    "inv",
    "logdet",
    "manhattan_distance",
    "matmul",
    "norm",
    "outer",
    "pca",
    "power_iteration",
    "slogdet",
    "solve",
    "vector_norm",
]


def _as_tensor(x, what="input") -> Tensor:
    """`x` itself if it is a Tensor, else a constant Tensor of it; TypeError for a Value."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(
            f"linalg works on Tensors and arrays; {what} is a {type(x).__name__}: "
            "build a Tensor (for example Tensor([v.data for v in values]))"
        )
    return Tensor(x)


def _vectors(a, b, name):
    """Two 1-d tensors of the same length, or ValueError naming both shapes."""
    a, b = _as_tensor(a, "a"), _as_tensor(b, "b")
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"{name} takes two 1-d vectors, got shapes {a.shape} and {b.shape}")
    return a, b


def _square(a, what):
    """`a` as a Tensor holding square matrices (..., n, n), or ValueError naming its shape."""
    a = _as_tensor(a, "a")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{what} needs square matrices (..., n, n), got shape {a.shape}")
    return a


def _broadcast(x, y, name):
    """x and y as Tensors whose shapes broadcast, or ValueError naming both shapes."""
    x, y = _as_tensor(x, "x"), _as_tensor(y, "y")
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {x.shape} and {y.shape} do not broadcast") from None
    return x, y


# ---------------------------------------------------------------------------------------
# Products


def dot(a, b) -> Tensor:
    """Dot product a . b = sum_i a_i b_i of two 1-d vectors of equal length (n,) -> 0-d Tensor.

    It is |a| |b| cos(angle): how far the vectors point the same way. Unlike
    numpy.dot (and `autograd_lite.dot`) it takes only vectors, as torch.dot.
    Raises ValueError naming the shapes when they are not two vectors of one length.
    """
    a, b = _vectors(a, b, "dot")
    if a.shape != b.shape:
        raise ValueError(f"dot needs vectors of equal length, got shapes {a.shape} and {b.shape}")
    return ops.matmul(a, b)


def matmul(a, b) -> Tensor:
    """Matrix product C_ij = sum_k A_ik B_kj, with numpy.matmul semantics.

    Shapes (..., m, n) @ (..., n, p) -> (..., m, p); 1-d operands are row or
    column vectors. Raises ValueError naming both shapes when they do not align.
    """
    return ops.matmul(_as_tensor(a, "a"), _as_tensor(b, "b"))


def outer(a, b) -> Tensor:
    """Outer product of vectors (m,) and (n,): the (m, n) matrix M_ij = a_i b_j (as torch.outer)."""
    a, b = _vectors(a, b, "outer")
    return ops.outer(a, b)


def hadamard(a, b) -> Tensor:
    """Hadamard (elementwise) product of two arrays of the same shape.

    Strict about shapes, unlike `*`: the Hadamard product is defined for equal
    shapes only, so a mismatch raises ValueError naming both shapes instead of
    broadcasting.
    """
    a, b = _as_tensor(a, "a"), _as_tensor(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"hadamard needs equal shapes, got {a.shape} and {b.shape}")
    return a * b


# ---------------------------------------------------------------------------------------
# Norms and distances


def vector_norm(x, ord=2, axis=None, keepdims=False) -> Tensor:
    """Vector norm over `axis` (None: all elements, flattened; a tuple: those axes jointly),
    as torch.linalg.vector_norm.

    ord=2: sqrt(sum x_i^2) (Euclidean); 1: sum |x_i|; inf: max |x_i|; -inf: min |x_i|;
    0: the number of nonzero x_i; any other real p: (sum |x_i|^p)^(1/p).
    Shape: x's shape without `axis` (kept as 1 if keepdims). Gradients follow
    PyTorch where |x| has a kink: 0 for the norm at x = 0, sign(x_i) (0 at 0)
    for the 1-norm, and an even split among tied maxima for the inf-norm
    (see `autograd_lite.core.ops.norm`). Raises ValueError for another ord.
    """
    return ops.norm(_as_tensor(x, "x"), ord=ord, axis=axis, keepdims=keepdims)


def euclidean_distance(x, y, axis=-1) -> Tensor:
    """||x - y||_2 along `axis` (default the last: rows are points); shapes broadcast.

    (n, d) and (d,) give the n distances from one point; gradient 0 where x == y.
    Raises ValueError naming the shapes when they do not broadcast.
    """
    x, y = _broadcast(x, y, "euclidean_distance")
    return ops.norm(x - y, ord=2, axis=axis)


def manhattan_distance(x, y, axis=-1) -> Tensor:
    """||x - y||_1 = sum |x_i - y_i| along `axis` (default the last); shapes broadcast."""
    x, y = _broadcast(x, y, "manhattan_distance")
    return ops.norm(x - y, ord=1, axis=axis)


def cosine_similarity(x, y, axis=-1, eps=1e-8) -> Tensor:
    """x . y / (max(||x||, eps) max(||y||, eps)) along `axis` (default the last).

    The cosine of the angle between x and y, in [-1, 1]. Each norm is clamped
    from below by `eps`, as torch.nn.functional.cosine_similarity does today,
    so a zero vector has similarity 0 with everything, with finite gradients,
    and never NaN. Shapes broadcast; raises ValueError naming them otherwise.
    """
    x, y = _broadcast(x, y, "cosine_similarity")
    nx = ops.maximum(ops.norm(x, axis=axis), eps)
    ny = ops.maximum(ops.norm(y, axis=axis), eps)
    return (x * y).sum(axis=axis) / (nx * ny)


# ---------------------------------------------------------------------------------------
# The symmetric eigenproblem


def _check_finite(a, what):
    """ValueError naming the first non-finite entry of the ndarray `a`, if any."""
    if not np.all(np.isfinite(a)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{what} needs a finite matrix, but A{list(idx)} = {float(a[idx])!r}")


def _check_symmetric(a, what):
    """ValueError naming the worst pair unless the square matrices in ndarray `a` are symmetric
    (and finite). `eigh` reads one triangle as numpy does; `MultivariateNormal` checks."""
    _check_finite(a, what)
    gap = np.abs(a - np.swapaxes(a, -1, -2))
    tol = 1e-8 * (1.0 + np.abs(a))
    if not np.all(gap <= tol):
        worst = np.argmax(gap - tol)
        idx = tuple(int(i) for i in np.unravel_index(worst, a.shape))
        if idx[-2] > idx[-1]:  # name the upper-triangle entry first
            idx = idx[:-2] + (idx[-1], idx[-2])
        mirror = idx[:-2] + (idx[-1], idx[-2])
        raise ValueError(
            f"{what} needs a symmetric matrix, but A{list(idx)} = {float(a[idx])!r} while "
            f"A{list(mirror)} = {float(a[mirror])!r}"
        )


def _from_triangle(a, UPLO, what):
    """The symmetric matrix that LAPACK reads from one triangle of `a` (UPLO "L": the lower,
    "U": the upper), as numpy's eigh and cholesky do: the other triangle is never read.

    Built with the engine's operations, so the gradient of `a` lands on that triangle: the
    diagonal gets the symmetric gradient's diagonal and an entry below it (for "L") the
    sum of the two symmetric entries, an entry above it 0 (the derivative of the function
    computed; PyTorch gives the symmetric gradient instead, the same on symmetric inputs).
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"{what}: UPLO must be 'L' or 'U', got {UPLO!r}")
    n = a.shape[-1]
    strict = np.tril(np.ones((n, n), dtype=a.dtype), -1)
    kept = a * (strict if UPLO == "L" else strict.T)
    s = kept + ops._mT(kept) + a * np.eye(n, dtype=a.dtype)
    _check_finite(s.data, what)
    return s


def _eigh_forward(a):
    w, v = np.linalg.eigh(a)
    # One output array: the eigenvalues as row 0, the eigenvectors below, shape (..., n + 1, n).
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_vjp(g, out, a):
    """Cotangent of A from those of w and V (both packed in g like the forward's output).

    With A = V diag(w) V^T, and F_ij = 1/(w_j - w_i) off the diagonal, 0 on it:
        dA = V (diag(dw) + F o (V^T dV)) V^T, then symmetrised (dA + dA^T) / 2
    (Giles 2008, "Collected matrix derivative results", sec. 3.1; PyTorch and
    JAX use the same formula). For two equal eigenvalues F_ij is infinite: an
    entry (V^T dV)_ij that is exactly 0 there (the loss ignores how those
    eigenvectors turn, e.g. it uses only the eigenvalues) contributes 0, not
    inf * 0 = NaN; a nonzero one gives inf or NaN, as in PyTorch, because the
    eigenvectors of a repeated eigenvalue are not differentiable functions of A.
    Written with the engine's own functions, so it can be differentiated again.
    """
    shape = np.shape(ops._raw(a))
    n, batch = shape[-1], shape[:-2]
    gw, gv = g[..., 0, :], g[..., 1:, :]
    w, v = out[..., 0, :], out[..., 1:, :]
    eye = np.eye(n, dtype=ops._raw(out).dtype)
    gap = ops.reshape(w, batch + (1, n)) - ops.reshape(w, batch + (n, 1))  # w_j - w_i
    m = ops.matmul(ops._mT(v), gv)
    skip = (eye == 1) | ((ops._raw(gap) == 0) & (ops._raw(m) == 0))
    inner = eye * ops.reshape(gw, batch + (1, n)) + ops.where(
        skip, 0.0, m / ops.where(skip, 1.0, gap)
    )
    da = ops.matmul(v, ops.matmul(inner, ops._mT(v)))
    return (da + ops._mT(da)) * 0.5


def _eigh_jvp(t, out, a):
    """Tangents of w and V (packed like the forward's output) from the tangent t of A.

    With M = V^T t V: dw = diag(M), dV = V (F o M), F_ij = 1/(w_j - w_i) off the diagonal and
    0 on it (Giles 2008, sec. 3.1, the forward form of `_eigh_vjp`); an entry of M that is
    exactly 0 between equal eigenvalues gives 0, as there. t may have leading batch axes.
    """
    shape = np.shape(ops._raw(a))
    n, batch = shape[-1], shape[:-2]
    w, v = out[..., 0, :], out[..., 1:, :]
    eye = np.eye(n, dtype=ops._raw(out).dtype)
    gap = ops.reshape(w, batch + (1, n)) - ops.reshape(w, batch + (n, 1))  # w_j - w_i
    m = ops.matmul(ops._mT(v), ops.matmul(t, v))
    skip = (eye == 1) | ((ops._raw(gap) == 0) & (ops._raw(m) == 0))
    dw = ops.sum(m * eye, -2, keepdims=True)
    dv = ops.matmul(v, ops.where(skip, 0.0, m / ops.where(skip, 1.0, gap)))
    return ops.concatenate([dw, dv], -2)


EIGH = Op("eigh", array=_eigh_forward, vjps=(_eigh_vjp,), jvps=(_eigh_jvp,))


def eigh(a, UPLO: str = "L"):
    """Eigenvalues and eigenvectors of a symmetric matrix: A = V diag(w) V^T.

    a: Tensor or array of shape (n, n), or a stack (..., n, n). As numpy.linalg.eigh,
    only the lower triangle (UPLO="L", the default) or the upper one (UPLO="U") is read:
    the matrix used is that triangle mirrored, whatever the other triangle holds.
    Returns (w, V) as Tensors: w of shape (..., n) in ascending order and V of
    shape (..., n, n) whose columns V[:, i] are orthonormal eigenvectors
    (A V[:, i] = w[i] V[:, i]), as numpy.linalg.eigh and torch.linalg.eigh.
    Each eigenvector's sign is whatever LAPACK returns.

    Both outputs are differentiable (the rule is in `_eigh_vjp`), to any
    order. Gradients of eigenvalues are always defined. Gradients through
    eigenvectors are meaningful only for losses that do not depend on each
    eigenvector's sign, and need distinct eigenvalues: with a repeated
    eigenvalue they are NaN (as in PyTorch), and they grow like 1/gap as two
    eigenvalues approach. The gradient lands on the triangle read (see
    `_from_triangle`): below the diagonal (for "L") each entry gets twice
    PyTorch's symmetric gradient, above it 0. For a matrix built symmetric
    (A = B + B^T) both give the same gradient of B.

    Raises ValueError naming the shape if `a` is not square, naming the entry if
    the triangle read holds inf or NaN, and for UPLO other than "L" and "U".
    """
    a = _square(a, "eigh")
    packed = Tensor._apply(EIGH, (_from_triangle(a, UPLO, "eigh"),))
    return packed[..., 0, :], packed[..., 1:, :]


# ---------------------------------------------------------------------------------------
# Inverse and log-determinant


def _inv_forward(a):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"inv: a matrix of shape {a.shape} is singular (determinant 0)") from None


def _inv_vjp(g, out, a):
    out_t = ops._mT(out)
    return -ops.matmul(out_t, ops.matmul(g, out_t))


INV = Op(
    "inv",
    array=_inv_forward,
    vjps=(_inv_vjp,),
    jvps=(lambda t, out, a: -ops.matmul(out, ops.matmul(t, out)),),  # d(A^-1) = -A^-1 dA A^-1
)


def inv(a) -> Tensor:
    """The inverse A^-1 of a square matrix (or a stack (..., n, n)), differentiable.

    Derivative: d(A^-1) = -A^-1 dA A^-1, so the vjp is -A^-T G A^-T (Giles 2008).
    Raises ValueError naming the shape if A is not square, and if it is singular.
    """
    return Tensor._apply(INV, (_square(a, "inv"),))


def _logdet_forward(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.where(sign > 0, logabs, np.where(sign == 0, -np.inf, np.nan))


def _logdet_vjp(g, out, a):
    # ops.apply runs on raw arrays in the fast path and records on nodes otherwise.
    return ops.reshape(g, np.shape(ops._raw(g)) + (1, 1)) * ops._mT(ops.apply(INV, (a,)))


def _logdet_jvp(t, out, a):
    # trace(A^-1 t) (Jacobi's formula), as the sum of A^-T o t over the matrix axes
    return ops.sum(ops._mT(ops.apply(INV, (a,))) * t, (-2, -1))


LOGDET = Op("logdet", array=_logdet_forward, vjps=(_logdet_vjp,), jvps=(_logdet_jvp,))


def logdet(a) -> Tensor:
    """log det A of a square matrix (or a stack, giving shape (...,)), as torch.logdet.

    Computed from numpy's slogdet, so it does not overflow for large matrices.
    A determinant of 0 gives -inf and a negative one NaN (the log of a negative
    number). Derivative: d log det A = trace(A^-1 dA), so the vjp is g A^-T
    (Jacobi's formula). Raises ValueError naming the shape if A is not square.
    """
    return Tensor._apply(LOGDET, (_square(a, "logdet"),))


class SlogdetResult(NamedTuple):
    """What `slogdet` returns, as numpy's: det A = sign * exp(logabsdet)."""

    sign: Tensor  # (...,): -1, 0 or 1, a constant
    logabsdet: Tensor  # (...,): log |det A|, -inf for a singular matrix


LOGABSDET = Op(
    "slogdet",
    array=lambda a: np.linalg.slogdet(a)[1],
    vjps=(_logdet_vjp,),  # d log|det A| = trace(A^-1 dA), whatever the sign
    jvps=(_logdet_jvp,),
)


def slogdet(a) -> SlogdetResult:
    """Sign and log of the absolute determinant of a square matrix (or a stack, shape
    (...,) each), as numpy.linalg.slogdet: without overflow for large matrices.

    The sign is a constant (its derivative is 0 wherever it is defined); logabsdet's vjp
    is g A^-T (Jacobi's formula). A singular matrix gives sign 0 and logabsdet -inf, and
    its backward pass raises ValueError (the gradient does not exist; PyTorch raises
    too). Raises ValueError naming the shape if A is not square.
    """
    a = _square(a, "slogdet")
    return SlogdetResult(Tensor(np.linalg.slogdet(a.data)[0]), Tensor._apply(LOGABSDET, (a,)))


@primitive
def _det(a):
    return np.linalg.det(a)


def _corner(x):
    """x of shape (...) as (..., 1, 1), to scale a stack of matrices."""
    return ops.reshape(x, ops._shape(x) + (1, 1))


def _cofactors(a, det):
    """The cofactor matrices C_ij = (-1)**(i + j) det(A without row i and column j) of a
    stack of square matrices: the derivative of det A, defined at every A.

    Where every matrix is well conditioned this is Jacobi's det(A) A^-T. Otherwise (a
    singular or nearly singular matrix, where A^-T is infinite or inaccurate) the minors
    themselves are computed, n**2 determinants of order n - 1, exact also at singular
    matrices (rank n - 1 gives a nonzero gradient, lower rank 0), to any order.
    """
    raw = ops._raw(a)
    n = raw.shape[-1]
    with np.errstate(all="ignore"):
        well = raw.size and np.all(np.linalg.cond(raw) < 1e8)
    if well:
        return _corner(det) * ops._mT(ops.apply(INV, (a,)))
    if n == 1:
        return np.ones_like(raw)
    others = np.array([[r for r in range(n) if r != i] for i in range(n)])  # (n, n - 1)
    rows, cols = others[:, None, :, None], others[None, :, None, :]
    minors = _det(a[..., rows, cols])  # (..., n, n): det of A without row i, column j
    return minors * (-1.0) ** np.add.outer(np.arange(n), np.arange(n))


@_det.defvjp
def _det_vjp(g, out, a):
    return _corner(g) * _cofactors(a, out)


_det.defjvp(lambda t, out, a: ops.sum(_cofactors(a, out) * t, (-2, -1)))  # trace(adj(A) t)


def det(a) -> Tensor:
    """The determinant of a square matrix (or a stack (..., n, n), giving shape (...,)),
    as numpy.linalg.det (LU factorisation).

    Derivative: the cofactor matrix, d det A = trace(adj(A) dA) (Jacobi's formula): det A
    A^-T for a well-conditioned A, and the minors themselves otherwise, so a singular A
    has the right finite gradient (nonzero for rank n - 1, zero below; PyTorch's first
    derivative too) and second derivatives there are exact (PyTorch's are NaN or
    inaccurate at a singular A). Raises ValueError naming the shape if A is not square.
    """
    return _det(_square(a, "det"))


@primitive
def _solve(a, b):
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            f"solve: the matrix a (shape {a.shape}) is singular; no unique solution"
        ) from None


_solve.defvjp(
    # x = A^-1 B: dB = A^-T G, dA = -dB X^T (Giles 2008); batch axes summed by the sweep
    lambda g, out, a, b: -ops.matmul(_solve(ops._mT(a), g), ops._mT(out)),
    lambda g, out, a, b: _solve(ops._mT(a), g),
)


_solve.defjvp(
    # x = A^-1 B: dx = A^-1 (dB - dA x)
    lambda t, out, a, b: -_solve(a, ops.matmul(t, out)),
    lambda t, out, a, b: _solve(a, t),
)


def solve(a, b) -> Tensor:
    """x with a x = b, as numpy.linalg.solve (numpy 2's rule): a of shape (..., m, m); b
    a vector (m,) only when it is 1-d, else a stack of matrices (..., m, k); batch axes
    broadcast. x has the shape of the broadcast b.

    Derivatives (Giles 2008): b̄ = solve(a^T, ḡ), ā = -b̄ x^T, themselves written with
    `solve`, so differentiable again. Raises ValueError naming both shapes when they do not
    fit, numpy's LinAlgError when a is singular.
    """
    a, b = _square(a, "solve"), _as_tensor(b, "b")
    m, b_shape = a.shape[-1], b.shape
    vector = b.ndim == 1
    if vector:
        b = ops.reshape(b, (b.shape[0], 1))
    try:
        if b.ndim < 2 or b.shape[-2] != m:
            raise ValueError
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"solve: a of shape {a.shape} and b of shape {b_shape} "
            f"do not fit: b must be ({m},) or (..., {m}, k), with broadcasting batch axes"
        ) from None
    x = _solve(a, b)
    return x[..., 0] if vector else x


@primitive
def _cholesky(s):
    try:
        return np.linalg.cholesky(s)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            f"cholesky: the matrix (shape {s.shape}) is not positive definite, so it has "
            "no Cholesky factor"
        ) from None


@_cholesky.defvjp
def _cholesky_vjp(g, out, s):
    # A = L L^T: dA = L^-T Phi(L^T dL) L^-1, Phi the lower triangle with half its diagonal,
    # then made symmetric (Murray 2016, "Differentiation of the Cholesky decomposition").
    n = ops._shape(out)[-1]
    lower = np.tril(np.ones((n, n)))
    linv = ops.apply(INV, (out,))
    phi = ops.matmul(ops._mT(out), g * lower) * (lower - 0.5 * np.eye(n))
    da = ops.matmul(ops._mT(linv), ops.matmul(phi, linv))
    return (da + ops._mT(da)) * 0.5


@_cholesky.defjvp
def _cholesky_jvp(t, out, s):
    # A = L L^T: dL = L Phi(L^-1 dA L^-T), Phi the lower triangle with half its diagonal
    # (Murray 2016, the forward form of `_cholesky_vjp`).
    n = ops._shape(out)[-1]
    lower = np.tril(np.ones((n, n)))
    linv = ops.apply(INV, (out,))
    phi = ops.matmul(linv, ops.matmul(t, ops._mT(linv))) * (lower - 0.5 * np.eye(n))
    return ops.matmul(out, phi)


def cholesky(a, upper: bool = False) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite matrix (or a stack (..., n, n)),
    as numpy.linalg.cholesky: lower-triangular L with A = L L^T, or with upper=True the
    upper-triangular L^T. Only the triangle on that side of A is read (as LAPACK does), so
    the gradient lands on it, as for `eigh` (see `_from_triangle`).

    Derivative: Murray 2016 (see `_cholesky_vjp`), written with the engine's operations, so
    differentiable again. Raises numpy's LinAlgError (a ValueError) when A is not positive
    definite, ValueError naming the shape if it is not square or holds inf or NaN.
    """
    a = _square(a, "cholesky")
    low = _cholesky(_from_triangle(a, "U" if upper else "L", "cholesky"))
    return ops._mT(low) if upper else low


# ---------------------------------------------------------------------------------------
# numpy's norm: vector norms (core's) and matrix norms


def _singular_values(a):
    """The singular values of a stack (..., m, n) of matrices, ascending, shape (..., k),
    k = min(m, n), as the k largest eigenvalues of [[0, A], [A^T, 0]] (whose eigenvalues
    are ±s_i and m + n - 2k zeros). `eigh` makes them differentiable to any order;
    accurate to machine precision relative to the largest (as an SVD)."""
    *batch, m, n = a.shape
    batch = tuple(batch)
    top = ops.concatenate([np.zeros(batch + (m, m)), a], axis=-1)
    bottom = ops.concatenate([ops._mT(a), np.zeros(batch + (n, n))], axis=-1)
    w = Tensor._apply(EIGH, (ops.concatenate([top, bottom], axis=-2),))[..., 0, :]
    return w[..., m + n - min(m, n) :]


def _matrix_norm(x, ord, axes, keepdims):
    """numpy's matrix norms of x over the two `axes` (rows, columns)."""
    r, c = axes
    if ord in (None, "fro", "f"):
        return ops.norm(x, 2, axes, keepdims)
    shape = ops._shape(x)
    reduced = tuple(1 if i in axes else k for i, k in enumerate(shape))
    if not keepdims:
        reduced = tuple(k for i, k in enumerate(shape) if i not in axes)
    if ord in (1, -1, np.inf, -np.inf):  # the largest (smallest) column or row sum
        pick = ops.max if ord > 0 else ops.min
        inner, outer = (r, c) if abs(ord) == 1 else (c, r)
        return ops.reshape(pick(ops.sum(abs(x), inner, True), outer, True), reduced)
    if ord in (2, -2, "nuc"):
        t = x if isinstance(x, Node) else Tensor(x)
        rest = [i for i in range(len(shape)) if i not in axes]
        s = _singular_values(t.transpose(rest + [r, c]))
        out = ops.sum(s, -1) if ord == "nuc" else ops.max(s, -1) if ord == 2 else ops.min(s, -1)
        out = ops.reshape(out, reduced)
        return out if isinstance(x, Node) else out.data
    raise ValueError(
        f"norm: invalid norm order {ord!r} for matrices (None, 'fro', 'nuc', ±1, ±2, ±inf)"
    )


def norm(x, ord=None, axis=None, keepdims=False):
    """A vector or matrix norm, as numpy.linalg.norm (and `autograd_lite.norm`).

    axis None: with ord None the 2-norm of all elements; otherwise x must be 1-d (a
    vector norm) or 2-d (a matrix norm). An int axis: vector norms along it, ord any real
    p, inf, -inf or 0 (see `autograd_lite.core.ops.norm`). A pair of axes: matrix norms
    of the (rows, columns) planes: 'fro' (the default), 'nuc' (the sum of singular
    values), 2 and -2 (the largest and smallest singular value), 1 and -1 (the largest and
    smallest column sum of |x|), inf and -inf (row sums). Shape: x's without `axis` (kept
    as 1 with keepdims). Nodes in, nodes out; raw data in, raw data out.

    Gradients as PyTorch's: ties among maxima or singular values share the cotangent
    evenly; at a zero vector 0. Singular values come from `eigh` of [[0, A], [A^T, 0]],
    so a repeated singular value gives NaN second derivatives (as PyTorch), and where a
    singular value is 0 the nuclear norm's gradient is one subgradient (PyTorch picks
    another). Raises ValueError for an invalid ord or too many axes, numpy's AxisError for
    an axis out of range.
    """
    if isinstance(x, (list, tuple)):
        x = ops._stacked(x)  # a list holding nodes is stacked with its history
    if not isinstance(x, Node):
        x = np.asarray(ops._tame(x), dtype=float)
    ndim = np.ndim(ops._raw(x))
    if axis is None:
        if ord is None:
            return ops.norm(x, 2, None, keepdims)
        if ndim not in (1, 2):
            raise ValueError(
                f"norm: ord={ord!r} without axis needs a 1-d or 2-d array, got shape "
                f"{ops._shape(x)}"
            )
        axis = tuple(range(ndim))
    axes = shapes._axes(axis, ndim, "norm")
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    if len(axes) != 1:
        raise ValueError(f"norm: axis {axis!r} must name one axis (a vector) or two (matrices)")
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    return ops.norm(x, 2 if ord is None else ord, axes[0], keepdims)


def power_iteration(a, num_iters=100, rng=None):
    """The eigenvalue of largest magnitude of a square matrix and its eigenvector.

    Repeats v <- A v / ||A v|| from a random start v0 ~ N(0, I), then returns
    the Rayleigh quotient lambda = v^T A v and v (a Tensor of shape (n,), unit
    length). Converges when |lambda_1| > |lambda_2|, with error shrinking like
    |lambda_2 / lambda_1|^num_iters. The iterations are recorded like any other
    operations, so when `a` requires grad the result is differentiable (by
    unrolling the loop).

    a: (n, n) Tensor or array; rng: a numpy Generator, a seed, or None (seed 0,
    reproducible). Raises ValueError naming the shape if `a` is not square, and
    for num_iters < 1.
    """
    a = _as_tensor(a, "a")
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"power_iteration needs a square matrix, got shape {a.shape}")
    if int(num_iters) < 1:
        raise ValueError(f"power_iteration needs num_iters >= 1, got {num_iters!r}")
    rng = np.random.default_rng(0 if rng is None else rng)
    v = Tensor(rng.standard_normal(a.shape[0]))
    v = v / ops.norm(v)
    for _ in range(int(num_iters)):
        av = ops.matmul(a, v)
        v = av / ops.maximum(ops.norm(av), np.finfo(float).tiny)  # A v = 0: stay at 0
    return ops.matmul(v, ops.matmul(a, v)), v


# ---------------------------------------------------------------------------------------
# Principal component analysis


class PCAResult(NamedTuple):
    """What `pca` returns; every field is a Tensor."""

    components: Tensor  # (k, d): the principal directions, one unit vector per row
    explained_variance: Tensor  # (k,): the variance of the data along each, descending
    explained_variance_ratio: Tensor  # (k,): that variance over the total variance
    projected: Tensor  # (n, k): the centred data in the components' coordinates
    mean: Tensor  # (d,): the mean that was subtracted


def pca(x, k) -> PCAResult:
    """Principal component analysis of the rows of `x` through `eigh` of the covariance.

    x: (n, d) data, one sample per row (n >= 2); k: number of components, 1 <= k <= d.
    The covariance is C = Xc^T Xc / (n - 1) with Xc = x - mean (as sklearn's
    PCA); its eigenvectors of the k largest eigenvalues are the components
    (C v = lambda v) and the eigenvalues are the explained variances. The sign
    of each component is fixed so that its entry of largest magnitude is
    positive. Differentiable in x. Raises ValueError naming the shape or k.
    """
    x = _as_tensor(x, "x")
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"pca needs data of shape (n, d) with n >= 2 samples, got {x.shape}")
    d = x.shape[1]
    if not 1 <= int(k) <= d or int(k) != k:
        raise ValueError(
            f"pca: k must be an integer in [1, {d}] (the number of features), got {k!r}"
        )
    k = int(k)
    mean = x.mean(axis=0)
    xc = x - mean
    cov = ops.matmul(xc.T, xc) / (x.shape[0] - 1)
    cov = (cov + cov.T) * 0.5  # exactly symmetric, whatever the rounding of the product
    w, v = eigh(cov)
    top = np.arange(d - 1, d - 1 - k, -1)  # eigh sorts ascending
    comps = v[:, top].T  # (k, d)
    biggest = np.argmax(np.abs(comps.data), axis=1)
    signs = np.sign(comps.data[np.arange(k), biggest])[:, None]
    comps = comps * signs
    variance = w[top]
    total = ops.sum(w)
    return PCAResult(comps, variance, variance / total, ops.matmul(xc, comps.T), mean)


#: numpy.linalg's functions this module implements: `np.linalg.det(t)` on a Tensor runs
#: `det` (the package registers them with `Tensor.__array_function__` when imported).
NUMPY_FUNCTIONS = {
    np.linalg.cholesky: cholesky,
    np.linalg.det: det,
    np.linalg.eigh: eigh,
    np.linalg.inv: inv,
    np.linalg.norm: norm,
    np.linalg.slogdet: slogdet,
    np.linalg.solve: solve,
}
