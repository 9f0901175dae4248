"""The opposition register: objections, withdrawals and which of them apply to an authorisation;
older files without withdrawals; concurrent writers that must not lose a change."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hygie.engine.lake import write_parquet
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import SCHEMA, OppositionRegister, opposition_hash

SECRET = Secret(bytes(range(32)))
D = dt.date


def hashes(table: pa.Table) -> set[str]:
    return set(table.column("OPPOSITION_HASH").to_pylist())


def h(*keys: str) -> set[str]:
    return {opposition_hash(SECRET, k) for k in keys}


def test_a_withdrawal_applies_to_later_authorisations_only(tmp_path):
    reg = OppositionRegister(tmp_path / "oppositions.parquet")
    assert reg.register(SECRET, ["A", "B"], on=D(2025, 1, 10)) == 2
    assert reg.withdraw(SECRET, ["A"], on=D(2025, 3, 1)) == 1
    assert hashes(reg.table()) == h("B")  # a count today: A withdrew
    assert hashes(reg.table(D(2025, 3, 2))) == h("B")  # authorised after the withdrawal
    assert hashes(reg.table(D(2025, 3, 1))) == h("B")  # the same day: the withdrawal applies
    assert hashes(reg.table(D(2025, 2, 28))) == h("A", "B")  # authorised before: still left out
    # An objection applies to every later extraction, whenever the project was authorised.
    assert hashes(reg.table(D(2020, 1, 1))) == h("A", "B")
    assert len(reg) == 1


def test_the_engines_see_the_same_two_columns(tmp_path):
    reg = OppositionRegister(tmp_path / "oppositions.parquet")
    reg.register(SECRET, ["A"], on=D(2025, 1, 10))
    reg.withdraw(SECRET, ["A"], on=D(2025, 2, 1))
    for table in (reg.table(), reg.table(D(2025, 1, 20)), reg.table(D(2025, 2, 1))):
        assert table.schema == SCHEMA
    assert reg.table(D(2025, 1, 20)).to_pylist() == [
        {"OPPOSITION_HASH": opposition_hash(SECRET, "A"), "REGISTERED_ON": D(2025, 1, 10)}]


def test_objecting_again_after_a_withdrawal_puts_it_back_in_force(tmp_path):
    reg = OppositionRegister(tmp_path / "oppositions.parquet")
    reg.register(SECRET, ["A"], on=D(2025, 1, 10))
    assert reg.register(SECRET, ["A"], on=D(2025, 1, 11)) == 0  # in force: nothing changes
    assert reg.withdraw(SECRET, ["A"], on=D(2025, 2, 1)) == 1
    assert reg.withdraw(SECRET, ["A"], on=D(2025, 2, 2)) == 0  # withdrawn already
    assert reg.withdraw(SECRET, ["nobody"], on=D(2025, 2, 2)) == 0
    assert reg.register(SECRET, ["A"], on=D(2025, 4, 1)) == 1
    rows = reg.entries().to_pylist()
    assert rows == [{"OPPOSITION_HASH": opposition_hash(SECRET, "A"),
                     "REGISTERED_ON": D(2025, 4, 1), "WITHDRAWN_ON": None}]
    assert hashes(reg.table(D(2025, 3, 1))) == h("A")  # in force again, for everyone


def test_a_register_written_before_withdrawals_is_read_as_never_withdrawn(tmp_path):
    path = tmp_path / "oppositions.parquet"
    old = pa.table({"OPPOSITION_HASH": sorted(h("A", "B")), "REGISTERED_ON": [D(2024, 5, 1)] * 2},
                   schema=SCHEMA)
    write_parquet(old, path)
    reg = OppositionRegister(path)
    assert hashes(reg.table()) == h("A", "B")
    assert hashes(reg.table(D(2000, 1, 1))) == h("A", "B")
    assert reg.withdraw(SECRET, ["A"], on=D(2025, 1, 1)) == 1
    assert pq.read_schema(path).names == ["OPPOSITION_HASH", "REGISTERED_ON", "WITHDRAWN_ON"]
    assert hashes(reg.table()) == h("B")


def test_an_empty_register_written_by_init_still_reads(tmp_path):
    path = tmp_path / "oppositions.parquet"
    write_parquet(SCHEMA.empty_table(), path)
    reg = OppositionRegister(path)
    assert reg.table().num_rows == 0 and reg.table(D(2025, 1, 1)).schema == SCHEMA


def test_a_file_that_is_not_a_register_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.parquet"
    write_parquet(pa.table({"x": [1, 2]}), path)
    before = path.read_bytes()
    with pytest.raises(pa.ArrowInvalid):
        OppositionRegister(path).register(SECRET, ["A"])
    assert path.read_bytes() == before


def test_only_keyed_hashes_are_stored_and_no_file_is_left_beside_it(tmp_path):
    reg = OppositionRegister(tmp_path / "oppositions.parquet")
    reg.register(SECRET, ["PERSON-1"], on=D(2025, 1, 1))
    reg.withdraw(SECRET, ["PERSON-1"], on=D(2025, 1, 2))
    assert b"PERSON-1" not in (tmp_path / "oppositions.parquet").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["oppositions.parquet"]  # no lock, no temp


# --- concurrent writers ------------------------------------------------------------------------

def _writer(path: str, worker: int, start: object, keys_each: int) -> None:
    """One staff member accepting objections one at a time (and withdrawing every third)."""
    reg = OppositionRegister(Path(path))
    start.wait()  # type: ignore[attr-defined]
    for i in range(keys_each):
        reg.register(SECRET, [f"w{worker}-{i}"], on=D(2025, 1, 1))
        if i % 3 == 2:
            reg.withdraw(SECRET, [f"w{worker}-{i - 1}"], on=D(2025, 1, 2))


def test_concurrent_writers_lose_no_change(tmp_path):
    """Eight processes read-modify-replace the same file at once; every change is there."""
    path = tmp_path / "oppositions.parquet"
    workers, keys_each = 8, 12
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(workers)
    procs = [ctx.Process(target=_writer, args=(str(path), w, start, keys_each))
             for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    reg = OppositionRegister(path)
    withdrawn = {f"w{w}-{i - 1}" for w in range(workers) for i in range(keys_each) if i % 3 == 2}
    everyone = {f"w{w}-{i}" for w in range(workers) for i in range(keys_each)}
    assert hashes(reg.table(D(2025, 1, 1))) == h(*everyone)
    assert hashes(reg.table()) == h(*(everyone - withdrawn))
    assert [p.name for p in tmp_path.iterdir()] == ["oppositions.parquet"]


# --- the rule, against an independent model -------------------------------------------------------

PEOPLE = ["p0", "p1", "p2"]
OPS = st.lists(st.tuples(st.sampled_from(["register", "withdraw"]), st.sampled_from(PEOPLE),
                         st.integers(0, 5)), max_size=14)


def model_in_force(history: list[tuple[str, str, dt.date]], authorised_on: dt.date | None
                   ) -> set[str]:
    """Who is left out of an extraction authorised on `authorised_on`, read off the history of
    requests: a person whose last objection still stands, or whose last objection was withdrawn
    only after the authorisation (never for a count, which has no authorisation)."""
    out = set()
    for person in PEOPLE:
        objected, withdrawn_on = False, None
        for kind, who, day in history:
            if who != person:
                continue
            if kind == "register" and (not objected or withdrawn_on is not None):
                objected, withdrawn_on = True, None
            elif kind == "withdraw" and objected and withdrawn_on is None:
                withdrawn_on = day
        if not objected:
            continue
        if withdrawn_on is None or (authorised_on is not None and withdrawn_on > authorised_on):
            out.add(person)
    return out


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, data=st.data())
def test_in_force_matches_the_model(tmp_path_factory, ops, data):
    reg = OppositionRegister(tmp_path_factory.mktemp("reg") / "oppositions.parquet")
    start, day, history = D(2025, 1, 1), 0, []
    for kind, person, step in ops:
        day += step * 7  # requests come in day order, some on the same day
        on = start + dt.timedelta(days=day)
        getattr(reg, kind)(SECRET, [person], on=on)
        history.append((kind, person, on))
    # No authorisation (a count), or one the day before, of or after one of the requests.
    day_of = data.draw(st.sampled_from([None, *sorted({on for _, _, on in history})]))
    offset = data.draw(st.sampled_from([0, -1, 1]))
    authorised_on = None if day_of is None else day_of + dt.timedelta(days=offset)
    assert hashes(reg.table(authorised_on)) == h(*model_in_force(history, authorised_on))
