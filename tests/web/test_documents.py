"""The checker of the files attached to access applications (hygie.web.documents).

Every file is built here: a one-page PDF from pypdf's PdfWriter or written object by object (to
hold exactly the defect or the name a case needs), OOXML and OpenDocument packages written with
zipfile, an OLE compound file reduced to its directory entries.
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import IO

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from hygie.web.documents import (
    ACCEPT,
    CONTENT_TYPES,
    Document,
    DocumentRefused,
    Kind,
    check_document,
    safe_name,
)

MB = 1024 * 1024
LIMIT = 20 * MB


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs what it finds wrong in the broken files these tests make on purpose."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def refused(name: str, data: bytes | IO[bytes], max_bytes: int = LIMIT) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as caught:
        check_document(name, data, max_bytes)
    return caught.value


# PDF builders ------------------------------------------------------------------------------------

def pdf(change: object = None) -> bytes:
    """A one-page PDF written by pypdf; `change(writer)` adds to it first."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if callable(change):
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(*objects: bytes, trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF made of `objects` (numbered from 1), with an exact xref table: a byte of the body
    is what the case says, and nothing else is wrong."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, trailer, xref)
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"


def catalog_with(entries: bytes) -> bytes:
    return raw_pdf(b"<< /Type /Catalog /Pages 2 0 R %s >>" % entries, PAGES, PAGE)


# Office builders ---------------------------------------------------------------------------------

MAIN = {
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
}
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def ooxml(kind: Kind = "docx", *, main_type: str | None = None, types: str = "",
          parts: dict[str, bytes] | None = None, rels_target: str | None = None) -> bytes:
    """A minimal OOXML package: content types, the package relationships, the main part."""
    path, content_type = MAIN[kind]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{path}" ContentType="{main_type or content_type}"/>{types}'
        "</Types>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" '
            f'Target="{rels_target or path}"/></Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", rels)
        package.writestr(path, b'<?xml version="1.0"?><document>Hello</document>')
        for name, data in (parts or {}).items():
            package.writestr(name, data)
    return out.getvalue()


MANIFEST = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
            b' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
            b' manifest:media-type="%s"/>%s</manifest:manifest>')
ENCRYPTED_ENTRY = (b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                   b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
                   b'<manifest:algorithm manifest:algorithm-name="Blowfish CFB"/>'
                   b'</manifest:encryption-data></manifest:file-entry>')


def odf(kind: Kind = "odt", *, mimetype: bytes | None = None, mimetype_first: bool = True,
        manifest_extra: bytes = b"", parts: dict[str, bytes] | None = None) -> bytes:
    """A minimal OpenDocument: `mimetype` first and stored, the manifest, content.xml."""
    media = mimetype or CONTENT_TYPES[kind].encode()
    entries = [("META-INF/manifest.xml", MANIFEST % (media, manifest_extra)),
               ("content.xml", b'<?xml version="1.0"?><office:document-content '
                               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>'),
               *(parts or {}).items()]
    mimetype_entry = ("mimetype", media)
    entries = [mimetype_entry, *entries] if mimetype_first else [*entries, mimetype_entry]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries:
            package.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else None)
    return out.getvalue()


def rezip(data: bytes, replaced: dict[str, bytes]) -> bytes:
    """The package `data` with the parts named in `replaced` rewritten."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as package:
        for part in source.infolist():
            package.writestr(part, replaced.get(part.filename) or source.read(part))
    return out.getvalue()


def compound_file(*streams: str) -> bytes:
    """An OLE compound file reduced to its header and a directory sector holding `streams`: what
    the checker reads to name the format."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".ljust(512, b"\0")
    directory = b""
    for name in ["Root Entry", *streams]:
        encoded = name.encode("utf-16-le") + b"\0\0"
        directory += encoded.ljust(64, b"\0") + len(encoded).to_bytes(2, "little")
        directory += b"\x02".ljust(62, b"\0")
    return header + directory.ljust(512, b"\0")


# Accepted ----------------------------------------------------------------------------------------

