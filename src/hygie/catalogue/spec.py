"""A dataset version's description: tables, variables, keys, code lists, checked as a whole."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "time", "year",
         "yearmonth", "duration", "any")


class SpecError(ValueError):
    """A description that cannot be imported; `problems` lists (where, what) pairs."""

    def __init__(self, problems: Sequence[tuple[str, str]], origin: str = "") -> None:
        self.problems = list(problems)
        self.origin = origin
        head = f"{origin}: " if origin else ""
        super().__init__(head + "; ".join(f"{where}: {what}" for where, what in self.problems))


@dataclass(frozen=True)
class VariableSpec:
    name: str
    type: str = "string"
    format: str = ""
    length: int | None = None
    scale: int | None = None
    description_fr: str = ""
    description_en: str = ""
    nomenclature: str | None = None
    nomenclature_column: str = ""
    required: bool = False
    date_created: str = ""
    date_deleted: str = ""


@dataclass(frozen=True)
class RelationSpec:
    fields: tuple[str, ...]
    ref_table: str
    ref_fields: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    name: str
    title_fr: str = ""
    title_en: str = ""
    description_fr: str = ""
    description_en: str = ""
    product: str = ""
    primary_key: tuple[str, ...] = ()
    variables: tuple[VariableSpec, ...] = ()
    relations: tuple[RelationSpec, ...] = ()

    def variable(self, name: str) -> VariableSpec | None:
        return next((v for v in self.variables if v.name == name), None)


@dataclass(frozen=True)
class NomenclatureSpec:
    name: str
    code_column: str
    label_column: str = ""
    columns: tuple[str, ...] = ()
    title: str = ""
    source: str = ""
    # Rows are read when imported, not when described (the SNDS lists hold 400,000 codes).
    rows: Callable[[], Iterable[dict[str, str]]] = field(default=lambda: (), compare=False,
                                                         repr=False)


@dataclass(frozen=True)
class VersionSpec:
    tables: tuple[TableSpec, ...]
    nomenclatures: tuple[NomenclatureSpec, ...] = ()
    source: str = ""
    first_year: int | None = None
    last_year: int | None = None

    def table(self, name: str) -> TableSpec | None:
        return next((t for t in self.tables if t.name == name), None)

    def check(self, origin: str = "", known_nomenclatures: Iterable[str] = ()) -> VersionSpec:
        """Raise SpecError naming every problem: duplicates, unknown types, keys or code lists."""
        problems: list[tuple[str, str]] = []
        if not self.tables:
            problems.append(("tables", "the description has no table"))
        for name, n in Counter(t.name for t in self.tables).items():
            if n > 1:
                problems.append((f"table {name}", f"defined {n} times"))
        for name, n in Counter(nm.name for nm in self.nomenclatures).items():
            if n > 1:
                problems.append((f"nomenclature {name}", f"defined {n} times"))
        lists = {nm.name for nm in self.nomenclatures} | set(known_nomenclatures)
        tables = {t.name: t for t in self.tables}
        for t in self.tables:
            if not t.name.strip():
                problems.append(("table", "a table has no name"))
            names = [v.name for v in t.variables]
            for name, n in Counter(names).items():
                if n > 1:
                    problems.append((f"{t.name}.{name}", f"defined {n} times"))
            if not t.variables:
                problems.append((t.name, "the table has no variable"))
            for v in t.variables:
                where = f"{t.name}.{v.name}"
                if v.type not in TYPES:
                    problems.append((where, f"unknown type {v.type!r} (one of {', '.join(TYPES)})"))
                if v.nomenclature and v.nomenclature not in lists:
                    problems.append((where, f"unknown nomenclature {v.nomenclature!r}"))
            for k in t.primary_key:
                if k not in names:
                    problems.append((f"{t.name} primary key", f"no variable {k!r}"))
            for r in t.relations:
                where = f"{t.name} foreign key ({', '.join(r.fields)})"
                for f in r.fields:
                    if f not in names:
                        problems.append((where, f"no variable {f!r}"))
                target = tables.get(r.ref_table)
                if target is None:
                    problems.append((where, f"refers to unknown table {r.ref_table!r}"))
                elif len(r.fields) != len(r.ref_fields):
                    problems.append((where, "field counts differ"))
                else:
                    for f in r.ref_fields:
                        if target.variable(f) is None:
                            problems.append((where, f"{r.ref_table} has no variable {f!r}"))
        if problems:
            raise SpecError(problems, origin)
        return self
