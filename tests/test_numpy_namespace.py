"""`import autograd_lite.numpy as np`: code written for HIPS autograd runs unchanged and gives
its gradients; names are numpy's, autograd_lite's where it implements the function."""

import numpy
import pytest

import autograd_lite as al
import autograd_lite.numpy as anp
from autograd_lite import Tensor, Value

autograd = pytest.importorskip("autograd", reason="HIPS autograd is the oracle (the dev extra)")

# Functions as written for HIPS autograd, run unchanged with `np` bound to either module.
# The tanh network and the logistic regression are from HIPS autograd's README and its
# examples/neural_net.py; `polar` builds an array of nodes with np.array.
HIPS_SOURCE = """
def tanh(x):
    y = np.exp(-2.0 * x)
    return (1.0 - y) / (1.0 + y)


def net_loss(W1, b1, W2, b2, inputs, targets):
    hidden = np.tanh(np.dot(inputs, W1) + b1)
    outputs = np.dot(hidden, W2) + b2
    return np.mean((outputs - targets) ** 2)


def sigmoid(x):
    return 0.5 * (np.tanh(x / 2.0) + 1)


def logistic_loss(weights):
    inputs = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30],
                       [0.74, -2.49, 1.39]])
    targets = np.array([True, True, False, True])
    preds = sigmoid(np.dot(inputs, weights))
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))


def polar(p):
    r, theta = p[0], p[1]
    xy = np.array([r * np.cos(theta), r * np.sin(theta)])
    return np.sum(xy ** 2) + np.dot(xy, np.array([1.0, -2.0])) + np.max(np.abs(xy))
"""


def _functions(np_module):
    namespace = {"np": np_module}
    exec(compile(HIPS_SOURCE, "<hips>", "exec"), namespace)
    return namespace


OURS = _functions(anp)
HIPS = _functions(autograd.numpy)
RNG = numpy.random.default_rng(0)
NET_ARGS = (
    RNG.normal(size=(3, 4)),
    RNG.normal(size=4),
    RNG.normal(size=(4, 2)),
    RNG.normal(size=2),
    RNG.normal(size=(5, 3)),
    RNG.normal(size=(5, 2)),
)


def _hips_grads(f, args, argnums):
    return [autograd.grad(f, k)(*args) for k in argnums]


def test_the_tanh_of_the_readme_to_third_order():
    for x in (-1.3, 0.0, 0.4, 2.0):
        for order in (1, 2, 3):
            ours, theirs = OURS["tanh"], HIPS["tanh"]
            for _ in range(order):
                ours, theirs = al.grad(ours), autograd.grad(theirs)
            assert ours(x) == pytest.approx(theirs(x), rel=1e-10, abs=1e-12)


def test_a_tanh_network_gives_hips_autograds_gradients():
    value, ours = al.value_and_grad(OURS["net_loss"], argnums=(0, 1, 2, 3))(*NET_ARGS)
    assert value == pytest.approx(HIPS["net_loss"](*NET_ARGS), rel=1e-12)
    for g, h in zip(ours, _hips_grads(HIPS["net_loss"], NET_ARGS, range(4))):
        numpy.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


def test_the_logistic_regression_of_the_readme_gives_hips_autograds_gradient():
    weights = numpy.array([0.0, 0.0, 0.0])
    for _ in range(3):  # a few steps of gradient descent, as the README does
        g = al.grad(OURS["logistic_loss"])(weights)
        numpy.testing.assert_allclose(g, autograd.grad(HIPS["logistic_loss"])(weights), rtol=1e-10)
        weights = weights - 0.01 * g
    h = al.hessian(OURS["logistic_loss"])(weights)
    numpy.testing.assert_allclose(
        h, autograd.hessian(HIPS["logistic_loss"])(weights), rtol=1e-9, atol=1e-12
    )


def test_an_array_built_of_nodes_gives_hips_autograds_gradient_and_hessian():
    p = numpy.array([1.3, 0.7])
    numpy.testing.assert_allclose(
        al.grad(OURS["polar"])(p), autograd.grad(HIPS["polar"])(p), rtol=1e-10
    )
    numpy.testing.assert_allclose(
        al.hessian(OURS["polar"])(p), autograd.hessian(HIPS["polar"])(p), rtol=1e-9, atol=1e-12
    )


