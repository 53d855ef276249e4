"""A picture without Graphviz: `draw_graph`'s drawing laid out in layers and written as SVG.

`save_graph(root, "g.svg")` uses this when the Graphviz `dot` program is not
installed, so that there is still a picture: the same boxes, names, numbers and
edge labels, in a plainer layout (straight edges, no crossing reduction beyond a
few barycentre sweeps). `svg_without_graphviz(drawing)` renders any drawing made
by `draw_graph`; it reads the drawing's DOT text, which it parses only as far as
`draw_graph` writes it (nodes with HTML-like labels, edges, clusters, graph
attributes).

The layout is the layered one of Sugiyama et al. (1981) in its simplest form:
ranks by the longest path from the root box along the edges that constrain the
layout, an order within each rank by the mean position of the neighbours on the
rank before, and boxes centred on their rank. Each edge label then takes the first
place beside its edge (along it, on either side, then further out) that meets no
box, no other label and, where there is room, no edge.
"""

from __future__ import annotations

import html
import itertools
import re

__all__ = ["svg_without_graphviz"]

FONT_SIZE = 12.0  # points, as draw_graph's FONT_SIZE
CHAR = 0.6  # mean advance of a character, in ems (Helvetica's digits are 0.556)
LINE = 1.25  # line height in ems
PAD = 3.0  # inside a table cell, as draw_graph's CELLPADDING
GAP = 14.0  # between boxes of one rank
RANK_GAP = 26.0  # between ranks
WIDTH = 600.0  # points: 8.33 inches, 800 pixels; a wider picture is scaled down
FONT = "Helvetica, Arial, sans-serif"

_TOKEN = re.compile(r'\s+|//[^\n]*|->|[\[\]{};=,]|"(?:[^"\\]|\\.)*"|[\w.#:-]+', re.S)


def _tokens(src):
    """The DOT text as tokens: words, strings (unquoted), HTML strings (kind 'html'), marks."""
    i = 0
    while i < len(src):
        if src[i] == "<":  # an HTML string: up to the matching '>'
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(src[j], 0)
                j += 1
                if depth == 0:
                    break
            yield "html", src[i + 1 : j - 1]
            i = j
            continue
        m = _TOKEN.match(src, i)
        if m is None:
            raise ValueError(
                f"svg_without_graphviz: cannot read the DOT text at {src[i : i + 40]!r}"
            )
        text = m.group()
        i = m.end()
        if text[0].isspace() or text.startswith("//"):
            continue
        if text[0] == '"':
            yield "word", text[1:-1].replace('\\"', '"')
        else:
            yield ("mark" if text in ("->", "[", "]", "{", "}", "=", ";", ",") else "word"), text


def _parse(src):
    """Nodes {id: attrs} in order, edges [(tail, head, attrs)], clusters, and graph attributes."""
    tokens = list(_tokens(src))
    nodes, edges, clusters, graph = {}, [], [], {}
    stack = []  # open clusters
    i = 0

    def attrs_at(k):
        out = {}
        if k < len(tokens) and tokens[k] == ("mark", "["):
            k += 1
            while tokens[k] != ("mark", "]"):
                if tokens[k][1] in (",", ";"):
                    k += 1
                    continue
                key, value = tokens[k][1], tokens[k + 2]
                out[key] = value
                k += 3
            k += 1
        return out, k

    while i < len(tokens):
        kind, text = tokens[i]
        if text in ("digraph", "subgraph"):
            name = tokens[i + 1][1]
            if text == "subgraph":
                stack.append({"name": name, "members": [], "attrs": {}})
                clusters.append(stack[-1])
            i += 3  # the name and "{"
        elif text == "}":
            if stack:
                stack.pop()
            i += 1
        elif text in ("node", "edge", "graph") and tokens[i + 1] == ("mark", "["):
            _, i = attrs_at(i + 1)
        elif i + 1 < len(tokens) and tokens[i + 1] == ("mark", "="):
            (stack[-1]["attrs"] if stack else graph)[text] = tokens[i + 2]
            i += 3
        elif i + 1 < len(tokens) and tokens[i + 1] == ("mark", "->"):
            attrs, k = attrs_at(i + 3)
            edges.append((text, tokens[i + 2][1], attrs))
            i = k
        elif kind == "word":
            attrs, i = attrs_at(i + 1)
            nodes.setdefault(text, {}).update(attrs)
            if stack:
                stack[-1]["members"].append(text)
        else:
            i += 1
    return nodes, edges, clusters, graph


