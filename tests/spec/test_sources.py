"""Each event source: where its codes and dates come from, and how codes match."""

import pytest

from tests.spec.builder import Snds, cip13_of
from tests.spec.conftest import d, define


def test_diagnosed_reads_the_four_sources_and_in_restricts_them(run):
    db = Snds()
    for p in ("MAIN", "RELATED", "ASSOCIATED", "ALD", "ELSEWHERE"):
        db.person(p)
    db.stay("MAIN", "2021-02-01", main="E119")
    db.stay("RELATED", "2021-03-01", main="Z000", related="E112")
    db.stay("ASSOCIATED", "2021-04-01", main="Z000", associated=("I10", "E118"))
    db.ald("ALD", "E11", "2021-05-01")
    db.stay("ELSEWHERE", "2021-06-01", main="I500", related="I10", associated=("E10",))
    everywhere = {"MAIN": d("2021-02-01"), "RELATED": d("2021-03-01"),
                  "ASSOCIATED": d("2021-04-01"), "ALD": d("2021-05-01")}
    assert run(db, define({"diagnosed": "t2d"})) == everywhere
    for source, person in (("pmsi_main", "MAIN"), ("pmsi_related", "RELATED"),
                           ("pmsi_associated", "ASSOCIATED"), ("ald", "ALD")):
        assert run(db, define({"diagnosed": "t2d", "in": [source]})) == \
            {person: everywhere[person]}


def test_hospitalised_for_is_the_main_diagnosis_only(run):
    db = Snds()
    db.person("MAIN")
    db.person("RELATED")
    db.stay("MAIN", "2021-02-01", main="I509")
    db.stay("RELATED", "2021-02-01", main="Z000", related="I509", associated=("I500",))
    assert run(db, define({"hospitalised_for": "hf"})) == {"MAIN": d("2021-02-01")}


def test_dispensed_by_atc_prefix_or_exact_cip13(run):
    db = Snds()
    for p in ("METFORMIN", "GLICLAZIDE", "INSULIN"):
        db.person(p)
    db.dispensing("METFORMIN", "2021-02-01", atc="A10BA02")
    db.dispensing("GLICLAZIDE", "2021-03-01", atc="A10BB09")
    db.dispensing("INSULIN", "2021-04-01", atc="A10AE04")
    assert run(db, define({"dispensed": "antidiabetics"})) == {
        "METFORMIN": d("2021-02-01"), "GLICLAZIDE": d("2021-03-01")}
    cip = {"system": "CIP13", "codes": [str(cip13_of("A10BB09"))]}
    assert run(db, define({"dispensed": "cip"}, codelists={"cip": cip})) == {
        "GLICLAZIDE": d("2021-03-01")}


def test_lab_codes_match_as_four_digits(run):
    db = Snds()
    for p in ("HBA1C", "ZERO_PADDED", "OTHER"):
        db.person(p)
    db.lab("HBA1C", "2021-02-01", 1577)
    db.lab("ZERO_PADDED", "2021-03-01", 552)  # NABM 0552: matches the prefix 05*
    db.lab("OTHER", "2021-04-01", 5521)  # 5521 does not start with 05
    assert run(db, define({"lab": "hba1c"})) == {"HBA1C": d("2021-02-01")}
    assert run(db, define({"lab": "lab_05"})) == {"ZERO_PADDED": d("2021-03-01")}


@pytest.mark.parametrize(("sources", "expected"), [
    (None, {"TOWN": "2021-02-01", "HOSPITAL": "2021-03-05"}),
    (["dcir_act"], {"TOWN": "2021-02-01"}),
    (["pmsi_act"], {"HOSPITAL": "2021-03-05"}),
])
def test_acts_in_town_and_in_hospital_dated_by_their_own_day(run, sources, expected):
    db = Snds()
    for p in ("TOWN", "HOSPITAL", "NOT_IN_PERIOD"):
        db.person(p)
    db.town_act("TOWN", "2021-02-01", "DZQM006")
    db.stay("HOSPITAL", "2021-03-01", acts=(("DZQM006", 4),))  # on the 5th day of the stay
    # A stay starting before the period with its act inside it: the act's day counts.
    db.stay("NOT_IN_PERIOD", "2020-12-20", acts=(("DZQM006", None),))  # no delay: day of entry
    criterion = {"act": "echo"} if sources is None else {"act": "echo", "in": sources}
    assert run(db, define(criterion)) == {k: d(v) for k, v in expected.items()}


def test_an_act_after_a_stay_that_began_before_the_period(run):
    db = Snds()
    db.person("P")
    db.stay("P", "2020-12-28", acts=(("DZQM006", 6),), year=2020)  # act on 2021-01-03
    assert run(db, define({"act": "echo", "in": ["pmsi_act"]})) == {"P": d("2021-01-03")}


def test_ald_counts_long_term_illness_exonerations_only(run):
    db = Snds()
    for p in ("LISTED", "OFF_LIST", "POLY", "WORK_ACCIDENT"):
        db.person(p)
    db.ald("LISTED", "E119", "2021-02-01", nature=41)
    db.ald("OFF_LIST", "E119", "2021-03-01", nature=43)
    db.ald("POLY", "E119", "2021-04-01", nature=45)
    db.ald("WORK_ACCIDENT", "E119", "2021-05-01", nature=42)
    assert run(db, define({"diagnosed": "t2d", "in": ["ald"]})) == {
        "LISTED": d("2021-02-01"), "OFF_LIST": d("2021-03-01"), "POLY": d("2021-04-01")}
