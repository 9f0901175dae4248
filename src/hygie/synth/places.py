"""Geography and providers of the synthetic SNDS: departments, communes, health insurance funds,
practitioners and hospitals, derived from the packaged SNDS code lists so every code is valid.

Providers are a fixed grid per department (so any chunk of patients can refer to them without
coordination); their referential tables (DA_PRA_R, BE_IDE_R, T_MCOaaE) are written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from hygie.snds.nomenclatures import nomenclature
from hygie.synth.knowledge import (
    CARDIOLOGY,
    ENDOCRINOLOGY,
    GP,
    GYNAECOLOGY,
    NEPHROLOGY,
    NEUROLOGY,
    OPHTHALMOLOGY,
    PAEDIATRICS,
    PNEUMOLOGY,
    PSYCHIATRY,
    RADIOLOGY,
    REGION_POPULATION,
)

# Providers per department: (kind, PSE_SPE_COD or 0, PSE_ACT_NAT, count).
PROVIDER_KINDS: tuple[tuple[str, int, int, int], ...] = (
    ("gp", GP, 0, 40),
    ("cardiology", CARDIOLOGY, 0, 4), ("pneumology", PNEUMOLOGY, 0, 3),
    ("ophthalmology", OPHTHALMOLOGY, 0, 4), ("neurology", NEUROLOGY, 0, 2),
    ("psychiatry", PSYCHIATRY, 0, 3), ("nephrology", NEPHROLOGY, 0, 2),
    ("endocrinology", ENDOCRINOLOGY, 0, 2), ("gynaecology", GYNAECOLOGY, 0, 3),
    ("paediatrics", PAEDIATRICS, 0, 3), ("radiology", RADIOLOGY, 0, 3),
    ("pharmacy", 0, 50, 20), ("laboratory", 0, 30, 4),
    ("nurse", 0, 24, 15), ("physiotherapist", 0, 26, 10),
)
KIND_INDEX = {k[0]: i for i, k in enumerate(PROVIDER_KINDS)}
# Visits name a specialty (doctors) or 1000 + an activity nature (auxiliaries): their provider kind.
SPECIALTY_KIND = {k[1] or 1000 + k[2]: i for i, k in enumerate(PROVIDER_KINDS)}
HOSPITALS_PER_DEPARTMENT = 3
_KIND_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # one character per provider kind

_DEPARTMENT = re.compile(r"^(0\d\d|02A|02B|97[1-46])$")


@dataclass(frozen=True)
class Geography:
    departments: np.ndarray  # department codes (IR_DPT_V), object array of str
    regions: np.ndarray  # region code of each department
    weights: np.ndarray  # share of the population living in each department
    commune_start: np.ndarray  # per department: offset of its communes in `communes`
    commune_count: np.ndarray
    communes: np.ndarray  # commune codes (IR_GEO_V GEO_COM_COD), grouped by department
    funds: np.ndarray  # per department: its primary health insurance fund (IR_ORG_V ORG_NUM)

    def __len__(self) -> int:
        return len(self.departments)


@cache
def geography() -> Geography:
    depts = [(r["GEO_DPT_COD"], r["GEO_REG_COD"]) for r in nomenclature("IR_DPT_V").rows()
             if _DEPARTMENT.match(r["GEO_DPT_COD"]) and r["GEO_REG_COD"] in REGION_POPULATION
             and r["GEO_DPT_COD"] != "000"]
    depts.sort()
    per_region: dict[str, int] = {}
    for _, reg in depts:
        per_region[reg] = per_region.get(reg, 0) + 1
    weights = np.array([REGION_POPULATION[reg] / per_region[reg] for _, reg in depts])
    communes: dict[str, list[str]] = {}
    for r in nomenclature("IR_GEO_V").rows():
        communes.setdefault(r["GEO_DPT_COD"], []).append(r["GEO_COM_COD"])
    funds: dict[str, str] = {}
    for r in nomenclature("IR_ORG_V").rows():
        if r["ORG_ORG_TYP"] == "C" and r["ORG_NUM"].startswith("01C"):
            funds.setdefault(r["GEO_DPT_COD"], r["ORG_NUM"])
    fallback = min(funds.values())
    flat: list[str] = []
    start, count = [], []
    for code, _ in depts:
        coms = sorted(set(communes.get(code, []))) or ["000"]
        start.append(len(flat))
        count.append(len(coms))
        flat.extend(coms)
    return Geography(
        departments=np.array([d for d, _ in depts], dtype=object),
        regions=np.array([r for _, r in depts], dtype=object),
        weights=weights / weights.sum(),
        commune_start=np.array(start), commune_count=np.array(count),
        communes=np.array(flat, dtype=object),
        funds=np.array([funds.get(d, fallback) for d, _ in depts], dtype=object),
    )


def provider_index(dept: np.ndarray, kind: int | np.ndarray, k: np.ndarray) -> np.ndarray:
    """Position of a provider in the flat provider table (see `providers`)."""
    counts = np.array([c for *_, c in PROVIDER_KINDS])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return dept * counts.sum() + offsets[kind] + k


@cache
def providers() -> dict[str, np.ndarray]:
    """The flat provider table: id, department index, kind, specialty, activity nature."""
    geo = geography()
    ids, dept, kind, spe, act = [], [], [], [], []
    for d in range(len(geo)):
        for ki, (_, s, a, n) in enumerate(PROVIDER_KINDS):
            for k in range(n):
                ids.append(f"{geo.departments[d]}{_KIND_CHARS[ki]}{k:04d}")
                dept.append(d)
                kind.append(ki)
                spe.append(s)
                act.append(a)
    return {"id": np.array(ids, dtype=object), "dept": np.array(dept), "kind": np.array(kind),
            "specialty": np.array(spe), "activity": np.array(act)}


def provider_count(kind: int) -> int:
    return PROVIDER_KINDS[kind][3]


@cache
def hospitals() -> dict[str, np.ndarray]:
    """Hospitals: HOSPITALS_PER_DEPARTMENT per department, the first public.

    FINESS numbers are 9 digits led by the department; ETA_NUM is an integer in T_MCOaaB and text
    in T_MCOaaE, so it is kept free of leading zeros to compare equal in both.
    """
    geo = geography()
    finess, dept, public = [], [], []
    for d, code in enumerate(geo.departments):
        lead = {"02A": "20", "02B": "20"}.get(code, code[-2:] if code.startswith("0") else code[:2])
        for k in range(HOSPITALS_PER_DEPARTMENT):
            number = f"{lead}{d:03d}{k:03d}"
            finess.append(str(int(number.ljust(9, "1"))))
            dept.append(d)
            public.append(k == 0)
    return {"finess": np.array(finess, dtype=object), "dept": np.array(dept),
            "public": np.array(public)}
