"""Windows of require and exclude event criteria, relative to the index date, both bounds
included; `null` leaves a side open; the default is any time up to the index date."""

import pytest

from tests.spec.builder import Snds
from tests.spec.conftest import d, define

INDEX = "2021-06-30"
# Days from the index date of a person's one insulin dispensation.
OFFSETS = {"M366": "2020-06-29", "M365": "2020-06-30", "M1": "2021-06-29", "ZERO": "2021-06-30",
           "P1": "2021-07-01", "P30": "2021-07-30", "P31": "2021-07-31"}


def _db() -> Snds:
    db = Snds()
    for person, day in OFFSETS.items():
        db.person(person)
        db.dispensing(person, INDEX, atc="A10BA02")
        db.dispensing(person, day, atc="A10AE04")
    db.person("NO_INSULIN")
    db.dispensing("NO_INSULIN", INDEX, atc="A10BA02")
    return db


@pytest.mark.parametrize(("window", "inside"), [
    (["-365 days", "-1 day"], {"M365", "M1"}),
    (["0 days", "30 days"], {"ZERO", "P1", "P30"}),
    ([None, "-1 day"], {"M366", "M365", "M1"}),
    (["1 day", None], {"P1", "P30", "P31"}),
    ([None, None], set(OFFSETS)),
    (None, {"M366", "M365", "M1", "ZERO"}),  # the default: up to and including the index date
])
def test_window_bounds_in_require_and_exclude(run, window, inside):
    db = _db()
    everyone = {*OFFSETS, "NO_INSULIN"}
    criterion = {"dispensed": "insulins"} | ({"window": window} if window else {})
    entry = {"dispensed": "metformin"}
    required = run(db, define(entry, require=[criterion]))
    assert set(required) == inside and set(required.values()) == {d(INDEX)}
    assert set(run(db, define(entry, exclude=[criterion]))) == everyone - inside


def test_at_least_counts_distinct_days_in_the_window(run):
    db = Snds()
    for p in ("TWO_IN", "ONE_IN_ONE_OUT", "TWO_SAME_DAY"):
        db.person(p)
        db.dispensing(p, INDEX, atc="A10BA02")
    db.dispensing("TWO_IN", "2021-03-01", atc="A10AE04")
    db.dispensing("TWO_IN", "2021-04-01", atc="A10AE04")
    db.dispensing("ONE_IN_ONE_OUT", "2021-03-01", atc="A10AE04")
    db.dispensing("ONE_IN_ONE_OUT", "2020-01-01", atc="A10AE04")
    db.dispensing("TWO_SAME_DAY", "2021-03-01", atc="A10AE04")
    db.dispensing("TWO_SAME_DAY", "2021-03-01", atc="A10AE04")
    criterion = {"dispensed": "insulins", "at_least": 2, "window": ["-180 days", "0 days"]}
    entry = {"dispensed": "metformin"}
    assert set(run(db, define(entry, require=[criterion]))) == {"TWO_IN"}
    assert set(run(db, define(entry, exclude=[criterion]))) == {"ONE_IN_ONE_OUT", "TWO_SAME_DAY"}


def test_the_entry_code_list_in_an_exclusion_sees_earlier_events(run):
    """An incident-case definition: the same list as the entry, in the year before."""
    db = Snds()
    for p in ("INCIDENT", "PREVALENT", "LONG_AGO"):
        db.person(p)
    db.stay("INCIDENT", "2021-03-01", main="I500")
    db.stay("PREVALENT", "2021-03-01", main="I500")
    db.stay("PREVALENT", "2020-03-01", main="I501", year=2020)
    db.stay("LONG_AGO", "2021-03-01", main="I500")
    db.stay("LONG_AGO", "2020-02-28", main="I501", year=2020)  # 367 days before
    cohort = define({"hospitalised_for": "hf"},
                    exclude=[{"hospitalised_for": "hf", "window": ["-365 days", "-1 day"]}])
    assert run(db, cohort) == {"INCIDENT": d("2021-03-01"), "LONG_AGO": d("2021-03-01")}


def test_several_exclusions_on_other_code_lists_remove_only_their_people(run, attrition):
    db = Snds()
    for p in ("KEEP", "T1D", "INSULIN", "KEEP_TOO"):
        db.person(p)
        db.dispensing(p, INDEX, atc="A10BA02")
    db.stay("T1D", "2021-01-10", main="E105")
    db.dispensing("INSULIN", "2021-05-01", atc="A10AE04")
    db.visit("KEEP_TOO", "2021-01-01")
    cohort = define({"dispensed": "metformin"},
                    exclude=[{"diagnosed": "t1d"},
                             {"dispensed": "insulins", "window": ["-365 days", "-1 day"]}])
    assert set(run(db, cohort)) == {"KEEP", "KEEP_TOO"}
    assert attrition(db, cohort) == [4, 3, 2]
