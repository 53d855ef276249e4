"""Drawings of a computation graph with Graphviz: the forward pass, the backward pass, or both.

`draw_graph(root)` returns a `graphviz.Digraph` (Jupyter displays it inline);
`save_graph(root, "g.svg")` writes it as .svg, .png, .pdf or .dot.

What is drawn:
- one box per `Value`/`Tensor` reachable from `root` (its name, data and
  `.grad`; a Tensor shows its shape and a short summary), one small rounded box
  per operation with the raw numbers it captured written in it (`** 2`), and a
  grey box for each raw array an operation captured as a constant input;
- names: a node's label, else the expression it computes from its parents'
  names when that is short (`w*x`, `relu(z)`), else a numbered name (`n3`);
- forward edges input -> op -> output (solid);
- backward edges output -> op -> input (dashed, red), each labelled with the
  local derivative d out / d input the cotangent was multiplied by and the
  gradient that flows along the edge. For a scalar `Value` both are numbers:
  local = rule(1, *ctx), the op's vjp rule applied to a cotangent of 1 on the
  data recorded at forward time, and flow = out.grad * local (the chain rule).
  For a `Tensor` the local derivative is a Jacobian; the edge names its size
  (out.size x in.size) and summarises the vjp of out.grad (mean, norm) unless it
  is all of the input's .grad, which the input's box shows;
- leaves that require grad are green: that is where `backward()` accumulates.

A node used twice is drawn once, with one edge per use. Parameters whose names
(or labels) are dotted, such as `layers.0.weight`, are grouped with the ops
that consume them in a cluster named after their module (`layers.0`);
`collapse` folds modules into one box each. `max_nodes` bounds the boxes drawn,
keeping the nodes nearest the root and summing up the rest in one note. The
layout is chosen to be read in an 800-pixel column: top to bottom when the
graph is deeper than wide, scaled down to that width when larger. The walk over
the graph is breadth-first and iterative, so a chain of 100,000 ops is fine.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import warnings
from collections import Counter

import numpy as np

from .._files import atomic_write
from ..core.graph import Node, toposort

__all__ = [
    "GraphvizNotFoundError",
    "GraphvizNotFoundWarning",
    "draw_dot",
    "draw_graph",
    "save_graph",
]

DIRECTIONS = ("forward", "backward", "both")
RANKDIRS = ("LR", "RL", "TB", "BT")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None}

BACKWARD_COLOR = "#c0392b"
#: The outline of a node whose data or grad holds a NaN or an Inf (highlight_nonfinite).
NONFINITE_COLOR = "#e67e22"
FILL = {
    "node": "#eaf1fb",
    "leaf": "#d5f0d5",
    "constant": "#eeeeee",
    "op": "#fff3c4",
    "module": "#f3eafb",
}
GRAD_FILL = "#fdecea"
FONT = "Helvetica"
#: Point sizes: chosen with the spacing below so that the drawings of the worked examples,
#: scaled to an 800-pixel column, keep their text at least 9 pixels high.
FONT_SIZE, EDGE_FONT_SIZE, SMALL = 12, 11, 11
#: Points between an edge label's text and its edge (or another label).
EDGE_PAD = 2
#: The default `size`: at most 8.33 inches (800 pixels at 96 dpi) wide, any height.
COLUMN = "8.33,1000"

_INSTALL = (
    "the Graphviz 'dot' program is needed to render {fmt}, and it was not found on PATH. "
    "Install it with: apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) "
    "or conda install graphviz (conda). Writing a .dot file works without it."
)


_LAID_OUT_HERE = (
    "the Graphviz 'dot' program was not found, so {path} is laid out by autograd_lite (the "
    "same boxes and labels, a plainer layout); for Graphviz's layout install it with: "
    "apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) or conda "
    "install graphviz (conda)"
)


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz `dot` program is missing, so a drawing cannot be rendered to an image."""


class GraphvizNotFoundWarning(UserWarning):
    """The Graphviz `dot` program is missing: the picture was laid out by autograd_lite."""


