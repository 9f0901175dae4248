"""DCIR claims of one chunk: ER_PRS_F and its detail tables, joined on the nine DCIR keys.

What makes them look like the real base:

- exoneration: care of a condition with an ALD active on its day is ALD care (EXO_MTF 42, refunded
  at 100%); so is part of the background care of a person with an ALD of an untracked condition;
- a person's dispensings of one day are one pharmacy décompte of several lines (PRS_ORD_NUM 1..k);
- a share of specialist visits, town acts and lab panels is public hospital outpatient care (ACE):
  reported for information (DPN_QLF 71) with the hospital in ER_ETE_F, instead of a private line;
- dated coding and tariffs (`hygie.synth.tariffs`), lab panels priced by their NABM B coefficients;
- a few lines cancelled by a negative line and billed again.

Everything is computed on numpy columns over all lines at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from hygie.snds.persons import DCIR_KEYS
from hygie.snds.schemas import SchemaSet, load_schemas
from hygie.synth import knowledge as K
from hygie.synth import tariffs as T
from hygie.synth.care import ACT_CODES, PANEL_KEYS, Care
from hygie.synth.people import hashed
from hygie.synth.places import (
    KIND_INDEX,
    SPECIALTY_KIND,
    geography,
    hospitals,
    provider_count,
    provider_index,
    providers,
)
from hygie.synth.tables import (
    Identities,
    build,
    dates,
    days_from_civil,
    person_columns,
    pick,
    year_month,
    yyyymm,
)

PHARMACY, LAB, VISIT, ACT = range(4)  # kinds of care line, in the order of Care's streams

# Public hospital outpatient care (ACE) among all the care of each kind. An assumption of the
# order of magnitude: public hospitals' external consultations are a large part of specialist
# consultations, and their labs and imaging a smaller part of town labs and imaging (DREES,
# "Les établissements de santé", and ATIH's ACE activity give the volumes).
OUTPATIENT_SHARE = {"specialist": 0.25, "act": 0.20, "lab": 0.20}
# Of a person with an ALD of an untracked condition, the share of background care that relates to
# it (an assumption: their ALD drives much of their care, but not colds and vaccines).
BACKGROUND_ALD_SHARE = 0.5
INFORMATION = 71  # DPN_QLF: "pour information (soins externes)"
_SHIFT = np.int64(2**32)  # packs (key, day) into one int64, days being int32


def active_ald(ald: dict[str, np.ndarray], p: np.ndarray, condition: np.ndarray,
               day: np.ndarray) -> np.ndarray:
    """Whether person `p` has an ALD of `condition` (-1: untracked) in force on `day`.

    ALD periods are sorted by (person, condition, start) on one packed key; each line finds the
    last period started on or before its day, and is covered if the periods of its key started
    so far reach its day (a running maximum of the end, as renewals may overlap).
    """
    if not len(ald["p"]) or not len(p):
        return np.zeros(len(p), bool)
    width = len(K.CONDITIONS) + 1
    key = ald["p"].astype(np.int64) * width + ald["condition"] + 1
    start = ald["start"].astype(np.int64)
    order = np.lexsort((start, key))
    key, start, end = key[order], start[order], ald["end"][order].astype(np.int64)
    reach = np.maximum.accumulate(key * _SHIFT + end) - key * _SHIFT
    line_key = p.astype(np.int64) * width + condition + 1
    i = np.searchsorted(key * _SHIFT + start + 2**31, line_key * _SHIFT + day + 2**31,
                        side="right") - 1
    j = np.maximum(i, 0)
    return (i >= 0) & (key[j] == line_key) & (reach[j] >= day)


def per_line(kinds: np.ndarray, src: np.ndarray, kind: int, values: np.ndarray,
             fill: int = 0) -> np.ndarray:
    """A column of one care stream spread over all lines (`fill` on lines of other kinds)."""
    out = np.full(len(src), fill, dtype=values.dtype if len(values) else np.int64)
    m = kinds == kind
    out[m] = values[src[m]]
    return out


def decomptes(kinds: np.ndarray, p: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Décompte number (0..) and line number in it (1..), dispensings sorted by person and day.

    A person's dispensings of one day are one décompte; any other care is a décompte of its own.
    """
    n = len(p)
    new = np.ones(n, bool)
    new[1:] = (kinds[1:] != PHARMACY) | (p[1:] != p[:-1]) | (day[1:] != day[:-1]) \
        | (kinds[:-1] != PHARMACY)
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    return group, np.arange(n) - first[group] + 1


