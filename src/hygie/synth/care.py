"""Care journeys of one chunk of people, as vectorised event streams.

Each true condition drives its own care from onset (or the start of the period) to death (or the
end): chronic drugs refilled at the pace of their box size, lab panels, visits, acts, hospital
stays, and the ALD registration. Background care is drawn for everyone by age and sex. Events are
plain numpy columns; `tables.py` turns them into SNDS rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hygie.synth import knowledge as K
from hygie.synth.people import People, step_rate

STAY_KEYS = list(K.STAYS)
STAY_INDEX = {k: i for i, k in enumerate(STAY_KEYS)}
PANEL_KEYS = list(K.LAB_PANELS)
PANEL_INDEX = {k: i for i, k in enumerate(PANEL_KEYS)}
ACT_CODES = sorted({a for c in K.CONDITIONS for a, _, _ in c.acts}
                   | {str(b.what) for b in K.BACKGROUND if b.kind == "act"})
ACT_INDEX = {a: i for i, a in enumerate(ACT_CODES)}


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
    pharmacy: dict[str, np.ndarray]  # p, day, drug, boxes
    lab: dict[str, np.ndarray]  # p, day, panel
    visit: dict[str, np.ndarray]  # p, day, specialty
    act: dict[str, np.ndarray]  # p, day, act, specialty
    stay: dict[str, np.ndarray]  # p, day, stay, condition (-1 = background)
    ald: dict[str, np.ndarray]  # p, start, condition, code (index into the condition's codes)


def poisson_days(rng: np.random.Generator, p: np.ndarray, rate: np.ndarray | float,
                 lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Events at `rate` per year, uniform over each person's window [lo, hi]."""
    span = np.maximum(hi - lo, -1).astype(np.int64) + 1  # days in the window, 0 if empty
    k = rng.poisson(np.asarray(rate) * span / 365.25)
    rows = np.repeat(p, k)
    day = np.repeat(lo, k) + (rng.random(int(k.sum())) * np.repeat(span, k)).astype(np.int64)
    return rows, day


