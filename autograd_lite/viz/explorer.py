"""The explorer: one offline HTML page replaying the forward pass, then the backward sweep.

`explore(root, "graph.html")` writes a self-contained page (no network, no
Graphviz: the page lays the graph out itself) that steps through

- the forward pass, in topological order: each op node with its inputs' values
  and its own;
- the backward sweep, in the order the engine runs it (`trace.trace_backward`):
  the node being processed, the cotangent arriving at it (with the
  contributions it is the sum of), and on each edge to an input
  `local derivative x cotangent = contribution`, plus the input's running sum.

Every number on the page is text made here from the engine's results; the
page's script only picks which to show. The data is embedded as JSON in
`<script id="al-data" type="application/json">`, which `page_data(html)` reads
back (the tests do). Clusters: the modules of the parameters, found as in the
drawings (dotted labels, or `modules=`); they fold and unfold, nested modules
inside their parents, and a graph of more than `fold_above` boxes opens with
its clusters folded (the deepest level that brings it under the limit). A
number an op took (the 1.5 of `w*1.5`) is in the data but drawn in its op's
name, not as a box of its own.
"""

from __future__ import annotations

import html
import json
import os
import re
from importlib import resources

import numpy as np

from .._files import atomic_write
from ..core.graph import Node, toposort
from .drawing import _clusters, _module_of_params, _op_params
from .trace import short, trace_backward

__all__ = ["Explorer", "explore", "page_data"]

FOLD_ABOVE = 150  # nodes; a larger graph opens with its clusters folded
_MARK = '<script id="al-data" type="application/json">'


def _number(x, full=False):
    """A float or array as JSON for the page: text to show, the values (small arrays), flags."""
    x = x.data if isinstance(x, Node) else x
    a = np.asarray(x, dtype=float) if not isinstance(x, np.ndarray) else x
    out = {"text": short(x), "shape": list(a.shape)}
    finite = np.isfinite(a) if a.dtype.kind in "fc" else np.ones(a.shape, bool)
    out["nonfinite"] = not bool(finite.all())
    if a.size <= 64:  # the values themselves, non-finite ones as strings (JSON has no NaN)
        flat = [float(v) if np.isfinite(v) else repr(float(v)) for v in a.ravel().tolist()]
        out["value"] = flat[0] if a.ndim == 0 else np.array(flat, object).reshape(a.shape).tolist()
    if full:
        if a.ndim == 0:
            out["full"] = repr(float(a))
        else:
            body = np.array2string(a, precision=6, threshold=120, edgeitems=3, max_line_width=72)
            stats = ""
            if a.size and not out["nonfinite"]:
                stats = (
                    f"\nmin {a.min():.6g}, max {a.max():.6g}, mean {a.mean():.6g}, "
                    f"norm {np.linalg.norm(a):.6g}"
                )
            elif out["nonfinite"]:
                stats = f"\n{int(np.isnan(a).sum())} nan, {int(np.isinf(a).sum())} inf"
            out["full"] = f"shape {a.shape}, {a.dtype}\n{body}{stats}"
    return out


def _modules_downstream(root, where):
    """The drawings' modules (`drawing._clusters`: parameters and the ops consuming them),
    extended down the graph: an op whose inputs from modules all come from one module M
    joins M (a neuron's chain of sums and its activation), the root excepted, so a folded
    module hides its whole computation and the output stays in sight."""
    if not where:
        return where
    where = dict(where)
    for node in reversed(toposort(root)):  # parents before children
        if node is root or id(node) in where or node._op is None:
            continue
        mods = {where.get(id(p)) for p in node._parents if p is not None} - {None}
        if len(mods) == 1:
            where[id(node)] = mods.pop()
    return where


