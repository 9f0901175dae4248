"""Synthetic people of one chunk: demography, identities, true conditions and deaths.

Everything is vectorised with numpy over the chunk and drawn from the chunk's own random stream,
so a chunk's output depends only on (seed, chunk index, parameters), never on other chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hygie.synth import knowledge as K
from hygie.synth.knowledge import Condition
from hygie.synth.places import KIND_INDEX, geography, provider_count

NEVER = np.int32(2**31 - 1)  # "no date" in day arrays (no death, no NIR change)
_B32 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast bijective scramble of uint64 values."""
    x = x.astype(np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hashed(seed: int, salt: int, ids: np.ndarray) -> np.ndarray:
    key = np.uint64((seed * 0x9E3779B97F4A7C15 + salt * 0xD1B54A32D192ED03) % 2**64)
    return mix64(mix64(ids.astype(np.uint64) ^ key) + key)


def fixed_strings(chars: np.ndarray) -> pa.StringArray:
    """An Arrow string array from a (rows, width) uint8 matrix of ASCII characters."""
    rows, width = chars.shape
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets),
                                       pa.py_buffer(np.ascontiguousarray(chars).tobytes()))


def pseudo_ids(seed: int, salt: int, ids: np.ndarray, width: int = 17) -> pa.StringArray:
    """Opaque identifiers of `width` base-32 characters, like SNDS pseudonymised identifiers."""
    h1, h2 = hashed(seed, salt, ids), hashed(seed, salt + 1, ids)
    out = np.empty((len(ids), width), dtype=np.uint8)
    for k in range(width):
        src = h1 if k < 12 else h2
        out[:, k] = _B32[((src >> np.uint64(5 * (k % 12))) & np.uint64(31)).astype(np.intp)]
    return fixed_strings(out)


def interp_prevalence(curve: tuple[tuple[int, float, float], ...], age: np.ndarray,
                      sex: np.ndarray) -> np.ndarray:
    ages = [a for a, _, _ in curve]
    male = np.interp(age, ages, [m for _, m, _ in curve], left=0.0)
    female = np.interp(age, ages, [f for _, _, f in curve], left=0.0)
    return np.where(sex == 1, male, female)


def step_rate(rates: tuple[tuple[int, float], ...], age: np.ndarray) -> np.ndarray:
    starts = np.array([a for a, _ in rates])
    values = np.array([r for _, r in rates])
    return values[np.searchsorted(starts, age, side="right") - 1]


@dataclass
class People:
    gid: np.ndarray  # global person number, int64 (the truth's person_id)
    sex: np.ndarray  # 1 male, 2 female
    birth: np.ndarray  # days since 1970-01-01
    entry: np.ndarray  # day the person joins the insured population (birth or arrival)
    dept: np.ndarray  # index into geography()
    commune: np.ndarray  # index into geography().communes
    death: np.ndarray  # day of death or NEVER
    death_code: np.ndarray  # CIM-10 underlying cause (object; "" if alive)
    has: np.ndarray  # (n, conditions) bool: true condition with onset <= end of period
    onset: np.ndarray  # (n, conditions) onset day (NEVER where absent)
    rank: np.ndarray  # BEN_RNG_GEM
    psa_owner: np.ndarray  # gid whose pseudo-NIR the person carries (a twin carries the other's)
    nir_change: np.ndarray  # day the pseudo-NIR changes, or NEVER
    gp: np.ndarray  # index of the person's GP among the department's GPs
    frailty: np.ndarray  # latent frailty (mean 1) shared by most conditions and by hospital use
    mothers: np.ndarray  # deliveries: index of the mother...
    delivered: np.ndarray  # ... and the day (her newborn is born that day)

    def __len__(self) -> int:
        return len(self.gid)

    def age_at(self, day: int | np.ndarray) -> np.ndarray:
        return (np.asarray(day) - self.birth) / 365.25

    def first_day(self, start: int) -> np.ndarray:
        return np.maximum(self.entry, start)

    def last_day(self, end: int) -> np.ndarray:
        return np.minimum(self.death, end)


