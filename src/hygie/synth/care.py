"""Care journeys of one chunk of people, as vectorised event streams.

Each true condition drives its own care from onset (or the start of the period) to death (or the
end): chronic drugs refilled at the pace of their box size, lab panels, visits, acts, hospital
stays, and ALD registrations renewed while the person lives. Everyone also gets care by age and
sex: GP visits (over-dispersed, not added on top of a condition's), everyday chronic treatments,
acute treatments, ordinary stays (concentrated on a few people), deliveries and newborn stays,
and for about half of the deaths a last hospital stay. Events are plain numpy columns, each
carrying the condition it belongs to (-1 for background care); `tables.py` turns them into
SNDS rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hygie.synth import knowledge as K
from hygie.synth.people import People, hashed, interp_prevalence, step_rate

STAY_KEYS = list(K.STAYS)
STAY_INDEX = {k: i for i, k in enumerate(STAY_KEYS)}
PANEL_KEYS = list(K.LAB_PANELS)
PANEL_INDEX = {k: i for i, k in enumerate(PANEL_KEYS)}
ACT_CODES = sorted({a for c in K.CONDITIONS for a, _, _ in c.acts}
                   | {str(b.what) for b in K.BACKGROUND if b.kind == "act"})
ACT_INDEX = {a: i for i, a in enumerate(ACT_CODES)}
PHARMACY_CYCLE = 30  # days between a chronic patient's pharmacy visits
# The stay a person dying in hospital is in, by the condition behind the death (others: palliative
# care or pneumonia).
TERMINAL_STAY = {"heart_failure": "hf_decompensation", "stroke": "stroke",
                 "copd": "copd_exacerbation", "coronary": "mi", "dementia": "pneumonia"}


@dataclass
class Stream:
    """Columns of one kind of event, gathered in pieces and joined once."""

    pieces: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **cols: np.ndarray | int) -> None:
        n = max(len(v) for v in cols.values() if isinstance(v, np.ndarray))
        for name, v in cols.items():
            arr = v if isinstance(v, np.ndarray) else np.full(n, v)
            self.pieces.setdefault(name, []).append(arr)

    def columns(self, *names: str) -> dict[str, np.ndarray]:
        return {n: (np.concatenate(self.pieces[n]) if n in self.pieces
                    else np.array([], dtype=np.int64)) for n in names}


@dataclass
class Care:
    pharmacy: dict[str, np.ndarray]  # p, day, drug, boxes, condition
    lab: dict[str, np.ndarray]  # p, day, panel, condition
    visit: dict[str, np.ndarray]  # p, day, specialty, condition
    act: dict[str, np.ndarray]  # p, day, act, specialty, condition
    stay: dict[str, np.ndarray]  # p, day, stay, condition (-1 = background), los (-1 = drawn)
    ald: dict[str, np.ndarray]  # p, start, end, condition (-1 = background), number, code


def poisson_days(rng: np.random.Generator, p: np.ndarray, rate: np.ndarray | float,
                 lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Events at `rate` per year, uniform over each person's window [lo, hi]."""
    span = np.maximum(hi - lo, -1).astype(np.int64) + 1  # days in the window, 0 if empty
    k = rng.poisson(np.asarray(rate) * span / 365.25)
    rows = np.repeat(p, k)
    day = np.repeat(lo, k) + (rng.random(int(k.sum())) * np.repeat(span, k)).astype(np.int64)
    return rows, day


def gamma_propensity(rng: np.random.Generator, shape: float, n: int) -> np.ndarray:
    """A person's lasting propensity to use some care: gamma of mean 1 (over-dispersion)."""
    return rng.gamma(shape, 1 / shape, n)


