"""The review procedure of access applications: paths, roles, legal deadlines, and, for any
sequence of events, the invariants the platform relies on."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygie.access import Case, Event, Opinion, Path, ProcedureError, Role, Stage, advance, apply
from hygie.access.calendar import add_months
from hygie.access.procedure import FINAL, REFERENCE_METHODOLOGIES, RULES, day_of, due, replay

PARIS = ZoneInfo("Europe/Paris")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=PARIS)


def run(*events: tuple[str, str, Role, dict]) -> Case:
    case = Case()
    for kind, day, role, data in events:
        case = apply(advance(case, at(day)), Event(kind, at(day), role, data))
    return case


SUBMIT = ("submit", "2026-01-05", Role.APPLICANT, {"path": "authorisation"})
FORWARD = ("forward_to_cesrees", "2026-01-09", Role.SECRETARIAT, {})


def test_months_end_on_the_same_day_or_the_last_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), 2) == date(2026, 5, 31)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert add_months(date(2026, 12, 31), 14) == date(2028, 2, 29)


def test_the_authorisation_path_with_its_deadlines():
    case = run(SUBMIT)
    assert (case.stage, case.deadline) == (Stage.SUBMITTED, date(2026, 1, 12))  # 7 days
    case = run(SUBMIT, FORWARD)
    assert (case.stage, case.deadline) == (Stage.CESREES, date(2026, 2, 9))  # one month
    case = run(SUBMIT, FORWARD, ("cesrees_opinion", "2026-02-02", Role.CESREES,
                                 {"opinion": "favourable"}))
    assert (case.stage, case.opinion, case.deadline) == (Stage.CNIL, Opinion.FAVOURABLE,
                                                         date(2026, 4, 2))  # two months
    case = apply(case, Event("cnil_extension", at("2026-03-20"), Role.SECRETARIAT))
    assert case.deadline == date(2026, 6, 2) and case.extended
    with pytest.raises(ProcedureError, match="once only"):
        apply(case, Event("cnil_extension", at("2026-03-21"), Role.SECRETARIAT))
    case = apply(case, Event("cnil_authorisation", at("2026-05-11"), Role.SECRETARIAT,
                             {"until": date(2029, 5, 10), "scope": "T2D adults, 2015-2024"}))
    assert (case.stage, case.authorised_until, case.deadline) == (
        Stage.AUTHORISED, date(2029, 5, 10), None)
    assert case.final and not case.overdue(date(2030, 1, 1))
    assert [e.kind for e in case.history] == ["submit", "forward_to_cesrees", "cesrees_opinion",
                                              "cnil_extension", "cnil_authorisation"]


def test_the_cesrees_silence_counts_as_an_opinion_given():
    case = run(SUBMIT, FORWARD)
    assert due(case, at("2026-02-09", 23)) == []  # the last day is still the committee's
    assert case.overdue(date(2026, 2, 10))
    after = advance(case, at("2026-02-10", 0))
    assert (after.stage, after.opinion) == (Stage.CNIL, Opinion.DEEMED)
    assert after.history[-1].role == Role.CALENDAR
    assert after.since == datetime(2026, 2, 10, tzinfo=PARIS)
    assert after.deadline == date(2026, 4, 10)
    # A late opinion is refused: the deemed opinion stands.
    with pytest.raises(ProcedureError, match="deemed given"):
        apply(case, Event("cesrees_opinion", at("2026-02-11"), Role.CESREES,
                          {"opinion": "unfavourable"}))
    # The calendar cannot deem it early.
    with pytest.raises(ProcedureError, match="has until"):
        apply(case, Event("cesrees_deemed", at("2026-02-09", 12), Role.CALENDAR))


def test_deadlines_count_french_days():
    """An event at 23:30 UTC on 31 January happens on 1 February in France."""
    moment = datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert day_of(moment) == date(2026, 2, 1)
    case = apply(Case(), Event("submit", moment, Role.APPLICANT, {"path": "authorisation"}))
    assert case.deadline == date(2026, 2, 8)


def test_complements_start_the_secretariat_days_again():
    case = run(SUBMIT, ("request_complements", "2026-01-08", Role.SECRETARIAT,
                        {"reason": "The data management plan is missing."}))
    assert (case.stage, case.deadline) == (Stage.INCOMPLETE, None)
    case = apply(case, Event("submit", at("2026-01-20"), Role.APPLICANT,
                             {"path": "authorisation"}))
    assert (case.stage, case.deadline) == (Stage.SUBMITTED, date(2026, 1, 27))
    with pytest.raises(ProcedureError, match="needs 'reason'"):
        apply(case, Event("request_complements", at("2026-01-21"), Role.SECRETARIAT,
                          {"reason": "  "}))


def test_the_reference_methodology_path_skips_the_committees():
    case = run(("submit", "2026-01-05", Role.APPLICANT,
                {"path": "reference-methodology", "methodology": "MR-004"}),
               ("record_conformity", "2026-01-07", Role.SECRETARIAT, {}))
    assert (case.stage, case.path, case.methodology) == (Stage.DECLARED, Path.REFERENCE, "MR-004")
    with pytest.raises(ProcedureError, match="not a reference methodology"):
        run(("submit", "2026-01-05", Role.APPLICANT,
             {"path": "reference-methodology", "methodology": "MR-999"}))
    with pytest.raises(ProcedureError, match="not forwarded to the CESREES"):
        run(("submit", "2026-01-05", Role.APPLICANT,
             {"path": "reference-methodology", "methodology": "MR-004"}),
            ("forward_to_cesrees", "2026-01-07", Role.SECRETARIAT, {}))
    with pytest.raises(ProcedureError, match="not declared conforming"):
        run(SUBMIT, ("record_conformity", "2026-01-07", Role.SECRETARIAT, {}))


@pytest.mark.parametrize(("event", "message"), [
    (("forward_to_cesrees", "2026-01-06", Role.APPLICANT, {}), "only the secretariat"),
    (("cesrees_opinion", "2026-01-06", Role.CESREES, {"opinion": "favourable"}),
     "the application is submitted"),
    (("submit", "2026-01-06", Role.APPLICANT, {"path": "authorisation"}),
     "the application is submitted"),
    (("cnil_authorisation", "2026-01-06", Role.SECRETARIAT, {}), "the application is submitted"),
    (("teleport", "2026-01-06", Role.SECRETARIAT, {}), "unknown event"),
    (("forward_to_cesrees", "2026-01-04", Role.SECRETARIAT, {}), "in the order"),
])
def test_forbidden_events_are_refused_with_the_reason(event, message):
    with pytest.raises(ProcedureError, match=message):
        run(SUBMIT, event)


def test_bad_values_are_refused_with_the_reason():
    with pytest.raises(ProcedureError, match="path must be one of"):
        run(("submit", "2026-01-05", Role.APPLICANT, {"path": "shortcut"}))
    cesrees = run(SUBMIT, FORWARD)
    with pytest.raises(ProcedureError, match="favourable or unfavourable"):
        apply(cesrees, Event("cesrees_opinion", at("2026-01-20"), Role.CESREES,
                             {"opinion": "deemed"}))
    cnil = apply(cesrees, Event("cesrees_opinion", at("2026-01-20"), Role.CESREES,
                                {"opinion": "unfavourable"}))
    for data in ({"until": date(2026, 1, 21), "scope": "x"}, {"until": "2030-01-01", "scope": "x"},
                 {"until": date(2030, 1, 1)}):
        with pytest.raises(ProcedureError):
            apply(cnil, Event("cnil_authorisation", at("2026-01-21"), Role.SECRETARIAT, data))
    with pytest.raises(ProcedureError, match="time zone"):
        apply(Case(), Event("submit", datetime(2026, 1, 5), Role.APPLICANT,
                            {"path": "authorisation"}))


def test_withdrawal_is_possible_until_the_decision_only():
    case = run(SUBMIT, FORWARD, ("withdraw", "2026-01-20", Role.APPLICANT, {}))
    assert case.stage == Stage.WITHDRAWN and case.deadline is None
    with pytest.raises(ProcedureError, match="withdrawn"):
        apply(case, Event("submit", at("2026-01-21"), Role.APPLICANT, {"path": "authorisation"}))


# --- any sequence of events --------------------------------------------------------------------

DATA = {
    "submit": st.sampled_from([{"path": "authorisation"}, {"path": "reference-methodology",
                                                           "methodology": "MR-004"},
                               {"path": "reference-methodology", "methodology": "MR-1"}]),
    "request_complements": st.sampled_from([{"reason": "missing plan"}, {}]),
    "cesrees_opinion": st.sampled_from([{"opinion": o} for o in Opinion] + [{}]),
    "cnil_authorisation": st.sampled_from([{"until": date(2031, 1, 1), "scope": "all"},
                                           {"until": date(2020, 1, 1), "scope": "all"}]),
    "cnil_refusal": st.sampled_from([{"reason": "disproportionate"}, {}]),
}


@st.composite
def histories(draw):
    """Up to 20 attempted events, each 0 to 60 days after the one before: mostly a step the
    current stage allows (a walk through the procedure), sometimes any step by any role."""
    moment = datetime(2026, 1, 5, 9, tzinfo=PARIS)
    case, attempts = Case(), []
    for _ in range(draw(st.integers(0, 20))):
        moment += timedelta(days=draw(st.integers(0, 60)), minutes=draw(st.integers(0, 1439)))
        case = advance(case, moment)
        allowed = [k for k, r in sorted(RULES.items()) if case.stage in r.stages
                   and r.role != Role.CALENDAR for _ in range(1 if k == "withdraw" else 6)]
        wild = not allowed or draw(st.integers(0, 4)) == 0
        kind = draw(st.sampled_from(sorted(RULES) if wild else allowed))
        role = draw(st.sampled_from(list(Role))) if wild else RULES[kind].role
        event = Event(kind, moment, role, draw(DATA.get(kind, st.just({}))))
        attempts.append(event)
        with contextlib.suppress(ProcedureError):
            case = apply(case, event)
    return attempts


@settings(max_examples=400, deadline=None)
@given(histories())
def test_any_history_keeps_the_procedure_s_guarantees(attempts):
    case = Case()
    for event in attempts:
        before = advance(case, event.at)
        try:
            case = apply(before, event)
        except ProcedureError:
            case = before  # refused: the case is as it was
            continue
        rule = RULES[event.kind]
        assert event.role == rule.role  # only the role a step belongs to takes it
        assert before.stage in rule.stages
        # The calendar never let a CESREES stage run past its month.
        if before.stage == Stage.CESREES and event.kind == "cesrees_opinion":
            assert day_of(event.at) <= before.deadline
    # The state is its history replayed: storing the events is enough.
    assert replay(case.history) == case
    kinds = [e.kind for e in case.history]
    # A final stage is final.
    for i, e in enumerate(case.history):
        if replay(case.history[:i]).final:
            pytest.fail(f"{e.kind} applied after a final stage")
    # An authorisation went through the secretariat, an opinion (given or deemed) and the CNIL;
    # a declaration of conformity named a reference methodology and saw no committee.
    if case.stage == Stage.AUTHORISED:
        assert case.path == Path.AUTHORISATION and case.opinion is not None
        assert "forward_to_cesrees" in kinds and case.authorised_until > day_of(case.since)
    if case.stage == Stage.DECLARED:
        assert case.methodology in REFERENCE_METHODOLOGIES
        assert "forward_to_cesrees" not in kinds and case.opinion is None
    assert kinds.count("cnil_extension") <= 1
    # Every open stage that has a deadline is on time once the calendar has run.
    if case.history:
        now = case.history[-1].at
        current = advance(case, now)
        if current.stage == Stage.CESREES:
            assert not current.overdue(day_of(now))
    assert (case.deadline is None) == (case.stage in FINAL | {Stage.DRAFT, Stage.INCOMPLETE}
                                       or case.path == Path.REFERENCE)
