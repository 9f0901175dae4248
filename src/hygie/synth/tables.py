"""Turn a chunk's people and care events into SNDS tables (Arrow), every schema field present.

Fields the generator does not model are typed nulls; coded fields take codes of their
nomenclature. Arrays are built with Arrow kernels (take, views), never row by row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa

from hygie.snds.schemas import TableSchema, load_schemas
from hygie.synth import knowledge as K
from hygie.synth.care import STAY_KEYS, Care
from hygie.synth.people import NEVER, People, hashed, pseudo_ids
from hygie.synth.places import geography, hospitals, providers

EPOCH = dt.date(1970, 1, 1)
# Salts of the identifier streams (see people.pseudo_ids).
SALT_PSA, SALT_PSA_NEW, SALT_NIR_ANO, SALT_IDT_ANO, SALT_PARENT = 11, 13, 17, 19, 23


def day_of(d: dt.date) -> int:
    return (d - EPOCH).days


def dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days)
    arr = pa.array(days.astype(np.int32), pa.int32(), mask=days == NEVER)
    return arr.view(pa.date32())


def pick(values: list[Any] | np.ndarray, idx: np.ndarray, type: pa.DataType | None = None) \
        -> pa.Array:
    return pa.array(list(values), type).take(pa.array(np.asarray(idx, dtype=np.int64)))


def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers, in integer arithmetic (H. Hinnant's civil calendar)."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    m = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (m <= 2), m, doy - (153 * mp + 2) // 5 + 1


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray | int) -> np.ndarray:
    y = np.asarray(y, dtype=np.int64) - (np.asarray(m) <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (np.asarray(m) + 9) % 12
    doy = (153 * mp + 2) // 5 + np.asarray(d) - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def year_month(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, m, _ = civil(days)
    return y, m


def month_text(m: np.ndarray) -> pa.Array:
    return pick([f"{i:02d}" for i in range(13)], m)


def yyyymm(days: np.ndarray) -> pa.Array:
    """SNDS year-month text "YYYYMM", null where there is no date."""
    y, m = year_month(days)
    return pa.array(y * 100 + m, mask=np.asarray(days) == NEVER).cast(pa.string())


_NULLS: dict[pa.DataType, pa.Array] = {}


def nulls(n: int, t: pa.DataType) -> pa.Array:
    """A typed all-null array; slices of one cached array, as allocating each costs time."""
    cached = _NULLS.get(t)
    if cached is None or len(cached) < n:
        cached = _NULLS[t] = pa.nulls(max(n, 2 * len(cached) if cached is not None else n), t)
    return cached.slice(0, n)


def build(schema: TableSchema, n: int, cols: dict[str, Any]) -> pa.Table:
    """A table with every field of `schema`: given columns cast to the field type, others null."""
    unknown = set(cols) - set(schema.field_names)
    if unknown:
        raise KeyError(f"{schema.name} has no field(s) {sorted(unknown)}")
    arrays = []
    for f in schema.fields:
        v = cols.get(f.name)
        t = f.arrow_type
        if v is None:
            arr = nulls(n, t)
        elif isinstance(v, pa.Array | pa.ChunkedArray):
            arr = v if v.type == t else v.cast(t)
        elif isinstance(v, np.ndarray):
            arr = pa.array(v).cast(t)
        else:
            arr = pa.repeat(pa.scalar(v, t), n)
        if len(arr) != n:
            raise ValueError(f"{schema.name}.{f.name}: {len(arr)} values for {n} rows")
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=schema.arrow_schema())


class Identities:
    """Pseudonymised identifiers of a chunk's people, as the SNDS carries them."""

    def __init__(self, seed: int, people: People):
        self.people = people
        self.psa = pseudo_ids(seed, SALT_PSA, people.psa_owner)
        self.psa_new = pseudo_ids(seed, SALT_PSA_NEW, people.gid)
        self.nir_ano = pseudo_ids(seed, SALT_NIR_ANO, people.gid)
        self.idt_ano = pseudo_ids(seed, SALT_IDT_ANO, people.gid)
        # Children's rights are opened by a parent: twins share the parent's number.
        parent = np.where(people.rank == 2, people.psa_owner, people.gid)
        child = people.age_at(day_of(dt.date(2000, 1, 1))) < -5
        self.ass_nir = pseudo_ids(seed, SALT_PARENT, np.where(child, parent, -1 - people.gid))
        self.both = pa.concat_arrays([self.psa, self.psa_new])

    def psa_at(self, p: np.ndarray, day: np.ndarray) -> pa.Array:
        """The pseudo-NIR a person's claim carries on a day (it changes for a few people)."""
        new = day >= self.people.nir_change[p]
        return self.both.take(pa.array(p + new * len(self.people)))


