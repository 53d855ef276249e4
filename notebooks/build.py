"""Run the notebooks top to bottom and save them with their outputs.

The committed notebooks carry their outputs (plots, printed checks) so they read
well on GitHub without a kernel. After editing a notebook, refresh them with

    python notebooks/build.py            # all nine
    python notebooks/build.py 03 07      # only those whose names start with 03 or 07

Each notebook runs in a fresh kernel from this folder, with a time limit per
cell; a failing cell stops the build with nbclient's error (the cell and its
traceback) and leaves the file on disk untouched. `execute` is also what
tests/test_notebooks.py calls.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograd_lite._files import atomic_write

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT = 60  # seconds; the slowest cell takes about one


def notebook_paths(prefixes=()):
    """The numbered notebooks in this folder, in order, optionally only those matching a prefix."""
    paths = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if p.name.startswith(tuple(prefixes))]
    return paths


def execute(path, timeout=CELL_TIMEOUT):
    """Read the notebook at `path`, run every cell in a new kernel and return it with outputs.

    Raises nbclient's CellExecutionError (naming the cell and its error) if a
    cell raises, and CellTimeoutError if a cell runs longer than `timeout` seconds.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the committed files
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


ADDRESS = re.compile(r" at 0x[0-9a-f]+>")  # "<graphviz.graphs.Digraph at 0x7f...>"


def strip_addresses(nb):
    """Drop memory addresses from plain-text reprs: an unchanged notebook rebuilds identically."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str):
                output["data"]["text/plain"] = ADDRESS.sub(">", text)
    return nb


def write_atomic(nb, path):
    """Write `nb` to `path` whole or not at all (the package's one atomic file writer)."""
    atomic_write(path, lambda f: f.write(nbformat.writes(nb).encode("utf-8")))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose names start so")
    args = parser.parse_args(argv)
    paths = notebook_paths(args.prefixes)
    if not paths:
        parser.error(f"no notebook in {HERE} matches {args.prefixes}")
    for path in paths:
        print(f"running {path.name}", flush=True)
        nb = execute(path)
        nbformat.validate(nb)
        write_atomic(strip_addresses(nb), path)
        print(f"  wrote {path.name} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    sys.exit(main())
