"""Central finite differences for the core's tests (kept independent of autograd_lite.gradcheck),
the mark of the tests that need Graphviz's `dot` program, and loads of crafted files in a
child process."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest

#: Tests that render a drawing need the Graphviz `dot` program; without it they are skipped
#: with this reason (`pytest -rs` lists them), and everything else still runs.
NO_DOT = (
    "Graphviz's 'dot' program is not installed (make test installs it where the "
    "system has a package manager: scripts/install-graphviz.sh)"
)
DOT_MISSING = shutil.which("dot") is None
needs_dot = pytest.mark.skipif(DOT_MISSING, reason=NO_DOT)


def seed_of(name: str) -> int:
    """A random seed fixed by `name` (Python's hash() of a str changes with every process)."""
    return zlib.crc32(name.encode())


def numeric_grad(f, x, eps=1e-6):
    """d f / d x by central differences; f maps a float64 array (or float) to a float."""
    if np.ndim(x) == 0:
        x = float(x)
        return (f(x + eps) - f(x - eps)) / (2 * eps)
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def assert_close(actual, expected, atol=1e-5, rtol=1e-4, what=""):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if not np.allclose(actual, expected, atol=atol, rtol=rtol):
        worst = (
            np.unravel_index(np.argmax(np.abs(actual - expected)), actual.shape)
            if actual.ndim
            else ()
        )
        raise AssertionError(
            f"{what}: analytical {actual[worst]} vs numerical {expected[worst]} at index {worst}"
        )


def check_first_and_second_order(f, *xs, seed=0, what="", atol=1e-4):
    """Check the gradients of `f` (Tensors in, a Tensor out) at the float64 arrays `xs`.

    First order: the gradient of sum(f(*xs) * w), w a random cotangent, in every input,
    against central differences. Second order: that gradient recorded
    (`create_graph=True`) and differentiated along a random direction v of each input,
    against differences of first-order gradients (a Hessian-vector product, the
    cross terms included).
    """
    from autograd_lite import Tensor

    rng = np.random.default_rng(seed)
    xs = [np.array(x, dtype=np.float64) for x in xs]
    w = rng.normal(size=np.shape(f(*[Tensor(x) for x in xs]).data))

    def loss(*arrays):
        return (f(*[Tensor(a) for a in arrays]) * w).sum().item()

    def grads(*arrays):
        ts = [Tensor(a, requires_grad=True) for a in arrays]
        (f(*ts) * w).sum().backward()
        return [t.grad.data if t.grad is not None else np.zeros(t.shape) for t in ts]

    ts = [Tensor(x, requires_grad=True) for x in xs]
    (f(*ts) * w).sum().backward(create_graph=True)
    gs = [t.grad for t in ts]
    for i, (x, g) in enumerate(zip(xs, gs)):
        expected = numeric_grad(lambda a, i=i: loss(*xs[:i], a, *xs[i + 1 :]), x)
        actual = g.data if g is not None else np.zeros(x.shape)
        assert_close(actual, expected, atol=atol, what=f"{what} d/dx{i}")

    vs = [rng.normal(size=x.shape) for x in xs]
    for t in ts:
        t.grad = None
    recorded = [(g * v).sum() for g, v in zip(gs, vs) if g is not None and g.requires_grad]
    if recorded:
        sum(recorded[1:], recorded[0]).backward()
    hv = [t.grad.data if t.grad is not None else np.zeros(t.shape) for t in ts]
    eps = 1e-6
    plus = grads(*[x + eps * v for x, v in zip(xs, vs)])
    minus = grads(*[x - eps * v for x, v in zip(xs, vs)])
    for i in range(len(xs)):
        assert_close(hv[i], (plus[i] - minus[i]) / (2 * eps), atol=atol, what=f"{what} H v, x{i}")


def load_in_child(make_model, load):
    """Run `load` (Python source using `model`) in a child, after `make_model` (source making
    `model`); returns {"error": [type, message] or None, "peak": the traced peak of
    allocations during the load, in bytes (numpy reports its buffers to tracemalloc),
    "unchanged": whether the model's state is as before}. Bounded: 60 s."""
    code = textwrap.dedent(
        f"""
        import json, tracemalloc
        from autograd_lite import data, nn
        {make_model}
        before = {{k: v.tolist() for k, v in model.state_dict().items()}}
        tracemalloc.start()
        try:
            {load}
            error = None
        except BaseException as e:
            error = [type(e).__name__, str(e)]
        peak = tracemalloc.get_traced_memory()[1]
        after = {{k: v.tolist() for k, v in model.state_dict().items()}}
        print(json.dumps({{"error": error, "peak": peak, "unchanged": before == after}}))
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)
