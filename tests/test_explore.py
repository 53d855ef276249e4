"""The backward sweep as the engine runs it: its trace, `explain` (text) and the explorer's data.

The explorer's page in a real browser is tested in tests/test_explore_browser.py; here are
the numbers it is built from, read back from the JSON embedded in the page.
"""

import io
import json
import math
import re

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value, nn
from autograd_lite.core.graph import _sweep, cotangents, toposort
from autograd_lite.demo import examples
from autograd_lite.demo.demo import backprop_graph
from autograd_lite.nn.scalar import MLP
from autograd_lite.viz.explorer import explorer_data, page_data
from autograd_lite.viz.trace import short, trace_backward

from .test_cli import run


def mlp_342():
    """The 3-4-2 MLP of scalar Values (micrograd-style) with a squared-error loss."""
    model = MLP(3, [4, 2], rng=0)
    xs = [Value(v, label=f"x{i}") for i, v in enumerate((0.5, -1.0, 2.0))]
    ys = model(xs)
    loss = (ys[0] - 1.0) ** 2 + (ys[1] + 0.5) ** 2
    loss.label = "loss"
    return model, loss


def graph_of_500():
    """A scalar MLP 4-12-12-1 and its loss: about 500 nodes (constants included)."""
    model = MLP(4, [12, 12, 1], rng=1)
    y = model([Value(v, label=f"x{i}") for i, v in enumerate((0.3, -0.2, 1.0, 0.7))])[0]
    loss = (y - 1.0) ** 2
    loss.label = "loss"
    return model, loss


# ---- the engine's hook --------------------------------------------------------------------


def test_the_sweep_reports_every_edge_in_its_order_with_running_sums():
    x = Value(3.0, label="x")
    y = x * x + x  # three edges meet at x
    seen = []
    grads = _sweep(y, None, False, lambda n, i, p, g, c, total: seen.append((n, i, p, c, total)))
    into_x = [(c, total) for n, i, p, c, total in seen if p is x]
    assert into_x == [(1.0, 1.0), (3.0, 4.0), (3.0, 7.0)]  # 1 + 3 + 3 = dy/dx = 2x + 1
    assert grads[x] == 7.0 and x.grad == 0.0
    order = [n for n in toposort(y) if n._op is not None]
    assert [n for n, *_ in seen] == [order[0], order[0], order[1], order[1]]


# ---- trace_backward ------------------------------------------------------------------------


def test_trace_is_the_engines_sweep_and_leaves_grad_alone():
    loss = backprop_graph()  # after loss.backward(): .grad is set
    leaves = [n for n in toposort(loss) if n.is_leaf]
    before = [n.grad for n in leaves]
    trace = trace_backward(loss)
    assert [s.node for s in trace.steps] == toposort(loss)
    assert [n.grad for n in leaves] == before
    final = {id(s.node): s.cotangent for s in trace.steps}
    assert [final[id(n)] for n in leaves] == cotangents(loss, leaves)
    for step in trace.steps:
        for e in step.edges:  # local x cotangent = contribution, the total adds up
            assert e.contribution == pytest.approx(e.local * step.cotangent, rel=1e-15)
            start = 0.0 if e.before is None else e.before
            assert e.total == start + e.contribution
    by_name = {trace.name(s.node): s.cotangent for s in trace.steps}
    bp = examples.BACKPROP
    got = [by_name[n] for n in ("w0", "w1", "w2", "b")]
    assert got == pytest.approx([*bp.dL_dw, bp.dL_db], rel=1e-12)


def test_trace_of_a_tensor_graph_gives_jacobian_sizes_and_vjps():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = model(Tensor(np.array([1.0, -2.0, 0.5]))).sum()
    trace = trace_backward(out)
    w = model.layers[0].weight
    (edge,) = [e for s in trace.steps for e in s.edges if e.parent is w]
    assert edge.local is None and edge.jacobian == (4, 12)
    assert edge.contribution.shape == (4, 3)
    out.backward()
    np.testing.assert_array_equal(edge.total, w.grad)


