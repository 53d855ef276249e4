"""Tests of autograd_lite.viz: structure of the drawings, the numbers on them, real SVG renders.

Rendering tests need the Graphviz `dot` program (`make test` installs it where it can); without
it they are skipped, saying why (`pytest -rs`).
"""

import html
import importlib.util
import math
import os
import pathlib
import re
import warnings
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.demo import examples
from autograd_lite.demo.demo import backprop_graph
from autograd_lite.viz import GraphvizNotFoundError, draw_graph, save_graph
from autograd_lite.viz import drawing as viz

from .helpers import DOT_MISSING, needs_dot

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def render(drawing):
    """Render with the real `dot` and parse the SVG: nodes {id: text}, edges [(tail, head, ...)]."""
    root = ET.fromstring(drawing.pipe(format="svg"))
    nodes, edges, clusters = {}, [], {}
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title").text if g.find(SVG + "title") is not None else ""
        text = " ".join(" ".join(t.text.split()) for t in g.iter(SVG + "text") if t.text)
        kind = g.get("class")
        if kind == "node":
            nodes[title] = text
        elif kind == "cluster":
            clusters[title] = text
        elif kind == "edge":
            path = g.find(SVG + "path")
            tail, head = title.split("->")
            edges.append(
                {
                    "tail": tail,
                    "head": head,
                    "label": text,
                    "dashed": path.get("stroke-dasharray") is not None,
                    "color": path.get("stroke"),
                }
            )
    return nodes, edges, clusters


def backprop_example(inputs=None):
    """The backprop example (`examples.BACKPROP`): z = w.x + b, a = relu(z), L = (a - y)^2.

    inputs: None (the x are raw numbers) or "nodes" (labelled constants x1, x2, x3 and
    weights w1, w2, w3, as notebook 5 draws it). Returns w, b, z, a and L after L.backward().
    """
    ex = examples.BACKPROP
    first = 0 if inputs is None else 1
    w = [Value(wi, label=f"w{i + first}") for i, wi in enumerate(ex.w)]
    xs = ex.x
    if inputs == "nodes":
        xs = [Value(v, label=f"x{i + 1}", requires_grad=False) for i, v in enumerate(ex.x)]
    b = Value(ex.b, label="b")
    z = (
        sum((wi * xi for wi, xi in zip(w, xs)), b)
        if inputs is None
        else (w[0] * xs[0] + w[1] * xs[1] + w[2] * xs[2] + b)
    )
    z.label = "z"
    a = z.relu()
    a.label = "a"
    loss = (a - ex.y) ** 2
    loss.label = "L"
    loss.backward()
    return w, b, z, a, loss


def numbers(text):
    return [float(s) for s in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


# ---- structure ----------------------------------------------------------------------------


@needs_dot
def test_node_used_twice_is_drawn_once_with_two_edges():
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    y.backward()
    nodes, edges, _ = render(draw_graph(y))
    assert len(nodes) == 3  # a, y, one "*" op
    ids = {text.split()[0]: nid for nid, text in nodes.items()}
    assert ids.keys() == {"a", "y", "*"}
    assert sum(e["tail"] == ids["a"] and e["head"] == ids["*"] for e in edges) == 2
    assert [(e["tail"], e["head"]) for e in edges if e["tail"] == ids["*"]] == [
        (ids["*"], ids["y"])
    ]
    assert "grad 6" in nodes[ids["a"]] and "data 9" in nodes[ids["y"]]


@needs_dot
def test_forward_backward_and_both_edges():
    *_, loss = backprop_example()
    fwd = render(draw_graph(loss, direction="forward"))[1]
    bwd_nodes, bwd, _ = render(draw_graph(loss, direction="backward"))
    both = render(draw_graph(loss, direction="both"))[1]
    assert fwd and not any(e["dashed"] for e in fwd)
    assert bwd and all(e["dashed"] and e["color"] == "#c0392b" for e in bwd)
    # Backward edges are the forward edges between nodes that require grad, reversed.
    pairs = {(e["tail"], e["head"]) for e in fwd}
    assert all((e["head"], e["tail"]) in pairs for e in bwd)
    assert len(bwd) == 9 + 12  # 9 ops: output -> op for each, op -> input for 12 inputs
    solid = [e for e in both if not e["dashed"]]
    dashed = [e for e in both if e["dashed"]]
    assert len(solid) == len(fwd) and len(dashed) == len(bwd)
    # Backward drawings leave out the 5 raw constants (x0, x1, x2, y, 2): 13 values + 9 ops.
    assert len(bwd_nodes) == 13 + 9


def test_each_node_and_op_appears_once_in_the_source():
    *_, loss = backprop_example()
    src = draw_graph(loss, direction="both").source
    node_lines = re.findall(r"^\s*(\w+) \[label=", src, flags=re.MULTILINE)
    # values and ops; the raw numbers (x0, x1, x2, y, 2) are written in their ops' boxes
    assert len(node_lines) == len(set(node_lines)) == 13 + 9


def test_shared_interior_nodes_are_declared_once():
    a = Value(1.5, label="a")
    b = a + a
    b.label = "b"
    c = b * b
    c.label = "c"
    d = c + c
    d.backward()
    src = draw_graph(d, direction="both").source
    declared = re.findall(r"^\s*(\w+) \[label=", src, flags=re.MULTILINE)
    assert len(declared) == len(set(declared)) == 4 + 3  # a, b, c, d and three ops
    b_id = re.search(r"^\s*(\w+) \[label=<<TABLE[^\n]*<B>b</B>", src, flags=re.MULTILINE).group(1)
    assert (
        len(re.findall(rf"^\s*{b_id} -> \w+_op\b", src, flags=re.MULTILINE)) == 2 + 1
    )  # 2 uses + bwd
    assert src.count("∂c/∂b = 3<BR/>grad 2 × 3 = 6") == 2  # dd/dc = 2, dc/db = b on each use


def test_constant_nodes_are_drawn_forward_but_not_backward():
    w = Value(2.0, label="w")
    x = Value(3.0, label="x", requires_grad=False)
    y = w * x
    y.backward()
    forward = draw_graph(y).source
    backward = draw_graph(y, direction="backward").source
    assert "<B>x</B>" in forward and "no grad" in forward
    assert "<B>x</B>" not in backward and "not drawn" not in backward
    assert backward.count("->") == 2  # y -> op -> w


# ---- the numbers on the edges -------------------------------------------------------------


@needs_dot
def test_backward_edges_carry_local_derivative_and_flowing_gradient():
    w, _, z, _, loss = backprop_example()
    nodes, edges, _ = render(draw_graph(loss, direction="backward"))
    ids = {text.split()[0]: nid for nid, text in nodes.items() if "data" in text}
    labels = {e["head"]: e["label"] for e in edges if e["label"]}
    for i, xi in enumerate([1.5, -0.5, 2.0]):
        # dz/dw_i = x_i multiplies the gradient arriving at w_i * x_i (equal to dL/dz here).
        text = labels[ids[f"w{i}"]]
        local, g, local2, flow = numbers(text.split("=", 1)[1])
        assert f"/∂w{i}" in text
        assert local == local2 == xi
        assert math.isclose(g, z.grad, rel_tol=1e-3)
        assert math.isclose(flow, w[i].grad, rel_tol=1e-3)
    relu_edge = labels[ids["z"]]
    assert relu_edge.startswith("∂a/∂z = 1 ")
    assert nodes[ids["w0"]].split()[:2] == ["w0", "leaf"]
    assert "leaf" not in nodes[ids["z"]]


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda v: v.exp(), 0.7),
        (lambda v: v.log(), 1.3),
        (lambda v: v.tanh(), -0.4),
        (lambda v: v.sigmoid(), 0.9),
        (lambda v: v.sin(), 2.0),
        (lambda v: v**3, 1.2),
        (lambda v: 2**v, 0.5),
        (lambda v: 1 / v, -1.7),
        (lambda v: v.sqrt(), 2.5),
    ],
)
def test_local_derivative_matches_central_difference(fn, x):
    v = Value(x, label="x")
    y = fn(v)
    y.backward()
    label = re.search(r"->\s*n1 \[label=<(.*)>", draw_graph(y, direction="backward").source)
    text = re.sub(r"<[^>]*>", " ", label.group(1))  # the label's text, without its table
    local = numbers(text.split("=", 1)[1])[0]
    h = 1e-6
    fd = (fn(Value(x + h)).data - fn(Value(x - h)).data) / (2 * h)
    assert math.isclose(local, fd, rel_tol=2e-3)  # labels carry 4 significant digits


