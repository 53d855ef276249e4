"""Drawings of a computation graph with Graphviz: the forward pass, the backward pass, or both.

`draw_graph(root)` returns a `graphviz.Digraph` (Jupyter displays it inline);
`save_graph(root, "g.svg")` writes it as .svg, .png, .pdf or .dot.

What is drawn:
- one box per `Value`/`Tensor` reachable from `root` (its label, data and
  `.grad`; a Tensor shows its shape and a short summary), one small rounded box
  per operation, and a grey box for each raw number or array an operation captured
  as a constant input;
- forward edges input -> op -> output (solid);
- backward edges output -> op -> input (dashed, red), each labelled with the
  local derivative d out / d input the cotangent was multiplied by and the
  gradient that flows along the edge. For a scalar `Value` both are numbers:
  local = rule(1, *ctx), the op's vjp rule applied to a cotangent of 1 on the
  data recorded at forward time, and flow = out.grad * local (the chain rule).
  For a `Tensor` the local derivative is a Jacobian; the edge names its size
  (out.size x in.size) and summarises the vjp of out.grad (shape, mean, norm);
- leaves that require grad are green: that is where `backward()` accumulates.

A node used twice is drawn once, with one edge per use. Parameters whose names
(or labels) are dotted, such as `layers.0.weight`, are grouped with the ops
that consume them in a cluster named after their module (`layers.0`).
`max_nodes` keeps the nodes nearest the root and folds the rest into one
summary node. The walk over the graph is breadth-first and iterative, so a
chain of 100,000 ops is fine.
"""

from __future__ import annotations

import html
import os
import re
from collections import Counter

import numpy as np

from .._files import atomic_write
from ..core.graph import Node, toposort

__all__ = ["GraphvizNotFoundError", "draw_graph", "save_graph"]

DIRECTIONS = ("forward", "backward", "both")
RANKDIRS = ("LR", "RL", "TB", "BT")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None}

BACKWARD_COLOR = "#c0392b"
FILL = {"node": "#eaf1fb", "leaf": "#d5f0d5", "constant": "#eeeeee", "op": "#fff3c4"}

# Names of the non-differentiable parameters an op records after its inputs (in `_ctx`).

_INSTALL = (
    "the Graphviz 'dot' program is needed to render {fmt}, and it was not found on PATH. "
    "Install it with: apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) "
    "or conda install graphviz (conda). Writing a .dot file works without it."
)


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz `dot` program is missing, so a drawing cannot be rendered to an image."""


# ---------------------------------------------------------------------------------------
# The walk and the numbers on the edges.


def _graph_nodes(root, grad_only):
    """Nodes reachable from `root` through `_parents`, root first, nearest first (BFS).

    Every node appears once, however often it is used. With `grad_only`, only
    nodes that require grad are followed (what the backward pass visits).
    """
    order = [root]
    seen = {id(root)}
    i = 0
    while i < len(order):
        for p in order[i]._parents:
            if p is not None and id(p) not in seen and (p.requires_grad or not grad_only):
                seen.add(id(p))
                order.append(p)
        i += 1
    return order


def _raw(x):
    return x.data if isinstance(x, Node) else x


def _edge_vjp(node, i, g):
    """The cotangent `node`'s op sends to its input i, given cotangent `g` for `node`.

    Applies the op's vjp rule to the data recorded at forward time, then sums it
    back to the input's shape as the backward pass does. With g = 1 on a Value
    this is the local derivative d node / d input i.
    """
    # Python floats become numpy floats, so a pole gives inf or nan (IEEE), never an exception.
    ctx = [np.float64(a) if type(a) is float else a for a in node._ctx]
    with np.errstate(all="ignore"):
        c = node._op.cotangent(i, g, *ctx)
    if c is None:
        return None
    c = _raw(c)
    if node._SHAPED and isinstance(c, np.ndarray):
        return node._sum_to_shape(c, ctx[i + 1])
    return float(c)  # a Value's rule on numpy floats may give a 0-d array


# ---------------------------------------------------------------------------------------
# Text of the labels (Graphviz HTML-like labels: everything user-given is escaped).


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _escape(text):
    """Text for a Graphviz HTML label: escaped, control characters (\\r, \\x07...) as spaces."""
    return html.escape(_CONTROL.sub(" ", str(text)))


def _num(x):
    return f"{float(x):.4g}"


def _array_text(a):
    """Values of a small array, or its mean and norm."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(a)
    if a.size <= 4:
        return "[" + ", ".join(_num(v) for v in a.ravel()) + "]"
    return f"mean {_num(a.mean())}, norm {_num(np.linalg.norm(a))}"


