"""Validators shared by the models and forms of every app.

`single_line` guards the fields that end up in one line somewhere: a title in an e-mail subject, a
name in a page heading or a log line. A line break there lets the writer start a new line of their
choosing ("URGENT ... https://evil.example/login" as the first line of a notification's body), and
bidirectional overrides let a name read differently from what it holds.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Control characters (Unicode category Cc), line and paragraph separators (Zl, Zp), and explicit
# direction controls, which reorder what follows on screen. One pattern: 400,000 SNDS labels go
# through it on import.
NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def forbidden_in_line(text: str) -> str | None:
    """The first character of `text` that has no place in a single line, or None."""
    found = NOT_IN_A_LINE.search(text)
    return found.group()[0] if found else None


def one_line(value: object) -> str:
    """`value` as text on one line, for what cannot refuse its input (imports from elsewhere, a
    mail subject): line breaks, tabs, other control characters and direction overrides become
    spaces, and runs of spaces one."""
    return " ".join(NOT_IN_A_LINE.sub(" ", str(value)).split())


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