@contextlib.contextmanager
def graphviz_notes():
    """Collect the GraphvizNotFoundWarnings raised within, for a caller to say them its way.

    Yields a list that receives each such warning's message (str); other warnings
    pass on as usual. For the command line and the demo, which say it in one line.
    """
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GraphvizNotFoundWarning)
        yield notes
    for w in caught:
        if issubclass(w.category, GraphvizNotFoundWarning):
            notes.append(str(w.message))
        else:  # not ours to keep
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


_DRAWING = []  # the class of the drawings, made on the first drawing (graphviz loads late)


def _drawing_class():
    """A `graphviz.Digraph` that Jupyter shows even without `dot` (laid out in Python)."""
    if not _DRAWING:
        import graphviz

        class Drawing(graphviz.Digraph):
            __doc__ = graphviz.Digraph.__doc__

            def _repr_image_svg_xml(self):
                try:
                    return super()._repr_image_svg_xml()
                except graphviz.ExecutableNotFound:
                    from .layered import svg_without_graphviz

                    return svg_without_graphviz(self).decode("utf-8")

        Drawing.__qualname__ = "Drawing"  # shown in reprs: autograd_lite.viz.drawing.Drawing
        _DRAWING.append(Drawing)
    return _DRAWING[0]


# ---------------------------------------------------------------------------------------
# The walk and the numbers on the edges.


def _nonfinite(node) -> bool:
    """True if the node's data or grad holds a NaN or an Inf."""
    for x in (node._data, node._grad):
        x = x._data if isinstance(x, Node) else x
        if x is not None and not np.isfinite(np.asarray(x, dtype=np.float64)).all():
            return True
    return False


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
# Names: a node's label, else the expression it computes from its parents' names.

#: Binding strength of the infix ops in names (higher binds tighter); calls and names are atoms.
_INFIX = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "**": 4}
_SPACED = {"+", "-", "@"}  # `z + b`, `x @ W`; but `w*x`, `u**2`
_ATOM = 5
#: The longest expression used as a name; a longer one gives a numbered name (n1, n2, ...).
MAX_NAME = 16


def _is_scalar_constant(c):
    return not isinstance(c, np.ndarray) or c.ndim == 0


def _wrap(name, prec, need):
    return name if prec >= need else f"({name})"


def _expression(node, operands):
    """The expression `node` computes, from its operands' (name, precedence); (text, precedence)."""
    op = node._op.name
    if op in _INFIX and len(operands) == 2:
        p = _INFIX[op]
        (a, pa), (b, pb) = operands
        left = _wrap(a, pa, p + 1 if op == "**" else p)
        right = _wrap(b, pb, p if op in ("+", "*", "**") else p + 1)
        sep = f" {op} " if op in _SPACED else op
        return f"{left}{sep}{right}", p
    if op == "neg":
        return "-" + _wrap(*operands[0], 3), 3
    if op == "transpose" and node._ctx[-1] is None:
        return _wrap(*operands[0], _ATOM) + ".T", _ATOM
    return f"{op}({', '.join(name for name, _ in operands)})", _ATOM


