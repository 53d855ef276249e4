"""The explorer as a person sees it: its pages in a real headless Chromium, driven by selenium.

The browser is the system's (scripts/install-browser.sh, run by `make test`), never one
downloaded at run time. Without Chromium, chromedriver or selenium these tests are skipped,
saying which is missing. One browser serves the whole module; each page opens from a file
with the network off, so a page that reached for anything outside itself would fail.
"""

import re
import shutil
import time

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.demo import examples
from autograd_lite.demo.demo import backprop_graph
from autograd_lite.nn.scalar import MLP
from autograd_lite.viz.trace import short, trace_backward

from .test_explore import graph_of_500, mlp_342

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')"
)

BROWSER = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
DRIVER = shutil.which("chromedriver")
if BROWSER is None or DRIVER is None:
    pytest.skip(
        "Chromium and chromedriver are not installed (make test installs them where the "
        "system's package manager can: scripts/install-browser.sh)",
        allow_module_level=True,
    )
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = BROWSER
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    # A laptop's screen, and no network: the page must carry everything it needs.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    yield driver
    driver.quit()


def open_page(browser, root, tmp_path, name="page.html"):
    path = al.explore(root, tmp_path / name)
    browser.get_log("browser")  # drop what an earlier page logged
    browser.get(f"file://{path}")
    return browser


