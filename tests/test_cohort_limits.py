"""Bounds on cohort definitions: hostile definitions are refused with a message that names the
place, before anything is built from them, and compilation grows linearly with the criteria."""

from __future__ import annotations

import json

import pytest

from hygie.cohorts.limits import MAX_NODES, Limits, check_data, check_yaml
from hygie.cohorts.model import Cohort, DefinitionError

BASE = """name: hostile
title: t
period: {start: 2019-01-01, end: 2022-12-31}
codelists:
  f: {system: CIM10, codes: [F009]}
  d: {system: ATC, codes: [A10BA02]}
  l: {system: CIM10, codes: ["E11*"]}
entry:
  any_of:
    - hospitalised_for: f
    - dispensed: d
"""


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as err:
        Cohort.from_yaml(text)
    return err.value.problems


def test_yaml_nested_thousands_deep_is_refused_not_a_recursion_error():
    assert problems(BASE + "require: " + "[" * 9000 + "]" * 9000 + "\n") == [
        ("definition", "nested more than 32 levels deep")]


def test_json_nested_deep_is_refused():
    deep = json.dumps({"name": "x"})[:-1] + ', "require": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(DefinitionError):
        Cohort.from_json(deep)
    assert check_data([[[[]]]]) is None
    nested: list = []
    for _ in range(40):
        nested = [nested]
    assert check_data(nested) == "nested more than 32 levels deep"


def test_aliases_are_counted_expanded():
    # Each level repeats the one before ten times: 10^7 values in a few hundred bytes.
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    message = check_yaml("\n".join(levels) + "\n")
    assert message == f"more than {MAX_NODES:,} values once aliases are expanded"
    assert problems(BASE + "\n".join(levels) + "\n")[0][1] == message
    # A few aliases stay usable.
    ok = BASE + "require:\n  - &r {dispensed: d}\nexclude:\n  - *r\n"
    assert len(Cohort.from_yaml(ok).exclude) == 1


@pytest.mark.parametrize(("change", "place", "message"), [
    (("2019-01-01", "0001-01-01"), "period.start", "0001-01-01 lies outside 1900-2100"),
    (("2022-12-31", "9999-12-31"), "period.end", "9999-12-31 lies outside 1900-2100"),
])
def test_dates_outside_the_snds_are_refused(change, place, message):
    assert (place, message) in problems(BASE.replace(*change))


@pytest.mark.parametrize(("criterion", "place", "message"), [
    ("{dispensed: d, at_least: 2, within: 100000000000000000000 days}", "require[0].within",
     "longer than 36,525 days"),
    ("{dispensed: d, window: [-100000000000000000000 days, 0 days]}", "require[0].window",
     "longer than 36,525 days"),
    ("{dispensed: d, at_least: 100000000000000000000}", "require[0].at_least", "at most 10000"),
    ("{age_on: {date: 0001-01-01, min: 50}}", "require[0].age_on.date", "lies outside 1900-2100"),
    ("{ald_active: l, on: 9999-01-01}", "require[0].on", "lies outside 1900-2100"),
    ("{alive: 9999-12-31}", "require[0].alive", "lies outside 1900-2100"),
])
def test_numbers_past_their_bounds_are_refused(criterion, place, message):
    found = problems(BASE + f"require:\n  - {criterion}\n")
    assert any(p.startswith(place) and message in m for p, m in found), found


def test_the_documented_on_key_is_a_key_not_a_boolean():
    """YAML 1.1 reads `on` as True: `ald_active: L` with `on: 2022-01-01` failed to load."""
    cohort = Cohort.from_yaml(BASE + "require:\n  - ald_active: l\n    on: 2021-06-01\n")
    assert str(cohort.require[0].on) == "2021-06-01"
    assert Cohort.from_yaml(BASE + "quality_filters: false\n").quality_filters is False


def test_limits_count_criteria_codes_and_values():
    many = BASE + "require:\n" + "  - {dispensed: d}\n" * 101
    assert Limits().problems(Cohort.from_yaml(many)) == [
        ("definition", "103 entry events and criteria; at most 100")]
    assert Limits(codes=1).problems(Cohort.from_yaml(BASE)) == [
        ("codelists", "3 codes; at most 1")]
    assert Limits().problems(Cohort.from_yaml(BASE)) == []


def test_compilation_grows_linearly_with_the_criteria():
    """800 criteria took 92 s and 673 MB of worker time: every step's count ANDed all the
    criteria before it. The SQL of twice the criteria must be about twice as long."""
    def size(n: int) -> int:
        text = BASE + "require:\n" + "  - {dispensed: d}\n" * n
        cohort = Cohort.from_yaml(text)
        return len(cohort.sql("duckdb", attrition=True, pretty=False))

    small, large = size(40), size(160)
    assert large / small < 4.5, (small, large)  # quadratic growth would give about 16
