"""Server-rendered SVG charts: vertical bars, horizontal bars and an age pyramid.

No script and no inline style: colours are presentation attributes, which the content security
policy allows. Every chart is `role="img"` with a `<title>` and a `<desc>` as its accessible name
and description; the page gives the figures again as a data table. Text is escaped here, numbers
are formatted for the page's language, and a hidden figure (None, statistical secrecy) is drawn as
a mark rather than a bar.

Every chart carries its size in pixels (`width`, `height`) beside its viewBox: the page shows it at
that size, in a frame that scrolls on a narrow screen, so that its 12 px text is read at 12 px
rather than shrunk with the chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

# Colours with at least 4.5:1 contrast on white (bars also carry their value as text).
INK = "#1b1b1b"
GRID = "#767676"
BLUE = "#000091"
RUST = "#a63d00"
GREEN = "#18753c"
HIDDEN_MARK = "*"
FONT = "system-ui, sans-serif"


def el(tag: str, attrs: dict[str, object] | None = None, *children: str) -> str:
    """One element, attribute values and nothing else escaped (children are already markup)."""
    parts = [tag]
    for name, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        parts.append(f'{name}="{escape(_num(value) if isinstance(value, float) else str(value))}"')
    opening = " ".join(parts)
    if not children:
        return f"<{opening}/>"
    return f"<{opening}>{''.join(children)}</{tag}>"


def text(x: float, y: float, content: str, **attrs: object) -> str:
    return el("text", {"x": x, "y": y, **{k.replace("_", "-"): v for k, v in attrs.items()}},
              escape(content))


def fmt(value: int | None) -> str:
    """A count for the page's language (grouped digits), or the mark of a hidden figure."""
    if value is None:
        return HIDDEN_MARK
    return str(number_format(value, use_l10n=True, force_grouping=True))


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round axis ticks from 0 to at least `top` (steps of 1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return list(range(0, (math.ceil(top / step) + 1) * step, step))


def svg(ident: str, title: str, desc: str, width: int, height: int, *body: str,
        role: str = "img") -> SafeString:
    """The outer element: a scalable viewBox, the accessible name and description."""
    head = (el("title", {"id": f"{ident}-title"}, escape(title))
            + el("desc", {"id": f"{ident}-desc"}, escape(desc)))
    return mark_safe(el("svg", {  # every piece is escaped by el() and text()
        "xmlns": "http://www.w3.org/2000/svg", "width": width, "height": height,
        "viewBox": f"0 0 {width} {height}", "role": role,
        "aria-labelledby": f"{ident}-title", "aria-describedby": f"{ident}-desc",
        "id": ident, "class": "figure-svg", "font-family": FONT, "font-size": 12, "fill": INK},
        head, *body))


def column_chart(ident: str, title: str, desc: str, bars: Sequence[tuple[str, int | None]], *,
                 colour: str = BLUE, width: int = 560, height: int = 260) -> SafeString:
    """Vertical bars with a value above each and a labelled axis."""
    left, right, top, bottom = 64, 12, 24, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max((v or 0 for _, v in bars), default=0))
    scale = plot_h / ticks[-1]
    body = _y_axis(ticks, scale, left, width - right, top + plot_h)
    slot = plot_w / max(1, len(bars))
    bar_w = min(56.0, slot * 0.6)
    every = math.ceil(40 / slot)  # many years: one label in `every`, never overlapping
    for i, (label, value) in enumerate(bars):
        cx = left + slot * (i + 0.5)
        if i % every == 0:
            body.append(text(cx, height - 10, label, text_anchor="middle"))
        if value is None:
            body.append(text(cx, top + plot_h - 6, HIDDEN_MARK, text_anchor="middle"))
            continue
        h = value * scale
        body.append(el("rect", {"x": cx - bar_w / 2, "y": top + plot_h - h, "width": bar_w,
                                "height": max(h, 0.0), "fill": colour}))
        body.append(text(cx, top + plot_h - h - 5, fmt(value), text_anchor="middle"))
    return svg(ident, title, desc, width, height, *body)


LABEL_CHARS = 34  # a bar's label ("N02BE01 Paracétamol") is cut beyond this, whole in its tooltip
CHAR_W = 7  # mean advance of a 12 px character, to size the label column


