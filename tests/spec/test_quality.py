"""The SNDS quality filters (on by default): information-only lines, billing corrections, PMSI
linkage flags; and what `quality_filters: false` keeps."""

import pytest

from tests.spec.builder import Snds
from tests.spec.conftest import d, define


def _claims() -> Snds:
    db = Snds()
    for p in ("PLAIN", "INFO_ONLY", "CANCELLED", "REBILLED", "INFO_LAB", "INFO_ACT"):
        db.person(p)
    db.dispensing("PLAIN", "2021-02-01", atc="A10BA02")
    db.dispensing("INFO_ONLY", "2021-02-01", atc="A10BA02", info=True)
    db.dispensing("CANCELLED", "2021-02-01", atc="A10BA02")
    db.dispensing("CANCELLED", "2021-02-01", atc="A10BA02", boxes=-1)
    db.dispensing("REBILLED", "2021-02-01", atc="A10BA02", boxes=2)
    db.dispensing("REBILLED", "2021-02-01", atc="A10BA02", boxes=-2)
    db.dispensing("REBILLED", "2021-02-01", atc="A10BA02", boxes=2)
    db.lab("INFO_LAB", "2021-02-01", 1577, info=True)
    db.town_act("INFO_ACT", "2021-02-01", "DZQM006", info=True)
    return db


def test_information_lines_dropped_and_corrections_netted(run):
    db = _claims()
    assert set(run(db, define({"dispensed": "metformin"}))) == {"PLAIN", "REBILLED"}
    assert run(db, define({"lab": "hba1c"})) == {}
    assert run(db, define({"act": "echo"})) == {}


def test_without_quality_filters_every_line_is_an_event(run):
    db = _claims()
    assert set(run(db, define({"dispensed": "metformin"}, quality_filters=False))) == \
        {"PLAIN", "INFO_ONLY", "CANCELLED", "REBILLED"}
    assert set(run(db, define({"lab": "hba1c"}, quality_filters=False))) == {"INFO_LAB"}


def test_a_correction_on_another_day_is_not_netted(run):
    db = Snds()
    db.person("P")
    db.dispensing("P", "2021-02-01", atc="A10BA02")
    db.dispensing("P", "2021-02-02", atc="A10BA02", boxes=-1)
    assert run(db, define({"dispensed": "metformin"})) == {"P": d("2021-02-01")}


@pytest.mark.parametrize("flag", ["NIR_RET", "SEX_RET", "SEJ_RET", "FHO_RET", "PMS_RET",
                                  "NAI_RET", "DAT_RET"])
def test_a_stay_with_any_linkage_flag_not_ok_is_not_used(run, flag):
    db = Snds()
    db.person("OK")
    db.person("FLAGGED")
    db.stay("OK", "2021-03-01", main="I500")
    db.stay("FLAGGED", "2021-03-01", main="I500",
            flags={flag: "1" if flag in ("NAI_RET", "DAT_RET") else True})
    assert set(run(db, define({"hospitalised_for": "hf"}))) == {"OK"}
    assert set(run(db, define({"hospitalised_for": "hf"}, quality_filters=False))) == \
        {"OK", "FLAGGED"}