def _node_names(root, nodes, formulas=None, shown=None):
    """id(node) -> the name a drawing gives it (every node of `nodes` gets one, all distinct).

    A labelled node is named by its label; an unlabelled one by the expression it
    computes from its parents' names and its constants (`w*x`, `z + b`, `relu(z)`,
    `u**2`) when that is at most MAX_NAME characters long, otherwise (and for an
    unlabelled leaf) by a numbered name `n1`, `n2`, ... counted from the inputs.
    Names are given parents first; a name already given gets a suffix (`x#2`,
    `(w*x)#2`), so two nodes never share one and an expression names the very nodes it
    is made of. The same names serve the drawings, the explorer and `explain`. Inside
    a module's frame a box drops the module's prefix (`_within`). `formulas`, a dict if
    given, receives id(node) -> the expression of every op node, however long or labelled.
    `shown`, a set of ids if given (the nodes a drawing cut by max_nodes draws): a node
    with a parent outside it is not named by an expression, which would name a node the
    reader cannot see (`n3*w5` beside the cut), but by a numbered name.
    """
    names = {}
    taken = set()
    # Labels are the user's names: a made-up name (`n1`, an expression) gives way to them.
    labels = {str(n.label) for n in _graph_nodes(root, grad_only=False) if n.label}
    labels.update(str(n.label) for n in nodes if n.label)
    count = 0

    def unique(text, prec, label=False):
        if text in taken or (not label and text in labels):
            base = text if prec >= _ATOM else f"({text})"
            k = 2
            while f"{base}#{k}" in taken:
                k += 1
            text, prec = f"{base}#{k}", _ATOM
        taken.add(text)
        return text, prec

    def leaf_or_label(node):
        nonlocal count
        label = str(node.label)
        if label:
            plain = label.replace(".", "").replace("_", "").isalnum()
            return unique(label, _ATOM if plain else 0, label=True)
        count += 1
        while f"n{count}" in taken or f"n{count}" in labels:
            count += 1
        return unique(f"n{count}", _ATOM)

    wanted = {id(n) for n in nodes}
    for node in reversed(toposort(root)):  # parents before children
        if node._op is None or (node.label and formulas is None):
            names[id(node)] = leaf_or_label(node)
            continue
        operands = []
        for i, p in enumerate(node._parents):
            if p is None:
                c = node._ctx[i + 1]
                text = _num(c) if _is_scalar_constant(c) else "const"
                operands.append((text, 3 if text.startswith("-") else _ATOM))
            else:
                if id(p) not in names:  # a leaf that does not require grad (not in toposort)
                    names[id(p)] = leaf_or_label(p)
                operands.append(names[id(p)])
        text, prec = _expression(node, operands)
        if formulas is not None:
            formulas[id(node)] = text
        cut = shown is not None and any(p is not None and id(p) not in shown for p in node._parents)
        if node.label or len(text) > MAX_NAME or cut:
            names[id(node)] = leaf_or_label(node)
        else:
            names[id(node)] = unique(text, prec)
    for node in nodes:  # the root when it does not require grad
        if id(node) not in names:
            names[id(node)] = leaf_or_label(node)
    return {k: text for k, (text, _) in names.items() if k in wanted}


# ---------------------------------------------------------------------------------------
# Text of the labels (Graphviz HTML-like labels: everything user-given is escaped).


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _escape(text):
    """Text for a Graphviz HTML label: escaped, control characters (\\r, \\x07...) as spaces."""
    return html.escape(_CONTROL.sub(" ", str(text)))


def _num(x, digits=4):
    return f"{float(x):.{digits}g}"


def _array_text(a):
    """Values of a small array, or its mean and norm (3 significant digits)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(a)
    if a.size <= 4:
        return "[" + ", ".join(_num(v, 3) for v in a.ravel()) + "]"
    return f"mean {_num(a.mean(), 3)}, norm {_num(np.linalg.norm(a), 3)}"


def _shape_text(x):
    x = _raw(x)
    dtype = "" if x.dtype == np.float64 else f" {x.dtype}"
    return f"{x.shape}{dtype}"


def _data_text(x):
    x = _raw(x)
    if isinstance(x, np.ndarray):
        return f"{_shape_text(x)}<BR/>{_escape(_array_text(x))}"
    return _num(x)


def _small(text, size=SMALL):
    return f'<FONT POINT-SIZE="{size}">{text}</FONT>'


def _box(rows, fill, border=0):
    """An HTML-like label: rows of (text, background colour or None) cells, one row per list."""
    width = max(len(row) for row in rows)
    out = []
    for row in rows:
        span = f' COLSPAN="{width}"' if len(row) == 1 and width > 1 else ""
        cells = "".join(
            f'<TD{span} BGCOLOR="{color}">{t}</TD>' if color else f"<TD{span}>{t}</TD>"
            for t, color in row
        )
        out.append(f"<TR>{cells}</TR>")
    return (
        f'<<TABLE BORDER="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
        f'BGCOLOR="{fill}">{"".join(out)}</TABLE>>'
    )


def _fill(node):
    if not node.requires_grad:
        return FILL["constant"]
    return FILL["leaf"] if node.is_leaf else FILL["node"]


def _value_rows(node, show_data, show_grad):
    """The data and grad cells of a node's box: one row for a Value, one each for a Tensor."""
    grad_color = GRAD_FILL if node.requires_grad else None
    if not isinstance(node.data, np.ndarray):
        cells = []
        if show_data:
            cells.append((f"data {_num(node.data)}", None))
        if show_grad:
            cells.append(
                (f"grad {_num(_raw(node.grad))}" if node.requires_grad else "no grad", grad_color)
            )
        return [cells] if cells else []
    rows = []
    if show_data:
        rows.append([(f"data {_escape(_array_text(node.data))}", None)])
    if show_grad:
        if not node.requires_grad:
            text = "no grad"
        elif node.grad is None:
            text = "grad none yet"
        else:
            text = f"grad {_escape(_array_text(_raw(node.grad)))}"
        rows.append([(text, grad_color)])
    return rows