def panel_b(panels: np.ndarray) -> np.ndarray:
    """Sum of the B coefficients of each lab panel's NABM tests."""
    per_panel = np.array([sum(T.NABM_B[c] for c in K.LAB_PANELS[k]) for k in PANEL_KEYS])
    return per_panel[panels]


def coding(kinds: np.ndarray, src: np.ndarray, day: np.ndarray, drug: np.ndarray,
           spe: np.ndarray, care: Care) -> tuple[np.ndarray, ...]:
    """Nature of benefit, key-letter value, coefficient and refund rate of each line."""
    act_code = per_line(kinds, src, ACT, care.act["act"])
    imaging = np.array([c.startswith(("Q", "Z", "A", "E")) for c in ACT_CODES])[act_code]
    visit = kinds == VISIT
    gp, nurse = visit & (spe == K.GP), visit & (spe == K.NURSE)
    physio = visit & (spe == K.PHYSIOTHERAPIST)
    nature = np.where(kinds == ACT, np.where(imaging, T.NAT_IMAGING, T.NAT_TECHNICAL),
                      np.array([T.NAT_PHARMACY[d.rate] for d in K.DRUGS])[drug])
    unit = np.where(kinds == PHARMACY, np.array([d.price for d in K.DRUGS])[drug], T.ACT_PRICE)
    coefficient = np.where(kinds == LAB, panel_b(per_line(kinds, src, LAB, care.lab["panel"])),
                           1.0)
    for mask, tariff in ((gp, T.GP_CONSULTATION), (nurse, T.NURSE_VISIT),
                         (physio, T.PHYSIOTHERAPY_SESSION),
                         (visit & ~gp & ~nurse & ~physio, T.SPECIALIST_CONSULTATION),
                         (kinds == LAB, T.B_LETTER)):
        nature[mask], unit[mask] = tariff.on(day[mask])
        coefficient[mask] *= tariff.coefficient
    rate = np.select([kinds == PHARMACY, (kinds == LAB) | nurse | physio],
                     [np.array([d.rate for d in K.DRUGS])[drug], T.RATE_AUXILIARY],
                     T.RATE_DOCTOR)
    return nature, unit, coefficient, rate