_UNARY = [lambda v: v.tanh(), lambda v: v.sin(), lambda v: v.sigmoid(), lambda v: (v * v + 1).log()]
_BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a / (b * b + 1)]


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(st.floats(-2, 2), min_size=2, max_size=3),
    steps=st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=12,
    ),
)
def test_edge_gradients_add_up_to_every_grad(xs, steps):
    """The chain rule on the picture: the flows into a node sum to its .grad (shared nodes too)."""
    nodes = [Value(x) for x in xs]
    for kind, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(_UNARY[kind](a) if kind < 4 else _BINARY[kind - 4](a, b))
    root = nodes[-1]
    root.backward()
    total = {}
    for node in viz._graph_nodes(root, grad_only=True):
        for k, p in enumerate(node.parents):
            if p is not None and node.op:
                flow = node.grad * viz._edge_vjp(node, k, np.float64(1.0))
                total[id(p)] = total.get(id(p), 0.0) + flow
    for node in viz._graph_nodes(root, grad_only=True)[1:]:
        assert math.isclose(total[id(node)], node.grad, rel_tol=1e-9, abs_tol=1e-12)


def test_local_derivative_follows_conventions_at_kinks():
    v = Value(0.0, label="x")
    y = v.relu()
    y.backward()
    assert "∂relu(x)/∂x = 0<BR/>grad 1 × 0 = 0" in draw_graph(y, direction="backward").source
    v = Value(0.0, label="x")
    y = v.log()  # a pole: the local derivative 1/x is inf (IEEE), not an exception
    y.backward()
    assert "∂log(x)/∂x = inf<BR/>grad 1 × inf = inf" in draw_graph(y, direction="backward").source


def test_tensor_edges_show_jacobian_size_and_vjp_summary():
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, label="x")
    w = Tensor([0.5, -1.0, 2.0], requires_grad=True, label="w")
    h = x @ w  # (2,)
    h.label = "h"
    out = h.sum()
    out.backward()
    src = draw_graph(out, direction="both").source
    # Each input is used once: its edge carries all of its .grad, which its box shows.
    assert "∂h/∂x: Jacobian 2×6</TD>" in src
    assert "∂h/∂w: Jacobian 2×3</TD>" in src
    assert "grad [5, 7, 9]" in src  # w.grad = column sums of x, in w's box
    assert np.allclose(w.grad.data, [5.0, 7.0, 9.0])
    assert "<B>x</B>&#160;(2, 3)" in src and "data mean 3.5, norm 9.54" in src
    assert "<B>sum</B>" in src
    # Used twice, a node receives a part of its .grad along each edge: the edge shows it.
    v = Tensor([1.0, -2.0], requires_grad=True, label="v")
    s = (v * v * 3.0).sum()
    s.backward()
    src = draw_graph(s, direction="backward").source
    assert src.count("∂(v*v)/∂v: Jacobian 2×2<BR/>grad [3, -6]") == 2 and "grad [6, -12]" in src