def _cluster_tree(modules_of, titles):
    """Clusters from the nodes' module names: nested by dotted prefix, each kept only where
    it holds other nodes than its parent cluster (`layers.0.neurons` = `layers.0` is dropped).

    Returns ([{id, name, title, parent, depth, size}], {module name -> cluster id}).
    """
    members = {}
    for node_id, module in modules_of.items():
        parts = module.split(".") if module else [""]
        for k in range(1, len(parts) + 1):
            members.setdefault(".".join(parts[:k]), set()).add(node_id)
    kept, clusters, cid = {}, [], {}
    for prefix in sorted(members, key=lambda p: (p.count("."), p)):
        parts = prefix.split(".")
        parent = next(
            (
                kept[".".join(parts[:k])]
                for k in range(len(parts) - 1, 0, -1)
                if ".".join(parts[:k]) in kept
            ),
            None,
        )
        if parent is not None and members[prefix] == members[clusters[parent]["name"]]:
            cid[prefix] = parent  # the same nodes as its parent: no cluster of its own
            continue
        kept[prefix] = cid[prefix] = len(clusters)
        depth = 0 if parent is None else clusters[parent]["depth"] + 1
        clusters.append(
            {
                "id": len(clusters),
                "name": prefix,
                "title": titles.get(prefix, prefix or "model"),
                "parent": parent,
                "depth": depth,
                "size": len(members[prefix]),
            }
        )
    return clusters, cid


def _initial_folds(node_cluster, clusters, total, fold_above):
    """Cluster ids folded at first: none for a small graph; else the innermost clusters
    (height 0: no cluster inside), then those of height <= 1, ..., until at most
    `fold_above` boxes show (or every outermost cluster is folded)."""
    if total <= fold_above or not clusters:
        return []
    height = [0] * len(clusters)
    for c in sorted(clusters, key=lambda c: -c["depth"]):  # children before parents
        if c["parent"] is not None:
            height[c["parent"]] = max(height[c["parent"]], height[c["id"]] + 1)

    def chain(c):  # the cluster and its ancestors, outermost first
        out = []
        while c is not None:
            out.insert(0, c)
            c = clusters[c]["parent"]
        return out

    for h in range(max(height) + 1):
        folded = {c["id"] for c in clusters if height[c["id"]] <= h}
        boxes, hidden = set(), 0
        for c in node_cluster.values():
            top = next((a for a in chain(c) if a in folded), None)
            if top is not None:
                hidden += 1
                boxes.add(top)
        if total - hidden + len(boxes) <= fold_above:
            break
    # Listing a cluster inside a folded one changes nothing shown; keep the outermost.
    return sorted(c for c in folded if not any(a in folded for a in chain(c)[:-1]))


def explorer_data(root, gradient=None, modules=None, fold_above=FOLD_ABOVE):
    """The page's data as a dict (what `page_data` reads back); see `explore`."""
    trace = trace_backward(root, gradient)
    nodes = trace.nodes
    ids = {id(n): f"n{k}" for k, n in enumerate(nodes)}
    grads = {id(s.node): s.cotangent for s in trace.steps}
    owner, titles = _module_of_params(nodes, modules)
    where = _modules_downstream(root, _clusters(root, nodes, owner))
    clusters, cluster_of_module = _cluster_tree({ids[k]: m for k, m in where.items()}, titles)

    out_nodes, node_cluster = [], {}
    for node in nodes:
        nid = ids[id(node)]
        cluster = cluster_of_module.get(where.get(id(node)))
        inputs = []
        for i, p in enumerate(node._parents):
            if p is not None:
                inputs.append(ids[id(p)])
                continue
            cid = f"{nid}c{i}"  # a raw number or array the op captured as a constant
            inputs.append(cid)
            const = node._ctx[i + 1]
            out_nodes.append(
                {
                    "id": cid,
                    "name": short(const),
                    "formula": "",
                    "label": "",
                    "op": "",
                    "params": "",
                    "kind": "const",
                    # a number is written in its op's name (w*1.5), not drawn as a box
                    "inline": bool(np.ndim(const) == 0),
                    "cluster": cluster,
                    "data": _number(const, full=True),
                    "grad": None,
                    "inputs": [],
                }
            )
            if cluster is not None and not out_nodes[-1]["inline"]:
                node_cluster[cid] = cluster
        kind = "op" if node._op is not None else "leaf" if node.requires_grad else "const"
        g = grads.get(id(node))
        out_nodes.append(
            {
                "id": nid,
                "name": trace.name(node),
                "formula": trace.formula(node),
                "label": node.label,
                "op": node.op,
                "params": ", ".join(_op_params(node)) if node._op is not None else "",
                "kind": kind,
                "inline": False,
                "cluster": cluster,
                "data": _number(node.data, full=True),
                "grad": None if g is None else _number(g, full=True),
                "inputs": inputs,
            }
        )
        if cluster is not None:
            node_cluster[nid] = cluster

    backward = []
    for s in trace.steps:
        edges = [
            {
                "to": ids[id(e.parent)],
                "index": e.index,
                "local": None if e.local is None else _number(e.local),
                "jacobian": None if e.jacobian is None else list(e.jacobian),
                "contribution": _number(e.contribution),
                "before": None if e.before is None else _number(e.before),
                "total": _number(e.total),
            }
            for e in s.edges
        ]
        backward.append(
            {
                "node": ids[id(s.node)],
                "cotangent": _number(s.cotangent),
                "edges": edges,
                "incoming": [],
            }
        )
    step_of = {b["node"]: k for k, b in enumerate(backward)}
    for b in backward:  # what each node's cotangent is the sum of, in the order it arrived
        for e in b["edges"]:
            backward[step_of[e["to"]]]["incoming"].append(
                {"from": b["node"], "contribution": e["contribution"]}
            )
    forward = [ids[id(n)] for n in reversed(toposort(root)) if n._op is not None]
    return {
        "root": ids[id(root)],
        "nodes": out_nodes,
        "clusters": clusters,
        "folded": _initial_folds(
            node_cluster, clusters, sum(not n["inline"] for n in out_nodes), fold_above
        ),
        "forward": forward,
        "backward": backward,
    }


