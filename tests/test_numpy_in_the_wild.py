"""numpy code from the wild (examples/numpy_in_the_wild.py) differentiates unchanged.

The example's source is run twice: as written (numpy, differentiated by autograd_lite
through numpy's dispatch) and with `autograd.numpy` in place of numpy (HIPS autograd,
the oracle). First derivatives and Hessians must agree.
"""

import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

import autograd_lite as al

autograd = pytest.importorskip("autograd")

SOURCE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "numpy_in_the_wild.py"


def _load(numpy_import):
    module = types.ModuleType(numpy_import)
    code = SOURCE.read_text().replace("import numpy as np", numpy_import, 1)
    exec(compile(code, str(SOURCE), "exec"), module.__dict__)
    return module


OURS = _load("import numpy as np")
HIPS = _load("import autograd.numpy as np")

RNG = np.random.default_rng(3)
X, Y = RNG.normal(size=(8, 4)), RNG.integers(0, 3, size=8)
ATOMS = np.array([[0.0, 0.0, 0.0], [1.1, 0.0, 0.2], [0.5, 1.0, 0.0], [0.5, 0.4, 0.9]])

# name -> (function name, arguments, argnums differentiated)
CASES = {
    "softmax_regression": (
        "softmax_regression_loss",
        (RNG.normal(size=(4, 3)), RNG.normal(size=3), X, Y),
        (0, 1),
    ),
    "gaussian_nll": ("gaussian_nll", (0.3, -0.2, RNG.normal(1.0, 2.0, size=30)), (0, 1)),
    "gaussian_nll_vector_mu": ("gaussian_nll", (RNG.normal(size=5), 0.1, RNG.normal(size=5)), (0,)),
    "lennard_jones": ("lennard_jones_energy", (ATOMS,), (0,)),
    "spring_chain": ("spring_chain_energy", (np.array([-1.3, -2.9, -4.0]),), (0,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_hips_autograd(name):
    fn, args, argnums = CASES[name]
    ours = al.grad(getattr(OURS, fn), argnums=argnums)(*args)
    hips = [autograd.grad(getattr(HIPS, fn), argnum=i)(*args) for i in argnums]
    ours = ours if isinstance(ours, tuple) else (ours,)
    for i, (a, b) in enumerate(zip(ours, hips)):
        assert np.shape(a) == np.shape(b), (name, i)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name} argument {i}")


@pytest.mark.parametrize("name", ["gaussian_nll_vector_mu", "lennard_jones", "spring_chain"])
def test_hessian_matches_hips_autograd(name):
    fn, args, argnums = CASES[name]
    (i,) = argnums
    ours = al.hessian(getattr(OURS, fn), argnums=i)(*args)
    hips = autograd.hessian(getattr(HIPS, fn), argnum=i)(*args)
    np.testing.assert_allclose(ours, hips, rtol=1e-9, atol=1e-10, err_msg=name)


def test_values_are_numpys_on_plain_arrays():
    for fn, args, _ in CASES.values():
        assert getattr(OURS, fn)(*args) == pytest.approx(float(getattr(HIPS, fn)(*args)))


def test_numpy_on_values_records_like_the_operators():
    v = al.Value(0.5)
    y = np.exp(v) * np.sin(v) + np.sum(v)
    assert isinstance(y, al.Value)
    y.backward()
    assert v.grad == pytest.approx(np.exp(0.5) * (np.sin(0.5) + np.cos(0.5)) + 1.0)
    mixed = np.maximum(np.arange(3.0), v)  # a Value meets an array: a Tensor
    assert isinstance(mixed, al.Tensor) and mixed.requires_grad
    with pytest.raises(TypeError, match="sort"):
        np.sort(al.stack([v, v * 2.0]))
    # a conversion gives a float array (a constant), never an object array holding the node,
    # and inside a transform it refuses, as float(v) does
    assert np.asarray(v).dtype == np.float64
    with pytest.raises(TypeError, match="np.asarray"):
        al.grad(lambda x: np.asarray(x) * x)(0.5)


def test_a_numpy_function_autograd_lite_lacks_is_named_not_made_constant():
    def loss(x):
        return np.sum(np.sort(x) * np.arange(3.0))

    with pytest.raises(TypeError, match=r"np\.sort"):
        al.grad(loss)(np.array([3.0, 1.0, 2.0]))


def test_the_example_script_runs():
    run = subprocess.run(
        [sys.executable, str(SOURCE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "net force [0. 0. 0.]" in run.stdout and "gradient at rest [0. 0. 0.]" in run.stdout


def test_every_op_named_like_a_numpy_ufunc_dispatches_from_it():
    from autograd_lite.core import ops

    named = [op for op in ops.OPS if isinstance(getattr(np, op.function or "", None), np.ufunc)]
    assert len(named) > 30
    for op in named:
        ufunc = getattr(np, op.function)
        x0 = [1.3, 1.6] if op.function == "arccosh" else [0.3, 0.6]  # inside every domain
        args = [al.Tensor(x0, requires_grad=True) for _ in range(ufunc.nin)]
        out = ufunc(*args)
        assert isinstance(out, al.Tensor) and out.op == op.name, op
        np.testing.assert_allclose(out.data, ufunc(*[a.data for a in args]))