def test_op_parameters_appear_in_the_op_label():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x.sum(axis=1).reshape(1, 2)
    src = draw_graph(y).source
    assert "axis=1" in src and "shape=(1, 2)" in src and "keepdims" not in src


def test_higher_order_grads_and_unrun_backward_are_drawn():
    x = Value(2.0, label="x")
    y = x**3
    y.backward(create_graph=True)
    dx = x.grad  # a Value with history: 3 x^2
    assert isinstance(dx, Value)
    src = draw_graph(dx, direction="both").source
    assert "data 12" in src
    t = Tensor(np.ones(3), requires_grad=True) * 2.0
    assert "grad none yet" in draw_graph(t).source


def test_labels_are_escaped():
    v = Value(1.0, label="<b>&</b>")
    src = draw_graph(v * 2).source
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in src and "<b>&</b>" not in src


# ---- clusters --------------------------------------------------------------------------------


def two_layer_net():
    """A Tensor MLP whose parameters carry dotted labels, as nn names them."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)), label="x")
    params = {
        "layers.0.weight": Tensor(rng.normal(size=(3, 5)), requires_grad=True),
        "layers.0.bias": Tensor(np.zeros(5), requires_grad=True),
        "layers.1.weight": Tensor(rng.normal(size=(5, 2)), requires_grad=True),
        "layers.1.bias": Tensor(np.zeros(2), requires_grad=True),
    }
    for name, p in params.items():
        p.label = name
    h = (x @ params["layers.0.weight"] + params["layers.0.bias"]).relu()
    loss = ((h @ params["layers.1.weight"] + params["layers.1.bias"]) ** 2).mean()
    loss.backward()
    return params, loss


@needs_dot
def test_parameters_and_their_ops_are_clustered_by_label_prefix():
    _, loss = two_layer_net()
    drawing = draw_graph(loss, direction="both")
    nodes, _, clusters = render(drawing)
    assert sorted(clusters.values()) == ["layers.0", "layers.1"]
    # Each cluster holds its two parameters, its "@" and "+" ops and their outputs.
    bodies = re.findall(r"subgraph cluster_\d+ \{(.*?)\n\t\}", drawing.source, flags=re.DOTALL)
    assert len(bodies) == 2
    for body in bodies:
        # inside their module's box, parameters are named without its prefix
        assert re.search(r"label=<<B>layers\.\d</B>>", body)
        assert "<B>weight</B>" in body and "<B>bias</B>" in body
        assert body.count("<B>@</B>") == 1 and body.count("<B>+</B>") == 1
        assert "relu" not in body and "<B>x</B>" not in body
    assert len(nodes) == 12 + 7  # Tensors and ops; the exponent 2 is in its op's box


def test_modules_mapping_and_module_objects_name_the_clusters():
    params, loss = two_layer_net()
    for p in params.values():
        p.label = ""
    assert "cluster" not in draw_graph(loss).source
    mapped = draw_graph(loss, modules={"enc.w": params["layers.0.weight"]}).source
    assert mapped.count("subgraph cluster") == 1 and "<B>enc</B>" in mapped

    class Linear:
        def __init__(self, w):
            self.w = w

        def named_parameters(self):
            yield "w", self.w

        def named_modules(self):
            yield "", self

    src = draw_graph(loss, modules=Linear(params["layers.1.weight"])).source
    assert src.count("subgraph cluster") == 1 and "<B>Linear</B>" in src
    with pytest.raises(TypeError, match="'a.w' is a float"):
        draw_graph(loss, modules={"a.w": 1.0})


def test_ops_on_a_transposed_weight_join_its_cluster():
    x = Tensor(np.ones((2, 3)), label="x")
    weight = Tensor(np.ones((4, 3)), requires_grad=True, label="fc.weight")  # (out, in)
    y = (x @ weight.T).relu()  # as nn.Linear computes it, then an activation outside
    body = re.search(r"subgraph cluster_0 \{(.*?)\n\t\}", draw_graph(y).source, flags=re.DOTALL)
    assert "<B>transpose</B>" in body.group(1) and "<B>@</B>" in body.group(1)
    assert "relu" not in body.group(1) and "<B>x</B>" not in body.group(1)


def test_cluster_names_skip_list_indices_and_follow_named_modules():
    w = [Value(0.5 + k, label=f"layers.0.neurons.1.w.{k}") for k in range(2)]
    b = Value(0.1, label="layers.0.neurons.1.b")
    out = w[0] * 2.0 + w[1] * 3.0 + b
    src = draw_graph(out).source
    assert src.count("subgraph cluster") == 1 and "<B>layers.0.neurons.1</B>" in src

    class Neuron:
        def named_parameters(self):
            return [("w.0", w[0]), ("w.1", w[1]), ("b", b)]

        def named_modules(self):
            return [("", self)]

    src = draw_graph(out, modules=Neuron()).source
    assert src.count("subgraph cluster") == 1 and "<B>Neuron</B>" in src


# ---- size: max_nodes and deep graphs -----------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("max_nodes", [1, 2, 3, 10, 200])
def test_max_nodes_bounds_every_box_drawn_and_says_what_was_left_out(max_nodes):
    x = Value(0.5, label="x")
    y = x
    for _ in range(5000):  # 10,001 values, 10,000 ops, 5,000 constants (1.01, in the * boxes)
        y = y.tanh() * 1.01
    y.backward()
    nodes, edges, _ = render(draw_graph(y, direction="both", max_nodes=max_nodes))
    summary = [t for t in nodes.values() if "not drawn" in t]
    assert len(summary) == 1 and len(nodes) <= max_nodes + 1  # every box counts, ops too
    values = [t for t in nodes.values() if "data" in t]
    ops = len(nodes) - len(values) - 1
    # a value and its op (2 boxes) at a time; the root alone when one box is all there is
    assert len(values) == max(1, max_nodes // 2) and ops == max_nodes // 2
    left = 10_001 - len(values)
    assert f"{left:,} more nodes not drawn (max_nodes={max_nodes})" in summary[0]
    assert f"{10_000 - ops:,} ops (" in summary[0] and "1 leaves" in summary[0]
    assert any(e["head"] == "not_drawn" and e["dashed"] for e in edges)
    assert any(e["tail"] == "not_drawn" and not e["dashed"] for e in edges)


def test_max_nodes_counts_array_constants_and_modules():
    x = Tensor(np.ones(3), requires_grad=True, label="x")
    y = ((x * np.array([1.0, 2.0, 3.0])).exp() * np.arange(3.0)).sum()
    y.backward()
    src = draw_graph(y, max_nodes=6).source  # y, sum, n, *, const: 5; exp(...) and its op: 7
    boxes = re.findall(r"^\s*(\w+) \[label=", src, flags=re.MULTILINE)
    assert len(boxes) == 5 + 1 and "not_drawn" in boxes
    assert "constant</I> (3,)" in src
    assert "3 more nodes not drawn</B>&#160;(max_nodes=6)" in src
    assert "<BR/>2 ops (exp ×1, * ×1), 1 leaves, 1 constants" in src


@pytest.mark.parametrize("deep_first", [True, False])
def test_max_nodes_keeps_nodes_nearest_the_root_first(deep_first):
    x = Value(0.5, label="x")
    deep = x
    for _ in range(50):
        deep = deep.sin()
    near = Value(2.0, label="near")
    y = deep + near * 3 if deep_first else near * 3 + deep
    src = draw_graph(y, max_nodes=9).source  # y, +, sin(...), sin, near*3, *, sin(...), sin, near
    assert "<B>near</B>" in src  # two steps from the root, while the deep chain is cut
    assert "<B>x</B>" not in src and "49 more nodes not drawn" in src


@pytest.mark.parametrize("max_nodes", [3, 5, 8, 12])
def test_a_cut_drawing_names_no_node_it_does_not_draw(max_nodes):
    """A box drawn beside the cut is not named by an expression of nodes left out
    (`n3*w5` with neither n3 nor w5 drawn): it gets a numbered name of its own."""
    h = Value(0.3, label="x")
    for i in range(6):
        h = (h * Value(0.5 + i / 10, label=f"w{i}") + Value(0.0, label=f"b{i}")).tanh()
    h.label = "f"
    h.backward()
    source = draw_graph(h, direction="both", max_nodes=max_nodes).source
    drawn = re.findall(r"^\s*n\d+ \[label=<<TABLE[^>]*><TR><TD[^>]*><B>(.*?)</B>", source, re.M)
    assert "more nodes not drawn" in source
    words = {w for name in drawn for w in re.findall(r"[A-Za-z_]\w*", html.unescape(name))}
    assert words - {"tanh"} <= set(drawn), (drawn, words)
    # The note of what was left out keeps its text off its border.
    note = re.search(r"^\s*not_drawn \[(.*)\]$", source, re.M).group(1)
    assert re.search(r'margin="0\.\d*[1-9]', note), note


def test_a_20000_op_chain_gives_dot_source_without_recursion():
    x = Value(0.5, label="x")  # 20 times Python's recursion limit
    y = x
    for _ in range(20_000):
        y = y * 1.0
    src = draw_graph(y, show_data=False, show_grad=False).source
    assert src.count("<B>* 1</B>") == 20_000
    assert "<B>x</B>" in src


# ---- files and rendering -------------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize(
    "suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")]
)
def test_save_graph_renders_by_suffix(tmp_path, suffix, magic):
    *_, loss = backprop_example()
    path = save_graph(loss, tmp_path / f"g{suffix}", direction="both")
    with open(path, "rb") as f:
        assert f.read().startswith(magic)
    assert os.listdir(tmp_path) == [f"g{suffix}"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # as open() would create it


def test_save_graph_dot_writes_the_source(tmp_path):
    *_, loss = backprop_example()
    path = save_graph(loss, str(tmp_path / "new" / "g.dot"), direction="backward")  # makes new/
    with open(path, encoding="utf-8") as f:
        assert f.read() == draw_graph(loss, direction="backward").source


def test_without_dot_png_and_pdf_say_how_to_install_and_write_nothing(tmp_path, monkeypatch):
    *_, loss = backprop_example()
    (tmp_path / "old.png").write_text("previous drawing")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere on PATH
    for name in ["new.png", "old.png", "sub/new.pdf"]:
        with pytest.raises(GraphvizNotFoundError) as info:
            save_graph(loss, tmp_path / name)
        message = str(info.value)
        for how in ["apt-get install graphviz", "brew install graphviz", "conda install graphviz"]:
            assert how in message
    assert sorted(os.listdir(tmp_path)) == ["old.png"]
    assert (tmp_path / "old.png").read_text() == "previous drawing"
    assert isinstance(draw_graph(loss), graphviz.Digraph)
    save_graph(loss, tmp_path / "g.dot")  # needs no program
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "old.png"]


def boxes_of(svg):
    """The rectangles of a picture laid out without Graphviz: (x, y, width, height) of each box."""
    root = ET.fromstring(svg)
    rects = [r for r in root.iter(SVG + "rect") if r.get("stroke") == "black"]
    return [tuple(float(r.get(k)) for k in ("x", "y", "width", "height")) for r in rects]


@pytest.mark.parametrize("which", ["backprop", "mlp", "collapsed"])
@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
def test_without_dot_an_svg_is_laid_out_in_python_with_every_label(
    tmp_path, monkeypatch, which, direction
):
    module = example_drawings()
    root = backprop_graph() if which == "backprop" else module.mlp_example()
    options = {"direction": direction, "collapse": which == "collapsed"}
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere on PATH
    with pytest.warns(viz.GraphvizNotFoundWarning, match="apt-get install graphviz"):
        path = save_graph(root, tmp_path / "g.svg", **options)
    svg = pathlib.Path(path).read_bytes()
    texts = " ".join(t.text for t in ET.fromstring(svg).iter(SVG + "text"))
    drawing = draw_graph(root, **options)
    # Every line of every label of the drawing is in the picture.
    for label in re.findall(r"label=<(.*?)>\]?$", drawing.source, flags=re.MULTILINE):
        for line in re.split(r"<BR/>|</TD>", label):  # each line of each cell
            text = html.unescape(re.sub(r"<[^>]*>", "", line)).strip()
            assert text in texts, text
    # No two boxes overlap (cells of one box share edges, so compare whole boxes: the
    # outermost rectangles), and the picture fits an 800 px column with legible text.
    outer = [b for b in boxes_of(svg) if not any(o != b and _inside(b, o) for o in boxes_of(svg))]
    for k, a in enumerate(outer):
        for b in outer[k + 1 :]:
            assert not _overlap(a, b), (a, b)
    width, text = shown_size_plain(svg)
    assert width <= 800 and text >= 9, (width, text)


def _inside(a, b, tol=0.5):  # coordinates are written to 0.1 point
    return (
        b[0] <= a[0] + tol
        and b[1] <= a[1] + tol
        and a[0] + a[2] <= b[0] + b[2] + tol
        and a[1] + a[3] <= b[1] + b[3] + tol
    )


def _overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def shown_size_plain(svg):
    """shown_size for an SVG whose viewBox alone scales it (no transform)."""
    root = ET.fromstring(svg)
    width_pt = float(root.get("width").removesuffix("pt"))
    scale = width_pt / float(root.get("viewBox").split()[2])
    fonts = [float(t.get("font-size")) for t in root.iter(SVG + "text")]
    width_px = width_pt * 96 / 72
    return min(width_px, 800.0), min(fonts) * scale * 96 / 72 * min(1.0, 800 / width_px)


def test_without_dot_jupyter_still_shows_a_picture(tmp_path, monkeypatch):
    *_, loss = backprop_example()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    bundle = draw_graph(loss, direction="both")._repr_mimebundle_()
    assert (
        "<svg" in bundle["image/svg+xml"] and "laid out by autograd_lite" in bundle["image/svg+xml"]
    )


@needs_dot
def test_jupyter_displays_the_drawing_inline():
    *_, loss = backprop_example()
    bundle = draw_graph(loss)._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]


def test_bad_arguments_raise_clear_errors(tmp_path):
    *_, loss = backprop_example()
    with pytest.raises(ValueError, match="'sideways'"):
        draw_graph(loss, direction="sideways")
    with pytest.raises(ValueError, match="'XY'"):
        draw_graph(loss, rankdir="XY")
    for bad in [0, -3, 2.5, True]:
        with pytest.raises(ValueError, match="max_nodes"):
            draw_graph(loss, max_nodes=bad)
    with pytest.raises(TypeError, match="float"):
        draw_graph(1.5)
    with pytest.raises(ValueError, match=r"'\.jpeg'"):
        save_graph(loss, tmp_path / "g.jpeg")
    assert os.listdir(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    *_, loss = backprop_example()
    (tmp_path / "g.dot").write_text("previous drawing")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_graph(loss, tmp_path / "g.dot")
    assert os.listdir(tmp_path) == ["g.dot"]
    assert (tmp_path / "g.dot").read_text() == "previous drawing"


@needs_dot
def test_example_script_draws_every_picture(tmp_path):
    spec = importlib.util.spec_from_file_location("draw_graphs", EXAMPLES / "draw_graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = module.draw_examples(str(tmp_path / "out"), formats=("svg", "dot"))
    names = sorted(os.path.basename(p) for p in paths)
    assert names == sorted(
        f"{n}.{f}"
        for n in [
            "backprop_forward",
            "backprop_backward",
            "backprop_both",
            "mlp_both",
            "mlp_collapsed",
        ]
        for f in ["svg", "dot"]
    )
    nodes, edges, _ = render(graphviz.Source.from_file(str(tmp_path / "out" / "backprop_both.dot")))
    assert "L data 1.323 grad 1" in nodes.values()
    assert any(e["dashed"] and "∂z/∂b = 1" in e["label"] for e in edges)
    # The very drawings `make demo` writes (the README shows one of them): same graph, names.
    for direction in ("forward", "backward", "both"):
        demo = save_graph(backprop_graph(), tmp_path / f"demo_{direction}.dot", direction=direction)
        script = tmp_path / "out" / f"backprop_{direction}.dot"
        assert script.read_text() == pathlib.Path(demo).read_text(), direction
    mlp = (tmp_path / "out" / "mlp_both.dot").read_text()
    assert mlp.count("subgraph cluster") == 2
    collapsed = (tmp_path / "out" / "mlp_collapsed.dot").read_text()
    assert collapsed.count("collapsed") == 2 and "subgraph cluster" not in collapsed


@needs_dot
def test_labels_with_control_characters_and_non_strings_still_render(tmp_path):
    a = Value(1.0, label="a\r\nb\x07<&>")
    b = Value(2.0, label=5)
    y = a * b
    y.backward()
    path = tmp_path / "ctl.svg"
    save_graph(y, path, direction="both")
    assert "<svg" in path.read_text() and b.label == "5"


def test_a_graph_with_concatenate_or_stack_draws_every_edge():
    # One rule gives every input's cotangent for these ops; each edge shows its own part.
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    for join in (al.concatenate, al.stack):
        parts = (a, b) if join is al.concatenate else (a, a * 2.0)
        y = join(parts).sum()
        y.backward()
        source = draw_graph(y, direction="both").source
        assert source.count("Jacobian") >= 2, source


# ---- what a reader sees: names, constants, orientation, size, collapsed modules ----------------


def shown_size(svg):
    """(width in pixels as shown, smallest text in pixels) when `svg` is put in an 800 px column.

    A drawing wider than the column is scaled down to it, one narrower is shown as it is.
    Graphviz writes sizes in points (1/72 inch; 96 pixels an inch) and, when `size` scales
    the drawing, a scale() transform on its content.
    """
    root = ET.fromstring(svg)
    width_px = float(root.get("width").removesuffix("pt")) * 96 / 72
    box = [float(v) for v in root.get("viewBox").split()]
    transform = root.find(SVG + "g").get("transform")
    scale = float(re.search(r"scale\(([\d.]+)", transform).group(1))
    scale *= float(root.get("width").removesuffix("pt")) / box[2]
    fonts = [float(t.get("font-size")) for t in root.iter(SVG + "text")]
    column = min(1.0, 800 / width_px)
    return min(width_px, 800.0), min(fonts) * scale * 96 / 72 * column


def example_drawings():
    spec = importlib.util.spec_from_file_location("draw_graphs", EXAMPLES / "draw_graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def worked_drawing(which):
    """The root of a worked drawing: the backprop example, the 3-4-2 MLP or notebook 5's."""
    module = example_drawings()
    return {
        "backprop": backprop_graph,
        "mlp": module.mlp_example,
        "notebook5": lambda: backprop_example("nodes")[-1],
    }[which]()


