"""The package's layers: imports flow inward only, and `import autograd_lite` stays light.

The layers, innermost first (a module may import its own subpackage and any layer below):

    core                      the engine: nodes, the op declarations, the sweep
    _files                    the atomic file writer: a leaf usable by anyone except core
    transforms                derivatives as functions, gradient checks
    nn, optim, math, data     applications of the engine; siblings do not import each other
    numpy                     numpy's names, autograd_lite's functions where it has them
    viz                       drawings
    cli, demo                 the command and the worked examples (they may use each other)

The top-level `__init__` and `__main__` may import anything; only cli and demo may import the
top-level package back (for its public API, e.g. `__version__`).
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_lite

PACKAGE = "autograd_lite"
ROOT = Path(autograd_lite.__file__).parent

RANK = {
    "core": 0,
    "_files": 0.5,
    "transforms": 1,
    "nn": 2,
    "optim": 2,
    "math": 2,
    "data": 2,
    "numpy": 2.5,
    "viz": 3,
    "jit": 3,  # al.compile: records the engine, transforms, optimizers; nothing imports it
    "cli": 4,
    "demo": 4,
}
APPLICATIONS = {"cli", "demo"}  # one layer that may import itself both ways
TOP = ""  # the layer of the top-level __init__ and __main__

HEAVY = ("graphviz", "matplotlib", "tqdm", "sklearn")


def _module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(name):
    return (ROOT.parent / name.replace(".", "/") / "__init__.py").exists()


def _exists(name):
    path = ROOT.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(path):
    """(line, module) for every import of a module of the package in `path`, lazy ones included.

    Relative imports are resolved against the importing module; `from pkg import name`
    counts as importing `pkg.name` when that is a module, else `pkg`.
    """
    name = _module_name(path)
    package = name if _is_package(name) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [
                f"{source}.{a.name}" if _exists(f"{source}.{a.name}") else source
                for a in node.names
            ]
        else:
            continue
        found += [(node.lineno, t) for t in targets if t.split(".")[0] == PACKAGE]
    return found


def _layer(module):
    """The layer of a module of the package: its subpackage, or TOP for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__main__" else TOP


def _violation(importer, imported):
    """Why `importer` may not import `imported`, or '' when it may."""
    a, b = _layer(importer), _layer(imported)
    if a == b or a == TOP:
        return ""
    if a not in RANK:
        return f"{importer} is in no layer: add its subpackage to RANK in tests/test_layers.py"
    if b == TOP:
        return "" if a in APPLICATIONS else f"{a} imports the top-level package"
    if b not in RANK:
        return f"{imported} is in no layer: add its subpackage to RANK in tests/test_layers.py"
    if RANK[b] < RANK[a] or (a in APPLICATIONS and b in APPLICATIONS):
        return ""
    return f"{a} (layer {RANK[a]}) imports {b} (layer {RANK[b]})"


def layer_violations(root=ROOT):
    problems = []
    for path in sorted(root.rglob("*.py")):
        importer = _module_name(path)
        for line, imported in _imports(path):
            why = _violation(importer, imported)
            if why:
                problems.append(f"{path.relative_to(root.parent)}:{line}: {why}")
    return problems


def test_imports_flow_inward_only():
    problems = layer_violations()
    assert not problems, "imports against the layer order:\n" + "\n".join(problems)


def test_the_layer_check_sees_imports_and_relative_imports():
    # The walk itself: relative, absolute, lazy (inside a function) and `from pkg import module`.
    found = {t for _, t in _imports(ROOT / "demo" / "demo.py")}
    assert {f"{PACKAGE}.core.ops", f"{PACKAGE}.viz", f"{PACKAGE}.demo.explain"} <= found
    assert f"{PACKAGE}.cli.formula" in found
    assert {t for _, t in _imports(ROOT / "core" / "value.py")} >= {f"{PACKAGE}.core.graph"}


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("autograd_lite.core.ops", "autograd_lite.core.graph", True),
        ("autograd_lite.core.ops", "autograd_lite.transforms.functional", False),
        ("autograd_lite.core.ops", "autograd_lite._files", False),
        ("autograd_lite.nn.module", "autograd_lite._files", True),
        ("autograd_lite.nn.layers", "autograd_lite.math.linalg", False),
        ("autograd_lite.viz.drawing", "autograd_lite.cli.command", False),
        ("autograd_lite.nn.module", "autograd_lite.demo", False),
        ("autograd_lite.cli.command", "autograd_lite.demo.explain", True),
        ("autograd_lite.demo.train", "autograd_lite.cli.formula", True),
        ("autograd_lite.cli.command", "autograd_lite", True),
        ("autograd_lite.transforms.functional", "autograd_lite", False),
        ("autograd_lite", "autograd_lite.cli", True),
        ("autograd_lite.__main__", "autograd_lite.cli", True),
    ],
)
def test_the_layer_rules(importer, imported, allowed):
    assert (_violation(importer, imported) == "") is allowed


@pytest.mark.parametrize("module", [PACKAGE, f"{PACKAGE}.numpy"])
def test_importing_the_package_loads_no_heavy_library(module):
    probe = f"import sys, {module}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", f"`import {module}` loaded {out.strip()}"