def dcir(rng: np.random.Generator, ids: Identities, care: Care, chunk: int) -> dict[str, pa.Table]:
    """ER_PRS_F and its detail tables ER_PHA_F, ER_BIO_F, ER_CAM_F, ER_ETE_F."""
    pe, geo, s = ids.people, geography(), load_schemas()
    streams = (care.pharmacy, care.lab, care.visit, care.act)
    kinds = np.concatenate([np.full(len(x["p"]), k) for k, x in enumerate(streams)])
    src = np.concatenate([np.arange(len(x["p"])) for x in streams])
    p = np.concatenate([x["p"] for x in streams]).astype(np.int64)
    day = np.concatenate([x["day"] for x in streams]).astype(np.int64)
    cond = np.concatenate([x["condition"] for x in streams]).astype(np.int64)
    # A pharmacy visit's lines side by side: dispensings sorted by person and day (claim days are
    # after 1970, below 2**20), other lines as they come.
    ph = np.flatnonzero(kinds == PHARMACY)
    o = np.concatenate([ph[np.argsort(p[ph] * 2**20 + day[ph], kind="stable")],
                        np.flatnonzero(kinds != PHARMACY)])
    kinds, src, p, day, cond = kinds[o], src[o], p[o], day[o], cond[o]
    n0 = len(p)

    pha, lab, act = care.pharmacy, care.lab, care.act
    drug = per_line(kinds, src, PHARMACY, pha["drug"])
    boxes = per_line(kinds, src, PHARMACY, pha["boxes"], fill=1)
    spe = per_line(kinds, src, VISIT, care.visit["specialty"]) \
        + per_line(kinds, src, ACT, act["specialty"])
    nature, unit, coefficient, rate = coding(kinds, src, day, drug, spe, care)
    drug_rate = np.array([d.rate for d in K.DRUGS])[drug]
    specialist = (kinds == VISIT) & ~np.isin(spe, (K.GP, K.NURSE, K.PHYSIOTHERAPIST))

    # ALD care; 15% drugs are never exonerated.
    in_ald = active_ald(care.ald, p, cond, day)
    in_ald &= (cond >= 0) | (rng.random(n0) < BACKGROUND_ALD_SHARE)
    in_ald &= (kinds != PHARMACY) | (drug_rate != T.NOT_EXONERATED_DRUG_RATE)
    rate = np.where(in_ald, 100, rate)

    # Public hospital outpatient care replaces private care; it is never corrected here.
    share = np.select([specialist, kinds == ACT, kinds == LAB],
                      [OUTPATIENT_SHARE["specialist"], OUTPATIENT_SHARE["act"],
                       OUTPATIENT_SHARE["lab"]], 0.0)
    outpatient = rng.random(n0) < share
    fixed = np.flatnonzero((kinds != LAB) & ~outpatient & (rng.random(n0) < K.CORRECTION_SHARE))

    # Décomptes: a pharmacy visit shares one; corrections are décomptes of their own.
    group, order_in = decomptes(kinds, p, day)
    n_groups = int(group[-1]) + 1 if n0 else 0
    nf = len(fixed)
    base = np.concatenate([np.arange(n0), fixed, fixed])
    sign = np.concatenate([np.ones(n0, np.int8), -np.ones(nf, np.int8), np.ones(nf, np.int8)])
    dct = np.concatenate([group, n_groups + np.arange(2 * nf)]) + 1
    prs_ord = np.concatenate([order_in, np.ones(2 * nf, np.int64)])
    delay = np.concatenate([rng.integers(1, 25, n_groups)[group], rng.integers(30, 90, nf),
                            rng.integers(35, 95, nf)])
    kinds, src, p, day = kinds[base], src[base], p[base], day[base]
    nature, unit, coefficient, rate = nature[base], unit[base], coefficient[base], rate[base]
    boxes, drug, in_ald, info = boxes[base], drug[base], in_ald[base], outpatient[base]
    n = len(base)

    # Keys: the chunk number is the emission order, so keys never clash between chunks.
    trt = day + delay
    ty, tm = year_month(trt)
    dis = days_from_civil(ty + (tm == 12), tm % 12 + 1, 1)  # first day of the next month
    keys = {
        "DCT_ORD_NUM": dct, "FLX_DIS_DTD": dates(dis), "FLX_EMT_NUM": 1,
        "FLX_EMT_ORD": chunk + 1, "FLX_EMT_TYP": 1, "FLX_TRT_DTD": dates(trt),
        "ORG_CLE_NUM": pick(geo.funds, pe.dept[p]), "PRS_ORD_NUM": prs_ord, "REM_TYP_AFF": 1,
    }

    public = public_finess(len(geo))
    qualifier = np.where(info, INFORMATION, 0)
    amount = np.round(unit * coefficient * boxes, 2) * sign
    prs_cols = {
        **keys, **person_columns(ids, p, day),
        "EXE_SOI_DTD": dates(day), "EXE_SOI_DTF": dates(day),
        "EXE_SOI_AMD": yyyymm(day), "EXE_SOI_AMF": yyyymm(day),
        "PRS_NAT_REF": nature, "BSE_PRS_NAT": nature,
        "PRS_ACT_QTE": (boxes * sign).astype(float), "PRS_ACT_NBR": sign.astype(float),
        "PRS_ACT_CFT": coefficient, "BSE_REM_BSE": amount, "BSE_REM_PRU": unit,
        "BSE_REM_MNT": np.round(amount * rate / 100, 2), "PRS_PAI_MNT": amount,
        "BSE_REM_SGN": np.where(sign > 0, 1, 2), "RGO_REM_TAU": rate.astype(float),
        "DPN_QLF": qualifier, "PRS_DPN_QLP": qualifier,
        **provider_columns(ids, kinds, p, spe[base], info),
        "ETB_PRE_FIN": public.take(pa.array(pe.dept[p], mask=~info | (kinds == VISIT))),
        "EXO_MTF": np.where(in_ald, T.EXO_ALD, T.EXO_NONE), "EXE_LIE_COD": 0,
        "PRS_PPU_SEC": np.where(info, 1, 2),
        "ORG_CLE_NEW": pick(geo.funds, pe.dept[p]), "PRS_REJ_TOP": 0,
        "BEN_QAF_COD": 10,
    }
    prs = build(s.table("ER_PRS_F"), n, prs_cols)
    out = {"ER_PRS_F": prs}
    keys_of = {k: prs.column(k) for k in (*DCIR_KEYS, "ORG_CLE_NEW")}

    def detail(rows: np.ndarray) -> dict[str, Any]:
        sel = pa.array(rows)
        return {k: v.take(sel) for k, v in keys_of.items()}

    r = np.flatnonzero(kinds == PHARMACY)
    dr = drug[r]
    out["ER_PHA_F"] = build(s.table("ER_PHA_F"), len(r), {
        **detail(r), "PHA_PRS_C13": np.array([K.cip13(i) for i in range(len(K.DRUGS))])[dr],
        "PHA_PRS_IDE": np.array([K.cip7(i) for i in range(len(K.DRUGS))])[dr],
        "PHA_ACT_QSN": (boxes * sign)[r], "PHA_ACT_PRU": unit[r], "PHA_ORD_NUM": 1,
        "PHA_DEC_QSU": (boxes * sign)[r],
    })
    out["ER_BIO_F"] = lab_details(s, detail, np.flatnonzero(kinds == LAB), lab["panel"], src, sign)
    r = np.flatnonzero(kinds == ACT)
    out["ER_CAM_F"] = build(s.table("ER_CAM_F"), len(r), {
        **detail(r), "CAM_PRS_IDE": pick(ACT_CODES, act["act"][src[r]]), "CAM_ORD_NUM": 1,
        "CAM_ACT_PRU": unit[r], "CAM_REM_BSE": amount[r], "CAM_ACT_COD": "1",
    })
    # The executing establishment of hospital outpatient care: the public hospital (a CH).
    r = np.flatnonzero(info)
    out["ER_ETE_F"] = build(s.table("ER_ETE_F"), len(r), {
        **detail(r), "ETB_EXE_FIN": public.take(pa.array(pe.dept[p[r]])), "ETE_CAT_COD": 355,
        "ETE_TYP_COD": 1, "ETE_IND_TAA": 1, "PRS_PPU_SEC": 1, "MDT_COD": 7,
    })
    return out