# ---------------------------------------------------------------------------------------
# Boxes: an HTML-like label as rows of cells of lines.


def _lines(fragment):
    """Lines of a cell: (text, bold, size) for each, tags stripped, entities decoded."""
    out = []
    for part in re.split(r"<BR\s*/?>", fragment):
        size = re.search(r'POINT-SIZE="([\d.]+)"', part)
        text = html.unescape(re.sub(r"<[^>]*>", "", part)).strip()
        if text:
            out.append((text, "<B>" in part, float(size.group(1)) if size else None))
    return out


def _box(label):
    """A label's rows [[(lines, fill)]], the table's fill and border, and its corner style."""
    table = re.search(r"<TABLE([^>]*)>", label)
    if table is None:  # plain text (an edge label, the summary note)
        return {"rows": [[(_lines(label), None)]], "fill": None, "border": 1, "rounded": False}
    head = table.group(1)
    rows = []
    for row in re.findall(r"<TR>(.*?)</TR>", label, flags=re.S):
        cells = re.findall(r"<TD([^>]*)>(.*?)</TD>", row, flags=re.S)
        rows.append([(_lines(body), _attr(attrs, "BGCOLOR")) for attrs, body in cells])
    return {
        "rows": rows,
        "fill": _attr(head, "BGCOLOR"),
        "border": float(_attr(head, "BORDER") or 1),
        "rounded": "ROUNDED" in head,
    }


def _attr(text, name):
    m = re.search(rf'{name}="([^"]*)"', text)
    return m.group(1) if m else None


def _text_size(lines, size):
    width = max((len(t) * CHAR * (s or size) for t, _, s in lines), default=0.0)
    return width, sum(LINE * (s or size) for _, _, s in lines)


def _measure(box, size):
    """Width and height of a box; each row's cells get widths filling the box."""
    row_sizes = []
    for row in box["rows"]:
        cells = [_text_size(lines, size) for lines, _ in row]
        row_sizes.append(([w + 2 * PAD for w, _ in cells], max(h for _, h in cells) + 2 * PAD))
    box["width"] = max(sum(ws) for ws, _ in row_sizes)
    box["height"] = sum(h for _, h in row_sizes)
    box["row_sizes"] = row_sizes


# ---------------------------------------------------------------------------------------
# The layout.


def _ranks(ids, edges, root):
    """Rank of each box: its longest path from the root box along the constraining edges."""
    away = {n: [] for n in ids}
    toward_root_is_forward = not any(t == root for t, _, _ in edges)  # the root is a sink
    for tail, head, _ in edges:
        a, b = (head, tail) if toward_root_is_forward else (tail, head)
        away[a].append(b)
    indegree = dict.fromkeys(ids, 0)
    for a in ids:
        for b in away[a]:
            indegree[b] += 1
    rank = dict.fromkeys(ids, 0)
    ready = [n for n in ids if indegree[n] == 0]
    while ready:
        a = ready.pop()
        for b in away[a]:
            rank[b] = max(rank[b], rank[a] + 1)
            indegree[b] -= 1
            if indegree[b] == 0:
                ready.append(b)
    return rank, toward_root_is_forward


def _order(ids, edges, rank, sweeps=4):
    """The boxes of each rank, ordered by the mean position of their neighbours (barycentres)."""
    layers = {}
    for n in ids:  # declaration order (breadth-first from the root) to start with
        layers.setdefault(rank[n], []).append(n)
    neighbours = {n: [] for n in ids}
    for tail, head, _ in edges:
        neighbours[tail].append(head)
        neighbours[head].append(tail)
    keys = sorted(layers)
    for sweep in range(sweeps):
        for r in keys[1:] if sweep % 2 == 0 else reversed(keys[:-1]):
            near = r - 1 if sweep % 2 == 0 else r + 1
            position = {n: k for k, n in enumerate(layers.get(near, []))}

            def centre(n, position=position):
                seen = [position[m] for m in neighbours[n] if m in position]
                return sum(seen) / len(seen) if seen else float("inf")

            layers[r].sort(key=centre)
    return [layers[r] for r in keys]


def _clip(x, y, box, tx, ty):
    """Where the segment from the box's centre (x, y) towards (tx, ty) leaves the box."""
    dx, dy = tx - x, ty - y
    if dx == 0 and dy == 0:
        return x, y
    sx = box["width"] / 2 / abs(dx) if dx else float("inf")
    sy = box["height"] / 2 / abs(dy) if dy else float("inf")
    s = min(sx, sy, 1.0)
    return x + dx * s, y + dy * s


