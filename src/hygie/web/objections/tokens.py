"""Receipt numbers and the keyed hashes a request keeps once its identity details are erased.

A receipt is "OPP-" and 12 characters drawn by `secrets` from 31 that cannot be mistaken for one
another (no 0/O, 1/I/L): about 59 bits, not guessable. Keys for the hashes are derived from the
platform's master secret (`hygie.pseudo.keys`), one per use, so that they are worth nothing
without it and cannot be compared with the register's hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from hygie.pseudo.keys import Secret

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX = "OPP-"
LENGTH = 12
RECEIPT = re.compile(rf"{PREFIX}[{ALPHABET}]{{{LENGTH}}}")


def new_receipt() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_receipt(text: str) -> str:
    """A receipt as typed (any case, spaces or dashes, with or without OPP) in its stored form;
    "" when it cannot be one."""
    compact = re.sub(r"[\s\-]", "", text.upper())
    compact = compact.removeprefix("OPP")
    candidate = PREFIX + compact
    return candidate if RECEIPT.fullmatch(candidate) else ""


def _keyed(secret: Secret, use: str, text: str) -> str:
    return hmac.new(secret.derive(f"objections:{use}"), text.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def follow_digest(secret: Secret, receipt: str, birth_date: dt.date) -> str:
    """What proves a person may follow a request: its receipt with their birth date."""
    return _keyed(secret, "follow", f"{receipt}|{birth_date.isoformat()}")


def nir_digest(secret: Secret, nir: str) -> str:
    """The NIR of an accepted objection, to check that a withdrawal comes from the same person."""
    return _keyed(secret, "nir", nir)


def choice_token(secret: Secret, request_pk: int, person_key: str) -> str:
    """Names one person of the directory's answer in the decision form, without showing their
    key: a short keyed hash, different for every request."""
    return _keyed(secret, "choice", f"{request_pk}|{person_key}")[:20]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