def _within(name, module):
    """A name as shown inside its module's frame or box: without the module's prefix."""
    return name[len(module) + 1 :] if module and name.startswith(module + ".") else name


def _node_label(node, name, show_data, show_grad, mark_leaf, is_root):
    title = f"<B>{_escape(name)}</B>"
    if isinstance(node.data, np.ndarray):
        title += "&#160;" + _escape(_shape_text(node.data))
    if mark_leaf and node.is_leaf and node.requires_grad:
        title += "&#160;" + _small("<I>leaf</I>")
    rows = [[(title, None)], *_value_rows(node, show_data, show_grad)]
    return _box(rows, _fill(node), border=2 if is_root else 0)


def _op_text(node):
    """The op's name with the scalar constants it took (`** 2`, `2 **`, `maximum(·, 0)`)."""
    op = node._op.name
    operands = [
        _num(node._ctx[i + 1]) if p is None and _is_scalar_constant(node._ctx[i + 1]) else None
        for i, p in enumerate(node._parents)
    ]
    if not any(c is not None for c in operands):
        return _escape(op)
    if op in _INFIX and len(operands) == 2:
        a, b = operands
        return _escape(f"{op} {b}" if b is not None else f"{a} {op}")
    return _escape(f"{op}({', '.join('·' if c is None else c for c in operands)})")


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
    extra = "".join(f"<BR/>{_small(_escape(t))}" for t in _op_params(node))
    return (
        f'<<TABLE STYLE="ROUNDED" BORDER="1" CELLBORDER="0" CELLPADDING="2" BGCOLOR="{FILL["op"]}">'
        f"<TR><TD><B>{_op_text(node)}</B>{extra}</TD></TR></TABLE>>"
    )


def _constant_label(c):
    return _box([[(_small(f"<I>constant</I> {_data_text(c)}"), None)]], FILL["constant"])


def _d_name(name):
    """A name for use in ∂out/∂in: escaped, in parentheses unless it is one word or a call."""
    atom = re.fullmatch(r"[\w.]+(\(.*\))?(\.T)?", name) is not None
    return _escape(name if atom else f"({name})")


def _whole_grad(c, parent):
    """The edge carries all of `parent`'s gradient (its only use): its box shows it already."""
    g = _raw(parent.grad)
    return isinstance(g, np.ndarray) and np.array_equal(c, g)


def _edge_text(text):
    """An edge label: its lines in a borderless cell whose padding keeps the text clear of
    the edge (Graphviz puts a label's box against its edge) and of its neighbours."""
    return (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{EDGE_PAD}">'
        f"<TR><TD>{text}</TD></TR></TABLE>>"
    )


