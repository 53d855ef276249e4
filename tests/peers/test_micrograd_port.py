"""micrograd's own tests, ported: the same expressions built in autograd_lite, compared with
PyTorch (float64) and with micrograd itself; then micrograd's MLP, trained side by side.

The cases are those of micrograd's test/test_engine.py (sanity_check, more_ops) and its
README's demo (an MLP, an SVM max-margin loss with L2 regularisation, SGD), in our own code.
"""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.nn.scalar import MLP

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")


def sanity_check(x, relu):
    """micrograd's sanity_check expression; `relu` maps a node to its relu."""
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    return h + q + q * x


def more_ops(a, b, relu):
    """micrograd's more_ops expression: in-place operators, powers, reflected division."""
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def _torch_leaf(x):
    torch = pytest.importorskip("torch")
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("x0", [-4.0, 0.0, 1.5, -2.0 / 3.0])
def test_sanity_check(x0):
    x = Value(x0)
    y = sanity_check(x, al.relu)
    y.backward()
    xt = _torch_leaf(x0)
    yt = sanity_check(xt, lambda t: t.relu())
    yt.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-12)
    assert x.grad == pytest.approx(xt.grad.item(), rel=1e-12)
    # and micrograd itself
    xm = micrograd_engine.Value(x0)
    ym = sanity_check(xm, lambda v: v.relu())
    ym.backward()
    assert (y.data, x.grad) == pytest.approx((ym.data, xm.grad), rel=1e-12)


@pytest.mark.parametrize("a0, b0", [(-4.0, 2.0), (3.0, -1.0), (0.5, 0.5)])
def test_more_ops(a0, b0):
    a, b = Value(a0), Value(b0)
    g = more_ops(a, b, al.relu)
    g.backward()
    at, bt = _torch_leaf(a0), _torch_leaf(b0)
    gt = more_ops(at, bt, lambda t: t.relu())
    gt.backward()
    assert g.data == pytest.approx(gt.item(), rel=1e-12)
    assert (a.grad, b.grad) == pytest.approx((at.grad.item(), bt.grad.item()), rel=1e-12)


def test_more_ops_second_derivative():
    """Beyond micrograd: d2g/da2 of more_ops agrees with PyTorch's double backward."""
    torch = pytest.importorskip("torch")
    d2 = al.derivative(lambda a: more_ops(a, Value(2.0, requires_grad=False), al.relu), 2)(-4.0)
    at = _torch_leaf(-4.0)
    (ga,) = torch.autograd.grad(
        more_ops(at, torch.tensor(2.0, dtype=torch.float64), torch.relu), at, create_graph=True
    )
    (gaa,) = torch.autograd.grad(ga, at)
    assert d2 == pytest.approx(gaa.item(), rel=1e-10)


def test_second_backward_does_not_double_count():
    """A known micrograd pitfall: backward twice must add the gradient exactly twice."""
    x = Value(3.0)
    y = x * x + x
    y.backward()
    y.backward()
    assert x.grad == 2 * 7.0


def test_deep_chain_does_not_hit_the_recursion_limit():
    """micrograd's recursive topological sort fails past ~1000 nodes; ours must not."""
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def _copy_weights(ours, theirs):
    """Our seeded weights into micrograd's MLP. Not the other way: micrograd draws from
    Python's global `random` (whatever ran before in the process) and starts every bias at
    0, so a sample whose first layer is all 0 sits exactly on a ReLU kink, where a
    rounding-level difference in a summed gradient (1e-17) flips a later step's choice."""
    ps, qs = list(ours.parameters()), theirs.parameters()
    assert len(ps) == len(qs) == 41
    for p, q in zip(ps, qs):
        q.data = p.data


def _svm_loss(model, xs, ys, relu, reg=1e-4):
    """micrograd's demo loss: mean hinge loss plus an L2 penalty, on lists of scalars."""
    scores = [model(x) for x in xs]
    scores = [s[0] if isinstance(s, list) else s for s in scores]
    hinge = [relu(1 + -y * s) for y, s in zip(ys, scores)]
    data_loss = sum(hinge) * (1.0 / len(hinge))
    return data_loss + reg * sum(p * p for p in model.parameters())


def test_mlp_trains_like_micrograd():
    """Same weights, same data, 15 SGD steps: the same losses and gradients as micrograd."""
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(12, 3)).tolist()
    ys = [1.0 if x[0] * x[1] > 0 else -1.0 for x in xs]
    ours, theirs = MLP(3, [4, 4, 1], rng=0), micrograd_nn.MLP(3, [4, 4, 1])
    _copy_weights(ours, theirs)
    for step in range(15):
        loss = _svm_loss(ours, xs, ys, al.relu)
        ref = _svm_loss(theirs, xs, ys, lambda v: v.relu())
        for p in ours.parameters():
            p.grad = 0.0
        theirs.zero_grad()
        loss.backward()
        ref.backward()
        assert loss.data == pytest.approx(ref.data, rel=1e-12), f"step {step}"
        grads = [p.grad for p in ours.parameters()]
        assert grads == pytest.approx([q.grad for q in theirs.parameters()], rel=1e-9, abs=1e-15)
        lr = 1.0 - 0.9 * step / 15
        for p in ours.parameters():
            p.data -= lr * p.grad
        for q in theirs.parameters():
            q.data -= lr * q.grad
    assert loss.data < _svm_loss(MLP(3, [4, 4, 1], rng=1), xs, ys, al.relu).data + 1.0


# micrograd users write these: lists of nodes must be stacked, never turned into constants.
LIST_CASES = {
    "sum": lambda vs: al.sum(vs),
    "mean": lambda vs: al.mean(vs) * 2,
    "norm": lambda vs: al.norm(vs) ** 2,
    "max": lambda vs: al.max(vs),
    "logsumexp": lambda vs: al.logsumexp(vs),
}
LIST_EXPECTED = {  # d/dv_i at v = (1, 2): from the formula
    "sum": [1.0, 1.0],
    "mean": [1.0, 1.0],
    "norm": [2.0, 4.0],
    "max": [0.0, 1.0],
    "logsumexp": list(np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()),
}


@pytest.mark.parametrize("name", list(LIST_CASES))
def test_reduction_of_a_list_of_values(name):
    v1, v2 = Value(1.0), Value(2.0)
    y = LIST_CASES[name]([v1, v2])
    assert isinstance(y, Value | Tensor) and y.requires_grad, f"{y!r} has no history"
    y.backward()
    assert [v1.grad, v2.grad] == pytest.approx(LIST_EXPECTED[name])


def test_elementwise_op_of_a_list_of_values():
    v1, v2 = Value(1.0), Value(2.0)
    y = al.exp([v1, v2])
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    assert [v1.grad, v2.grad] == pytest.approx(np.exp([1.0, 2.0]).tolist())


def test_sum_of_a_list_of_tensors():
    t1, t2 = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    y = al.sum([t1, t2])
    assert y.requires_grad
    y.backward()
    assert t1.grad.data.tolist() == [1.0, 1.0]


def test_stack_of_values():
    v1, v2 = Value(1.0), Value(2.0)
    t = al.stack([v1, v2])
    (t * t).sum().backward()
    assert (v1.grad, v2.grad) == (2.0, 4.0)
