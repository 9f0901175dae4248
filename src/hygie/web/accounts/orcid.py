"""ORCID iDs: four groups of four characters, the last one a check digit (ISO 7064 MOD 11-2,
where "X" stands for 10). See https://support.orcid.org/hc/en-us/articles/360006897674.

People paste them in many shapes ("https://orcid.org/0000-...", spaces, no hyphens, a lowercase
x); `normalise` brings any of these to 0000-0000-0000-000X, the only shape stored.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SHAPE = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")
_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?orcid\.org/", re.IGNORECASE)


def check_digit(digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 15 digits."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def is_valid(orcid: str) -> bool:
    """`orcid` has the stored shape and its check digit matches."""
    if not SHAPE.fullmatch(orcid):
        return False
    digits = orcid.replace("-", "")
    return check_digit(digits[:15]) == digits[15]


def normalise(text: str) -> str:
    """`text` as 0000-0000-0000-000X when it reads as one (not checked: see `is_valid`)."""
    bare = re.sub(r"[\s-]", "", _PREFIX.sub("", text.strip())).upper()
    if len(bare) != 16:
        return text.strip()
    return "-".join(bare[i:i + 4] for i in range(0, 16, 4))


def validate_orcid(value: str) -> None:
    """Model and form validator: a normalised ORCID iD with a matching check digit."""
    if not SHAPE.fullmatch(value):
        raise ValidationError(_("An ORCID iD reads 0000-0000-0000-000X (16 digits, the last one "
                                "may be X)."), code="orcid_shape")
    if not is_valid(value):
        raise ValidationError(_("This ORCID iD is not valid: its last character does not match "
                                "the others. Check for a typing mistake."), code="orcid_checksum")