@needs_dot
@pytest.mark.parametrize("which", ["backprop", "mlp", "notebook5"])
@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
def test_drawings_fit_an_800_pixel_column_with_legible_text(which, direction):
    # Before: the MLP's "both" drawing was 6,165 px wide (text 1.4 px high in a column), the
    # backprop example's 1,361 px (6.3 px), notebook 5's 1,443 px (5.9 px).
    root = worked_drawing(which)
    svg = draw_graph(root, direction=direction).pipe(format="svg")
    width, text = shown_size(svg)
    assert width <= 800 and text >= 9, (width, text)
    assert ET.fromstring(svg).get("width") is not None


def test_unlabelled_nodes_are_named_by_the_expression_they_compute():
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-0.25, label="b")
    z = w * x + b
    a = z.relu()
    loss = (a - 0.5) ** 2 + 2**w
    loss.backward()
    src = draw_graph(loss, direction="both").source
    for name in ["w*x", "w*x + b", "relu(w*x + b)", "2**w"]:
        assert f"<B>{html.escape(name)}</B>" in src, name
    assert "<B>n1</B>" in src  # (relu(w*x + b) - 0.5)**2 is too long for a name
    assert "∂(w*x + b)/∂(w*x) = 1<BR/>" in src and "∂(w*x)/∂w = 2<BR/>" in src
    assert "∂relu(w*x + b)/∂(w*x + b) = 1" in src and "∂(2**w)/∂w = " in src
    # Operator precedence: parentheses only where they are needed.
    p, q = Value(1.0, label="p"), Value(2.0, label="q")
    for expr, name in [
        (lambda: (p - (q - p)) * -(p + q) / q**2, "n1/q**2"),  # n1 = (p - (q - p))*-(p + q)
        (lambda: (p + q) * q - p / (q * p), "n1"),  # (p + q)*q - p/(q*p) is too long
        (lambda: (p + q) * q, "(p + q)*q"),
        (lambda: p - (q + p), "p - (q + p)"),
        (lambda: p + (q + p), "p + q + p"),
        (lambda: p / (q * p), "p/(q*p)"),
        (lambda: p ** (q**p), "p**q**p"),
        (lambda: (p**q) ** p, "(p**q)**p"),
        (lambda: (-p) ** 2, "(-p)**2"),
        (lambda: al.exp(p - q), "exp(p - q)"),
        (lambda: Tensor(np.ones((2, 3)), requires_grad=True, label="W").T, "W.T"),
    ]:
        r = expr()
        assert viz._node_names(r, [r])[id(r)] == name