def test_every_function_autograd_lite_has_under_a_numpy_name_is_its_own():
    names = [n for n in al.__all__ if hasattr(numpy, n) and callable(getattr(numpy, n))]
    assert {"exp", "tanh", "sum", "dot", "cumsum", "flip", "stack", "where"} <= set(names)
    for name in names:
        assert getattr(anp, name) is getattr(al, name), name
    for name in ("sigmoid", "relu", "softplus", "logsumexp", "grad"):  # not numpy's names
        assert not hasattr(anp, name)
    assert "exp" in dir(anp) and "zeros" in dir(anp)


def test_every_other_name_is_numpys():
    for name in ("pi", "e", "inf", "newaxis", "float64", "float32", "zeros", "ones", "arange"):
        assert getattr(anp, name) is getattr(numpy, name)
    assert anp.eye is numpy.eye and anp.random is numpy.random
    with pytest.raises(AttributeError, match="'autograd_lite.numpy' has no attribute 'nope'"):
        anp.nope  # noqa: B018


def test_linalg_is_autograd_lites_where_it_can_be_else_numpys():
    assert anp.linalg.inv is al.linalg.inv and anp.linalg.eigh is al.linalg.eigh
    assert anp.linalg.det is al.linalg.det and anp.linalg.solve is al.linalg.solve
    assert anp.linalg.qr is numpy.linalg.qr and anp.linalg.svd is numpy.linalg.svd
    a = Tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    anp.sum(anp.linalg.inv(a)).backward()
    inv = numpy.linalg.inv(a.data)
    numpy.testing.assert_allclose(a.grad.data, -inv.T @ numpy.ones((2, 2)) @ inv.T)
    with pytest.raises(TypeError, match="np.linalg.qr is not supported on a Tensor that requi"):
        anp.linalg.qr(a)


#: numpy functions autograd_lite has not implemented (yet): name -> a call on a Tensor t.
NOT_OURS = {
    "sort": lambda f, t: f(t),
    "median": lambda f, t: f(t),
    "percentile": lambda f, t: f(t, 50),
    "ptp": lambda f, t: f(t),
    "unique": lambda f, t: f(t),
    "fmod": lambda f, t: f(t, 2.0),  # a ufunc: refused on any Tensor
    "linalg.pinv": lambda f, t: f(t.reshape(1, 3) * t.reshape(3, 1)),
    "linalg.qr": lambda f, t: f(t.reshape(1, 3) * t.reshape(3, 1)),
}


def _lookup(module, dotted):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


@pytest.mark.parametrize("name", NOT_OURS)
def test_numpys_functions_refuse_a_tensor_that_requires_grad_naming_the_function(name):
    f = _lookup(anp, name)
    if f is not _lookup(numpy, name):
        pytest.skip(f"autograd_lite implements {name} now")
    t = Tensor([3.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=name.rpartition(".")[2]):
        NOT_OURS[name](f, t)
    if not isinstance(f, numpy.ufunc):  # on a constant Tensor numpy's function runs on the data
        constant, data = Tensor([3.0, 1.0, 2.0]), numpy.array([3.0, 1.0, 2.0])
        assert numpy.array_equal(NOT_OURS[name](f, constant), NOT_OURS[name](f, data))


def test_some_numpy_functions_are_still_numpys():  # so the test above checks something
    assert sum(_lookup(anp, n) is _lookup(numpy, n) for n in NOT_OURS) >= 3


def test_array_of_nodes_stacks_with_history_and_of_data_is_numpys():
    t = Tensor([1.0, 2.0], requires_grad=True)
    v = Value(3.0)
    a = anp.array([[t[0], v], [t[1] * v, 1.0]])
    assert isinstance(a, Tensor) and a.shape == (2, 2)
    a.sum().backward()
    assert t.grad.data.tolist() == [1.0, 3.0] and v.grad == 1.0 + 2.0
    assert anp.array(t, dtype=numpy.float32).dtype == numpy.float32
    plain = anp.array([[1, 2], [3, 4]])
    assert type(plain) is numpy.ndarray and plain.dtype == numpy.array([1]).dtype
    assert anp.asarray([1.0, 2.0]).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="only dtype="):
        anp.array([t], copy=True)
