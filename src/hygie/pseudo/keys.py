"""Keys derived from one master secret, held apart from the data.

The master secret comes from the environment (`HYGIE_PSEUDO_SECRET`, hex) or from a file outside
the repository (`HYGIE_PSEUDO_SECRET_FILE`, raw bytes or hex). It is never logged, printed or
written to an output: `Secret` hides it from `repr`. Each use gets its own key by HKDF-SHA256
(RFC 5869) with a distinct `info`, so a project's key reveals nothing of another project's key or
of the master.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

MIN_SECRET_BYTES = 32
_SALT = b"hygie-pseudonymisation-v1"


class SecretError(RuntimeError):
    """The master secret is missing or unusable (the message never contains it)."""


@dataclass(frozen=True)
class Secret:
    value: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.value) < MIN_SECRET_BYTES:
            raise SecretError(f"the pseudonymisation secret must hold at least {MIN_SECRET_BYTES} "
                              "bytes")

    def __str__(self) -> str:
        return "Secret(****)"

    def derive(self, info: str, length: int = 32) -> bytes:
        return hkdf_sha256(self.value, info.encode("utf-8"), length)

    def project_key(self, project: str) -> bytes:
        if not project or not project.strip():
            raise SecretError("a project identifier is needed to derive its key")
        return self.derive(f"project:{project}")

    def opposition_key(self) -> bytes:
        return self.derive("opposition-register")


def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32, salt: bytes = _SALT) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def load_secret(env: dict[str, str] | None = None) -> Secret:
    """The master secret from HYGIE_PSEUDO_SECRET (hex) or HYGIE_PSEUDO_SECRET_FILE."""
    env = dict(os.environ) if env is None else env
    if env.get("HYGIE_PSEUDO_SECRET"):
        try:
            return Secret(bytes.fromhex(env["HYGIE_PSEUDO_SECRET"].strip()))
        except ValueError:
            raise SecretError("HYGIE_PSEUDO_SECRET must be hexadecimal") from None
    if env.get("HYGIE_PSEUDO_SECRET_FILE"):
        path = Path(env["HYGIE_PSEUDO_SECRET_FILE"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SecretError(f"cannot read the secret file {path}: {exc.strerror}") from None
        text = raw.strip()
        try:
            return Secret(bytes.fromhex(text.decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            return Secret(raw)
    raise SecretError("no pseudonymisation secret: set HYGIE_PSEUDO_SECRET (hex, 32 bytes or "
                      "more) or HYGIE_PSEUDO_SECRET_FILE")