def _edge_label(node, i, out_name, in_name):
    """Local derivative and the gradient flowing along the backward edge node -> its input i."""
    d = f"∂{_d_name(out_name)}/∂{_d_name(in_name)}"
    g = _raw(node.grad)
    if not isinstance(node.data, np.ndarray):  # a Value: two numbers and their product
        local = _edge_vjp(node, i, np.float64(1.0))
        if local is None:
            return None
        flow = float(g) * float(local)
        return _edge_text(f"{d} = {_num(local)}<BR/>grad {_num(g)} × {_num(local)} = {_num(flow)}")
    out_size, in_size = np.size(node._ctx[0]), np.size(node._ctx[i + 1])
    text = f"{d}: Jacobian {out_size}×{in_size}"
    if g is not None:
        c = _edge_vjp(node, i, g)
        if c is not None and not _whole_grad(c, node._parents[i]):
            text += f"<BR/>grad {_escape(_array_text(c))}"
    return _edge_text(text)


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


def _clusters(root, nodes, owner):
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
    for node in nodes:
        for p in (node, *node._parents):
            if p is not None and id(p) in derived:
                where[id(node)] = derived[id(p)]
                break
    return where


# ---------------------------------------------------------------------------------------
# What to draw: collapsed modules, the box budget, the orientation.


def _folded(where, collapse):
    """id(node) -> the collapsed box it is drawn in (a module name), for `collapse`.

    collapse: None, True (every module), a module name or a list of them; a name
    folds the module of that dotted name and every module inside it.
    Raises ValueError for a name that is no module of the drawing.
    """
    if collapse is None or collapse is False:
        return {}
    modules = {m for m in where.values()}
    if collapse is True:
        return {k: m for k, m in where.items()}
    wanted = [collapse] if isinstance(collapse, str) else list(collapse)
    folded = {}
    for name in wanted:
        if not isinstance(name, str):
            raise TypeError(f"collapse: module names are str, got {type(name).__name__} {name!r}")
        inside = {m for m in modules if m == name or m.startswith(name + ".") or name == ""}
        if not inside:
            known = ", ".join(repr(m) for m in sorted(modules)) or "none (no parameter is named)"
            raise ValueError(f"collapse: no module {name!r} in this graph; its modules: {known}")
        folded.update({k: name for k, m in where.items() if m in inside})
    return folded


def _array_constants(node, forward):
    if not forward or node._op is None:
        return []
    return [
        i
        for i, p in enumerate(node._parents)
        if p is None and not _is_scalar_constant(node._ctx[i + 1])
    ]


def _budget(nodes, folded, forward, max_nodes):
    """What fits in `max_nodes` boxes, nearest the root first.

    Returns (kept, groups, bare): the nodes drawn with their own box (their op box
    and constant boxes too, unless the node is in `bare`), and the collapsed boxes
    drawn. A node costs 1 + its op + its array constants; a collapsed module 1.
    The first node or module that does not fit ends the drawing (the root is
    always drawn, alone if its op does not fit).
    """
    kept, groups, bare, used = [], [], set(), 0
    for node in nodes:
        group = folded.get(id(node))
        if group is not None:
            if group in groups:
                continue
            cost = 1
        else:
            cost = 1 + (node._op is not None) + len(_array_constants(node, forward))
        if max_nodes is not None and used + cost > max_nodes:
            if used == 0 and group is None:  # the root alone; its op is beyond the cut
                kept.append(node)
                bare.add(id(node))
            elif used == 0:
                groups.append(group)
            break
        used += cost
        if group is None:
            kept.append(node)
        else:
            groups.append(group)
    return kept, groups, bare


def _auto_rankdir(drawn, box_of):
    """TB when the drawing is deeper (ranks of boxes) than wide (boxes on one rank), else LR."""
    depth = {}
    # Nearest the root first, a box's rank is one more than its child's (at least: a rank
    # raised later is not passed on to the parents, a cheap estimate of the layout's ranks).
    for node in drawn:
        here = depth.setdefault(box_of(node), 0)
        for p in node._parents:
            if p is not None and box_of(p) is not None and box_of(p) != box_of(node):
                k = box_of(p)
                depth[k] = max(depth.get(k, 0), here + 2)  # the op box sits between
    if not depth:
        return "TB"
    per_rank = Counter(depth.values())
    ranks = max(depth.values()) + 1
    return "TB" if ranks >= max(per_rank.values()) else "LR"