def _data_text(x):
    x = _raw(x)
    if isinstance(x, np.ndarray):
        dtype = "" if x.dtype == np.float64 else f" {x.dtype}"
        return f"{x.shape}{dtype}<BR/>{_escape(_array_text(x))}"
    return _num(x)


def _grad_text(node):
    g = node.grad
    if g is None:
        return "none yet"
    return _data_text(g) if isinstance(_raw(g), np.ndarray) else _num(_raw(g))


def _html_table(cells, fill, border=0):
    """An HTML-like label: one row of (text, background colour or None) cells."""
    row = "".join(
        f'<TD BGCOLOR="{color}">{t}</TD>' if color else f"<TD>{t}</TD>" for t, color in cells
    )
    return (
        f'<<TABLE BORDER="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{fill}"><TR>{row}</TR></TABLE>>'
    )


def _node_label(node, show_data, show_grad, mark_leaf, is_root):
    leaf = node.is_leaf and node.requires_grad
    cells = []
    if node.label:
        cells.append((f"<B>{_escape(node.label)}</B>", None))
    if show_data:
        cells.append((f"data {_data_text(node.data)}", None))
    if show_grad:
        text = f"grad {_grad_text(node)}" if node.requires_grad else "<I>no grad</I>"
        cells.append((text, "#fdecea" if node.requires_grad else None))
    if mark_leaf and leaf:
        cells.append(("<I>leaf: .grad accumulates</I>", None))
    if not cells:
        cells.append((type(node).__name__, None))
    fill = FILL["leaf"] if leaf else FILL["node"] if node.requires_grad else FILL["constant"]
    return _html_table(cells, fill, border=2 if is_root else 0)


def _op_params(node):
    """The op's parameters as short `name=value` texts (`axis=1`), from its declaration."""
    n = len(node._parents)
    names = node._op.params  # the names of the op's parameters, from its declaration
    parts = []
    for k, p in enumerate(node._ctx[n + 1 :]):
        if p is None or p is False:
            continue
        name = names[k] if k < len(names) else f"p{k}"
        text = f"array{np.shape(p)}" if isinstance(p, np.ndarray) else repr(p)
        parts.append(f"{name}={text if len(text) <= 24 else text[:21] + '...'}")
    return parts


def _op_label(node):
    extra = "".join(f'<BR/><FONT POINT-SIZE="8">{_escape(t)}</FONT>' for t in _op_params(node))
    return (
        f'<<TABLE STYLE="ROUNDED" BORDER="1" CELLBORDER="0" CELLPADDING="3" BGCOLOR="{FILL["op"]}">'
        f"<TR><TD><B>{_escape(node.op)}</B>{extra}</TD></TR></TABLE>>"
    )


def _name(label, default):
    """A label for use in d out / d in: escaped, in parentheses if it is an expression."""
    if not label:
        return default
    plain = label.replace(".", "").replace("_", "").isalnum()
    return _escape(label if plain else f"({label})")


def _edge_label(node, i, parent):
    """Local derivative and the gradient flowing along the backward edge node -> parent."""
    d = f"∂{_name(node.label, 'out')}/∂{_name(parent.label, 'in')}"
    g = _raw(node.grad)
    if not isinstance(node.data, np.ndarray):  # a Value: two numbers and their product
        local = _edge_vjp(node, i, np.float64(1.0))
        if local is None:
            return None
        flow = float(g) * float(local)
        return f"<{d} = {_num(local)}<BR/>grad {_num(g)} × {_num(local)} = {_num(flow)}>"
    out_size, in_size = np.size(node._ctx[0]), np.size(node._ctx[i + 1])
    text = f"{d}: Jacobian {out_size}×{in_size}"
    if g is not None:
        c = _edge_vjp(node, i, g)
        if c is not None:
            text += f"<BR/>grad {np.shape(c)} {_escape(_array_text(c))}"
    return f"<{text}>"


# ---------------------------------------------------------------------------------------
# Modules as clusters.


def _module_name(name, module_names=None):
    """The module a dotted parameter name belongs to: `layers.0.weight` -> `layers.0`.

    With the model's module names, the longest one that prefixes `name`.
    Without, drop the last part, and the list's name too when that part is an
    index (`neurons.1.w.2`, the third weight of a list `w` -> `neurons.1`).
    """
    parts = name.split(".")
    if module_names is not None:
        for k in range(len(parts) - 1, -1, -1):
            if ".".join(parts[:k]) in module_names:
                return ".".join(parts[:k])
    drop = 2 if parts[-1].isdigit() and len(parts) > 2 else 1
    return ".".join(parts[:-drop])