def provider_columns(ids: Identities, kinds: np.ndarray, p: np.ndarray, spe: np.ndarray,
                     info: np.ndarray) -> dict[str, Any]:
    """Executing and prescribing practitioners: none private for hospital outpatient care."""
    pe = ids.people
    spe_kind = np.array([SPECIALTY_KIND.get(x, KIND_INDEX["gp"]) for x in range(1100)])
    ex_kind = np.select([kinds == PHARMACY, kinds == LAB],
                        [KIND_INDEX["pharmacy"], KIND_INDEX["laboratory"]],
                        spe_kind[np.where(kinds >= VISIT, spe, K.GP)])
    counts = np.array([provider_count(k) for k in range(len(KIND_INDEX))])
    ex_k = (hashed(7, 1, pe.gid[p]) % counts[ex_kind].astype(np.uint64)).astype(np.int64)
    ex_k = np.where(ex_kind == KIND_INDEX["gp"], pe.gp[p], ex_k)
    prov = providers()
    executor = provider_index(pe.dept[p], ex_kind, ex_k)
    prescriber = provider_index(pe.dept[p], KIND_INDEX["gp"], pe.gp[p])
    pid = pa.array(prov["id"], pa.string())
    return {
        "PFS_EXE_NUM": pid.take(pa.array(executor, mask=info)),
        # Consultations are not prescribed; the hospital prescribes its own outpatient care.
        "PFS_PRE_NUM": pid.take(pa.array(prescriber, mask=(kinds == VISIT) | info)),
        "PRS_MTT_NUM": pid.take(pa.array(prescriber)),
        "PSE_SPE_COD": pa.array(prov["specialty"][executor], mask=info),
        "PSE_ACT_NAT": pa.array(prov["activity"][executor], mask=info),
        "PSE_CNV_COD": pa.array(np.ones(len(p), np.int64), mask=info),
        "PSE_STJ_COD": pa.array(np.full(len(p), 51), mask=info), "PSP_SPE_COD": K.GP,
    }


def lab_details(s: SchemaSet, detail: Callable[[np.ndarray], dict[str, Any]], r: np.ndarray,
                panels_of: np.ndarray, src: np.ndarray, sign: np.ndarray) -> pa.Table:
    """ER_BIO_F: one line per NABM test of each billed panel."""
    panels = [K.LAB_PANELS[k] for k in PANEL_KEYS]
    size = np.array([len(x) for x in panels])
    panel = panels_of[src[r]]
    reps = np.repeat(r, size[panel])
    seq = np.arange(len(reps)) - np.repeat(np.cumsum(size[panel]) - size[panel], size[panel])
    flat = np.array([c for x in panels for c in x] + [0])
    offset = np.concatenate([[0], np.cumsum(size)[:-1]])
    codes = flat[np.repeat(offset[panel], size[panel]) + seq]
    return build(s.table("ER_BIO_F"), len(reps), {
        **detail(reps), "BIO_PRS_IDE": codes, "BIO_ACT_QSN": sign[reps].astype(np.int64),
        "BIO_ORD_NUM": seq + 1,
    })


def public_finess(departments: int) -> pa.Array:
    """Per department, the 8-character FINESS (as ETB_*_FIN holds it) of its public hospital."""
    finess = hospitals()["finess"]
    per = len(finess) // departments
    return pa.array([str(f).zfill(9)[:8] for f in finess[::per][:departments]], pa.string())