# ---------------------------------------------------------------------------------------
# The drawing.


def draw_graph(
    root,
    direction="forward",
    show_data=True,
    show_grad=True,
    show_local_grad=True,
    rankdir=None,
    max_nodes=None,
    modules=None,
    collapse=None,
    size=COLUMN,
    highlight_nonfinite=False,
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
        (its mean and norm). The numbers are those of the last
        `backward()` (`.grad` accumulates, so two calls show doubled gradients).
    rankdir: Graphviz layout direction "LR", "RL", "TB" or "BT"; None (default)
        picks "TB" when the drawing has more ranks of boxes than boxes side by
        side on one rank (deeper than wide), else "LR".
    max_nodes: draw at most this many boxes (values, ops, constants and collapsed
        modules), the nodes nearest the root first (breadth-first), plus one
        summary box saying how many nodes, ops and constants were left out.
        None draws everything.
    modules: how to group parameters into clusters: None (leaves whose label is
        dotted, such as "layers.0.weight", go in a cluster "layers.0"), an object
        with `named_parameters()` (an `nn.Module`), or a mapping name -> node.
        Each op consuming a parameter (or a node computed from that module's
        parameters alone, such as `weight.T`), and its output, joins that cluster.
    collapse: fold modules into one box each, drawn with the edges to their inputs
        and outputs: True for every module, or a dotted module name (or a list of
        them); a name folds that module with every module inside it
        ("layers" folds "layers.0" and "layers.2" into one box).
    size: the largest drawing in inches, Graphviz's "width,height" (a bigger
        drawing is scaled down to fit); the default fits a notebook column 800
        pixels wide. None leaves the natural size.
    highlight_nonfinite: outline (thick, orange) every node whose `.data` or `.grad`
        holds a NaN or an Inf: where a bad value appears (see `detect_anomaly` to stop
        at the op making it).

    Names: a node shows its label, or else the expression it computes from its
    parents' names when that is short (`w*x`, `z + b`, `relu(z)`), or else a
    numbered name (`n3`); backward edges are labelled with these names (`∂a/∂z`).

    Returns a `graphviz.Digraph`; `.source` is its DOT text, and in Jupyter it
    displays inline. Building it needs no Graphviz program; rendering does.
    Raises TypeError if `root` is not a Value or Tensor, ValueError for an
    unknown direction or rankdir, a max_nodes below 1 or a collapse naming no
    module of the graph.
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph needs a Value or Tensor, got {type(root).__name__} {root!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if rankdir is not None and rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS} or None, got {rankdir!r}")
    if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")

    forward = direction != "backward"
    backward = direction != "forward"
    nodes = _graph_nodes(root, grad_only=not forward)
    owner, titles = _module_of_params(nodes, modules)
    where = _clusters(root, nodes, owner)
    folded = _folded(where, collapse)
    kept, groups, bare = _budget(nodes, folded, forward, max_nodes)
    ids = {id(n): f"n{k}" for k, n in enumerate(kept)}
    group_ids = {m: f"module{k}" for k, m in enumerate(groups)}
    for node in nodes:
        if folded.get(id(node)) in group_ids:
            ids[id(node)] = group_ids[folded[id(node)]]
    # Cut by max_nodes: no name refers to a node left out.
    names = _node_names(root, nodes, shown=None if max_nodes is None else set(ids))
    summary = "not_drawn"  # the id of the note summing up what max_nodes left out

    def box_of(node):
        return ids.get(id(node))

    if rankdir is None:
        rankdir = _auto_rankdir(kept + [n for n in nodes if folded.get(id(n)) in group_ids], box_of)

    import graphviz  # loaded on the first drawing, not with the package

    g = _drawing_class()("autograd_lite", comment=f"{direction} graph")
    g.attr(rankdir=rankdir, fontname=FONT, nodesep="0.15", ranksep="0.25")
    if size is not None:
        g.attr(size=size)
    g.attr("node", fontname=FONT, fontsize=str(FONT_SIZE), shape="plaintext", margin="0")
    g.attr("edge", fontname=FONT, fontsize=str(EDGE_FONT_SIZE), arrowsize="0.6")
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
    to_summary = False
    edges = set()  # unlabelled edges into the summary or a folded module: drawn once
    folded_boxes = set(group_ids.values())

    def edge(tail, head, label=None, once=False, **attrs):
        if once and label is None:
            if (tail, head, bool(attrs)) in edges:
                return
            edges.add((tail, head, bool(attrs)))
        g.edge(tail, head, label=label, **attrs)

    def inputs(node, target):
        """Edges between `node`'s inputs and `target` (its op box, or its folded module's box)."""
        nonlocal to_summary
        for i, p in enumerate(node._parents):
            if p is None or (not forward and not p.requires_grad):
                continue
            pid = ids.get(id(p))
            if pid == target:  # inside the same folded module
                continue
            if pid is None:
                to_summary = True
                pid = summary
            once = pid == summary or target in folded_boxes  # one edge, however many uses
            if forward:
                edge(pid, target, once=once)
            if backward and p.requires_grad:
                label = None
                if show_local_grad and pid != summary:
                    label = _edge_label(node, i, names[id(node)], names[id(p)])
                edge(target, pid, label, once=once, **bwd)

    for node in kept:
        nid = ids[id(node)]
        mark = backward
        outline = {}
        if highlight_nonfinite and _nonfinite(node):
            outline = {"shape": "box", "color": NONFINITE_COLOR, "penwidth": "3"}
        home(node).node(
            nid,
            _node_label(
                node,
                _within(names[id(node)], where.get(id(node))),
                show_data,
                show_grad,
                mark,
                node is root,
            ),
            **outline,
        )
        if node._op is None:
            continue
        if id(node) in bare:  # only the root, when max_nodes leaves no room for its op
            to_summary = True
            if forward:
                edge(summary, nid)
            if backward:
                edge(nid, summary, **bwd)
            continue
        oid = f"{nid}_op"
        # An op's inputs side by side in argument order (x before y in x*y): left to
        # itself, dot may swap two leaves, crossing their edges and stacking the backward
        # edges' labels between the crossing lines. Only between distinct inputs, and not
        # where modules' clusters place the boxes already (both constraints together, or
        # an order among an input's own edges, cross edges).
        parents = [p for p in node._parents if p is not None]
        distinct = len({id(p) for p in parents}) == len(parents) > 1
        outside = all(where.get(id(n)) is None for n in (node, *parents))
        order = {"ordering": "in"} if forward and distinct and outside else {}
        home(node).node(oid, _op_label(node), **order)
        if forward:
            g.edge(oid, nid)  # forward edges keep the default style: solid black
        if backward:
            g.edge(nid, oid, **bwd)
        for i in _array_constants(node, forward):
            cid = f"{oid}_c{i}"
            g.node(cid, _constant_label(node._ctx[i + 1]))
            g.edge(cid, oid)
        inputs(node, oid)

    for module in groups:
        gid = group_ids[module]
        members = [n for n in nodes if ids.get(id(n)) == gid]
        used_outside = {
            id(p) for n in nodes if ids.get(id(n)) != gid for p in n._parents if p is not None
        }
        outputs = [n for n in members if n is root or id(n) in used_outside]
        title = titles.get(module, module) or type(root).__name__
        label = _module_label(
            module,
            title,
            members,
            outputs,
            names,
            show_data,
            show_grad,
            any(n is root for n in members),
        )
        g.node(gid, label)
        for node in members:
            if node._op is not None:
                inputs(node, gid)

    if to_summary:
        g.node(
            summary,
            _summary_label(nodes, ids, bare, forward, max_nodes),
            shape="note",
            style="filled",
            fillcolor="#f4f4f4",
            fontsize=str(EDGE_FONT_SIZE),
            margin="0.12,0.06",  # the nodes' default is 0: text would touch the border
        )
    for c in clusters.values():
        g.subgraph(c)
    return g


