"""Central finite differences for the core's tests (kept independent of autograd_lite.gradcheck),
and the mark of the tests that need Graphviz's `dot` program."""

import shutil

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
