"""Catalogue API, read-only: what the public pages show, as JSON.

Anonymous callers see published versions only; a signed-in (and, for staff, verified) session sees
what `catalogue.access` lets it see on the pages. Entries one may not see answer 404, as on the
pages, so that drafts do not reveal their existence. Path and query parameters are bounded in the
schema (slugs, names, version numbers, page sizes), so malformed input is a 422, never a database
error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import Count
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema
from pydantic import Field

from hygie.web.catalogue.access import (
    get_nomenclature,
    get_version,
    visible_nomenclatures,
    visible_versions,
)
from hygie.web.catalogue.models import Dataset, DatasetVersion, Status, localised

router = Router(tags=["catalogue"])

MAX_INT = 2**31 - 1  # PostgreSQL integer columns: larger numbers cannot match anything
Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]+$", max_length=80, examples=["snds"])]
Number = Annotated[int, Path(ge=1, le=MAX_INT, examples=[1])]
TableName = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f]+$", max_length=100,
                                examples=["IR_BEN_R"])]
NomenclatureName = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f]+$", max_length=100,
                                       examples=["IR_NAT_V"])]


class Error(Schema):
    detail: Any


NOT_FOUND = {404: Error, 422: Error}


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=500, description="Items per page (at most 500).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Items to skip.")


class Holder(Schema):
    slug: str
    name: str


class DatasetSummary(Schema):
    slug: str
    title: str
    holder: str
    version: int = Field(description="The latest version the caller may see.")
    status: str
    tables: int


class DatasetPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DatasetSummary]


class VersionSummary(Schema):
    number: int
    label: str
    status: str
    published: datetime | None
    first_year: int | None
    last_year: int | None
    tables: int


class DatasetDetail(Schema):
    slug: str
    title: str
    title_fr: str
    title_en: str
    description: str
    holder: Holder
    health_categories: list[str]
    keywords: list[str]
    population_coverage: str
    legal_basis: str
    gdpr_bases: list[str] = Field(description="GDPR articles (DPV-GDPR names, e.g. A6-1-e).")
    retention: str
    access_body: str
    licence: str
    landing_page: str
    contact_email: str
    versions: list[VersionSummary] = Field(description="Newest first, those the caller may see.")


class TableSummary(Schema):
    name: str
    title: str
    product: str
    variables: int


class VersionDetail(Schema):
    dataset: str
    number: int
    label: str
    status: str
    change_note: str
    first_year: int | None
    last_year: int | None
    published: datetime | None
    tables: list[TableSummary]


class VariableOut(Schema):
    name: str
    type: str
    format: str
    length: int | None
    description: str
    nomenclature: str | None
    required: bool


class RelationOut(Schema):
    fields: list[str]
    ref_table: str
    ref_fields: list[str]


class TableOut(Schema):
    name: str
    title: str
    description: str
    product: str
    version: int
    primary_key: list[str]
    variables: list[VariableOut]
    relations: list[RelationOut]


class NomenclatureSummary(Schema):
    name: str
    title: str
    source: str
    codes: int


class NomenclaturePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[NomenclatureSummary]


class CodeOut(Schema):
    code: str
    label: str


class NomenclatureOut(Schema):
    name: str
    title: str
    source: str
    code_column: str
    label_column: str
    count: int = Field(description="Codes in the list.")
    limit: int
    offset: int
    codes: list[CodeOut] = Field(description="This page of codes, in code order.")


def _latest_visible(request: HttpRequest) -> list[DatasetVersion]:
    """One version per dataset: the latest published one, else the latest the caller sees."""
    latest: dict[int, DatasetVersion] = {}
    versions = (visible_versions(request.user).annotate(n_tables=Count("tables"))
                .order_by("dataset__slug", "-number"))
    for v in versions:
        best = latest.get(v.dataset_id)
        if best is None or (best.status != Status.PUBLISHED and v.status == Status.PUBLISHED):
            latest[v.dataset_id] = v
    return sorted(latest.values(), key=lambda v: v.dataset.slug)


@router.get("/datasets", response={200: DatasetPage, 422: Error}, summary="Datasets")
def datasets(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """The datasets, by identifier, each with its latest version the caller may see."""
    latest = _latest_visible(request)
    items = [DatasetSummary(slug=v.dataset.slug, title=v.dataset.title,
                            holder=v.dataset.holder.name, version=v.number, status=v.status,
                            tables=v.n_tables)
             for v in latest[page.offset:page.offset + page.limit]]
    return {"count": len(latest), "limit": page.limit, "offset": page.offset, "items": items}


@router.get("/datasets/{slug}", response={200: DatasetDetail, **NOT_FOUND}, summary="A dataset")
def dataset(request: HttpRequest, slug: Slug) -> DatasetDetail:
    """A dataset's description and the versions the caller may see, newest first."""
    versions = list(visible_versions(request.user).filter(dataset__slug=slug)
                    .annotate(n_tables=Count("tables")).order_by("-number"))
    if not versions:
        raise Http404("no such dataset")
    ds: Dataset = versions[0].dataset
    return DatasetDetail(
        slug=ds.slug, title=ds.title, title_fr=ds.title_fr, title_en=ds.title_en,
        description=ds.description, holder=Holder(slug=ds.holder.slug, name=ds.holder.name),
        health_categories=list(ds.health_categories), keywords=list(ds.keywords),
        population_coverage=localised(ds, "population_coverage"), legal_basis=ds.legal_basis,
        gdpr_bases=list(ds.gdpr_bases), retention=ds.retention, access_body=ds.access_body,
        licence=ds.licence, landing_page=ds.landing_page, contact_email=ds.contact_email,
        versions=[VersionSummary(number=v.number, label=v.label, status=v.status,
                                 published=v.published, first_year=v.first_year,
                                 last_year=v.last_year, tables=v.n_tables) for v in versions])


