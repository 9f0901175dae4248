"""The relations between a version's tables (its foreign keys) as a diagram, one product at a time.

The SNDS has 188 tables and about 200 keys: drawn at once they are unreadable, so the page shows one
product (DCIR, PMSI MCO, ...) with the tables of other products that it refers to, and a selector.
The diagram is drawn at its own size, with 12 px labels, whatever the number of tables: a large
product (PMSI MCO: 56 tables) scrolls in its frame and can be zoomed, a small one is not blown up.
The layout is layered: a table sits one layer below the deepest table it refers to (referenced
tables at the top, arrows pointing up from the referencing table), layers wrap onto several rows of
a grid, tables are placed under the tables they refer to (barycentre ordering), and arrows run
through the gaps between rows and columns, never across a box.
Boxes link to the table pages; the page also lists the relations as text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from hygie.web.svg import BLUE, FONT, GREEN, GRID, INK, RUST, el
from hygie.web.typography import colon

if TYPE_CHECKING:
    from hygie.web.catalogue.models import DatasetVersion

NO_PRODUCT = "-"
PER_ROW = 5  # 5 boxes: 1,024 px, the width of a desktop page's column
BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 176, 32, 26, 44, 20
EDGE_COLOURS = (INK, RUST, BLUE, GREEN, "#6e2c8f")  # each at least 4.5:1 on white
MAX_CHARS = 22  # names longer than this are shortened in the box (whole in its tooltip)


@dataclass(frozen=True)
class Node:
    name: str
    url: str = ""  # empty: the table is not described by this version
    title: str = ""
    product: str = ""
    external: bool = False  # from another product


@dataclass(frozen=True)
class Edge:
    source: str  # the referencing table
    target: str  # the referenced table
    keys: tuple[str, ...] = ()  # "A, B -> C, D", one per foreign key between the two tables


@dataclass
class Diagram:
    product: str
    nodes: list[Node]
    edges: list[Edge]
    cells: dict[str, tuple[int, int]] = field(default_factory=dict)  # (row, column)
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)  # top left corner
    width: int = 0
    height: int = 0


def layers(nodes: Iterable[str], edges: Iterable[Edge]) -> dict[str, int]:
    """Layer of each node: 0 when it refers to no other node, else 1 + the deepest it refers to.
    Keys that close a cycle (or point to the table itself) are ignored for layering."""
    refs: dict[str, list[str]] = {n: [] for n in nodes}
    for e in edges:
        if e.source in refs and e.target in refs and e.source != e.target:
            refs[e.source].append(e.target)
    depth: dict[str, int] = {}
    active: set[str] = set()

    def visit(n: str) -> int:
        if n in depth:
            return depth[n]
        active.add(n)
        below = [visit(t) for t in refs[n] if t not in active]
        active.discard(n)
        depth[n] = 1 + max(below) if below else 0
        return depth[n]

    for n in sorted(refs):
        visit(n)
    return depth


def lay_out(diagram: Diagram, per_row: int = PER_ROW) -> Diagram:
    """Place the boxes on a grid: layers top to bottom, wrapped at `per_row` boxes, ordered under
    the tables they refer to; then, from the bottom up, a row that is not full moves its boxes
    over the tables that refer to them."""
    names = [n.name for n in diagram.nodes]
    layer_of = layers(names, diagram.edges)
    by_layer: dict[int, list[str]] = {}
    for name in names:
        by_layer.setdefault(layer_of[name], []).append(name)
    targets: dict[str, list[str]] = {n: [] for n in names}
    sources: dict[str, list[str]] = {n: [] for n in names}
    for e in diagram.edges:
        if e.source in targets and e.target in targets and e.source != e.target:
            targets[e.source].append(e.target)
            sources[e.target].append(e.source)
    external = {n.name for n in diagram.nodes if n.external}
    cells: dict[str, tuple[int, int]] = {}
    rows: list[list[str]] = []
    for layer in sorted(by_layer):
        members = by_layer[layer]
        if layer == 0:  # the most referenced first, tables of other products last
            members.sort(key=lambda n: (n in external, -len(sources[n]), n))
        else:
            def centre(n: str) -> tuple[float, str]:
                cols = [cells[t][1] for t in targets[n] if t in cells]
                return (sum(cols) / len(cols) if cols else float(per_row), n)
            members.sort(key=centre)
        for i in range(0, len(members), per_row):
            rows.append(members[i:i + per_row])
            for j, name in enumerate(rows[-1]):
                cells[name] = (len(rows) - 1, j)
    for r in range(len(rows) - 1, -1, -1):
        if len(rows[r]) < per_row:
            for name, col in zip(rows[r], _spread(rows[r], sources, cells, r, per_row),
                                 strict=True):
                cells[name] = (r, col)
    columns = max((c for _, c in cells.values()), default=0) + 1
    diagram.cells = cells
    diagram.positions = {n: (_left(c), _top(r)) for n, (r, c) in cells.items()}
    diagram.width = 2 * MARGIN + columns * BOX_W + (columns - 1) * GAP_X
    diagram.height = 2 * MARGIN + len(rows) * BOX_H + max(0, len(rows) - 1) * GAP_Y
    return diagram


def _spread(row: list[str], sources: dict[str, list[str]], cells: dict[str, tuple[int, int]],
            r: int, per_row: int) -> list[int]:
    """Columns for the boxes of a row that is not full: each as near as it can be to the mean
    column of the boxes below that refer to it, in order, one box per column."""
    wanted = []
    for name in row:
        below = [cells[s][1] for s in sources[name] if cells[s][0] > r]
        wanted.append(sum(below) / len(below) if below else float(cells[name][1]))
    cols: list[int] = []
    for i, w in enumerate(wanted):
        cols.append(max(round(w), cols[-1] + 1 if cols else 0))
        cols[-1] = min(cols[-1], per_row - (len(row) - i))
    for i in range(len(cols) - 2, -1, -1):
        cols[i] = min(cols[i], cols[i + 1] - 1)
    # A block of boxes that all want the same place is centred on it.
    shift = round(sum(wanted) / len(wanted) - sum(cols) / len(cols))
    if cols[0] + shift >= 0 and cols[-1] + shift < per_row:
        cols = [c + shift for c in cols]
    return cols


def _left(col: int) -> float:
    return MARGIN + col * (BOX_W + GAP_X)


def _top(row: int) -> float:
    return MARGIN + row * (BOX_H + GAP_Y)


def _route(source: tuple[int, int], target: tuple[int, int], lane: int) -> str:
    """An orthogonal path from the top of the source box to the bottom of the target box (to its
    top when the key points down or along a row), through the gaps between rows and columns.
    Arrows to one target share a lane, so that they merge into one line as they reach it."""
    (sr, sc), (tr, tc) = source, target
    dy, dx = (lane % 5 - 2) * 4, (lane % 3 - 1) * 5
    sx, tx = _left(sc) + BOX_W / 2, _left(tc) + BOX_W / 2 + dx
    gutter = _left(sc if tc < sc else sc + 1) - GAP_X / 2 + dx
    if tr < sr:  # up
        start, end = _top(sr), _top(tr) + BOX_H
        leave = _top(sr) - GAP_Y / 2 + dy
        if tr == sr - 1:
            return f"M{sx:g} {start:g}V{leave:g}H{tx:g}V{end:g}"
        reach = _top(tr + 1) - GAP_Y / 2 + dy
        return f"M{sx:g} {start:g}V{leave:g}H{gutter:g}V{reach:g}H{tx:g}V{end:g}"
    if tr == sr:  # along the row, over it
        over = _top(sr) - GAP_Y / 2 + dy
        return f"M{sx:g} {_top(sr):g}V{over:g}H{tx:g}V{_top(tr):g}"
    start, end = _top(sr) + BOX_H, _top(tr)  # down: a key that closes a cycle
    leave = _top(sr + 1) - GAP_Y / 2 + dy
    if tr == sr + 1:
        return f"M{sx:g} {start:g}V{leave:g}H{tx:g}V{end:g}"
    reach = _top(tr) - GAP_Y / 2 + dy
    return f"M{sx:g} {start:g}V{leave:g}H{gutter:g}V{reach:g}H{tx:g}V{end:g}"


def render(diagram: Diagram, ident: str, title: str, desc: str) -> SafeString:
    """The diagram as SVG: arrows first (under the boxes), then one linked box per table."""
    # Arrows to one table share a colour (and a lane), so that crossing lines stay apart.
    defs = el("defs", {}, *(el("marker", {
        "id": f"{ident}-arrow{i}", "viewBox": "0 0 10 10", "refX": 10, "refY": 5,
        "markerWidth": 7, "markerHeight": 7, "orient": "auto-start-reverse"},
        el("path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": colour}))
        for i, colour in enumerate(EDGE_COLOURS)))
    body = [defs]
    cells = diagram.cells
    lanes = {t: i for i, t in enumerate(dict.fromkeys(e.target for e in diagram.edges))}
    for e in diagram.edges:
        if e.source == e.target or e.source not in cells or e.target not in cells:
            continue
        lane = lanes[e.target]
        body.append(el("path", {"d": _route(cells[e.source], cells[e.target], lane),
                                "fill": "none", "stroke": EDGE_COLOURS[lane % len(EDGE_COLOURS)],
                                "stroke-width": 1.3,
                                "marker-end": f"url(#{ident}-arrow{lane % len(EDGE_COLOURS)})"},
                       el("title", {}, escape(f"{e.source} → {e.target}{colon()} "
                                              + ", ".join(e.keys)))))
    pos = diagram.positions
    for node in diagram.nodes:
        x, y = pos[node.name]
        label = node.name if len(node.name) <= MAX_CHARS else node.name[:MAX_CHARS - 1] + "…"
        tip = node.name + (f" ({node.product})" if node.external and node.product else "") + (
            f"{colon()} {node.title}" if node.title else "")
        box = el("rect", {"x": x, "y": y, "width": BOX_W, "height": BOX_H, "rx": 3,
                          "fill": "#f2f2f9" if node.external else "#ffffff",
                          "stroke": GRID if node.external else BLUE,
                          "stroke-width": 1.5, "stroke-dasharray": "4 3" if node.external else None})
        name = el("text", {"x": x + BOX_W / 2, "y": y + BOX_H / 2 + 4, "text-anchor": "middle",
                           "font-family": "ui-monospace, monospace", "font-size": 12,
                           "fill": BLUE if node.url else INK}, escape(label))
        inner = el("title", {}, escape(tip)) + box + name
        body.append(el("a", {"href": node.url, "class": "diagram-table"}, inner) if node.url
                    else el("g", {}, inner))
    head = (el("title", {"id": f"{ident}-title"}, escape(title))
            + el("desc", {"id": f"{ident}-desc"}, escape(desc)))
    width, height = max(diagram.width, 1), max(diagram.height, 1)
    # Drawn at its own size (one unit, one CSS pixel) in a scrolling frame: labels keep their
    # 12 px on a 56-table product as on a 4-table one; the page's zoom buttons scale it.
    return mark_safe(el("svg", {  # every piece is escaped by el()
        "xmlns": "http://www.w3.org/2000/svg", "width": width, "height": height,
        "viewBox": f"0 0 {width} {height}",
        "role": "group", "aria-labelledby": f"{ident}-title", "aria-describedby": f"{ident}-desc",
        "id": ident, "class": "diagram-svg", "font-family": FONT, "font-size": 12}, head, *body))


# --- from the catalogue -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProductChoice:
    name: str
    tables: int
    relations: int  # keys from its tables
    inner: int = 0  # keys between its own tables


@dataclass
class RelationsView:
    """What the page shows: the products to choose from, the chosen one, its diagram and list."""

    products: list[ProductChoice]
    product: str
    diagram: Diagram


def relations_view(version: DatasetVersion, asked: str | None = None) -> RelationsView | None:
    """The diagram of one product of a version (`asked`, or a default), or None without keys."""
    from hygie.web.catalogue.models import Relation, Table

    tables = {t.name: t for t in Table.objects.filter(version=version).only(
        "id", "name", "product", "title_fr", "title_en", "version_id")}
    relations = list(Relation.objects.filter(table__version=version).select_related("table")
                     .only("fields", "ref_table", "ref_fields", "table__name", "table__product")
                     .order_by("table__name", "ref_table", "id"))
    if not relations:
        return None
    n_tables = Counter(t.product or NO_PRODUCT for t in tables.values())
    n_relations = Counter(r.table.product or NO_PRODUCT for r in relations)
    n_inner = Counter(r.table.product or NO_PRODUCT for r in relations
                      if r.ref_table in tables
                      and tables[r.ref_table].product == r.table.product)
    products = [ProductChoice(p, n_tables[p], n_relations[p], n_inner[p])
                for p in sorted(n_relations)]
    names = {p.name for p in products}
    product = asked if asked in names else default_product(products)
    slug, number = version.dataset.slug, version.number

    def node(name: str, external: bool) -> Node:
        t = tables.get(name)
        if t is None:
            return Node(name, external=True)
        return Node(name, url=reverse("catalogue:table", args=[slug, number, name]),
                    title=t.title, product=t.product or NO_PRODUCT, external=external)

    mine = sorted(n for n, t in tables.items() if (t.product or NO_PRODUCT) == product)
    keys: dict[tuple[str, str], list[str]] = {}
    for r in relations:
        if (r.table.product or NO_PRODUCT) != product:
            continue
        keys.setdefault((r.table.name, r.ref_table), []).append(
            f"{', '.join(r.fields)} → {', '.join(r.ref_fields)}")
    edges = [Edge(s, t, tuple(k)) for (s, t), k in keys.items()]
    others = sorted({t for _, t in keys} - set(mine))
    nodes = [node(n, False) for n in mine] + [node(n, True) for n in others]
    diagram = lay_out(Diagram(product, nodes, edges))
    return RelationsView(products, product, diagram)


READABLE_TABLES = 16


def default_product(products: list[ProductChoice]) -> str:
    """The product shown first: among those of at most READABLE_TABLES tables, the one with the
    most keys between its own tables (for the SNDS: the DCIR, around ER_PRS_F)."""
    readable = [p for p in products if p.tables <= READABLE_TABLES] or products
    return max(readable, key=lambda p: (p.inner, p.relations, p.name)).name

