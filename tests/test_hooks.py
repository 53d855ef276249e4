"""register_hook on Value and Tensor: called with the node's complete cotangent during the
backward sweep, before it flows on; a returned value replaces it (PyTorch semantics)."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.core.graph import cotangents


def test_a_value_hook_sees_the_total_cotangent_of_an_interior_node():
    x = Value(2.0)
    y = x * 3.0  # used twice below: its cotangent is complete only after both uses
    z = y * y + y
    seen = []
    y.register_hook(seen.append)
    z.backward()
    assert seen == [2 * 6.0 + 1.0]  # dz/dy = 2y + 1, once, as a float
    assert x.grad == 3.0 * 13.0


def test_a_returned_value_replaces_the_cotangent_before_it_flows_to_the_parents():
    x = Value(2.0)
    y = x * 3.0
    z = y * y
    y.register_hook(lambda g: g * 10.0)
    z.backward()
    assert y.grad == 120.0  # the interior .grad gets the replacement too
    assert x.grad == 360.0


def test_a_leaf_hook_runs_before_the_gradient_is_accumulated_into_grad():
    w = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    seen = []

    def hook(g):
        seen.append(g)
        return g * 0.0 + 7.0

    w.register_hook(hook)
    (w * w).sum().backward()
    assert isinstance(seen[0], Tensor) and not seen[0].requires_grad
    np.testing.assert_array_equal(seen[0].data, [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(w.grad.data, [7.0, 7.0, 7.0])


def test_a_tensor_hook_on_an_interior_node_changes_the_gradients_upstream():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = al.tanh(x) * 2.0
    h.register_hook(lambda g: g * np.array([[1.0, 0.0], [0.0, 1.0]]))  # mask off-diagonal
    h.sum().backward()
    expected = 2.0 * (1 - np.tanh(x.data) ** 2) * np.eye(2)
    np.testing.assert_allclose(x.grad.data, expected)


def test_several_hooks_run_in_order_each_seeing_the_previous_result():
    x = Value(1.0)
    y = x * 1.0
    calls = []
    y.register_hook(lambda g: calls.append(("a", g)) or g + 1.0)
    y.register_hook(lambda g: calls.append(("b", g)))
    (y * 5.0).backward()
    assert calls == [("a", 5.0), ("b", 6.0)]
    assert x.grad == 6.0


def test_remove_takes_the_hook_off_and_twice_is_harmless():
    x = Value(1.0)
    seen = []
    handle = x.register_hook(seen.append)
    (x * 2.0).backward()
    handle.remove()
    handle.remove()
    (x * 2.0).backward()
    assert seen == [2.0]
    assert x.grad == 4.0


def test_hooks_also_run_for_the_functional_sweep():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 3.0)
    (c,) = cotangents((x * x).sum(), [x])
    np.testing.assert_array_equal(c, [6.0, 12.0])


def test_with_create_graph_the_hook_gets_a_node_and_its_result_is_differentiable():
    x = Value(1.5)
    y = x * x
    got = []

    def hook(g):
        got.append(g)
        return g * x  # depends on x: the recorded backward carries it

    y.register_hook(hook)
    y.backward(create_graph=True)
    assert isinstance(got[0], Value)
    gx = x.grad  # d(y)/dx with the hook: 1 * x * 2x = 2 x^2
    assert isinstance(gx, Value) and gx.data == pytest.approx(2 * 1.5**2)
    x.zero_grad()
    gx.backward()
    assert x.grad == pytest.approx(4 * 1.5)


def test_a_replacement_of_the_wrong_shape_is_refused_and_nothing_changes():
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: np.ones(3))
    with pytest.raises(ValueError, match=r"hook.*shape \(3,\).*\(2,\)"):
        (w * w).sum().backward()
    assert w.grad is None


def test_a_hook_cannot_edit_the_cotangent_in_place():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0

    def hook(g):
        g.data[0] = 100.0  # PyTorch: a hook must not modify its argument

    y.register_hook(hook)
    with pytest.raises(ValueError, match="read-only"):
        (y * y).sum().backward()
    assert x.grad is None


def test_register_hook_refuses_a_non_callable_and_a_node_without_grad():
    with pytest.raises(TypeError, match="callable"):
        Value(1.0).register_hook(3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(print)


def test_a_hooked_node_is_not_kept_alive_by_its_hook():
    import gc
    import weakref

    from autograd_lite.core import graph

    x = Value(1.0)
    x.register_hook(print)
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None
    assert not graph._hooks