def test_trace_refuses_what_backward_refuses():
    with pytest.raises(TypeError, match="Value or Tensor"):
        trace_backward(3.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        trace_backward(Value(1.0, requires_grad=False))
    t = Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises((ValueError, RuntimeError)):
        trace_backward(t)  # three elements: a seed is needed
    assert trace_backward(t, gradient=np.ones(3)).steps[-1].cotangent.tolist() == [2, 2, 2]


# ---- explain -------------------------------------------------------------------------------


def explained(root, **options):
    buf = io.StringIO()
    al.explain(root, file=buf, **options)
    return buf.getvalue()


def test_explain_prints_one_line_per_edge_in_the_engines_order():
    text = explained(backprop_graph())
    lines = text.splitlines()
    assert lines[0].startswith("backward sweep from L = 1.323: 13 nodes")
    steps = re.findall(r"^\s+\d+\. (.+?)\s+\[", text, flags=re.M)
    assert steps[:4] == ["L", "a - 0.2", "a", "z"]
    assert re.search(r"-> w0\s+1\.5 x 2\.3 = 3\.45$", text, flags=re.M)
    assert re.search(r"-> w1\s+-0\.5 x 2\.3 = -1\.15$", text, flags=re.M)
    assert re.search(r"^\s+\d+\. w2\s+\[leaf\]\s+cotangent 4\.6\s+-> \.grad \+= it$", text, re.M)


def drawn_names(root, **options):
    """The names in the value boxes of `root`'s drawing (what a reader sees on them)."""
    source = al.draw_graph(root, **options).source
    return re.findall(r"^\s*n\d+ \[label=<<TABLE[^>]*><TR><TD[^>]*><B>(.*?)</B>", source, re.M)


def test_drawing_explorer_and_explain_name_nodes_alike_and_never_twice():
    loss = backprop_graph()
    trace = trace_backward(loss)
    names = [trace.name(s.node) for s in trace.steps]
    assert names[:7] == ["L", "a - 0.2", "a", "z", "n1", "w0*1.5 + w1*-0.5", "w0*1.5"]
    text = explained(loss)
    assert re.findall(r"^\s+\d+\. (.+?)\s+\[", text, flags=re.M) == names
    assert "(n1 = w0*1.5 + w1*-0.5 + w2*2)" in text  # a numbered name says what it computes
    data = explorer_data(loss)
    by_id = {n["id"]: n["name"] for n in data["nodes"]}
    assert [by_id[s["node"]] for s in data["backward"]] == names
    assert sorted(drawn_names(loss, direction="backward")) == sorted(names)
    # Names that would collide: two leaves labelled x, x*y made twice, a label like a number.
    x, x_again, y = Value(2.0, label="x"), Value(3.0, label="x"), Value(5.0, label="n1")
    u = Value(4.0)  # unlabelled: a numbered name, which must not take the label n1
    out = (x * x_again + x * x_again) * y * u + (x - 0.5) * x
    trace = trace_backward(out)
    names = [trace.name(s.node) for s in trace.steps]
    assert len(set(names)) == len(names) == len(trace.steps)
    assert trace.name(y) == "n1" and trace.name(u) != "n1"
    assert {trace.name(x), trace.name(x_again)} == {"x", "x#2"}
    assert "x - 0.5" in names
    data = explorer_data(out)
    shown = [n["name"] for n in data["nodes"] if n["kind"] != "const"]
    assert len(set(shown)) == len(shown)
    drawn = drawn_names(out, direction="backward")
    assert sorted(drawn) == sorted(names)
    text = explained(out)
    assert re.findall(r"^\s+\d+\. (.+?)\s+\[", text, flags=re.M) == names


def test_explain_shows_the_running_sum_where_edges_meet():
    x = Value(3.0, label="x")
    text = explained(x * x + x)
    assert "sum at x: 1 + 3 = 4" in text and "sum at x: 4 + 3 = 7" in text
    assert re.search(r"x\s+\[leaf\]\s+cotangent 7 ", text)


def test_explain_stops_after_max_steps_and_checks_it():
    _, loss = mlp_342()
    text = explained(loss, max_steps=3)
    assert len(re.findall(r"^\s+\d+\. ", text, flags=re.M)) == 3
    total = len(trace_backward(loss).steps)
    assert f"... {total - 3} more steps (max_steps=3)" in text
    for bad in (0, -1, 2.5, "3"):
        with pytest.raises(ValueError, match="max_steps"):
            al.explain(loss, max_steps=bad)


def test_explain_of_a_tensor_graph_names_the_jacobian():
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="W")
    text = explained((w @ np.ones(3)).sum())
    assert "-> W" in text and "vjp (Jacobian 2x6) = (2, 3)" in text


