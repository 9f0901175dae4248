"""Check a file attached to an access application before it is stored.

Only PDF and office documents (OOXML .docx/.xlsx/.pptx, OpenDocument .odt/.ods/.odp) are taken.
The kind is read from the content (magic bytes, then structure), never from the name or the
browser's content type, and the name's extension must agree with it. What could run on the
reader's computer is refused: PDF JavaScript, launch actions, embedded files, rich media and XFA
forms; Office macros and ActiveX. Encrypted files are refused too: they cannot be inspected.

`check_document(name, data, max_bytes)` returns a `Document` or raises `DocumentRefused`, whose
message says, in the active language, what is wrong and what is accepted. No Django here but
gettext, so that the rules can be tested and reused without a request.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Literal
from xml.etree import ElementTree

from django.utils.translation import gettext_lazy as _

Kind = Literal["pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp"]

CONTENT_TYPES: dict[Kind, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
# For <input type="file" accept="...">: a hint to the browser, the check is check_document's.
ACCEPT = ",".join(f".{kind}" for kind in CONTENT_TYPES)

MB = 1024 * 1024
MAX_UNZIPPED = 200 * MB  # and never more than 10 times the file's own limit
MAX_RATIO = 100  # uncompressed / compressed: for a part over 1 MB, and a package over 10 MB
MAX_PARTS = 10_000
MAX_XML = 4 * MB  # [Content_Types].xml, _rels/.rels, manifest.xml: a few kB in practice
# Looking for active content: pypdf parses about 30,000 objects a second; a long report has
# 10,000 to 30,000.
MAX_PDF_OBJECTS = 100_000
MAX_PDF_NODES = 2_000_000  # values inside the objects


@dataclass(frozen=True)
class Document:
    kind: Kind
    content_type: str  # the canonical MIME type of `kind`
    size: int  # bytes
    sha256: str  # hex
    safe_name: str  # the client's name, fit for a file system and a Content-Disposition header


class DocumentRefused(Exception):
    """`message`: a sentence for the person who sent the file, translated in the active
    language; `code`: a stable word for logs and tests."""

    def __init__(self, message: object, code: str = "refused") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code


def check_document(name: str, data: bytes | IO[bytes], max_bytes: int) -> Document:
    """The document `data` sent under the name `name`, or DocumentRefused. A file object is read
    from its current position (at most max_bytes + 1 bytes), then put back there, so that the
    caller can store it."""
    raw = _read(data, max_bytes)
    if raw.startswith(PDF_MAGIC):
        kind: Kind = "pdf"
        _agree(name, kind)
        _check_pdf(raw)
    elif raw.startswith(ZIP_MAGIC):
        kind = _check_package(raw, max_bytes)
        _agree(name, kind)
    else:
        raise _refusal(raw, _extension(name))
    return Document(kind=kind, content_type=CONTENT_TYPES[kind], size=len(raw),
                    sha256=hashlib.sha256(raw).hexdigest(), safe_name=safe_name(name, kind))


# Size --------------------------------------------------------------------------------------------

def _read(data: bytes | IO[bytes], max_bytes: int) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        declared = _remaining(data)
        if declared is not None and declared > max_bytes:
            raise _too_large(declared, max_bytes)
        start = data.tell() if data.seekable() else None
        raw = data.read(max_bytes + 1)
        if start is not None:
            data.seek(start)
        if len(raw) > max_bytes:  # the declared size was wrong, or there was none
            raise DocumentRefused(_("The file is larger than the limit of %(limit)s.")
                                  % {"limit": _megabytes(max_bytes, up=False)}, "too_large")
    if len(raw) > max_bytes:
        raise _too_large(len(raw), max_bytes)
    if not raw:
        raise DocumentRefused(_("The file is empty."), "empty")
    return raw


def _remaining(data: IO[bytes]) -> int | None:
    """What is left to read of `data`, if it tells without reading: Django's uploaded files have
    a `size`, files on disk and in memory can seek."""
    size = getattr(data, "size", None)
    if isinstance(size, int):
        return size
    try:
        if data.seekable():
            here = data.tell()
            end = data.seek(0, io.SEEK_END)
            data.seek(here)
            return end - here
    except (OSError, ValueError):
        pass
    return None


def _too_large(size: int, limit: int) -> DocumentRefused:
    return DocumentRefused(_("The file is %(size)s; the limit is %(limit)s.")
                           % {"size": _megabytes(size, up=True),
                              "limit": _megabytes(limit, up=False)}, "too_large")


def _megabytes(n: int, *, up: bool) -> str:
    """n bytes in whole MB (kB under 1 MB). The size is rounded up and the limit down, so that a
    refused size never reads as equal to the limit."""
    unit, text = (MB, _("%(n)s MB")) if n >= MB else (1024, _("%(n)s kB"))
    whole = -(-n // unit) if up else max(n // unit, 1)
    return str(text % {"n": whole})


# Kind --------------------------------------------------------------------------------------------

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: Office 97-2003, or encrypted
ODF_KINDS: dict[bytes, Kind] = {CONTENT_TYPES[k].encode(): k for k in ("odt", "ods", "odp")}


def _refusal(raw: bytes, extension: str) -> DocumentRefused:
    """Why a file that is neither a PDF nor a zip is refused."""
    if raw.startswith(CFB_MAGIC):
        return _compound_refusal(raw)
    if raw.startswith(b"{\\rtf"):
        return DocumentRefused(_("RTF files are not accepted: save it as .docx, .odt or PDF."),
                               "rtf")
    if extension == "pdf":
        return DocumentRefused(_("The file is not a PDF: its content does not start like one. "
                                 "Save or export it as PDF again."), "not_pdf")
    if extension in CONTENT_TYPES:
        return DocumentRefused(_("The file's name ends in .%(extension)s, but its content is not "
                                 "in that format: save it again from its application.")
                               % {"extension": extension}, "not_document")
    return _unaccepted()


def _unaccepted() -> DocumentRefused:
    return DocumentRefused(_("This kind of file is not accepted: send a PDF or an office "
                             "document (.docx, .xlsx, .pptx, .odt, .ods or .odp)."), "unaccepted")


def _damaged() -> DocumentRefused:
    return DocumentRefused(_("The document is damaged and cannot be read: save it again from its "
                             "application, or export it as PDF."), "damaged")


def _compound_refusal(raw: bytes) -> DocumentRefused:
    """An OLE compound file is either an encrypted OOXML document or an Office 97-2003 one."""
    if _has_stream(raw, "EncryptedPackage"):
        return _protected()
    if _has_stream(raw, "WordDocument"):
        return DocumentRefused(_("Word 97-2003 files (.doc) are not accepted: save it as .docx "
                                 "or PDF."), "legacy_office")
    if _has_stream(raw, "Workbook") or _has_stream(raw, "Book"):
        return DocumentRefused(_("Excel 97-2003 files (.xls) are not accepted: save it as .xlsx "
                                 "or PDF."), "legacy_office")
    if _has_stream(raw, "PowerPoint Document"):
        return DocumentRefused(_("PowerPoint 97-2003 files (.ppt) are not accepted: save it as "
                                 ".pptx or PDF."), "legacy_office")
    return _unaccepted()


def _has_stream(raw: bytes, name: str) -> bool:
    """Whether the compound file has a directory entry called `name`. Entries are 128 bytes,
    128-aligned, starting with the UTF-16 name and its length at byte 64: looking for the name at
    such an offset, with a matching length, does not mistake the document's text for it."""
    wanted = name.encode("utf-16-le") + b"\0\0"
    length = len(wanted).to_bytes(2, "little")
    start = raw.find(wanted, 512)
    while start != -1:
        if start % 128 == 0 and raw[start + 64:start + 66] == length:
            return True
        start = raw.find(wanted, start + 1)
    return False