def test_constants_are_written_in_their_op_and_named_constants_drawn_with_their_name():
    x = Value(3.0, label="x")
    c = Value(4.0, label="c", requires_grad=False)
    y = x**2 + 2**x - c * x
    y.backward()
    nodes, _, _ = render(draw_graph(y)) if not DOT_MISSING else ({}, None, None)
    src = draw_graph(y).source
    assert "<B>** 2</B>" in src and "<B>2 **</B>" in src  # the exponent 2 and the base 2
    assert "<B>x**2</B>" in src and "<B>2**x</B>" in src and "<B>c*x</B>" in src
    assert "<B>c</B>" in src and "no grad" in src  # a constant node: its name and value
    boxes = re.findall(r"^\s*(\w+) \[label=", src, flags=re.MULTILINE)
    assert len(boxes) == 2 + 5 + 5  # x, c; five computed values and their five ops
    if nodes:
        assert "c data 4 no grad" in nodes.values()
    t = Tensor(np.ones(3), requires_grad=True, label="t")
    src = draw_graph((t * np.array([1.0, 2.0, 3.0])).sum()).source
    assert "<I>constant</I> (3,)<BR/>[1, 2, 3]" in src and "<B>t*const</B>" in src


def test_mean_is_drawn_as_mean():
    params, loss = two_layer_net()
    src = draw_graph(loss, direction="both").source
    assert "<B>mean</B>" in src and "<B>* 0.125</B>" not in src
    assert src.count("<B>sum</B>") == 0


