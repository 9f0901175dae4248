"""Catalogue API: what the public pages show, as JSON (published versions for anonymous users)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from hygie.web.catalogue.access import get_version, visible_versions

router = Router(tags=["catalogue"])


class DatasetOut(Schema):
    slug: str
    title: str
    holder: str
    version: int
    status: str
    tables: int


class VariableOut(Schema):
    name: str
    type: str
    length: int | None
    description: str
    nomenclature: str | None


class TableOut(Schema):
    name: str
    title: str
    product: str
    primary_key: list[str]
    variables: list[VariableOut]


@router.get("/datasets", response=list[DatasetOut])
def datasets(request: HttpRequest) -> list[DatasetOut]:
    latest: dict[int, DatasetOut] = {}
    for v in visible_versions(request.user).order_by("dataset__slug", "-number"):
        if v.dataset_id not in latest:
            latest[v.dataset_id] = DatasetOut(
                slug=v.dataset.slug, title=v.dataset.title, holder=v.dataset.holder.name,
                version=v.number, status=v.status, tables=v.tables.count())
    return list(latest.values())


@router.get("/datasets/{slug}/tables/{name}", response=TableOut)
def table(request: HttpRequest, slug: str, name: str, version: int | None = None) -> TableOut:
    v = get_version(request.user, slug, version)
    t = get_object_or_404(v.tables, name=name)
    return TableOut(name=t.name, title=t.title, product=t.product, primary_key=t.primary_key,
                    variables=[VariableOut(name=x.name, type=x.type, length=x.length,
                                           description=x.description,
                                           nomenclature=x.nomenclature.name if x.nomenclature
                                           else None)
                               for x in t.variables.select_related("nomenclature")])
