"""Gradients and parameters under threads, interrupts and in-place edits: each case here once
lost data or gave a wrong gradient without an error."""

import contextlib
import gc
import threading

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value


def test_two_threads_accumulating_into_one_leaf_lose_no_update():
    w = Tensor(np.zeros(3), requires_grad=True)
    v = Value(0.0)
    rounds, threads = 400, 4
    barrier = threading.Barrier(threads)

    def work():
        barrier.wait()
        for _ in range(rounds):
            (w * 1.0).sum().backward()
            (v * 1.0).backward()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert w.grad.data.tolist() == [rounds * threads] * 3
    assert v.grad == rounds * threads


def test_the_cyclic_collector_ends_as_the_program_left_it():
    assert gc.isenabled()
    x = Tensor(np.ones(50), requires_grad=True)
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()
        for _ in range(300):
            y = x
            for _ in range(5):
                y = y.tanh()
            y.sum().backward()

    pool = [threading.Thread(target=work) for _ in range(2)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * 2).sum().backward()
        assert not gc.isenabled()  # a program that turned it off keeps it off
    finally:
        gc.enable()


@contextlib.contextmanager
def interrupted_on_assignment(monkeypatch, attribute, n, cls=Value):
    """KeyboardInterrupt at the n-th assignment of `attribute` on a `cls` (a stand-in for a
    Ctrl-C arriving midway through a loop of assignments); restored on leaving."""
    real_setattr = cls.__setattr__
    count = [0]

    def setattr_interrupt(self, name, value):
        if name == attribute:
            count[0] += 1
            if count[0] == n:
                raise KeyboardInterrupt
        real_setattr(self, name, value)

    monkeypatch.setattr(cls, "__setattr__", setattr_interrupt)
    try:
        yield
    finally:
        monkeypatch.setattr(cls, "__setattr__", real_setattr)


def test_an_interrupt_while_gradients_are_committed_changes_none_of_them(monkeypatch):
    leaves = [Value(1.0) for _ in range(50)]
    total = leaves[0]
    for v in leaves[1:]:
        total = total + v
    # An interrupt arriving after some .grad were assigned: simulate it on the 20th assignment.
    with interrupted_on_assignment(monkeypatch, "_grad", 20), pytest.raises(KeyboardInterrupt):
        total.backward()
    assert all(v.grad == 0.0 for v in leaves)


def test_an_in_place_edit_between_forward_and_backward_never_mixes_two_values():
    W = Tensor([1.0, 2.0], requires_grad=True)
    y = (W * W).sum()
    W.data[0] = 10.0  # after the forward pass
    y.backward()
    # The gradient of what was computed (y = 1 + 4 at W = [1, 2]): 2 W at the old W.
    assert W.grad.data.tolist() == [2.0, 4.0]
    assert W.data.tolist() == [10.0, 2.0]


def test_the_hand_written_update_works_for_a_value_and_a_tensor():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.data -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    v = Value(3.0)
    (v * v).backward()
    v.data -= 0.1 * v.grad
    assert v.data == pytest.approx(2.4)


def test_an_interrupt_during_an_optimizer_step_changes_no_parameter(monkeypatch):
    params = [Value(float(i)) for i in range(50)]
    loss = params[0] * 0.0
    for p in params:
        loss = loss + p * p
    loss.backward()
    opt = al.optim.SGD(params, lr=0.1, momentum=0.9)
    with interrupted_on_assignment(monkeypatch, "_data", 20), pytest.raises(KeyboardInterrupt):
        opt.step()
    assert [p.data for p in params] == [float(i) for i in range(50)]
    assert opt.state == [None] * 50
    opt.step()  # and the next step is the first one, as if nothing happened
    assert params[1].data == pytest.approx(1.0 - 0.1 * 2.0)


def test_numpy_ufuncs_on_a_tensor_keep_history_or_refuse():
    t = Tensor([0.5, 1.0], requires_grad=True)
    y = np.sin(t) * np.array([1.0, 2.0]) + np.maximum(t, 0.7)
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(t.grad.data, np.cos([0.5, 1.0]) * [1.0, 2.0] + [0.0, 1.0])
    assert (np.array([1.0, 0.0]) > t).tolist() == [True, False]  # data, as the operators
    with pytest.raises(TypeError, match="cbrt"):
        np.cbrt(t)


def test_editing_a_detached_tensor_never_reaches_the_graph_or_the_original():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = t.detach()
    y = (t * t).sum()
    d.data[0] = 10.0
    y.backward()
    assert t.grad.data.tolist() == [2.0, 4.0, 6.0]
    assert t.data.tolist() == [1.0, 2.0, 3.0] and d.data.tolist() == [10.0, 2.0, 3.0]


def test_numpy_functions_on_a_tensor_keep_history_or_refuse_by_name():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = np.sum(np.clip(t, 0.0, 2.5) * np.stack([t, t]).sum(axis=0)) + np.dot(t, t)
    assert isinstance(y, Tensor)
    y.backward()
    assert t.grad.data.tolist() == [6.0, 12.0, 11.0]
    with pytest.raises(TypeError, match="np.linalg.svd"):
        np.linalg.svd(t.reshape(3, 1))
    assert np.linalg.svd(Tensor([[3.0], [4.0]])).S[0] == 5.0  # a constant Tensor: as an array
    n = np.linalg.norm(t)  # numpy.linalg's functions autograd_lite has dispatch too
    assert isinstance(n, Tensor) and n.requires_grad and n.item() == pytest.approx(14**0.5)


def test_a_value_meets_an_array_mask_and_a_list_of_values_meets_a_tensor():
    v = Value(2.0)
    out = al.where(np.array([True, False]), v, 0.0)
    assert isinstance(out, Tensor) and out.data.tolist() == [2.0, 0.0]
    out.sum().backward()
    assert v.grad == 1.0
    a = Value(3.0)
    (Tensor([1.0, 2.0]) * [a, a]).sum().backward()
    assert a.grad == 3.0


def test_an_interrupt_during_a_plain_sgd_step_on_tensors_changes_no_parameter(monkeypatch):
    """Plain SGD on Tensors takes its short path; an interrupt midway through its assignments
    puts every parameter back, as the general path does."""
    params = [Tensor([float(i), 1.0], requires_grad=True) for i in range(50)]
    loss = params[0].sum() * 0.0
    for p in params:
        loss = loss + (p * p).sum()
    loss.backward()
    opt = al.optim.SGD(params, lr=0.1)
    with interrupted_on_assignment(monkeypatch, "_data", 20, Tensor):
        with pytest.raises(KeyboardInterrupt):
            opt.step()
    assert [p.data.tolist() for p in params] == [[float(i), 1.0] for i in range(50)]
    opt.step()
    assert params[1].data.tolist() == [1.0 - 0.1 * 2.0, 1.0 - 0.1 * 2.0]
