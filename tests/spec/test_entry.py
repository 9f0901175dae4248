"""Entry: the index date is the first date in the study period on which an entry event is met."""

from tests.spec.builder import Snds
from tests.spec.conftest import d, define


def test_first_event_in_the_period_both_bounds_included(run):
    db = Snds()
    for p in ("ON_START", "ON_END", "BEFORE", "AFTER", "TWICE", "NONE"):
        db.person(p)
    db.dispensing("ON_START", "2021-01-01", atc="A10BA02")
    db.dispensing("ON_END", "2021-12-31", atc="A10BA02")
    db.dispensing("BEFORE", "2020-12-31", atc="A10BA02")
    db.dispensing("AFTER", "2022-01-01", atc="A10BA02")
    db.dispensing("TWICE", "2021-08-01", atc="A10BA02")
    db.dispensing("TWICE", "2021-03-01", atc="A10BA02")
    db.visit("NONE", "2021-05-05")
    assert run(db, define({"dispensed": "metformin"})) == {
        "ON_START": d("2021-01-01"), "ON_END": d("2021-12-31"), "TWICE": d("2021-03-01")}


def test_no_one_enters_an_empty_dataset(run, attrition):
    db = Snds()
    db.person("P")
    cohort = define({"dispensed": "metformin"}, exclude=[{"diagnosed": "t1d"}],
                    require=[{"age_at_index": {"min": 18}}])
    assert run(db, cohort) == {}
    assert attrition(db, cohort) == [0, 0, 0]


def test_at_least_counts_distinct_days(run):
    db = Snds()
    for p in ("TWO_DAYS", "SAME_DAY", "THREE"):
        db.person(p)
    db.dispensing("TWO_DAYS", "2021-02-01", atc="A10BA02")
    db.dispensing("TWO_DAYS", "2021-05-01", atc="A10BA02")
    db.dispensing("SAME_DAY", "2021-02-01", atc="A10BA02")
    db.dispensing("SAME_DAY", "2021-02-01", atc="A10BA02")
    for day in ("2021-01-10", "2021-02-10", "2021-03-10"):
        db.dispensing("THREE", day, atc="A10BA02")
    # The index date is the day of the N-th event.
    assert run(db, define({"dispensed": "metformin", "at_least": 2})) == {
        "TWO_DAYS": d("2021-05-01"), "THREE": d("2021-02-10")}
    assert run(db, define({"dispensed": "metformin", "at_least": 3})) == {"THREE": d("2021-03-10")}


def test_within_bounds_the_span_from_the_first_to_the_nth(run):
    db = Snds()
    for p in ("SPAN_365", "SPAN_366", "LATER_PAIR"):
        db.person(p)
    db.dispensing("SPAN_365", "2021-01-01", atc="A10BA02")
    db.dispensing("SPAN_365", "2022-01-01", atc="A10BA02")  # 365 days later, after the period
    db.dispensing("SPAN_366", "2020-03-01", atc="A10BA02")
    db.dispensing("SPAN_366", "2021-03-02", atc="A10BA02")  # 366 days later
    db.dispensing("LATER_PAIR", "2020-01-01", atc="A10BA02")
    db.dispensing("LATER_PAIR", "2021-04-01", atc="A10BA02")  # too far from the first
    db.dispensing("LATER_PAIR", "2021-06-01", atc="A10BA02")  # 61 days after the second
    cohort = define({"dispensed": "metformin", "at_least": 2, "within": "365 days"},
                    period={"start": "2021-01-01", "end": "2022-12-31"})
    assert run(db, cohort) == {"SPAN_365": d("2022-01-01"), "LATER_PAIR": d("2021-06-01")}


def test_earlier_events_before_the_period_count_towards_at_least(run):
    db = Snds()
    db.person("P")
    db.dispensing("P", "2020-12-20", atc="A10BA02")
    db.dispensing("P", "2021-01-05", atc="A10BA02")
    db.person("OUT")
    db.dispensing("OUT", "2020-12-20", atc="A10BA02")
    db.dispensing("OUT", "2020-12-25", atc="A10BA02")  # both before: met before the period
    cohort = define({"dispensed": "metformin", "at_least": 2, "within": "30 days"})
    assert run(db, cohort) == {"P": d("2021-01-05")}


def test_any_of_takes_the_earliest_entry_event(run):
    db = Snds()
    db.person("DRUG_FIRST")
    db.person("STAY_FIRST")
    db.dispensing("DRUG_FIRST", "2021-02-01", atc="A10BA02")
    db.stay("DRUG_FIRST", "2021-03-01", main="E119")
    db.dispensing("STAY_FIRST", "2021-05-01", atc="A10BA02")
    db.stay("STAY_FIRST", "2021-04-01", main="E105")  # type 1 diabetes, not in t2d
    db.stay("STAY_FIRST", "2021-04-15", main="E112")
    cohort = define({"any_of": [{"dispensed": "metformin"}, {"diagnosed": "t2d"}]})
    assert run(db, cohort) == {"DRUG_FIRST": d("2021-02-01"), "STAY_FIRST": d("2021-04-15")}
