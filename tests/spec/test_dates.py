"""Criteria on fixed dates: age on a date, alive on a date, an ALD active on a day or
throughout a span (or on the index date)."""

from tests.spec.builder import Snds
from tests.spec.conftest import define

ENTRY = {"dispensed": "metformin"}


def _entered(db: Snds, person: str, **kw) -> None:
    db.person(person, **kw)
    db.dispensing(person, "2021-06-30", atc="A10BA02")


def test_age_on_a_fixed_date_bounds_included(run):
    """The screening definition: aged 50-74 on 1 January 2021 (birth on the 1st of the month)."""
    db = Snds()
    for person, born in (("BORN_JAN_1971", (1971, 1)), ("BORN_FEB_1971", (1971, 2)),
                         ("BORN_JAN_1946", (1946, 1)), ("BORN_DEC_1946", (1946, 12)),
                         ("UNKNOWN", (None, None))):
        _entered(db, person, born=born)
    criterion = {"age_on": {"date": "2021-01-01", "min": 50, "max": 74}}
    # Jan 1971: 50 on 2021-01-01. Feb 1971: 49. Jan 1946: 75. Dec 1946: 74.
    assert set(run(db, define(ENTRY, require=[criterion]))) == {"BORN_JAN_1971", "BORN_DEC_1946"}
    assert set(run(db, define(ENTRY, exclude=[criterion]))) == \
        {"BORN_FEB_1971", "BORN_JAN_1946", "UNKNOWN"}


def test_alive_on_a_date(run):
    db = Snds()
    for person, died in (("ALIVE", None), ("DIES_ON_DAY", "2022-12-31"),
                         ("DIES_DAY_BEFORE", "2022-12-30"), ("NO_DATE", "1600-01-01")):
        _entered(db, person, died=died)
    assert set(run(db, define(ENTRY, require=[{"alive": "2022-12-31"}]))) == \
        {"ALIVE", "DIES_ON_DAY", "NO_DATE"}
    assert set(run(db, define(ENTRY, exclude=[{"alive": "2022-12-31"}]))) == {"DIES_DAY_BEFORE"}


def _ald_db() -> Snds:
    db = Snds()
    spans = {"WHOLE_YEAR": ("2022-01-01", "2022-12-31"), "OPEN": ("2015-03-01", None),
             "NO_END_DATE": ("2015-03-01", "1600-01-01"), "ENDS_EARLY": ("2010-01-01", "2022-12-30"),
             "STARTS_LATE": ("2022-01-02", None), "ENDED": ("2010-01-01", "2020-12-31")}
    for person, (start, end) in spans.items():
        _entered(db, person)
        db.ald(person, "E11", start, end)
    _entered(db, "WORK_ACCIDENT")
    db.ald("WORK_ACCIDENT", "E11", "2010-01-01", None, nature=42)
    _entered(db, "OTHER_ILLNESS")
    db.ald("OTHER_ILLNESS", "I50", "2010-01-01", None)
    return db


def test_ald_active_throughout_a_span(run):
    db = _ald_db()
    throughout = {"ald_active": "t2d", "throughout": ["2022-01-01", "2022-12-31"]}
    assert set(run(db, define(ENTRY, require=[throughout]))) == \
        {"WHOLE_YEAR", "OPEN", "NO_END_DATE"}
    alive = {"alive": "2022-12-31"}
    assert set(run(db, define(ENTRY, require=[throughout, alive]))) == \
        {"WHOLE_YEAR", "OPEN", "NO_END_DATE"}


def test_ald_active_on_a_day_or_on_the_index_date(run):
    db = _ald_db()
    on = {"ald_active": "t2d", "on": "2022-12-30"}
    assert set(run(db, define(ENTRY, require=[on]))) == \
        {"WHOLE_YEAR", "OPEN", "NO_END_DATE", "ENDS_EARLY", "STARTS_LATE"}
    at_index = {"ald_active": "t2d"}  # index 2021-06-30
    assert set(run(db, define(ENTRY, require=[at_index]))) == {"OPEN", "NO_END_DATE", "ENDS_EARLY"}
    assert set(run(db, define(ENTRY, exclude=[at_index]))) == \
        {"WHOLE_YEAR", "STARTS_LATE", "ENDED", "WORK_ACCIDENT", "OTHER_ILLNESS"}


def test_renewed_exonerations_cover_a_span_together(run):
    db = Snds()
    spans = {"RENEWED": [("2015-01-01", "2021-06-30"), ("2021-07-01", "2024-06-30")],
             "ONE_DAY_GAP": [("2015-01-01", "2021-06-30"), ("2021-07-02", None)],
             "OVERLAPPING": [("2020-01-01", "2021-08-31"), ("2021-03-01", "2021-12-31"),
                             ("2010-01-01", "2020-01-01")],
             "INSIDE_A_LONG_ONE": [("2010-01-01", None), ("2021-02-01", "2021-03-01"),
                                   ("2021-05-01", "2021-05-02")],
             "OTHER_CODE_FILLS": [("2015-01-01", "2021-06-30")]}
    for person, rows in spans.items():
        _entered(db, person)
        for start, end in rows:
            db.ald(person, "E11", start, end)
    db.ald("OTHER_CODE_FILLS", "I50", "2021-07-01", None)  # another illness: no use here
    throughout = {"ald_active": "t2d", "throughout": ["2021-01-01", "2021-12-31"]}
    assert set(run(db, define(ENTRY, require=[throughout]))) == \
        {"RENEWED", "OVERLAPPING", "INSIDE_A_LONG_ONE"}
