"""SVG and HTML: nothing that runs, nothing fetched from elsewhere, and their text scanned.

What a checker's browser would run or fetch when opening the file is refused: scripts, event
handler attributes (on...), javascript: URLs, embedded documents (iframe, object, embed,
foreignObject), and references to other files or sites (src and href other than a fragment or a
data: picture, CSS url() and @import, meta refresh). A link (<a href>) to a site fetches nothing
until followed: it is left to the checkers. SVG is parsed with the standard library's expat,
refusing entity declarations (where entity expansion attacks live) and external entities; HTML
with a small tokenizer of our own (see below), backed by a search of the raw page for script,
iframe, object and embed tags. Text is scanned like a text file; the tables of an
HTML page are checked like CSV tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from html import unescape
from xml.parsers import expat

from hygie.airlock.findings import Findings
from hygie.airlock.limits import Limits
from hygie.airlock.parse import Table, Unreadable
from hygie.airlock.table_checks import Earlier, check_table
from hygie.airlock.text import scan_text
from hygie.airlock.values import read_cell

ACTIVE = frozenset({"script", "foreignobject", "iframe", "frame", "frameset", "object", "embed",
                    "applet", "portal", "handler", "listener"})
RESOURCE_ATTRIBUTES = frozenset({"src", "srcset", "href", "poster", "data", "background",
                                 "action", "formaction", "ping", "manifest", "codebase",
                                 "longdesc", "lowsrc", "dynsrc", "archive", "icon"})
LINKS = frozenset({"a", "area"})  # followed by a click only
ANIMATIONS = frozenset({"animate", "set", "animatemotion", "animatetransform"})
TEXT_ATTRIBUTES = frozenset({"title", "alt", "aria-label", "aria-description", "label",
                             "placeholder", "value", "content", "summary"})
PICTURE = re.compile(r"data:image/(?:png|jpe?g|gif|webp)[;,]")
INERT = re.compile(r"[\s\x00-\x1f]+")
# Always matches once started, so that scanning stays linear (a lazy `.*?` up to `)` is cubic on
# "url(url(url(...").
CSS_URL = re.compile(r"url\s*\(\s*['\"]?([^'\")\s]*)", re.IGNORECASE)
SVG_TEXT_GAP = "\n"
Flag = Callable[[str, str], None]  # (code, message)


def _inert(value: str) -> str:
    """What a browser reads in a URL: whitespace and control characters dropped, lower case."""
    return INERT.sub("", value).lower()


def _active_value(value: str) -> bool:
    plain = _inert(value)
    return any(s in plain for s in ("javascript:", "vbscript:", "data:text/html",
                                    "data:application/", "data:image/svg"))


def _local(value: str) -> bool:
    """A reference that stays in the file: a fragment, or a picture inlined as data."""
    plain = value.strip()
    return plain.startswith("#") or bool(PICTURE.match(_inert(plain)))


def check_css(css: str, report: Flag) -> None:
    for m in CSS_URL.finditer(css):
        if not _local(m.group(1)):
            report("external", f"a stylesheet fetches {m.group(1)[:80] or 'a file'}")
    if re.search(r"@import", css, re.IGNORECASE):
        report("external", "a stylesheet imports another")
    if re.search(r"expression\s*\(|behavior\s*:|-moz-binding", css, re.IGNORECASE):
        report("script", "a stylesheet runs code")


def check_attributes(tag: str, attributes: Sequence[tuple[str, str]], report: Flag) -> None:
    names = {name: value for name, value in attributes}
    animated = names.get("attributename", "").lower().rsplit(":", 1)[-1]
    for name, value in attributes:
        if name.startswith("on"):
            report("script", f"<{tag}> has the event handler {name}")
        elif _active_value(value):
            report("script", f"<{tag} {name}> holds a script URL")
        elif name == "style":
            check_css(value, report)
        elif (name in RESOURCE_ATTRIBUTES or (tag in ANIMATIONS and animated == "href"
              and name in ("to", "from", "values", "by"))) and not _local(value):
            if tag in LINKS and name == "href":
                if re.match(r"\s*(?:https?:)?//", value, re.IGNORECASE):
                    report("manual_review", f"a link to {value.strip()[:80]}")
            else:
                report("external", f"<{tag} {name}> refers to {value.strip()[:80] or 'a file'}")
    if tag == "meta" and names.get("http-equiv", "").lower() == "refresh":
        report("external", "<meta http-equiv=refresh> loads another page")


# SVG ---------------------------------------------------------------------------------------------

def check_svg(data: bytes, findings: Findings) -> None:
    """Active content and references, then the text nodes (and titles, labels); the text of
    <metadata> (where tools write the creation date) is scanned for identifiers, not dates."""
    text: list[str] = []
    metadata_text: list[str] = []
    stack: list[str] = []
    inside = [0]  # how many <metadata> elements are open (a counter: nesting may be deep)

    def report(code: str, message: str) -> None:
        findings.add(code, code != "manual_review", message, "markup", group=f"svg:{code}")

    def refuse(*_: object) -> int:
        raise Unreadable("an SVG with entity declarations or external entities")

    def start(name: str, attributes: dict[str, str]) -> None:
        tag = name.rsplit(" ", 1)[-1].lower()
        if not stack and tag != "svg":
            raise Unreadable(f"an XML document whose root is <{tag}>, not <svg>")
        stack.append(tag)
        inside[0] += tag == "metadata"
        if tag in ACTIVE:
            report("script", f"a <{tag}> element")
        pairs = [(k.rsplit(" ", 1)[-1].lower(), v) for k, v in attributes.items()]
        check_attributes(tag, pairs, report)
        into = metadata_text if inside[0] else text
        into.extend(v for k, v in pairs if k in TEXT_ATTRIBUTES)

    def end(name: str) -> None:
        inside[0] -= stack.pop() == "metadata"

    def characters(data: str) -> None:
        if stack and stack[-1] == "style":
            check_css(data, report)
        elif inside[0]:
            metadata_text.append(data)
        else:
            text.append(data)

    def instruction(target: str, data: str) -> None:
        if target.lower() == "xml-stylesheet":
            report("external", "an xml-stylesheet instruction loads a stylesheet")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise Unreadable(f"not well-formed SVG ({expat.errors.messages.get(exc.code, exc)}, "
                         f"line {exc.lineno})") from None
    scan_text(SVG_TEXT_GAP.join(text), findings, place="text", lines=False)
    scan_text(SVG_TEXT_GAP.join(metadata_text), findings, place="metadata", lines=False,
              dates=False)


# HTML --------------------------------------------------------------------------------------------
# A tokenizer of our own rather than html.parser, which is quadratic on some hostile input in the
# Python versions we run ("<a" repeated: 18 s for 80 kB). Every step here moves forward and every
# search runs once to the end at most, so a page is read in linear time. Where a page is broken
# (an unclosed tag or quote), browsers take the rest of the page into it: so do we.

TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
ATTRIBUTE_NAME = re.compile(r"=?[^\s/>=]+")
EQUALS = re.compile(r"\s*=\s*")
UNQUOTED = re.compile(r"[^\s>]*")
SPACES = re.compile(r"[\s/]*")
RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea",
                      "title"})
ESCAPABLE = frozenset({"textarea", "title"})  # character references are decoded in these
# Seen by a browser whatever our reading: a second look at the raw page.
RAW_ACTIVE = re.compile(r"<(script|iframe|object|embed|frame|applet)[\s/>]", re.IGNORECASE)
CELLS = frozenset({"td", "th"})


def html_tokens(page: str) -> Iterator[tuple[str, str, list[tuple[str, str]]]]:
    """(kind, text or tag name, attributes): kinds "text", "comment", "start", "end", "raw"
    (the content of a script, style...) and "declaration"."""
    pos, size = 0, len(page)
    while pos < size:
        lt = page.find("<", pos)
        if lt < 0:
            yield "text", unescape(page[pos:]), []
            return
        if lt > pos:
            yield "text", unescape(page[pos:lt]), []
        if page.startswith("<!--", lt):
            if page.startswith((">", "->"), lt + 4):  # "<!-->" and "<!--->" end at once
                pos = page.index(">", lt + 4) + 1
                continue
            ends = [e for e in (page.find("-->", lt + 4), page.find("--!>", lt + 4)) if e >= 0]
            end = min(ends) if ends else size
            yield "comment", page[lt + 4:end], []
            pos = page.index(">", end) + 1 if ends else size
            continue
        following = page[lt + 1:lt + 2]
        if following in ("!", "?", "/"):
            end = page.find(">", lt)
            if end < 0:
                return  # the rest is inside a declaration or a broken end tag
            name = TAG_NAME.match(page, lt + 2)
            if following == "/" and name:
                yield "end", name.group().lower(), []
            elif following != "/":
                yield "declaration", page[lt + 1:end], []
            pos = end + 1
            continue
        name = TAG_NAME.match(page, lt + 1)
        if name is None:
            yield "text", "<", []
            pos = lt + 1
            continue
        tag, pos = name.group().lower(), name.end()
        attributes: list[tuple[str, str]] = []
        while True:
            pos = SPACES.match(page, pos).end()  # type: ignore[union-attr]
            if pos >= size:
                return  # an unclosed tag takes the rest of the page
            if page[pos] == ">":
                pos += 1
                break
            attribute = ATTRIBUTE_NAME.match(page, pos)
            if attribute is None:
                return
            pos, value = attribute.end(), ""
            equals = EQUALS.match(page, pos)
            if equals:
                pos = equals.end()
                if page[pos:pos + 1] in ("'", '"'):
                    close = page.find(page[pos], pos + 1)
                    if close < 0:
                        return  # an unclosed quote takes the rest of the page
                    value, pos = page[pos + 1:close], close + 1
                else:
                    unquoted = UNQUOTED.match(page, pos)
                    value, pos = unquoted.group(), unquoted.end()  # type: ignore[union-attr]
            attributes.append((attribute.group().lower(), unescape(value)))
        yield "start", tag, attributes
        if tag in RAW_TEXT:
            close_tag = re.compile(rf"</{re.escape(tag)}[\s/>]", re.IGNORECASE).search(page, pos)
            end = close_tag.start() if close_tag else size
            content = page[pos:end]
            yield ("text", unescape(content), []) if tag in ESCAPABLE else ("raw", content, [])
            pos = end


def check_html(text: str, findings: Findings, *, limits: Limits,
               earlier: Sequence[Earlier]) -> None:
    def report(code: str, message: str) -> None:
        findings.add(code, code != "manual_review", message, "markup", group=f"html:{code}")

    words: list[str] = []
    tables: list[list[list[str]]] = []  # finished tables, rows of cells
    building: list[list[list[str]]] = []  # tables being read, innermost last
    cell: list[str] | None = None
    raw_of = ""
    for kind, value, attributes in html_tokens(text):
        if kind == "start":
            raw_of = value
            if value in ACTIVE:
                report("script", f"a <{value}> element")
            check_attributes(value, attributes, report)
            words.extend(v for k, v in attributes if k in TEXT_ATTRIBUTES)
            if cell is not None and value in (*CELLS, "tr", "table") and building:
                building[-1][-1].append(" ".join("".join(cell).split()))
                cell = None
            if value == "table":
                building.append([])
            elif value == "tr" and building:
                building[-1].append([])
            elif value in CELLS and building:
                if not building[-1]:
                    building[-1].append([])
                cell = []
        elif kind == "end":
            if value in (*CELLS, "tr", "table") and cell is not None and building:
                building[-1][-1].append(" ".join("".join(cell).split()))
                cell = None
            if value == "table" and building:
                tables.append(building.pop())
        elif kind == "raw":
            if raw_of == "style":
                check_css(value, report)
        elif kind == "declaration":
            if "stylesheet" in value.lower():
                report("external", "a processing instruction loads a stylesheet")
        else:  # text and comments
            words.append(value)
            if cell is not None and kind == "text":
                cell.append(value)
    if RAW_ACTIVE.search(text) and "script" not in findings.codes():
        report("script", "markup that a browser may read as active content")
    scan_text("\n".join(words), findings, place="text", lines=False)
    for n, rows in enumerate(tables, 1):
        _check_page_table(n, [row for row in rows if row], findings, limits, earlier)


def _check_page_table(n: int, rows: list[list[str]], findings: Findings, limits: Limits,
                      earlier: Sequence[Earlier]) -> None:
    if len(rows) < 2:
        return
    header, body = rows[0], rows[1:limits.max_rows + 1]
    width = max(len(header), *(len(row) for row in body))
    columns = [*header, *(f"column {i + 1}" for i in range(len(header), width))]
    cells = [[read_cell(row[i] if i < len(row) else "") for row in body] for i in range(width)]
    table = Table(columns, cells, None, len(rows) - 1 > limits.max_rows)
    sub = Findings()
    check_table(table, sub, limits=limits, declared=None, earlier=earlier)
    for f in sub.all():
        findings.add(f.code, f.blocking, f.message, f"table {n}, {f.where}".rstrip(", "),
                     group=f"table {n}:{f.code}")
