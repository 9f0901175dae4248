"""The development secret of `hygie serve` on the embedded defaults.

On a laptop (SQLite, no secret configured) feasibility counts would be refused for want of the
pseudonymisation secret. `hygie serve` then makes one, once, in HYGIE_HOME, readable by its owner
only, and points HYGIE_PSEUDO_SECRET_FILE at it for the site and its workers. Never with a
configured database (a deployment): there the secret comes from the operators, and counts are
refused until it does.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from hygie.pseudo.keys import MIN_SECRET_BYTES

SECRET_VARS = ("HYGIE_PSEUDO_SECRET", "HYGIE_PSEUDO_SECRET_FILE")
FILE_NAME = "pseudo_secret"


def configured(env: Mapping[str, str]) -> bool:
    return any(env.get(name) for name in SECRET_VARS)


def deployed(env: Mapping[str, str]) -> bool:
    """A configured database means a deployment, never the embedded defaults."""
    return bool(env.get("HYGIE_DATABASE_URL"))


def local_secret(home: Path, env: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The development secret file to use, and whether it was just made; (None, False) when a
    secret is configured or on a deployment."""
    if configured(env) or deployed(env):
        return None, False
    path = home / FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(MIN_SECRET_BYTES))
    return path, True
