"""Which directory the data protection officer's screen asks: the SNDS as published in the
catalogue (its latest published version's lake dataset), as feasibility counts read it.

In production this is where the CNAM's identification service would be plugged in; tests replace
`directory` with one of their own.
"""

from __future__ import annotations

from hygie.engine.lake import Dataset as LakeDataset
from hygie.engine.lake import LakeError
from hygie.pseudo.directory import LakeDirectory, PersonDirectory

SNDS_SLUG = "snds"


class NoDirectory(RuntimeError):
    """No published SNDS with data to search."""


def directory() -> PersonDirectory:
    from hygie.web.catalogue.models import Dataset

    dataset = Dataset.objects.filter(slug=SNDS_SLUG).first()
    version = dataset.published_version() if dataset is not None else None
    if version is None or not version.lake_path:
        raise NoDirectory("the SNDS has no published version with data")
    try:
        return LakeDirectory(LakeDataset.open(version.lake_path))
    except LakeError as exc:
        raise NoDirectory(str(exc)) from None
