"""Files for the airlock's tests, built here byte by byte: tables, PNG and PDF (no tests here)."""

from __future__ import annotations

import csv
import io
import itertools
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from hygie.airlock import Declared, Limits, Report, check_file

_serial = itertools.count()


def write(folder: Path, content: bytes | str) -> Path:
    """The content under a meaningless name: check_file reads the kind from `name` only."""
    path = folder / f"upload-{next(_serial)}.bin"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def table_text(rows: Iterable[Sequence[object]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def check(folder: Path, name: str, content: bytes | str, *, limits: Limits = Limits(),
          earlier: Sequence[Path] = (), declared: Declared | None = None) -> Report:
    return check_file(write(folder, content), name=name, limits=limits, earlier=earlier,
                      declared=declared)


def check_rows(folder: Path, rows: Iterable[Sequence[object]], **kwargs: object) -> Report:
    return check(folder, "table.csv", table_text(rows), **kwargs)  # type: ignore[arg-type]


def released(folder: Path, name: str, rows: Iterable[Sequence[object]]) -> Path:
    """An earlier release, stored under its own name (the differencing message names it)."""
    path = folder / name
    path.write_text(table_text(rows))
    return path


# PNG ---------------------------------------------------------------------------------------------

def chunk(kind: bytes, body: bytes, *, crc: int | None = None) -> bytes:
    value = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", value)


def png(width: int = 2, height: int = 2, *, extra: Sequence[bytes] = (), after: bytes = b"",
        header: bytes | None = None) -> bytes:
    """A grey picture; `extra` chunks go before the image data."""
    ihdr = header if header is not None else struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\0" + b"\x80" * min(width, 64) for _ in range(min(height, 64)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(extra)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"") + after)


# PDF ---------------------------------------------------------------------------------------------

def pdf(*lines: str) -> bytes:
    """A one-page PDF showing `lines` in Helvetica, with a correct cross-reference table."""
    text = " ".join(f"({line}) Tj 0 -14 Td" for line in lines)
    content = f"BT /F1 12 Tf 20 180 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1,
                                                                              xref)
    return bytes(out)


def rewritten(data: bytes, change: object) -> bytes:
    """The PDF `data` passed through pypdf's writer, changed by `change(writer)`."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)  # type: ignore[operator]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