# Name --------------------------------------------------------------------------------------------

def _base(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _extension(name: str) -> str:
    base = _base(name)
    return base.rpartition(".")[2].strip().lower() if "." in base else ""


def _agree(name: str, kind: Kind) -> None:
    extension = _extension(name)
    if extension and extension != kind:
        shown = "".join(c for c in extension if c.isalnum())[:10]
        raise DocumentRefused(_("The file's name ends in .%(extension)s, but its content is in "
                                "the %(kind)s format: give it the extension .%(kind_lower)s.")
                              % {"extension": shown, "kind": kind.upper(), "kind_lower": kind},
                              "wrong_extension")


WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10))}
NOT_IN_NAMES = re.compile(r'[<>:"|?*]')  # refused by Windows, confusing in a header
MAX_STEM = 100  # characters, and 200 bytes in UTF-8: file systems take 255 bytes


def safe_name(name: str, kind: Kind) -> str:
    """The client's file name without directories, control or format characters (direction
    overrides included), leading dots, Windows' forbidden characters or reserved names, bounded,
    and ending in the extension of `kind`."""
    base = unicodedata.normalize("NFC", _base(name)).strip()
    stem = base[: -len(kind) - 1] if base.lower().endswith("." + kind) else base
    kept = []
    for char in stem:
        category = unicodedata.category(char)
        if category == "Cc" or category[0] == "Z":  # line breaks and tabs, odd spaces
            kept.append(" ")
        elif category[0] != "C":  # format (direction overrides), surrogate, unassigned
            kept.append(char)
    stem = " ".join(NOT_IN_NAMES.sub("_", "".join(kept)).split())
    stem = stem[:MAX_STEM]
    while len(stem.encode()) > 2 * MAX_STEM:
        stem = stem[:-1]
    stem = stem.lstrip(". ").rstrip(". ")
    if stem.split(".")[0].upper() in WINDOWS_RESERVED:
        stem = "_" + stem
    return f"{stem or 'document'}.{kind}"