def _template():
    return resources.files(__package__).joinpath("explorer.html").read_text(encoding="utf-8")


def _page(data, title):
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    # Inside <script>, "</" could end the element early; U+2028/9 are JavaScript line breaks.
    text = text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    fill = {"TITLE": html.escape(title), "DATA": text}
    return re.sub(r"\{\{(TITLE|DATA)\}\}", lambda m: fill[m.group(1)], _template())


def page_data(html_text):
    """The data embedded in an explorer page (`explore`'s output) as a dict."""
    start = html_text.index(_MARK) + len(_MARK)
    end = html_text.index("</script>", start)
    return json.loads(html_text[start:end])


class Explorer:
    """An explorer page in memory: `.html` (the text), `.data` (its JSON data as a dict);
    Jupyter shows it inline in a sandboxed iframe, with no network access."""

    def __init__(self, html_text, data):
        self.html = html_text
        self.data = data

    def _repr_html_(self):
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            'style="width:100%;height:760px;border:1px solid #ccc" '
            'sandbox="allow-scripts"></iframe>'
        )

    def save(self, path):
        """Write the page to `path` (atomically); returns the path as a str."""
        path = os.fspath(path)
        data = self.html.encode("utf-8")
        atomic_write(path, lambda f: f.write(data))
        return path


def explore(root, path=None, gradient=None, modules=None, fold_above=FOLD_ABOVE, title=None):
    """An interactive page replaying the forward pass and the backward sweep from `root`.

    root: a Value or Tensor that requires grad. path: where to write the page (an
    .html file, written atomically, parent folder made if missing); None returns
    the `Explorer` without writing (Jupyter displays it). gradient: the seed of
    the sweep, as in `backward()` (needed when root has more than one element).
    modules: how parameters are grouped into clusters, as in `draw_graph`.
    fold_above: a graph with more nodes opens with its clusters folded.
    title: the page's title (default: the root's name).

    The sweep is run by the engine (`trace_backward`), so the order and every
    number are the engine's; `.grad` is left untouched. Tensors show their shape
    and a summary (all values on hover, up to numpy's print threshold); the local
    derivative of a Tensor edge is a Jacobian, shown by its size. NaN and inf
    are outlined. Returns the path written (str), or the `Explorer` when path is
    None. Raises TypeError if root is not a node, ValueError for a path not
    ending in .html or a bad fold_above, and what `backward()` raises.
    """
    if not isinstance(root, Node):
        raise TypeError(f"explore needs a Value or Tensor, got {type(root).__name__} {root!r}")
    if type(fold_above) is not int or fold_above < 1:
        raise ValueError(f"fold_above must be a positive int, got {fold_above!r}")
    if path is not None and not os.fspath(path).lower().endswith((".html", ".htm")):
        raise ValueError(f"explore writes an .html page; got the path {os.fspath(path)!r}")
    data = explorer_data(root, gradient, modules, fold_above)
    name = next(n["name"] for n in data["nodes"] if n["id"] == data["root"])
    page = Explorer(_page(data, title or f"backward sweep of {name}"), data)
    if path is None:
        return page
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    return page.save(path)