def person_columns(ids: Identities, p: np.ndarray, day: np.ndarray) -> dict[str, Any]:
    pe, geo = ids.people, geography()
    return {
        "BEN_NIR_PSA": ids.psa_at(p, day),
        "BEN_RNG_GEM": pe.rank[p],
        "BEN_SEX_COD": pe.sex[p],
        "BEN_NAI_ANN": year_month(pe.birth[p])[0],
        "BEN_RES_DPT": pick(geo.departments, pe.dept[p]),
        "BEN_RES_COM": pick(geo.communes, pe.commune[p]),
        "ORG_AFF_BEN": pick(geo.funds, pe.dept[p]),
        "BEN_CDI_NIR": "00",
        "BEN_DCD_DTE": dates(pe.death[p]),
    }


def beneficiaries(ids: Identities, end: int) -> dict[str, pa.Table]:
    pe, geo = ids.people, geography()
    s = load_schemas()
    changed = np.flatnonzero(pe.nir_change != NEVER)
    rows = np.concatenate([np.arange(len(pe)), changed])
    new = np.concatenate([np.zeros(len(pe), bool), np.ones(len(changed), bool)])
    # The twin of rank 2 shares its sibling's BEN_NIR_PSA: one row each, told apart by the rank.
    psa = ids.both.take(pa.array(rows + new * len(pe)))
    y, m = year_month(pe.birth[rows])
    death = pe.death[rows]
    ins = np.maximum(pe.entry[rows], day_of(dt.date(2006, 1, 1)))
    ins = np.where(new, pe.nir_change[rows], ins)
    ben = build(s.table("IR_BEN_R"), len(rows), {
        "BEN_NIR_PSA": psa, "BEN_RNG_GEM": pe.rank[rows],
        "BEN_NIR_ANO": ids.nir_ano.take(pa.array(rows)),
        "BEN_IDT_ANO": ids.idt_ano.take(pa.array(rows)), "BEN_IDT_TOP": True,
        "ASS_NIR_ANO": ids.ass_nir.take(pa.array(rows)),
        "BEN_CDI_NIR": "00", "BEN_NAI_ANN": y, "BEN_NAI_MOI": month_text(m),
        "BEN_SEX_COD": pe.sex[rows], "BEN_DCD_DTE": dates(death), "BEN_DCD_AME": yyyymm(death),
        "ORG_AFF_BEN": pick(geo.funds, pe.dept[rows]),
        "BEN_RES_DPT": pick(geo.departments, pe.dept[rows]),
        # The commune of residence is missing for a few people (about 1%).
        "BEN_RES_COM": pa.array(geo.communes[pe.commune[rows]], pa.string(),
                                mask=hashed(0, 29, pe.gid[rows]) % np.uint64(100) == 0),
        "BEN_TOP_CNS": True,
        "ORG_CLE_NEW": pick(geo.funds, pe.dept[rows]),
        "BEN_DTE_INS": dates(ins), "BEN_DTE_MAJ": dates(np.minimum(death, end)),
        "MAX_TRT_DTD": dates(np.minimum(death, end)),
    })
    yb, mb = year_month(pe.birth)
    iba = build(s.table("IR_IBA_R"), len(pe), {
        "BEN_IDT_ANO": ids.idt_ano, "BEN_IDT_TOP": 1, "ASS_NIR_ANO": ids.ass_nir,
        "BEN_CDI_NIR": "00", "BEN_NAI_ANN": yb, "BEN_NAI_MOI": month_text(mb),
        "BEN_SEX_COD": pe.sex, "BEN_DCD_DTE": dates(pe.death), "BEN_DCD_AME": yyyymm(pe.death),
        "ORG_AFF_BEN": pick(geo.funds, pe.dept), "BEN_RES_DPT": pick(geo.departments, pe.dept),
        "BEN_RES_COM": pick(geo.communes, pe.commune), "BEN_TOP_CNS": 1,
        "ORG_CLE_NEW": pick(geo.funds, pe.dept),
        "BEN_DTE_INS": dates(np.maximum(pe.entry, day_of(dt.date(2006, 1, 1)))),
        "BEN_DTE_MAJ": dates(np.minimum(pe.death, end)),
    })
    return {"IR_BEN_R": ben, "IR_IBA_R": iba}


