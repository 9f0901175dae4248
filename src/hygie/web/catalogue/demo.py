"""Two more entries for a demonstration catalogue, beside the SNDS: OSCOUR (emergency visits,
Santé publique France) and the REIN registry (kidney failure, Agence de la biomédecine).

Their descriptions are packaged Frictionless Data Packages (`hygie/data/catalogue/`), imported
and published as the catalogue team would. The packages describe what each base holds in our
own words; they say so, and are not the holders' official data dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db import transaction

from hygie.catalogue.frictionless import parse_descriptor
from hygie.web.catalogue import workflow
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, HealthCategory

PACKAGES = resources.files("hygie") / "data" / "catalogue"


@dataclass(frozen=True)
class DemoEntry:
    package: str
    holder: dict[str, str]
    dataset: dict[str, Any]


ENTRIES = (
    DemoEntry(
        package="oscour.datapackage.json",
        holder={"slug": "sante-publique-france", "name": "Santé publique France",
                "url": "https://www.santepubliquefrance.fr",
                "description_fr": "Agence nationale de santé publique.",
                "description_en": "The French national public health agency."},
        dataset={
            "slug": "oscour",
            "title_fr": "OSCOUR, Organisation de la surveillance coordonnée des urgences",
            "title_en": "OSCOUR, coordinated surveillance of emergency departments",
            "description_fr": (
                "Résumés de passage aux urgences (RPU) que les services d'urgences transmettent "
                "chaque jour à Santé publique France. Le réseau sert à la surveillance sanitaire "
                "dite syndromique : épidémies saisonnières, vagues de chaleur, événements "
                "exceptionnels."),
            "description_en": (
                "Emergency visit summaries (RPU) that emergency departments send every day to "
                "Santé publique France. The network serves syndromic surveillance: seasonal "
                "epidemics, heat waves, unusual events."),
            "health_categories": [HealthCategory.EMERGENCY],
            "keywords": ["urgences", "RPU", "surveillance syndromique", "SurSaUD"],
            "population_coverage_fr": "Passages dans les services d'urgences qui transmettent "
                                      "leurs résumés au réseau.",
            "population_coverage_en": "Visits to the emergency departments that send their "
                                      "summaries to the network.",
            "access_body": "Health Data Hub (Plateforme des données de santé)"}),
    DemoEntry(
        package="rein.datapackage.json",
        holder={"slug": "agence-biomedecine", "name": "Agence de la biomédecine",
                "url": "https://www.agence-biomedecine.fr",
                "description_fr": "Agence publique chargée notamment du prélèvement et de la "
                                  "greffe d'organes.",
                "description_en": "Public agency in charge, among other things, of organ "
                                  "donation and transplantation."},
        dataset={
            "slug": "rein",
            "title_fr": "REIN, Réseau épidémiologique et information en néphrologie",
            "title_en": "REIN, renal epidemiology and information network",
            "description_fr": (
                "Registre des personnes traitées par dialyse ou greffe rénale pour une "
                "insuffisance rénale chronique terminale : leur état au début du traitement, "
                "les traitements successifs et la fin du suivi."),
            "description_en": (
                "Registry of the people treated by dialysis or kidney transplant for end-stage "
                "kidney disease: their condition when treatment starts, the successive "
                "treatments and the end of follow-up."),
            "health_categories": [HealthCategory.REGISTRY],
            "keywords": ["insuffisance rénale", "dialyse", "greffe rénale", "registre"],
            "population_coverage_fr": "Personnes commençant un traitement de suppléance rénale "
                                      "en France.",
            "population_coverage_en": "People starting renal replacement therapy in France.",
            "access_body": "Health Data Hub (Plateforme des données de santé)"}),
)


def load_demo(*, user: Any = None, publish: bool = True) -> list[DatasetVersion]:
    """Create the holders and datasets that are missing and import each package as their first
    version (published when `publish`). A dataset that already has a version is left alone."""
    imported = []
    for entry in ENTRIES:
        with transaction.atomic():
            holder, _ = DataHolder.objects.get_or_create(
                slug=entry.holder["slug"],
                defaults={k: v for k, v in entry.holder.items() if k != "slug"})
            dataset, _ = Dataset.objects.get_or_create(
                slug=entry.dataset["slug"], defaults={
                    "holder": holder, **{k: v for k, v in entry.dataset.items() if k != "slug"}})
            if dataset.versions.exists():
                continue
            known = dataset.nomenclatures.values_list("name", flat=True)
            spec = parse_descriptor((PACKAGES / entry.package).read_bytes(),
                                    known_nomenclatures=known, origin=entry.package)
            version = import_version(dataset, spec, user=user, label=spec.source,
                                     change_note="Demonstration description.",
                                     origin=entry.package)
            if publish:
                workflow.mark_published(version, user)
            imported.append(version)
    return imported
