"""Store a checked description (`hygie.catalogue.VersionSpec`) as a new dataset version, and read
a stored version back as a spec (to compare versions). One transaction: all or nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hygie.catalogue.spec import RelationSpec, SpecError, TableSpec, VariableSpec, VersionSpec
from hygie.snds.schemas import repair_text
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.models import (
    Code,
    Dataset,
    DatasetVersion,
    Nomenclature,
    Relation,
    Status,
    Table,
    Variable,
)
from hygie.web.search.index import reindex_version
from hygie.web.validators import forbidden_in_line, one_line

BATCH = 5000


def _line(text: str) -> str:
    """A text for a single-line field (a title broken over two lines in a descriptor stays
    readable, on one line; Windows-1252 punctuation read as Latin-1 gets its character back
    rather than a space)."""
    return one_line(repair_text(text)) if text else text


def _bad_names(spec: VersionSpec) -> list[tuple[str, str]]:
    """Names (identifiers that pages, links and keys use) holding what no line may hold: refused,
    since changing them would change what they name."""
    message = "a name must be a single line of text (no line break, control or direction character)"
    places = [(f"table {t.name!r}", t.name) for t in spec.tables]
    places += [(f"{t.name}.{v.name!r}", v.name) for t in spec.tables for v in t.variables]
    places += [(f"{t.name} foreign key", r.ref_table) for t in spec.tables for r in t.relations]
    for n in spec.nomenclatures:
        places += [(f"nomenclature {n.name!r}", value)
                   for value in (n.name, n.code_column, n.label_column)]
    return [(where, message) for where, value in places if forbidden_in_line(value or "")]


def import_version(dataset: Dataset, spec: VersionSpec, *, user: Any = None, label: str = "",
                   change_note: str = "", status: str = str(Status.DRAFT),
                   origin: str = "") -> DatasetVersion:
    """Add `spec` as the dataset's next version. Code lists not yet known to the dataset are
    added with their codes; a variable naming a list that neither the spec nor the dataset has is
    an error, as is any other problem `VersionSpec.check` finds, or a name that is not a single
    line. Other single-line texts (titles, labels, products) are cleaned. Nothing is written on
    error."""
    known = set(dataset.nomenclatures.values_list("name", flat=True))
    spec.check(origin, known_nomenclatures=known)
    if problems := _bad_names(spec):
        raise SpecError(problems, origin)
    with transaction.atomic():
        # Lock the dataset row so two imports cannot take the same version number.
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
        last = dataset.versions.order_by("-number").values_list("number", flat=True).first()
        version = DatasetVersion.objects.create(
            dataset=dataset, number=(last or 0) + 1, label=_line(label), status=status,
            change_note=change_note, source=_line(spec.source), first_year=spec.first_year,
            last_year=spec.last_year, created_by=user if getattr(user, "pk", None) else None)
        lists = _nomenclatures(dataset, spec, known)
        _tables(version, spec, lists)
        _carry(version, spec, lists)
        record(Action.VERSION_IMPORTED, version, actor=user, source=spec.source,
               tables=len(spec.tables), origin=origin)
        reindex_version(version)
    return version


def _nomenclatures(dataset: Dataset, spec: VersionSpec, known: set[str]) -> dict[str, Nomenclature]:
    for nom in spec.nomenclatures:
        if nom.name in known:
            continue
        row = Nomenclature.objects.create(
            dataset=dataset, name=nom.name, title=_line(nom.title), source=_line(nom.source),
            code_column=nom.code_column, label_column=nom.label_column, columns=list(nom.columns))
        codes = []
        for i, values in enumerate(nom.rows()):
            if nom.code_column not in values:
                raise SpecError([(f"nomenclature {nom.name} row {i + 2}",
                                  f"no column {nom.code_column!r}")])
            code = (values[nom.code_column] or "").strip()  # "" is a code (e.g. undetermined)
            extra = {k: v for k, v in values.items()
                     if k not in (nom.code_column, nom.label_column) and v}
            codes.append(Code(nomenclature=row, code=_line(code)[:100],
                              label=_line(values.get(nom.label_column) or "")
                              if nom.label_column else "",
                              extra=extra))
            if len(codes) >= BATCH:
                Code.objects.bulk_create(codes)
                codes = []
        Code.objects.bulk_create(codes)
    return {n.name: n for n in dataset.nomenclatures.all()}


def _carry(version: DatasetVersion, spec: VersionSpec, lists: dict[str, Nomenclature]) -> None:
    """Tie the version to the code lists it has: those it brings or names (new or already known)
    and those its variables use. A list is seen through these versions only (`access`)."""
    names = {n.name for n in spec.nomenclatures}
    names |= {v.nomenclature for t in spec.tables for v in t.variables if v.nomenclature}
    through = Nomenclature.versions.through
    through.objects.bulk_create([through(nomenclature_id=lists[name].pk,
                                         datasetversion_id=version.pk)
                                 for name in sorted(names) if name in lists], batch_size=BATCH)


def _tables(version: DatasetVersion, spec: VersionSpec, lists: dict[str, Nomenclature]) -> None:
    tables = Table.objects.bulk_create([
        Table(version=version, name=t.name, title_fr=_line(t.title_fr),
              title_en=_line(t.title_en), description_fr=t.description_fr,
              description_en=t.description_en, product=_line(t.product),
              primary_key=list(t.primary_key), position=i)
        for i, t in enumerate(spec.tables)])
    by_name = {t.name: t for t in Table.objects.filter(version=version)}
    variables, relations = [], []
    for t in spec.tables:
        table = by_name[t.name]
        for i, v in enumerate(t.variables):
            variables.append(Variable(
                table=table, name=v.name, type=v.type, format=v.format, length=v.length,
                scale=v.scale, description_fr=v.description_fr, description_en=v.description_en,
                nomenclature=lists.get(v.nomenclature) if v.nomenclature else None,
                nomenclature_column=v.nomenclature_column, required=v.required,
                date_created=v.date_created, date_deleted=v.date_deleted, position=i))
        relations += [Relation(table=table, fields=list(r.fields), ref_table=r.ref_table,
                               ref_fields=list(r.ref_fields)) for r in t.relations]
    Variable.objects.bulk_create(variables, batch_size=BATCH)
    Relation.objects.bulk_create(relations, batch_size=BATCH)
    assert len(tables) == len(spec.tables)


def spec_of(version: DatasetVersion) -> VersionSpec:
    """A stored version as a spec (without code rows), e.g. to diff it with another."""
    tables = []
    relations: dict[int, list[RelationSpec]] = {}
    for r in Relation.objects.filter(table__version=version).order_by("id"):
        relations.setdefault(r.table_id, []).append(
            RelationSpec(tuple(r.fields), r.ref_table, tuple(r.ref_fields)))
    variables: dict[int, list[VariableSpec]] = {}
    for v in (Variable.objects.filter(table__version=version).select_related("nomenclature")
              .order_by("table_id", "position")):
        variables.setdefault(v.table_id, []).append(VariableSpec(
            name=v.name, type=v.type, format=v.format, length=v.length, scale=v.scale,
            description_fr=v.description_fr, description_en=v.description_en,
            nomenclature=v.nomenclature.name if v.nomenclature else None,
            nomenclature_column=v.nomenclature_column, required=v.required,
            date_created=v.date_created, date_deleted=v.date_deleted))
    for t in version.tables.order_by("position", "name"):
        tables.append(TableSpec(
            name=t.name, title_fr=t.title_fr, title_en=t.title_en,
            description_fr=t.description_fr, description_en=t.description_en, product=t.product,
            primary_key=tuple(t.primary_key), variables=tuple(variables.get(t.id, [])),
            relations=tuple(relations.get(t.id, []))))
    return VersionSpec(tables=tuple(tables), source=version.source,
                       first_year=version.first_year, last_year=version.last_year)