# PDF ---------------------------------------------------------------------------------------------

def _check_pdf(raw: bytes) -> None:
    # Imported here: only PDF uploads pay for it.
    from pypdf import PdfReader, apply_configuration

    try:
        # Never call the external JBIG2 decoder on a stranger's file.
        with apply_configuration(jbig2dec_binary=None):
            reader = PdfReader(io.BytesIO(raw), strict=True)
            if "/Root" not in reader.trailer:  # pypdf would look for a catalog among the objects
                raise _pdf_damaged()
            if reader.is_encrypted:
                raise _pdf_encrypted()
            if len(reader.pages) == 0:
                raise DocumentRefused(_("The PDF has no pages."), "no_pages")
            found = _active_content(reader.trailer)
    except DocumentRefused:
        raise
    except Exception:  # pypdf raises many kinds on hostile input, RecursionError included
        if re.search(rb"/Encrypt\b", raw):  # a scheme pypdf cannot read: still encrypted
            raise _pdf_encrypted() from None
        raise _pdf_damaged() from None
    if found:
        names = ", ".join(sorted(str(ACTIVE_LABELS[what]) for what in found))
        raise DocumentRefused(_("The PDF contains content that could run on the reader's "
                                "computer (%(found)s): print it to a new PDF, or export it again "
                                "without these.") % {"found": names}, "active_content")


def _pdf_damaged() -> DocumentRefused:
    return DocumentRefused(_("The PDF is damaged and cannot be read: save or export it as PDF "
                             "again."), "damaged")


def _pdf_encrypted() -> DocumentRefused:
    return DocumentRefused(_("The PDF is encrypted: send it without a password or protection."),
                           "encrypted")


ACTIVE_LABELS = {"javascript": _("JavaScript"), "launch": _("an action that opens a program"),
                 "embedded": _("embedded files"), "richmedia": _("rich media"),
                 "xfa": _("an XFA form")}
ACTIVE_KEYS = {"/JS": "javascript", "/JavaScript": "javascript", "/EmbeddedFiles": "embedded",
               "/EF": "embedded", "/RichMediaContent": "richmedia",
               "/RichMediaSettings": "richmedia", "/XFA": "xfa"}
ACTIVE_VALUES = {("/S", "/JavaScript"): "javascript", ("/S", "/Launch"): "launch",
                 ("/Type", "/EmbeddedFile"): "embedded", ("/Subtype", "/RichMedia"): "richmedia"}


