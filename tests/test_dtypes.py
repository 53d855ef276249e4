"""Dtypes: float16, float32 and float64 Tensors keep their dtype through ops, gradients and
transforms as PyTorch does; a Python number or a Value never widens an array; complex
numbers are refused with a TypeError wherever they enter."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value, nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")
F = torch.nn.functional

from .test_torch_oracle import GRAPH_UNARY  # noqa: E402

X = np.array([[0.3, -0.6, 0.9], [0.2, 0.5, -0.7]])
LABELS = np.array([0, 2])
DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}

#: name: (autograd_lite on a Tensor x, PyTorch on a tensor x). Each output is summed, then
#: differentiated; dtypes of the output and of x's gradient must be PyTorch's.
OPS = {
    "mul_python_float": (lambda x: x * 2.5, lambda x: x * 2.5),
    "rdiv_python_float": (lambda x: 1.5 / (x + 2.0), lambda x: 1.5 / (x + 2.0)),
    "pow_int": (lambda x: x**2, lambda x: x**2),
    "pow_float": (lambda x: (x + 1.0) ** 2.5, lambda x: (x + 1.0) ** 2.5),
    "rpow": (lambda x: 2.0**x, lambda x: 2.0**x),
    "add_self": (lambda x: x + x, lambda x: x + x),
    "mul_value": (lambda x: x * Value(2.0), lambda x: x * torch.tensor(2.0, dtype=torch.float64)),
    "value_minus": (lambda x: Value(2.0) - x, lambda x: torch.tensor(2.0, dtype=torch.float64) - x),
    **GRAPH_UNARY,  # the elementwise ops of the random-graph oracle: exp, log, tanh, ...
    "softplus": (al.softplus, F.softplus),
    "maximum": (lambda x: al.maximum(x, 0.1), lambda x: torch.clamp(x, min=0.1)),
    "clip": (lambda x: al.clip(x, -0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5)),
    "where": (lambda x: al.where(x.data > 0, x, 0.0), lambda x: torch.where(x > 0, x, 0.0)),
    "sum": (lambda x: x.sum(), lambda x: x.sum()),
    "sum_axis": (lambda x: x.sum(axis=0), lambda x: x.sum(dim=0)),
    "mean": (lambda x: x.mean(axis=1), lambda x: x.mean(dim=1)),
    "max": (lambda x: x.max(axis=1), lambda x: x.amax(dim=1)),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda x: x.logsumexp(dim=1)),
    "softmax": (lambda x: x.softmax(axis=1), lambda x: x.softmax(dim=1)),
    "log_softmax": (lambda x: x.log_softmax(axis=1), lambda x: x.log_softmax(dim=1)),
    "norm": (lambda x: x.norm(), lambda x: x.norm()),
    "matmul": (lambda x: x @ x.T, lambda x: x @ x.T),
    "linear": (lambda x: al.linear(x, x, x[0, :2]), lambda x: F.linear(x, x, x[0, :2])),
    "getitem": (lambda x: x[1, 1:], lambda x: x[1, 1:]),
    "reshape": (lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2)),
    "stack": (lambda x: al.stack([x, x * 2.0]), lambda x: torch.stack([x, x * 2.0])),
    "concatenate": (lambda x: al.concatenate([x, x]), lambda x: torch.cat([x, x])),
    "cumsum": (lambda x: al.cumsum(x, axis=1), lambda x: torch.cumsum(x, dim=1)),
    "flip": (lambda x: al.flip(x, axis=0), lambda x: torch.flip(x, dims=(0,))),
    "astype_float64": (lambda x: x.astype(np.float64) * 2.0, lambda x: x.double() * 2.0),
    "mse_loss": (
        lambda x: nn.mse_loss(x, np.zeros(x.shape, x.dtype)),
        lambda x: F.mse_loss(x, torch.zeros_like(x)),
    ),
    "cross_entropy": (
        lambda x: nn.cross_entropy(x, LABELS),
        lambda x: F.cross_entropy(x, torch.from_numpy(LABELS)),
    ),
    "bce_with_logits": (
        lambda x: nn.binary_cross_entropy_with_logits(x, np.ones(x.shape, x.dtype)),
        lambda x: F.binary_cross_entropy_with_logits(x, torch.ones_like(x)),
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", OPS)
def test_output_and_gradient_dtypes_are_pytorchs(name, dtype):
    ours, theirs = OPS[name]
    x = Tensor(X, dtype=DTYPES[dtype], requires_grad=True)
    y = ours(x)
    y.sum().backward()
    tx = torch.tensor(X, dtype=getattr(torch, dtype), requires_grad=True)
    ty = theirs(tx)
    ty.sum().backward()
    theirs_dtypes = [str(d).removeprefix("torch.") for d in (ty.dtype, tx.grad.dtype)]
    assert [str(y.dtype), str(x.grad.dtype)] == theirs_dtypes
    assert str(x.grad.dtype) == dtype
    tol = {"float16": 2e-2, "float32": 1e-5, "float64": 1e-10}[dtype]
    for a, b in [(y.data, ty.detach()), (x.grad.data, tx.grad)]:
        np.testing.assert_allclose(a.astype(float), b.double().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (np.float16, np.float32, np.float32),
        (np.float32, np.float64, np.float64),
        (np.float16, np.float64, np.float64),
    ],
)
def test_mixed_dtypes_promote_as_numpy_and_each_gradient_keeps_its_own(a, b, expected):
    x = Tensor(X, dtype=a, requires_grad=True)
    w = Tensor(X, dtype=b, requires_grad=True)
    y = x * w
    assert y.dtype == expected == np.result_type(X.astype(a), X.astype(b))
    y.sum().backward()
    assert (x.grad.dtype, w.grad.dtype) == (np.dtype(a), np.dtype(b))


def test_a_value_meeting_a_float32_tensor_acts_as_a_python_float():
    # as in PyTorch (and numpy with a Python float): the Value does not widen the array
    x = Tensor(X, dtype=np.float32, requires_grad=True)
    v = Value(1.1)
    y = x * v + v
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, x.data * 1.1 + 1.1)
    y.sum().backward()
    assert x.grad.dtype == np.float32 and type(v.grad) is float
    assert v.grad == pytest.approx(float(X.sum()) + X.size, rel=1e-6)
    # alone with a Value, or with arrays of float64, a Value stays float64
    assert (Value(1.0) * np.ones(2)).dtype == np.float64
    assert (Value(1.0) * np.ones(2, np.float16)).dtype == np.float16


def test_a_value_meeting_a_float32_tensor_twice_differentiates_to_second_order():
    x = Tensor(X[0], dtype=np.float32, requires_grad=True)

    def f(v):
        return ((x * v) ** 2).sum()

    v = Value(0.7)
    (g,) = [al.grad(f)(v)]
    h = al.grad(al.grad(f))(0.7)
    assert g.data == pytest.approx(2 * 0.7 * float((X[0] ** 2).sum()), rel=1e-6)
    assert h == pytest.approx(2 * float((X[0] ** 2).sum()), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_transforms_give_gradients_of_the_inputs_dtype(dtype):
    x = X.astype(dtype)

    def f(x):
        return (al.tanh(x) * 2.0).sum()

    assert al.grad(f)(x).dtype == dtype
    value, g = al.value_and_grad(f)(x)
    assert value.dtype == dtype and g.dtype == dtype
    out, vjp_fn = al.vjp(lambda x: al.tanh(x) * 2.0, x)
    assert out.dtype == dtype and vjp_fn(np.ones(X.shape))[0].dtype == dtype
    assert al.jvp(lambda x: al.tanh(x), (x,), (np.ones(X.shape),))[1].dtype == dtype
    assert al.jacobian(lambda x: al.tanh(x))(x).dtype == dtype
    assert al.hessian(f)(x[0]).dtype == dtype
    assert al.hvp(f, x, np.ones(X.shape)).dtype == dtype
    np.testing.assert_allclose(
        al.grad(f)(x).astype(float), 2 / np.cosh(x.astype(float)) ** 2, rtol=4e-3
    )


def test_float16_tensors_are_made_kept_and_converted():
    assert Tensor(np.ones(2, np.float16)).dtype == np.float16
    assert Tensor([1.0, 2.0], dtype=np.float16).dtype == np.float16
    t = Tensor([1.0, 2.0], requires_grad=True)
    h = t.astype(np.float16)
    assert h.dtype == np.float16
    (h * 3.0).sum().backward()
    assert t.grad.dtype == np.float64 and t.grad.data.tolist() == [3.0, 3.0]
    t.data = np.ones(2, np.float16)
    assert t.dtype == np.float16
    with pytest.raises(ValueError, match="float16, float32 or float64, got int32"):
        Tensor([1], dtype=np.int32)
    assert "dtype=float16" in repr(Tensor(np.ones(1, np.float16)))


def test_raw_functions_keep_float16_and_float32():
    for dtype in (np.float16, np.float32):
        x = X.astype(dtype)
        for f in (al.exp, lambda x: al.reshape(x, (-1,)), lambda x: al.outer(x, x), al.cumsum):
            assert f(x).dtype == dtype
    # a float type outside the three becomes float64, never a Tensor of longdouble
    t = Tensor([1.0, 2.0])
    assert (t * np.ones(2, np.longdouble)).dtype == np.float64


def test_a_list_of_nodes_beside_a_node_is_stacked_with_its_history():
    # It was turned into constant data (np.asarray calls Tensor.__array__): d/dt lost.
    t = Tensor([1.0, 2.0], requires_grad=True)
    y = al.maximum(t * 0.5, [t, t])  # the list is stacked: shape (2, 2)
    y.sum().backward()
    assert t.grad.data.tolist() == [2.0, 2.0]
    t.grad = None
    v = Value(3.0)
    y = al.where(np.array([True, False]), [t[0], v], t)
    y.sum().backward()
    assert t.grad.data.tolist() == [1.0, 1.0] and v.grad == 0.0


# ---- complex numbers: out of scope, a TypeError wherever they enter ---------------------


@al.primitive
def _to_complex(x):
    return np.asarray(x) * (1 + 1j)


@al.primitive
def _modulus(x):  # a real result from complex input: the input is what must be refused
    return np.abs(x)


def _t():
    return Tensor([1.0, 2.0], requires_grad=True)


COMPLEX_ENTRIES = {
    "Tensor": lambda: Tensor(np.array([1j, 2.0])),
    "Tensor_list": lambda: Tensor([1.0, 2j]),
    "Value": lambda: Value(1j),
    "Value_numpy": lambda: Value(np.complex64(1j)),
    "tensor_data": lambda: setattr(_t(), "data", np.array([1j, 2.0])),
    "value_data": lambda: setattr(Value(1.0), "data", 2j),
    "tensor_grad": lambda: setattr(_t(), "grad", np.array([1j, 2.0])),
    "backward_gradient": lambda: (_t() * 2.0).backward(gradient=np.array([1j, 1.0])),
    "tensor_times_complex": lambda: _t() * 1j,
    "value_times_complex": lambda: Value(2.0) * 1j,
    "tensor_plus_complex_array": lambda: _t() + np.array([1j, 2j]),
    "exp_raw_array": lambda: al.exp(np.array([1j])),
    "exp_python_complex": lambda: al.exp(1j),
    "abs_numpy_complex": lambda: al.abs(np.complex64(1j)),
    "abs_list": lambda: al.abs([1.0, 1j]),
    "maximum_raw": lambda: al.maximum(np.ones(2), 1j),
    "sum_raw": lambda: al.sum(np.array([1j])),
    "reshape_raw": lambda: al.reshape([1j], (1,)),
    "dot_scalars": lambda: al.dot(1j, 2.0),
    "outer_raw": lambda: al.outer([1j], [1.0]),
    "clip_bound": lambda: al.clip(_t(), 0.0, 1j),
    "stack_raw": lambda: al.stack([np.array([1j])]),
    "cumsum_raw": lambda: al.cumsum(np.array([1j, 1.0])),
    "primitive_raw_input": lambda: _modulus(np.array([1j])),
    "primitive_forward_tensor": lambda: _to_complex(_t()),
    "primitive_forward_value": lambda: _to_complex(Value(1.0)),
    "grad_complex": lambda: al.grad(lambda x: x * x)(1j),
    "grad_complex_array": lambda: al.grad(lambda x: (x * x).sum())(np.array([1j])),
    "vjp_cotangent": lambda: al.vjp(lambda x: x * 2.0, np.ones(2))[1](np.array([1j, 1.0])),
    "vjp_scalar_cotangent": lambda: al.vjp(lambda x: x * 2.0, 1.0)[1](np.array([1j])),
    "jvp_tangent": lambda: al.jvp(lambda x: x * 2.0, (np.ones(2),), (np.array([1j, 1j]),)),
    "hvp_vector": lambda: al.hvp(lambda x: (x * x).sum(), np.ones(2), [1j, 2.0]),
    "gradcheck_input": lambda: al.gradcheck(lambda x: (x * x).sum(), (np.array([1j]),)),
    "loss_target": lambda: nn.mse_loss([Value(1.0)], np.array([1j])),
    "distribution_parameter": lambda: al.distributions.Normal(np.array([1j]), 1.0),
    "distribution_observation": lambda: al.distributions.Normal(0.0, 1.0).log_prob([1j]),
}


@pytest.mark.filterwarnings("error")  # numpy's ComplexWarning (dropping imaginary parts) too
@pytest.mark.parametrize("entry", COMPLEX_ENTRIES)
def test_complex_numbers_are_refused_with_a_type_error(entry):
    with pytest.raises(TypeError, match="complex"):
        COMPLEX_ENTRIES[entry]()


def test_refusing_complex_leaves_the_graph_and_grads_unchanged():
    t = _t()
    (t * 3.0).sum().backward()
    before = t.grad.data.copy()
    with pytest.raises(TypeError, match="complex"):
        (t * np.array([1j, 1.0])).sum().backward()
    assert t.grad.data.tolist() == before.tolist() and t.is_leaf