def dcir(rng: np.random.Generator, ids: Identities, care: Care, chunk: int) -> dict[str, pa.Table]:
    """ER_PRS_F and its detail tables, joined on the nine keys: see `hygie.synth.claims`."""
    from hygie.synth.claims import dcir as claims  # claims builds on this module's helpers

    return claims(rng, ids, care, chunk)


def pmsi(rng: np.random.Generator, ids: Identities, care: Care, chunk: int,
         years: range, end: int) -> dict[str, pa.Table]:
    """PMSI MCO stays by discharge year: T_MCOaaB, C, D and A for each year."""
    pe, geo, s = ids.people, geography(), load_schemas()
    st = care.stay
    n = len(st["p"])
    p, entry, kind, cond = st["p"], st["day"], st["stay"], st["condition"]
    types = [K.STAYS[k] for k in STAY_KEYS]
    lo = np.array([t.los[0] for t in types])[kind]
    hi = np.array([t.los[1] for t in types])[kind]
    los = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    los = np.where(rng.random(n) < np.array([t.day_case for t in types])[kind], 0, los)
    los = np.where(st["los"] >= 0, st["los"], los)  # a last stay ends with the death
    exit_ = np.minimum(entry + los, np.minimum(pe.death[p], end))
    los = exit_ - entry
    n_main = np.array([len(t.main) for t in types])
    main_flat = [c for t in types for c in t.main]
    main_off = np.concatenate([[0], np.cumsum(n_main)[:-1]])
    main = main_off[kind] + (rng.random(n) * n_main[kind]).astype(np.int64)
    hosp = hospitals()
    per = len(hosp["finess"]) // len(geo)
    # Sessions (dialysis, chemotherapy) in the public hospital, others anywhere in the department.
    session = np.array([t.session for t in types])[kind]
    h = pe.dept[p] * per + np.where(session, 0, rng.integers(0, per, n))
    eta = hosp["finess"][h].astype(np.int64)
    rsa = chunk * 1_000_000_000 + np.arange(1, n + 1)  # room for any chunk's stays
    bad = rng.random(n) < K.PMSI_BAD_FLAG_SHARE
    which_bad = rng.integers(0, 3, n)
    out_year, _ = year_month(exit_)

    # Associated diagnoses: the patient's other known conditions, coded imperfectly.
    dx_stay, dx_code = [], []
    for c, condition in enumerate(K.CONDITIONS):
        known = pe.has[p, c] & (pe.onset[p, c] <= entry) & (cond != c)
        hit = np.flatnonzero(known & (rng.random(n) < condition.dx_coding))
        dx_stay.append(hit)
        dx_code.append(np.array(condition.dx, dtype=object)[
            rng.integers(0, len(condition.dx), len(hit))])
    dstay = np.concatenate(dx_stay) if dx_stay else np.zeros(0, np.int64)
    dcode = np.concatenate(dx_code) if dx_code else np.zeros(0, object)
    order = np.argsort(dstay, kind="stable")
    dstay, dcode = dstay[order], dcode[order]
    n_dx = np.bincount(dstay, minlength=n)
    ghm = ghm_codes(rng, types, kind, los, n_dx, (entry - pe.birth[p]) / 365.25)

    # Acts: the first act of the stay type always, the others often.
    n_acts = np.array([len(t.acts) for t in types])
    act_flat = [a for t in types for a in t.acts] + [""]
    act_off = np.concatenate([[0], np.cumsum(n_acts)[:-1]])
    astay = np.repeat(np.arange(n), n_acts[kind])
    aseq = np.arange(len(astay)) - np.repeat(np.cumsum(n_acts[kind]) - n_acts[kind], n_acts[kind])
    keep = (aseq == 0) | (rng.random(len(astay)) < 0.7)
    astay, aseq = astay[keep], aseq[keep]
    acode = np.array(act_flat, dtype=object)[act_off[kind[astay]] + aseq]
    n_act = np.bincount(astay, minlength=n)

    out: dict[str, pa.Table] = {}
    for year in years:
        yy = f"{year % 100:02d}"
        r = np.flatnonzero(out_year == year)
        xy, xm = year_month(exit_[r])
        died = exit_[r] == pe.death[p[r]]
        related = np.array([t.related for t in types], dtype=object)[kind[r]]
        out[f"T_MCO{yy}B"] = build(s.table(f"T_MCO{yy}B"), len(r), {
            "ETA_NUM": eta[r], "RSA_NUM": rsa[r], "DGN_PAL": pick(main_flat, main[r]),
            "DGN_REL": pa.array(related, pa.string(), mask=related == ""),
            "GRG_GHM": pa.array(ghm[r], pa.string()), "SEJ_NBJ": los[r],
            "AGE_ANN": np.floor((entry[r] - pe.birth[p[r]]) / 365.25).astype(np.int64),
            "COD_SEX": pick(["", "1", "2"], pe.sex[p[r]]), "SOR_ANN": xy,
            "SOR_MOI": month_text(xm), "ENT_MOD": "8", "SOR_MOD": pick(["8", "9"], died),
            "NBR_DGN": n_dx[r] + 1, "NBR_ACT": n_act[r], "NBR_RUM": 1,
            "BDI_DEP": pick([d[-2:] for d in geo.departments], pe.dept[p[r]]),
            "TYP_GEN_RSA": 0, "GRG_RET": False, "GRC_RET": False, "UHCD_TOP": False,
            "SEJ_TYP": pa.array(np.full(len(r), "A"), pa.string(), mask=los[r] != 0),
        })
        flags = {f: np.zeros(len(r), bool) for f in ("NIR_RET", "SEX_RET", "SEJ_RET", "FHO_RET",
                                                      "PMS_RET")}
        for i, f in enumerate(("NIR_RET", "SEJ_RET", "FHO_RET")):
            flags[f] = bad[r] & (which_bad[r] == i)
        out[f"T_MCO{yy}C"] = build(s.table(f"T_MCO{yy}C"), len(r), {
            "ETA_NUM": eta[r], "RSA_NUM": rsa[r], "NIR_ANO_17": ids.psa_at(p[r], entry[r]),
            "EXE_SOI_DTD": dates(entry[r]), "EXE_SOI_DTF": dates(exit_[r]),
            "ENT_DAT": dates(entry[r]), "SOR_DAT": dates(exit_[r]),
            "EXE_SOI_AMD": yyyymm(entry[r]), "EXE_SOI_AMF": yyyymm(exit_[r]),
            "ENT_AM": yyyymm(entry[r]), "SOR_AM": yyyymm(exit_[r]),
            "SOR_ANN": xy, "SOR_MOI": month_text(xm), **flags,
            "NAI_RET": "0", "DAT_RET": "0", "COH_NAI_RET": False, "COH_SEX_RET": False,
            "RNG_NAI": 1, "SEJ_NUM": 1,
        })
        in_year = np.zeros(n, bool)
        in_year[r] = True
        dr = np.flatnonzero(in_year[dstay])
        # dstay is sorted: number each stay's diagnoses 1, 2, ...
        first_of = np.searchsorted(dstay, dstay[dr])
        seq = dr - first_of
        out[f"T_MCO{yy}D"] = build(s.table(f"T_MCO{yy}D"), len(dr), {
            "ETA_NUM": eta[dstay[dr]].astype(str), "RSA_NUM": rsa[dstay[dr]].astype(str),
            "ASS_DGN": pa.array(dcode[dr], pa.string()), "DGN_ASS_NUM": seq + 1,
            "RSS_NUM": "1",
        })
        ar = np.flatnonzero(in_year[astay])
        out[f"T_MCO{yy}A"] = build(s.table(f"T_MCO{yy}A"), len(ar), {
            "ETA_NUM": eta[astay[ar]].astype(str), "RSA_NUM": rsa[astay[ar]].astype(str),
            "CDC_ACT": pa.array(acode[ar], pa.string()), "NBR_EXE_ACT": 1, "PHA_ACT": "1",
            "ACV_ACT": "1", "ENT_DAT_DEL": np.zeros(len(ar), np.int64), "RSS_NUM": "1",
        })
    return out


