"""The catalogue's first entries: the SNDS main base (CNAM), imported from the packaged schemas."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from hygie.catalogue.snds import snds_spec
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, HealthCategory, Status

SNDS_SLUG = "snds"


def load_snds(*, user: Any = None, publish: bool = True) -> DatasetVersion:
    """Create the CNAM holder and the SNDS dataset if needed, and import the packaged description
    as a new version (published at once when `publish`: it is the public schema-snds)."""
    with transaction.atomic():
        holder, _ = DataHolder.objects.get_or_create(
            slug="cnam", defaults={
                "name": "Caisse nationale de l'Assurance Maladie (CNAM)",
                "url": "https://www.assurance-maladie.ameli.fr",
                "description_fr": "Responsable du traitement du SNDS.",
                "description_en": "Controller of the SNDS."})
        dataset, _ = Dataset.objects.get_or_create(
            slug=SNDS_SLUG, defaults={
                "holder": holder,
                "title_fr": "Système national des données de santé (SNDS), base principale",
                "title_en": "French National Health Data System (SNDS), main base",
                "description_fr": (
                    "Données individuelles pseudonymisées de l'Assurance Maladie : "
                    "remboursements de soins de ville (DCIR), séjours hospitaliers (PMSI), "
                    "affections de longue durée et causes médicales de décès."),
                "description_en": (
                    "Pseudonymised individual data of the national health insurance: "
                    "reimbursed outpatient care (DCIR), hospital stays (PMSI), long-term "
                    "conditions and medical causes of death."),
                "health_categories": [HealthCategory.CLAIMS, HealthCategory.HOSPITAL,
                                      HealthCategory.DEATHS],
                "keywords": ["SNDS", "DCIR", "PMSI", "ALD", "remboursements", "hospitalisations"],
                "population_coverage_fr": "Toute la population résidant en France (99 %).",
                "population_coverage_en": "The whole population living in France (99%).",
                "legal_basis": "Code de la santé publique, articles L. 1461-1 à L. 1461-7",
                "gdpr_bases": ["A6-1-e", "A9-2-i", "A9-2-j"],
                "retention": "19 ans plus l'année en cours",
                "access_body": "Health Data Hub (Plateforme des données de santé)",
                # No licence: the data are not open (access under the articles above); the
                # MPL-2.0 of the schemas is the description's licence, not the data's.
                "licence": "",
                "landing_page": "https://www.snds.gouv.fr"})
        spec = snds_spec()
        version = import_version(dataset, spec, user=user, label=spec.source,
                                 change_note="Import of the public SNDS schemas (schema-snds).",
                                 status=str(Status.PUBLISHED if publish else Status.DRAFT),
                                 origin="SNDS")
        if publish:
            version.published = timezone.now()
            version.save(update_fields=["published"])
            record(Action.VERSION_PUBLISHED, version, actor=user)
    return version