def _active_content(trailer: object) -> set[str]:
    """What is active in the objects reachable from the trailer (pypdf decodes names, so
    /J#61vaScript reads /JavaScript). Iterative, with a visited set: PDF objects form a graph,
    and nesting can be deep. Streams are not decoded: their dictionaries are enough."""
    from pypdf.generic import IndirectObject  # PDF dictionaries and arrays are dicts and lists

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    todo: list[object] = [trailer]
    walked = 0
    while todo:
        walked += 1
        if walked > MAX_PDF_NODES or len(seen) > MAX_PDF_OBJECTS:
            raise DocumentRefused(_("The PDF has too many objects to be checked: print it to a "
                                    "new PDF."), "too_complex")
        node = todo.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key not in seen:
                seen.add(key)
                todo.append(node.get_object())
        elif isinstance(node, dict):
            for name, value in node.items():
                if name in ACTIVE_KEYS:
                    found.add(ACTIVE_KEYS[name])
                if isinstance(value, str) and (name, value) in ACTIVE_VALUES:
                    found.add(ACTIVE_VALUES[(name, value)])
                todo.append(value)
        elif isinstance(node, list):
            todo.extend(node)
    return found


# OOXML and OpenDocument --------------------------------------------------------------------------

OOXML_KINDS: dict[str, Kind] = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
OOXML_MACRO_TYPES = {
    "application/vnd.ms-word.document.macroEnabled.main+xml",  # .docm
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",  # .dotm
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",  # .xlsm
    "application/vnd.ms-excel.template.macroEnabled.main+xml",  # .xltm
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",  # .xlam
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",  # .pptm
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",  # .ppsm
    "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",  # .potm
    "application/vnd.ms-powerpoint.addin.macroEnabled.main+xml",  # .ppam
}
# Parts that hold code, whatever the main part says.
OOXML_ACTIVE_TYPES = {
    "application/vnd.ms-office.vbaproject",
    "application/vnd.ms-office.vbaprojectsignature",
    "application/vnd.ms-excel.macrosheet+xml",  # Excel 4.0 macros
    "application/vnd.ms-excel.intlmacrosheet+xml",
    "application/vnd.ms-office.activex+xml",
    "application/vnd.ms-office.activex",
}
OFFICE_DOCUMENT = re.compile(r"/officeDocument/20\d\d/relationships/officeDocument$|"
                             r"/officeDocument/relationships/officeDocument$")  # strict OOXML
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELATIONSHIPS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _macros() -> DocumentRefused:
    return DocumentRefused(_("The document contains macros or other active content: save it "
                             "without macros (as .docx, .xlsx, .pptx, .odt, .ods or .odp), or as "
                             "PDF."), "macros")


