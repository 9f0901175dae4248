"""Continuous coverage: registered before the window starts and not dead before it ends (over
all of a person's pseudo-NIRs)."""

from tests.spec.builder import Snds
from tests.spec.conftest import define

INDEX = "2021-06-30"
ENTRY = {"dispensed": "metformin"}


def test_registration_and_death_bounds(run):
    db = Snds()
    people = {  # (registered, died); default window [-365 days, 0 days]
        "SINCE_M365": ("2020-06-30", None), "SINCE_M364": ("2020-07-01", None),
        "DIES_ON_INDEX": ("2000-01-01", "2021-06-30"), "NEVER_REGISTERED": (None, None),
        "NO_DATE": ("1600-01-01", None)}
    for person, (registered, died) in people.items():
        db.person(person, registered=registered, died=died)
        db.dispensing(person, INDEX, atc="A10BA02")
    covered = run(db, define(ENTRY, require=[{"continuous_coverage": True}]))
    assert set(covered) == {"SINCE_M365", "DIES_ON_INDEX"}
    after = run(db, define(ENTRY, require=[{"continuous_coverage": True,
                                            "window": ["-365 days", "1 day"]}]))
    assert set(after) == {"SINCE_M365"}


def test_the_earliest_registration_of_any_pseudo_nir(run):
    db = Snds()
    db.person("TWO_NIRS", registered="2021-01-01")
    db.pseudo_nir("TWO_NIRS", "OTHERNIR000000001", registered="2015-01-01")
    db.dispensing("TWO_NIRS", INDEX, atc="A10BA02")
    assert set(run(db, define(ENTRY, require=[{"continuous_coverage": True}]))) == {"TWO_NIRS"}
