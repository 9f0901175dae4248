"""The SNDS as an engine sees it: table views, PMSI years unioned, person keys, the drug table.

`attach_snds(engine, dataset)` registers, on either engine:

- one view per table of the dataset, named as the table (`IR_BEN_R`, `ER_PRS_F`, `T_MCO21B`, ...);
- `MCO_B`, `MCO_C`, `MCO_D`, `MCO_A`: the PMSI MCO tables of all years, with a `PMSI_YEAR` column;
- `PERSON_MAP` (the rules are `hygie.snds.persons`'): (BEN_NIR_PSA, BEN_RNG_GEM) -> PERSON_KEY,
  the stable individual identifier BEN_NIR_ANO, so that a person with several pseudo-NIRs is one
  person and twins are two;
- `PMSI_PERSON_MAP`: NIR_ANO_17 -> PERSON_KEY for the pseudo-NIRs that name one person only. The
  PMSI has no twin rank: stays under a pseudo-NIR shared by twins cannot be attributed and are
  left out (`ambiguous_pmsi_keys` counts them);
- `DRUG`: CIP13 -> ATC, from the packaged drug table.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from importlib import resources

import pyarrow as pa

from hygie.engine.engines import Engine, parse
from hygie.engine.lake import Dataset
from hygie.snds.persons import PERSON_MAP_SQL, PMSI_PERSON_MAP_SQL

_PMSI = re.compile(r"^T_MCO(\d\d)([A-Z]+)$")


@cache
def drug_table() -> pa.Table:
    text = (resources.files("hygie") / "data" / "drugs.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    return pa.table({
        "CIP13": pa.array([int(r["CIP13"]) for r in rows], pa.int64()),
        "ATC": pa.array([r["ATC"] for r in rows], pa.string()),
        "SUBSTANCE": pa.array([r["SUBSTANCE"] for r in rows], pa.string()),
    })


def pmsi_years(dataset: Dataset, suffix: str) -> dict[int, str]:
    """PMSI MCO tables of one kind (B, C, D, A...) by year: {2021: 'T_MCO21B', ...}."""
    out = {}
    for t in dataset.tables:
        m = _PMSI.match(t)
        if m and m.group(2) == suffix:
            out[2000 + int(m.group(1))] = t
    return dict(sorted(out.items()))


def attach_snds(engine: Engine, dataset: Dataset) -> None:
    engine.attach(dataset)
    for suffix in ("B", "C", "D", "A"):
        years = pmsi_years(dataset, suffix)
        if not years:
            continue
        # Table names come from the manifest and match _PMSI: safe identifiers, quoted anyway.
        union = " UNION ALL ".join(  # every year has the fields of one schema, in order
            f'SELECT *, {year} AS PMSI_YEAR FROM "{table}"' for year, table in years.items())
        engine.execute(f"CREATE OR REPLACE TEMP VIEW MCO_{suffix} AS {union}")
    engine.execute(parse(f"CREATE OR REPLACE TEMP VIEW PERSON_MAP AS {PERSON_MAP_SQL}"))
    engine.execute(parse(f"CREATE OR REPLACE TEMP VIEW PMSI_PERSON_MAP AS {PMSI_PERSON_MAP_SQL}"))
    engine.register_arrow("DRUG", drug_table())


def ambiguous_pmsi_keys(engine: Engine) -> int:
    """Stays whose pseudo-NIR is shared by twins (not attributable to one person)."""
    return int(engine.scalar(
        "SELECT count(*) FROM MCO_C c WHERE NOT EXISTS "
        "(SELECT 1 FROM PMSI_PERSON_MAP m WHERE m.NIR_ANO_17 = c.NIR_ANO_17)") or 0)