def draw_dot(root, format="svg", rankdir=None, **options):
    """`draw_graph` under the name micrograd's lecture uses: `draw_dot(root)`.

    format: the format the returned `graphviz.Digraph` renders to with
    `.render()` ("svg", "png", ...); rankdir and the other options are
    `draw_graph`'s. Raises what `draw_graph` raises.
    """
    drawing = draw_graph(root, rankdir=rankdir, **options)
    drawing.format = format
    return drawing


def _module_label(module, title, members, outputs, names, show_data, show_grad, is_root):
    """A collapsed module's box: its title, parameters and ops, and its outputs' values."""
    params = [n for n in members if n.is_leaf]
    ops = Counter(n.op for n in members if n._op is not None)
    rows = [[(f"<B>{_escape(title)}</B> {_small('<I>collapsed</I>')}", None)]]
    if params:
        shown = [_within(names[id(p)], module) for p in params]
        shapes = [
            f"{name} {_shape_text(p.data)}" if isinstance(p.data, np.ndarray) else name
            for name, p in zip(shown, params)
        ]
        rows.append([(_small(_escape("parameters: " + ", ".join(shapes))), None)])
    if ops:
        text = ", ".join(op if k == 1 else f"{op} ×{k}" for op, k in ops.items())
        rows.append([(_small(_escape("ops: " + text)), None)])
    for out in outputs:
        rows.append([(f"out <B>{_escape(names[id(out)])}</B>", None)])
        rows += _value_rows(out, show_data, show_grad)
    return _box(rows, FILL["module"], border=2 if is_root else 0)


