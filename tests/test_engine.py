"""The graph core: reuse, deep chains, accumulation, forward-time capture, grad mode, errors."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value, no_grad
from autograd_lite.core.graph import toposort


def test_a_node_used_twice_sums_its_contributions():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0 and c.grad == 1.0
    t = Tensor([1.0, 2.0], requires_grad=True)
    (t * t + t).sum().backward()
    assert np.array_equal(t.grad.data, [3.0, 5.0])


def test_a_long_op_chain_backpropagates_without_recursion():
    # 200,000 ops: 200 times Python's recursion limit (the depth benchmark goes to a million)
    x = Value(1.0)
    y = x
    for _ in range(200_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 200_001.0


def test_a_long_tensor_chain_backpropagates():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    y.sum().backward()
    assert np.array_equal(x.grad.data, np.ones(3))


def test_topological_order_puts_every_node_before_its_parents():
    a, b = Value(1.0), Value(2.0)
    y = (a * b + a).tanh() * b
    order = toposort(y)
    position = {id(n): i for i, n in enumerate(order)}
    assert order[0] is y and len(order) == 6
    for n in order:
        for p in n.parents:
            if p is not None:
                assert position[id(p)] > position[id(n)]


def test_backward_twice_doubles_every_grad_exactly_and_zero_grad_resets():
    a, b = Value(1.5), Value(-2.0)
    c = a * b
    d = c * c + a.exp()
    d.backward()
    first = [n.grad for n in (a, b, c, d)]
    d.backward()
    assert [n.grad for n in (a, b, c, d)] == [2 * g for g in first]
    for n in (a, b, c, d):
        n.zero_grad()
    d.backward()
    assert [n.grad for n in (a, b, c, d)] == first
    t = Tensor([1.0, 2.0], requires_grad=True)
    s = (t * t).sum()
    s.backward()
    s.backward()
    assert np.array_equal(t.grad.data, [4.0, 8.0])
    t.zero_grad()
    assert t.grad is None


def test_interior_nodes_get_a_float_grad():
    x = Value(2.0)
    h = x * 3.0
    y = h.tanh()
    y.backward()
    assert isinstance(h.grad, float) and h.grad == pytest.approx(1 - np.tanh(6.0) ** 2)


def test_the_gradient_is_of_the_recorded_forward_even_after_data_changes():
    x = Value(3.0)
    y = x * x
    x.data = 5
    y.backward()
    assert x.grad == 6.0
    t = Tensor([3.0], requires_grad=True)
    u = (t * t).sum()
    t.data = np.array([5.0])
    u.backward()
    assert np.array_equal(t.grad.data, [6.0])
    # and in the recorded backward pass: d2/dx2 of x*x is 2 whatever x.data is now
    x = Value(3.0)
    y = x * x
    y.backward(create_graph=True)
    dx = x.grad
    assert dx.data == 6.0
    x.data = 10.0
    x.grad = 0.0
    dx.backward()
    assert x.grad == 2.0


def test_create_graph_gives_a_value_with_history_and_higher_derivatives():
    x = Value(0.7)
    y = x.sin() * x
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.requires_grad and not g.is_leaf
    x.grad = 0.0
    g.backward()
    assert x.grad == pytest.approx(2 * np.cos(0.7) - 0.7 * np.sin(0.7))


def test_micrograd_idiom_updates_data_in_place():
    w = Value(1.0)
    loss = (w - 3.0) ** 2
    loss.backward()
    w.data -= 0.1 * w.grad
    assert w.data == pytest.approx(1.4)


def test_no_grad_as_context_manager_and_decorator():
    x = Value(2.0)
    with no_grad():
        y = x * x
    assert not y.requires_grad and y.is_leaf
    assert al.is_grad_enabled()

    @no_grad()
    def f(v):
        return v.exp()

    assert not f(x).requires_grad
    with no_grad(), al.enable_grad():
        z = x * x
    assert z.requires_grad
    t = Tensor([1.0], requires_grad=True)
    with no_grad():
        assert not (t * 2.0).requires_grad


def test_detach_and_requires_grad():
    x = Value(2.0)
    d = x.detach()
    assert d.data == 2.0 and not d.requires_grad and d.is_leaf
    y = d * x
    y.backward()
    assert x.grad == 2.0 and d.grad == 0.0
    t = Tensor([1.0, 2.0])
    assert not t.requires_grad
    assert not (t * 2.0).requires_grad
    t.requires_grad = True
    assert (t * 2.0).requires_grad
    c = Value(1.0, requires_grad=False)
    assert not (c * 2.0).requires_grad


def test_constants_on_either_side_of_every_value_operator():
    v = Value(2.0)
    cases = {
        "2 ** v": (2**v, 4.0, 4 * np.log(2)),
        "3 - v": (3 - v, 1.0, -1.0),
        "2 / v": (2 / v, 1.0, -0.5),
        "1 + v": (1 + v, 3.0, 1.0),
        "3 * v": (3 * v, 6.0, 3.0),
        "v ** 3": (v**3, 8.0, 12.0),
        "-v": (-v, -2.0, -1.0),
        "v ** v": (v**v, 4.0, 4 * (1 + np.log(2))),
    }
    for name, (y, value, grad) in cases.items():
        v.grad = 0.0
        y.backward()
        assert y.data == pytest.approx(value), name
        assert v.grad == pytest.approx(grad), name
    assert isinstance(np.float64(2.0) * v, Value)
    assert (v < 3) is True and (v >= Value(2.0)) is True and (v == 2) is True and (v != 2) is False


def test_value_converts_ints_and_bools_to_float():
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert Value(True).data == 1.0
    assert Value(np.int64(4)).data == 4.0


def test_tensor_basics():
    t = Tensor([[1, 2, 3], [4, 5, 6]], requires_grad=True)
    assert t.dtype == np.float64 and t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert len(t) == 2 and t.T.shape == (3, 2)
    assert Tensor([True, False]).dtype == np.float64
    assert Tensor([1.0], dtype=np.float32).dtype == np.float32
    assert np.array_equal(np.asarray(t), t.numpy())
    assert "requires_grad=True" in repr(t) and "Tensor(" in repr(t)
    assert Tensor(2.5).item() == 2.5
    (t * 2.0).sum().backward()
    assert t.grad.shape == t.shape and np.array_equal(np.asarray(t.grad), np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        t.item()


def test_tensor_copies_its_input_array():
    a = np.array([1.0, 2.0])
    t = Tensor(a)
    a[0] = 100.0
    assert t.data[0] == 1.0


# ---- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", None, [1, 2], {"a": 1}, 1 + 2j])
def test_value_rejects_non_numeric_data(bad):
    with pytest.raises(TypeError, match="Value data"):
        Value(bad)


@pytest.mark.parametrize("bad", ["abc", [[1], [2, 3]], {"a": 1}, [1 + 2j], None])
def test_tensor_rejects_non_numeric_data(bad):
    with pytest.raises(TypeError, match="Tensor data"):
        Tensor(bad)


def test_value_operators_reject_strings():
    with pytest.raises(TypeError, match="'a'"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="'a'"):
        "a" * Value(1.0)


def test_matmul_shape_mismatch_names_both_shapes_and_changes_nothing():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones((1, 3)), requires_grad=True)
    y = (a * 2.0).sum()
    y.backward()
    before = a.grad.data.copy()
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 3\)"):
        a @ b
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"batch axes \(2,\) and \(4,\)"):
        Tensor(np.ones((2, 1, 3))) @ Tensor(np.ones((4, 3, 5)))
    assert np.array_equal(a.grad.data, before) and b.grad is None


def test_backward_on_something_without_grad_says_so():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Value(1.0, requires_grad=False).exp().backward()


def test_backward_of_a_non_scalar_needs_a_gradient_of_its_shape_and_changes_nothing():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    y.sum().backward()
    before = x.grad.data.copy()
    with pytest.raises(ValueError, match=r"\(3,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        y.backward(gradient=np.ones(2))
    assert np.array_equal(x.grad.data, before)
    y.backward(gradient=np.array([1.0, 0.0, -1.0]))
    assert np.array_equal(x.grad.data, before + [2.0, 0.0, -2.0])


def test_axis_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="axis 2"):
        Tensor(np.ones((2, 2))).sum(axis=2)


def test_unary_ops_on_a_zero_dim_tensor_keep_an_ndarray():
    y = Tensor(2.0).sin()
    assert type(y.data) is np.ndarray and y.shape == ()
    assert al.stack([y, Tensor(1.0)]).shape == (2,)


@pytest.mark.parametrize("index", [([0, 0], [1, 1]), (np.array([0, 0]), np.array([1, 1]))])
def test_repeated_index_pairs_accumulate_whatever_their_container(index):
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    x[index].sum().backward()
    assert np.array_equal(x.grad.data, [[0.0, 2.0], [0.0, 0.0]])


def test_a_tensor_is_refused_as_an_index_since_it_holds_floats():
    # A bool mask made into a Tensor becomes 0.0/1.0: used as indices it would pick wrong elements.
    with pytest.raises(IndexError, match="cannot be an index"):
        Tensor([10.0, 20.0, 30.0])[Tensor([True, False, True])]
    assert np.array_equal(Tensor([10.0, 20.0, 30.0])[[True, False, True]].data, [10.0, 30.0])


def test_cotangents_returns_gradients_without_touching_grad():
    from autograd_lite.core.graph import cotangents

    x, y, unused = Value(2.0), Value(3.0), Value(1.0)
    z = x * y + x
    x.grad = 10.0
    gx, gy, gu = cotangents(z, [x, y, unused])
    assert (gx, gy, gu) == (4.0, 2.0, None)
    assert x.grad == 10.0 and y.grad == 0.0
    t = Tensor([1.0, 2.0], requires_grad=True)
    (gt,) = cotangents((t * t).sum(), [t], create_graph=True)
    assert isinstance(gt, Tensor) and gt.requires_grad and t.grad is None


# ---- regressions from the hostile review ------------------------------------------------------


def test_transpose_with_negative_axes_has_the_right_gradient():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = np.arange(6.0).reshape(3, 2)
    (x.transpose(-1, 0) * w).sum().backward()
    assert np.array_equal(x.grad.data, w.T)
    with pytest.raises(ValueError, match="permutation"):
        x.transpose(0, 0)


def test_concatenate_with_axis_none_flattens_as_numpy():
    a = Tensor(np.zeros((2, 2)), requires_grad=True)
    b = Tensor(np.zeros((2, 2)), requires_grad=True)
    al.concatenate([a, b], axis=None).backward(np.arange(8.0))
    assert np.array_equal(a.grad.data, [[0, 1], [2, 3]]) and np.array_equal(
        b.grad.data, [[4, 5], [6, 7]]
    )


def test_np_array_of_a_tensor_is_a_copy_unless_asarray():
    x = Tensor([3.0], requires_grad=True)
    y = x * x
    a = np.array(x)
    a[0] = 5.0
    y.backward()
    assert x.data[0] == 3.0 and x.grad.data[0] == 6.0
    assert np.asarray(x) is x.data


def test_grads_never_share_memory_between_nodes_or_with_the_seed():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    c = a + b
    seed = Tensor([1.0, 1.0])
    c.backward(seed)
    a.grad.data *= 10
    assert np.array_equal(b.grad.data, [1.0, 1.0]) and np.array_equal(c.grad.data, [1.0, 1.0])
    assert not np.shares_memory(c.grad.data, seed.data)


def test_grad_set_to_none_counts_as_no_gradient_and_a_failing_accumulation_changes_nothing():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    a.grad = None
    c.backward()
    assert a.grad == 3.0 and b.grad == 2.0
    a.grad, b.grad, c.grad = "oops", 0.5, 0.0
    with pytest.raises(TypeError):
        c.backward()
    assert (a.grad, b.grad, c.grad) == ("oops", 0.5, 0.0)


def test_assigning_data_converts_it_or_refuses_it():
    p = Tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data = p.data - 0.5 * p.grad  # a Tensor on the right: its data is taken
    assert type(p.data) is np.ndarray and np.allclose(p.data, [0.0, 0.0])
    p.data = [5, 6]
    assert p.data.dtype == np.float64 and p.shape == (2,)
    v = Value(1.0)
    v.data = Value(4.0)
    assert v.data == 4.0
    with pytest.raises(TypeError):
        v.data = np.array([1.0, 2.0])
    with pytest.raises(TypeError):
        p.data = "abc"


def test_max_with_nan_sends_the_gradient_to_the_nan():
    x = Tensor([1.0, np.nan, 3.0], requires_grad=True)
    x.max().backward()
    assert np.array_equal(x.grad.data, [0.0, 1.0, 0.0])


def test_truth_value_and_iteration_of_a_tensor():
    assert not Tensor([0.0]) and Tensor(2.0)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        list(Tensor(5.0))
    assert [t.item() for t in Tensor([1.0, 2.0])] == [1.0, 2.0]


def test_clip_agrees_between_value_and_tensor_at_odd_bounds():
    for lo, hi in [(1.0, 0.0), (np.nan, 1.0), (None, np.nan)]:
        v = al.clip(Value(0.5), lo, hi).data
        t = al.clip(Tensor(0.5), lo, hi).item()
        assert v == t or (np.isnan(v) and np.isnan(t))


def test_where_with_a_plain_bool_broadcasts_tensors():
    y = al.where(True, Tensor([1.0, 2.0]), Tensor([[0.0], [0.0]]))
    assert y.shape == (2, 2)


@pytest.mark.parametrize("axis", [(0, 0), True, 1.5])
def test_bad_axes_are_refused(axis):
    with pytest.raises((TypeError, ValueError)):
        Tensor(np.ones((2, 2))).sum(axis=axis)


def test_backward_casts_the_seed_to_the_output_dtype():
    y = Tensor([1.0], dtype=np.float32, requires_grad=True)
    y.backward(Tensor([1.0]))
    assert y.grad.dtype == np.float32


def test_one_no_grad_instance_can_be_entered_again_inside_itself():
    ng = no_grad()
    with ng:
        with al.enable_grad():
            with ng:
                assert not al.is_grad_enabled()
            assert al.is_grad_enabled()
        assert not al.is_grad_enabled()
    assert al.is_grad_enabled()


def test_grad_mode_is_per_thread():
    import threading

    seen = []
    with no_grad():
        worker = threading.Thread(target=lambda: seen.append((Value(1.0) * 2.0).requires_grad))
        worker.start()
        worker.join()
        assert not (Value(1.0) * 2.0).requires_grad
    assert seen == [True]


def test_public_functions_of_core_and_transforms_have_type_hints_that_resolve():
    import importlib
    import inspect
    import typing

    for path in ("core.graph", "core.ops", "transforms.functional", "transforms.gradcheck"):
        module = importlib.import_module(f"autograd_lite.{path}")
        for name in module.__all__:
            fn = getattr(module, name)
            if not inspect.isfunction(fn):
                continue
            hints = typing.get_type_hints(fn)  # raises if an annotation does not resolve
            assert "return" in hints, f"{module.__name__}.{name} has no return annotation"
