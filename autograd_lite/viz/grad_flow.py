"""The gradient-flow picture: each parameter's gradient norm, layer by layer, over training.

`plot_grad_flow(history)` draws the norms that `demo.train.fit(..., grad_norms=True)`
records: parameters on the x axis in the model's order (input side on the left), the L2
norm of each one's gradient on a log y axis, one thin line per recorded step coloured from
the first step (light) to the last (dark), and their median over the steps in black. Norms
falling by orders of magnitude towards the input side are vanishing gradients; rising,
exploding ones. matplotlib is imported only when a picture is drawn.
"""

from __future__ import annotations

import fnmatch
import os

import numpy as np

__all__ = ["plot_grad_flow"]

#: At most this many steps get a line of their own (evenly spaced, first and last kept).
_MAX_LINES = 12


def _norms(history) -> dict:
    norms = getattr(history, "grad_norms", history)
    if not isinstance(norms, dict):
        raise TypeError(
            "plot_grad_flow: give fit's history (fit(..., grad_norms=True)) or a dict "
            f"{{parameter name: [norm per step]}}, got {type(history).__name__}"
        )
    if not norms:
        raise ValueError(
            "plot_grad_flow: no gradient norms recorded; train with fit(..., grad_norms=True)"
        )
    lengths = {len(v) for v in norms.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(
            "plot_grad_flow: every parameter needs the same positive number of steps, got "
            + ", ".join(f"{k!r}: {len(v)}" for k, v in norms.items())
        )
    return norms


def plot_grad_flow(history, ax=None, path=None, title="gradient flow", params=None):
    """Draw the gradient norm of each parameter over training (see the module).

    history: what `fit(..., grad_norms=True)` returns (its `grad_norms` is read), or a dict
        {parameter name: [norm at each step]} (floats >= 0, the same number of steps each).
    ax: a matplotlib Axes to draw into (its figure is returned), or None for a new bare
        `Figure` (no pyplot: no window, and pyplot's state is left alone; a notebook shows
        a returned Figure). path: if given, the figure is also saved there (.png, .svg, ...,
        written whole or not at all). Zero norms are drawn at the axis' floor (log scale).
    params: None draws every parameter; a glob pattern (`fnmatch`, as `gradcheck_module`'s)
        draws those whose names match, e.g. "*.weight" for one point per layer.
    Returns the matplotlib Figure. Raises TypeError for anything else than a history or a
    dict; ValueError if nothing was recorded (or matches `params`) or the parameters have
    different step counts.
    """
    import matplotlib  # lazily: only drawing needs it
    from matplotlib.lines import Line2D

    norms = _norms(history)
    names = [n for n in norms if params is None or fnmatch.fnmatchcase(n, params)]
    if not names:
        raise ValueError(f"plot_grad_flow: no parameter matches {params!r}; have {list(norms)}")
    data = np.array([norms[n] for n in names], dtype=float).T  # (steps, parameters)
    if ax is None:
        from matplotlib.figure import Figure  # lazily, and no pyplot

        fig = Figure(figsize=(max(5.0, 0.55 * len(names) + 2.0), 3.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    positive = data[data > 0]
    floor = positive.min() / 10 if positive.size else 1e-12
    shown = np.where(data > 0, data, floor)
    steps = len(data)
    picks = np.unique(np.linspace(0, steps - 1, min(steps, _MAX_LINES)).round().astype(int))
    cmap = matplotlib.colormaps["Blues"]
    x = np.arange(len(names))
    for k in picks:
        shade = 0.35 + 0.6 * (k / max(steps - 1, 1))
        ax.plot(x, shown[k], color=cmap(shade), linewidth=1, alpha=0.8)
    ax.plot(x, np.median(shown, axis=0), color="black", linewidth=2, marker="o", label="median")
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize="small")
    ax.set_xlabel("parameter (input side on the left)")
    ax.set_ylabel("gradient norm ||dL/dp||")
    ax.set_title(title, fontsize="medium")
    ax.grid(True, which="major", axis="y", alpha=0.3)
    ax.legend(
        handles=[
            Line2D([], [], color=cmap(0.35), label="step 1"),
            Line2D([], [], color=cmap(0.95), label=f"step {steps}"),
            ax.lines[-1],
        ],
        fontsize="small",
    )
    if path is not None:
        from .._files import atomic_write

        suffix = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
        atomic_write(path, lambda fh: fig.savefig(fh, format=suffix))
    return fig
