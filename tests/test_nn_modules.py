"""The Module API as PyTorch's: traversal, apply, freezing, buffers, containers, state keys."""

import numpy as np
import pytest

from autograd_lite import Tensor, Value, nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install torch==2.13.0")


def _ours_and_torch():
    """The same architecture in both libraries: containers nested three ways."""

    class Ours(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Linear(4, 3, rng=0), nn.Tanh(), nn.Linear(3, 3, rng=1))
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 2, rng=2), "b": nn.Linear(3, 1, rng=3)})
            self.extra = nn.ModuleList([nn.Linear(3, 3, rng=4), nn.ReLU()])

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3)
            )
            self.heads = torch.nn.ModuleDict(
                {"a": torch.nn.Linear(3, 2), "b": torch.nn.Linear(3, 1)}
            )
            self.extra = torch.nn.ModuleList([torch.nn.Linear(3, 3), torch.nn.ReLU()])

    return Ours(), Theirs()


def test_names_of_parameters_modules_and_children_are_pytorchs():
    ours, theirs = _ours_and_torch()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()][1:] == [
        type(m).__name__ for m in theirs.modules()
    ][1:]
    assert [type(m).__name__ for m in ours.children()] == ["Sequential", "ModuleDict", "ModuleList"]
    assert [p.label for p in ours.parameters()] == list(ours.state_dict())
    seq = nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU(), nn.Linear(2, 1, rng=1))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert "(0): Linear(2, 2, bias=True)" in repr(seq)


def test_apply_visits_children_before_parents_in_pytorchs_order():
    ours, theirs = _ours_and_torch()
    seen_ours, seen_theirs = [], []
    assert ours.apply(lambda m: seen_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours[:-1] == seen_theirs[:-1] and seen_ours[-1] == "Ours"

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    ours.apply(init)
    assert all(np.all(m.weight.data == 0.5) for m in ours.modules() if isinstance(m, nn.Linear))


def test_requires_grad_freezes_but_keeps_parameters_in_the_state():
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU(), nn.Linear(2, 1, rng=1))
    names = list(model.state_dict())
    assert model[0].requires_grad_(False) is model[0]
    assert [n for n, _ in model.named_parameters()] == names  # still parameters
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    model(np.ones((4, 3))).sum().backward()
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    # PyTorch's idiom, by hand: the parameter stays one too
    model[2].bias.requires_grad = False
    assert list(model.state_dict()) == names
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())
    mlp = nn.MLP(2, [2], rng=0).requires_grad_(False)  # Values too
    assert len(mlp.parameters()) == 6 and not any(p.requires_grad for p in mlp.parameters())


def test_a_constant_attribute_is_not_a_parameter_and_reassigning_forgets_the_old_one():
    class M(nn.Module):
        def __init__(self):
            self.w = Tensor([1.0], requires_grad=True)
            self.c = Tensor([2.0])

    m = M()
    assert [n for n, _ in m.named_parameters()] == ["w"]
    m.w.requires_grad = False
    assert [n for n, _ in m.named_parameters()] == ["w"]
    m.w = Tensor([3.0])  # a constant in its place: no longer a parameter
    assert m.named_parameters() == []
    m.register_parameter("c", m.c)  # registered explicitly although it does not require grad
    assert [n for n, _ in m.named_parameters()] == ["c"]
    del m.c
    assert m.named_parameters() == []


