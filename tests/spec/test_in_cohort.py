"""in_cohort: a member of another cohort (by name, from a library), whose index date lies in a
window relative to this one's."""

import pytest

from hygie.cohorts import DefinitionError
from tests.spec.builder import Snds
from tests.spec.conftest import d, define


def _db() -> Snds:
    db = Snds()
    for p in ("HF_BEFORE", "HF_AFTER", "NO_HF"):
        db.person(p)
        db.dispensing(p, "2021-06-30", atc="A10BA02")
    db.stay("HF_BEFORE", "2021-02-01", main="I500")
    db.stay("HF_AFTER", "2021-09-01", main="I500")
    db.person("HF_ONLY")
    db.stay("HF_ONLY", "2021-02-01", main="I500")
    return db


def _library():
    hf = define({"hospitalised_for": "hf"})
    hf.name = "heart_failure"
    return {"heart_failure": hf}


def test_members_of_another_cohort_in_a_window(run, engine):
    db = _db()
    library = _library()

    anytime = define({"dispensed": "metformin"}, require=[{"in_cohort": "heart_failure"}])
    before = define({"dispensed": "metformin"},
                    require=[{"in_cohort": "heart_failure", "window": [None, "-1 day"]}])
    excluded = define({"dispensed": "metformin"}, exclude=[{"in_cohort": "heart_failure"}])
    run(db, define({"dispensed": "metformin"}))  # writes and attaches the tables
    got = {name: {r["PERSON_KEY"]: r["INDEX_DATE"] for r in c.people(engine, library).to_pylist()}
           for name, c in (("anytime", anytime), ("before", before), ("excluded", excluded))}
    day = d("2021-06-30")
    assert got["anytime"] == {"HF_BEFORE": day, "HF_AFTER": day}
    assert got["before"] == {"HF_BEFORE": day}
    assert got["excluded"] == {"NO_HF": day}


def test_unknown_cohorts_and_cycles_are_errors_naming_their_place():
    a = define({"dispensed": "metformin"}, require=[{"sex": "male"}, {"in_cohort": "b"}])
    a.name = "a"
    b = define({"dispensed": "metformin"}, exclude=[{"in_cohort": "a"}])
    b.name = "b"
    with pytest.raises(DefinitionError) as err:
        a.compile({})
    assert err.value.problems == [("require[1].in_cohort", "unknown cohort 'b' (known: none)")]
    with pytest.raises(DefinitionError) as err:
        a.compile({"a": a, "b": b})
    assert err.value.problems == [("exclude[0].in_cohort", "a cycle of in_cohort references: a -> b -> a")]
    self_ref = define({"dispensed": "metformin"}, require=[{"in_cohort": "spec"}])
    with pytest.raises(DefinitionError, match="spec -> spec"):
        self_ref.compile({"spec": self_ref})


def test_the_cli_finds_cohorts_beside_the_definition(tmp_path):
    from typer.testing import CliRunner

    from hygie.cli import app

    (tmp_path / "hf.yaml").write_text(
        "name: hf\nperiod: {start: 2021-01-01, end: 2021-12-31}\n"
        "codelists: {hf: {system: CIM10, codes: [I50*]}}\nentry: {hospitalised_for: hf}\n")
    (tmp_path / "main.yaml").write_text(
        "name: main\nperiod: {start: 2021-01-01, end: 2021-12-31}\n"
        "codelists: {m: {system: ATC, codes: [A10BA02]}}\nentry: {dispensed: m}\n"
        "exclude:\n  - in_cohort: hf\n    window: [null, -1 day]\n")
    (tmp_path / "orphan.yaml").write_text(
        "name: orphan\nperiod: {start: 2021-01-01, end: 2021-12-31}\n"
        "codelists: {m: {system: ATC, codes: [A10BA02]}}\nentry: {dispensed: m}\n"
        "require: [{in_cohort: nowhere}]\n")
    runner = CliRunner()
    ok = runner.invoke(app, ["cohort", "sql", str(tmp_path / "main.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "'I50'" in ok.output and "DGN_PAL" in ok.output  # the other cohort, nested
    bad = runner.invoke(app, ["cohort", "sql", str(tmp_path / "orphan.yaml")])
    assert bad.exit_code == 2
    assert "require[0].in_cohort: unknown cohort 'nowhere' (known: hf, main, orphan)" in bad.output
