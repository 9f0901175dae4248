"""Feasibility counts by the cell-key method (as the Australian Bureau of Statistics uses it).

Each person gets a record key: the first 8 hex digits of HMAC-SHA256(secret, person id), read as an
integer r in [0, 2^32) and standing for r / 2^32 in [0, 1). The cell key of a count is the sum of
its people's record keys modulo 1 (exactly: the sum of the integers modulo 2^32). A fixed
perturbation table turns the cell key into noise in [-D, D]; the noisy count is rounded to a base
and hidden when below the threshold. The same people always give the same cell key, so asking again
(or asking differently for the same people) gives the same answer; any other set of people has a
cell key that, without the secret, is uniform and independent of the first, so the noise of two
overlapping queries does not cancel in their difference.

In an engine, record keys are computed in SQL from the engine's own `hmac_sha256` and only the count
and the sum of keys leave the database: see `CellKey.query`.
"""

from __future__ import annotations

import hashlib
import hmac
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from sqlglot import exp

from hygie.sdc.released import THRESHOLD, Reason, Released, SdcError, check_count

if TYPE_CHECKING:
    from hygie.engine.engines import Engine
    from hygie.pseudo.keys import Secret

KEY_HEX_DIGITS = 8
KEY_MODULUS = 1 << (4 * KEY_HEX_DIGITS)  # 2^32: record keys are r / KEY_MODULUS
MIN_SECRET_BYTES = 32
MAX_SECRET_BYTES = 64  # the SQL HMAC works on keys no longer than the SHA-256 block


