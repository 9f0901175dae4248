"""Death (IR_BEN_R.BEN_DCD_DTE) in a window, and death from a cause (KI_CCI_R by BEN_IDT_ANO)."""

import pytest

from tests.spec.builder import Snds
from tests.spec.conftest import define

INDEX = "2021-03-01"
ENTRY = {"dispensed": "metformin"}


def _db() -> Snds:
    db = Snds()
    for person, died in (("ALIVE", None), ("DAY_0", "2021-03-01"), ("DAY_730", "2023-03-01"),
                         ("DAY_731", "2023-03-02"), ("NO_DATE", "1600-01-01")):
        db.person(person, died=died)
        db.dispensing(person, INDEX, atc="A10BA02")
    return db


@pytest.mark.parametrize(("window", "dead"), [
    (None, {"DAY_0", "DAY_730", "DAY_731"}),
    (["0 days", "730 days"], {"DAY_0", "DAY_730"}),
    (["1 day", None], {"DAY_730", "DAY_731"}),
])
def test_died_in_a_window(run, window, dead):
    db = _db()
    criterion = {"died": True} | ({"window": window} if window else {})
    assert set(run(db, define(ENTRY, require=[criterion]))) == dead
    # 1600-01-01 is the SNDS's "no date": not a death
    assert set(run(db, define(ENTRY, exclude=[criterion]))) == \
        {"ALIVE", "DAY_0", "DAY_730", "DAY_731", "NO_DATE"} - dead


def test_died_of_a_cause_in_the_causes_of_death(run):
    db = Snds()
    for person in ("CANCER", "HEART", "CANCER_LATE", "NO_RECORD"):
        db.person(person, died="2021-09-01")
        db.dispensing(person, INDEX, atc="A10BA02")
    db.death_cause("CANCER", "C349", "2021-09-01")
    db.death_cause("HEART", "I219", "2021-09-01")
    db.death_cause("CANCER_LATE", "C509", "2023-09-01")
    assert set(run(db, define(ENTRY, require=[{"died": "cancer"}]))) == {"CANCER", "CANCER_LATE"}
    assert set(run(db, define(ENTRY, require=[{"died": "cancer",
                                               "window": ["0 days", "365 days"]}]))) == {"CANCER"}
    assert set(run(db, define(ENTRY, exclude=[{"died": "cancer"}]))) == {"HEART", "NO_RECORD"}
