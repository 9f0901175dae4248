"""Keeping the search index in step with the catalogue.

- `reindex_version(version)`: the version's tables and variables, the dataset's own entry, and
  the dataset's code lists not indexed yet (lists are shared by versions and are not changed by an
  import). Called by `catalogue.importer.import_version` inside its transaction; call it after any
  change to a version's description.
- `reindex_nomenclature(nomenclature)`: one code list and its codes, after editing them.
- `rebuild_index()`: everything (`hygie manage rebuild_search_index`).

Visibility is not stored: a status change needs no re-indexing (calling it anyway is harmless).
Code lists and codes are indexed per dataset; a search shows them through the versions carrying
their list (`Nomenclature.versions`, see `query`).
Codes go in with one INSERT ... SELECT per list, the rest with multi-row INSERTs, parameters
only; the full-text part (FTS5 table or tsvector column) follows in the database itself. The
SNDS (~420,000 rows) takes seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from hygie.web.catalogue.models import (
    Code,
    Dataset,
    DatasetVersion,
    Nomenclature,
    Table,
    Variable,
)
from hygie.web.search.models import Document, Kind

BATCH = 2000
BULK = 10_000  # rows written at once past which the planner statistics are refreshed
MAX_BODY = 2000
_YEAR = re.compile(r"(1[89]\d\d|2\d\d\d)")
_LABEL_COLUMN = re.compile(r"_LI[BCL]")  # SNDS naming: LIBellé, LIbellé Court, LIbellé Long
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}$")
MAX_LABEL_COLUMNS = 8

COLUMNS = ("kind", "dataset_id", "version_id", "table_id", "nomenclature_id", "object_id",
           "name", "title", "body", "product", "year_from", "year_to")
Row = tuple[Any, ...]


def _year(text: str) -> int | None:
    match = _YEAR.match(text or "")
    return int(match.group(1)) if match else None


def _join(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p)[:MAX_BODY]


def _insert(rows: Iterable[Row]) -> int:
    """Insert index rows in batches of multi-row INSERTs (parameters only); returns the count."""
    table = connection.ops.quote_name(Document._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    one = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    count = 0
    batch: list[Row] = []

    def flush() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one] * len(batch)),
                           [value for row in batch for value in row])

    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:  # 12 x 2,000 parameters: under SQLite's and PostgreSQL's limits
            flush()
            count += len(batch)
            batch = []
    if batch:
        flush()
        count += len(batch)
    return count


# --- the rows ------------------------------------------------------------------------------------


def _dataset_row(ds: Dataset) -> Row:
    return (str(Kind.DATASET), ds.id, None, None, None, ds.id, ds.slug, ds.title_fr,
            _join(ds.title_en, ds.description_fr, ds.description_en, " ".join(ds.keywords),
                  ds.holder.name, ds.population_coverage_fr, ds.population_coverage_en),
            "", None, None)


def _table_rows(tables: QuerySet[Table]) -> Iterator[Row]:
    for t in tables.select_related("version").order_by("id"):
        yield (str(Kind.TABLE), t.version.dataset_id, t.version_id, t.id, None, t.id, t.name,
               t.title_fr, _join(t.title_en, t.description_fr, t.description_en, t.product),
               t.product, None, None)


def _variable_rows(variables: QuerySet[Variable]) -> Iterator[Row]:
    rows = variables.order_by("id").values_list(
        "id", "table_id", "table__version_id", "table__version__dataset_id", "table__product",
        "name", "description_fr", "description_en", "nomenclature__name", "date_created",
        "date_deleted")
    for (vid, tid, version_id, ds_id, product, name, desc_fr, desc_en, nom, created,
         deleted) in rows.iterator(chunk_size=BATCH):
        yield (str(Kind.VARIABLE), ds_id, version_id, tid, None, vid, name, desc_fr,
               _join(desc_en, nom), product, _year(created), _year(deleted))


def _version_rows(version: DatasetVersion) -> Iterator[Row]:
    yield from _table_rows(Table.objects.filter(version=version))
    yield from _variable_rows(Variable.objects.filter(table__version=version))


def _nomenclature_row(nom: Nomenclature) -> Row:
    return (str(Kind.NOMENCLATURE), nom.dataset_id, None, None, nom.id, nom.id, nom.name,
            nom.title, _join(nom.source, " ".join(nom.columns)), "", None, None)


def _label_columns(nom: Nomenclature) -> list[str]:
    """The list's other label columns (short, long or former labels: CIM_LIC, CIM_LIC_OLD...),
    whose words help find a code; flags, numbers and dates would only add noise."""
    return [c for c in nom.columns if c not in (nom.code_column, nom.label_column)
            and _LABEL_COLUMN.search(c) and _SAFE_KEY.match(c)][:MAX_LABEL_COLUMNS]


def _insert_codes(nom: Nomenclature, code_id: int | None = None) -> int:
    """Index a list's codes (or one of them) with one INSERT ... SELECT: 400,000 codes never
    pass through Python. Column names go in as parameters (JSON keys), never into the SQL text."""
    pieces, params = [], []
    for column in _label_columns(nom):
        if connection.vendor == "postgresql":
            pieces.append("COALESCE(c.extra ->> %s, '')")
            params.append(column)
        else:
            pieces.append("COALESCE(json_extract(c.extra, %s), '')")
            params.append(f'$."{column}"')
    body = " || ' ' || ".join(pieces) or "''"
    q = connection.ops.quote_name
    sql = (f"INSERT INTO {q(Document._meta.db_table)} ({', '.join(q(c) for c in COLUMNS)}) "
           f"SELECT %s, %s, NULL, NULL, c.nomenclature_id, c.id, c.code, c.label, {body}, '', "
           f"NULL, NULL FROM {q(Code._meta.db_table)} c WHERE c.nomenclature_id = %s")
    args = [str(Kind.CODE), nom.dataset_id, *params, nom.id]
    if code_id is not None:
        sql += " AND c.id = %s"
        args.append(code_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return max(cursor.rowcount, 0)


def _index_nomenclature(nom: Nomenclature) -> int:
    return _insert([_nomenclature_row(nom)]) + _insert_codes(nom)


# --- keeping it in step --------------------------------------------------------------------------


def _reindex_dataset_entry(dataset: Dataset) -> None:
    Document.objects.filter(kind=Kind.DATASET, dataset=dataset).delete()
    _insert([_dataset_row(Dataset.objects.select_related("holder").get(pk=dataset.pk))])


def reindex_nomenclature(nomenclature: Nomenclature) -> int:
    """(Re)index one code list and its codes; returns the number of rows written."""
    with transaction.atomic():
        Document.objects.filter(nomenclature=nomenclature).delete()
        return _index_nomenclature(nomenclature)


def reindex_version(version: DatasetVersion) -> int:
    """(Re)index a version's tables and variables, its dataset's entry and the dataset's code
    lists that are not indexed yet. Returns the number of rows written."""
    with transaction.atomic():
        Document.objects.filter(version=version).delete()
        _reindex_dataset_entry(version.dataset)
        count = 1 + _insert(_version_rows(version))
        indexed = Document.objects.filter(kind=Kind.NOMENCLATURE, dataset_id=version.dataset_id)
        for nom in (Nomenclature.objects.filter(dataset_id=version.dataset_id)
                    .exclude(id__in=indexed.values("nomenclature_id")).order_by("id")):
            count += _index_nomenclature(nom)
        if count >= BULK:
            _analyze()
    return count


def rebuild_index() -> int:
    """Index the whole catalogue afresh; returns the number of rows written."""
    with transaction.atomic(), _fts_paused():
        Document.objects.all().delete()
        count = 0
        for ds in Dataset.objects.select_related("holder").order_by("id"):
            count += _insert([_dataset_row(ds)])
            for nom in Nomenclature.objects.filter(dataset=ds).order_by("id"):
                count += _index_nomenclature(nom)
        for version in DatasetVersion.objects.order_by("id"):
            count += _insert(_version_rows(version))
        _analyze()
    return count


def _analyze() -> None:
    """Fresh planner statistics after a bulk load: without them PostgreSQL combines the btree
    indexes with the GIN one and reads the whole table (seconds instead of milliseconds)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Document._meta.db_table)}")


