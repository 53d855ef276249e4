"""The bar chart of a run: one panel per case, median per implementation on a log scale."""

from __future__ import annotations

import math
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter

from .harness import NUMPY, OURS

UNIT_SCALE = {
    "s": (1e3, "ms"),
    "s/op": (1e9, "ns per op (CPU)"),
    "B/node": (1.0, "bytes per node"),
}


def _colour(impl):
    if impl.startswith(OURS):
        return "tab:orange"
    if impl == NUMPY:
        return "tab:gray"
    return "tab:blue"


def bar_chart(rows, path) -> None:
    """Save a PNG at `path`: a panel per (workload, case), autograd_lite's bars in orange."""
    cases = list(dict.fromkeys((r.workload, r.case) for r in rows))
    ncols = 2
    nrows = math.ceil(len(cases) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(13, 2.6 * nrows + 0.6), squeeze=False)
    for ax, key in zip(axes.flat, cases):
        mine = [r for r in rows if (r.workload, r.case) == key]
        scale, label = UNIT_SCALE.get(mine[0].unit, (1.0, mine[0].unit))
        names = [r.impl for r in mine][::-1]
        values = [(r.value or 0.0) * scale for r in mine][::-1]
        bars = ax.barh(names, values, color=[_colour(n) for n in names])
        positive = [v for v in values if v > 0]
        if positive:
            ax.set_xscale("log")
            ax.set_xlim(min(positive) / 2, max(positive) * 8)
            ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on short ranges
        for bar, r in zip(bars, mine[::-1]):
            text = f"{r.value * scale:.3g}" if r.value is not None else r.note.split(":")[0]
            if r.x_fastest is not None:
                text += f"  ({r.x_fastest:.2f}x)"
            x = bar.get_width() if r.value else (min(positive) / 2 if positive else 0)
            ax.text(x, bar.get_y() + bar.get_height() / 2, " " + text, va="center", fontsize=8)
        ax.set_title(textwrap.fill(f"{key[0]}: {key[1]}", 70), fontsize=9)
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(cases) :]:
        ax.axis("off")
    fig.suptitle(
        "autograd_lite (orange) against its peers (blue) and numpy by hand (gray); "
        "median, lower is better",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))  # room for the title
    fig.savefig(path, dpi=90, format="png")
    plt.close(fig)