def test_a_pdf_is_accepted_with_its_figures() -> None:
    data = pdf()
    document = check_document("Protocole v2.pdf", data, LIMIT)
    assert document == Document(kind="pdf", content_type="application/pdf", size=len(data),
                                sha256=hashlib.sha256(data).hexdigest(),
                                safe_name="Protocole v2.pdf")


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_ooxml_documents_are_accepted(kind: Kind) -> None:
    document = check_document(f"Annexe.{kind.upper()}", ooxml(kind), LIMIT)
    assert (document.kind, document.content_type) == (kind, CONTENT_TYPES[kind])
    assert document.safe_name == f"Annexe.{kind}"


@pytest.mark.parametrize("kind", ["odt", "ods", "odp"])
def test_opendocuments_are_accepted(kind: Kind) -> None:
    document = check_document(f"Annexe.{kind}", odf(kind), LIMIT)
    assert (document.kind, document.content_type) == (kind, CONTENT_TYPES[kind])


def test_a_pdf_form_without_scripts_is_accepted() -> None:
    def add_form(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject()})

    assert check_document("form.pdf", pdf(add_form), LIMIT).kind == "pdf"


def test_a_name_without_extension_gets_the_kind_s() -> None:
    assert check_document("scan", pdf(), LIMIT).safe_name == "scan.pdf"


def test_a_file_object_is_read_and_put_back_where_it_was() -> None:
    data = pdf()
    stream = io.BytesIO(data)
    assert check_document("a.pdf", stream, LIMIT).size == len(data)
    assert stream.tell() == 0 and stream.read() == data


def test_accept_lists_the_extensions() -> None:
    assert ACCEPT == ".pdf,.docx,.xlsx,.pptx,.odt,.ods,.odp"


# Content, not name -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data", [
    ("report.docx", pdf()),
    ("report.pdf", ooxml("docx")),
    ("report.xlsx", ooxml("docx")),
    ("report.odt", ooxml("docx")),
    ("report.docx", odf("odt")),
    ("report.txt", pdf()),
])
def test_the_extension_must_agree_with_the_content(name: str, data: bytes) -> None:
    error = refused(name, data)
    assert error.code == "wrong_extension"
    assert "but its content is in the" in error.message


def test_a_pdf_named_docx_says_what_it_is() -> None:
    assert refused("a.docx", pdf()).message == (
        "The file's name ends in .docx, but its content is in the PDF format: give it the "
        "extension .pdf.")


def test_what_is_not_a_pdf_is_refused_whatever_its_name() -> None:
    html = b"<!doctype html><script>alert(1)</script>"
    assert refused("report.pdf", html).message.startswith(
        "The file is not a PDF: its content does not start like one.")
    assert refused("report.docx", html).code == "not_document"
    assert refused("report.docx", html).message == (
        "The file's name ends in .docx, but its content is not in that format: save it again from "
        "its application.")
    assert refused("photo.jpg", b"\xff\xd8\xff\xe0JFIF").code == "unaccepted"
    assert refused("a.rtf", b"{\\rtf1\\ansi hello}").code == "rtf"


def test_a_pdf_must_start_with_its_header() -> None:
    assert refused("a.pdf", b"   " + pdf()).code == "not_pdf"


# Size --------------------------------------------------------------------------------------------

def test_an_empty_file_is_refused() -> None:
    assert refused("a.pdf", b"").message == "The file is empty."
    assert refused("a.pdf", io.BytesIO()).code == "empty"


def test_a_file_over_the_limit_is_refused_with_both_sizes() -> None:
    error = refused("a.pdf", b"%PDF-" + b"x" * (31 * MB - 5), max_bytes=LIMIT)
    assert error.message == "The file is 31 MB; the limit is 20 MB."


def test_a_size_just_over_the_limit_never_reads_as_the_limit() -> None:
    assert refused("a.pdf", b"%PDF-" + b"x" * LIMIT).message == (
        "The file is 21 MB; the limit is 20 MB.")