# ---------------------------------------------------------------------------------------
# Edge labels: each beside its edge, clear of the boxes, the other edges and the other labels.

LABEL_PAD = 2.0  # points between a label's text and anything else, as draw_graph's EDGE_PAD
WIDE = 0.78  # ems: capitals and symbols (∂, ×, =); lower case and digits are CHAR wide


def _label_size(lines, size):
    """Width and height of an edge label with its padding (text measured generously)."""
    width = max(
        (
            sum(CHAR if c.islower() or c.isdigit() or c in " .,:;-*()[]/" else WIDE for c in t)
            * (s or size)
            for t, _, s in lines
        ),
        default=0.0,
    )
    height = sum(LINE * (s or size) for _, _, s in lines)
    return width + 2 * LABEL_PAD, height + 2 * LABEL_PAD


def _meets(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crosses(box, segment):
    """Whether the segment passes through the box (Liang and Barsky's clipping, 1984)."""
    x0, y0, x1, y1 = segment
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
    return lo < hi


def _spots(segment, width, height, left):
    """Where a label may go, best first: beside its edge at points along it, on the side
    the edge leans to, then the other; then further and further around its middle."""
    x0, y0, x1, y1 = segment
    sides = (True, False) if left else (False, True)
    # A slanting edge moves across by `slant` over half the label's height: a label that
    # clears it at its middle point must stand that much further off, or a corner meets it.
    slant = min(abs(x1 - x0) / max(abs(y1 - y0), 1e-9), 3.0) * height / 2
    for t in (0.5, 0.6, 0.4, 0.7, 0.3, 0.75, 0.25):
        px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        for on_left in sides:
            for gap in (2.0 + slant, 10.0 + slant, 18.0 + slant):
                x = px - gap - width if on_left else px + gap
                yield x, py - height / 2
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    for ring in itertools.count(1):  # endless: far enough out, every place is free
        r = 6.0 * ring
        for ax, ay in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)):
            yield (
                mx + ax * r - (width if ax < 0 else 0 if ax > 0 else width / 2),
                my + ay * r - height / 2,
            )


