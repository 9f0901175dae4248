"""The chain's walk on its own (no database): every single tampering of a log is found, and the
first problem is named with its kind and number."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hygie.web.audit.chain import (
    GENESIS,
    START,
    Anchor,
    Entry,
    Problem,
    Report,
    canonical_json,
    check_head,
    check_kept_head,
    verify_export,
    walk,
)


def chained(contents: list[dict]) -> list[Entry]:
    """A well-formed chain of entries with these contents."""
    log, prev = [], GENESIS
    for seq, content in enumerate(contents, 1):
        entry = Entry(seq=seq, prev_hash=prev, **content)
        entry = replace(entry, hash=entry.computed_hash())
        log.append(entry)
        prev = entry.hash
    return log


def content(i: int, **changes: object) -> dict:
    base = {"at": f"2026-01-01T00:00:{i % 60:02d}.{i:06d}+00:00", "actor_id": i % 3 or None,
            "actor": f"user{i % 3}", "action": "search.index_rebuilt", "target_type": "",
            "target_id": "", "target_repr": "", "detail": {"n": i}, "ip": "192.0.2.1"}
    return {**base, **changes}


def check(log: list[Entry], kept: Anchor | None = None, head: Anchor | None = None) -> Report:
    report = walk(lambda: iter(log), START, watch=kept.seq if kept else None)
    check_head(report, head)
    if kept is not None:
        check_kept_head(report, kept)
    return report


def fault(report: Report) -> Problem:
    """The problem a report must have found."""
    assert report.problem is not None, report.summary()
    return report.problem


def head_of(log: list[Entry]) -> Anchor:
    return Anchor(log[-1].seq, log[-1].hash) if log else START


def test_an_intact_log_verifies():
    log = chained([content(i) for i in range(10)])
    report = check(log, head_of(log), head_of(log))
    assert report.intact and report.entries == 10 and report.last == head_of(log)
    assert report.summary() == f"10 entries, chain intact, head 10:{log[-1].hash}"


def test_the_hash_does_not_depend_on_how_a_database_gives_the_detail_back():
    """jsonb reorders keys and gives 1e20 back as an integer; SQLite keeps the text."""
    stored = chained([content(1, detail={"b": [1.0, 2.5], "a": {"y": 1e20, "x": None}})])[0]
    read_back = replace(stored, detail={"a": {"x": None, "y": 10**20}, "b": [1, 2.5]})
    assert read_back.computed_hash() == stored.hash
    assert replace(stored, detail={"a": {"x": None, "y": 10**20}, "b": [1, 2.4]}) \
        .computed_hash() != stored.hash


def test_each_kind_of_tampering_is_named_with_its_number():
    log = chained([content(i) for i in range(10)])
    altered = [*log[:3], replace(log[3], detail={"n": 99}), *log[4:]]
    assert str(fault(check(altered))) == "altered at seq 4: its content does not match its hash"

    removed = log[:5] + log[6:]
    assert (fault(check(removed)).kind, fault(check(removed)).seq) == ("removed", 6)

    # Contents exchanged, each row keeping its number and hashes.
    a, b = log[2], log[7]
    swapped = list(log)
    swapped[2] = replace(b, seq=a.seq, prev_hash=a.prev_hash, hash=a.hash)
    swapped[7] = replace(a, seq=b.seq, prev_hash=b.prev_hash, hash=b.hash)
    problem = fault(check(swapped))
    assert (problem.kind, problem.seq) == ("reordered", 3)
    assert "content of entry 8" in problem.message

    # Whole rows renumbered into each other's place.
    moved = list(log)
    moved[2], moved[7] = replace(b, seq=3), replace(a, seq=8)
    assert (fault(check(moved)).kind, fault(check(moved)).seq) == ("reordered", 3)

    # One entry replaced by a forged one, its own hash recomputed: the next no longer follows.
    forged = replace(log[4], detail={"n": -4})
    rewritten = [*log[:4], replace(forged, hash=forged.computed_hash()), *log[5:]]
    problem = fault(check(rewritten))
    assert (problem.kind, problem.seq) == ("removed", 6)

    # The same entry twice (in a file: the database's numbers are unique).
    problem = fault(check([*log[:5], log[4], *log[5:]]))
    assert (problem.kind, problem.seq) == ("reordered", 5)

    truncated = log[:7]
    problem = fault(check(truncated, head=head_of(log)))
    assert (problem.kind, problem.seq) == ("truncated", 8)
    # ...the head rewritten too: only a head kept elsewhere sees it.
    assert check(truncated, head=head_of(truncated)).intact
    problem = fault(check(truncated, kept=head_of(log), head=head_of(truncated)))
    assert (problem.kind, problem.seq) == ("truncated", 8)


def test_a_rewritten_chain_is_caught_by_a_kept_head():
    log = chained([content(i) for i in range(10)])
    kept = Anchor(log[5].seq, log[5].hash)
    forged = chained([content(i, detail={"n": -1}) if i == 4 else content(i) for i in range(12)])
    assert check(forged, head=head_of(forged)).intact  # self-consistent...
    problem = fault(check(forged, kept=kept, head=head_of(forged)))
    assert (problem.kind, problem.seq) == ("head", 6)  # ...but not the chain the officer saw
    assert check(log, kept=kept, head=head_of(log)).intact


# --- property: any single tampering fails ---------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=8)
contents: st.SearchStrategy[dict[str, Any]] = st.builds(
    dict, at=st.sampled_from(["2026-01-01T00:00:00.000000+00:00",
                              "2026-01-01T00:00:00.000001+00:00"]),
    actor_id=st.none() | st.integers(1, 3), actor=st.sampled_from(["", "alice", "bob"]),
    action=st.sampled_from(["account.login", "guichet.step"]),
    target_type=st.sampled_from(["", "guichet.File"]), target_id=st.sampled_from(["", "1", "2"]),
    target_repr=st.text(max_size=5), detail=st.dictionaries(st.text(max_size=4), json_values,
                                                            max_size=3),
    ip=st.sampled_from([None, "192.0.2.1", "2001:db8::1"]))
FIELDS = ["at", "actor_id", "actor", "action", "target_type", "target_id", "target_repr",
          "detail", "ip", "prev_hash", "hash", "seq"]


@st.composite
def tampered_logs(draw: st.DrawFn) -> tuple[list[Entry], list[Entry]]:
    log = chained(draw(st.lists(contents, min_size=1, max_size=12)))
    kind = draw(st.sampled_from(["alter", "forge", "delete", "swap", "truncate", "insert",
                                 "move"]))
    i = draw(st.integers(0, len(log) - 1))
    bad = list(log)
    if kind == "alter":
        name = draw(st.sampled_from(FIELDS))
        value: Any = draw({
            "actor_id": st.none() | st.integers(0, 5), "seq": st.integers(1, 20),
            "detail": st.dictionaries(st.text(max_size=4), json_values, max_size=3),
            "ip": st.sampled_from([None, "192.0.2.2", "::1"])}.get(name, st.text(max_size=64)))
        assume(value != getattr(log[i], name))
        bad[i] = replace(log[i], **{name: value})
    elif kind == "forge":  # content changed and the entry's own hash recomputed
        forged = replace(log[i], **draw(contents))
        assume(forged.content() != log[i].content())
        bad[i] = replace(forged, hash=forged.computed_hash())
    elif kind == "delete":
        del bad[i]
    elif kind == "swap":
        j = draw(st.integers(0, len(log) - 1))
        a, b = log[i], log[j]
        chain_fields = ("seq", "prev_hash", "hash")
        assume({k: v for k, v in a.content().items() if k not in chain_fields}
               != {k: v for k, v in b.content().items() if k not in chain_fields})
        bad[i] = replace(b, seq=a.seq, prev_hash=a.prev_hash, hash=a.hash)
        bad[j] = replace(a, seq=b.seq, prev_hash=b.prev_hash, hash=b.hash)
    elif kind == "truncate":
        del bad[i:]
    elif kind == "insert":  # a forged entry, hash computed by the forger
        forged = Entry(seq=log[i].seq, prev_hash=log[i].prev_hash, **draw(contents))
        forged = replace(forged, hash=forged.computed_hash())
        assume(forged.hash != log[i].hash)
        bad.insert(i, forged)
    else:  # an entry moved to the end
        assume(i < len(log) - 1)
        bad.append(bad.pop(i))
    return log, bad


@given(tampered_logs())
def test_any_single_tampering_fails_against_a_kept_head(logs):
    log, bad = logs
    assert check(log, head_of(log), head_of(log)).intact
    # The tamperer also rewrote the database's head to the end of what is left.
    assert not check(bad, kept=head_of(log), head=head_of(bad)).intact


# --- export files ---------------------------------------------------------------------------------


def lines(log: list[Entry]) -> list[str]:
    return [entry.to_json() + "\n" for entry in log]


def test_an_export_verifies_on_its_own_from_its_first_entry():
    log = chained([content(i) for i in range(10)])
    part = lines(log[3:8])  # a period: starts wherever the first entry links
    assert verify_export(lambda: iter(part)).summary().startswith("5 entries, from")
    assert verify_export(lambda: iter(part), Anchor(log[5].seq, log[5].hash)).intact
    assert fault(verify_export(lambda: iter(part), Anchor(log[9].seq, log[9].hash))).kind == \
        "truncated"
    altered = [*part[:2], part[2].replace('"n":5', '"n":6'), *part[3:]]
    assert str(fault(verify_export(lambda: iter(altered)))).startswith("altered at seq 6")


@pytest.mark.parametrize("line", [
    "not json", "[]", '{"seq": 1}', canonical_json({"a": 1}),
    "[" * 100_000, '{"seq":' + "[" * 100 + "]" * 100 + "}",
])
def test_a_malformed_line_is_reported_not_raised(line):
    log = chained([content(i) for i in range(3)])
    problem = fault(verify_export(lambda: iter([*lines(log), line + "\n"])))
    assert problem.kind == "malformed" and "line 4" in problem.message


def test_a_field_of_the_wrong_type_is_malformed():
    entry = chained([content(1)])[0]
    for field, value in [("seq", "1"), ("seq", 0), ("actor_id", 1.5), ("detail", []),
                         ("ip", "not an address"), ("hash", None)]:
        line = canonical_json({**entry.content(), "hash": entry.hash, field: value})
        assert fault(verify_export([line].copy)).kind == "malformed", field
