"""numpy's products beyond `matmul` and `outer` (in `ops`): `einsum`, and built on it
`tensordot`, `dot` (any number of axes), `inner` and `vdot`; `kron` from a broadcast product.

One primitive carries them all: `einsum`, declared with `primitive`, the public way to add
an op (docs/custom_ops.md; see `reductions` for the pattern). Its vjp for each operand is
again an einsum, of the output's cotangent with the other operands, read off the
subscripts; so every derivative of every product here is an einsum, to any order.
"""

from __future__ import annotations

import functools
import numbers
import string
from collections.abc import Sequence

import numpy as np

from . import ops, shapes
from .ops import Operand
from .primitive import primitive

__all__ = ["dot", "einsum", "inner", "kron", "tensordot", "vdot"]

_LETTERS = string.ascii_letters  # the labels numpy's einsum accepts


def _operand(x):
    """An operand of a product (`ops.array_operand`): a Value becomes a 0-d Tensor."""
    return ops.array_operand(x, "operand")


# ---------------------------------------------------------------------------------------
# einsum: the subscripts parsed to explicit form, the primitive, its vjp


def _parse(subscripts, shapes):
    """numpy's subscripts as explicit terms: (input terms, output term, {label: size}).

    '...' becomes fresh letters (numpy's right-aligned broadcasting of the ellipsis axes),
    an implicit output becomes numpy's (the ellipsis axes, then the labels used once, in
    ASCII order). Raises ValueError naming the term, the operand and its shape when they
    do not fit, as numpy would refuse them.
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum takes the subscripts as a str, got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: {subscripts!r} has {len(terms)} operand term(s) but {len(shapes)} "
            "operand(s) were given"
        )
    for term in [*terms, rhs]:
        bad = set(term.replace("...", "")) - set(_LETTERS)
        if bad or term.count("...") > 1:
            raise ValueError(
                f"einsum: invalid subscript term {term!r} in {subscripts!r} (letters a-z, A-Z "
                "and at most one '...')"
            )
    used = set(spec) & set(_LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    extra = []  # how many axes '...' stands for, per operand
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if named > len(shape) or ("..." not in term and named != len(shape)):
            raise ValueError(
                f"einsum: term {term!r} of {subscripts!r} does not fit operand {k} of shape "
                f"{tuple(shape)} ({len(shape)} axes)"
            )
        extra.append(len(shape) - named)
    ellipsis = "".join(spare[: max(extra, default=0)])
    if len(ellipsis) < max(extra, default=0):
        raise ValueError(f"einsum: {subscripts!r} needs more than 52 labels")
    terms = [t.replace("...", ellipsis[len(ellipsis) - e :]) for t, e in zip(terms, extra)]
    if arrow:
        if "..." not in rhs and ellipsis and any(extra):
            raise ValueError(
                f"einsum: {subscripts!r} has operands with axes under '...' but no '...' in "
                "the output to keep them"
            )
        out = rhs.replace("...", ellipsis)
    else:
        counts = {c: "".join(terms).count(c) for c in set("".join(terms)) - set(ellipsis)}
        out = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    sizes: dict = {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        for c, n in zip(term, shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(
                    f"einsum: label {c!r} of {subscripts!r} has size {sizes[c]} in one operand "
                    f"and {n} in operand {k} of shape {tuple(shape)}; they must match (or be 1)"
                )
            sizes[c] = max(sizes.get(c, 1), n)
    for c in out:
        if c not in sizes or out.count(c) > 1:
            why = "never appears in an input" if c not in sizes else "appears more than once"
            raise ValueError(f"einsum: output label {c!r} of {subscripts!r} {why}")
    return terms, out, sizes


def _forward(*xs, spec):
    big = len(xs) > 1 and sum(np.size(x) for x in xs) > 4096
    return np.einsum(spec, *xs, optimize=big)  # a large product goes through BLAS


@functools.cache
def _einsum_of(n):
    """The einsum primitive of n operands (a primitive has one vjp rule per input)."""
    op = primitive(_forward)
    op.name = "einsum"
    op.defvjp(*[functools.partial(_einsum_vjp, i) for i in range(n)])
    op.defjvp(*[functools.partial(_einsum_jvp, i) for i in range(n)])
    return op


def _einsum_vjp(i, g, out, *xs, spec):
    """Operand i's cotangent: the einsum of g with the other operands onto i's labels.

    With x_i's term s_i and the output's o: x̄_i = einsum(o, s_k (k != i) -> s_i)(g, x_k).
    numpy's einsum cannot write a label twice nor one it never read, so it writes the
    distinct labels it has; a label of x_i found nowhere else (summed away by x_i alone)
    is broadcast back by ones, and a repeated label ('ii', a diagonal) is spread back onto
    the diagonal by an identity matrix: both as one more einsum, with constant operands.
    """
    lhs, out_term = spec.split("->")
    terms = lhs.split(",")
    own = terms[i]
    others = terms[:i] + terms[i + 1 :]
    seen = set(out_term).union(*others)
    distinct = "".join(dict.fromkeys(own))
    kept = "".join(c for c in distinct if c in seen)
    xs_other = xs[:i] + xs[i + 1 :]
    r = _einsum_of(len(terms))(g, *xs_other, spec=",".join([out_term, *others]) + "->" + kept)
    if kept == own:
        return r
    size = dict(zip(own, ops._shape(xs[i])))
    dtype = np.result_type(ops._raw(g))
    spare = iter(c for c in _LETTERS if c not in own)
    full, extra_terms, extra = "", [], []
    for c in distinct:
        if c not in seen:
            extra_terms.append(c)
            extra.append(np.ones(size[c], dtype))
    for c in own:
        if c in full:  # a repeated label: a new one, tied to the first by the identity
            d = next(spare)
            extra_terms.append(c + d)
            extra.append(np.eye(size[c], dtype=dtype))
            c = d
        full += c
    return _einsum_of(1 + len(extra))(r, *extra, spec=",".join([kept, *extra_terms]) + "->" + full)


def _einsum_jvp(i, t, out, *xs, spec):
    """Operand i's contribution to the tangent: the same einsum with t in x_i's place (it is
    linear in each operand). A batched t (leading axes merged into one) gets a label of its
    own, kept first in the output."""
    lhs, out_term = spec.split("->")
    terms = lhs.split(",")
    shape = ops._shape(xs[i])
    if len(ops._shape(t)) > len(shape):
        t = ops.reshape(t, (-1, *shape))
        batch = next(c for c in _LETTERS if c not in spec)
        terms[i], out_term = batch + terms[i], batch + out_term
    operands = (*xs[:i], t, *xs[i + 1 :])
    return _einsum_of(len(terms))(*operands, spec=",".join(terms) + "->" + out_term)


def einsum(subscripts: str, *operands: Operand) -> Operand:
    """Einstein summation, as `numpy.einsum(subscripts, *operands)`.

    Explicit ('ij,jk->ik') and implicit ('ij,jk', 'ii') output, repeated labels within a
    term (traces and diagonals: 'ii->', 'ii->i'), '...' for leading (broadcast) axes, and
    size-1 axes broadcasting against their label's size, all as numpy. Operands: Tensors,
    arrays, numbers (a Value is a 0-d Tensor). The result has the output labels' sizes,
    the operands' common float dtype. The interleaved form (operand, sublist, ...) and
    numpy's keywords (out, dtype, optimize) are not supported.

    The vjp for each operand is an einsum of the output's cotangent with the other operands
    (see `_einsum_vjp`), so derivatives of every order are einsums too.
    Raises TypeError for non-str subscripts, ValueError naming the term and shape for
    subscripts that do not fit the operands (as numpy refuses them).
    """
    xs = [_operand(x) for x in operands]
    if not xs:
        raise ValueError("einsum needs at least one operand")
    shapes = [ops._shape(x) for x in xs]
    terms, out, sizes = _parse(subscripts, shapes)
    xs = [  # a size-1 axis meeting a larger one: broadcast first, so the vjp sums it back
        ops.broadcast_to(x, tuple(sizes[c] for c in t)) for x, t in zip(xs, terms)
    ]
    return _einsum_of(len(xs))(*xs, spec=",".join(terms) + "->" + out)


# ---------------------------------------------------------------------------------------
# Products written as einsums


def _letters(n, start=0):
    return _LETTERS[start : start + n]


def tensordot(a: Operand, b: Operand, axes: int | Sequence = 2) -> Operand:
    """Sum of products over the given axes of a and b, as `numpy.tensordot`.

    axes: an int N (the last N axes of a with the first N of b) or a pair (axes of a, axes
    of b), each an int or a sequence of equal length. Result shape: a's remaining axes, then
    b's. Written as one `einsum`, so its derivatives are einsums.
    Raises ValueError naming both shapes when the summed axes differ in size or count.
    """
    a, b = _operand(a), _operand(b)
    sa, sb = ops._shape(a), ops._shape(b)
    if isinstance(axes, numbers.Integral):
        if not 0 <= axes <= min(len(sa), len(sb)):
            raise ValueError(f"tensordot: axes={axes} does not fit shapes {sa} and {sb}")
        ax_a, ax_b = list(range(len(sa) - axes, len(sa))), list(range(axes))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: axes must be an int or a pair of axis sequences, got {axes!r}"
            ) from None
        ax_a = list(shapes._axes(first, len(sa), "tensordot"))
        ax_b = list(shapes._axes(second, len(sb), "tensordot"))
    if len(ax_a) != len(ax_b) or any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError(
            f"tensordot: shape-mismatch for sum: shapes {sa} and {sb} over axes {ax_a} and {ax_b}"
        )
    la, lb = list(_letters(len(sa))), list(_letters(len(sb), len(sa)))
    for i, j in zip(ax_a, ax_b):
        lb[j] = la[i]
    out = [c for k, c in enumerate(la) if k not in ax_a] + [
        c for k, c in enumerate(lb) if k not in ax_b
    ]
    return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out)}", a, b)


def _is_scalar(x):
    return np.ndim(ops._raw(x)) == 0


def dot(a: Operand, b: Operand) -> Operand:
    """Dot product, as `numpy.dot`: for 1-d vectors their inner product (0-d), for 2-d
    operands the matrix product, for N-d operands the sum over a's last axis and b's
    second-to-last (b's only axis when b is 1-d): shape a.shape[:-1] + b.shape[:-2] +
    b.shape[-1:]. A scalar operand multiplies. Raises ValueError naming both shapes when
    the summed axes differ in size. Derivatives: those of `matmul` (up to two axes) or
    `tensordot` (beyond).
    """
    if _is_scalar(a) or _is_scalar(b):
        return ops.apply(ops.MUL, (a, b))
    sa, sb = ops._shape(a), ops._shape(b)
    j = 0 if len(sb) == 1 else len(sb) - 2
    if sa[-1] != sb[j]:
        raise ValueError(
            f"dot: shapes {sa} and {sb} not aligned: {sa[-1]} (axis {len(sa) - 1}) != "
            f"{sb[j]} (axis {j})"
        )
    if len(sa) <= 2 and len(sb) <= 2:
        return ops.matmul(a, b)  # the same, through BLAS in one node
    return tensordot(a, b, ([len(sa) - 1], [j]))


def inner(a: Operand, b: Operand) -> Operand:
    """Inner product over the last axes, as `numpy.inner`: shape a.shape[:-1] + b.shape[:-1]
    (0-d for two vectors); a scalar operand multiplies. Raises ValueError naming both shapes
    when the last axes differ.
    """
    if _is_scalar(a) or _is_scalar(b):
        return ops.apply(ops.MUL, (a, b))
    sa, sb = ops._shape(a), ops._shape(b)
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: shapes {sa} and {sb} have last axes of different sizes")
    return tensordot(a, b, ([-1], [-1]))


def vdot(a: Operand, b: Operand) -> Operand:
    """sum(a * b) over the flattened operands, as `numpy.vdot` on real arrays (0-d).
    Raises ValueError naming both shapes when their sizes differ.
    """
    a, b = _operand(a), _operand(b)
    sa, sb = ops._shape(a), ops._shape(b)
    if int(np.prod(sa)) != int(np.prod(sb)):
        raise ValueError(f"vdot: shapes {sa} and {sb} hold different numbers of elements")
    return einsum("i,i->", ops.reshape(a, (-1,)), ops.reshape(b, (-1,)))


def kron(a: Operand, b: Operand) -> Operand:
    """Kronecker product, as `numpy.kron`: blocks a[i, j, ...] * b; the operand of fewer
    axes gets leading size-1 axes, and the result's shape is the two shapes multiplied
    axis by axis. Built from a broadcast product and reshapes (no rule of its own).
    """
    a, b = _operand(a), _operand(b)
    sa, sb = ops._shape(a), ops._shape(b)
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    spread_a = ops.reshape(a, tuple(x for s in sa for x in (s, 1)))
    spread_b = ops.reshape(b, tuple(x for s in sb for x in (1, s)))
    return ops.reshape(spread_a * spread_b, tuple(p * q for p, q in zip(sa, sb)))


#: numpy's functions this module implements, for `Tensor.__array_function__`.
NUMPY_FUNCTIONS = {
    np.dot: dot,
    np.einsum: einsum,
    np.inner: inner,
    np.kron: kron,
    np.tensordot: tensordot,
    np.vdot: vdot,
}
