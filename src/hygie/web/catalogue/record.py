"""What a dataset page says about the record beyond its tables: the coding systems its code lists
belong to, its identifier elsewhere (a DOI when it is one), the last update and how to cite it.

The fields are those of the edit form (`forms.METADATA`) and of the HealthDCAT-AP export
(`hygie.web.dcat.export.describe`), so that the page never says less than the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hygie.catalogue.dcat import CodingSystem, coding_systems
from hygie.web.catalogue.listing import theme_label
from hygie.web.catalogue.models import DatasetVersion, HealthCategory, localised

DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Identifier:
    value: str  # a DOI (10.xxx/yyy) or the identifier as the other portal gave it
    url: str  # where it resolves, when it is an address
    doi: bool


def identifier(version: DatasetVersion) -> Identifier | None:
    """The dataset's identifier in the portal it was imported from, if any."""
    origin = getattr(version.dataset, "dcat_origin", None)
    if origin is None or not origin.iri:
        return None
    match = DOI.match(origin.iri.strip())
    if match:
        return Identifier(match.group(1), f"https://doi.org/{match.group(1)}", True)
    url = origin.iri if origin.iri.startswith(("https://", "http://")) else ""
    return Identifier(origin.iri, url, False)


def systems(version: DatasetVersion) -> tuple[CodingSystem, ...]:
    """The coding systems (CIM-10, ATC, CCAM, NABM) of the version's code lists, as exported."""
    return coding_systems(version.nomenclatures.values_list("name", flat=True))


def last_update(version: DatasetVersion) -> datetime:
    """When the version shown was published, or created for a version not yet published."""
    return version.published or version.created


def themes(version: DatasetVersion) -> list[str]:
    origin = getattr(version.dataset, "dcat_origin", None)
    return [theme_label(str(t)) for t in (origin.themes if origin else []) or []]


@dataclass(frozen=True)
class Citation:
    publisher: str
    title: str
    version: str  # "2" or "2 (2024-03)"
    year: int
    url: str  # the version's own address: it stays readable once archived
    platform: str
    identifier: Identifier | None


def citation(version: DatasetVersion, url: str, platform: str,
             ident: Identifier | None) -> Citation:
    ds = version.dataset
    number = str(version.number) + (f" ({version.label})" if version.label else "")
    return Citation(publisher=ds.holder.name, title=ds.title, version=number,
                    year=last_update(version).year, url=url, platform=platform,
                    identifier=ident)


def context(version: DatasetVersion, request: Any) -> dict[str, Any]:
    """The dataset page's record: the template variables of `catalogue/dataset.html`."""
    url = request.build_absolute_uri(version.get_absolute_url())
    ds, ident = version.dataset, identifier(version)
    return {"identifier": ident, "coding_systems": systems(version),
            "population": localised(ds, "population_coverage"),
            "health_categories": [(c, HealthCategory(c).label) for c in ds.health_categories or []
                                  if c in HealthCategory.values],
            "contact_email": ds.contact_email or ds.holder.email,
            "last_update": last_update(version), "themes": themes(version),
            "citation": citation(version, url, _platform(), ident)}


def _platform() -> str:
    from django.conf import settings

    brand = getattr(settings, "HYGIE_BRAND", None)
    return str(getattr(brand, "name", "") or "Hygie")
