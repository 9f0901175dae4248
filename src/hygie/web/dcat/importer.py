"""Store another portal's datasets (read by `hygie.catalogue.dcat_import`) as draft datasets.

Each new dataset gets a draft version 1 without tables: nothing is public until the catalogue team
or the holder's editors complete and publish it. A second import of the same catalogue matches the
datasets on their original IRI (`ImportedDataset`) and publishers on theirs (`ImportedHolder`):
unchanged entries are left alone, changed ones are updated while none of their versions has been
published yet, and published ones are kept as they are (their edits go through review in Hygie).
All of it happens in one transaction, after every entry has been checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models, transaction
from django.utils.text import slugify

from hygie.catalogue.dcat_import import DcatImportError, ForeignDataset, ForeignPublisher
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, Status
from hygie.web.dcat.models import ImportedDataset, ImportedHolder
from hygie.web.validators import one_line


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)  # dataset slugs
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # changed upstream but already published here
    holders: list[str] = field(default_factory=list)  # data holders created

    def __str__(self) -> str:
        return (f"{len(self.created)} dataset(s) created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.kept)} kept (published here); "
                f"{len(self.holders)} data holder(s) created")


def _fields(fd: ForeignDataset) -> dict[str, Any]:
    """The dataset's fields; single-line texts put on one line (another portal's RDF may hold
    line breaks anywhere, and refusing the whole catalogue for it would help nobody)."""
    return {"title_fr": one_line(fd.title["fr"]), "title_en": one_line(fd.title.get("en", "")),
            "description_fr": fd.description.get("fr", ""),
            "description_en": fd.description.get("en", ""),
            "keywords": [one_line(k) for k in fd.keywords],
            "health_categories": list(fd.health_categories),
            "population_coverage_fr": fd.population_coverage.get("fr", ""),
            "population_coverage_en": fd.population_coverage.get("en", ""),
            "gdpr_bases": list(fd.gdpr_bases), "landing_page": fd.landing_page}


def check(datasets: Sequence[ForeignDataset]) -> list[str]:
    """What the catalogue could not store (lengths, addresses): one line per problem."""
    problems = []
    is_url = URLValidator(schemes=["http", "https"])
    for fd in datasets:
        where = f"dataset {fd.key}"
        for lang, title in fd.title.items():
            if len(title) > 300:  # Dataset.title_fr and title_en
                problems.append(f"{where}: the {lang} title is longer than 300 characters")
        for what, value in (("landing page", fd.landing_page), ("publisher's home page",
                                                                fd.publisher.homepage)):
            if value:
                try:
                    is_url(value)
                except ValidationError:
                    problems.append(f"{where}: the {what} is not a web address: {value[:80]!r}")
        if fd.publisher.email:
            try:
                validate_email(fd.publisher.email)
            except ValidationError:
                problems.append(f"{where}: the publisher's e-mail is not an address: "
                                f"{fd.publisher.email[:80]!r}")
    return problems


def _unique_slug(model: type[models.Model], text: str, fallback: str) -> str:
    base = slugify(text)[:70].strip("-") or fallback
    slug, n = base, 1
    while model._default_manager.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _holder(publisher: ForeignPublisher, report: ImportReport, user: Any, source: str) -> DataHolder:
    link = ImportedHolder.objects.select_related("holder").filter(key=publisher.key).first()
    if link is not None:
        return link.holder
    # A publisher already in the catalogue under the same name is the same organisation.
    name = one_line(publisher.name)
    holder = DataHolder.objects.filter(name__iexact=name).order_by("pk").first()
    if holder is None:
        holder = DataHolder.objects.create(
            slug=_unique_slug(DataHolder, name, "holder"), name=name,
            url=publisher.homepage if len(publisher.homepage) <= 200 else "",
            email=publisher.email)
        report.holders.append(holder.slug)
        record(Action.DCAT_HOLDER_IMPORTED, holder, actor=user, key=publisher.key, source=source)
    if not ImportedHolder.objects.filter(holder=holder).exists():  # else matched by name next time
        ImportedHolder.objects.create(holder=holder, key=publisher.key)
    return holder


def import_datasets(datasets: Sequence[ForeignDataset], *, source: str = "",
                    user: Any = None) -> ImportReport:
    """Create or update the datasets; DcatImportError (and nothing written) on a bad entry."""
    problems = check(datasets)
    if problems:
        raise DcatImportError(problems)
    report = ImportReport()
    actor = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        for fd in datasets:
            holder = _holder(fd.publisher, report, actor, source)
            fields = _fields(fd)
            origin = (ImportedDataset.objects.select_for_update().select_related("dataset")
                      .filter(iri=fd.key).first())
            if origin is None:
                _create(fd, holder, fields, report, actor, source)
            else:
                _update(origin, fd, holder, fields, report, actor, source)
    return report


def _create(fd: ForeignDataset, holder: DataHolder, fields: dict[str, Any], report: ImportReport,
            user: Any, source: str) -> None:
    dataset = Dataset.objects.create(slug=_unique_slug(Dataset, fd.title["fr"], "dataset"),
                                     holder=holder, **fields)
    ImportedDataset.objects.create(dataset=dataset, iri=fd.key, themes=list(fd.themes),
                                   source=source[:300])
    version = DatasetVersion.objects.create(
        dataset=dataset, number=1, status=Status.DRAFT, first_year=fd.first_year,
        last_year=fd.last_year, source=f"DCAT-AP {source}"[:300], created_by=user,
        change_note="Imported from another portal's DCAT-AP catalogue; no tables yet.")
    report.created.append(dataset.slug)
    record(Action.DCAT_DATASET_IMPORTED, dataset, actor=user, iri=fd.key, source=source,
           version=version.number)


def _update(origin: ImportedDataset, fd: ForeignDataset, holder: DataHolder, fields: dict[str, Any],
            report: ImportReport, user: Any, source: str) -> None:
    dataset = origin.dataset
    changed = sorted(k for k, v in fields.items() if getattr(dataset, k) != v)
    if dataset.holder_id != holder.pk:
        changed.append("holder")
    if origin.themes != list(fd.themes):
        changed.append("themes")
    latest = dataset.versions.order_by("-number").first()
    if latest is not None and (latest.first_year, latest.last_year) != (fd.first_year, fd.last_year):
        changed.append("years")
    if not changed:
        report.unchanged.append(dataset.slug)
        return
    if dataset.versions.exclude(status__in=[Status.DRAFT, Status.REVIEW]).exists():
        report.kept.append(dataset.slug)
        return
    for key, value in fields.items():
        setattr(dataset, key, value)
    dataset.holder = holder
    dataset.save()
    origin.themes = list(fd.themes)
    origin.source = source[:300]
    origin.save(update_fields=["themes", "source", "updated"])
    if latest is not None and "years" in changed:
        latest.first_year, latest.last_year = fd.first_year, fd.last_year
        latest.save(update_fields=["first_year", "last_year"])
    report.updated.append(dataset.slug)
    record(Action.DCAT_DATASET_UPDATED, dataset, actor=user, iri=fd.key, source=source, fields=changed)