@contextmanager
def _fts_paused() -> Iterator[None]:
    """On SQLite, switch the FTS5 triggers off while every row is replaced, then rebuild the FTS5
    index in one pass: removing 400,000 entries one by one would take longer than indexing."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_fts_pause (id) VALUES (1)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        cursor.execute("DELETE FROM search_fts_pause")


# --- one object saved outside an import (editing pages, admin, shell) ------------------------------


def object_saved(sender: type, instance: Any, created: bool = False, raw: bool = False,
                 **kwargs: Any) -> None:
    """post_save: refresh the rows of one dataset, table, variable, code list or code. Imports
    write with bulk_create (no signal) and call `reindex_version`. A new code list or code is
    left to `reindex_version`, which indexes the lists not indexed yet with all their codes."""
    if raw:
        return
    with transaction.atomic():
        if sender is Dataset:
            _reindex_dataset_entry(instance)
        elif sender is Table:
            Document.objects.filter(kind=Kind.TABLE, table_id=instance.pk).delete()
            _insert(_table_rows(Table.objects.filter(pk=instance.pk)))
            (Document.objects.filter(kind=Kind.VARIABLE, table_id=instance.pk)
             .exclude(product=instance.product).update(product=instance.product))
        elif sender is Variable:
            Document.objects.filter(kind=Kind.VARIABLE, object_id=instance.pk).delete()
            _insert(_variable_rows(Variable.objects.filter(pk=instance.pk)))
        elif sender is Nomenclature and not created:
            docs = Document.objects.filter(kind=Kind.NOMENCLATURE, nomenclature_id=instance.pk)
            if docs.exists():
                docs.delete()
                _insert([_nomenclature_row(instance)])
        elif sender is Code and not created:
            docs = Document.objects.filter(kind=Kind.CODE, object_id=instance.pk)
            if docs.exists():
                docs.delete()
                _insert_codes(Nomenclature.objects.get(pk=instance.nomenclature_id), instance.pk)


def variable_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    """post_delete: a variable's row has no foreign key to it (tables' and versions' rows go
    with them by cascade)."""
    Document.objects.filter(kind=Kind.VARIABLE, object_id=instance.pk).delete()


def index_if_missing(**kwargs: Any) -> None:
    """After `migrate`: index a catalogue that has versions but no index yet (a database filled
    before the search app existed). A no-op otherwise, e.g. on a fresh database."""
    if kwargs.get("using", "default") != "default":
        return
    if DatasetVersion.objects.exists() and not Document.objects.exists():
        rebuild_index()