class _Grid:
    """Boxes and segments filed by the square cells their bounding boxes cover, so that
    a label is checked only against what lies near it."""

    CELL = 60.0  # points

    def __init__(self):
        self.cells = {}

    def _keys(self, box):
        c = self.CELL
        for i in range(int(box[0] // c), int(box[2] // c) + 1):
            for j in range(int(box[1] // c), int(box[3] // c) + 1):
                yield i, j

    def add(self, box, item):
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(item)

    def near(self, box):
        found = {}
        for key in self._keys(box):
            for item in self.cells.get(key, ()):
                found[id(item)] = item
        return found.values()


def _place_labels(drawn, boxes, segments, size):
    """A box (left, top, right, bottom) for each edge's label (None: no label), in order.

    Each label takes the first of its `_spots` that meets no box, no other label and no
    edge; failing that (a crowded rank), the first that meets no box and no label.
    """
    solid, lines_near = _Grid(), _Grid()  # boxes and placed labels; edges
    for b in boxes:
        solid.add(b, b)
    for s in segments:
        lines_near.add((min(s[0], s[2]), min(s[1], s[3]), max(s[0], s[2]), max(s[1], s[3])), s)
    placed = []
    for segment, _, _, lines, left in drawn:
        if not lines:
            placed.append(None)
            continue
        width, height = _label_size(lines, size)
        chosen = fallback = None
        for k, (x, y) in enumerate(_spots(segment, width, height, left)):
            if fallback is not None and k > 120:  # no place clear of every edge nearby
                break
            box = (x, y, x + width, y + height)
            if any(_meets(box, b) for b in solid.near(box)):
                continue
            if fallback is None:
                fallback = box
            if not any(_crosses(box, s) for s in lines_near.near(box)):
                chosen = box
                break
        chosen = chosen or fallback  # never None: the spots go on until one is free
        placed.append(chosen)
        solid.add(chosen, chosen)
    return placed


# ---------------------------------------------------------------------------------------
# SVG.


def _svg_text(x, y, lines, size, color="black", anchor="middle"):
    out = []
    for text, bold, s in lines:
        s = s or size
        y += LINE * s
        weight = ' font-weight="bold"' if bold else ""
        out.append(
            f'<text x="{x:.1f}" y="{y - 0.3 * s:.1f}" font-size="{s:.1f}" fill="{color}" '
            f'text-anchor="{anchor}"{weight}>{html.escape(text)}</text>'
        )
    return out


def _svg_box(box, x, y, size):
    left, top = x - box["width"] / 2, y - box["height"] / 2
    out = []
    rx = ' rx="6"' if box["rounded"] else ""
    fill = box["fill"] or "#ffffff"
    out.append(
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{box["width"]:.1f}" '
        f'height="{box["height"]:.1f}" fill="{fill}" stroke="black" '
        f'stroke-width="{max(box["border"], 1):.0f}"{rx}/>'
    )
    for row, (widths, height) in zip(box["rows"], box["row_sizes"]):
        stretch = box["width"] / sum(widths)
        cx = left
        for (lines, color), w in zip(row, widths):
            w *= stretch
            if not box["rounded"]:
                cell_fill = color or fill
                out.append(
                    f'<rect x="{cx:.1f}" y="{top:.1f}" width="{w:.1f}" height="{height:.1f}" '
                    f'fill="{cell_fill}" stroke="black" stroke-width="1"/>'
                )
            text_height = _text_size(lines, size)[1]
            out += _svg_text(cx + w / 2, top + (height - text_height) / 2, lines, size)
            cx += w
        top += height
    return out


def svg_without_graphviz(drawing) -> bytes:
    """SVG of a `draw_graph` drawing, laid out in Python (no Graphviz program needed).

    drawing: what `draw_graph` returns (a `graphviz.Digraph`; only its `.source` is read).
    Returns UTF-8 SVG bytes, at most 600 points (800 pixels) wide: a wider picture is
    scaled down, as `draw_graph`'s default `size` does. Raises ValueError if the DOT
    text is not one `draw_graph` wrote.
    """
    nodes, edges, clusters, graph = _parse(drawing.source)
    size = FONT_SIZE
    boxes = {}
    for nid, attrs in nodes.items():
        label = attrs.get("label", ("word", nid))
        boxes[nid] = _box(label[1] if label[0] == "html" else html.escape(label[1]))
        _measure(boxes[nid], size)
    ids = list(boxes)
    if not ids:
        raise ValueError("svg_without_graphviz: the drawing has no boxes")
    root = next((n for n in ids if boxes[n]["border"] >= 2), ids[0])
    layout_edges = [e for e in edges if e[2].get("constraint", ("word", "true"))[1] != "false"]
    rank, root_is_sink = _ranks(ids, layout_edges, root)
    layers = _order(ids, layout_edges, rank)
    cluster_of = {m: k for k, c in enumerate(clusters) for m in c["members"]}
    for layer in layers:  # a module's boxes side by side on each rank, where the first one is
        first = {}
        for k, n in enumerate(layer):
            first.setdefault(cluster_of.get(n, ("alone", n)), k)
        layer.sort(key=lambda n: first[cluster_of.get(n, ("alone", n))])
    if root_is_sink:
        layers.reverse()  # inputs first, the root last, as the forward edges run
    across = graph.get("rankdir", ("word", "TB"))[1] in ("LR", "RL")

    # Coordinates: ranks one after the other along the rank axis, centred across it.
    def extent(n):  # (along the rank axis, across it)
        b = boxes[n]
        return (b["width"], b["height"]) if across else (b["height"], b["width"])

    # Between ranks: room for the edge labels (beside the edges: across LR, along TB).
    labels = [_text_size(_lines(a["label"][1]), size - 1) for _, _, a in edges if "label" in a]
    gap = max([RANK_GAP] + [(w + 24 if across else h + 12) for w, h in labels])
    position, along = {}, 0.0
    for layer in layers:
        depth = max(extent(n)[0] for n in layer)
        total = sum(extent(n)[1] for n in layer) + GAP * (len(layer) - 1)
        offset = -total / 2
        for n in layer:
            a = along + depth / 2
            c = offset + extent(n)[1] / 2
            position[n] = (a, c) if across else (c, a)
            offset += extent(n)[1] + GAP
        along += depth + gap

    body = []
    frames = []  # (left, top, right, bottom, title): one frame per module and rank
    for cluster in clusters:  # exact: a frame around a module's boxes on each of its ranks
        title = _lines(cluster["attrs"].get("label", ("word", ""))[1])
        by_rank = {}
        for m in cluster["members"]:
            by_rank.setdefault(rank[m], []).append(m)
        spans = sorted(
            (
                min(position[m][0] - boxes[m]["width"] / 2 for m in ms) - 5,
                min(position[m][1] - boxes[m]["height"] / 2 for m in ms) - 5,
                max(position[m][0] + boxes[m]["width"] / 2 for m in ms) + 5,
                max(position[m][1] + boxes[m]["height"] / 2 for m in ms) + 5,
            )
            for ms in by_rank.values()
        )
        spans.sort(key=lambda f: f[1])
        frames += [(*f, title if k == 0 else []) for k, f in enumerate(spans)]
    for x0, y0, x1, y1, title in frames:
        body.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            'fill="none" stroke="#7f8c8d" stroke-dasharray="5,3" rx="6"/>'
        )
        body += _svg_text((x0 + x1) / 2, y0 - LINE * size, title, size)

    pairs = {(t, h) for t, h, _ in edges}
    uses = {}
    drawn = []  # (segment, colour, dashed, label lines, side it leans to)
    for tail, head, attrs in edges:
        (x, y), (tx, ty) = position[tail], position[head]
        dashed = attrs.get("style", ("word", ""))[1] == "dashed"
        key = (tail, head, dashed)
        uses[key] = uses.get(key, -1) + 1  # a second use of a node: an edge of its own
        shift = 5.0 * (uses[key] * 2 + (dashed and (head, tail) in pairs))  # beside, not on
        if shift:
            length = max(((tx - x) ** 2 + (ty - y) ** 2) ** 0.5, 1e-9)
            nx, ny = -(ty - y) / length * shift, (tx - x) / length * shift
            x, y, tx, ty = x + nx, y + ny, tx + nx, ty + ny
        x0, y0 = _clip(x, y, boxes[tail], tx, ty)
        x1, y1 = _clip(tx, ty, boxes[head], x, y)
        lines = _lines(attrs["label"][1]) if "label" in attrs else []
        left = (x1 < x0 - 1) != (uses[key] % 2 == 1)  # a second use: the other side
        color = attrs.get("color", ("word", "black"))[1]
        drawn.append(((x0, y0, x1, y1), color, dashed, lines, left))
    node_boxes = [
        (
            position[n][0] - boxes[n]["width"] / 2,
            position[n][1] - boxes[n]["height"] / 2,
            position[n][0] + boxes[n]["width"] / 2,
            position[n][1] + boxes[n]["height"] / 2,
        )
        for n in ids
    ]
    frame_titles = [(x0, y0 - LINE * size - 2, x1, y0) for x0, y0, x1, _, title in frames if title]
    placed = _place_labels(drawn, node_boxes + frame_titles, [d[0] for d in drawn], size - 1)
    label_boxes = []
    for (segment, color, dashed, lines, _), spot in zip(drawn, placed):
        x0, y0, x1, y1 = segment
        dash = ' stroke-dasharray="5,3"' if dashed else ""
        body.append('<g class="edge">')
        body.append(
            f'<path d="M{x0:.1f},{y0:.1f} L{x1:.1f},{y1:.1f}" fill="none" stroke="{color}"'
            f'{dash} marker-end="url(#{"bwd" if dashed else "fwd"})"/>'
        )
        if spot is not None:
            label_boxes.append(spot)
            body += _svg_text(
                spot[0] + LABEL_PAD, spot[1] + LABEL_PAD, lines, size - 1, color, "start"
            )
        body.append("</g>")
    for nid in ids:
        body += ['<g class="node">', *_svg_box(boxes[nid], *position[nid], size), "</g>"]

    # The picture's extent, the edge labels included.
    xs = [position[n][0] + s * boxes[n]["width"] / 2 for n in ids for s in (-1, 1)]
    ys = [position[n][1] + s * boxes[n]["height"] / 2 for n in ids for s in (-1, 1)]
    xs += [x for b in label_boxes for x in (b[0], b[2])]
    ys += [y for b in label_boxes for y in (b[1], b[3])]
    ys += [y0 - LINE * size - 4 for _, y0, _, _, title in frames if title]
    left, top = min(xs) - 4, min(ys) - 4
    width, height = max(xs) + 4 - left, max(ys) + 4 - top
    scale = min(1.0, WIDTH / width)
    markers = "".join(
        f'<marker id="{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{color}"/></marker>'
        for name, color in (("fwd", "black"), ("bwd", "#c0392b"))
    )
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * scale:.1f}pt" '
        f'height="{height * scale:.1f}pt" viewBox="{left:.1f} {top:.1f} {width:.1f} {height:.1f}" '
        f'font-family="{FONT}">\n'
        "<!-- laid out by autograd_lite (Graphviz's dot was not found) -->\n"
        f"<defs>{markers}</defs>\n"
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" '
        'fill="white"/>\n' + "\n".join(body) + "\n</svg>\n"
    )
    return svg.encode("utf-8")