@router.get("/datasets/{slug}/versions/{number}", response={200: VersionDetail, **NOT_FOUND},
            summary="A dataset version")
def version(request: HttpRequest, slug: Slug, number: Number) -> VersionDetail:
    """A version and its tables (with their number of variables), by product then name."""
    v = get_version(request.user, slug, number)
    tables = v.tables.annotate(n=Count("variables")).order_by("product", "name")
    return VersionDetail(
        dataset=v.dataset.slug, number=v.number, label=v.label, status=v.status,
        change_note=v.change_note, first_year=v.first_year, last_year=v.last_year,
        published=v.published,
        tables=[TableSummary(name=t.name, title=t.title, product=t.product, variables=t.n)
                for t in tables])


def _table(v: DatasetVersion, name: str) -> TableOut:
    t = get_object_or_404(v.tables, name=name)
    return TableOut(
        name=t.name, title=t.title, description=localised(t, "description"), product=t.product,
        version=v.number, primary_key=list(t.primary_key),
        variables=[VariableOut(name=x.name, type=x.type, format=x.format, length=x.length,
                               description=x.description, required=x.required,
                               nomenclature=x.nomenclature.name if x.nomenclature else None)
                   for x in t.variables.select_related("nomenclature")],
        relations=[RelationOut(fields=list(r.fields), ref_table=r.ref_table,
                               ref_fields=list(r.ref_fields)) for r in t.relations.all()])


@router.get("/datasets/{slug}/versions/{number}/tables/{name}",
            response={200: TableOut, **NOT_FOUND}, summary="A table of a version")
def version_table(request: HttpRequest, slug: Slug, number: Number,
                  name: TableName) -> TableOut:
    """A table with its variables (in order) and its foreign keys."""
    return _table(get_version(request.user, slug, number), name)


@router.get("/datasets/{slug}/tables/{name}", response={200: TableOut, **NOT_FOUND},
            summary="A table of the latest version")
def table(request: HttpRequest, slug: Slug, name: TableName,
          version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None) -> TableOut:
    """A table of the latest version the caller may see (or of `version`)."""
    return _table(get_version(request.user, slug, version), name)


@router.get("/datasets/{slug}/nomenclatures", response={200: NomenclaturePage, **NOT_FOUND},
            summary="Code lists of a dataset")
def nomenclatures(request: HttpRequest, slug: Slug, page: Query[PageQuery]) -> dict[str, Any]:
    """The dataset's code lists that the caller may see (those of the versions they may see), by
    name, with their number of codes."""
    v = get_version(request.user, slug)
    noms = visible_nomenclatures(request.user, v.dataset).order_by("name")
    rows = noms.annotate(n=Count("codes"))[page.offset:page.offset + page.limit]
    return {"count": noms.count(), "limit": page.limit, "offset": page.offset,
            "items": [NomenclatureSummary(name=n.name, title=n.title, source=n.source,
                                          codes=n.n) for n in rows]}


@router.get("/datasets/{slug}/nomenclatures/{name}",
            response={200: NomenclatureOut, **NOT_FOUND}, summary="A code list")
def nomenclature(request: HttpRequest, slug: Slug, name: NomenclatureName,
                 page: Query[PageQuery]) -> NomenclatureOut:
    """A code list and one page of its codes."""
    nom, _ = get_nomenclature(request.user, slug, name)
    codes = nom.codes.order_by("code")
    return NomenclatureOut(
        name=nom.name, title=nom.title, source=nom.source, code_column=nom.code_column,
        label_column=nom.label_column, count=codes.count(), limit=page.limit,
        offset=page.offset,
        codes=[CodeOut(code=c.code, label=c.label)
               for c in codes[page.offset:page.offset + page.limit]])
