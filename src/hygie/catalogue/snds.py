"""The SNDS as a catalogue description: the 188 packaged table schemas and their code lists."""

from __future__ import annotations

from functools import partial

from hygie.catalogue.spec import NomenclatureSpec, RelationSpec, TableSpec, VariableSpec, VersionSpec
from hygie.snds.nomenclatures import Nomenclature, nomenclatures
from hygie.snds.schemas import SCHEMA_VERSION, Field, TableSchema, load_schemas


def _variable(f: Field) -> VariableSpec:
    return VariableSpec(
        name=f.name, type=f.type, format="" if f.format == "default" else f.format,
        length=f.length, scale=f.scale, description_fr=f.description,
        nomenclature=f.nomenclature, nomenclature_column=f.nomenclature_column or "",
        required=f.required, date_created=f.date_created, date_deleted=f.date_deleted)


def _table(t: TableSchema) -> TableSpec:
    return TableSpec(
        name=t.name, title_fr=t.title, product=t.product, primary_key=t.primary_key,
        variables=tuple(_variable(f) for f in t.fields),
        relations=tuple(RelationSpec(fk.fields, fk.table, fk.ref_fields)
                        for fk in t.foreign_keys))


def _rows(nom: Nomenclature) -> list[dict[str, str]]:
    return nom.rows() if nom.available else []


def _nomenclature(nom: Nomenclature) -> NomenclatureSpec:
    return NomenclatureSpec(
        name=nom.name, code_column=nom.code_column, label_column=nom.label_column or "",
        columns=nom.columns, source=nom.path.parent.name, rows=partial(_rows, nom))


def snds_spec() -> VersionSpec:
    """The packaged SNDS description (schema-snds) with all its code lists, checked: every key and
    code list a variable names resolves."""
    schemas = load_schemas()
    tables = tuple(_table(t) for t in sorted(schemas.tables.values(), key=lambda t: t.name))
    noms = tuple(_nomenclature(n) for _, n in sorted(nomenclatures().items()))
    return VersionSpec(tables=tables, nomenclatures=noms, source=SCHEMA_VERSION).check("SNDS")