def test_orientation_follows_the_shape_of_the_graph_unless_given():
    x = Value(0.3, label="x")
    chain = x.sin().exp().tanh()
    xs = [Value(float(k), label=f"x{k}") for k in range(8)]
    assert "rankdir=TB" in draw_graph(chain).source  # 7 ranks of one box: deeper than wide
    assert "rankdir=LR" in draw_graph(al.stack(xs).sum()).source  # 5 ranks, 8 boxes on one
    assert "rankdir=LR" in draw_graph(chain, rankdir="LR").source
    assert 'size="8.33,1000"' in draw_graph(chain).source
    assert "size" not in draw_graph(chain, size=None).source.split("{", 1)[1].split("\n")[1]


@needs_dot
def test_collapse_folds_modules_into_one_box_with_their_inputs_and_outputs():
    module = example_drawings()
    loss = module.mlp_example()
    whole = render(draw_graph(loss, direction="both"))[0]
    nodes, edges, clusters = render(draw_graph(loss, direction="both", collapse=True))
    folded = {k: t for k, t in nodes.items() if "collapsed" in t}
    assert sorted(t.split()[0] for t in folded.values()) == ["0", "2"]  # Sequential's names
    assert not clusters
    # each Linear: its weight, bias, linear op and output become one box
    assert len(nodes) == len(whole) - 2 * 4 + 2
    first = next(k for k, t in folded.items() if t.startswith("0 "))
    assert (
        "parameters: weight (4, 3), bias (4,)" in folded[first] and "ops: linear" in folded[first]
    )
    x = next(k for k, t in nodes.items() if t.startswith("x (5, 3)"))
    relu = next(k for k, t in nodes.items() if t == "relu")
    assert sorted((e["tail"], e["dashed"]) for e in edges if e["head"] == first) == sorted(
        [(x, False), (relu, True)]
    )
    back = [e for e in edges if e["tail"] == relu and e["head"] == first]
    assert back and back[0]["label"].startswith("∂relu(n1)/∂n1: Jacobian 20×20")
    # A name folds the modules inside it too: "layers" is both layers of this net.
    _, net = two_layer_net()
    one = render(draw_graph(net, collapse="layers", max_nodes=7))[0]
    assert sum("collapsed" in t for t in one.values()) == 1 and len(one) <= 7 + 1
    assert any(t.endswith("(max_nodes=7) 0 ops, 1 leaves") for t in one.values())  # x
    assert any(
        "parameters: 1.bias (2,), 1.weight (5, 2), 0.bias (5,), 0.weight (3, 5)" in t
        for t in one.values()
    )


