"""The registry of criteria is the one list: the docs' tables and the web builder's choices are
made from it, and every criterion it names compiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygie.cohorts import Cohort
from hygie.cohorts.model import CRITERIA, EVENT_KINDS, OTHER_KINDS, EventCriterion
from hygie.cohorts.reference import rewrite

DOC = Path(__file__).parent.parent / "docs" / "cohorts.md"

# One use of every criterion of the registry (a test fails when one is added without a use here).
USES = {
    "diagnosed": {"diagnosed": "t2d"}, "hospitalised_for": {"hospitalised_for": "hf"},
    "dispensed": {"dispensed": "insulins"}, "act": {"act": "echo"}, "lab": {"lab": "hba1c"},
    "age_at_index": {"age_at_index": {"min": 18}},
    "age_on": {"age_on": {"date": "2021-01-01", "min": 18}}, "sex": {"sex": "female"},
    "region": {"region": "11"}, "department": {"department": ["75"]},
    "died": {"died": "hf"}, "alive": {"alive": "2021-12-31"}, "ald_active": {"ald_active": "t2d"},
    "continuous_coverage": {"continuous_coverage": True},
    "in_cohort": {"in_cohort": "other"},
}


def test_the_docs_tables_are_made_from_the_registry():
    text = DOC.read_text(encoding="utf-8")
    assert rewrite(text) == text, "run: python tools/cohort_docs.py"


def test_every_criterion_has_its_docs_and_a_use():
    assert set(USES) == set(CRITERIA) == {*EVENT_KINDS, *OTHER_KINDS}
    for kind, cls in CRITERIA.items():
        if issubclass(cls, EventCriterion):
            assert cls.label and cls.doc and cls.systems
        else:
            assert cls.doc and all(syntax.startswith(f"`{kind}") for syntax, _ in cls.doc)


@pytest.mark.parametrize("how", ["require", "exclude"])
def test_every_criterion_compiles_in_require_and_exclude(how):
    codelists = {"t2d": {"system": "CIM10", "codes": ["E11*"]},
                 "hf": {"system": "CIM10", "codes": ["I50*"]},
                 "insulins": {"system": "ATC", "codes": ["A10A*"]},
                 "echo": {"system": "CCAM", "codes": ["DZQM006"]},
                 "hba1c": {"system": "NABM", "codes": ["1577"]}}
    base = {"name": "every", "period": {"start": "2021-01-01", "end": "2021-12-31"},
            "codelists": codelists, "entry": {"dispensed": "insulins"}}
    other = Cohort.from_dict({**base, "name": "other"})
    cohort = Cohort.from_dict({**base, how: list(USES.values())})
    compiled = cohort.compile({"other": other})
    assert len(compiled.steps) == 1 + len(USES)
    for engine in ("duckdb", "spark"):
        assert cohort.sql(engine, library={"other": other})


def test_the_builder_offers_the_registry_event_kinds_with_their_systems():
    from hygie.web.feasibility import builder

    assert list(builder.EVENT_SYSTEMS) == list(EVENT_KINDS)
    assert builder.EVENT_SYSTEMS["dispensed"] == ("ATC", "CIP13")
    # The system is the one that reads the codes: ATC substances, or CIP13 presentations.
    for codes, system in ((["A10BA02", "A10A*"], "ATC"), (["3400930000014", "340093*"], "CIP13"),
                          (["A10BA02", "3400930000014"], "ATC")):
        event = builder.Event(kind="dispensed", codes=codes)
        assert builder._system(event) == system
