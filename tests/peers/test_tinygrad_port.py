"""tinygrad's test_ops, ported: for each op, random inputs of the listed shapes, the op in
autograd_lite and in PyTorch (float64), forward and backward compared (and, beyond
tinygrad, the second derivative). The cases are those of tinygrad's test/test_ops.py that
have a numpy/PyTorch counterpart, in our own code and with smaller shapes.

Every case passes; an op autograd_lite lacked was a strict xfail until it landed.
"""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.nn import losses

from ._oracle import compare, ours, theirs

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")
F = torch.nn.functional


def helper_test_op(shapes, torch_fn, al_fn, low=-2.0, high=2.0, seed=0, rtol=1e-10):
    """tinygrad's helper, in spirit: random uniform inputs, forward and backward vs torch."""
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(low, high, size=s) for s in shapes]
    out_shape = tuple(torch_fn(*[torch.tensor(x) for x in xs]).shape)
    w = rng.normal(size=out_shape)
    v = [rng.normal(size=s) for s in shapes]
    problems = compare(ours(al_fn, xs, w, v), theirs(torch_fn, xs, w, v), rtol)
    assert not problems, "autograd_lite (first) vs PyTorch (second):\n" + "\n".join(problems)


# name -> (shapes, torch function, autograd_lite function, (low, high))
OPS = {
    "add": ([(4, 5), (4, 5)], lambda a, b: a + b, lambda a, b: a + b, (-2, 2)),
    "add_number": ([(4, 5)], lambda a: a + 2.5, lambda a: a + 2.5, (-2, 2)),
    "sub": ([(4, 5), (4, 5)], lambda a, b: a - b, lambda a, b: a - b, (-2, 2)),
    "rsub_number": ([(4, 5)], lambda a: 2 - a, lambda a: 2 - a, (-2, 2)),
    "neg": ([(4, 5)], lambda a: -a, lambda a: -a, (-2, 2)),
    "mul": ([(4, 5), (4, 5)], lambda a, b: a * b, lambda a, b: a * b, (-2, 2)),
    "mul_number": ([(4, 5)], lambda a: a * 3.0, lambda a: a * 3.0, (-2, 2)),
    "div": ([(4, 5), (4, 5)], lambda a, b: a / b, lambda a, b: a / b, (0.5, 2)),
    "div_number": ([(4, 5)], lambda a: 2.0 / a, lambda a: 2.0 / a, (0.5, 2)),
    "pow": ([(4, 5), (4, 5)], lambda a, b: a**b, lambda a, b: a**b, (0.5, 2)),
    "pow_number": ([(4, 5)], lambda a: a**2.3, lambda a: a**2.3, (0.5, 2)),
    "pow_int_negative_base": ([(4, 5)], lambda a: a**3, lambda a: a**3, (-2, 2)),
    "exp2_rpow": ([(4, 5)], lambda a: 2.0**a, lambda a: 2.0**a, (-2, 2)),
    "sqrt": ([(4, 5)], torch.sqrt, al.sqrt, (0.2, 2)),
    "relu": ([(4, 5)], torch.relu, al.relu, (-2, 2)),
    "abs": ([(4, 5)], torch.abs, al.abs, (-2, 2)),
    "log": ([(4, 5)], torch.log, al.log, (0.2, 2)),
    "exp": ([(4, 5)], torch.exp, al.exp, (-2, 2)),
    "sin": ([(4, 5)], torch.sin, al.sin, (-2, 2)),
    "cos": ([(4, 5)], torch.cos, al.cos, (-2, 2)),
    "sigmoid": ([(4, 5)], torch.sigmoid, al.sigmoid, (-2, 2)),
    "sigmoid_extreme": ([(4, 5)], torch.sigmoid, al.sigmoid, (-300, 300)),
    "tanh": ([(4, 5)], torch.tanh, al.tanh, (-2, 2)),
    "tanh_extreme": ([(4, 5)], torch.tanh, al.tanh, (-300, 300)),
    "maximum": ([(4, 5), (4, 5)], torch.maximum, al.maximum, (-2, 2)),
    "minimum": ([(4, 5), (4, 5)], torch.minimum, al.minimum, (-2, 2)),
    "clip": ([(4, 5)], lambda a: a.clamp(-0.5, 0.5), lambda a: al.clip(a, -0.5, 0.5), (-2, 2)),
    "where": (
        [(4, 5), (4, 5)],
        lambda a, b: torch.where(a > b, a, b),
        lambda a, b: al.where(a.data > b.data, a, b),
        (-2, 2),
    ),
    "sum": ([(3, 4, 5)], lambda a: a.sum(), al.sum, (-2, 2)),
    "sum_axis": ([(3, 4, 5)], lambda a: a.sum(dim=(1, 2)), lambda a: a.sum(axis=(1, 2)), (-2, 2)),
    "sum_keepdim": (
        [(3, 4, 5)],
        lambda a: a.sum(1, keepdim=True),
        lambda a: a.sum(1, True),
        (-2, 2),
    ),
    "mean": ([(3, 4, 5)], lambda a: a.mean(), al.mean, (-2, 2)),
    "mean_axis": (
        [(3, 4, 5)],
        lambda a: a.mean(dim=(0, 2)),
        lambda a: a.mean(axis=(0, 2)),
        (-2, 2),
    ),
    "max": ([(3, 4, 5)], lambda a: a.amax(), al.max, (-2, 2)),
    "max_axis": ([(3, 4, 5)], lambda a: a.amax(dim=1), lambda a: a.max(axis=1), (-2, 2)),
    "max_dont_collapse": (
        [(3, 4)],
        lambda a: a.amax(dim=1, keepdim=True) * 0 + a,
        lambda a: a.max(axis=1, keepdims=True) * 0 + a,
        (-2, 2),
    ),
    "min": ([(3, 4, 5)], lambda a: a.amin(), al.min, (-2, 2)),
    "min_axis": ([(3, 4, 5)], lambda a: a.amin(dim=0), lambda a: a.min(axis=0), (-2, 2)),
    "logsumexp": ([(3, 4)], lambda a: a.logsumexp(1), lambda a: al.logsumexp(a, 1), (-2, 2)),
    "softmax": ([(3, 4)], lambda a: a.softmax(-1), al.softmax, (-2, 2)),
    "softmax_axis0": ([(3, 4)], lambda a: a.softmax(0), lambda a: al.softmax(a, 0), (-2, 2)),
    "log_softmax": ([(3, 4)], lambda a: a.log_softmax(-1), al.log_softmax, (-2, 2)),
    "matmul_simple": ([(4,), (4, 4)], torch.matmul, al.matmul, (-2, 2)),
    "matmul": ([(3, 4), (4, 5)], torch.matmul, al.matmul, (-2, 2)),
    "matmul_batched": ([(2, 3, 4), (2, 4, 5)], torch.matmul, al.matmul, (-2, 2)),
    "gemm": ([(6, 6), (6, 6)], lambda a, b: a @ b, lambda a, b: a @ b, (-2, 2)),
    "dot": ([(5,), (5,)], torch.dot, al.dot, (-2, 2)),
    "broadcast_full": ([(4, 5), (4, 5)], lambda a, b: a * b, lambda a, b: a * b, (-2, 2)),
    "broadcast_partial": ([(4, 5), (4, 1)], lambda a, b: a - b, lambda a, b: a - b, (-2, 2)),
    "broadcast_scalar": ([(4, 5), ()], lambda a, b: a / b, lambda a, b: a / b, (0.5, 2)),
    "broadcast_both": ([(4, 1), (1, 5)], torch.maximum, al.maximum, (-2, 2)),
    "reshape": (
        [(4, 3, 6, 6)],
        lambda a: a.reshape(-1, 3, 6, 6),
        lambda a: a.reshape(-1, 3, 6, 6),
        (-2, 2),
    ),
    "transpose": (
        [(3, 4, 5)],
        lambda a: a.permute(2, 0, 1),
        lambda a: a.transpose(2, 0, 1),
        (-2, 2),
    ),
    "T": ([(3, 4)], lambda a: a.T, lambda a: a.T, (-2, 2)),
    "slice": ([(5, 6)], lambda a: a[1:3, 2:5], lambda a: a[1:3, 2:5], (-2, 2)),
    "slice_int": ([(5, 6)], lambda a: a[2], lambda a: a[2], (-2, 2)),
    "slice_none": ([(5, 6)], lambda a: a[None, 1:], lambda a: a[None, 1:], (-2, 2)),
    "slice_ellipsis": ([(3, 4, 5)], lambda a: a[..., 0], lambda a: a[..., 0], (-2, 2)),
    "fancy_index": (
        [(5, 6)],
        lambda a: a[torch.tensor([0, 4, 4]), torch.tensor([1, 1, 5])],
        lambda a: a[np.array([0, 4, 4]), np.array([1, 1, 5])],
        (-2, 2),
    ),
    "cat": (
        [(2, 3), (4, 3)],
        lambda a, b: torch.cat([a, b]),
        lambda a, b: al.concatenate([a, b]),
        (-2, 2),
    ),
    "cat_axis1": (
        [(2, 3), (2, 1)],
        lambda a, b: torch.cat([a, b, a], 1),
        lambda a, b: al.concatenate([a, b, a], 1),
        (-2, 2),
    ),
    "stack": (
        [(3, 4), (3, 4)],
        lambda a, b: torch.stack([a, b], 1),
        lambda a, b: al.stack([a, b], 1),
        (-2, 2),
    ),
    "linear": ([(4, 3), (5, 3), (5,)], F.linear, al.linear, (-2, 2)),
    "norm": (
        [(3, 4)],
        lambda a: torch.linalg.vector_norm(a, dim=1),
        lambda a: al.norm(a, axis=1),
        (-2, 2),
    ),
    "mse": (
        [(4, 3), (4, 3)],
        F.mse_loss,
        lambda a, b: losses.mse_loss(a, b),
        (-2, 2),
    ),
    "bce_logits": (
        [(6,)],
        lambda a: F.binary_cross_entropy_with_logits(
            a, torch.tensor([0.0, 1, 1, 0, 0.5, 1], dtype=torch.float64)
        ),
        lambda a: losses.binary_cross_entropy_with_logits(a, [0.0, 1, 1, 0, 0.5, 1]),
        (-3, 3),
    ),
    "sparse_categorical_crossentropy": (
        [(4, 5)],
        lambda a: F.cross_entropy(a, torch.tensor([0, 4, 2, 2])),
        lambda a: losses.cross_entropy(a, [0, 4, 2, 2]),
        (-3, 3),
    ),
    "square": ([(4, 5)], torch.square, lambda a: al.square(a), (-2, 2)),
    "sign": ([(4, 5)], torch.sign, lambda a: al.sign(a), (-2, 2)),
    "log2": ([(4, 5)], torch.log2, lambda a: al.log2(a), (0.2, 2)),
    "exp2": ([(4, 5)], torch.exp2, lambda a: al.exp2(a), (-2, 2)),
    "sinh": ([(4, 5)], torch.sinh, lambda a: al.sinh(a), (-2, 2)),
    "cosh": ([(4, 5)], torch.cosh, lambda a: al.cosh(a), (-2, 2)),
    "tan": ([(4, 5)], torch.tan, lambda a: al.tan(a), (-1, 1)),
    "reciprocal": ([(4, 5)], torch.reciprocal, lambda a: al.reciprocal(a), (0.5, 2)),
    "cumsum": ([(4, 5)], lambda a: a.cumsum(1), lambda a: al.cumsum(a, axis=1), (-2, 2)),
    "flip": ([(4, 5)], lambda a: a.flip(1), lambda a: al.flip(a, 1), (-2, 2)),
    "einsum": (
        [(3, 4), (4, 5)],
        lambda a, b: torch.einsum("ij,jk->ik", a, b),
        lambda a, b: al.einsum("ij,jk->ik", a, b),
        (-2, 2),
    ),
    "norm_ord3": (
        [(3, 4)],
        lambda a: torch.linalg.vector_norm(a, 3, dim=1),
        lambda a: al.norm(a, 3, axis=1),
        (-2, 2),
    ),
    "pad2d": (
        [(2, 3)],
        lambda a: F.pad(a, (1, 2, 0, 1)),
        lambda a: al.pad(a, ((0, 1), (1, 2))),
        (-2, 2),
    ),
    "squeeze": ([(4, 1, 5)], lambda a: a.squeeze(1), lambda a: al.squeeze(a, 1), (-2, 2)),
    "unsqueeze": ([(4, 5)], lambda a: a.unsqueeze(1), lambda a: al.expand_dims(a, 1), (-2, 2)),
    "repeat": ([(2, 3)], lambda a: a.repeat(2, 2), lambda a: al.tile(a, (2, 2)), (-2, 2)),
    "triu": ([(4, 4)], lambda a: a.triu(1), lambda a: al.triu(a, 1), (-2, 2)),
    "tril": ([(4, 4)], lambda a: a.tril(), lambda a: al.tril(a), (-2, 2)),
    "trace": ([(4, 4)], torch.trace, lambda a: al.trace(a), (-2, 2)),
    "mod": ([(4, 5), (4, 5)], torch.remainder, lambda a, b: a % b, (0.5, 2)),
    "prod": ([(4, 5)], lambda a: a.prod(1), lambda a: al.prod(a, axis=1), (0.5, 2)),
    "var": ([(4, 5)], lambda a: a.var(1), lambda a: al.var(a, axis=1, ddof=1), (-2, 2)),
    "std": ([(4, 5)], lambda a: a.std(), lambda a: al.std(a, ddof=1), (-2, 2)),
    "sort_free_argmax_gather": (
        [(3, 4)],
        lambda a: a.gather(1, a.argmax(1, keepdim=True)),
        lambda a: al.take_along_axis(a, al.argmax(a, 1, keepdims=True), 1),
        (-2, 2),
    ),
}


@pytest.mark.parametrize("name", list(OPS))
def test_op(name):
    shapes, torch_fn, al_fn, (low, high) = OPS[name]
    helper_test_op(shapes, torch_fn, al_fn, low, high)
