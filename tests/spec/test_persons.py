"""Who is a person: BEN_NIR_ANO, whatever their pseudo-NIRs; twins are two people, and a stay
under a pseudo-NIR that twins share cannot be attributed."""

from tests.spec.builder import Snds
from tests.spec.conftest import d, define


def test_events_under_two_pseudo_nirs_belong_to_one_person(run):
    db = Snds()
    db.person("P")
    db.pseudo_nir("P", "OTHERNIR000000001")
    db.dispensing("P", "2021-02-01", atc="A10BA02")
    db.dispensing("P", "2021-03-01", atc="A10BA02", nir="OTHERNIR000000001")
    db.stay(None, "2021-04-01", main="I500", nir="OTHERNIR000000001")
    assert run(db, define({"dispensed": "metformin", "at_least": 2})) == {"P": d("2021-03-01")}
    assert run(db, define({"hospitalised_for": "hf"})) == {"P": d("2021-04-01")}


def test_twins_are_two_people_and_their_stays_are_not_attributed(run):
    db = Snds()
    db.person("TWIN_1")
    db.person("TWIN_2", twin_of="TWIN_1")
    db.dispensing("TWIN_1", "2021-02-01", atc="A10BA02")
    db.stay("TWIN_2", "2021-03-01", main="I500")
    assert run(db, define({"dispensed": "metformin"})) == {"TWIN_1": d("2021-02-01")}
    assert run(db, define({"hospitalised_for": "hf"})) == {}
    assert run(db, define({"hospitalised_for": "hf"}, quality_filters=False)) == {}


def test_claims_and_stays_of_unknown_pseudo_nirs_link_nobody(run):
    db = Snds()
    db.person("KNOWN")
    db.dispensing("KNOWN", "2021-02-01", atc="A10BA02")
    db.dispensing("KNOWN", "2021-02-01", atc="A10BA02", nir="STRANGER000000001")
    db.stay(None, "2021-03-01", main="I500", nir="STRANGER000000001")
    assert set(run(db, define({"any_of": [{"dispensed": "metformin"},
                                          {"hospitalised_for": "hf"}]}))) == {"KNOWN"}