def bar_label(code: str, name: str = "") -> tuple[str, str]:
    """What a bar shows beside its code and, when that is cut, the whole of it."""
    whole = f"{code} {name}".strip()
    if len(whole) <= LABEL_CHARS:
        return whole, whole
    return whole[:LABEL_CHARS - 1].rstrip() + "…", whole


def bar_chart(ident: str, title: str, desc: str, bars: Sequence[tuple[str, int | None]], *,
              names: Sequence[str] = (), colour: str = BLUE, width: int = 560) -> SafeString:
    """Horizontal bars, one per labelled row, with the value at the end of each bar. `names`, when
    given, are written after the codes ("N02BE01 Paracétamol"); the label column fits them."""
    row, top = 26, 8
    labels = [bar_label(code, names[i] if i < len(names) else "")
              for i, (code, _) in enumerate(bars)]
    label_width = min(12 + CHAR_W * max((len(shown) for shown, _ in labels), default=6),
                      width - 220)
    height = top * 2 + row * max(1, len(bars))
    plot_w = width - label_width - 70
    peak = max((v or 0 for _, v in bars), default=0) or 1
    body = [el("line", {"x1": label_width, "x2": label_width, "y1": top,
                        "y2": height - top, "stroke": GRID})]
    for i, ((_, value), (shown, whole)) in enumerate(zip(bars, labels, strict=True)):
        y = top + row * i
        label = text(label_width - 6, y + 17, shown, text_anchor="end")
        body.append(el("g", {}, el("title", {}, escape(whole)), label) if shown != whole
                    else label)
        if value is None:
            body.append(text(label_width + 6, y + 17, HIDDEN_MARK))
            continue
        w = value / peak * plot_w
        body.append(el("rect", {"x": label_width, "y": y + 4, "width": max(w, 0.0),
                                "height": row - 8, "fill": colour}))
        body.append(text(label_width + w + 6, y + 17, fmt(value)))
    return svg(ident, title, desc, width, height, *body)


def pyramid_chart(ident: str, title: str, desc: str, bands: Sequence[str],
                  left: Sequence[int | None], right: Sequence[int | None], *,
                  left_label: str, right_label: str, width: int = 560) -> SafeString:
    """An age pyramid: one row per band, oldest at the top, `left` bars grow to the left."""
    row, top, bottom, middle = 18, 28, 8, 64
    height = top + bottom + row * max(1, len(bands))
    half = (width - middle) / 2 - 50  # room for the values beyond the longest bar
    peak = max((v or 0 for v in (*left, *right)), default=0) or 1
    axis_l, axis_r = (width - middle) / 2, (width + middle) / 2
    body = [text(axis_l - 4, 16, left_label, text_anchor="end", font_weight="bold",
                 fill=BLUE),
            text(axis_r + 4, 16, right_label, font_weight="bold", fill=RUST)]
    for i, band in enumerate(reversed(bands)):
        j = len(bands) - 1 - i
        y = top + row * i
        body.append(text(width / 2, y + 13, band, text_anchor="middle"))
        for value, side in ((left[j], -1), (right[j], 1)):
            edge = axis_l if side < 0 else axis_r
            anchor = "end" if side < 0 else "start"
            if value is None:
                body.append(text(edge + 4 * side, y + 13, HIDDEN_MARK, text_anchor=anchor))
                continue
            w = value / peak * half
            x = edge - w if side < 0 else edge
            body.append(el("rect", {"x": x, "y": y + 2, "width": max(w, 0.0), "height": row - 4,
                                    "fill": BLUE if side < 0 else RUST}))
            body.append(text(edge + (w + 4) * side, y + 13, fmt(value), text_anchor=anchor))
    return svg(ident, title, desc, width, height, *body)


def _y_axis(ticks: list[int], scale: float, x0: float, x1: float, base: float) -> list[str]:
    out = []
    for t in ticks:
        y = base - t * scale
        out.append(el("line", {"x1": x0, "x2": x1, "y1": y, "y2": y, "stroke": GRID,
                               "stroke-width": 0.5 if t else 1}))
        out.append(text(x0 - 6, y + 4, fmt(t), text_anchor="end"))
    return out
