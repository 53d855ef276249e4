"""Move a trained autograd_lite model to PyTorch, and back, without retraining.

Trains the digits MLP (`autograd_lite.demo.train.train_digits`, a few epochs), builds the
same architecture in `torch.nn` (float64), and loads the weights with

    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})

The parameter names are PyTorch's (`0.weight`, `0.bias`, `2.weight`, `2.bias`), so nothing
is renamed. Then it trains the PyTorch model one more epoch and brings its weights back
with `model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})`.
Both times the logits of the 450 test digits agree to 1e-12 (they are the same float64
arithmetic up to the order of the sums). Needs PyTorch: `pip install torch`.

    python examples/to_pytorch.py [--epochs N]
"""

import argparse

import numpy as np
import torch

from autograd_lite import data
from autograd_lite.demo.train import accuracy, digits_model, train_digits


def torch_digits_model(hidden=128):
    """torch.nn's twin of `digits_model`: Linear(64, hidden) -> ReLU -> Linear(hidden, 10)."""
    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    ).double()


def largest_difference(model, torch_model, X):
    """max |autograd_lite logits - PyTorch logits| over the rows of X (n, 64)."""
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(X)).numpy()
    return float(np.max(np.abs(model(X).data - theirs)))


def main(argv=None):
    """Train, move to PyTorch and back; prints and returns the two largest differences."""
    p = argparse.ArgumentParser(prog="to_pytorch", description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5, help="epochs of autograd_lite training")
    args = p.parse_args(argv)
    split = data.digits_split(seed=0)

    model = train_digits(epochs=args.epochs, out_dir=None, progress=False).model
    sd = model.state_dict()  # {name: numpy float64 array}
    torch_model = torch_digits_model()
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    there = largest_difference(model, torch_model, split.X_test)
    print(f"autograd_lite -> PyTorch: logits agree to {there:.1e}")

    # One more epoch in PyTorch, then back.
    opt = torch.optim.Adam(torch_model.parameters(), lr=1e-3)
    X, y = torch.from_numpy(split.X_train), torch.from_numpy(split.y_train)
    for batch in torch.randperm(len(X), generator=torch.Generator().manual_seed(0)).split(32):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(torch_model(X[batch]), y[batch]).backward()
        opt.step()
    back = digits_model(seed=1)  # other initial weights: all of them come from PyTorch
    back.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    home = largest_difference(back, torch_model, split.X_test)
    print(f"PyTorch -> autograd_lite: logits agree to {home:.1e}")
    print(
        f"test accuracy after the PyTorch epoch: {accuracy(back, split.X_test, split.y_test):.1%}"
    )
    return there, home


if __name__ == "__main__":
    main()