def _check_package(raw: bytes, max_bytes: int) -> Kind:
    """The kind of a zip that is an OpenDocument (its first entry is `mimetype`, stored) or an
    OOXML package ([Content_Types].xml and _rels/.rels name the main part), once it is checked."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            _check_zip(package, max_bytes)
            is_odf = "mimetype" in package.namelist()
            kind = _check_odf(package) if is_odf else _check_ooxml(package)
            for part in package.infolist():  # zipfile checks sizes and CRCs as it reads
                with package.open(part) as stream:
                    while stream.read(MB):
                        pass
            return kind
    except DocumentRefused:
        raise
    except Exception:  # zipfile, zlib and ElementTree raise many kinds on hostile input
        raise _damaged() from None


def _check_zip(package: zipfile.ZipFile, max_bytes: int) -> None:
    """Every part: a relative path, stored or deflated, not encrypted; and no zip bomb, from the
    declared sizes, which zipfile holds the data to when it reads."""
    parts = package.infolist()
    if not parts or len(parts) > MAX_PARTS or len(set(package.namelist())) != len(parts):
        raise _damaged()
    total = 0
    for part in parts:
        path = part.filename
        if (path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", path) or "\0" in path
                or ".." in re.split(r"[/\\]", path)):
            raise _damaged()
        if part.flag_bits & 0x1:
            raise _protected()
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged()
        total += part.file_size
        if part.file_size > MB and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise _bomb()
    packed = sum(part.compress_size for part in parts)
    if total > min(10 * max_bytes, MAX_UNZIPPED) or (total > 10 * MB
                                                      and total > MAX_RATIO * max(packed, 1)):
        raise _bomb()


def _protected() -> DocumentRefused:
    return DocumentRefused(_("The document is protected by a password: save a copy without the "
                             "password and send that."), "encrypted")


def _bomb() -> DocumentRefused:
    return DocumentRefused(_("The document holds too much data once decompressed: send it as "
                             "PDF."), "zip_bomb")


def _xml(package: zipfile.ZipFile, path: str) -> ElementTree.Element:
    """A small XML part, without a DTD: none is allowed in OOXML or ODF packages, and a DTD is
    where entity expansion attacks live."""
    info = package.getinfo(path)
    if info.file_size > MAX_XML:
        raise _damaged()
    text = package.read(info)
    if b"<!DOCTYPE" in text.upper() or b"<!ENTITY" in text.upper():
        raise _damaged()
    return ElementTree.fromstring(text)


def _find(package: zipfile.ZipFile, path: str) -> str | None:
    """The entry for the part `path`: OPC part names ignore case."""
    wanted = path.lstrip("/").lower()
    return next((n for n in package.namelist() if n.lower() == wanted), None)


def _check_ooxml(package: zipfile.ZipFile) -> Kind:
    """The kind named by the content type of the part that _rels/.rels calls the office
    document; refused when a part holds code (VBA, Excel 4.0 macro sheets, ActiveX)."""
    types_path, rels_path = _find(package, "[Content_Types].xml"), _find(package, "_rels/.rels")
    if types_path is None or rels_path is None:
        raise _unaccepted()
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for element in _xml(package, types_path):
        content_type = element.get("ContentType", "")
        if element.tag == CONTENT_TYPES_NS + "Default":
            defaults[element.get("Extension", "").lower()] = content_type
        elif element.tag == CONTENT_TYPES_NS + "Override":
            overrides[element.get("PartName", "").lower()] = content_type
    if (any(t.lower() in OOXML_ACTIVE_TYPES for t in [*defaults.values(), *overrides.values()])
            or any(posixpath.basename(n).lower() == "vbaproject.bin"
                   for n in package.namelist())):
        raise _macros()
    main = None
    for relationship in _xml(package, rels_path).iter(RELATIONSHIPS_NS + "Relationship"):
        if (OFFICE_DOCUMENT.search(relationship.get("Type", ""))
                and relationship.get("TargetMode", "Internal") == "Internal"):
            target = posixpath.normpath("/" + relationship.get("Target", "").lstrip("/")).lower()
            if _find(package, target) is None:
                raise _damaged()
            main = overrides.get(target) or defaults.get(target.rpartition(".")[2])
            break
    if main in OOXML_MACRO_TYPES:
        raise _macros()
    if main is None or main not in OOXML_KINDS:
        raise DocumentRefused(_("This kind of Office file is not accepted: send a .docx, .xlsx "
                                "or .pptx document, or a PDF."), "unaccepted")
    return OOXML_KINDS[main]


def _check_odf(package: zipfile.ZipFile) -> Kind:
    """An OpenDocument text, spreadsheet or presentation, unencrypted, without Basic or other
    scripts."""
    first = package.getinfo("mimetype")
    kind = ODF_KINDS.get(package.read(first) if first.file_size <= 100 else b"")
    if kind is None:
        raise DocumentRefused(_("This kind of OpenDocument file is not accepted: send an .odt, "
                                ".ods or .odp document, or a PDF."), "unaccepted")
    # The standard wants `mimetype` first and stored, where `file` and others look for it;
    # office suites write it so: a file without it was rewritten by some other tool.
    if first.header_offset != 0 or first.compress_type != zipfile.ZIP_STORED:
        raise _damaged()
    names = package.namelist()
    if "META-INF/manifest.xml" not in names:
        raise _damaged()
    manifest = _xml(package, "META-INF/manifest.xml")
    if any(element.tag.endswith("}encryption-data") for element in manifest.iter()):
        raise _protected()
    if "content.xml" not in names:
        raise _damaged()
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise _macros()
    return kind
