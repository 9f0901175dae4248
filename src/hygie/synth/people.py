"""Synthetic people of one chunk: demography, identities, true conditions and deaths.

Everything is vectorised with numpy over the chunk and drawn from the chunk's own random stream,
so a chunk's output depends only on (seed, chunk index, parameters), never on other chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hygie.synth import knowledge as K
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

    def __len__(self) -> int:
        return len(self.gid)

    def age_at(self, day: int | np.ndarray) -> np.ndarray:
        return (np.asarray(day) - self.birth) / 365.25

    def first_day(self, start: int) -> np.ndarray:
        return np.maximum(self.birth, start)

    def last_day(self, end: int) -> np.ndarray:
        return np.minimum(self.death, end)


def make_people(rng: np.random.Generator, gids: np.ndarray, start: int, end: int) -> People:
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
    frailty = np.exp(rng.normal(-sigma**2 / 2, sigma, n))
    age_end = (end - birth) / 365.25
    n_cond = len(K.CONDITIONS)
    has = np.zeros((n, n_cond), dtype=bool)
    onset = np.full((n, n_cond), NEVER, dtype=np.int32)
    for c, cond in enumerate(K.CONDITIONS):
        p = interp_prevalence(cond.prevalence, age_end, sex)
        if cond.frailty:
            p = np.minimum(p * frailty, 0.95)
        ok = (rng.random(n) < p) & np.isin(sex, cond.sexes)
        lo = np.maximum(cond.min_onset_age, age_end - cond.max_history_years)
        ok &= lo < age_end
        onset_age = lo + rng.random(n) * (age_end - lo)
        has[:, c] = ok
        onset[:, c] = np.where(ok, birth + onset_age * 365.25, NEVER).astype(np.int32)

    # Deaths: age- and sex-specific hazard, raised by the conditions present at the start.
    mort_ages = np.array([a for a, _ in K.MORTALITY])
    mort = np.array([q for _, q in K.MORTALITY])[np.searchsorted(mort_ages, age0, "right") - 1]
    mort = mort * np.where(sex == 1, K.MALE_MORTALITY, K.FEMALE_MORTALITY)
    hr = np.ones(n)
    for c, cond in enumerate(K.CONDITIONS):
        hr *= np.where(has[:, c], cond.mortality_hr, 1.0)
    daily = -np.log1p(-np.minimum(mort * hr, 0.9)) / 365.25
    t = rng.exponential(1.0, n) / daily
    death = np.where(start + t <= end, start + t, NEVER).astype(np.int32)
    # A condition whose onset would come after death never happened.
    has &= onset <= death[:, None]
    onset = np.where(has, onset, NEVER)
    death_code = np.full(n, "", dtype=object)
    dead = death != NEVER
    background = np.array(K.BACKGROUND_DEATH_CODES, dtype=object)
    death_code[dead] = background[rng.integers(0, len(background), dead.sum())]
    hrs = np.array([c.mortality_hr for c in K.CONDITIONS])
    weighted = np.where(has, hrs[None, :] - 1.0, 0.0)
    main = weighted.argmax(axis=1)
    from_condition = dead & (weighted.max(axis=1) > 0) & (rng.random(n) < 0.65)
    codes = np.array([c.death_code for c in K.CONDITIONS], dtype=object)
    death_code[from_condition] = codes[main[from_condition]]

    # A few people get a new pseudo-NIR during the period (provisional NIR replaced, ...).
    change = (rng.random(n) < K.NIR_CHANGE_SHARE) & (rank == 1)
    change_day = start + rng.random(n) * (end - start)
    nir_change = np.where(change & (change_day < death), change_day, NEVER).astype(np.int32)
    gp = rng.integers(0, provider_count(KIND_INDEX["gp"]), n)
    return People(gids, sex, birth, dept, commune, death, death_code, has, onset, rank,
                  psa_owner, nir_change, gp)