def ghm_codes(rng: np.random.Generator, types: list[K.StayType], kind: np.ndarray,
              los: np.ndarray, n_dx: np.ndarray, age: np.ndarray) -> np.ndarray:
    """GHM root and suffix: fixed for sessions and obstetrics; J for a surgical or interventional
    day case; T for a medical stay of 0-1 night; else a severity level 1-4, likelier with
    associated diagnoses and age, and only where the stay is long enough (level 2 needs 3 nights,
    level 3 needs 4, level 4 needs 5)."""
    root = np.array([t.ghm for t in types], dtype=object)[kind]
    fixed = np.array([t.suffix for t in types], dtype=object)[kind]
    kind_letter = np.array([t.ghm[2] for t in types], dtype=object)[kind]
    chance = np.clip(0.12 + 0.08 * n_dx + 0.08 * (age >= 75), 0, 0.6)
    level = 1 + rng.binomial(3, chance)
    level = np.minimum(level, np.select([los >= 5, los >= 4, los >= 3], [4, 3, 2], 1))
    suffix = np.where(fixed != "", fixed, np.where(
        (los == 0) & np.isin(kind_letter, ["C", "K"]), "J",
        np.where((los <= 1) & (kind_letter == "M"), "T", level.astype(str))))
    return root + suffix


