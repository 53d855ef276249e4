"""A model moves between autograd_lite and torch.nn by state_dict, both ways, and computes the
same outputs to 1e-12 (issue: "the bridge to PyTorch")."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograd_lite import nn

torch = pytest.importorskip("torch", reason="the bridge is to PyTorch: pip install torch==2.13.0")

ROOT = Path(__file__).resolve().parents[1]


def _ours(seed):
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 16, rng=rng),
        nn.BatchNorm1d(16),
        nn.GELU(),
        nn.LayerNorm(16),
        nn.Linear(16, 10, rng=rng),
    )


def _theirs():
    t = torch.nn
    return t.Sequential(
        t.Conv2d(1, 4, 3, padding=1),
        t.ReLU(),
        t.MaxPool2d(2),
        t.Flatten(),
        t.Linear(64, 16),
        t.BatchNorm1d(16),
        t.GELU(),
        t.LayerNorm(16),
        t.Linear(16, 10),
    ).double()


def _images(seed=0, n=20):
    return np.random.default_rng(seed).standard_normal((n, 1, 8, 8))


def _agree(ours, theirs, x):
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=0, atol=1e-12)


def test_our_state_dict_loads_into_the_torch_model_with_the_same_outputs():
    ours = _ours(0)
    for k in range(3):  # move the BatchNorm buffers away from their start
        ours(_images(k))
    assert ours[5].num_batches_tracked == 3
    sd = ours.state_dict()
    theirs = _theirs()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    assert list(theirs.state_dict()) == list(sd)
    _agree(ours, theirs, _images(5))


def test_a_torch_state_dict_loads_into_ours_with_the_same_outputs():
    torch.manual_seed(0)
    theirs = _theirs()
    with torch.no_grad():
        for k in range(3):
            theirs(torch.from_numpy(_images(k)))
    ours = _ours(1)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    _agree(ours, theirs, _images(6))


def test_a_torch_state_dict_of_another_architecture_is_refused_and_nothing_changes():
    theirs = torch.nn.Sequential(torch.nn.Linear(64, 10)).double()
    ours = _ours(0)
    before = ours.state_dict()
    with pytest.raises(ValueError, match=r"missing '0.bias'|'0.weight' has shape"):
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for name, arr in ours.state_dict().items():
        np.testing.assert_array_equal(arr, before[name])


def test_the_example_moves_the_digits_model_there_and_back():
    spec = importlib.util.spec_from_file_location("to_pytorch", ROOT / "examples" / "to_pytorch.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    there, home = example.main(["--epochs", "1"])
    assert there < 1e-12 and home < 1e-12
