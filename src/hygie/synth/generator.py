"""The synthetic SNDS generator: chunks of patients, in parallel, into two lake datasets.

The SNDS tables go to `out`; the truth (true conditions with onset dates, civil identities,
pseudonym history) goes to a separate dataset, never mixed with the SNDS tables. Each chunk draws
from its own random stream seeded by (seed, chunk), and writes its own numbered part files, so
the output is byte-identical for the same parameters whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from hygie.engine.lake import Dataset, DatasetWriter, LakeError, check_target, write_parquet
from hygie.snds.schemas import SCHEMA_VERSION
from hygie.synth import GENERATOR
from hygie.synth import knowledge as K
from hygie.synth.care import make_care
from hygie.synth.people import NEVER, make_people
from hygie.synth.places import geography
from hygie.synth.tables import (
    Identities,
    ald,
    beneficiaries,
    dates,
    day_of,
    dcir,
    deaths,
    pick,
    pmsi,
    referentials,
)

MIN_YEAR, MAX_YEAR = 2006, 2099  # the SNDS starts in 2006; PMSI tables carry a 2-digit year
MAX_CHUNKS = 9999  # the chunk number is the DCIR emission order FLX_EMT_ORD (4 digits)


class SynthError(ValueError):
    """Parameters the generator cannot honour; raised before any work."""


@dataclass(frozen=True)
class SynthParams:
    patients: int
    seed: int = 1
    first_year: int = 2019
    last_year: int = 2023
    chunk_size: int = 10_000

    def __post_init__(self) -> None:
        if self.patients < 1:
            raise SynthError(f"--patients must be at least 1 (got {self.patients})")
        if not MIN_YEAR <= self.first_year <= self.last_year <= MAX_YEAR:
            raise SynthError(f"years must satisfy {MIN_YEAR} <= first <= last <= {MAX_YEAR} "
                             f"(got {self.first_year}-{self.last_year})")
        if self.chunk_size < 1:
            raise SynthError("chunk size must be at least 1")
        if self.chunks > MAX_CHUNKS:
            raise SynthError(f"{self.patients} patients need {self.chunks} chunks of "
                             f"{self.chunk_size}; at most {MAX_CHUNKS}: raise the chunk size")

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    @property
    def start(self) -> int:
        return day_of(dt.date(self.first_year, 1, 1))

    @property
    def end(self) -> int:
        return day_of(dt.date(self.last_year, 12, 31))

    @property
    def chunks(self) -> int:
        return -(-self.patients // self.chunk_size)


def parse_years(text: str) -> tuple[int, int]:
    """`2019-2023` or `2021` -> (first, last)."""
    first, _, last = text.strip().partition("-")
    try:
        a, b = int(first), int(last or first)
    except ValueError:
        raise SynthError(f"years must look like 2019-2023 (got {text!r})") from None
    if a > b:
        raise SynthError(f"year range {text!r} runs backwards")
    return a, b


def newcomer_room(params: SynthParams) -> int:
    """Numbers reserved per chunk for births and arrivals (about 1.4 % of people a year)."""
    return params.chunk_size * (1 + len(params.years) // 20)


def truth_path(out: Path) -> Path:
    return out.with_name(out.name + ".truth")


def _chunk(params: SynthParams, chunk: int, snds_dir: str, truth_dir: str) -> dict[str, int]:
    rng = np.random.default_rng([params.seed, chunk])
    first = chunk * params.chunk_size
    gids = np.arange(first, min(first + params.chunk_size, params.patients), dtype=np.int64)
    # People born or arriving during the period are numbered after the initial population, in a
    # range of their chunk's own.
    room = newcomer_room(params)
    people = make_people(rng, gids, params.start, params.end,
                         next_gid=params.patients + chunk * room, max_extra=room)
    care = make_care(rng, people, params.start, params.end)
    ids = Identities(params.seed, people)
    tables = {**beneficiaries(ids, params.end), **dcir(rng, ids, care, chunk),
              **pmsi(rng, ids, care, chunk, params.years, params.end),
              "IR_IMB_R": ald(ids, care), "KI_CCI_R": deaths(rng, ids)}
    rows = {}
    for name, table in tables.items():
        write_parquet(table, _part(snds_dir, name, chunk))
        rows[name] = table.num_rows
    for name, table in truth_tables(rng, ids).items():
        write_parquet(table, _part(truth_dir, name, chunk))
    return rows


def _part(root: str, table: str, chunk: int) -> Path:
    folder = Path(root) / table
    folder.mkdir(exist_ok=True)
    return folder / f"part-{chunk:05d}.parquet"


def truth_tables(rng: np.random.Generator, ids: Identities) -> dict[str, pa.Table]:
    """What really is: people with civil identity, pseudonym history, true conditions."""
    pe, geo = ids.people, geography()
    n = len(pe)
    first_names = [K.FIRST_NAMES[1], K.FIRST_NAMES[2]]
    first = np.array([first_names[s - 1][i % len(first_names[s - 1])]
                      for s, i in zip(pe.sex, rng.integers(0, 1 << 30, n), strict=True)],
                     dtype=object)
    last = np.array(K.SURNAMES, dtype=object)[rng.integers(0, len(K.SURNAMES), n)]
    twin_of = np.where(pe.rank == 2, pe.psa_owner, -1)
    persons = pa.table({
        "person_id": pe.gid,
        "nir": pa.array(nir(rng, pe.sex, pe.birth, geo.departments[pe.dept],
                            geo.communes[pe.commune]), pa.string()),
        "last_name": pa.array(last, pa.string()), "first_name": pa.array(first, pa.string()),
        "birth_date": dates(pe.birth), "sex": pe.sex.astype(np.int8),
        # People who joined from abroad (the others are insured from birth).
        "arrival_date": dates(np.where(pe.entry != pe.birth, pe.entry, NEVER)),
        "department": pick(geo.departments, pe.dept, pa.string()),
        "commune": pick(geo.communes, pe.commune, pa.string()),
        "death_date": dates(pe.death),
        "death_cause": pa.array(pe.death_code, pa.string(), mask=pe.death_code == ""),
        "twin_of": pa.array(twin_of, mask=twin_of < 0),
        "ben_nir_ano": ids.nir_ano, "ben_idt_ano": ids.idt_ano,
    })
    changed = pe.nir_change != NEVER
    psa_rows = np.concatenate([np.arange(n), np.flatnonzero(changed)])
    is_new = np.concatenate([np.zeros(n, bool), np.ones(int(changed.sum()), bool)])
    valid_to = np.where(is_new, NEVER, np.where(changed[psa_rows], pe.nir_change[psa_rows] - 1,
                                                NEVER))
    pseudonyms = pa.table({
        "person_id": pe.gid[psa_rows],
        "ben_nir_psa": ids.both.take(pa.array(psa_rows + is_new * n)),
        "ben_rng_gem": pe.rank[psa_rows].astype(np.int8),
        "valid_from": dates(np.where(is_new, pe.nir_change[psa_rows], NEVER)),
        "valid_to": dates(valid_to),
    })
    who, cond = np.nonzero(pe.has)
    conditions = pa.table({
        "person_id": pe.gid[who],
        "condition": pick([c.key for c in K.CONDITIONS], cond, pa.string()),
        "onset_date": dates(pe.onset[who, cond]),
    })
    return {"person": persons, "pseudonym": pseudonyms, "condition": conditions}


def nir(rng: np.random.Generator, sex: np.ndarray, birth: np.ndarray, dept: np.ndarray,
        commune: np.ndarray) -> list[str]:
    """Synthetic NIRs (15 characters) built like real ones: sex, year, month, place, order, key.

    The control key is 97 - (number mod 97), with Corsica's 2A/2B read as 19/18.
    """
    d = birth.astype("datetime64[D]")
    yy = (d.astype("datetime64[Y]").astype(int) + 1970) % 100
    mm = d.astype("datetime64[M]").astype(int) % 12 + 1
    order = rng.integers(1, 1000, len(sex))
    out = []
    for s, y, m, dp, com, o in zip(sex, yy, mm, dept, commune, order, strict=True):
        place = dp[1:] + com if not dp.startswith("97") else dp + com[-2:]
        body = f"{s}{y:02d}{m:02d}{place}{o:03d}"
        numeric = int(body.replace("2A", "19").replace("2B", "18"))
        out.append(f"{body}{97 - numeric % 97:02d}")
    return out


def generate(params: SynthParams, out: Path, *, truth: Path | None = None, force: bool = False,
             workers: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> tuple[Dataset, Dataset]:
    """Generate the synthetic SNDS into `out` and its truth into `truth` (default `out.truth`)."""
    out = Path(out)
    truth = Path(truth) if truth else truth_path(out)
    if out.absolute() == truth.absolute():
        raise SynthError("the truth must be written apart from the SNDS tables")
    for target in (out, truth):
        try:
            check_target(target, force=force)
        except LakeError as exc:
            raise SynthError(str(exc)) from None
    workers = max(1, min(workers or os.cpu_count() or 1, params.chunks))
    source = {"generator": GENERATOR, "parameters": asdict(params)}
    with DatasetWriter(out, kind="snds", source=source, schema_version=SCHEMA_VERSION,
                       force=force) as snds_w, \
            DatasetWriter(truth, kind="truth", source=source, schema_version="hygie-truth/1",
                          force=force) as truth_w:
        for name, table in referentials(params.years).items():
            write_parquet(table, snds_w.part_path(name, 0))
        done = 0
        args = [(params, c, str(snds_w.tmp), str(truth_w.tmp)) for c in range(params.chunks)]
        if workers == 1:
            for a in args:
                _chunk(*a)
                done += 1
                if progress:
                    progress(done, params.chunks)
        else:
            with ProcessPoolExecutor(workers) as pool:
                for _ in pool.map(_chunk, *zip(*args, strict=True)):
                    done += 1
                    if progress:
                        progress(done, params.chunks)
        truth_ds = truth_w.commit()
        snds_ds = snds_w.commit()
    return snds_ds, truth_ds