def ald(ids: Identities, care: Care) -> pa.Table:
    """ALD periods (IR_IMB_R): one row per granted period, renewals as new rows."""
    a, pe = care.ald, ids.people
    p, start = a["p"], a["start"]
    return build(load_schemas().table("IR_IMB_R"), len(p), {
        "BEN_NIR_PSA": ids.psa_at(p, np.maximum(start, pe.entry[p])), "BEN_RNG_GEM": pe.rank[p],
        "IMB_ALD_DTD": dates(start), "IMB_ALD_DTF": dates(a["end"]), "IMB_ALD_NUM": a["number"],
        "IMB_ETM_NAT": 41, "MED_MTF_COD": pa.array(a["code"], pa.string()),
        "INS_DTE": dates(start), "UPD_DTE": dates(start),
    })


def deaths(rng: np.random.Generator, ids: Identities) -> pa.Table:
    """Causes of death (KI_CCI_R): most deaths get a certificate with the underlying cause."""
    pe, geo = ids.people, geography()
    d = np.flatnonzero((pe.death != NEVER) & (rng.random(len(pe)) < 0.95))
    y, _ = year_month(pe.death[d])
    yb, mb = year_month(pe.birth[d])
    return build(load_schemas().table("KI_CCI_R"), len(d), {
        "BEN_IDT_ANO": ids.idt_ano.take(pa.array(d)), "BEN_IDT_TOP": 1,
        "BEN_NIR_ANO": ids.nir_ano.take(pa.array(d)), "FLX_PER_ANN": y,
        "CER_VER_NUM": 2, "TRT_STA_COD": 1, "TYP_CER_COD": 1,
        "DCD_DPT_COD": pick(geo.departments, pe.dept[d]),
        "BEN_RES_DPT": pick(geo.departments, pe.dept[d]),
        "BEN_RES_COM": pick(geo.communes, pe.commune[d]),
        "BEN_DCD_DTE": dates(pe.death[d]), "BEN_DCD_AME": yyyymm(pe.death[d]),
        "DCD_LIE_COD": rng.integers(1, 5, len(d)), "BEN_NAI_ANN": yb,
        "BEN_NAI_MOI": month_text(mb), "BEN_SEX_COD": pe.sex[d],
        "DCD_CIM_COD": pa.array(pe.death_code[d], pa.string()),
    })


def referentials(years: range) -> dict[str, pa.Table]:
    """Practitioners (DA_PRA_R), establishments (BE_IDE_R) and PMSI establishments (T_MCOaaE)."""
    s, geo, prov, hosp = load_schemas(), geography(), providers(), hospitals()
    n = len(prov["id"])
    out = {"DA_PRA_R": build(s.table("DA_PRA_R"), n, {
        "PFS_PFS_NUM": pa.array(prov["id"], pa.string()),
        "PFS_PRA_SPE": pa.array([str(x) if x else None for x in prov["specialty"]],
                                pa.string()),
        "CNV_CNV_COD": "1",
        "PFS_EXC_COM": pick([c[-3:] for c in geo.departments], prov["dept"]),
    })}
    finess = hosp["finess"]
    h = len(finess)
    padded = np.array([f.zfill(9) for f in finess], dtype=object)
    names = [f"{'CENTRE HOSPITALIER' if pub else 'CLINIQUE'} {i:04d}"
             for i, pub in enumerate(hosp["public"])]
    out["BE_IDE_R"] = build(s.table("BE_IDE_R"), h, {
        "IDE_ETA_NUM": pa.array(padded, pa.string()),
        "IDE_ETA_NU8": pa.array([f[:8] for f in padded], pa.string()),
        "IDE_ETA_NOM": pa.array(names, pa.string()),
        "IDE_IMP_DPT": pick(geo.departments, hosp["dept"]),
    })
    for year in years:
        out[f"T_MCO{year % 100:02d}E"] = build(s.table(f"T_MCO{year % 100:02d}E"), h, {
            "ANN_TRT": str(year), "ETA_NUM": pa.array(finess, pa.string()),
            "SOC_RAI": pa.array(names, pa.string()),
            "STA_ETA": pa.array(np.where(hosp["public"], "PUB", "PRI"), pa.string()),
            "REG_ETA": pick(geo.regions, hosp["dept"]),
        })
    return out