def refills(rng: np.random.Generator, p: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            interval: np.ndarray, adherence: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """Regular dispensations every `interval` days over [lo, hi], some missed."""
    k = np.where(hi >= lo, (hi - lo) // interval + 1, 0).astype(np.int64)
    total = int(k.sum())
    take = np.repeat(np.arange(len(p)), k)
    seq = np.arange(total) - np.repeat(np.cumsum(k) - k, k)
    day = lo[take] + seq * interval[take] + rng.integers(-3, 6, total)
    day = np.clip(day, lo[take], hi[take])
    keep = rng.random(total) < adherence[take]
    return take[keep], day[keep], seq[keep]


def make_care(rng: np.random.Generator, people: People, start: int, end: int) -> Care:
    n = len(people)
    idx = np.arange(n)
    first, last = people.first_day(start), people.last_day(end)
    mid_age = people.age_at((first + last) // 2)
    pharmacy, lab, visit, act, stay, ald = (Stream() for _ in range(6))
    plans = Stream()  # chronic drug plans: p, drug, lo, hi, adherence

    for c, cond in enumerate(K.CONDITIONS):
        ill = idx[people.has[:, c]]
        if not len(ill):
            continue
        onset = people.onset[ill, c]
        lo, hi = np.maximum(onset, first[ill]), last[ill]
        treated = rng.random(len(ill)) >= cond.untreated
        for t in cond.treatments:
            on = treated & (rng.random(len(ill)) < t.share)
            delay = rng.integers(0, 60, len(ill))
            plans.add(p=ill[on], drug=K.DRUG_INDEX[t.drug], lo=(lo + delay)[on], hi=hi[on],
                      adherence=np.full(on.sum(), t.adherence))
        for panel, rate in cond.labs:
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            lab.add(p=rows, day=day, panel=PANEL_INDEX[panel])
        for spe, rate in cond.visits:
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            visit.add(p=rows, day=day, specialty=spe)
        for code, spe, rate in cond.acts:
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            act.add(p=rows, day=day, act=ACT_INDEX[code], specialty=spe)
        for key, rate in cond.stays:
            rows, day = poisson_days(rng, ill, rate, lo, hi)
            stay.add(p=rows, day=day, stay=STAY_INDEX[key], condition=c)
        if cond.onset_stay:
            key, prob = cond.onset_stay
            hit = (onset >= first[ill]) & (onset <= hi) & (rng.random(len(ill)) < prob)
            stay.add(p=ill[hit], day=onset[hit].astype(np.int64), stay=STAY_INDEX[key],
                     condition=c)
        _, codes, prob = cond.ald
        reg = rng.random(len(ill)) < prob
        ald_day = onset + rng.integers(0, 365, len(ill))
        reg &= ald_day <= hi
        ald.add(p=ill[reg], start=ald_day[reg].astype(np.int64), condition=c,
                code=rng.integers(0, len(codes), int(reg.sum())))

    for b in K.BACKGROUND:
        eligible = np.isin(people.sex, b.sexes)
        bg_rate = step_rate(b.rates, mid_age) * eligible
        if b.kind == "drug" and b.chronic_share:
            lo_age, hi_age = b.chronic_ages
            on = eligible & (mid_age >= lo_age) & (mid_age < hi_age) \
                & (rng.random(n) < b.chronic_share)
            plans.add(p=idx[on], drug=K.DRUG_INDEX[str(b.what)], lo=first[on], hi=last[on],
                      adherence=np.full(on.sum(), 0.8))
        if not bg_rate.any():
            continue
        rows, day = poisson_days(rng, idx, bg_rate, first, last)
        if b.kind == "drug":
            pharmacy.add(p=rows, day=day, drug=K.DRUG_INDEX[str(b.what)], boxes=1)
        elif b.kind == "lab":
            lab.add(p=rows, day=day, panel=PANEL_INDEX[str(b.what)])
        elif b.kind == "visit":
            visit.add(p=rows, day=day, specialty=int(b.what))
        elif b.kind == "act":
            act.add(p=rows, day=day, act=ACT_INDEX[str(b.what)], specialty=b.specialty)
        elif b.kind == "stay":
            stay.add(p=rows, day=day, stay=STAY_INDEX[str(b.what)], condition=-1)

    # One plan per person and drug (a statin may be due to diabetes and coronary disease).
    pl = plans.columns("p", "drug", "lo", "hi", "adherence")
    if len(pl["p"]):
        order = np.lexsort((pl["lo"], pl["drug"], pl["p"]))
        pl = {k: v[order] for k, v in pl.items()}
        keep = np.ones(len(pl["p"]), dtype=bool)
        keep[1:] = (pl["p"][1:] != pl["p"][:-1]) | (pl["drug"][1:] != pl["drug"][:-1])
        pl = {k: v[keep] for k, v in pl.items()}
        interval = np.array([d.days_per_box for d in K.DRUGS])[pl["drug"]]
        take, day, _ = refills(rng, pl["p"], pl["lo"], pl["hi"], interval, pl["adherence"])
        pharmacy.add(p=pl["p"][take], day=day, drug=pl["drug"][take],
                     boxes=np.where(rng.random(len(take)) < 0.1, 2, 1))

    def in_life(cols: dict[str, np.ndarray], day: str = "day") -> dict[str, np.ndarray]:
        p = cols["p"]
        ok = (cols[day] >= first[p]) & (cols[day] <= last[p]) if len(p) else np.array([], bool)
        return {k: v[ok] for k, v in cols.items()}

    ald_cols = ald.columns("p", "start", "condition", "code")
    return Care(
        pharmacy=in_life(pharmacy.columns("p", "day", "drug", "boxes")),
        lab=in_life(lab.columns("p", "day", "panel")),
        visit=in_life(visit.columns("p", "day", "specialty")),
        act=in_life(act.columns("p", "day", "act", "specialty")),
        stay=in_life(stay.columns("p", "day", "stay", "condition")),
        ald=ald_cols,  # registrations may predate the period: the ALD file keeps history
    )