def errors(browser):
    return [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def click(browser, element_id, times=1):
    for _ in range(times):
        browser.find_element("id", element_id).click()


def panel(browser):
    step = browser.find_element("id", "step")
    return step.get_attribute("data-node"), step.text


# What the page shows at this step, read in one round trip: the step counter, the panel's
# text and the cells of its edge rows (the text a person reads there).
SHOWN = """
const step = document.getElementById("step");
return {where: document.getElementById("where").textContent, text: step.innerText,
        rows: [...step.querySelectorAll("tr.edge-row")].map(
            (r) => [...r.cells].map((c) => c.innerText))};
"""


def test_pages_load_without_console_errors(browser, tmp_path, monkeypatch):
    """Offline (the browser's network is off) and without Graphviz (hidden from PATH while
    the pages are written): the page lays the graph out itself."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` (the browser is already running)
    x = al.Value(0.0, label="x")
    for k, root in enumerate([backprop_graph(), mlp_342()[1], graph_of_500()[1], x.log() * x]):
        open_page(browser, root, tmp_path, f"p{k}.html")
        assert browser.find_elements("css selector", "g.node"), "no node drawn"
        for button in ("next", "tobwd", "next"):
            click(browser, button)
        assert errors(browser) == []


# Where the graph's boxes are on the screen, and the view's box and transform.
PLACES = """
const view = document.getElementById("view").getBoundingClientRect();
const boxes = [...document.querySelectorAll("g.node")].map((g) => {
  const r = g.getBoundingClientRect();
  const leaf = g.classList.contains("leaf");
  return {top: r.top, left: r.left, bottom: r.bottom, right: r.right, leaf};
});
return {view: {top: view.top, left: view.left, bottom: view.bottom, right: view.right},
        boxes, dir: document.getElementById("svg").getAttribute("data-dir"),
        transform: document.getElementById("world").getAttribute("transform")};
"""


def test_the_first_view_shows_the_whole_graph_or_its_leaves_readably(browser, tmp_path):
    """At 800 x 1000 (a browser beside a notebook): the backprop example whole, at a
    readable scale; a larger graph from its start (the leaves: top row or left column),
    readable, none of that first row cut off."""
    size = {"width": 800, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", size)
    try:
        for name, root in [
            ("bp", backprop_graph()),
            ("mlp", mlp_342()[1]),
            ("500", graph_of_500()[1]),
        ]:
            open_page(browser, root, tmp_path, f"first_{name}.html")
            browser.save_screenshot(str(tmp_path / f"first_{name}.png"))
            seen = browser.execute_script(PLACES)
            scale = float(re.search(r"scale\(([\d.]+)\)", seen["transform"]).group(1))
            assert scale >= 0.75, (name, seen["transform"])  # 12 px text at least 9 px high
            view, boxes = seen["view"], seen["boxes"]

            def inside(b, view=view):
                near = (view["top"], view["left"], b["bottom"], b["right"])
                far = (b["top"], b["left"], view["bottom"], view["right"])
                return all(a <= c for a, c in zip(near, far))

            if name == "bp":
                assert all(inside(b) for b in boxes), (seen["transform"], view)
                continue
            start = "top" if seen["dir"] == "TB" else "left"
            first = min(b[start] for b in boxes)
            assert first >= view[start], (name, start, seen["transform"])  # nothing cut off
            row = [b for b in boxes if b[start] < first + 5]
            assert any(b["leaf"] and inside(b) for b in row), (name, row)
            assert errors(browser) == []
    finally:
        size.update(width=1280, height=800)
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", size)


def test_stepping_shows_the_engines_numbers_in_the_engines_order(browser, tmp_path):
    loss = backprop_graph()
    trace = trace_backward(loss)
    open_page(browser, loss, tmp_path)
    node, text = panel(browser)
    assert node == "" and text.startswith("Start")
    click(browser, "tobwd")
    seen = []
    for k, step in enumerate(trace.steps):
        if k:
            click(browser, "next")
        shown = browser.execute_script(SHOWN)
        text = shown["text"]
        assert shown["where"] == f"backward {k + 1}/13"
        name = trace.name(step.node)
        seen.append(name)
        assert text.startswith(f"Backward: {name}")
        assert re.search(rf"cotangent arriving: {re.escape(short(step.cotangent))}\b", text) or (
            k == 0 and f"= {short(step.cotangent)}" in text
        )
        assert len(shown["rows"]) == len(step.edges)
        for cells, e in zip(shown["rows"], step.edges):
            assert cells[0].startswith(trace.name(e.parent))
            assert cells[1:4] == [short(e.local), short(step.cotangent), short(e.contribution)]
    assert seen == [trace.name(s.node) for s in trace.steps]
    # The gradients of the worked example, on the page where the sweep passes them on.
    bp = examples.BACKPROP
    click(browser, "reset")
    click(browser, "tobwd")
    texts = []
    for _ in trace.steps:
        texts.append(browser.execute_script(SHOWN)["text"])
        click(browser, "next")
    page = "\n".join(texts)
    for value in (*bp.dL_dw, bp.dL_db):
        assert f"= {short(value)}" in page or f" {short(value)}" in page
    assert re.search(r"w0 \[0\]\s+1\.5\s+2\.3\s+3\.45", page)  # local 1.5 x 2.3 = 3.45


def test_forward_replay_prev_reset_play_and_jump(browser, tmp_path):
    loss = backprop_graph()
    open_page(browser, loss, tmp_path)
    click(browser, "next")
    node, text = panel(browser)
    assert text.startswith("Forward: ") and "gives" in text
    click(browser, "next", 2)
    click(browser, "prev")
    assert browser.find_element("id", "where").text == "forward 2/9"
    click(browser, "reset")
    assert browser.find_element("id", "where").text == "start"
    # jump to a node: its step of the backward sweep
    click(browser, "tobwd")
    Select(browser.find_element("id", "jump")).select_by_visible_text("w2")
    node, text = panel(browser)
    assert text.startswith("Backward: w2 (leaf)") and "4.6" in text
    # clicking a node on the graph jumps too
    browser.find_element("css selector", f'g.node[data-id="{node}"]').click()
    assert panel(browser)[0] == node
    click(browser, "reset")
    click(browser, "play")
    time.sleep(1.2)
    assert browser.find_element("id", "where").text != "start"  # playing moves on
    click(browser, "play")  # pause
    paused = browser.find_element("id", "where").text
    time.sleep(1.0)
    assert browser.find_element("id", "where").text == paused


def test_hover_shows_data_and_gradient_with_shapes(browser, tmp_path):
    model = al.nn.Sequential(al.nn.Linear(3, 4), al.nn.ReLU(), al.nn.Linear(4, 2))
    out = model(al.Tensor(np.array([1.0, -2.0, 0.5]))).sum()
    data = al.explore(out).data
    weight = next(n["id"] for n in data["nodes"] if n["label"] == "0.weight")
    open_page(browser, out, tmp_path)
    box = browser.find_element("css selector", f'g.node[data-id="{weight}"]')
    ActionChains(browser).move_to_element(box).perform()
    tip = browser.find_element("id", "tip").text
    assert "0.weight" in tip and "data: shape (4, 3)" in tip
    assert "grad (this sweep): shape (4, 3)" in tip


def test_modules_fold_and_unfold(browser, tmp_path):
    open_page(browser, graph_of_500()[1], tmp_path)
    folded = browser.find_elements("css selector", "g.node.fold")
    shown = browser.find_elements("css selector", "g.node[data-id]")
    assert len(folded) >= 10 and len(shown) + len(folded) <= 150  # ~500 nodes open folded
    cluster = folded[0].get_attribute("data-cluster")
    folded[0].click()  # unfold one module: the view follows it
    assert len(browser.find_elements("css selector", "g.node.fold")) == len(folded) - 1
    more = browser.find_elements("css selector", "g.node[data-id]")
    assert len(more) > len(shown)
    title = browser.find_element("css selector", f'text.ctitle[data-cluster="{cluster}"]')
    title.click()  # fold it again by its title
    assert len(browser.find_elements("css selector", "g.node.fold")) == len(folded)
    click(browser, "unfoldall")
    assert browser.find_elements("css selector", "g.node.fold") == []
    assert len(browser.find_elements("css selector", "g.node[data-id]")) >= 500
    click(browser, "foldall")
    assert 1 <= len(browser.find_elements("css selector", "g.node.fold")) <= 3
    assert errors(browser) == []


def test_nan_and_inf_are_outlined(browser, tmp_path):
    x = al.Value(0.0, label="x")
    y = x.log() * x
    open_page(browser, y, tmp_path)
    click(browser, "tobwd")
    click(browser, "next", 2)
    bad = browser.find_elements("css selector", "g.node.nonfinite")
    assert bad and any("x" in b.text.split("\n")[0] for b in bad)
    assert "nan" in browser.find_element("id", "step").text


# For every cell of the side panel's edge table: how many lines each of its words (a name, a
# number) takes. A word broken across lines ("w1*-0." / "5") reads as two numbers.
WORD_LINES = """
const out = [];
for (const td of document.querySelectorAll("#step tr.edge-row td")) {
  const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const re = /\\S+/g;
    for (let m = re.exec(t.data); m; m = re.exec(t.data)) {
      const r = document.createRange(); r.setStart(t, m.index); r.setEnd(t, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].map((q) => Math.round(q.top)));
      out.push([m[0], tops.size]);
    }
  }
}
return out;
"""


def at_width(browser, width, height=1000):
    size = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", size)


def test_the_panel_never_breaks_a_name_or_a_number_at_800_px(browser, tmp_path):
    at_width(browser, 800)
    try:
        open_page(browser, backprop_graph(), tmp_path)
        click(browser, "tobwd")
        click(browser, "next", 4)  # n1 = w0*1.5 + w1*-0.5 + w2*2: its input w0*1.5 + w1*-0.5
        words = browser.execute_script(WORD_LINES)
        assert any(w == "w1*-0.5" for w, _ in words), words
        assert [w for w, lines in words if lines > 1] == []
    finally:
        at_width(browser, 1280, 800)


def test_a_scalar_mlp_too_big_to_read_whole_opens_folded_to_fit(browser, tmp_path):
    """A 3-4-4-1 MLP of Values (115 nodes, fewer than fold_above) at 800 x 1000: unfolded it
    would be cut off on both sides at a readable scale, so the page folds its modules,
    innermost first, until the whole graph fits readably."""
    model = MLP(3, [4, 4, 1], rng=0)
    xs = [al.Value(v, label=f"x{i}") for i, v in enumerate((0.5, -1.0, 2.0))]
    loss = (model(xs)[0] - 1.0) ** 2
    at_width(browser, 800)
    try:
        open_page(browser, loss, tmp_path)
        seen = browser.execute_script(PLACES)
        scale = float(re.search(r"scale\(([\d.]+)\)", seen["transform"]).group(1))
        assert scale >= 0.75, seen["transform"]
        view = seen["view"]
        for b in seen["boxes"]:
            assert view["left"] <= b["left"] and b["right"] <= view["right"], (b, view)
            assert view["top"] <= b["top"] and b["bottom"] <= view["bottom"], (b, view)
        assert browser.find_elements("css selector", "g.node.fold"), "nothing folded"
        assert errors(browser) == []
    finally:
        at_width(browser, 1280, 800)
