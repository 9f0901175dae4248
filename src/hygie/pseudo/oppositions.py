"""The register of citizens' objections, kept as keyed hashes only.

A citizen may object at any time, without a reason, and withdraw the objection (Loi Informatique
et Libertés; EHDS art. 71, a reversible opt-out). An objection in force applies to every later
extraction, refresh and count, including refreshes of extracts made before it. A withdrawal
applies to later authorisations only: a project authorised before the withdrawal keeps leaving the
person out. So each entry holds the day it was registered and, once withdrawn, the day of the
withdrawal; `table(authorised_on)` gives the entries in force for an authorisation of that day.

The register never holds an identifier in clear: each entry is HMAC-SHA256(opposition key, person
identifier), the key derived from the master secret, so the register alone reveals nobody and
cannot be joined to anything without the secret. Engines compute the same HMAC in SQL
(`Engine.hmac_sha256`) to leave the objectors out, without the hashes or the identifiers ever
leaving the database.

The identifier is the source's person key (`BEN_NIR_ANO` for the SNDS). Resolving a citizen's
identity to that key is the data holder's step (`hygie.pseudo.directory`).

Storage: one Parquet file, replaced atomically on each change (write aside, then rename). Changes
read, modify and replace the whole file, so writers take an exclusive lock first (`_locked`);
readers need none, since a rename is atomic.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hygie.engine.lake import write_parquet
from hygie.pseudo.keys import Secret

# What the engines read (`table()`), unchanged since the first register: an empty register may be
# written with it (files without WITHDRAWN_ON are read as never withdrawn).
SCHEMA = pa.schema([("OPPOSITION_HASH", pa.string()), ("REGISTERED_ON", pa.date32())])
# What the file holds.
FILE_SCHEMA = pa.schema([("OPPOSITION_HASH", pa.string(), False),
                         ("REGISTERED_ON", pa.date32(), False),
                         ("WITHDRAWN_ON", pa.date32(), True)])


def opposition_hash(secret: Secret, person_key: str) -> str:
    return hmac.new(secret.opposition_key(), person_key.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class OppositionRegister:
    path: Path

    # --- reading --------------------------------------------------------------------------------

    def entries(self) -> pa.Table:
        """Every entry, withdrawn ones included, in FILE_SCHEMA."""
        path = Path(self.path)
        if not path.exists():
            return FILE_SCHEMA.empty_table()
        stored = pq.read_table(path)
        if "WITHDRAWN_ON" not in stored.column_names:  # a register older than withdrawals
            stored = stored.append_column("WITHDRAWN_ON", pa.nulls(stored.num_rows, pa.date32()))
        if not set(FILE_SCHEMA.names) <= set(stored.column_names):
            raise pa.ArrowInvalid(f"{path} is not an opposition register")
        return stored.select(FILE_SCHEMA.names).cast(FILE_SCHEMA)

    def table(self, authorised_on: dt.date | None = None) -> pa.Table:
        """The hashes in force for an authorisation granted on `authorised_on` (OPPOSITION_HASH,
        REGISTERED_ON): entries never withdrawn, and entries withdrawn after that day. Without a
        day (a feasibility count, no authorisation): the entries never withdrawn."""
        rows = self.entries()
        withdrawn = rows.column("WITHDRAWN_ON")
        in_force = pc.is_null(withdrawn)
        if authorised_on is not None:
            later = pc.greater(withdrawn, pa.scalar(authorised_on, pa.date32()))
            in_force = pc.or_kleene(in_force, later)
        return rows.filter(in_force).select(SCHEMA.names).cast(SCHEMA)

    def __len__(self) -> int:
        """How many objections are in force today."""
        return self.table().num_rows

    # --- changing -------------------------------------------------------------------------------

    def register(self, secret: Secret, person_keys: Iterable[str],
                 on: dt.date | None = None) -> int:
        """Record objections; how many changed the register. Objecting while an objection is in
        force changes nothing; objecting again after a withdrawal puts it back in force from
        `on` (REGISTERED_ON the new day, WITHDRAWN_ON cleared)."""
        day = on or dt.date.today()
        wanted = {opposition_hash(secret, k) for k in person_keys}
        with _locked(Path(self.path)):
            rows = self.entries().to_pylist()
            known = {r["OPPOSITION_HASH"]: r for r in rows}
            changed = 0
            for h in sorted(wanted):
                entry = known.get(h)
                if entry is None:
                    rows.append({"OPPOSITION_HASH": h, "REGISTERED_ON": day, "WITHDRAWN_ON": None})
                elif entry["WITHDRAWN_ON"] is not None:
                    entry.update(REGISTERED_ON=day, WITHDRAWN_ON=None)
                else:
                    continue
                changed += 1
            if changed:
                self._replace(rows)
        return changed

    def withdraw(self, secret: Secret, person_keys: Iterable[str],
                 on: dt.date | None = None) -> int:
        """Withdraw objections in force, from `on`; how many were withdrawn (a person with no
        objection in force is left as they are)."""
        day = on or dt.date.today()
        wanted = {opposition_hash(secret, k) for k in person_keys}
        with _locked(Path(self.path)):
            rows = self.entries().to_pylist()
            changed = 0
            for entry in rows:
                if entry["OPPOSITION_HASH"] in wanted and entry["WITHDRAWN_ON"] is None:
                    entry["WITHDRAWN_ON"] = day
                    changed += 1
            if changed:
                self._replace(rows)
        return changed

    def _replace(self, rows: list[dict[str, object]]) -> None:
        table = pa.Table.from_pylist(rows, schema=FILE_SCHEMA).sort_by("OPPOSITION_HASH")
        path = Path(self.path)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        try:
            write_parquet(table, tmp)
            with tmp.open("rb") as written:
                os.fsync(written.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`'s sibling `.<name>.lock` while changing `path`.

    The lock file is removed on release, so that it does not linger beside the register. A
    writer that was waiting may then hold the lock of a removed file: it checks, once locked,
    that the file it holds is still the one at the path, and starts again otherwise.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(f".{path.name}.lock")
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(lock_path)
            except FileNotFoundError:
                continue
            held = os.fstat(fd)
            if (current.st_dev, current.st_ino) != (held.st_dev, held.st_ino):
                continue
            try:
                yield
            finally:
                os.unlink(lock_path)  # still holding the lock: nobody else has this file
            return
        finally:
            os.close(fd)  # releases the lock
