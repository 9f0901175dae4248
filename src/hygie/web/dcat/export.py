"""From catalogue rows to the plain descriptions `hygie.catalogue.dcat` turns into HealthDCAT-AP.

IRIs are the catalogue's own pages (`base` is the site's address as the request reached it): the
catalogue is `/catalogue/`, a dataset its page `/catalogue/<slug>/` whatever the version described,
a data holder `/catalogue/#holder-<slug>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.urls import reverse

from hygie.catalogue import dcat
from hygie.sdc import THRESHOLD
from hygie.web.catalogue.access import visible_versions
from hygie.web.catalogue.models import DataHolder, DatasetVersion, Nomenclature, Statistics, Status

# The platform that runs the catalogue, and the access body for the SNDS: the Health Data Hub.
HDH = dcat.Agent(name="Plateforme des données de santé (Health Data Hub)",
                 homepage="https://www.health-data-hub.fr")
HDH_NAMES = ("health data hub", "plateforme des données de santé")

CATALOG_TITLE = {"fr": "Hygie : catalogue des données de santé",
                 "en": "Hygie: health data catalogue"}
CATALOG_DESCRIPTION = {
    "fr": "Bases de données de santé décrites pour leur réutilisation : tables, variables, "
          "nomenclatures, chiffres clés publiés sous secret statistique et conditions d'accès.",
    "en": "Health databases described for secondary use: tables, variables, code lists, key "
          "figures released under statistical secrecy, and access conditions."}
ACCESS_TITLE = {"fr": "Accès aux données sur demande auprès de l'organisme d'accès",
                "en": "Access to the data on request to the health data access body"}
ACCESS_DESCRIPTION = {
    "fr": "Les données individuelles ne sont pas téléchargeables : elles sont mises à disposition "
          "sur un espace sécurisé après autorisation de l'organisme d'accès aux données de santé.",
    "en": "Individual data cannot be downloaded: they are made available in a secure workspace "
          "once the health data access body has authorised the project."}
HTML = "https://www.iana.org/assignments/media-types/text/html"


def exported_versions(user: Any) -> list[DatasetVersion]:
    """One version per dataset the user may see: its latest published one, else (for its editors
    and the catalogue team) its latest one. Anonymous users get published versions only."""
    chosen: dict[int, DatasetVersion] = {}
    for v in (visible_versions(user).select_related("statistics", "dataset__dcat_origin")
              .order_by("dataset__title_fr", "dataset_id", "-number")):
        current = chosen.get(v.dataset_id)
        if current is None or (v.status == Status.PUBLISHED and current.status != Status.PUBLISHED):
            chosen[v.dataset_id] = v
    return list(chosen.values())


def holder_agent(holder: DataHolder, base: str) -> dcat.Agent:
    return dcat.Agent(name=holder.name, iri=f"{base}{reverse('catalogue:datasets')}#holder-{holder.slug}",
                      homepage=holder.url, email=holder.email)


def access_body(name: str) -> dcat.Agent | None:
    if not name.strip():
        return None
    if any(n in name.casefold() for n in HDH_NAMES):
        return dcat.Agent(name=name.strip(), homepage=HDH.homepage)
    return dcat.Agent(name=name.strip())


def _figures(version: DatasetVersion) -> dcat.Figures:
    """The version's released figures: counts perturbed by the cell key and rounded, as on its
    page (`Statistics.released`); a count under the threshold is left out, never written."""
    if version.lake_synthetic:  # figures of a synthetic sample say nothing of the dataset
        return dcat.Figures()
    try:
        stats = version.statistics
    except Statistics.DoesNotExist:
        return dcat.Figures()
    figures = dcat.figures_from_statistics(stats.released())

    def count(value: int | None) -> int | None:
        return value if value is not None and value >= THRESHOLD else None

    return replace(figures, records=count(figures.records),
                   individuals=count(figures.individuals))


def _nomenclatures(version: DatasetVersion) -> Iterable[str]:
    return (Nomenclature.objects.filter(variables__table__version=version)
            .values_list("name", flat=True).distinct())


def _texts(fr: str, en: str) -> dict[str, str]:
    """Language-tagged texts; one untagged text when both fields hold the same (a name, or a text
    imported in a single language that had to fill the required French field too)."""
    fr, en = fr.strip(), en.strip()
    if fr and fr == en:
        return {"": fr}
    return {lang: text for lang, text in (("fr", fr), ("en", en)) if text}


def describe(version: DatasetVersion, base: str) -> dcat.DatasetDescription:
    """`base`: the site's scheme and host, e.g. "https://hygie.example.org" (no trailing slash)."""
    ds = version.dataset
    iri = base + ds.get_absolute_url()
    publisher = holder_agent(ds.holder, base)
    contact_email = ds.contact_email or ds.holder.email
    contact = (dcat.Contact(ds.holder.name, email=contact_email, url=ds.holder.url)
               if contact_email or ds.holder.url else None)
    origin = getattr(ds, "dcat_origin", None)
    return dcat.DatasetDescription(
        iri=iri, title=_texts(ds.title_fr, ds.title_en), publisher=publisher,
        description=_texts(ds.description_fr, ds.description_en),
        version=str(version.number), version_notes=version.change_note,
        issued=version.published if version.status == Status.PUBLISHED else None,
        keywords=[str(k) for k in ds.keywords or [] if isinstance(k, str)],
        health_categories=[dcat.HEALTH_CATEGORIES[c] for c in ds.health_categories or []
                           if c in dcat.HEALTH_CATEGORIES],
        coding_systems=dcat.coding_systems(_nomenclatures(version)),
        population_coverage=_texts(ds.population_coverage_fr, ds.population_coverage_en),
        legal_basis=ds.legal_basis, gdpr_bases=list(ds.gdpr_bases), retention=ds.retention,
        access_body=access_body(ds.access_body),
        contact=contact, landing_page=ds.landing_page,
        first_year=version.first_year, last_year=version.last_year, figures=_figures(version),
        distributions=[dcat.Distribution(iri=f"{iri}#access", access_url=iri, title=ACCESS_TITLE,
                                         description=ACCESS_DESCRIPTION, licence=ds.licence,
                                         media_type=HTML)],
        other_identifiers=[origin.iri] if origin is not None else [])


def describe_catalogue(versions: list[DatasetVersion], base: str) -> dcat.CatalogDescription:
    published = [v.published for v in versions if v.published is not None]
    return dcat.CatalogDescription(
        iri=base + reverse("catalogue:datasets"), title=CATALOG_TITLE,
        description=CATALOG_DESCRIPTION, publisher=HDH, homepage=base + "/",
        modified=max(published, default=None), datasets=[describe(v, base) for v in versions])


def version_for(user: Any, slug: str, number: int | None) -> DatasetVersion | None:
    """The version of one dataset to export: `number` when given, else as `exported_versions`."""
    versions = (visible_versions(user).select_related("statistics", "dataset__dcat_origin")
                .filter(dataset__slug=slug))
    if number is not None:
        return versions.filter(number=number).first()
    return (versions.filter(status=Status.PUBLISHED).order_by("-number").first()
            or versions.order_by("-number").first())