def test_collapse_names_a_module_or_says_which_there_are():
    module = example_drawings()
    loss = module.mlp_example()
    with pytest.raises(ValueError, match=r"no module '1' in this graph; its modules: '0', '2'"):
        draw_graph(loss, collapse="1")
    with pytest.raises(TypeError, match="str"):
        draw_graph(loss, collapse=[0])
    src = draw_graph(loss, collapse=["0"]).source
    assert src.count("collapsed") == 1 and src.count("subgraph cluster") == 1


def test_draw_dot_is_draw_graph_in_micrographs_spelling():
    *_, loss = backprop_example()
    drawing = al.draw_dot(loss)
    assert isinstance(drawing, graphviz.Digraph) and drawing.format == "svg"
    assert drawing.source == draw_graph(loss).source
    assert al.draw_dot(loss, format="png", rankdir="LR").format == "png"


# Helvetica's advance widths (Adobe's AFM, in ems) for the characters of the edge labels; a
# character not listed counts as wide as an "m" (0.833), so a box is never underestimated.
_WIDTHS = {
    **dict.fromkeys("0123456789$abcdeghnopqsuv_#", 0.556),
    **dict.fromkeys("ijl|", 0.222),
    **dict.fromkeys(" ./,:;!ft[]()", 0.278),
    **dict.fromkeys("rxyz-*", 0.5),
    **dict.fromkeys("k", 0.5),
    **dict.fromkeys("+=×<>~", 0.584),
    **dict.fromkeys("wCDHNRU∂", 0.722),
    **dict.fromkeys("ABEKPSVXYT", 0.667),
    **dict.fromkeys("FLJ", 0.611),
    **dict.fromkeys("GOQ", 0.778),
    "I": 0.278,
    "M": 0.833,
    "W": 0.944,
    "Z": 0.611,
}


def _text_box(t):
    """(left, top, right, bottom) of one <text> line, by its anchor, size and characters."""
    size = float(t.get("font-size"))
    width = sum(_WIDTHS.get(c, 0.833) for c in t.text) * size
    x, y = float(t.get("x")), float(t.get("y"))
    left = {"start": x, "middle": x - width / 2, "end": x - width}[t.get("text-anchor", "start")]
    return left, y - 0.75 * size, left + width, y + 0.2 * size


