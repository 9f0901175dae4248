"""Calendar windows of event criteria: the events of a year (`in_year`) or of a span of days
(`between`), whatever the index date, both bounds included."""

import pytest

from hygie.cohorts import DefinitionError
from tests.spec.builder import Snds
from tests.spec.conftest import define

ENTRY = {"dispensed": "metformin"}
PERIOD = {"start": "2022-01-01", "end": "2022-12-31"}


def _db() -> Snds:
    """Everyone enters in 2022; their insulin dispensings lie around 2021."""
    db = Snds()
    days = {"THREE_IN_2021": ("2021-01-01", "2021-06-01", "2021-12-31"),
            "TWO_IN_2021": ("2020-12-31", "2021-06-01", "2021-12-31"),
            "THREE_SAME_DAY": ("2021-06-01", "2021-06-01", "2021-06-01"),
            "THREE_LATER": ("2022-01-01", "2022-02-01", "2022-03-01"),
            "NONE": ()}
    for person, dates in days.items():
        db.person(person)
        db.dispensing(person, "2022-06-30", atc="A10BA02")
        for day in dates:
            db.dispensing(person, day, atc="A10AE04")
    return db


def test_at_least_three_in_a_year(run):
    db = _db()
    criterion = {"dispensed": "insulins", "at_least": 3, "in_year": 2021}
    assert set(run(db, define(ENTRY, require=[criterion], period=PERIOD))) == {"THREE_IN_2021"}
    assert set(run(db, define(ENTRY, exclude=[criterion], period=PERIOD))) == \
        {"TWO_IN_2021", "THREE_SAME_DAY", "THREE_LATER", "NONE"}


def test_between_two_days_both_included(run):
    db = _db()
    criterion = {"dispensed": "insulins", "at_least": 2,
                 "between": ["2020-12-31", "2021-06-01"]}
    assert set(run(db, define(ENTRY, require=[criterion], period=PERIOD))) == \
        {"TWO_IN_2021", "THREE_IN_2021"}
    criterion["between"] = ["2021-01-01", "2021-06-01"]
    assert set(run(db, define(ENTRY, require=[criterion], period=PERIOD))) == {"THREE_IN_2021"}
    after_index = {"dispensed": "insulins", "between": ["2022-02-01", "2022-02-01"]}
    # a calendar window may lie after the index date
    assert set(run(db, define(ENTRY, require=[after_index], period=PERIOD))) == {"THREE_LATER"}


@pytest.mark.parametrize(("criterion", "place", "message"), [
    ({"dispensed": "insulins", "in_year": 2021, "window": ["-1 day", "0 days"]},
     "require[0].in_year", "give one of window, in_year or between"),
    ({"dispensed": "insulins", "between": ["2021-12-31", "2021-01-01"]},
     "require[0].between", "ends (2021-01-01) before it starts"),
    ({"dispensed": "insulins", "in_year": 21}, "require[0].in_year", "at least 1900"),
    ({"dispensed": "insulins", "between": ["2021-01-01"]}, "require[0].between",
     "[first day, last day]"),
])
def test_bad_calendar_windows_name_their_place(criterion, place, message):
    with pytest.raises(DefinitionError) as err:
        define(ENTRY, require=[criterion])
    assert any(p == place and message in m for p, m in err.value.problems), err.value.problems


def test_entry_events_take_no_calendar_window():
    with pytest.raises(DefinitionError) as err:
        define({"dispensed": "metformin", "in_year": 2021})
    assert err.value.problems[0][0] == "entry.any_of[0].in_year"


def test_a_calendar_window_outside_the_data_is_an_error_naming_its_place(tmp_path):
    from hygie.cohorts.run import CohortError

    db = Snds()
    db.person("P")
    db.stay("P", "2021-03-01", main="I500")
    db.stay("P", "2022-03-01", main="I500")  # PMSI tables of 2021 and 2022
    dataset = db.write(tmp_path / "snds")
    inside = define(ENTRY, require=[{"dispensed": "insulins", "in_year": 2022},
                                    {"alive": "2021-01-01"}])
    assert inside.count(dataset) == 0
    outside = define(ENTRY, exclude=[{"dispensed": "insulins", "in_year": 2022},
                                     {"dispensed": "insulins", "between": ["2018-01-01", "2020-12-31"]},
                                     {"ald_active": "t2d", "on": "2030-01-01"}])
    with pytest.raises(CohortError) as err:
        outside.count(dataset)
    assert str(err.value) == (
        "exclude[1].between: [2018-01-01, 2020-12-31] is outside the data (2021-2022); "
        "exclude[2].on: 2030-01-01 is outside the data (2021-2022)")