class Upload(io.BytesIO):
    """Like Django's UploadedFile: a declared size, and reads that are counted."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__(data)
        self.size = size
        self.asked = 0

    def read(self, n: int | None = -1) -> bytes:
        self.asked += 1
        return super().read(n)


def test_a_declared_size_over_the_limit_is_refused_before_reading() -> None:
    upload = Upload(b"%PDF-", size=31 * MB)
    assert refused("a.pdf", upload).message == "The file is 31 MB; the limit is 20 MB."
    assert upload.asked == 0


def test_a_stream_that_lies_about_its_size_is_read_no_further_than_the_limit() -> None:
    upload = Upload(b"%PDF-" + b"x" * (3 * MB), size=10)
    error = refused("a.pdf", upload, max_bytes=MB)
    assert error.message == "The file is larger than the limit of 1 MB."


# PDF ---------------------------------------------------------------------------------------------

def test_an_encrypted_pdf_is_refused() -> None:
    error = refused("a.pdf", pdf(lambda w: w.encrypt("secret", algorithm="AES-128")))
    assert error.message == "The PDF is encrypted: send it without a password or protection."


def test_a_pdf_protected_only_against_editing_is_refused_too() -> None:
    """No password to open it, but still encrypted: its objects cannot be inspected as they
    are."""
    assert refused("a.pdf", pdf(lambda w: w.encrypt("", "owner", algorithm="RC4-128"))).code == (
        "encrypted")


@pytest.mark.parametrize("data", [
    pdf()[: len(pdf()) // 2],  # truncated
    pdf()[:-30],  # no end of file marker
    pdf().split(b"xref")[0] + b"%%EOF\n",  # no xref table nor trailer
    b"%PDF-1.7\n" + bytes(range(256)) * 40,  # garbage
    b"%PDF-1.7\n%%EOF\n",
    raw_pdf(CATALOG, PAGES, b"<< /Type /Page /Parent 2 0 R /Contents 9 0 R >>"),  # dangling
    raw_pdf(CATALOG, PAGES, b"<< /Length 1000 >>\nstream\nabc\nendstream"),  # bad length
    raw_pdf(CATALOG, PAGES, PAGE, trailer=b""),  # no /Root
    raw_pdf(CATALOG, PAGES, b"[" * 50_000 + b"]" * 50_000),  # recursion
], ids=["truncated", "no-eof", "no-xref", "garbage", "nothing", "dangling", "length", "no-root",
        "deep"])
def test_a_malformed_pdf_is_refused(data: bytes) -> None:
    error = refused("a.pdf", data)
    assert (error.code, error.message) == (
        "damaged", "The PDF is damaged and cannot be read: save or export it as PDF again.")


def test_the_hand_made_pdf_is_otherwise_well_formed() -> None:
    """The malformed cases above differ from this one by their defect only."""
    assert check_document("a.pdf", raw_pdf(CATALOG, PAGES, PAGE), LIMIT).kind == "pdf"


def test_a_pdf_with_more_objects_than_can_be_checked_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound on the time spent looking for active content (100,000 objects, a few seconds),
    here lowered to the three objects of a minimal PDF."""
    monkeypatch.setattr("hygie.web.documents.MAX_PDF_OBJECTS", 3)
    assert check_document("a.pdf", raw_pdf(CATALOG, PAGES, PAGE), LIMIT).kind == "pdf"
    data = raw_pdf(CATALOG, PAGES, b"<< /Type /Page /Parent 2 0 R /Annots [4 0 R] >>", b"<< >>")
    assert refused("a.pdf", data).code == "too_complex"


def test_a_pdf_without_pages_is_refused() -> None:
    data = raw_pdf(CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>")
    assert refused("a.pdf", data).message == "The PDF has no pages."


def _javascript(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = JavaScript("app.alert('hello');")


def _launch(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"),
        NameObject("/F"): TextStringObject("C:\\Windows\\System32\\calc.exe")})


def _xfa(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject(),
        NameObject("/XFA"): ArrayObject([TextStringObject("template")])})


def _rich_media(writer: PdfWriter) -> None:
    writer.pages[0][NameObject("/Annots")] = ArrayObject([DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/RichMedia"),
        NameObject("/Rect"): ArrayObject()})])


@pytest.mark.parametrize("change, named", [
    (_javascript, "JavaScript"),
    (_launch, "an action that opens a program"),
    (lambda w: w.add_attachment("payload.exe", b"MZ"), "embedded files"),
    (_rich_media, "rich media"),
    (_xfa, "an XFA form"),
], ids=["javascript", "launch", "embedded", "richmedia", "xfa"])
def test_active_content_in_a_pdf_is_refused_and_named(change: object, named: str) -> None:
    error = refused("a.pdf", pdf(change))
    assert error.code == "active_content"
    assert error.message == (
        f"The PDF contains content that could run on the reader's computer ({named}): print it "
        "to a new PDF, or export it again without these.")


