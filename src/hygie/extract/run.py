"""Turn an authorisation into data: the project's extract.

For each table of the scope: link rows to people, keep the cohort's people, drop everyone in the
opposition register, keep the rows overlapping the period, replace every identifier by the
project's pseudonym (PSEUDO_ID) and row keys by keyed LINE_ID/STAY_ID, keep only the allowed
columns, sort, and write Parquet into a lake dataset whose manifest carries the provenance (scope
hash, input dataset, code version, engine, rows and people dropped at each step). The output
appears only when complete; a rerun gives the same bytes, on DuckDB or Spark.

A table's rows are materialised in the engine (which spills to disk), then leave it one part at a
time: part k holds the pseudonyms in the k-th range of their first two hex digits, so no more than
about `rows_per_part` rows are ever held in Python, and the parts depend on the row count only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from hygie.engine.engines import Engine, parse
from hygie.engine.lake import Dataset, DatasetWriter, check_target, sha256_file, write_parquet
from hygie.extract.scope import Scope
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import OppositionRegister
from hygie.pseudo.pseudonyms import build_mapping, opposed_filter
from hygie.snds.persons import (
    COHORT_MAP,
    COHORT_PMSI_MAP,
    cohort_maps,
    linked,
    row_key_name,
)
from hygie.snds.schemas import load_schemas
from hygie.snds.views import open_snds

Progress = Callable[[str], None]
ROWS_PER_PART = 4_000_000
PREFIXES = 256  # parts split the pseudonyms by their first two hex digits
EXTRACT = "extract"  # the manifest's kind


def part_ranges(rows: int, rows_per_part: int = ROWS_PER_PART) -> list[tuple[str | None, str | None]]:
    """Bounds [low, high) on the first two hex digits of PSEUDO_ID, one pair per part (None: open).

    Pseudonyms are uniform, so each part gets about rows / parts rows.
    """
    parts = max(1, min(PREFIXES, -(-rows // max(1, rows_per_part))))
    cuts = [PREFIXES * i // parts for i in range(parts + 1)]
    return [(None if i == 0 else f"{cuts[i]:02x}", None if i == parts - 1 else f"{cuts[i + 1]:02x}")
            for i in range(parts)]


@dataclass
class ExtractReport:
    cohort_people: int = 0
    opposed_people: int = 0
    released_people: int = 0
    tables: dict[str, dict[str, int]] = field(default_factory=dict)


def cohort_people(scope: Scope, engine: Engine) -> pa.Table:
    """PERSON_KEY of the cohort named by the scope (the targeting language compiles it); the
    cohorts it names with `in_cohort` are the definitions beside it."""
    from hygie.cohorts import Cohort
    from hygie.cohorts.library import FolderLibrary

    cohort = Cohort.from_yaml(scope.cohort_path)
    people = cohort.people(engine, FolderLibrary(scope.cohort_path.parent))
    return people.select(["PERSON_KEY"])


def register_version(register: OppositionRegister) -> dict[str, Any]:
    """Which state of the opposition register an extract honoured: its file's digest and size."""
    path = Path(register.path)
    if not path.exists():
        return {"sha256": None, "entries": 0}
    return {"sha256": sha256_file(path), "entries": len(register)}


def extract(scope: Scope, dataset: Dataset, out: Path, *, secret: Secret,
            register: OppositionRegister, engine: Engine | None = None, force: bool = False,
            progress: Progress | None = None, rows_per_part: int = ROWS_PER_PART,
            inputs: Iterable[Path] = (), authorised_on: dt.date | None = None,
            provenance: Mapping[str, Any] | None = None) -> tuple[Dataset, ExtractReport]:
    """`inputs`: files read besides the dataset and the register (the scope, the secret's
    file): the output may not replace, hold or sit inside any of them.

    `authorised_on`: the day the project was authorised. An objection withdrawn after that day
    still applies to this project (a withdrawal counts for later authorisations only); without
    it, only the objections in force today apply. `provenance` is added to the manifest's.
    """
    scope.check(dataset)
    # --force replaces only an earlier extract of this project, and never what is read.
    inputs = (dataset.path, Path(register.path), scope.cohort_path, *inputs)
    check_target(Path(out), force=force, kind=EXTRACT, source={"project": scope.project},
                 inputs=inputs)
    project_key = secret.project_key(scope.project)
    report = ExtractReport()
    say = progress or (lambda _: None)
    say("linking the dataset")
    with open_snds(dataset, engine or scope.engine) as eng:
        try:
            eng.register_arrow("OPPOSITION_REGISTER", register.table(authorised_on=authorised_on))
            say("targeting the cohort")
            eng.register_arrow("COHORT_RAW", cohort_people(scope, eng))
            report.cohort_people = int(eng.scalar("SELECT count(DISTINCT PERSON_KEY) FROM COHORT_RAW"))
            # Objectors are found by hashing each cohort member once with the opposition key.
            eng.materialize("COHORT", opposed_filter(
                eng, exp.select("PERSON_KEY").distinct().from_("COHORT_RAW"),
                secret.opposition_key(), "OPPOSITION_REGISTER"))
            report.released_people = int(eng.scalar("SELECT count(*) FROM COHORT"))
            report.opposed_people = report.cohort_people - report.released_people
            build_mapping(eng, "PSEUDONYMS", exp.select("PERSON_KEY").from_("COHORT"), project_key)
            maps = cohort_maps("PSEUDONYMS", scope.tables)
            for name, query in maps.items():
                eng.materialize(name, query)
            source = {"scope_sha256": scope.digest(), "scope": scope.model_dump(mode="json"),
                      "project": scope.project, "engine": eng.name,
                      "input": {"path": str(dataset.path),
                                "manifest_sha256": sha256_file(dataset.path / "manifest.json"),
                                "kind": dataset.manifest.get("kind"),
                                "schema_version": dataset.manifest.get("schema_version"),
                                "source": dataset.manifest.get("source")}}
            with DatasetWriter(Path(out), kind=EXTRACT, source=source,
                               schema_version=dataset.manifest.get("schema_version", ""),
                               force=force, inputs=inputs) as writer:
                for table, columns in scope.tables.items():
                    say(f"extracting {table}")
                    report.tables[table] = _extract_table(eng, scope, table, columns, project_key,
                                                          writer, rows_per_part)
                ds = writer.commit({"provenance": {
                    **(provenance or {}),
                    "authorised_on": authorised_on.isoformat() if authorised_on else None,
                    "opposition_register": register_version(register),
                    "cohort_people": report.cohort_people,
                    "opposed_people_dropped": report.opposed_people,
                    "released_people": report.released_people,
                    "tables": report.tables}})
            return ds, report
        finally:
            for name in ("COHORT", "PSEUDONYMS", COHORT_MAP, COHORT_PMSI_MAP, "EXTRACT_ROWS",
                         "COHORT_RAW", "OPPOSITION_REGISTER"):
                eng.drop(name)