class _Growing:
    """Columns of the chunk's people while the population grows year by year."""

    def __init__(self, **cols: np.ndarray) -> None:
        self.cols = cols

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["cols"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __len__(self) -> int:
        return len(self.cols["sex"])

    def append(self, **cols: np.ndarray) -> None:
        self.cols = {k: np.concatenate([v, cols[k]]) for k, v in self.cols.items()}


def mortality(age: np.ndarray, sex: np.ndarray, year: int) -> np.ndarray:
    """Annual probability of death (Insee life table) by age, sex and calendar year."""
    starts = np.array([a for a, _, _ in K.MORTALITY])
    band = np.searchsorted(starts, np.maximum(age, 0), side="right") - 1
    q = np.where(sex == 1, np.array([m for _, m, _ in K.MORTALITY])[band],
                 np.array([f for _, _, f in K.MORTALITY])[band]) / 1000
    return q * year_factor(K.MORTALITY_YEAR, K.MORTALITY_TREND, year)


def year_factor(table: dict[int, float], trend: float, year: int) -> float:
    """A year's factor from its table, extended by a yearly trend outside it."""
    if year in table:
        return table[year]
    edge = min(table) if year < min(table) else max(table)
    return table[edge] * trend ** (year - edge)


def _ages_from(bands: tuple[tuple[int, int, float], ...], rng: np.random.Generator,
               n: int) -> np.ndarray:
    w = np.array([s for _, _, s in bands])
    b = rng.choice(len(bands), size=n, p=w / w.sum())
    lo, hi = np.array([x[0] for x in bands])[b], np.array([x[1] for x in bands])[b]
    return lo + rng.random(n) * (hi - lo)


def _prevalent(rng: np.random.Generator, g: _Growing, rows: np.ndarray, day: int | np.ndarray
               ) -> None:
    """Conditions people already have when they are first seen (the start, or their arrival),
    from the prevalence curves; onsets spread over the condition's history before that day."""
    day = np.broadcast_to(np.asarray(day), rows.shape)
    age = (day - g.birth[rows]) / 365.25
    sex = g.sex[rows]
    for c, cond in enumerate(K.CONDITIONS):
        p = interp_prevalence(cond.prevalence, age, sex)
        if cond.frailty:
            p = p * g.frailty[rows]
        if cond.requires:
            r = K.CONDITION_INDEX[cond.requires]
            base = interp_prevalence(K.CONDITIONS[r].prevalence, age, sex)
            p = np.where(g.has[rows, r], p / np.maximum(base, 1e-9), 0.0)
        if cond.excludes:
            p = np.where(g.has[rows, K.CONDITION_INDEX[cond.excludes]], 0.0, p)
        ok = (rng.random(len(rows)) < np.minimum(p, 0.95)) & np.isin(sex, cond.sexes)
        lo = np.maximum(cond.min_onset_age, age - cond.max_history_years)
        ok &= lo < age
        onset = g.birth[rows] + (lo + rng.random(len(rows)) * (age - lo)) * 365.25
        if cond.requires:  # the graft comes after the kidney failure
            req = g.onset[rows, K.CONDITION_INDEX[cond.requires]]
            onset = np.where(ok, np.maximum(onset, req + 1), onset)
            ok &= onset < day
        g.has[rows[ok], c] = True
        g.onset[rows[ok], c] = onset[ok].astype(np.int32)


def _hazard(cond: Condition, age: np.ndarray, sex: np.ndarray, frailty: np.ndarray,
            q: np.ndarray) -> np.ndarray:
    """Yearly incidence. Lifelong conditions take the one that keeps their prevalence curve
    stationary: the rise of the curve with age, plus the replacement of patients who die more
    than others (h = P'/(1 - P) + P q (HR - 1)); others give their incidence directly."""
    f = frailty if cond.frailty else np.ones_like(frailty)
    if cond.incidence:
        return interp_prevalence(cond.incidence, age, sex) * f
    p = np.minimum(interp_prevalence(cond.prevalence, age, sex) * f, 0.95)
    slope = (interp_prevalence(cond.prevalence, age + 0.5, sex)
             - interp_prevalence(cond.prevalence, age - 0.5, sex)) * f
    return np.maximum(slope / (1 - p) + p * q * (cond.mortality_hr - 1), 0.0)


def make_people(rng: np.random.Generator, gids: np.ndarray, start: int, end: int,
                next_gid: int, max_extra: int) -> People:
    """The chunk's people at the start, then year by year: arrivals, births, new conditions and
    deaths. Newcomers get consecutive numbers from `next_gid`, at most `max_extra` of them."""
    n = len(gids)
    geo = geography()
    band_weights = np.array([w for _, w, _ in K.AGE_BANDS], dtype=float)
    band = rng.choice(len(K.AGE_BANDS), size=n, p=band_weights / band_weights.sum())
    age0 = np.array([a for a, _, _ in K.AGE_BANDS])[band] + rng.random(n) * 5
    male_share = np.array([m for _, _, m in K.AGE_BANDS])[band]
    sex = np.where(rng.random(n) < male_share, 1, 2).astype(np.int8)
    birth = (start - age0 * 365.25).astype(np.int32)
    dept = rng.choice(len(geo), size=n, p=geo.weights)
    commune = geo.commune_start[dept] + (rng.random(n) * geo.commune_count[dept]).astype(np.int64)

    # Same-sex twins among children: the second copies the first's birth, sex and home, and is
    # insured under the same parent, so both carry one pseudo-NIR told apart by BEN_RNG_GEM only.
    rank = np.ones(n, dtype=np.int8)
    psa_owner = gids.copy()
    first = np.flatnonzero((age0[:-1] < 16) & (rng.random(n - 1) < K.TWIN_SHARE / 2)) if n > 1 \
        else np.array([], dtype=np.int64)
    first = first[np.concatenate([[True], np.diff(first) > 1])] if len(first) else first
    second = first + 1
    for arr in (sex, birth, dept, commune, age0):
        arr[second] = arr[first]
    rank[second] = 2
    psa_owner[second] = gids[first]

    # Latent frailty (mean 1) shared by most conditions: multimorbidity clusters as in real life.
    sigma = 0.6
    n_cond = len(K.CONDITIONS)
    g = _Growing(gid=gids.astype(np.int64), sex=sex, birth=birth, entry=birth.copy(), dept=dept,
                 commune=commune, rank=rank, psa_owner=psa_owner,
                 frailty=np.exp(rng.normal(-sigma**2 / 2, sigma, n)),
                 death=np.full(n, NEVER, np.int32),
                 has=np.zeros((n, n_cond), dtype=bool),
                 onset=np.full((n, n_cond), NEVER, dtype=np.int32))
    _prevalent(rng, g, np.arange(n), start)
    mothers: list[np.ndarray] = []
    delivered: list[np.ndarray] = []
    first_year = int(civil_year(start))
    for year in range(first_year, int(civil_year(end)) + 1):
        y0 = max(start, days_of_year(year)[0])
        y1 = min(end, days_of_year(year)[1])
        span = y1 - y0 + 1
        alive = (g.death == NEVER) & (g.entry <= y0)
        mid = (y0 + y1) // 2

        # Births: women alive at the start of the year deliver at their age's fertility rate.
        age = (mid - g.birth) / 365.25
        fert = step_rate(K.FERTILITY, age) * year_factor(K.FERTILITY_YEAR, 1.0, year)
        mum = np.flatnonzero(alive & (g.sex == 2) & (rng.random(len(g)) < fert * span / 365.25))
        day = (y0 + rng.random(len(mum)) * span).astype(np.int32)
        # Arrivals from abroad, mostly young adults.
        k = int(rng.poisson(K.ARRIVAL_RATE * alive.sum() * span / 365.25))
        room = max_extra - (len(g) - n)
        mum, day = mum[:room], day[:room]
        k = max(0, min(k, room - len(mum)))
        arrive = (y0 + rng.random(k) * span).astype(np.int32)
        arrive_age = _ages_from(K.ARRIVAL_AGES, rng, k)
        m = len(mum) + k
        if m:
            mothers.append(mum)
            delivered.append(day)
            new_birth = np.concatenate([day, (arrive - arrive_age * 365.25).astype(np.int32)])
            new_dept = np.concatenate([g.dept[mum], rng.choice(len(geo), size=k, p=geo.weights)])
            first_new = len(g)
            new_gid = next_gid + (first_new - n) + np.arange(m, dtype=np.int64)
            g.append(
                gid=new_gid,
                sex=np.where(rng.random(m) < K.MALE_BIRTH_SHARE, 1, 2).astype(np.int8),
                birth=new_birth, entry=np.concatenate([day, arrive]), dept=new_dept,
                commune=np.concatenate([
                    g.commune[mum], geo.commune_start[new_dept[len(mum):]]
                    + (rng.random(k) * geo.commune_count[new_dept[len(mum):]]).astype(np.int64)]),
                rank=np.ones(m, np.int8), psa_owner=new_gid,
                frailty=np.exp(rng.normal(-sigma**2 / 2, sigma, m)),
                death=np.full(m, NEVER, np.int32),
                has=np.zeros((m, n_cond), dtype=bool),
                onset=np.full((m, n_cond), NEVER, dtype=np.int32))
            arrived = np.arange(first_new + len(mum), len(g))
            _prevalent(rng, g, arrived, g.entry[arrived])

        # New conditions, then deaths, over each person's part of the year.
        present = (g.death == NEVER) & (g.entry <= y1)
        lo = np.maximum(g.entry, y0)
        exposure = np.where(present, (y1 - lo + 1) / 365.25, 0.0)
        age = (mid - g.birth) / 365.25
        q = mortality(age, g.sex, year)
        for c, cond in enumerate(K.CONDITIONS):
            h = _hazard(cond, age, g.sex, g.frailty, q)
            h = np.where(np.isin(g.sex, cond.sexes) & (age >= cond.min_onset_age) & ~g.has[:, c],
                         h, 0.0)
            if cond.requires:
                h = np.where(g.has[:, K.CONDITION_INDEX[cond.requires]], h, 0.0)
            if cond.excludes:
                h = np.where(g.has[:, K.CONDITION_INDEX[cond.excludes]], 0.0, h)
            hit = rng.random(len(g)) < -np.expm1(-h * exposure)
            when = (lo + rng.random(len(g)) * (y1 - lo + 1)).astype(np.int32)
            if cond.requires:
                when = np.maximum(when, g.onset[:, K.CONDITION_INDEX[cond.requires]] + 1)
                hit &= when <= y1
            g.has[hit, c] = True
            g.onset[hit, c] = when[hit]

        # Deaths: the life table's probability, raised by the conditions present at the start of
        # the year, with the baseline lowered in each age and sex group so that the group's
        # overall rate stays the life table's.
        hr = np.ones(len(g))
        for c, cond in enumerate(K.CONDITIONS):
            hr *= np.where(g.has[:, c] & (g.onset[:, c] <= y0), cond.mortality_hr, 1.0)
        group = np.clip(age // 5, 0, 21).astype(np.int64) * 2 + (g.sex - 1)
        weight = np.bincount(group, present.astype(float), minlength=44)
        mean_hr = np.bincount(group, hr * present, minlength=44) / np.maximum(weight, 1)
        p = np.minimum(q * hr / np.where(mean_hr > 0, mean_hr, 1.0)[group], 0.9)
        dies = present & (rng.random(len(g)) < 1 - (1 - p) ** exposure)
        day = (lo + rng.random(len(g)) * (y1 - lo + 1)).astype(np.int32)
        g.death[dies] = day[dies]

    if mothers:  # a mother lives at least to her delivery
        mum, day = np.concatenate(mothers), np.concatenate(delivered)
        np.maximum.at(g.death, mum, np.where(g.death[mum] == NEVER, NEVER, day))
    else:
        mum, day = np.zeros(0, np.int64), np.zeros(0, np.int32)
    # A condition whose onset would come after death never happened.
    has = g.has & (g.onset <= g.death[:, None])
    onset = np.where(has, g.onset, NEVER)
    death = g.death
    total = len(g)
    death_code = np.full(total, "", dtype=object)
    dead = death != NEVER
    background = np.array([c for c, _ in K.BACKGROUND_DEATH_CODES], dtype=object)
    weight = np.array([w for _, w in K.BACKGROUND_DEATH_CODES])
    death_code[dead] = background[rng.choice(len(background), dead.sum(), p=weight / weight.sum())]
    hrs = np.array([c.mortality_hr for c in K.CONDITIONS])
    weighted = np.where(has, hrs[None, :] - 1.0, 0.0)
    main = weighted.argmax(axis=1)
    from_condition = dead & (weighted.max(axis=1) > 0) & (rng.random(total) < 0.5)
    codes = np.array([c.death_code for c in K.CONDITIONS], dtype=object)
    death_code[from_condition] = codes[main[from_condition]]

    # A few people get a new pseudo-NIR during the period (provisional NIR replaced, ...).
    change = (rng.random(total) < K.NIR_CHANGE_SHARE) & (g.rank == 1)
    change_day = np.maximum(start, g.entry) + rng.random(total) * (end - np.maximum(start, g.entry))
    nir_change = np.where(change & (change_day < death) & (change_day > g.entry), change_day,
                          NEVER).astype(np.int32)
    gp = rng.integers(0, provider_count(KIND_INDEX["gp"]), total)
    return People(g.gid, g.sex, g.birth, g.entry, g.dept, g.commune, death, death_code, has,
                  onset, g.rank, g.psa_owner, nir_change, gp, g.frailty, mum, day)


def civil_year(day: int) -> int:
    return (np.datetime64(int(day), "D").astype("datetime64[Y]").astype(int) + 1970).item()


def days_of_year(year: int) -> tuple[int, int]:
    first = np.datetime64(f"{year:04d}-01-01").astype("datetime64[D]").astype(int).item()
    last = np.datetime64(f"{year:04d}-12-31").astype("datetime64[D]").astype(int).item()
    return first, last
