"""Linear algebra on `Tensor`s, differentiable: products, norms, distances, eigh, PCA.

Every function accepts a `Tensor` or anything numpy turns into a float array
(numbers, nested lists, ndarrays) and returns `Tensor`s; plain arrays become
constant tensors (requires_grad False). A `Value` raises TypeError.

Most functions are compositions of the engine's existing operations. Three
are new primitives (`Op`s): `eigh`, `inv` and `logdet`. numpy computes their
forward; their vjp rules, beside them, are written with the engine's own
functions, so like every other rule they can be differentiated again
(Hessians through an eigendecomposition work).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core import ops
from ..core.graph import Node, Op
from ..core.tensor import Tensor

__all__ = [
    "PCAResult",
    "cosine_similarity",
    "dot",
    "eigh",
    "euclidean_distance",
    "hadamard",
    "inv",
    "logdet",
    "manhattan_distance",
    "matmul",
    "outer",
    "pca",
    "power_iteration",
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
    """Vector norm over `axis` (None: all elements, flattened), as torch.linalg.vector_norm.

    ord=2: sqrt(sum x_i^2) (Euclidean); ord=1: sum |x_i|; ord=inf: max |x_i|.
    Shape: x's shape without `axis` (kept as 1 if keepdims). Gradients follow
    PyTorch where |x| has a kink: 0 for the 2-norm at x = 0, sign(x_i) (0 at 0)
    for the 1-norm, and an even split among tied maxima for the inf-norm.
    Raises ValueError for another ord.
    """
    if ord not in (1, 2, np.inf, "inf"):
        raise ValueError(f"vector_norm: ord must be 1, 2 or inf, got {ord!r}")
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


def _check_symmetric(a, what="eigh"):
    """ValueError naming the worst pair unless the square matrices in ndarray `a` are symmetric."""
    if not np.all(np.isfinite(a)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{what} needs a finite matrix, but A{list(idx)} = {float(a[idx])!r}")
    gap = np.abs(a - np.swapaxes(a, -1, -2))
    tol = 1e-8 * (1.0 + np.abs(a))
    if not np.all(gap <= tol):  # NaN fails too
        worst = np.argmax(np.where(np.isnan(gap), np.inf, gap - tol))
        idx = tuple(int(i) for i in np.unravel_index(worst, a.shape))
        if idx[-2] > idx[-1]:  # name the upper-triangle entry first
            idx = idx[:-2] + (idx[-1], idx[-2])
        mirror = idx[:-2] + (idx[-1], idx[-2])
        raise ValueError(
            f"{what} needs a symmetric matrix, but A{list(idx)} = {float(a[idx])!r} while "
            f"A{list(mirror)} = {float(a[mirror])!r}"
        )


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


EIGH = Op("eigh", array=_eigh_forward, vjps=(_eigh_vjp,))


def eigh(a):
    """Eigenvalues and eigenvectors of a symmetric matrix: A = V diag(w) V^T.

    a: Tensor or array of shape (n, n), or a stack (..., n, n), symmetric.
    Returns (w, V) as Tensors: w of shape (..., n) in ascending order and V of
    shape (..., n, n) whose columns V[:, i] are orthonormal eigenvectors
    (A V[:, i] = w[i] V[:, i]), as numpy.linalg.eigh and torch.linalg.eigh.
    Each eigenvector's sign is whatever LAPACK returns.

    Both outputs are differentiable (the rule is in `_eigh_vjp`), to any
    order. Gradients of eigenvalues are always defined. Gradients through
    eigenvectors are meaningful only for losses that do not depend on each
    eigenvector's sign, and need distinct eigenvalues: with a repeated
    eigenvalue they are NaN (as in PyTorch), and they grow like 1/gap as two
    eigenvalues approach. The gradient is the symmetric one (a change of
    A[i, j] is a change of A[j, i] too).

    Raises ValueError, naming the offending entries, if `a` is not square or
    not symmetric (|A_ij - A_ji| > 1e-8 (1 + |A_ij|)); only the lower triangle
    is read, so smaller asymmetries are ignored.
    """
    a = _square(a, "eigh")
    _check_symmetric(a.data)
    packed = Tensor._apply(EIGH, (a,))
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


INV = Op("inv", array=_inv_forward, vjps=(_inv_vjp,))


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


LOGDET = Op("logdet", array=_logdet_forward, vjps=(_logdet_vjp,))


def logdet(a) -> Tensor:
    """log det A of a square matrix (or a stack, giving shape (...,)), as torch.logdet.

    Computed from numpy's slogdet, so it does not overflow for large matrices.
    A determinant of 0 gives -inf and a negative one NaN (the log of a negative
    number). Derivative: d log det A = trace(A^-1 dA), so the vjp is g A^-T
    (Jacobi's formula). Raises ValueError naming the shape if A is not square.
    """
    return Tensor._apply(LOGDET, (_square(a, "logdet"),))


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