class PerturbationTable:
    """Noise values with integer weights; the cell key picks a value by its cumulative weight.

    The table must be symmetric (so the noise has mean 0). It has one row for every count: counts
    below the threshold are hidden before any noise is drawn, so the rows that the ABS tables adapt
    for small counts (no negative results, no 1s and 2s) are never needed.
    """

    def __init__(self, weights: Mapping[int, int]) -> None:
        if not weights:
            raise SdcError("a perturbation table needs at least one noise value")
        for d, w in weights.items():
            if not isinstance(d, int) or not isinstance(w, int) or w <= 0:
                raise SdcError(f"noise {d!r} must be an integer with a positive integer weight")
            if weights.get(-d) != w:
                raise SdcError(f"the table must be symmetric: noise {d} and {-d} differ in weight")
        self.weights = dict(sorted(weights.items()))
        self.noises = tuple(self.weights)
        total = sum(self.weights.values())
        cumulative = 0
        cuts = []
        for w in self.weights.values():
            cumulative += w
            cuts.append(-(-cumulative * KEY_MODULUS // total))  # ceil: key < cut <=> below
        self._cuts = tuple(cuts)
        self._total = total

    @property
    def max_noise(self) -> int:
        """D: no released count is further than D from the true count, before rounding."""
        return max(abs(d) for d in self.noises)

    @property
    def variance(self) -> Fraction:
        return Fraction(sum(w * d * d for d, w in self.weights.items()), self._total)

    def probabilities(self) -> dict[int, Fraction]:
        """The exact probability of each noise value for a uniform 32-bit cell key."""
        lows = (0, *self._cuts[:-1])
        return {d: Fraction(hi - lo, KEY_MODULUS)
                for d, lo, hi in zip(self.noises, lows, self._cuts, strict=True)}

    def noise(self, cell_key: int) -> int:
        """The noise for a cell key given as an integer in [0, 2^32)."""
        if not 0 <= cell_key < KEY_MODULUS:
            raise SdcError(f"a cell key must lie in [0, 2^32), not {cell_key}")
        return self.noises[bisect_right(self._cuts, cell_key)]

    def __repr__(self) -> str:
        return f"PerturbationTable(D={self.max_noise}, variance={float(self.variance):.3f})"


# Weights per thousand of a discrete Gaussian truncated at D = 5, variance 5.998 (sd 2.45).
DEFAULT_PTABLE = PerturbationTable({0: 150, 1: 140, -1: 140, 2: 116, -2: 116, 3: 84, -3: 84,
                                    4: 54, -4: 54, 5: 31, -5: 31})


def round_to_base(value: int, base: int) -> int:
    """Round to the nearest multiple of `base`, halves up."""
    return (2 * value + base) // (2 * base) * base


def cell_key_of(record_keys: np.ndarray) -> float:
    """The cell key (sum mod 1) of record keys in [0, 1) that are multiples of 2^-32, exactly."""
    units = np.rint(np.asarray(record_keys, dtype=np.float64) * KEY_MODULUS).astype(np.uint64)
    total = int(units.sum(dtype=np.uint64))  # wraps modulo 2^64, which keeps the sum modulo 2^32
    return (total % KEY_MODULUS) / KEY_MODULUS


class CellKey:
    """Release counts of people under the cell-key method.

    `secret` is a key of 32 to 64 bytes kept apart from the data and used for nothing else (derive
    it with `CellKey.from_secret`). It must stay the same for as long as counts are released:
    a new secret gives fresh noise for every query, which an attacker can average.
    """

    def __init__(self, secret: bytes, *, ptable: PerturbationTable = DEFAULT_PTABLE, base: int = 5,
                 threshold: int = THRESHOLD) -> None:
        if not isinstance(secret, bytes) or not MIN_SECRET_BYTES <= len(secret) <= MAX_SECRET_BYTES:
            raise SdcError(f"the cell-key secret must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} "
                           "bytes")
        if base < 1:
            raise SdcError(f"the rounding base must be at least 1, not {base}")
        if threshold < 1:
            raise SdcError(f"the threshold must be at least 1, not {threshold}")
        self._secret = secret
        self.ptable = ptable
        self.base = base
        self.threshold = threshold

    @classmethod
    def from_secret(cls, secret: Secret, *, ptable: PerturbationTable = DEFAULT_PTABLE,
                    base: int = 5, threshold: int = THRESHOLD) -> CellKey:
        """A cell key derived from the platform's master secret (its own HKDF `info`)."""
        return cls(secret.derive("sdc:cell-key"), ptable=ptable, base=base, threshold=threshold)

    def __repr__(self) -> str:
        return f"CellKey(secret=****, base={self.base}, {self.ptable!r})"

    # -- record and cell keys, in Python -------------------------------------------------------

    def record_key(self, person_id: str | int) -> int:
        """A person's record key as an integer in [0, 2^32): the key is this / 2^32."""
        digest = hmac.new(self._secret, str(person_id).encode("utf-8"), hashlib.sha256).hexdigest()
        return int(digest[:KEY_HEX_DIGITS], 16)

    def record_keys(self, person_ids: Iterable[str | int]) -> np.ndarray:
        """Record keys in [0, 1) (float64, exact multiples of 2^-32), one per id, in order."""
        units = np.fromiter((self.record_key(p) for p in person_ids), dtype=np.uint64)
        return units.astype(np.float64) / KEY_MODULUS

    def cell_key(self, person_ids: Iterable[str | int]) -> float:
        """The cell key of a set of people (duplicates count once)."""
        return cell_key_of(self.record_keys({str(p) for p in person_ids}))

    # -- release -------------------------------------------------------------------------------

    def release(self, count: int, cell_key: float) -> Released:
        """The released form of `count` people whose record keys sum to `cell_key` modulo 1.

        Hidden (`<11`) when the true count is below the threshold (0 included), or when the
        perturbed and rounded count is; otherwise count + noise, rounded to the base.
        """
        n = check_count(count)
        if not 0 <= cell_key < 1:
            raise SdcError(f"a cell key lies in [0, 1), not {cell_key!r}")
        return self._release(n, int(cell_key * KEY_MODULUS))

    def release_sum(self, count: int, key_sum: int) -> Released:
        """Like `release`, from the sum of the integer record keys (any size; taken mod 2^32)."""
        return self._release(check_count(count), int(key_sum) % KEY_MODULUS)

    def count(self, person_ids: Iterable[str | int]) -> Released:
        """The released count of a set of people given by their identifiers."""
        people = {str(p) for p in person_ids}
        return self.release(len(people), cell_key_of(self.record_keys(people)))

    def _release(self, n: int, key: int) -> Released:
        hidden = Released(None, Reason.BELOW_THRESHOLD, threshold=self.threshold)
        if n < self.threshold:
            return hidden
        value = round_to_base(n + self.ptable.noise(key), self.base)
        if value < self.threshold:
            return hidden
        return Released(value, Reason.PERTURBED, base=self.base, threshold=self.threshold)

    # -- in the engine ---------------------------------------------------------------------------

    def query(self, engine: Engine, persons: exp.Expression | str, person_column: str,
              by: Sequence[str] = ()) -> exp.Select:
        """SQL giving `n` (distinct people) and `key_sum` (their record keys summed mod 2^32).

        `persons` is a query (DuckDB dialect) with one row per person or per event; the person
        column must hold the canonical person identifier (one per person), compared as text. With
        `by`, one row per group (the `by` columns first; empty groups have no row). The HMAC
        comes from the engine's `hmac_sha256`: no record key leaves the database.
        """
        from hygie.engine.engines import parse

        source = parse(persons) if isinstance(persons, str) else persons
        if not isinstance(source, exp.Query):
            raise SdcError("persons must be a query (SELECT ...)")
        pid = exp.column(person_column)
        groups = [exp.column(c) for c in by]
        people = (exp.select(*(g.copy() for g in groups), pid.copy()).distinct()
                  .from_(source.subquery("q"))
                  .where(exp.Not(this=exp.Is(this=pid.copy(), expression=exp.Null()))))
        digest = engine.hmac_sha256(self._secret, exp.cast(pid.copy(), "VARCHAR"))
        keys = exp.select(*(g.copy() for g in groups),
                          engine.dialect.record_key(digest, KEY_HEX_DIGITS).as_("rk")).from_(
            people.subquery("d"))
        key_sum = exp.Mod(this=exp.Coalesce(this=exp.Sum(this=exp.column("rk")),
                                            expressions=[exp.Literal.number(0)]),
                          expression=exp.Literal.number(KEY_MODULUS))
        out = exp.select(*(g.copy() for g in groups), exp.Count(this=exp.Star()).as_("n"),
                         exp.cast(exp.Paren(this=key_sum), "BIGINT").as_("key_sum")).from_(
            keys.subquery("k"))
        return out.group_by(*(g.copy() for g in groups)) if groups else out

    def release_query(self, engine: Engine, persons: exp.Expression | str,
                      person_column: str) -> Released:
        """Run `query` in the engine and release its count."""
        row = engine.arrow(self.query(engine, persons, person_column)).to_pylist()[0]
        return self.release_sum(row["n"], row["key_sum"])

