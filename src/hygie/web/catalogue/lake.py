"""Attach a lake dataset (the data themselves) to a catalogue version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from hygie.engine.lake import Dataset as LakeDataset
from hygie.engine.lake import LakeError, sha256_file
from hygie.snds.schemas import generic_name
from hygie.synth import GENERATOR as SYNTHETIC_GENERATOR
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue.models import DatasetVersion


class AttachError(ValueError):
    pass


def is_synthetic(lake: LakeDataset) -> bool:
    """Written by the synthetic generator, as its manifest says."""
    return (lake.manifest.get("source") or {}).get("generator") == SYNTHETIC_GENERATOR


def attach_lake(version: DatasetVersion, path: str | Path, *, user: Any = None) -> LakeDataset:
    """Check the lake dataset (every file against its manifest, every table described by the
    version) and record it on the version, with its years."""
    try:
        lake = LakeDataset.open(path, verify=True)
    except LakeError as exc:
        raise AttachError(str(exc)) from None
    described = set(version.tables.values_list("name", flat=True))
    unknown = [t for t in lake.tables if t not in described and generic_name(t) not in described]
    if unknown:
        raise AttachError(f"{path}: tables not described by {version}: {', '.join(unknown)}")
    source = lake.manifest.get("source") or {}
    params = source.get("parameters") or {}
    years = str(params.get("years", ""))
    first, last = years.split("-", 1) if "-" in years else (  # else the generator's parameters
        str(params.get("first_year") or ""), str(params.get("last_year") or ""))
    with transaction.atomic():
        version.lake_path = str(Path(path).resolve())
        version.lake_manifest_sha256 = sha256_file(lake.path / "manifest.json")
        version.lake_synthetic = is_synthetic(lake)
        if first and last:
            version.first_year, version.last_year = int(first), int(last)
        version.save(update_fields=["lake_path", "lake_manifest_sha256", "lake_synthetic",
                                    "first_year", "last_year"])
        record(Action.LAKE_ATTACHED, version, actor=user, path=version.lake_path,
               manifest_sha256=version.lake_manifest_sha256)
        # New data, new statistics: the job is enqueued by transaction.on_commit.
        from hygie.web.catalogue.tasks import request_statistics

        request_statistics(version, actor=user, via="attach_lake")
    return lake
