"""Population entries: everyone registered and alive on a day, or everyone with reimbursed care
in the study period."""

import pytest

from hygie.cohorts import DefinitionError
from tests.spec.builder import Snds
from tests.spec.conftest import d, define


def test_registered_and_alive_on_a_day_is_indexed_on_it(run, attrition):
    db = Snds()
    db.person("REGISTERED", registered="2020-01-01")
    db.person("ON_THE_DAY", registered="2021-01-01")
    db.person("LATER", registered="2021-01-02")
    db.person("DIED_BEFORE", died="2020-12-31")
    db.person("DIES_THAT_DAY", died="2021-01-01")
    db.person("NO_DATE", registered=None)
    db.person("TWO_NIRS", registered="2021-06-01")
    db.pseudo_nir("TWO_NIRS", "OTHERNIR000000001", registered="2019-01-01")
    entry = {"registered_on": "2021-01-01"}
    day = d("2021-01-01")
    assert run(db, define(entry)) == {p: day for p in ("REGISTERED", "ON_THE_DAY", "DIES_THAT_DAY",
                                                       "TWO_NIRS")}
    # The screening indicator's population: women aged 50-74 on 1 January.
    women = define(entry, require=[{"sex": "female"}, {"age_on": {"date": "2021-01-01",
                                                                   "min": 50, "max": 74}}])
    db.person("WOMAN_60", sex=2, born=(1961, 1))
    db.person("WOMAN_80", sex=2, born=(1941, 1))
    assert run(db, women) == {"WOMAN_60": day}
    assert attrition(db, women) == [6, 2, 1]


def test_reimbursed_care_in_the_period_indexed_on_the_first_day(run):
    db = Snds()
    for p in ("VISITS", "PHARMACY", "BEFORE", "INFO_ONLY", "NONE"):
        db.person(p)
    db.visit("VISITS", "2021-05-01")
    db.visit("VISITS", "2021-03-01")
    db.dispensing("PHARMACY", "2021-12-31", atc="A10BA02")
    db.visit("BEFORE", "2020-12-31")
    db.visit("INFO_ONLY", "2021-02-01", info=True)
    entry = {"reimbursed_care": True}
    assert run(db, define(entry)) == {"VISITS": d("2021-03-01"), "PHARMACY": d("2021-12-31")}
    assert set(run(db, define(entry, quality_filters=False))) == {"VISITS", "PHARMACY", "INFO_ONLY"}


@pytest.mark.parametrize(("entry", "place", "message"), [
    ({"registered_on": "2030-01-01"}, "entry.registered_on", "outside the study period"),
    ({"registered_on": "2021-01-01", "any_of": [{"dispensed": "metformin"}]}, "entry.registered_on",
     "give one of any_of"),
    ({"reimbursed_care": False}, "entry.reimbursed_care", "False is not allowed; expected True"),
])
def test_bad_population_entries_name_their_place(entry, place, message):
    with pytest.raises(DefinitionError) as err:
        define(entry)
    assert any(p == place and message in m for p, m in err.value.problems), err.value.problems
