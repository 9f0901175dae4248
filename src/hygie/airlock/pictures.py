"""PNG pictures and PDF documents: well-formed, nothing active, their text scanned, and always
left to a person (a picture or a page can show small counts that only a reader sees).

PNG: the signature, every chunk's length and CRC, IHDR first and IEND last with nothing after it
(no file hidden behind the picture), no unknown critical chunk, and a cap on the pixels. Text
chunks (tEXt, zTXt, iTXt) are scanned; tools write creation dates there, so keywords that say
"date" or "time" are scanned for identifiers only.

PDF: read with pypdf (never calling an external image decoder); every object reachable from the
trailer is walked for JavaScript, launch, submit and remote actions, embedded and attached files,
rich media and XFA forms; names are also searched in the raw bytes, in case a lenient reading
missed an object that another reader would find. The text of each page is scanned. The same rules
as the guichet's attachments (hygie.web.documents), written here without Django.
"""

from __future__ import annotations

import io
import re
import zlib

from hygie.airlock.findings import Findings
from hygie.airlock.limits import Limits
from hygie.airlock.parse import Unreadable
from hygie.airlock.text import scan_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})
PNG_TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})
MAX_CHUNKS = 100_000
MAX_CHUNK_TEXT = 1024 * 1024  # decompressed, per text chunk
# Colour type -> allowed bit depths (PNG specification, 11.2.2 IHDR).
PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
PICTURE_REVIEW = "a picture: only a person can see whether it shows small counts or identifiers"


def check_png(data: bytes, findings: Findings, limits: Limits) -> None:
    if not data.startswith(PNG_SIGNATURE):
        raise Unreadable("not a PNG picture")
    pos, count, size, ended, images = len(PNG_SIGNATURE), 0, (0, 0), False, 0
    texts: list[tuple[str, str]] = []
    while pos < len(data) and not ended:
        if pos + 12 > len(data):
            raise Unreadable("a PNG chunk is cut short")
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data) or not kind.isalpha() or not kind.isascii():
            raise Unreadable(f"a damaged PNG chunk at byte {pos}")
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != int.from_bytes(data[end - 4:end], "big"):
            raise Unreadable(f"a PNG chunk ({kind.decode()}) whose checksum is wrong")
        if count == 0:
            size = _header(kind, body)
        elif kind == b"IHDR":
            raise Unreadable("a PNG with two headers")
        elif kind[:1].isupper() and kind not in PNG_CRITICAL:
            raise Unreadable(f"a PNG with an unknown critical chunk {kind.decode()}")
        elif kind in PNG_TEXT:
            texts.append(_chunk_text(kind, body))
        images += kind == b"IDAT"
        ended = kind == b"IEND"
        pos, count = end, count + 1
        if count > MAX_CHUNKS:
            raise Unreadable("a PNG with too many chunks")
    if not ended or not images:
        raise Unreadable("a PNG without image data or without its end")
    if pos != len(data):
        raise Unreadable(f"{len(data) - pos} bytes after the end of the PNG picture")
    width, height = size
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        findings.add("too_big", True, f"a picture of {width} x {height} pixels (at most "
                     f"{limits.max_side:,} a side and {limits.max_pixels:,} in all)")
    for keyword, text in texts:
        dated = re.search(r"date|time", keyword, re.IGNORECASE) is None
        scan_text(f"{keyword}\n{text}", findings, place=f"text chunk {keyword[:40]}",
                  dates=dated, lines=False)
    findings.add("manual_review", False, PICTURE_REVIEW)


def _header(kind: bytes, body: bytes) -> tuple[int, int]:
    if kind != b"IHDR" or len(body) != 13:
        raise Unreadable("a PNG whose first chunk is not its header")
    width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
    depth, colour = body[8], body[9]
    if not width or not height or depth not in PNG_DEPTHS.get(colour, set()) \
            or body[10:13] not in (b"\0\0\0", b"\0\0\1"):
        raise Unreadable("a PNG header with impossible values")
    return width, height


def _chunk_text(kind: bytes, body: bytes) -> tuple[str, str]:
    keyword, _, rest = body.partition(b"\0")
    if kind == b"tEXt":
        text = rest
    elif kind == b"zTXt":
        text = _inflate(rest[1:])
    else:  # iTXt: flag, method, language, translated keyword, text
        flag, rest = rest[:1], rest[2:]
        _language, _, rest = rest.partition(b"\0")
        translated, _, text = rest.partition(b"\0")
        text = translated + b"\n" + (_inflate(text) if flag == b"\1" else text)
    return keyword.decode("latin-1"), text.decode("utf-8", "replace")