def _summary_label(nodes, ids, bare, forward, max_nodes):
    """The summary box: how many nodes, ops and constants `max_nodes` left out."""
    rest = [n for n in nodes if id(n) not in ids]
    ops = Counter(n.op for n in rest if n._op is not None)
    ops.update(n.op for n in nodes if id(n) in bare)
    leaves = sum(1 for n in rest if n._op is None)
    constants = sum(len(_array_constants(n, forward)) for n in rest)
    top = ", ".join(f"{_escape(name)} ×{count:,}" for name, count in ops.most_common(6))
    top = f" ({top}, ...)" if len(ops) > 6 else f" ({top})" if ops else ""
    consts = f", {constants:,} constants" if constants else ""
    return (
        f"<<B>{len(rest):,} more nodes not drawn</B>&#160;(max_nodes={max_nodes})<BR/>"
        f"{sum(ops.values()):,} ops{top}, {leaves:,} leaves{consts}>"
    )


# ---------------------------------------------------------------------------------------
# Files.


def save_graph(root, path, **options):
    """Draw `root` (see `draw_graph`, which takes the same options) and write it to `path`.

    The format comes from the suffix: .svg, .png, .pdf (rendered by the Graphviz
    `dot` program) or .dot (the DOT source, needs no program). Without `dot`, an
    .svg is laid out by autograd_lite instead (`layered.svg_without_graphviz`: the
    same boxes and labels, a plainer layout) and a GraphvizNotFoundWarning says how
    to install Graphviz. Missing parent folders are created once the drawing is
    rendered. The file is written to a temporary file next to it and moved into
    place, so `path` is either the whole new drawing or untouched. Returns `path`
    (as a str).
    Raises ValueError for another suffix, GraphvizNotFoundError (saying how to
    install Graphviz) when rendering .png or .pdf without `dot`,
    graphviz.CalledProcessError if `dot` fails; in every case no file is written.
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
            if fmt != "svg":
                raise GraphvizNotFoundError(_INSTALL.format(fmt=suffix)) from e
            from .layered import svg_without_graphviz

            data = svg_without_graphviz(drawing)
            warnings.warn(_LAID_OUT_HERE.format(path=path), GraphvizNotFoundWarning, stacklevel=2)
    atomic_write(path, lambda f: f.write(data))
    return path