# ---- the explorer's data -------------------------------------------------------------------


def test_page_data_replays_the_engines_sweep(tmp_path):
    loss = backprop_graph()
    path = al.explore(loss, tmp_path / "sub" / "bp.html")
    html = open(path, encoding="utf-8").read()
    data = page_data(html)
    trace = trace_backward(loss)
    names = {n["id"]: n["name"] for n in data["nodes"]}
    assert [names[s["node"]] for s in data["backward"]] == [trace.name(s.node) for s in trace.steps]
    for s, step in zip(data["backward"], trace.steps):
        assert s["cotangent"]["value"] == step.cotangent
        assert s["cotangent"]["text"] == short(step.cotangent)
        assert [e["contribution"]["value"] for e in s["edges"]] == [
            e.contribution for e in step.edges
        ]
        assert [e["local"]["value"] for e in s["edges"]] == [e.local for e in step.edges]
        # what arrived at the node adds up to its cotangent (checked here, never in the page)
        if s["incoming"]:
            arrived = sum(c["contribution"]["value"] for c in s["incoming"])
            assert arrived == pytest.approx(s["cotangent"]["value"], rel=1e-15)
    ops = [n for n in reversed(toposort(loss)) if n._op is not None]
    assert [names[i] for i in data["forward"]] == [trace.name(n) for n in ops]
    assert data["folded"] == [] and data["clusters"] == []


def test_the_page_is_self_contained():
    html = al.explore(backprop_graph()).html
    assert not re.search(r"\b(src|href)\s*=\s*[\"'](?!data:)", html)  # nothing to fetch
    assert "@import" not in html and "url(" not in html and "<link" in html  # the data: icon
    assert html.count("<script") == 2  # the data and the script, both inline


def test_labels_cannot_break_out_of_the_page():
    x = Value(1.0, label="</script><script>alert(1)</script>\u2028")
    y = x * 2
    y.label = "{{DATA}} <b>"
    html = al.explore(y, title="<i>{{TITLE}}</i>").html
    assert html.count("</script>") == 2 and "alert(1)</script>" not in html
    data = page_data(html)
    assert {n["label"] for n in data["nodes"]} >= {x.label, y.label}
    assert "<title>&lt;i&gt;{{TITLE}}&lt;/i&gt;</title>" in html


def test_nan_and_inf_are_flagged_and_the_json_stays_valid():
    x = Value(0.0, label="x")
    y = x.log() * x  # -inf * 0 = nan
    data = explorer_data(y)
    by = {n["name"]: n for n in data["nodes"]}
    assert by["x"]["data"]["nonfinite"] is False and by["x"]["grad"]["nonfinite"] is True
    assert math.isnan(float(by["x"]["grad"]["value"]))  # as the string 'nan': JSON has no NaN
    assert by["log(x)"]["data"]["value"] == "-inf"
    json.dumps(data, allow_nan=False)


def test_tensors_are_summarised_with_their_shape():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = model(Tensor(np.array([1.0, -2.0, 0.5]))).sum()
    data = explorer_data(out)
    w = next(n for n in data["nodes"] if n["label"] == "0.weight")
    assert w["data"]["shape"] == [4, 3] and "shape (4, 3)" in w["data"]["full"]
    np.testing.assert_array_equal(w["data"]["value"], model[0].weight.data)
    edge = next(e for s in data["backward"] for e in s["edges"] if e["to"] == w["id"])
    assert edge["local"] is None and edge["jacobian"] == [4, 12]
    big = explorer_data((Tensor(np.ones((20, 30)), requires_grad=True) * 2).sum())
    assert all("value" not in n["data"] for n in big["nodes"] if n["data"]["shape"] == [20, 30])