def refills(rng: np.random.Generator, people: People, start: int, p: np.ndarray,
            lo: np.ndarray, hi: np.ndarray, days_per_box: np.ndarray, adherence: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chronic dispensations over [lo, hi] on the person's pharmacy days, some missed.

    A patient goes to the pharmacy about every 30 days, on days shared by all their treatments
    (so one visit is one claim of several lines); a 3-month box is taken every third visit, a
    short box twice over. Returns (plan index, day, boxes)."""
    monthly = days_per_box <= 45
    step = np.where(monthly, 1, np.maximum(days_per_box // PHARMACY_CYCLE, 1))
    # Each person's pharmacy day of the cycle and a token that shifts each visit by a few days,
    # the same for all their treatments.
    token = rng.integers(0, 2**40, len(people), dtype=np.int64)
    anchor = np.maximum(people.entry[p], start) + token[p] % PHARMACY_CYCLE
    k0 = np.maximum(-(-(lo - anchor) // PHARMACY_CYCLE), 0)
    k1 = (hi - anchor) // PHARMACY_CYCLE
    count = np.where(k1 >= k0, (k1 - k0) // step + 1, 0).astype(np.int64)
    take = np.repeat(np.arange(len(p)), count)
    seq = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    cycle = k0[take] + seq * step[take]
    visit = (token[p[take]] * 65536 + cycle).astype(np.uint64)
    jitter = (hashed(0, 37, visit) % np.uint64(7)).astype(np.int64) - 3
    day = anchor[take] + cycle * PHARMACY_CYCLE + jitter
    keep = (rng.random(len(take)) < adherence[take]) & (day >= lo[take]) & (day <= hi[take])
    boxes = np.where(monthly, np.maximum(np.round(PHARMACY_CYCLE / days_per_box), 1), 1)
    boxes = boxes[take] + (rng.random(len(take)) < 0.05)
    return take[keep], day[keep], boxes[keep].astype(np.int64)


def ald_periods(start: np.ndarray, years: np.ndarray | int, until: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ALD periods from `start`, renewed every `years` while the person lives, until the period
    that covers `until`: (registration index, period start, period end)."""
    length = np.broadcast_to(np.asarray(years) * 365, start.shape)
    count = np.where(until >= start, (until - start) // length + 1, 1).astype(np.int64)
    take = np.repeat(np.arange(len(start)), count)
    seq = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    lo = start[take] + seq * length[take]
    return take, lo, lo + length[take] - 1


def make_care(rng: np.random.Generator, people: People, start: int, end: int) -> Care:
    n = len(people)
    idx = np.arange(n)
    first, last = people.first_day(start), people.last_day(end)
    mid_age = people.age_at((first + last) // 2)
    pharmacy, lab, visit, act, stay, ald = (Stream() for _ in range(6))
    plans = Stream()  # chronic drug plans: p, drug, lo, hi, adherence, condition
    gp_rate = step_rate(K.GP_VISITS, mid_age)  # raised below to each patient's condition rate
    gp_condition = np.full(n, -1)
    graft = K.CONDITION_INDEX["kidney_graft"]

    for c, cond in enumerate(K.CONDITIONS):
        ill = idx[people.has[:, c]]
        if not len(ill):
            continue
        onset = people.onset[ill, c]
        lo, hi = np.maximum(onset, first[ill]), last[ill]
        if cond.key == "eskd":  # a graft ends dialysis
            hi = np.minimum(hi, people.onset[ill, graft] - 1)
        treated = rng.random(len(ill)) >= cond.untreated
        for t in cond.treatments:
            on = treated & (rng.random(len(ill)) < t.share)
            delay = rng.integers(0, 60, len(ill))
            plans.add(p=ill[on], drug=K.DRUG_INDEX[t.drug], lo=(lo + delay)[on], hi=hi[on],
                      adherence=np.full(on.sum(), t.adherence), condition=c)
        for panel, rate in cond.labs:
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            lab.add(p=rows, day=day, panel=PANEL_INDEX[panel], condition=c)
        for spe, rate in cond.visits:
            if spe == K.GP:
                raise_to = (rate > gp_rate[ill]) & (hi >= lo)
                gp_rate[ill[raise_to]] = rate
                gp_condition[ill[raise_to]] = c
                continue
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            visit.add(p=rows, day=day, specialty=spe, condition=c)
        for code, spe, rate in cond.acts:
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            act.add(p=rows, day=day, act=ACT_INDEX[code], specialty=spe, condition=c)
        for key, rate in cond.stays:
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            stay.add(p=rows, day=day, stay=STAY_INDEX[key], condition=c, los=-1)
        if cond.onset_stay:
            key, prob = cond.onset_stay
            hit = (onset >= first[ill]) & (onset <= last[ill]) & (rng.random(len(ill)) < prob)
            stay.add(p=ill[hit], day=onset[hit].astype(np.int64), stay=STAY_INDEX[key],
                     condition=c, los=-1)
        if cond.onset_sessions:
            key, count, apart, prob = cond.onset_sessions
            hit = np.flatnonzero((onset >= first[ill] - 180) & (rng.random(len(ill)) < prob))
            rows = np.repeat(hit, count)
            day = np.repeat(onset[hit].astype(np.int64) + 30, count) \
                + np.tile(np.arange(count) * apart, len(hit))
            stay.add(p=ill[rows], day=day, stay=STAY_INDEX[key], condition=c, los=-1)
        number, codes, prob = cond.ald
        reg = rng.random(len(ill)) < prob * np.where(treated, 1.0, cond.ald_if_untreated)
        ald_day = onset + rng.integers(0, cond.ald_delay, len(ill))
        reg &= ald_day <= last[ill]
        who = ill[reg]
        take, a_lo, a_hi = ald_periods(ald_day[reg].astype(np.int64), cond.ald_years,
                                       last[who].astype(np.int64))
        picked = np.array(codes, dtype=object)[rng.integers(0, len(codes), len(who))]
        ald.add(p=who[take], start=a_lo, end=a_hi, condition=c, number=number,
                code=picked[take])

    # ALDs for conditions the generator does not track (cancers, psychiatric disorders...).
    for number, codes, curve in K.BACKGROUND_ALDS:
        who = np.flatnonzero(rng.random(n) < interp_prevalence(curve, mid_age, people.sex))
        reg_day = (first[who] - rng.random(len(who)) * 3650).astype(np.int64)
        reg_day = np.maximum(reg_day, people.birth[who].astype(np.int64))
        take, a_lo, a_hi = ald_periods(reg_day, 5, last[who].astype(np.int64))
        picked = np.array(codes, dtype=object)[rng.integers(0, len(codes), len(who))]
        ald.add(p=who[take], start=a_lo, end=a_hi, condition=-1, number=number,
                code=picked[take])

    # GP visits: the age's rate or the patient's condition rate, times a lasting propensity.
    gp_rate *= gamma_propensity(rng, K.GP_SHAPE, n)
    rows, day = poisson_days(rng, idx, gp_rate, first, last)
    tied = gp_condition[rows]
    ok = tied >= 0
    tied[ok] = np.where(day[ok] >= people.onset[rows[ok], tied[ok]], tied[ok], -1)
    visit.add(p=rows, day=day, specialty=K.GP, condition=tied)

    hospital = gamma_propensity(rng, K.HOSPITAL_SHAPE, n)
    for b in K.BACKGROUND:
        eligible = np.isin(people.sex, b.sexes)
        bg_rate = step_rate(b.rates, mid_age) * eligible
        if b.kind == "drug" and b.chronic_share:
            lo_age, hi_age = b.chronic_ages
            on = eligible & (mid_age >= lo_age) & (mid_age < hi_age) \
                & (rng.random(n) < b.chronic_share)
            plans.add(p=idx[on], drug=K.DRUG_INDEX[str(b.what)], lo=first[on], hi=last[on],
                      adherence=np.full(on.sum(), 0.8), condition=-1)
        if not bg_rate.any():
            continue
        if b.kind == "stay":
            bg_rate = bg_rate * hospital * K.STAY_RATE_SCALE
        rows, day = poisson_days(rng, idx, bg_rate, first, last)
        # Rates are read at mid-period: drop events at an age where there are none (screening
        # starts at 50 and ends at 74 exactly).
        ok = step_rate(b.rates, (day - people.birth[rows]) / 365.25) > 0
        rows, day = rows[ok], day[ok]
        if b.kind == "drug":
            pharmacy.add(p=rows, day=day, drug=K.DRUG_INDEX[str(b.what)],
                         boxes=K.ACUTE_BOXES.get(str(b.what), 1), condition=-1)
        elif b.kind == "lab":
            lab.add(p=rows, day=day, panel=PANEL_INDEX[str(b.what)], condition=-1)
        elif b.kind == "visit":
            visit.add(p=rows, day=day, specialty=int(b.what), condition=-1)
        elif b.kind == "act":
            act.add(p=rows, day=day, act=ACT_INDEX[str(b.what)], specialty=b.specialty,
                    condition=-1)
        elif b.kind == "stay":
            stay.add(p=rows, day=day, stay=STAY_INDEX[str(b.what)], condition=-1, los=-1)

    _polypharmacy(rng, people, plans, mid_age, first, last)
    _births(rng, people, stay, start, end)
    _last_stays(rng, people, stay, start, end)

    # One plan per person and drug (a statin may be due to diabetes and coronary disease).
    pl = plans.columns("p", "drug", "lo", "hi", "adherence", "condition")
    if len(pl["p"]):
        order = np.lexsort((-pl["condition"], pl["lo"], pl["drug"], pl["p"]))
        pl = {k: v[order] for k, v in pl.items()}
        keep = np.ones(len(pl["p"]), dtype=bool)
        keep[1:] = (pl["p"][1:] != pl["p"][:-1]) | (pl["drug"][1:] != pl["drug"][:-1])
        pl = {k: v[keep] for k, v in pl.items()}
        per_box = np.array([d.days_per_box for d in K.DRUGS])[pl["drug"]]
        take, day, boxes = refills(rng, people, start, pl["p"], pl["lo"], pl["hi"], per_box,
                                   pl["adherence"])
        pharmacy.add(p=pl["p"][take], day=day, drug=pl["drug"][take], boxes=boxes,
                     condition=pl["condition"][take])

    def in_life(cols: dict[str, np.ndarray], day: str = "day") -> dict[str, np.ndarray]:
        p = cols["p"]
        ok = (cols[day] >= first[p]) & (cols[day] <= last[p]) if len(p) else np.array([], bool)
        return {k: v[ok] for k, v in cols.items()}

    return Care(
        pharmacy=in_life(pharmacy.columns("p", "day", "drug", "boxes", "condition")),
        lab=in_life(lab.columns("p", "day", "panel", "condition")),
        visit=in_life(visit.columns("p", "day", "specialty", "condition")),
        act=in_life(act.columns("p", "day", "act", "specialty", "condition")),
        stay=_readmissions(rng, in_life(stay.columns("p", "day", "stay", "condition", "los")),
                           last),
        # Registrations may predate the period: the ALD file keeps history.
        ald=ald.columns("p", "start", "end", "condition", "number", "code"),
    )


def _polypharmacy(rng: np.random.Generator, people: People, plans: Stream, age: np.ndarray,
                  first: np.ndarray, last: np.ndarray) -> None:
    """Everyday chronic treatments: a count by age (higher with frailty), drugs by weight."""
    n = len(people)
    count = rng.poisson(step_rate(K.POLYPHARMACY, age) * people.frailty ** 0.5)
    p = np.repeat(np.arange(n), count)
    drugs = K.CHRONIC_DRUGS
    weight = np.array([w for _, w, _, _ in drugs])
    pick = rng.choice(len(drugs), size=len(p), p=weight / weight.sum())
    sexes_ok = np.array([[s in d[2] for s in (1, 2)] for d in drugs])
    min_age = np.array([d[3] for d in drugs])
    ok = sexes_ok[pick, people.sex[p] - 1] & (age[p] >= min_age[pick])
    p, pick = p[ok], pick[ok]
    span = np.maximum(last[p] - first[p], 0)
    # Most treatments run through the period; some start or stop in it.
    lo = first[p] + np.where(rng.random(len(p)) < 0.2, rng.random(len(p)) * span, 0)
    hi = last[p] - np.where(rng.random(len(p)) < 0.15, rng.random(len(p)) * span, 0)
    drug = np.array([K.DRUG_INDEX[d[0]] for d in drugs])[pick]
    plans.add(p=p, drug=drug, lo=lo.astype(np.int64), hi=np.maximum(hi, lo).astype(np.int64),
              adherence=np.full(len(p), 0.85), condition=-1)


def _births(rng: np.random.Generator, people: People, stay: Stream, start: int, end: int) -> None:
    """Each delivery is a mother's stay (a fifth by caesarean section) and a newborn's stay."""
    mum, day = people.mothers, people.delivered.astype(np.int64)
    caesarean = rng.random(len(mum)) < 0.2
    stay.add(p=mum, day=day, stay=np.where(caesarean, STAY_INDEX["caesarean"],
                                           STAY_INDEX["delivery"]), condition=-1, los=-1)
    born = np.flatnonzero((people.birth == people.entry) & (people.birth >= start)
                          & (people.birth <= end))
    stay.add(p=born, day=people.birth[born].astype(np.int64), stay=STAY_INDEX["newborn"],
             condition=-1, los=-1)


def _last_stays(rng: np.random.Generator, people: People, stay: Stream, start: int,
                end: int) -> None:
    """About half of the deaths happen in an MCO stay, which ends with the death."""
    dead = np.flatnonzero((people.death >= start) & (people.death <= end))
    age = (people.death[dead] - people.birth[dead]) / 365.25
    dead = dead[rng.random(len(dead)) < step_rate(K.DEATH_IN_HOSPITAL, age)]
    cause = people.has[dead].argmax(axis=1)
    has_any = people.has[dead].any(axis=1)
    keys = np.array([TERMINAL_STAY.get(c.key, "") for c in K.CONDITIONS], dtype=object)[cause]
    fallback = np.where(rng.random(len(dead)) < 0.5, "palliative", "pneumonia")
    keys = np.where(has_any & (keys != ""), keys, fallback)
    los = rng.integers(1, 16, len(dead))
    entry = np.maximum(people.death[dead].astype(np.int64) - los,
                       np.maximum(people.entry[dead], start))
    stay.add(p=dead, day=entry, stay=np.array([STAY_INDEX[k] for k in keys]), condition=-1,
             los=people.death[dead].astype(np.int64) - entry)


def _readmissions(rng: np.random.Generator, st: dict[str, np.ndarray], last: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """A condition's medical stay is followed by another within a month in about 12 % of cases."""
    session = np.array([K.STAYS[k].session for k in STAY_KEYS])
    back = np.flatnonzero((st["condition"] >= 0) & ~session[st["stay"]] & (st["los"] < 0)
                          & (rng.random(len(st["p"])) < 0.12))
    day = st["day"][back] + rng.integers(5, 31, len(back))
    back, day = back[day <= last[st["p"][back]]], day[day <= last[st["p"][back]]]
    extra = {k: v[back] for k, v in st.items()}
    extra["day"] = day
    return {k: np.concatenate([st[k], extra[k]]) for k in st}
