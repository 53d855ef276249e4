"""Draw computation graphs: the backprop example three ways, and a small MLP in clusters.

    python examples/draw_graphs.py --out out/ --format svg png

writes backprop_forward, backprop_backward, backprop_both (z = w.x + b,
a = relu(z), L = (a - y)^2 on Values, after backward()), mlp_both (a
two-layer Tensor MLP whose parameters are grouped by layer) and mlp_collapsed
(the same with each layer folded into one box). Needs the Graphviz `dot`
program for every format but dot.
"""

import argparse
import os

import numpy as np

from autograd_lite import Tensor, Value, nn, save_graph
from autograd_lite.demo.examples import BACKPROP


def backprop_example():
    """The backprop example on Values with every node labelled; returns L after L.backward()."""
    x, y = BACKPROP.x, BACKPROP.y
    w = [Value(wi, label=f"w{i}") for i, wi in enumerate(BACKPROP.w)]
    b = Value(BACKPROP.b, label="b")
    z = b
    for i, (wi, xi) in enumerate(zip(w, x)):
        term = wi * xi
        term.label = f"w{i}x{i}"
        z = z + term
    z.label = "z"
    a = z.relu()
    a.label = "a"
    err = a - y
    err.label = "a-y"
    loss = err**2
    loss.label = "L"
    loss.backward()
    return loss


def mlp_example(seed=0):
    """A 3-4-2 `nn.Sequential` MLP on a batch of 5 with an MSE loss.

    Returns the loss after backward(). `nn` labels the parameters with their
    names (`0.weight`, ...), so the drawing groups each layer's
    parameters and ops in a cluster titled with the layer.
    """
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.ReLU(), nn.Linear(4, 2, rng=rng))
    x = Tensor(rng.normal(size=(5, 3)), label="x")
    target = Tensor(rng.normal(size=(5, 2)), label="target")
    loss = nn.MSELoss()(model(x), target)
    loss.label = "loss"
    loss.backward()
    return loss


def draw_examples(out_dir="out", formats=("svg",)):
    """Write the example drawings into `out_dir` (created if missing), one file per format.

    formats: suffixes among svg, png, pdf, dot. Returns the list of paths written.
    Raises GraphvizNotFoundError (with install instructions) when `dot` is
    missing and a rendered format is asked for.
    """
    os.makedirs(out_dir, exist_ok=True)
    loss, mlp = backprop_example(), mlp_example()
    drawings = [
        ("backprop_forward", loss, {"direction": "forward"}),
        ("backprop_backward", loss, {"direction": "backward"}),
        ("backprop_both", loss, {"direction": "both"}),
        ("mlp_both", mlp, {"direction": "both"}),
        ("mlp_collapsed", mlp, {"direction": "both", "collapse": True}),
    ]
    paths = []
    for name, root, options in drawings:
        for fmt in formats:
            paths.append(save_graph(root, os.path.join(out_dir, f"{name}.{fmt}"), **options))
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="output directory (default: out/)")
    parser.add_argument(
        "--format",
        nargs="+",
        default=["svg"],
        choices=["svg", "png", "pdf", "dot"],
        help="one or more file formats (default: svg)",
    )
    args = parser.parse_args(argv)
    for path in draw_examples(args.out, args.format):
        print(path)


if __name__ == "__main__":
    main()