def _module_of_params(nodes, modules):
    """id(parameter) -> module name, and module name -> cluster title (where it is not the name)."""
    titles, module_names = {}, None
    if modules is None:
        named = [(n.label, n) for n in nodes if n.is_leaf and "." in n.label]
    elif hasattr(modules, "named_parameters"):
        named = list(modules.named_parameters())
        titles[""] = type(modules).__name__  # the model's own parameters
        if hasattr(modules, "named_modules"):
            subs = list(modules.named_modules())
            module_names = {name for name, _ in subs} | {""}
            titles.update({name: f"{name} ({type(m).__name__})" for name, m in subs if name})
    else:
        named = list(dict(modules).items())
    owner = {}
    for name, p in named:
        if not isinstance(p, Node):
            raise TypeError(f"modules: {name!r} is a {type(p).__name__}, not a Value or Tensor")
        module = _module_name(name, module_names)
        if module or "" in titles:
            owner[id(p)] = module
    return owner, titles


def _clusters(root, kept, owner):
    """id(node) -> module, for parameters and for each op (with its output) consuming one.

    A node computed from one module's parameters alone (such as `weight.T`) stands
    for that module like a parameter, so the `@` consuming it joins the module too.
    """
    if not owner:
        return {}
    derived = dict(owner)
    for node in reversed(toposort(root)):  # parents before children
        mods = {derived.get(id(p)) for p in node._parents if p is not None}
        if len(mods) == 1 and None not in mods:
            derived[id(node)] = mods.pop()
    where = {}
    for node in kept:
        for p in (node, *node._parents):
            if p is not None and id(p) in derived:
                where[id(node)] = derived[id(p)]
                break
    return where


# ---------------------------------------------------------------------------------------
# The drawing.