def _extract_table(eng: Engine, scope: Scope, table: str, columns: list[str], project_key: bytes,
                   writer: DatasetWriter, rows_per_part: int) -> dict[str, int]:
    base = linked(table, pseudonyms="PSEUDONYMS").subquery("l")
    start = exp.Literal.string(scope.period.start.isoformat())
    end = exp.Literal.string(scope.period.end.isoformat())
    date_from, date_to = exp.column("DATE_FROM", table="l"), exp.column("DATE_TO", table="l")
    in_period = exp.and_(
        exp.or_(date_from.is_(exp.null()), date_from <= exp.cast(end, "DATE")),
        exp.or_(date_to.is_(exp.null()), date_to >= exp.cast(start, "DATE")))
    key_name = row_key_name(table)
    select: list[exp.Expr] = [exp.column("PSEUDO_ID", table="l")]
    if key_name:
        select.append(exp.alias_(eng.hmac_sha256(project_key, exp.column("ROW_KEY", table="l")),
                                 key_name))
    select += [exp.column(c, table="l", quoted=True) for c in columns]
    query = exp.select(*select).from_(base).where(in_period)
    eng.materialize("EXTRACT_ROWS", query)
    released = int(eng.scalar("SELECT count(*) FROM EXTRACT_ROWS"))
    pseudo_id = exp.column("PSEUDO_ID")
    prefix = exp.Substring(this=pseudo_id, start=exp.Literal.number(1),
                           length=exp.Literal.number(2))
    for index, (low, high) in enumerate(part_ranges(released, rows_per_part)):
        part = exp.select(exp.Star()).from_("EXTRACT_ROWS")
        if low is not None:
            part = part.where(exp.GTE(this=prefix.copy(), expression=exp.Literal.string(low)))
        if high is not None:
            part = part.where(exp.LT(this=prefix.copy(), expression=exp.Literal.string(high)))
        write_parquet(_canonical(eng.arrow(part), table, columns, key_name),
                      writer.part_path(table, index))
    tally = parse(
        "SELECT count(*) AS n, count(c.PERSON_KEY) AS in_cohort, count(k.PERSON_KEY) AS kept FROM l "
        "LEFT JOIN (SELECT DISTINCT PERSON_KEY FROM COHORT_RAW) c ON c.PERSON_KEY = l.PERSON_KEY "
        "LEFT JOIN COHORT k ON k.PERSON_KEY = l.PERSON_KEY")
    everyone = linked(table).subquery("l")  # every linked row, to say where the others went
    tally = tally.transform(
        lambda n: everyone if isinstance(n, exp.Table) and n.name == "l" else n)
    row = eng.arrow(tally).to_pylist()[0]
    linked_rows, in_cohort, kept = row["n"], row["in_cohort"], row["kept"]
    total = int(eng.scalar(exp.select(exp.func("count", exp.Star())).from_(
        exp.to_table(table, quoted=True))))
    counts = {
        "rows_in_table": total,
        "rows_not_linked_to_one_person": total - int(linked_rows),
        "rows_of_people_outside_the_cohort": int(linked_rows) - int(in_cohort),
        "rows_of_opposed_people": int(in_cohort) - int(kept),
        "rows_outside_the_period": int(kept) - released,
        "rows_released": released,
    }
    return counts


def _canonical(result: pa.Table, table: str, columns: list[str], key_name: str | None) -> pa.Table:
    """Same types and row order on every engine, so both write the same bytes."""
    schema = load_schemas().table(table)
    fields = [pa.field("PSEUDO_ID", pa.string())]
    if key_name:
        fields.append(pa.field(key_name, pa.string()))
    fields += [pa.field(c, schema.field(c).arrow_type) for c in columns]
    target = pa.schema(fields)
    arrays = [_cast(result.column(i), f.type) for i, f in enumerate(target)]
    table_ = pa.Table.from_arrays(arrays, schema=target)
    order = [(f.name, "ascending", "at_end") for f in target]
    indices = pc.sort_indices(table_, sort_keys=order)
    return table_.take(indices).combine_chunks()


def _cast(column: pa.ChunkedArray, to: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = column.cast(pa.timestamp(column.type.unit))
    return column.cast(to)

