"""Validators shared by the models and forms of every app.

`single_line` guards the fields that end up in one line somewhere: a title in an e-mail subject, a
name in a page heading or a log line. A line break there lets the writer start a new line of their
choosing ("URGENT ... https://evil.example/login" as the first line of a notification's body), and
bidirectional overrides let a name read differently from what it holds.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Explicit direction controls: they reorder what follows on screen (U+202A-U+202E, U+2066-U+2069).
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def forbidden_in_line(text: str) -> str | None:
    """The first character of `text` that has no place in a single line, or None."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI:
            return char
    return None


@deconstructible
class SingleLine:
    """Refuse control characters (line breaks and tabs included) and direction overrides."""

    message = _("Use a single line of text: the character %(char)s is not allowed here.")
    code = "single_line"

    def __call__(self, value: object) -> None:
        char = forbidden_in_line(str(value))
        if char is not None:
            raise ValidationError(self.message, code=self.code,
                                  params={"char": f"U+{ord(char):04X}"})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleLine)

    def __hash__(self) -> int:
        return hash(SingleLine)


single_line = SingleLine()