def test_every_kind_of_active_content_found_is_named() -> None:
    def both(writer: PdfWriter) -> None:
        _javascript(writer)
        writer.pages[0][NameObject("/AA")] = DictionaryObject({
            NameObject("/O"): DictionaryObject({NameObject("/S"): NameObject("/Launch")})})

    assert "(JavaScript, an action that opens a program)" in refused("a.pdf", pdf(both)).message


def test_names_written_with_escapes_are_still_found() -> None:
    """/J#61vaScript is /JavaScript to a PDF reader."""
    data = catalog_with(b"/OpenAction << /S /J#61vaScript /#4a#53 (app.alert(1)) >>")
    assert "(JavaScript)" in refused("a.pdf", data).message


def test_active_content_on_a_page_deep_in_the_tree_is_found() -> None:
    data = raw_pdf(CATALOG, PAGES, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] "
                                   b"/AA << /O 4 0 R >> >>",
                   b"<< /S /Launch /F (cmd.exe) >>")
    assert "(an action that opens a program)" in refused("a.pdf", data).message


# OOXML and OpenDocument --------------------------------------------------------------------------

def test_a_zip_that_is_no_office_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("readme.txt", "hello")
    assert refused("a.docx", out.getvalue()).code == "unaccepted"


@pytest.mark.parametrize("data", [
    ooxml(main_type="application/vnd.ms-word.document.macroEnabled.main+xml"),
    ooxml("xlsx", main_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
    ooxml(parts={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
    ooxml("xlsx", types='<Override PartName="/xl/macrosheets/sheet1.xml" '
                        'ContentType="application/vnd.ms-excel.macrosheet+xml"/>',
          parts={"xl/macrosheets/sheet1.xml": b"<xm/>"}),
    ooxml(types='<Default Extension="bin" ContentType="application/vnd.ms-office.activeX"/>'),
    odf("odt", parts={"Basic/Standard/Module1.xml": b"<script/>"}),
    odf("ods", parts={"Scripts/python/evil.py": b"import os"}),
], ids=["docm", "xlsm", "vbaproject", "xlm", "activex", "odf-basic", "odf-scripts"])
def test_macros_are_refused(data: bytes) -> None:
    error = refused("a" + (".ods" if b"Scripts/" in data else ".odt" if b"Basic/" in data
                           else ".xlsx" if b"xl/" in data else ".docx"), data)
    assert error.code == "macros"
    assert error.message.startswith("The document contains macros or other active content")


def test_another_office_package_is_refused() -> None:
    template = ooxml(main_type="application/vnd.openxmlformats-officedocument"
                               ".wordprocessingml.template.main+xml")
    assert "send a .docx, .xlsx or .pptx document" in refused("a.dotx", template).message
    drawing = odf(mimetype=b"application/vnd.oasis.opendocument.graphics")
    assert "send an .odt, .ods or .odp document" in refused("a.odg", drawing).message


@pytest.mark.parametrize("data", [
    ooxml()[:-40],  # truncated
    ooxml(rels_target="word/missing.xml"),  # main part missing
    ooxml(types="<broken"),  # not XML
    odf(mimetype_first=False),
    ooxml(parts={"../../etc/cron.d/evil": b"x"}),
    ooxml(parts={"/etc/passwd": b"x"}),
    ooxml(parts={"C:/Windows/evil.dll": b"x"}),
], ids=["truncated", "no-main-part", "bad-xml", "mimetype-not-first", "dotdot", "absolute",
        "drive"])
def test_a_damaged_package_is_refused(data: bytes) -> None:
    assert refused("a.docx" if b"word/" in data else "a.odt", data).code == "damaged"


def test_a_corrupt_part_is_found() -> None:
    noise = random.Random(0).randbytes(5000)  # incompressible: the part stays 5000 bytes long
    data = bytearray(ooxml(parts={"word/media/big.bin": noise}))
    middle = data.index(b"word/media/big.bin") + 100
    data[middle:middle + 20] = bytes(20)
    assert refused("a.docx", bytes(data)).code == "damaged"


def test_a_dtd_is_refused() -> None:
    """Entity expansion (billion laughs) lives in DTDs; OOXML and ODF have none."""
    bomb = ('<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            "&lol2;</Types>")
    assert refused("a.docx", rezip(ooxml(), {"[Content_Types].xml": bomb.encode()})).code == (
        "damaged")
    manifest = MANIFEST % (CONTENT_TYPES["odt"].encode(), b"")
    with_dtd = manifest.replace(b"<manifest:manifest", b'<!DOCTYPE m [<!ENTITY x "x">]>'
                                                       b"<manifest:manifest")
    path = "META-INF/manifest.xml"
    assert check_document("a.odt", rezip(odf(), {path: manifest + b" "}), LIMIT).kind == "odt"
    assert refused("a.odt", rezip(odf(), {path: with_dtd})).code == "damaged"


def test_a_duplicate_part_name_is_refused() -> None:
    """Two parts of one name: which one a reader takes depends on the reader."""
    out = io.BytesIO(ooxml())
    with zipfile.ZipFile(out, "a") as package, pytest.warns(UserWarning, match="Duplicate"):
        package.writestr("word/document.xml", b"<other/>")
    assert refused("a.docx", out.getvalue()).code == "damaged"


def test_a_zip_bomb_is_refused() -> None:
    bomb = ooxml(parts={"word/media/zeros.bin": bytes(30 * MB)})
    assert len(bomb) < 100_000
    error = refused("a.docx", bomb)
    assert error.code == "zip_bomb"
    assert error.message == "The document holds too much data once decompressed: send it as PDF."


def test_the_uncompressed_total_is_capped_at_ten_times_the_limit() -> None:
    """12 parts of 1 MB that compress 50 times: under both ratio caps, not under the total's."""
    block = random.Random(0).randbytes(20_000)
    part = (block * 53)[:MB]
    data = ooxml(parts={f"word/media/{i}.bin": part for i in range(12)})
    assert check_document("a.docx", data, 2 * MB).kind == "docx"
    assert refused("a.docx", data, max_bytes=MB).code == "zip_bomb"


def test_many_small_parts_that_compress_too_well_are_refused() -> None:
    """Parts of 1 MB escape the ratio cap on a part (small parts compress well in honest files
    too), not the ratio cap on the package."""
    data = ooxml(parts={f"word/media/{i}.bin": bytes(MB) for i in range(30)})
    assert refused("a.docx", data, max_bytes=4 * MB).code == "zip_bomb"


def test_an_encrypted_zip_entry_is_refused() -> None:
    data = bytearray(ooxml())
    data[6] |= 1  # the first local header's flag: encrypted
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1
    assert refused("a.docx", bytes(data)).code == "encrypted"


def test_an_encrypted_opendocument_is_refused() -> None:
    data = odf(manifest_extra=ENCRYPTED_ENTRY)
    assert refused("a.odt", data).message == (
        "The document is protected by a password: save a copy without the password and send that.")


# Office 97-2003 and encrypted OOXML (OLE compound files) -----------------------------------------

@pytest.mark.parametrize("streams, message", [
    (["WordDocument", "1Table"],
     "Word 97-2003 files (.doc) are not accepted: save it as .docx or PDF."),
    (["Workbook"], "Excel 97-2003 files (.xls) are not accepted: save it as .xlsx or PDF."),
    (["PowerPoint Document"],
     "PowerPoint 97-2003 files (.ppt) are not accepted: save it as .pptx or PDF."),
    (["\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"],
     "The document is protected by a password: save a copy without the password and send that."),
    (["__substg1.0_0037001F"],
     "This kind of file is not accepted: send a PDF or an office document "
     "(.docx, .xlsx, .pptx, .odt, .ods or .odp)."),
], ids=["doc", "xls", "ppt", "encrypted-ooxml", "other"])
def test_compound_files_are_refused_and_named(streams: list[str], message: str) -> None:
    assert refused("a.docx", compound_file(*streams)).message == message


def test_a_stream_name_in_the_text_is_not_taken_for_an_entry() -> None:
    """Word keeps its text in UTF-16 too: "Workbook" in a sentence is not a workbook."""
    text = "see the WordDocument\0".encode("utf-16-le")
    data = compound_file("PowerPoint Document") + b"\0" * 2 + text
    assert "PowerPoint 97-2003" in refused("a.ppt", data).message


# Names -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kind, expected", [
    ("C:\\Users\\alice\\Desktop\\Protocole.pdf", "pdf", "Protocole.pdf"),
    ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
    ("...hidden.pdf", "pdf", "hidden.pdf"),
    (".pdf", "pdf", "document.pdf"),
    ("", "pdf", "document.pdf"),
    ("report\u202egpj.pdf", "pdf", "reportgpj.pdf"),  # a right-to-left override
    ("line\nbreak\r\x00.pdf", "pdf", "line break.pdf"),
    ('a<b>c:d"e|f?g*.pdf', "pdf", "a_b_c_d_e_f_g_.pdf"),
    ("CON.pdf", "pdf", "_CON.pdf"),
    ("Annexe.DOCX", "docx", "Annexe.docx"),
    ("Étude\u0301.odt", "odt", "Étude\u0301.odt"),
    ("trailing dots. . .pdf", "pdf", "trailing dots.pdf"),
    ("no extension", "xlsx", "no extension.xlsx"),
    (" spaced.pdf\t", "pdf", "spaced.pdf"),
])
def test_safe_name(name: str, kind: Kind, expected: str) -> None:
    assert safe_name(name, kind) == unicodedata.normalize("NFC", expected)


def test_a_safe_name_is_bounded() -> None:
    name = safe_name("é" * 500 + ".pdf", "pdf")
    assert name.endswith("é.pdf") and len(name.encode()) <= 205


# French ------------------------------------------------------------------------------------------

def test_messages_are_in_french_when_french_is_active() -> None:
    with translation.override("fr"):
        assert refused("a.pdf", b"%PDF-" + b"x" * (31 * MB - 5)).message == (
            "Le fichier pèse 31\u00a0Mo\u202f; la limite est de 20\u00a0Mo.")
        assert refused("a.doc", compound_file("WordDocument")).message == (
            "Les fichiers Word 97-2003 (.doc) ne sont pas acceptés\u00a0: enregistrez votre "
            "fichier en .docx ou en PDF.")
        message = refused("a.pdf", pdf(_javascript)).message
        assert "(JavaScript)" in message and message.startswith("Le PDF contient")
        assert refused("a.pdf", b"").message == "Le fichier est vide."


# Never anything but DocumentRefused --------------------------------------------------------------

VALID_PDF = pdf()
VALID_DOCX = ooxml()


def _accepts_or_refuses(name: str, data: bytes) -> None:
    try:
        document = check_document(name, data, LIMIT)
    except DocumentRefused as error:
        assert error.message and error.code
        return
    if document.kind == "pdf":
        assert len(PdfReader(io.BytesIO(data), strict=True).pages) >= 1
    else:
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


mutation = st.tuples(st.integers(0, len(VALID_PDF) - 1), st.binary(min_size=0, max_size=8),
                     st.integers(0, 8))


def _mutate(data: bytes, changes: list[tuple[int, bytes, int]]) -> bytes:
    """Each change replaces `cut` bytes at `at` with `new`: flips, insertions, deletions."""
    out = bytearray(data)
    for at, new, cut in changes:
        at %= max(len(out), 1)
        out[at:at + cut] = new
    return bytes(out)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(["a.pdf", "a.docx", "a.odt", "a"]))
def test_random_bytes_are_refused_cleanly(data: bytes, name: str) -> None:
    _accepts_or_refuses(name, data)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=6))
def test_mutated_pdfs_are_accepted_readable_or_refused_cleanly(
        changes: list[tuple[int, bytes, int]]) -> None:
    _accepts_or_refuses("a.pdf", _mutate(VALID_PDF, changes))


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=6))
def test_mutated_docx_are_accepted_readable_or_refused_cleanly(
        changes: list[tuple[int, bytes, int]]) -> None:
    _accepts_or_refuses("a.docx", _mutate(VALID_DOCX, changes))
