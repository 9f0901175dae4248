"""Age at index, sex, region and department, from IR_BEN_R; missing data never meet a criterion."""

import pytest

from tests.spec.builder import Snds
from tests.spec.conftest import define

INDEX = "2021-06-15"
ENTRY = {"dispensed": "metformin"}


def _people(**born: tuple) -> Snds:
    db = Snds()
    for person, birth in born.items():
        db.person(person, born=birth)
        db.dispensing(person, INDEX, atc="A10BA02")
    return db


def test_age_in_completed_years_with_birth_on_the_first_of_the_month(run):
    # On 2021-06-15: born June 2003 -> 18 (birth taken on 1 June); July 2003 -> 17.
    db = _people(JUNE_2003=(2003, 6), JULY_2003=(2003, 7), MAY_2003=(2003, 5),
                 NO_MONTH_2003=(2003, None), BAD_MONTH_2003=(2003, 13), NO_YEAR=(None, 6))
    adults = run(db, define(ENTRY, require=[{"age_at_index": {"min": 18}}]))
    # an unknown or impossible month is January
    assert set(adults) == {"JUNE_2003", "MAY_2003", "NO_MONTH_2003", "BAD_MONTH_2003"}
    minors = run(db, define(ENTRY, exclude=[{"age_at_index": {"min": 18}}]))
    assert set(minors) == {"JULY_2003", "NO_YEAR"}  # an unknown age is not 18+: not excluded


def test_age_bounds_are_included(run):
    # On 2021-06-15: 40 years old exactly (June 1981), 65 until the month of the 66th birthday.
    db = _people(AGE_39=(1981, 7), AGE_40=(1981, 6), AGE_65=(1955, 7), AGE_66=(1955, 6))
    assert set(run(db, define(ENTRY, require=[{"age_at_index": {"min": 40, "max": 65}}]))) == \
        {"AGE_40", "AGE_65"}
    assert set(run(db, define(ENTRY, require=[{"age_at_index": {"max": 39}}]))) == {"AGE_39"}


@pytest.mark.parametrize(("sex", "kept"), [("male", {"MAN"}), ("female", {"WOMAN"})])
def test_sex(run, sex, kept):
    db = Snds()
    for person, code in (("MAN", 1), ("WOMAN", 2), ("UNKNOWN", None), ("UNDETERMINED", 9)):
        db.person(person, sex=code)
        db.dispensing(person, INDEX, atc="A10BA02")
    assert set(run(db, define(ENTRY, require=[{"sex": sex}]))) == kept
    assert set(run(db, define(ENTRY, exclude=[{"sex": sex}]))) == \
        {"MAN", "WOMAN", "UNKNOWN", "UNDETERMINED"} - kept


def test_department_and_region_of_residence(run):
    db = Snds()
    for person, dept in (("PARIS", "075"), ("AJACCIO", "02A"), ("REUNION", "974"),
                         ("LYON", "069"), ("NOWHERE", None)):
        db.person(person, department=dept)
        db.dispensing(person, INDEX, atc="A10BA02")
    assert set(run(db, define(ENTRY, require=[{"department": ["75", "2A"]}]))) == \
        {"PARIS", "AJACCIO"}
    assert set(run(db, define(ENTRY, require=[{"region": "11"}]))) == {"PARIS"}  # Île-de-France
    assert set(run(db, define(ENTRY, require=[{"region": ["84", "4"]}]))) == {"LYON", "REUNION"}
    assert set(run(db, define(ENTRY, exclude=[{"region": "11"}]))) == \
        {"AJACCIO", "REUNION", "LYON", "NOWHERE"}
