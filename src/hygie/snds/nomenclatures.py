"""SNDS code lists (nomenclatures): the valid codes of coded fields.

Each list is a `;`-separated CSV with a Table Schema JSON beside it whose fields carry a `role`
("code", "label"). A field of a table refers to a list as `IR_NAT_V` (its code column) or as
`IR_BER_V:BEN_RNG_GEM` (a named column).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hygie.snds.schemas import DATA_ROOT

NOMENCLATURE_ROOT = Path(str(DATA_ROOT / "nomenclatures"))


@dataclass(frozen=True)
class Nomenclature:
    name: str
    path: Path  # the JSON schema; the CSV lies beside it (may be absent, see PROVENANCE.md)
    code_column: str
    label_column: str | None
    columns: tuple[str, ...]

    @property
    def csv_path(self) -> Path:
        return self.path.with_suffix(".csv")

    @property
    def available(self) -> bool:
        return self.csv_path.exists()

    def rows(self) -> list[dict[str, str]]:
        with self.csv_path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh, delimiter=";"))

    def codes(self, column: str | None = None) -> frozenset[str]:
        return _codes(self.name, column or self.code_column)

    def labels(self) -> dict[str, str]:
        if not self.label_column:
            return {}
        return {r[self.code_column]: r[self.label_column] for r in self.rows()}


@cache
def nomenclatures() -> dict[str, Nomenclature]:
    out: dict[str, Nomenclature] = {}
    for path in sorted(NOMENCLATURE_ROOT.glob("*/*.json")):
        fields = json.loads(path.read_text(encoding="utf-8"))["fields"]
        roles = {f.get("role"): f["name"] for f in fields}
        columns = tuple(f["name"] for f in fields)
        out[path.stem] = Nomenclature(path.stem, path, roles.get("code", columns[0]),
                                      roles.get("label"), columns)
    return out


def nomenclature(name: str) -> Nomenclature:
    try:
        return nomenclatures()[name]
    except KeyError:
        raise KeyError(f"unknown SNDS nomenclature {name!r}") from None


@cache
def _codes(name: str, column: str) -> frozenset[str]:
    nom = nomenclature(name)
    if column not in nom.columns:
        raise KeyError(f"nomenclature {name} has no column {column!r}")
    return frozenset(normalise_code(r[column]) for r in nom.rows())


def normalise_code(value: object) -> str:
    """Codes compare as text without padding; numeric codes lose a trailing '.0' (`1.0` == `1`)."""
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        text = text[:-2]
    return text
