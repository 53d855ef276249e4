"""Draw computation graphs: the backprop example three ways, and a small MLP in clusters.

    python examples/draw_graphs.py --out out/ --format svg png

writes backprop_forward, backprop_backward, backprop_both (z = w.x + b,
a = relu(z), L = (a - y)^2 on Values, after backward(): the graph and the
drawings of `make demo`), mlp_both (a two-layer Tensor MLP whose parameters
are grouped by layer) and mlp_collapsed (the same with each layer folded into
one box). Needs the Graphviz `dot` program for every format but dot.

    python examples/draw_graphs.py --docs docs/img

draws the pictures of the README and docs/viz.md instead: backprop_both.svg
(as `make demo` draws it, with Graphviz) and explorer_backprop.png, the
explorer on the backprop example at step 5 of its backward sweep, photographed
by headless Chromium (`chromium` on PATH) in a 1280 x 800 window.
"""

import argparse
import os
import shutil
import subprocess
import tempfile

import numpy as np

from autograd_lite import Tensor, explore, nn, save_graph
from autograd_lite.demo.demo import backprop_graph


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
    loss, mlp = backprop_graph(), mlp_example()  # the graph `make demo` draws
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


#: The explorer's step shown in docs/img/explorer_backprop.png, and the window it is taken in.
EXPLORER_STEP, EXPLORER_WINDOW = "backward-5", (1280, 800)


def screenshot(page, png, window=EXPLORER_WINDOW, browser=None):
    """Photograph the web page at the file path or URL `page` into `png` with headless Chromium.

    window: (width, height) in pixels. browser: the program (default: chromium,
    chromium-browser or google-chrome, the first on PATH). Raises RuntimeError
    when there is none or it writes no picture.
    """
    names = (browser,) if browser else ("chromium", "chromium-browser", "google-chrome")
    program = next(filter(None, map(shutil.which, names)), None)
    if program is None:
        raise RuntimeError(f"no browser to take the screenshot with: none of {names} is on PATH")
    url = page if "://" in page else "file://" + os.path.abspath(page)
    png = os.path.abspath(png)
    command = [program, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    command += [f"--window-size={window[0]},{window[1]}", f"--screenshot={png}", url]
    if os.path.exists(png):
        os.remove(png)
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    if not os.path.exists(png):
        raise RuntimeError(f"{program} wrote no screenshot {png!r}")
    return png


def draw_docs_images(img_dir="docs/img"):
    """Draw the pictures the README and docs/viz.md show into `img_dir`; returns their paths.

    backprop_both.svg: the backprop example drawn both ways, the demo's drawing
    (Graphviz's layout: raises GraphvizNotFoundError without `dot`).
    explorer_backprop.png: its explorer page at backward step 5 (`screenshot`).
    """
    os.makedirs(img_dir, exist_ok=True)
    loss = backprop_graph()
    svg = save_graph(loss, os.path.join(img_dir, "backprop_both.svg"), direction="both")
    with tempfile.TemporaryDirectory() as tmp:
        page = explore(loss, os.path.join(tmp, "backprop_explorer.html"))
        url = "file://" + os.path.abspath(page) + "#" + EXPLORER_STEP
        png = screenshot(url, os.path.join(img_dir, "explorer_backprop.png"))
    return [svg, png]


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
    parser.add_argument(
        "--docs",
        metavar="DIR",
        help="instead, draw the pictures of the README and docs/viz.md into DIR (docs/img)",
    )
    args = parser.parse_args(argv)
    paths = draw_docs_images(args.docs) if args.docs else draw_examples(args.out, args.format)
    for path in paths:
        print(path)


if __name__ == "__main__":
    main()