def _inflate(data: bytes) -> bytes:
    try:
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, MAX_CHUNK_TEXT)
    except zlib.error:
        raise Unreadable("a PNG text chunk that cannot be decompressed") from None
    if inflater.unconsumed_tail:
        raise Unreadable("a PNG text chunk too large once decompressed")
    return out


# PDF ---------------------------------------------------------------------------------------------

MAX_PAGES = 300  # pages whose text is scanned
MAX_OBJECTS = 100_000
MAX_NODES = 2_000_000
PDF_KEYS = {"/JS": ("script", "JavaScript"), "/JavaScript": ("script", "JavaScript"),
            "/EmbeddedFiles": ("embedded_file", "embedded files"),
            "/EF": ("embedded_file", "an embedded file"),
            "/RichMediaContent": ("script", "rich media"), "/XFA": ("script", "an XFA form")}
PDF_PAIRS = {
    ("/S", "/JavaScript"): ("script", "JavaScript"),
    ("/S", "/Launch"): ("script", "an action that opens a program"),
    ("/S", "/Rendition"): ("script", "a media action"),
    ("/S", "/SubmitForm"): ("external", "a form that sends its content"),
    ("/S", "/ImportData"): ("external", "an action that imports data"),
    ("/S", "/GoToR"): ("external", "a link into another file"),
    ("/S", "/GoToE"): ("embedded_file", "a link into an embedded file"),
    ("/S", "/URI"): ("manual_review", "a link to a site"),
    ("/Type", "/EmbeddedFile"): ("embedded_file", "an embedded file"),
    ("/Subtype", "/FileAttachment"): ("embedded_file", "an attached file"),
    ("/Subtype", "/RichMedia"): ("script", "rich media"),
}
# Long names only: three bytes such as /JS occur by chance in compressed streams.
RAW_NAMES = re.compile(rb"/(JavaScript|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm)"
                       rb"(?![A-Za-z0-9])")


def check_pdf(data: bytes, findings: Findings) -> None:
    from pypdf import PdfReader, apply_configuration

    def flag(code: str, what: str) -> None:
        findings.add(code, code != "manual_review", f"the PDF contains {what}", "document",
                     group=f"pdf:{code}")

    try:
        with apply_configuration(jbig2dec_binary=None):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                findings.add("encrypted", True, "an encrypted PDF cannot be inspected: send it "
                             "without a password or protection")
                return
            for code, what in sorted(_active(reader.trailer)):
                flag(code, what)
            pages = reader.pages
            texts = [page.extract_text() or "" for page in pages[:MAX_PAGES]]
            info = [str(v) for v in (reader.metadata or {}).values()]
            total = len(pages)
    except Unreadable:
        raise
    except Exception:  # pypdf raises many kinds on damaged or hostile input, RecursionError too
        if re.search(rb"/Encrypt(?![A-Za-z])", data):
            findings.add("encrypted", True, "an encrypted PDF cannot be inspected")
            return
        raise Unreadable("a PDF that cannot be read: export it again") from None
    for m in {m.group(1).decode() for m in RAW_NAMES.finditer(data)}:
        code = "embedded_file" if m.startswith("Embedded") else (
            "external" if m == "SubmitForm" else "script")
        if code not in findings.codes():
            flag(code, f"/{m}")
    for n, text in enumerate(texts, 1):
        scan_text(text, findings, place=f"page {n}")
    scan_text("\n".join(info), findings, place="properties", dates=False, lines=False)
    if total > MAX_PAGES:
        findings.add("manual_review", False, f"only the text of the first {MAX_PAGES} of "
                     f"{total} pages was scanned")
    findings.add("manual_review", False, "a document: only a person can see whether its "
                 "figures and tables show small counts")


def _active(trailer: object) -> set[tuple[str, str]]:
    """(code, what) of the active content reachable from the trailer, each object once."""
    from pypdf.generic import IndirectObject

    found: set[tuple[str, str]] = set()
    visited: set[tuple[int, int]] = set()
    todo = [trailer]
    nodes = 0
    while todo:
        node = todo.pop()
        nodes += 1
        if nodes > MAX_NODES or len(visited) > MAX_OBJECTS:
            raise Unreadable("a PDF with too many objects to be checked: print it to a new PDF")
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref not in visited:
                visited.add(ref)
                todo.append(node.get_object())
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in PDF_KEYS:
                    found.add(PDF_KEYS[key])
                if isinstance(value, str) and (key, value) in PDF_PAIRS:
                    found.add(PDF_PAIRS[(key, value)])
                todo.append(value)
        elif isinstance(node, list):
            todo.extend(node)
    return found