def test_buffers_are_saved_loaded_and_never_parameters(tmp_path):
    class M(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2, rng=0)
            self.register_buffer("scale", Tensor([1.0, 2.0]))
            self.register_buffer("count", np.array(0, dtype=np.int64))
            self.register_buffer("scratch", np.zeros(3), persistent=False)
            self.register_buffer("later", None)

    m = M()
    assert [n for n, _ in m.named_parameters()] == ["lin.weight", "lin.bias"]
    assert [n for n, _ in m.named_buffers()] == ["scale", "count", "scratch"]
    state = m.state_dict()
    assert list(state) == ["lin.weight", "lin.bias", "scale", "count"]
    assert state["count"].dtype == np.int64
    state["scale"] = np.array([5.0, 6.0])
    state["count"] = np.array(7)
    m.load_state_dict(state)
    assert m.scale.data.tolist() == [5.0, 6.0] and int(m.count) == 7 and m.count.dtype == np.int64
    m.save(tmp_path / "m.npz")
    fresh = M().load(tmp_path / "m.npz")
    assert fresh.scale.data.tolist() == [5.0, 6.0] and int(fresh.count) == 7
    m.count = 9  # assigning a buffer converts like register_buffer
    assert isinstance(m.count, np.ndarray) and m.state_dict()["count"] == 9
    with pytest.raises(ValueError, match="buffer 'scale' cannot require grad"):
        m.scale = Tensor([1.0, 1.0], requires_grad=True)
    assert m.scale.data.tolist() == [5.0, 6.0]  # unchanged
    with pytest.raises(ValueError, match=r"'scale' has shape \(3,\), the parameter has \(2,\)"):
        m.load_state_dict({**m.state_dict(), "scale": np.zeros(3)})
    with pytest.raises(ValueError, match="attribute 'lin' already exists"):
        m.register_buffer("lin", np.zeros(1))
    with pytest.raises(ValueError, match="without '.'"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(ValueError, match="must be numeric"):
        m.register_buffer("s", np.array(["x"]))


def test_module_list_and_dict_behave_as_list_and_dict():
    ml = nn.ModuleList([nn.Linear(2, 2, rng=i) for i in range(3)])
    assert len(ml) == 3 and ml[-1] is list(ml)[2]
    first = ml[0]
    del ml[0]
    assert [n for n, _ in ml.named_parameters()][:1] == ["0.weight"] and first not in list(ml)
    ml.insert(0, first)
    ml.append(nn.ReLU()).extend([nn.Tanh()])
    assert [type(m).__name__ for m in ml] == ["Linear"] * 3 + ["ReLU", "Tanh"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    with pytest.raises(IndexError, match="index 5 is out of range for ModuleList of length 5"):
        ml[5]
    with pytest.raises(TypeError, match="must be a Module, got int"):
        ml.append(3)
    assert len(ml) == 5
    md = nn.ModuleDict({"enc": nn.Linear(2, 2, rng=0)})
    md["dec"] = nn.Linear(2, 1, rng=1)
    assert md.keys() == ["enc", "dec"] and "enc" in md and list(md) == ["enc", "dec"]
    assert [n for n, _ in md.named_parameters()][-1] == "dec.bias"
    assert md.pop("enc") is not None and md.keys() == ["dec"]
    with pytest.raises(KeyError, match="contain no '.'"):
        md["a.b"] = nn.ReLU()
    with pytest.raises(TypeError, match="must be a Module"):
        md.update({"x": nn.ReLU(), "y": 3})
    assert md.keys() == ["dec"]  # nothing added: every entry was checked first


def test_sequential_indexing_slicing_and_named_entries():
    seq = nn.Sequential(nn.Linear(3, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1))
    x = np.ones((2, 3))
    np.testing.assert_array_equal(seq[:2](x).data, seq[1](seq[0](x)).data)
    assert list(seq[1:].state_dict()) == ["2.weight", "2.bias"]  # names kept, as PyTorch
    assert seq.layers == list(seq)  # the attribute of earlier versions
    named = nn.Sequential({"fc": nn.Linear(3, 1, rng=0), "act": nn.Sigmoid()})
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]


def test_state_saved_under_the_old_sequential_names_still_loads(tmp_path):
    # Earlier versions kept a Sequential's modules in `.layers`: keys `layers.0.weight`.
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
    old = {f"layers.{k}": v for k, v in model.state_dict().items()}
    fresh = nn.Sequential(nn.Linear(3, 4, rng=5), nn.ReLU(), nn.Linear(4, 2, rng=6))
    fresh.load_state_dict(old)
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(fresh(x).data, model(x).data)
    np.savez(tmp_path / "old.npz", **old)
    again = nn.Sequential(nn.Linear(3, 4, rng=7), nn.ReLU(), nn.Linear(4, 2, rng=8))
    np.testing.assert_array_equal(again.load(tmp_path / "old.npz")(x).data, model(x).data)
    # nested: an MLP of Values inside a module, saved as `net.layers.0.neurons.0.w.0`
    holder = nn.Module()
    holder.net = nn.MLP(2, [2], rng=0)
    saved = {k.replace("net.", "net.layers.", 1): v for k, v in holder.state_dict().items()}
    other = nn.Module()
    other.net = nn.MLP(2, [2], rng=1)
    other.load_state_dict(saved)
    assert [p.data for p in other.parameters()] == [p.data for p in holder.parameters()]
    with pytest.raises(ValueError, match="'layers.0.bias' and '0.bias' are both '0.bias'"):
        fresh.load_state_dict({**model.state_dict(), "layers.0.bias": np.zeros(4)})


def test_train_and_eval_reach_modules_inside_containers():
    ours, _ = _ours_and_torch()
    ours.eval()
    assert not any(m.training for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())


def test_values_as_parameters_keep_working_with_the_new_traversal():
    class M(nn.Module):
        def __init__(self):
            self.v = Value(1.0)
            self.items = nn.ModuleList([nn.Neuron(2, rng=0)])

    assert [n for n, _ in M().named_parameters()] == [
        "v",
        "items.0.w.0",
        "items.0.w.1",
        "items.0.b",
    ]
