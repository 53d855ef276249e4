"""Arithmetic on truncated Taylor series: what the ops' series rules are written with.

A series is an ndarray of shape (K, *shape): entry k holds the k-th Taylor coefficient
x_k = x^(k)(0) / k! of a curve t -> x(t) through the data x_0 (K = order + 1), so the
curve is x_0 + x_1 t + ... + x_{K-1} t^(K-1) + O(t^K). Every function here takes and
returns such arrays (broadcasting over the trailing axes, once the caller has aligned
their ranks with `lifted`) and costs O(K^2) elementwise operations.

The recurrences are those of Griewank and Walther, "Evaluating Derivatives" (2nd ed.,
2008), chapter 13, table 13.2: products are Cauchy convolutions; a quotient, a square
root or a power solves its defining product for the next coefficient; exp, log, sin and
cos, tanh and the other elementary functions follow from the linear ODE they satisfy,
w' = d u' with d known to one order less than w (`integrate`, `riccati`).
Only raw numbers: the rules never run on nodes (Taylor mode does not record a graph).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

# Empty on purpose: these functions take coefficient arrays, never nodes, and numpy's
# namespace (autograd_lite.numpy) offers every name of a core module's __all__ under
# numpy's name (exp, log, power, ...). Import them as `series.exp`.
__all__: list[str] = []


def constant(x, K: int) -> np.ndarray:
    """The series of a constant: x at order 0, zeros after it; float64 (at least)."""
    x = np.asarray(x)
    out = np.zeros((K,) + x.shape, np.result_type(x.dtype, np.float64))
    out[0] = x
    return out


def plus(c: np.ndarray, a) -> np.ndarray:
    """The series c + a for a constant a (data): a new array, a added at order 0."""
    out = c.astype(np.result_type(c, np.float64), copy=True)
    out[0] = out[0] + a
    return out


def lifted(c: np.ndarray, ndim: int) -> np.ndarray:
    """c (K, *shape) with length-1 axes inserted after the series axis so its shape has
    `ndim` axes after it: numpy's right-aligned broadcasting then pairs the data axes
    (a (K, 3) series against a (K, 4, 3) one)."""
    missing = ndim - (c.ndim - 1)
    return c if missing <= 0 else c.reshape(c.shape[:1] + (1,) * missing + c.shape[1:])


def _dot(a, b):
    """sum_j a[j] * b[j] over the series axis (broadcasting the rest)."""
    if a.ndim == 1 and b.ndim == 1:
        return a @ b
    return np.einsum("i...,i...->...", a, b)


def _weighted(u):
    """j u_j for every j: the coefficients of t u'(t)."""
    j = np.arange(len(u), dtype=np.float64).reshape((-1,) + (1,) * (u.ndim - 1))
    return j * u


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Cauchy product: (a b)_k = sum_{j <= k} a_j b_{k-j}."""
    K = len(a)
    if a.ndim == 1 and b.ndim == 1:
        return np.convolve(a, b)[:K]
    shape = np.broadcast_shapes(a.shape[1:], b.shape[1:])
    out = np.zeros((K,) + shape, np.result_type(a, b))
    for j in range(K):
        out[j:] += a[j] * b[: K - j]
    return out


def divide(a: np.ndarray, b: np.ndarray, w0=None) -> np.ndarray:
    """a / b: w_k = (a_k - sum_{j < k} w_j b_{k-j}) / b_0 (w0: the quotient's data)."""
    K = len(a)
    shape = np.broadcast_shapes(a.shape[1:], b.shape[1:])
    w = np.empty((K,) + shape, np.result_type(a, b))
    b0 = b[0]
    w[0] = a[0] / b0 if w0 is None else w0
    for k in range(1, K):
        w[k] = (a[k] - _dot(w[:k], b[k:0:-1])) / b0
    return w


def integrate(w0, u: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The series w with w(0) = w0 and w' = d u', d known: k w_k = sum_{j=1}^k j u_j d_{k-j}
    (one Cauchy product)."""
    q = multiply(_weighted(u), d)
    k = np.arange(len(u), dtype=np.float64).reshape((-1,) + (1,) * (q.ndim - 1))
    w = q / np.where(k == 0, 1.0, k)
    w[0] = w0
    return w


def riccati(w0, u: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """The series w with w(0) = w0 and w' = (a + b w + c w**2) u': tan (1, 0, 1), tanh
    (1, 0, -1), the logistic sigmoid (0, 1, -1). The factor's coefficient k - 1 needs w
    only up to k - 1, so w is found one order at a time."""
    K = len(u)
    ju = _weighted(u)
    shape = np.broadcast_shapes(np.shape(w0), u.shape[1:])
    w = np.zeros((K,) + shape, np.result_type(u, np.float64))
    d = np.zeros_like(w)
    w[0] = w0
    for k in range(1, K):
        m = k - 1
        d[m] = b * w[m] + c * _dot(w[: m + 1], w[m::-1])
        if m == 0:
            d[0] = d[0] + a
        w[k] = _dot(ju[1 : k + 1], d[k - 1 :: -1]) / k
    return w


def exp(u: np.ndarray, w0=None) -> np.ndarray:
    """exp(u): k w_k = sum_{j=1}^k j u_j w_{k-j} (from w' = w u')."""
    K = len(u)
    ju = _weighted(u)
    w = np.empty(u.shape, np.result_type(u, np.float64))
    w[0] = np.exp(u[0]) if w0 is None else w0
    for k in range(1, K):
        w[k] = _dot(ju[1 : k + 1], w[k - 1 :: -1]) / k
    return w


def log(u: np.ndarray, w0=None) -> np.ndarray:
    """log(u): w_k = (u_k - (1/k) sum_{j=1}^{k-1} j w_j u_{k-j}) / u_0 (from u w' = u')."""
    K = len(u)
    w = np.empty(u.shape, np.result_type(u, np.float64))
    jw = np.zeros_like(w)
    w[0] = np.log(u[0]) if w0 is None else w0
    u0 = u[0]
    for k in range(1, K):
        w[k] = (u[k] - _dot(jw[1:k], u[k - 1 : 0 : -1]) / k) / u0
        jw[k] = k * w[k]
    return w


def sqrt(u: np.ndarray, w0=None) -> np.ndarray:
    """sqrt(u): w_k = (u_k - sum_{j=1}^{k-1} w_j w_{k-j}) / (2 w_0) (from w w = u)."""
    K = len(u)
    w = np.empty(u.shape, np.result_type(u, np.float64))
    w[0] = np.sqrt(u[0]) if w0 is None else w0
    twice = 2 * w[0]
    for k in range(1, K):
        w[k] = (u[k] - _dot(w[1:k], w[k - 1 : 0 : -1])) / twice
    return w


def _pair(u, s0, c0, sign):
    """(s, c) with s' = c u' and c' = sign s u': sin and cos (sign -1), sinh and cosh (+1)."""
    K = len(u)
    ju = _weighted(u)
    s = np.empty(u.shape, np.result_type(u, np.float64))
    c = np.empty_like(s)
    s[0], c[0] = s0, c0
    for k in range(1, K):
        s[k] = _dot(ju[1 : k + 1], c[k - 1 :: -1]) / k
        c[k] = sign * _dot(ju[1 : k + 1], s[k - 1 :: -1]) / k
    return s, c


def sin_cos(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sin(u), cos(u)), found together: s' = c u', c' = -s u'."""
    return _pair(u, np.sin(u[0]), np.cos(u[0]), -1.0)


def sinh_cosh(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sinh(u), cosh(u)), found together: s' = c u', c' = s u'."""
    return _pair(u, np.sinh(u[0]), np.cosh(u[0]), 1.0)


def _integer_power(u, n):
    """u**n for an int n >= 0 by repeated squaring: log2(n) Cauchy products, exact at u_0 = 0."""
    result = constant(np.ones(u.shape[1:]), len(u))
    base = u
    while n:
        if n & 1:
            result = multiply(result, base)
        n >>= 1
        if n:
            base = multiply(base, base)
    return result


def power(u: np.ndarray, r: float, w0=None) -> np.ndarray:
    """u**r for a constant exponent r.

    An integer r by repeated squaring (a negative one then a reciprocal), so x**2 and x**3
    are exact also at u_0 = 0; any other r by the recurrence of u w' = r w u',
    w_k = (1/(k u_0)) sum_{j<k} (r (k - j) - j) u_{k-j} w_j, which divides by u_0: at
    u_0 = 0 the curve has no Taylor series and the coefficients are inf or nan.
    """
    K = len(u)
    if float(r).is_integer():
        n = int(r)
        w = _integer_power(u, abs(n))
        if n < 0:
            w = divide(constant(np.ones(u.shape[1:]), K), w)
        if w0 is not None:
            w[0] = w0
        return w
    w = np.empty(u.shape, np.result_type(u, np.float64))
    w[0] = np.power(u[0], r) if w0 is None else w0
    u0 = u[0]
    tail = (1,) * (u.ndim - 1)
    for k in range(1, K):
        j = np.arange(k, dtype=np.float64)
        weights = (r * (k - j) - j).reshape((k,) + tail)
        w[k] = _dot(weights * w[:k], u[k:0:-1]) / (k * u0)
    return w


def compose(u: np.ndarray, derivatives) -> np.ndarray:
    """f(u) from f's derivatives at u_0: sum_m f^(m)(u_0)/m! (u - u_0)**m (Faa di Bruno as
    a polynomial substitution; O(K^3), for the ops whose derivatives are known in closed
    form but satisfy no short ODE, such as sinc). `derivatives[m]` is f^(m)(u_0)."""
    K = len(u)
    du = u.copy()
    du[0] = 0
    w = constant(derivatives[0], K)
    w = np.broadcast_to(w, (K,) + np.broadcast_shapes(w.shape[1:], u.shape[1:])).copy()
    term = du
    for m in range(1, K):
        w = w + (np.asarray(derivatives[m]) / math.factorial(m)) * term
        if m + 1 < K:
            term = multiply(term, du)
    return w


def multilinear(fn, cs, out) -> np.ndarray:
    """The series of fn(x_1, ..., x_n) for fn linear in each argument (an einsum, a
    convolution): w_k = sum over j_1 + ... + j_n = k of fn(c_1[j_1], ..., c_n[j_n]), with
    coefficients that are all zero skipped (a constant operand costs one term per k)."""
    K = len(cs[0])
    w = np.zeros((K,) + np.shape(out), np.result_type(*cs, np.float64))
    live = [[j for j in range(K) if c[j].any()] for c in cs]
    for js in itertools.product(*live):
        k = sum(js)
        if k < K:
            w[k] += fn(*[c[j] for c, j in zip(cs, js)])
    return w


def coefficientwise(fn, c) -> np.ndarray:
    """The series of fn(x) for fn linear (a flip, a cumulative sum): fn of each coefficient."""
    return np.stack([fn(ck) for ck in c])


def inverse(a: np.ndarray, w0) -> np.ndarray:
    """The inverse of a series of square matrices (K, ..., n, n), w0 = A_0^-1:
    W_k = -W_0 sum_{j=1}^k A_j W_{k-j} (from A W = I)."""
    K = len(a)
    w = np.empty(a.shape, np.result_type(a, np.float64))
    w[0] = w0
    for k in range(1, K):
        w[k] = -(w0 @ np.sum(a[1 : k + 1] @ w[k - 1 :: -1], axis=0))
    return w


def logdet(a: np.ndarray, w0, inverse0) -> np.ndarray:
    """log det A (or log |det A|) of a series of square matrices: w' = trace(A^-1 A')
    (Jacobi), so k w_k = sum_{j=1}^k j trace(A_j W_{k-j}) with W the inverse's series."""
    K = len(a)
    inv = inverse(a, inverse0)
    ja = _weighted(a)
    w = np.empty((K,) + a.shape[1:-2], np.result_type(a, np.float64))
    w[0] = w0
    for k in range(1, K):
        w[k] = np.einsum("j...ab,j...ba->...", ja[1 : k + 1], inv[k - 1 :: -1]) / k
    return w


def solve(a: np.ndarray, b: np.ndarray, w0) -> np.ndarray:
    """x with A x = B for series of A (K, ..., m, m) and B (K, ..., m, p), ranks aligned:
    x_k = A_0^-1 (B_k - sum_{j=1}^k A_j x_{k-j})."""
    K = len(a)
    x = np.empty((K,) + np.shape(w0), np.result_type(a, b, np.float64))
    x[0] = w0
    for k in range(1, K):
        x[k] = np.linalg.solve(a[0], b[k] - np.sum(a[1 : k + 1] @ x[k - 1 :: -1], axis=0))
    return x