def _path_points(d, steps=24):
    """Points along an SVG path of M, L and C commands (Graphviz's edges and ours)."""
    points, at = [], None
    for command in re.findall(r"[MLC][^MLC]*", d):
        values = [float(v) for v in re.findall(r"-?[\d.]+(?:e-?\d+)?", command[1:])]
        pairs = list(zip(values[::2], values[1::2]))
        if command[0] == "M":
            at = pairs[0]
            points.append(at)
        elif command[0] == "L":
            for q in pairs:
                points += [
                    (at[0] + (q[0] - at[0]) * k / steps, at[1] + (q[1] - at[1]) * k / steps)
                    for k in range(1, steps + 1)
                ]
                at = q
        else:  # cubic Béziers, three points each
            for j in range(0, len(pairs) - 2, 3):
                (x1, y1), (x2, y2), (x3, y3) = pairs[j : j + 3]
                for k in range(1, steps + 1):
                    t = k / steps
                    a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                    points.append(
                        (a * at[0] + b * x1 + c * x2 + e * x3, a * at[1] + b * y1 + c * y2 + e * y3)
                    )
                at = (x3, y3)
    return points


def drawn_geometry(svg):
    """What a rendered drawing shows: its edge labels (the box around each label's lines),
    its node boxes and the points along its edges. Graphviz and autograd_lite's layout both
    write an edge (its path and label) in <g class="edge"> and a box in <g class="node">."""
    root = ET.fromstring(svg)
    labels, nodes, edges = [], [], []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "edge":
            lines = [_text_box(t) for t in g.iter(SVG + "text") if t.text and t.text.strip()]
            if lines:
                labels.append(
                    (
                        min(b[0] for b in lines),
                        min(b[1] for b in lines),
                        max(b[2] for b in lines),
                        max(b[3] for b in lines),
                    )
                )
            for path in g.iter(SVG + "path"):
                edges += _path_points(path.get("d"))
        elif g.get("class") == "node":
            xy = []
            for shape in g.iter():
                coords = shape.get("points") or shape.get("d") or ""
                values = [float(v) for v in re.findall(r"-?[\d.]+", coords)]
                xy += list(zip(values[::2], values[1::2]))
                if shape.tag == SVG + "rect":
                    x, y = float(shape.get("x")), float(shape.get("y"))
                    xy += [(x, y), (x + float(shape.get("width")), y + float(shape.get("height")))]
            if xy:
                xs, ys = [p[0] for p in xy], [p[1] for p in xy]
                nodes.append((min(xs), min(ys), max(xs), max(ys)))
    return labels, nodes, edges


def _boxes_meet(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("which", ["backprop", "mlp", "notebook5"])
@pytest.mark.parametrize("direction", ["backward", "both"])
@pytest.mark.parametrize("layout", ["dot", "python"])
def test_edge_labels_do_not_overlap(tmp_path, monkeypatch, which, direction, layout):
    """Edge labels of a rendered drawing meet no other label, no box and no edge (text at
    least 1.5 pt clear of the lines), laid out by Graphviz or in Python."""
    if layout == "dot" and DOT_MISSING:
        pytest.skip("Graphviz's 'dot' program is not installed")
    if layout == "python":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere on PATH
    root = worked_drawing(which)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", viz.GraphvizNotFoundWarning)
        path = save_graph(root, tmp_path / "g.svg", direction=direction)
    svg = pathlib.Path(path).read_bytes()
    labels, nodes, edges = drawn_geometry(svg)
    assert len(labels) >= 4 and len(nodes) >= 8 and edges
    for k, a in enumerate(labels):
        for b in labels[k + 1 :]:
            assert not _boxes_meet(a, b), ("two labels overlap", a, b)
        for b in nodes:
            assert not _boxes_meet(a, b), ("a label overlaps a box", a, b)
        # with a margin of 1.5 pt around the text: a line touching a letter hides it
        near = (a[0] - 1.5, a[1], a[2] + 1.5, a[3])
        crossing = [p for p in edges if near[0] < p[0] < near[2] and near[1] < p[1] < near[3]]
        assert not crossing, ("an edge runs through a label", a, crossing[:3])


def plain_positions(drawing):
    """Render with `dot` and read its plain output: {node id: (x, y)} of each box's centre."""
    text = drawing.pipe(format="plain").decode()
    return {
        f[1]: (float(f[2]), float(f[3]))
        for f in (line.split() for line in text.splitlines())
        if f[0] == "node"
    }


@needs_dot
@pytest.mark.parametrize("direction", ["forward", "both"])
def test_an_ops_inputs_are_drawn_in_argument_order(direction):
    """sin(x**2) + x*y: x left of y, as in x*y. Swapped, their edges crossed at the top and
    the backward edges' labels stood between the crossing lines."""
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    f = (x**2).sin() + x * y
    f.backward()
    drawing = draw_graph(f, direction=direction)
    ids = dict(
        re.findall(
            r"^\s*(n\d+) \[label=<<TABLE[^>]*><TR><TD[^>]*><B>(\w+)</B>", drawing.source, re.M
        )
    )
    by_name = {name: nid for nid, name in ids.items()}
    at = plain_positions(drawing)
    assert at[by_name["x"]][0] < at[by_name["y"]][0], at


@pytest.mark.parametrize("segment", [(0, 0, 60, 40), (0, 0, -60, 40), (10, 0, 12, 80)])
def test_without_dot_the_spots_beside_a_slanting_edge_clear_it(segment):
    """The first places tried for a label beside its edge, on either side, keep the edge
    clear of the label's corners: measured at the edge's middle only, a slanting edge ran
    through them, and the label went off to a ring of spots far from its edge."""
    from autograd_lite.viz.layered import _crosses, _spots

    width, height = 200.0, 32.0
    for left in (True, False):
        x, y = next(iter(_spots(segment, width, height, left)))
        assert not _crosses((x, y, x + width, y + height), segment), (left, x, y)