def test_modules_become_nested_clusters_and_a_large_graph_opens_folded():
    _, loss = mlp_342()
    data = explorer_data(loss)
    titles = {c["name"] for c in data["clusters"]}
    assert {"0", "0.neurons.3", "1.neurons.1"} <= titles
    assert "0.neurons" not in titles  # the same nodes as 0
    assert data["folded"] == []  # 95 nodes: shown unfolded
    neuron = next(c["id"] for c in data["clusters"] if c["name"] == "0.neurons.3")
    members = [n for n in data["nodes"] if n["cluster"] == neuron]
    assert {n["op"] for n in members} == {"", "*", "+", "relu"}  # its whole computation
    assert next(n for n in data["nodes"] if n["id"] == data["root"])["cluster"] is None

    _, loss = graph_of_500()
    data = explorer_data(loss)
    assert len(data["nodes"]) >= 500
    folded = set(data["folded"])
    parents = {c["parent"] for c in data["clusters"]}
    assert folded and not folded & parents  # the innermost modules: enough to fit
    assert {data["clusters"][c]["name"] for c in folded} >= {"0.neurons.0", "2"}
    shown = sum(1 for n in data["nodes"] if n["cluster"] not in folded) + len(folded)
    assert shown <= 150


def test_explore_checks_its_arguments_and_writes_nothing_on_error(tmp_path):
    loss = backprop_graph()
    with pytest.raises(TypeError, match="Value or Tensor"):
        al.explore([loss], tmp_path / "a.html")
    with pytest.raises(ValueError, match=r"\.html"):
        al.explore(loss, tmp_path / "a.svg")
    with pytest.raises(ValueError, match="fold_above"):
        al.explore(loss, tmp_path / "a.html", fold_above=0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        al.explore(Value(2.0, requires_grad=False), tmp_path / "a.html")
    assert list(tmp_path.iterdir()) == []


# ---- the command line -----------------------------------------------------------------------


def test_draw_to_html_writes_the_explorer_and_explain_prints_the_sweep(tmp_path):
    target = tmp_path / "graph.html"
    status, out, err = run("draw", "sin(x**2) + x*y", "--at", "x=1.5,y=2", "-o", str(target))
    assert status == 0, err
    assert out.strip() == f"wrote {target} (explorer of sin(x**2) + x*y)"
    data = page_data(target.read_text(encoding="utf-8"))
    x = next(n for n in data["nodes"] if n["label"] == "x")
    assert x["grad"]["value"] == pytest.approx(2 * 1.5 * math.cos(2.25) + 2, rel=1e-14)

    status, out, err = run("explain", "sin(x**2) + x*y", "--at", "x=1.5,y=2")
    assert status == 0, err
    assert re.search(r"-> x +2 x 1 = 2;  sum at x: -1\.885 \+ 2 = 0\.1155$", out, flags=re.M)
    assert re.search(r"^ +4\. x\*y +\[\*\]", out, flags=re.M)  # named by what it computes
    status, out, err = run("explain", "x*x", "--at", "x=3", "--json", "--max-steps", "1")
    record = json.loads(out)
    assert record["total_steps"] == 2 and len(record["steps"]) == 1
    assert [e["total"] for e in record["steps"][0]["edges"]] == [3.0, 6.0]  # x*x: 3, 3 + 3
    status, out, err = run("explain", "x", "--at", "x=1", "--max-steps", "0")
    assert status == 2 and "--max-steps" in err
    status, out, err = run("explain", "2 + 3")
    assert status == 2 and "constant" in err


def test_the_trace_explain_returns_has_a_short_repr():
    """A REPL or notebook echoes `al.explain(...)`'s result: one short line, not every step."""
    loss = backprop_graph()
    trace = al.explain(loss, file=io.StringIO())
    assert repr(trace) == "<SweepTrace: 13 nodes, 12 edges from L>"
    _, big = mlp_342()
    trace = trace_backward(big)
    edges = sum(len(s.edges) for s in trace.steps)
    assert repr(trace) == f"<SweepTrace: {len(trace.steps)} nodes, {edges} edges from loss>"
    assert str(trace) == repr(trace)
