"""The SNDS table schemas: tables, fields, keys and nomenclature references.

The schemas are the Frictionless Table Schema files of the public `schema-snds` project, packaged
under `hygie/data/snds/schemas`. PMSI tables exist once per year: their schema name carries `aa`
in place of the two-digit year (`T_MCOaaB` describes `T_MCO21B`), see `SchemaSet.table`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa

DATA_ROOT = resources.files("hygie") / "data" / "snds"
# The packaged schema-snds release (see data/snds/PROVENANCE.md).
SCHEMA_VERSION = "schema-snds@fe17ef8"

# A yearly PMSI table name: T_<product>aa<suffix>, e.g. T_MCO21B <-> T_MCOaaB.
_YEARLY = re.compile(r"^(T_[A-Z]{3})(\d\d)(.*)$")


def generic_name(name: str) -> str:
    """The schema name of a table: `T_MCO21B` -> `T_MCOaaB`; other names are unchanged."""
    m = _YEARLY.match(name)
    return f"{m.group(1)}aa{m.group(3)}" if m else name


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Frictionless type: string, integer, number, boolean, date, datetime, year, yearmonth
    format: str = "default"
    length: int | None = None  # characters or digits; numbers may add a scale ("10,2")
    scale: int | None = None
    description: str = ""
    nomenclature: str | None = None  # code list name, e.g. "IR_NAT_V"
    nomenclature_column: str | None = None  # the code column when given as "LIST:COLUMN"
    required: bool = False
    date_created: str = ""
    date_deleted: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        return arrow_type(self.type, self.format)


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str  # referenced schema name (yearly names keep `aa`)
    ref_fields: tuple[str, ...]


@dataclass(frozen=True)
class TableSchema:
    name: str
    title: str
    product: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    missing_values: tuple[str, ...] = ("",)
    source: str = ""  # path of the schema file inside the package

    @property
    def yearly(self) -> bool:
        return "aa" in self.name and self.name.startswith("T_")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(f.name, f.arrow_type) for f in self.fields])

    def for_year(self, year: int) -> TableSchema:
        """The concrete table of a yearly PMSI schema, e.g. T_MCOaaB for 2021 -> T_MCO21B."""
        if not self.yearly:
            return self
        yy = f"{year % 100:02d}"
        fks = tuple(
            ForeignKey(fk.fields, fk.table.replace("aa", yy, 1) if fk.table.startswith("T_")
                       else fk.table, fk.ref_fields)
            for fk in self.foreign_keys
        )
        return TableSchema(self.name.replace("aa", yy, 1), self.title, self.product, self.fields,
                           self.primary_key, fks, self.missing_values, self.source)


def arrow_type(ftype: str, fmt: str = "default") -> pa.DataType:
    """The Parquet/Arrow type that holds a Frictionless field in the lake.

    Partial dates keep their SNDS text form: a month alone (`date` with format `%m`, e.g.
    BEN_NAI_MOI) is the two-digit string "01".."12"; a `yearmonth` is "YYYYMM" as in the SNDS.
    """
    if ftype == "date":
        return pa.string() if fmt == "%m" else pa.date32()
    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "datetime": pa.timestamp("ms"),  # Parquet has no second unit: ms round-trips
        "year": pa.int32(),
        "yearmonth": pa.string(),
    }[ftype]


# The published schemas hold Windows-1252 punctuation read as Latin-1: C1 control characters
# (U+0080-U+009F) where an apostrophe, a dash, an ellipsis or "oe" was meant. They are put back
# here, when the texts are read (PROVENANCE.md counts them); nothing else is changed.
_C1 = {c: bytes([c]).decode("cp1252", errors="ignore") for c in range(0x80, 0xA0)}


def repair_text(text: str) -> str:
    """A schema text with its C1 control characters replaced by the characters meant."""
    return text.translate(_C1)


def _as_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _parse_field(raw: dict) -> Field:
    nomen = raw.get("nomenclature") or "-"
    list_name, _, column = nomen.partition(":")
    length, _, scale = str(raw.get("length") or "").partition(",")
    constraints = raw.get("constraints") or {}
    return Field(
        name=raw["name"],
        type=raw.get("type", "string"),
        format=raw.get("format") or "default",
        length=int(length) if length.isdigit() else None,
        scale=int(scale) if scale.isdigit() else None,
        description=repair_text(raw.get("description") or ""),
        nomenclature=None if list_name in ("-", "") else list_name,
        nomenclature_column=column or None,
        required=bool(constraints.get("required", False)),
        date_created=raw.get("dateCreated") or "",
        date_deleted=raw.get("dateDeleted") or "",
    )


def parse_table_schema(raw: dict, source: str = "") -> TableSchema:
    fks = tuple(
        ForeignKey(_as_tuple(fk["fields"]), fk["reference"]["resource"],
                   _as_tuple(fk["reference"]["fields"]))
        for fk in raw.get("foreignKeys") or []
    )
    return TableSchema(
        name=raw["name"],
        title=repair_text(raw.get("title") or ""),
        product=raw.get("produit") or "",
        fields=tuple(_parse_field(f) for f in raw["fields"]),
        primary_key=_as_tuple(raw.get("primaryKey") or []),
        foreign_keys=fks,
        missing_values=tuple(raw.get("missingValues") or [""]),
        source=source,
    )


@dataclass
class SchemaSet:
    """All SNDS table schemas, by schema name."""

    tables: dict[str, TableSchema] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tables)

    def __contains__(self, name: object) -> bool:
        try:
            self.table(str(name))
        except KeyError:
            return False
        return True

    def table(self, name: str) -> TableSchema:
        """The schema of a table, yearly names resolved (`T_MCO21B` -> T_MCOaaB for 2021)."""
        if name in self.tables:
            return self.tables[name]
        m = _YEARLY.match(name)
        if m:
            generic = f"{m.group(1)}aa{m.group(3)}"
            if generic in self.tables:
                return self.tables[generic].for_year(2000 + int(m.group(2)))
        raise KeyError(f"unknown SNDS table {name!r}")


@dataclass(frozen=True)
class Deviation:
    """A deliberate departure from the published schemas, applied by `load_schemas`."""

    table: str  # schema name (yearly names keep `aa`)
    field: str
    type: str  # the Frictionless type used instead of the published one
    reason: str


# Every deliberate deviation from schema-snds, in one place (docs/snds-extracts.md lists them).
DEVIATIONS: tuple[Deviation, ...] = tuple(
    Deviation(table, "ETA_NUM", "string",
              "a FINESS number is a code, not a quantity: Corsican establishments are 2A... and "
              "2B..., and every other table of the schemas (T_MCOaaE, T_MCOaaD, BE_IDE_R...) "
              "holds ETA_NUM as text, so the stay key joins without casts")
    for table in ("T_MCOaaB", "T_MCOaaC")
)


def _deviate(schema: TableSchema) -> TableSchema:
    types = {d.field: d.type for d in DEVIATIONS if d.table == schema.name}
    if not types:
        return schema
    fields = tuple(replace(f, type=types[f.name]) if f.name in types else f
                   for f in schema.fields)
    return replace(schema, fields=fields)


@cache
def load_schemas() -> SchemaSet:
    """Load the packaged schemas (cached: they never change while the process runs), with the
    `DEVIATIONS` applied."""
    root = Path(str(DATA_ROOT / "schemas"))
    out = SchemaSet()
    for path in sorted(root.rglob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        schema = _deviate(parse_table_schema(raw, str(path.relative_to(root))))
        out.tables[schema.name] = schema
    for d in DEVIATIONS:  # a deviation that no longer applies is a packaging error
        if d.field not in out.tables[d.table].field_names:
            raise RuntimeError(f"deviation on {d.table}.{d.field}: no such field")
    return out
