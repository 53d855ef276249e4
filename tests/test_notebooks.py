"""Run every notebook in notebooks/ top to bottom; a cell that raises fails the test.

Each notebook gets its own kernel (as `python notebooks/build.py` does, through
the same `execute`), and each cell a time limit. The notebooks assert the worked
examples of their topic in their cells, so an engine that computes a wrong value
fails here, not only one that crashes. Nothing is written back to disk.
"""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TOPICS = [
    "01_linear_algebra",
    "02_norms_and_distances",
    "03_eigenvalues",
    "04_derivatives",
    "05_chain_rule_and_backprop",
    "06_gradients_jacobians_hessians",
    "07_bayes_rule",
    "08_expectation_and_variance",
    "09_distributions",
]
CELL_TIMEOUT = 30  # seconds; the slowest cell takes about one
MAX_BYTES = 500_000  # committed with outputs, a notebook should stay light to load


def _load_build():
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def test_one_notebook_per_topic():
    assert [p.stem for p in build.notebook_paths()] == TOPICS


def drawings(nb):
    """The SVG pictures a notebook showed (its drawings), as text."""
    return [
        o["data"]["image/svg+xml"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/svg+xml" in o.get("data", {})
    ]


@pytest.mark.parametrize("topic", TOPICS)
def test_notebook_runs(topic):
    """Each notebook runs, with or without Graphviz (its drawings are then laid out by
    autograd_lite, as Jupyter shows them)."""
    path = NOTEBOOKS / f"{topic}.ipynb"
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"
    nb = build.execute(path, timeout=CELL_TIMEOUT)
    if "draw_graph(" in path.read_text(encoding="utf-8"):
        assert drawings(nb), f"{path.name} shows no drawing"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), "some code cell did not run"
    asserts = sum(c.source.count("assert ") for c in code)
    assert asserts >= 5, f"{path.name} checks only {asserts} values"
    images = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert images >= 1, f"{path.name} draws no figure"


def test_the_drawing_notebooks_run_without_graphviz(tmp_path, monkeypatch):
    """Without the `dot` program (hidden here), the drawings are laid out in Python."""
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` on PATH
    for path in build.notebook_paths():
        if "draw_graph(" not in path.read_text(encoding="utf-8"):
            continue
        pictures = drawings(build.execute(path, timeout=CELL_TIMEOUT))
        assert pictures and all("laid out by autograd_lite" in svg for svg in pictures)


def test_a_failing_cell_fails(tmp_path):
    """A wrong value in an assert cell is an error, not a printed traceback."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import autograd_lite as al"),
            nbformat.v4.new_code_cell("assert al.grad(lambda x: x ** 2)(3.0) == 7.0"),
        ]
    )
    path = tmp_path / "wrong.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(CellExecutionError, match="AssertionError"):
        build.execute(path, timeout=CELL_TIMEOUT)
