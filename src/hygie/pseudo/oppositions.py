"""The register of citizens' objections, kept as keyed hashes only.

A citizen objects once; every later extraction and count leaves them out, including refreshes of
extracts made before the objection. The register never holds an identifier in clear: each entry is
HMAC-SHA256(opposition key, person identifier), the key derived from the master secret, so the
register alone reveals nobody and cannot be joined to anything without the secret. Engines compute
the same HMAC in SQL (`Engine.hmac_sha256`) to leave the objectors out, without the hashes or the
identifiers ever leaving the database.

The identifier is the source's person key (`BEN_NIR_ANO` for the SNDS). Resolving a citizen's NIR to
that key is the data holder's step (the opposition form will do it through the holder).

Storage: one Parquet file, replaced atomically on each change (write aside, then rename).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hygie.engine.lake import write_parquet
from hygie.pseudo.keys import Secret

SCHEMA = pa.schema([("OPPOSITION_HASH", pa.string()), ("REGISTERED_ON", pa.date32())])


def opposition_hash(secret: Secret, person_key: str) -> str:
    return hmac.new(secret.opposition_key(), person_key.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class OppositionRegister:
    path: Path

    def table(self) -> pa.Table:
        if not Path(self.path).exists():
            return SCHEMA.empty_table()
        return pq.read_table(self.path, schema=SCHEMA)

    def __len__(self) -> int:
        return self.table().num_rows

    def register(self, secret: Secret, person_keys: list[str],
                 on: dt.date | None = None) -> int:
        """Record objections; returns how many were new (objecting twice changes nothing)."""
        current = self.table()
        known = set(current.column("OPPOSITION_HASH").to_pylist())
        new = sorted({opposition_hash(secret, k) for k in person_keys} - known)
        if not new:
            return 0
        day = on or dt.date.today()
        added = pa.table({"OPPOSITION_HASH": new, "REGISTERED_ON": [day] * len(new)},
                         schema=SCHEMA)
        merged = pa.concat_tables([current, added]).sort_by("OPPOSITION_HASH")
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        write_parquet(merged, tmp)
        os.replace(tmp, path)
        return len(new)
