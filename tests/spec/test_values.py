"""Per-person values (a baseline table): age at index, sex, department, and the first date, last
date or number of days of a criterion's events in its window."""

import pytest

from hygie.cohorts import DefinitionError
from tests.spec.builder import Snds
from tests.spec.conftest import d, define

ENTRY = {"dispensed": "metformin"}
VALUES = {
    "age": "age_at_index", "sex": "sex", "department": "department",
    "first_hf": {"first": {"hospitalised_for": "hf", "window": [None, None]}},
    "last_hba1c_before": {"last": {"lab": "hba1c"}},  # default window: up to the index date
    "insulin_days_year_before": {"count": {"dispensed": "insulins",
                                           "window": ["-365 days", "-1 day"]}},
    "insulin_days_2020": {"count": {"dispensed": "insulins", "in_year": 2020}},
}


def test_values_of_each_kind(baseline):
    db = Snds()
    db.person("FULL", sex=2, born=(1960, 7), department="02A")
    db.dispensing("FULL", "2021-06-30", atc="A10BA02")
    db.stay("FULL", "2021-09-01", main="I500")  # after the index date: open window
    db.stay("FULL", "2022-01-01", main="I501")
    db.lab("FULL", "2021-01-01", 1577)
    db.lab("FULL", "2021-06-30", 1577)  # on the index date: the default window includes it
    db.lab("FULL", "2021-07-01", 1577)
    db.dispensing("FULL", "2020-06-30", atc="A10AE04")  # exactly 365 days before
    db.dispensing("FULL", "2020-06-29", atc="A10AE04")  # 366 days before: in 2020, not the year
    db.dispensing("FULL", "2021-06-30", atc="A10AE04")  # the index day: not in [-365, -1]
    db.person("EMPTY", sex=None, born=(None, None), department=None)
    db.dispensing("EMPTY", "2021-03-01", atc="A10BA02")
    got = baseline(db, define(ENTRY, values=VALUES, period={"start": "2021-01-01",
                                                            "end": "2021-12-31"}))
    assert got["FULL"] == {"INDEX_DATE": d("2021-06-30"), "age": 60, "sex": "female",
                           "department": "02A", "first_hf": d("2021-09-01"),
                           "last_hba1c_before": d("2021-06-30"), "insulin_days_year_before": 1,
                           "insulin_days_2020": 2}
    assert got["EMPTY"] == {"INDEX_DATE": d("2021-03-01"), "age": None, "sex": None,
                            "department": None, "first_hf": None, "last_hba1c_before": None,
                            "insulin_days_year_before": 0, "insulin_days_2020": 0}


def test_values_are_given_for_the_people_of_the_cohort_only(baseline, run):
    db = Snds()
    for person, sex in (("MAN", 1), ("WOMAN", 2)):
        db.person(person, sex=sex)
        db.dispensing(person, "2021-05-01", atc="A10BA02")
    cohort = define(ENTRY, require=[{"sex": "female"}], values={"sex": "sex"})
    assert baseline(db, cohort) == {"WOMAN": {"INDEX_DATE": d("2021-05-01"), "sex": "female"}}
    assert run(db, cohort) == {"WOMAN": d("2021-05-01")}


@pytest.mark.parametrize(("values", "place", "message"), [
    ({"PERSON_KEY": "sex"}, "values.PERSON_KEY", "is a column of every cohort"),
    ({"n": {"count": {"dispensed": "insulins", "at_least": 2}}}, "values.n.count.at_least",
     "no at_least or within"),
    ({"n": {"count": {"dispensed": "nowhere"}}}, "values.n.count.dispensed", "unknown codelist"),
    ({"n": "weight"}, "values.n", "weight"),
])
def test_bad_values_name_their_place(values, place, message):
    with pytest.raises(DefinitionError) as err:
        define(ENTRY, values=values)
    assert any(p.startswith(place) and message in m for p, m in err.value.problems), \
        err.value.problems


def test_value_names_never_reach_the_sql():
    compiled = define(ENTRY, values=VALUES).compile()
    assert compiled.value_names == list(VALUES)
    text = compiled.values.sql("duckdb").lower()
    assert not any(name.lower() in text for name in VALUES if name not in ("sex", "department"))
