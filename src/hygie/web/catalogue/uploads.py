"""Refuse oversized descriptor uploads early: by the request's declared length before the body
is read, and by counting the file's bytes as they arrive (a body may be sent in chunks)."""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD = 64 * 1024


def declared_too_big(request: HttpRequest, limit: int) -> bool:
    """Whether the request announces a body bigger than a `limit`-byte file and its form."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > limit + FORM_OVERHEAD


class SizeLimit(FileUploadHandler):
    """First upload handler: stops the upload once a file passes `limit` bytes; the view sees
    `exceeded` and no file."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file