def draw_graph(
    root,
    direction="forward",
    show_data=True,
    show_grad=True,
    show_local_grad=True,
    rankdir="LR",
    max_nodes=None,
    modules=None,
):
    """Draw the computation graph that produced `root` as a `graphviz.Digraph`.

    root: a `Value` or `Tensor`; every node reachable from it is drawn once.
    direction: "forward" (input -> op -> output), "backward" (output -> op ->
        input, the way cotangents flow; only nodes that require grad), or
        "both" (forward solid, backward dashed in red, on one picture).
    show_data, show_grad: put `.data` and `.grad` in each node. A Tensor shows
        its shape and, for more than 4 elements, the mean and the 2-norm.
    show_local_grad: label each backward edge with d out / d input and the
        gradient flowing along it. For a Value: out.grad x local = flow, where
        local is the op's vjp rule applied to a cotangent of 1 (the chain rule of
        backprop, e.g. Goodfellow et al., Deep Learning, section 6.5). For a
        Tensor: the Jacobian's size out.size x in.size and the vjp of out.grad
        (its shape, mean and norm). The numbers are those of the last
        `backward()` (`.grad` accumulates, so two calls show doubled gradients).
    rankdir: Graphviz layout direction, "LR" (default), "RL", "TB" or "BT".
    max_nodes: draw at most this many Value/Tensor nodes, the ones nearest the
        root (breadth-first); the rest become one summary node saying how many
        nodes, ops and leaves were left out. None draws everything.
    modules: how to group parameters into clusters: None (leaves whose label is
        dotted, such as "layers.0.weight", go in a cluster "layers.0"), an object
        with `named_parameters()` (an `nn.Module`), or a mapping name -> node.
        Each op consuming a parameter (or a node computed from that module's
        parameters alone, such as `weight.T`), and its output, joins that cluster.

    Returns a `graphviz.Digraph`; `.source` is its DOT text, and in Jupyter it
    displays inline. Building it needs no Graphviz program; rendering does.
    Raises TypeError if `root` is not a Value or Tensor, ValueError for an
    unknown direction or rankdir or a max_nodes below 1.
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph needs a Value or Tensor, got {type(root).__name__} {root!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")

    forward = direction != "backward"
    backward = direction != "forward"
    nodes = _graph_nodes(root, grad_only=not forward)
    kept = nodes if max_nodes is None else nodes[:max_nodes]
    ids = {id(n): f"n{k}" for k, n in enumerate(kept)}
    owner, titles = _module_of_params(nodes, modules)
    where = _clusters(root, kept, owner)

    import graphviz  # loaded on the first drawing, not with the package

    g = graphviz.Digraph("autograd_lite", comment=f"{direction} graph")
    g.attr(rankdir=rankdir, fontname="Helvetica")
    g.attr("node", fontname="Helvetica", fontsize="10", shape="plaintext")
    g.attr("edge", fontname="Helvetica", fontsize="9", arrowsize="0.7")
    clusters = {}

    def home(node):
        """The graph a node's box goes in: its module's cluster, or the top level."""
        module = where.get(id(node))
        if module is None:  # not part of any module
            return g
        if module not in clusters:
            c = graphviz.Digraph(f"cluster_{len(clusters)}")
            title = _escape(titles.get(module, module))
            c.attr(label=f"<<B>{title}</B>>", style="rounded,dashed", color="#7f8c8d")
            clusters[module] = c
        return clusters[module]

    bwd = {"color": BACKWARD_COLOR, "fontcolor": BACKWARD_COLOR, "style": "dashed"}
    if direction == "both":
        bwd["constraint"] = (
            "false"  # lay out by the forward edges, draw the backward ones over them
        )
    summary = None
    summary_edges = set()  # ops with an edge to the summary node

    for node in kept:
        nid = ids[id(node)]
        home(node).node(nid, _node_label(node, show_data, show_grad, backward, node is root))
        if node._op is None:
            continue
        oid = f"{nid}_op"
        home(node).node(oid, _op_label(node))
        if forward:
            g.edge(oid, nid)  # forward edges keep the default style: solid black
        if backward:
            g.edge(nid, oid, **bwd)
        for i, p in enumerate(node._parents):
            if p is None:  # a raw number or array captured as a constant input
                if forward:
                    cid = f"{oid}_c{i}"
                    text = f'<FONT POINT-SIZE="8">{_data_text(node._ctx[i + 1])}</FONT>'
                    g.node(cid, _html_table([(text, None)], FILL["constant"]))
                    g.edge(cid, oid)
                continue
            if not forward and not p.requires_grad:
                continue
            pid = ids.get(id(p))
            if pid is None:  # beyond max_nodes: one edge from this op to the summary node
                if oid in summary_edges:
                    continue
                summary_edges.add(oid)
                pid = summary = "collapsed"
            if forward:
                g.edge(pid, oid)
            if backward and p.requires_grad:
                label = _edge_label(node, i, p) if show_local_grad and pid != summary else None
                g.edge(oid, pid, label=label, **bwd)

    if summary is not None:
        g.node(
            summary,
            _summary_label(nodes[len(kept) :], max_nodes),
            shape="note",
            style="filled",
            fillcolor="#f4f4f4",
            fontsize="9",
        )
    for c in clusters.values():
        g.subgraph(c)
    return g


def _summary_label(rest, max_nodes):
    ops = Counter(n.op for n in rest if n._op is not None)
    leaves = sum(1 for n in rest if n._op is None)
    top = ", ".join(f"{_escape(name)} ×{count:,}" for name, count in ops.most_common(6))
    more = ", ..." if len(ops) > 6 else ""
    return (
        f"<<B>{len(rest):,} more nodes not drawn</B> (max_nodes={max_nodes})<BR/>"
        f"{sum(ops.values()):,} op outputs ({top}{more}), {leaves:,} leaves>"
    )


# ---------------------------------------------------------------------------------------
# Files.


def save_graph(root, path, **options):
    """Draw `root` (see `draw_graph`, which takes the same options) and write it to `path`.

    The format comes from the suffix: .svg, .png, .pdf (rendered by the Graphviz
    `dot` program) or .dot (the DOT source, needs no program). Missing parent
    folders are created once the drawing is rendered. The file is written to a
    temporary file next to it and moved into place, so `path` is either the
    whole new drawing or untouched. Returns `path` (as a str).
    Raises ValueError for another suffix, GraphvizNotFoundError (saying how to
    install Graphviz) when rendering without `dot`, graphviz.CalledProcessError
    if `dot` fails; in every case no file is written.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"save_graph: unknown suffix {suffix!r} in {path!r}; use one of {tuple(FORMATS)}"
        )
    drawing = draw_graph(root, **options)
    fmt = FORMATS[suffix]
    if fmt is None:
        data = drawing.source.encode("utf-8")
    else:
        import graphviz

        try:
            # graphviz.pipe hands the source over with subprocess.run, which kills `dot` if
            # we are interrupted (a timeout, Ctrl-C); Digraph.pipe streams it with a Popen
            # that would be left running.
            data = graphviz.pipe(drawing.engine, fmt, drawing.source.encode("utf-8"))
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(_INSTALL.format(fmt=suffix)) from e
    atomic_write(path, lambda f: f.write(data))
    return path
