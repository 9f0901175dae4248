"""The review procedures of access applications: the packaged descriptions, roles, legal clocks
(stopped, resumed, extended, lapsed, in working days), a made-up procedure loaded from text, and,
for any sequence of events in any packaged procedure, the invariants the platform relies on."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygie.access import (
    Case,
    DescriptionError,
    Event,
    Opinion,
    Path,
    ProcedureError,
    Role,
    Stage,
    advance,
    apply,
    load,
)
from hygie.access.calendar import add_months, add_working_days, is_working_day, working_days_between
from hygie.access.description import Choice
from hygie.access.procedure import day_of, due, procedures, replay

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
                                 {"opinion": "favourable", "reasons": "Sound design."}))
    assert (case.stage, case.opinion, case.deadline) == (Stage.CNIL, Opinion.FAVOURABLE,
                                                         date(2026, 4, 2))  # two months
    case = apply(case, Event("cnil_extension", at("2026-03-20"), Role.CNIL))
    assert case.deadline == date(2026, 6, 2) and case.extended
    with pytest.raises(ProcedureError, match="once only"):
        apply(case, Event("cnil_extension", at("2026-03-21"), Role.CNIL))
    case = apply(case, Event("cnil_authorisation", at("2026-05-11"), Role.CNIL,
                             {"until": date(2029, 5, 10), "scope": "T2D adults, 2015-2024",
                              "conditions": "On the platform only"}))
    assert (case.stage, case.authorised_until, case.deadline) == (
        Stage.AUTHORISED, date(2029, 5, 10), None)
    assert not case.final and not case.overdue(date(2030, 1, 1))  # in force until its end
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
                          {"opinion": "unfavourable", "reasons": "No public interest shown."}))
    # On its last day, the opinion is still the committee's to give.
    given = apply(case, Event("cesrees_opinion", at("2026-02-09", 23), Role.CESREES,
                              {"opinion": "unfavourable", "reasons": "No public interest shown."}))
    assert (given.stage, given.opinion) == (Stage.CNIL, Opinion.UNFAVOURABLE)
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
    with pytest.raises(ProcedureError, match="reference-methodology procedure has no such step"):
        run(("submit", "2026-01-05", Role.APPLICANT,
             {"path": "reference-methodology", "methodology": "MR-004"}),
            ("forward_to_cesrees", "2026-01-07", Role.SECRETARIAT, {}))
    with pytest.raises(ProcedureError, match="authorisation procedure has no such step"):
        run(SUBMIT, ("record_conformity", "2026-01-07", Role.SECRETARIAT, {}))


@pytest.mark.parametrize(("event", "message"), [
    (("forward_to_cesrees", "2026-01-06", Role.APPLICANT, {}), "only the secretariat"),
    (("cesrees_opinion", "2026-01-06", Role.CESREES, {"opinion": "favourable", "reasons": "Sound design."}),
     "the application is submitted"),
    (("submit", "2026-01-06", Role.APPLICANT, {"path": "authorisation"}),
     "the application is submitted"),
    (("cnil_authorisation", "2026-01-06", Role.CNIL, {}), "the application is submitted"),
    (("cnil_authorisation", "2026-01-06", Role.SECRETARIAT, {}), "only the CNIL may authorise"),
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
    with pytest.raises(ProcedureError, match="favourable-with-recommendations or unfavourable"):
        apply(cesrees, Event("cesrees_opinion", at("2026-01-20"), Role.CESREES,
                             {"opinion": "deemed"}))
    cnil = apply(cesrees, Event("cesrees_opinion", at("2026-01-20"), Role.CESREES,
                                {"opinion": "unfavourable", "reasons": "No public interest shown."}))
    for data in ({"until": date(2026, 1, 21), "scope": "x"}, {"until": "2030-01-01", "scope": "x"},
                 {"until": date(2030, 1, 1)}):
        with pytest.raises(ProcedureError):
            apply(cnil, Event("cnil_authorisation", at("2026-01-21"), Role.CNIL, data))
    with pytest.raises(ProcedureError, match="time zone"):
        apply(Case(), Event("submit", datetime(2026, 1, 5), Role.APPLICANT,
                            {"path": "authorisation"}))


def test_withdrawal_is_possible_until_the_decision_only():
    case = run(SUBMIT, FORWARD, ("withdraw", "2026-01-20", Role.APPLICANT, {}))
    assert case.stage == Stage.WITHDRAWN and case.deadline is None
    with pytest.raises(ProcedureError, match="withdrawn"):
        apply(case, Event("submit", at("2026-01-21"), Role.APPLICANT, {"path": "authorisation"}))


def test_a_case_shows_its_clock():
    case = run(SUBMIT)
    assert case.clock_running and case.days_used(date(2026, 1, 9)) == 4
    case = apply(case, Event("request_complements", at("2026-01-08"), Role.SECRETARIAT,
                             {"reason": "The data management plan is missing."}))
    assert not case.clock_running and case.days_used(date(2026, 1, 20)) == 0  # no clock here
    assert case.clock_named("forward").used == 3  # 6, 7 and 8 January
    # The procedure is chosen once: a resubmission cannot switch it.
    with pytest.raises(ProcedureError, match="follows the authorisation procedure"):
        apply(case, Event("submit", at("2026-01-20"), Role.APPLICANT,
                          {"path": "reference-methodology", "methodology": "MR-004"}))


# --- the calendar ---------------------------------------------------------------------------


def test_working_days_skip_weekends_and_french_public_holidays():
    # Friday 10 July 2026 + 3 working days: Mon 13 (1), Tue 14 July is the national day,
    # Wed 15 (2), Thu 16 (3).
    assert add_working_days(date(2026, 7, 10), 3) == date(2026, 7, 16)
    # Wednesday 23 December 2026 + 2: Thu 24 (1), Fri 25 is Christmas, Sat, Sun, Mon 28 (2).
    assert add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 28)
    # Thursday 24 December 2026 + 5: 28, 29, 30, 31 December (4), Fri 1 January 2027 is New Year's
    # day, Mon 4 January (5).
    assert add_working_days(date(2026, 12, 24), 5) == date(2027, 1, 4)
    # Easter is Sunday 5 April 2026. Thursday 2 April + 2: Fri 3 (1; Good Friday is a holiday in
    # Alsace-Moselle only), Sat, Sun, Mon 6 is Easter Monday, Tue 7 (2).
    assert add_working_days(date(2026, 4, 2), 2) == date(2026, 4, 7)
    assert working_days_between(date(2026, 7, 10), date(2026, 7, 16)) == 3
    assert working_days_between(date(2026, 7, 16), date(2026, 7, 10)) == -3
    assert working_days_between(date(2026, 7, 10), date(2026, 7, 14)) == 1  # Mon 13 only
    assert add_working_days(date(2026, 7, 16), -3) == date(2026, 7, 10)
    assert not is_working_day(date(2026, 5, 14))  # Ascension Thursday


# --- a procedure is a description ---------------------------------------------------------------

REGISTRY = """
name: registry-access
title: Access to a regional cancer registry (made up for this test)
sources: ["none, a test"]
stages:
  draft: {}
  review: {label: the registry's board, clock: review}
  questions: {label: the applicant, stops: [review]}
  granted: {final: true}
  refused: {final: true}
clocks:
  review:
    length: 10
    unit: working_days
    lapse: {step: deemed_favourable, says: the opinion is deemed favourable}
steps:
  submit: {role: applicant, from: [draft], to: review, what: submit the application}
  ask: {role: secretariat, from: [review], to: questions, needs: {question: text}, what: ask}
  answer: {role: applicant, from: [questions], to: review, what: answer the question}
  deemed_favourable:
    role: calendar
    from: [review]
    to: granted
    records: {opinion: favourable-deemed}
    what: deem the opinion favourable
  grant: {role: secretariat, from: [review], to: granted, needs: {until: future_date}, what: grant}
  refuse: {role: secretariat, from: [review], to: refused, needs: {reason: text}, what: refuse}
"""


def test_a_new_procedure_is_a_new_description():
    """A made-up fifth procedure, in working days, walked by the same engine: its clock crosses
    14 July, stops while the applicant answers, resumes with what was left, and lapses."""
    registry = load(REGISTRY)
    among = {registry.name: registry}
    case = apply(Case(), Event("submit", at("2026-07-03"), Role.APPLICANT,
                               {"path": "registry-access"}), among)
    # Friday 3 July + 10 working days: 6, 7, 8, 9, 10, 13 (6), Tuesday 14 July off, 15, 16, 17 (9),
    # Monday 20 July (10).
    assert (case.stage, case.deadline) == ("review", date(2026, 7, 20))
    case = apply(case, Event("ask", at("2026-07-08"), Role.SECRETARIAT, {"question": "Which years?"}))
    review = case.clock_named("review")
    # Stopped on Wednesday 8 July: 3 working days used (6, 7, 8), 7 left (9, 10, 13, 15, 16, 17, 20).
    assert (case.deadline, review.state, review.used, review.remaining) == (None, "stopped", 3, 7)
    case = apply(case, Event("answer", at("2026-07-20"), Role.APPLICANT))
    # Resumed on Monday 20 July with 7 working days: 21, 22, 23, 24, 27, 28, Wednesday 29 July.
    assert (case.stage, case.deadline, case.clock_running) == ("review", date(2026, 7, 29), True)
    assert case.days_used(date(2026, 7, 22)) == 5
    assert due(case, at("2026-07-29", 23)) == []
    case = advance(case, at("2026-07-30", 0))
    assert (case.stage, case.opinion, case.final) == ("granted", "favourable-deemed", True)
    assert case.clock_named("review").used == 10
    assert replay(case.history, among) == case
    # The packaged procedures do not know it, and it does not know theirs.
    with pytest.raises(ProcedureError, match="path must be one of"):
        apply(Case(), Event("submit", at("2026-07-03"), Role.APPLICANT, {"path": "registry-access"}))
    with pytest.raises(ProcedureError, match="path must be one of registry-access, not"):
        apply(Case(), Event("submit", at("2026-07-03"), Role.APPLICANT, SUBMIT[3]), among)


@pytest.mark.parametrize(("change", "message"), [
    (("review: {label: the registry's board, clock: review}", "review: {clock: reveiw}"),
     "stages.review: no clock 'reveiw'"),
    (("to: granted\n    records", "to: grnated\n    records"), "steps.deemed_favourable.to: no stage"),
    (("role: calendar", "role: secretariat"), "not a calendar step"),
    (("what: refuse", "what: refuse, extends: review"), "no extensible clock 'review'"),
    (("role: applicant, from: [questions]", "role: auditor, from: [questions]"), "steps.answer.role"),
    (("  granted: {final: true}\n", ""), "no stage 'granted'"),
    (("length: 10", "length: 0"), "clocks.review.length"),
    (("name: registry-access", "name: Registry Access"), "name"),
    (("title: Access", "notes: x\ntitle: Access"), "notes: Extra inputs"),
    # A YAML trap: an unquoted colon makes a mapping where a text was meant.
    (('sources: ["none, a test"]', "sources: [none: a test]"), "sources.0: Input should be a valid str"),
    (("steps:", "steps: [\n"), "not YAML"),
])
def test_a_bad_description_is_refused_with_the_place_of_the_mistake(change, message):
    old, new = change
    assert old in REGISTRY
    with pytest.raises(DescriptionError, match=message) as refused:
        load(REGISTRY.replace(old, new, 1), "registry.yaml")
    assert str(refused.value).startswith("registry.yaml: ")


def test_the_packaged_procedures_cite_their_sources():
    found = procedures()
    assert sorted(found) == sorted(Path)
    for procedure in found.values():
        assert procedure.sources and procedure.title
    assert "Regulation (EU) 2025/327" in found["ehds-permit"].sources[0]


# --- the EHDS procedures ------------------------------------------------------------------------

PERMIT = ("submit", "2026-01-05", Role.APPLICANT, {"path": "ehds-permit"})


def test_an_ehds_permit_with_a_stopped_clock_and_its_3_plus_3_months():
    case = run(PERMIT)
    assert (case.stage, case.deadline) == (Stage.SUBMITTED, date(2026, 4, 5))  # 3 months
    case = apply(case, Event("request_completion", at("2026-01-20"), Role.SECRETARIAT,
                             {"reason": "The list of variables is missing."}))
    decision = case.clock_named("decision")
    # Stopped on 20 January: 15 days used, 75 left (11 in January, 28 in February, 31 in March,
    # 5 in April); the applicant has 4 weeks, to 17 February.
    assert (decision.state, decision.used, decision.remaining) == ("stopped", 15, 75)
    assert (case.stage, case.deadline, case.days_used(date(2026, 1, 27))) == (
        Stage.INCOMPLETE, date(2026, 2, 17), 7)
    assert case.overdue(date(2026, 2, 18)) and not case.overdue(date(2026, 2, 17))
    case = apply(case, Event("submit", at("2026-02-10"), Role.APPLICANT))
    # Resumed on 10 February with 75 days: 18 to 28 February, 31 in March, 26 April.
    assert (case.stage, case.deadline, case.clock_running) == (Stage.SUBMITTED, date(2026, 4, 26),
                                                               True)
    assert case.days_used(date(2026, 3, 1)) == 15 + 19
    with pytest.raises(ProcedureError, match="needs 'reason'"):
        apply(case, Event("extend_decision", at("2026-04-20"), Role.SECRETARIAT))
    case = apply(case, Event("extend_decision", at("2026-04-20"), Role.SECRETARIAT,
                             {"reason": "Linkage with a registry to assess."}))
    assert case.deadline == date(2026, 7, 26)  # once, by 3 months more
    with pytest.raises(ProcedureError, match="can be extended once only"):
        apply(case, Event("extend_decision", at("2026-04-21"), Role.SECRETARIAT, {"reason": "x"}))
    assert case.overdue(date(2026, 7, 27)) and not case.final  # late, but nothing is deemed
    with pytest.raises(ProcedureError, match="needs 'conditions'"):
        apply(case, Event("grant_permit", at("2026-06-01"), Role.SECRETARIAT,
                          {"scope": "DCIR 2015-2024", "until": date(2029, 6, 1)}))
    case = apply(case, Event("grant_permit", at("2026-06-01"), Role.SECRETARIAT,
                             {"scope": "DCIR 2015-2024", "conditions": "Secure environment only",
                              "until": date(2029, 6, 1)}))
    assert (case.stage, case.final, case.deadline, case.authorised_until) == (
        Stage.GRANTED, False, None, date(2029, 6, 1))
    assert case.record["conditions"] == "Secure environment only"
    assert replay(case.history) == case


def test_an_incomplete_ehds_application_can_be_refused_with_its_reason():
    case = run(PERMIT, ("request_completion", "2026-01-06", Role.SECRETARIAT, {"reason": "x"}))
    case = apply(case, Event("refuse", at("2026-02-04"), Role.SECRETARIAT,
                             {"reason": "Not completed within 4 weeks."}))
    assert (case.stage, case.record["reason"]) == (Stage.REFUSED, "Not completed within 4 weeks.")


def test_an_ehds_data_request_is_answered_with_anonymised_statistics_only():
    with pytest.raises(ProcedureError, match="'microdata' is not what a health data request"):
        run(("submit", "2026-01-05", Role.APPLICANT, {"path": "ehds-request", "output": "microdata"}))
    case = run(("submit", "2026-01-05", Role.APPLICANT,
                {"path": "ehds-request", "output": "anonymised-statistics"}))
    assert (case.stage, case.deadline) == (Stage.SUBMITTED, date(2026, 4, 5))
    case = apply(case, Event("extend_decision", at("2026-03-30"), Role.SECRETARIAT,
                             {"reason": "Three data holders to query."}))
    assert case.deadline == date(2026, 7, 5)
    with pytest.raises(ProcedureError, match="can be extended once only"):
        apply(case, Event("extend_decision", at("2026-03-31"), Role.SECRETARIAT, {"reason": "x"}))
    with pytest.raises(ProcedureError, match="only the secretariat"):
        apply(case, Event("approve_result", at("2026-06-01"), Role.APPLICANT, {"result": "R-1"}))
    case = apply(case, Event("approve_result", at("2026-06-01"), Role.SECRETARIAT,
                             {"result": "result 2026-17, counts under statistical secrecy"}))
    assert (case.stage, case.final, case.path) == (Stage.ANSWERED, True, Path.EHDS_REQUEST)


# --- any sequence of events, in every packaged procedure -----------------------------------------

BAD = {"text": [None, "  ", 7], "future_date": [date(2020, 1, 1), "2030-01-01"]}
GOOD = {"text": ["a reason"], "future_date": [date(2031, 1, 1)]}


def data_for(step):
    """Each field the step needs: mostly right, sometimes missing, blank or of the wrong kind."""
    fields = {}
    for key, need in step.needs.items():
        if isinstance(need, Choice):
            good, bad = list(need.choice), [None, "bogus"]
        else:
            good, bad = GOOD[need], BAD[need]
        fields[key] = st.sampled_from(good * 4 + bad)
    return st.fixed_dictionaries(fields)


@st.composite
def histories(draw):
    """Up to 20 attempted events, each 0 to 60 days after the one before, in one of the packaged
    procedures: mostly a step the current stage allows (a walk through the procedure), sometimes
    any step of any procedure by any role."""
    names = sorted(procedures())
    proc = procedures()[draw(st.sampled_from(names))]
    kinds = sorted({k for p in procedures().values() for k in p.steps})
    moment = datetime(2026, 1, 5, 9, tzinfo=PARIS)
    case, attempts = Case(), []
    for _ in range(draw(st.integers(0, 20))):
        moment += timedelta(days=draw(st.integers(0, 60)), minutes=draw(st.integers(0, 1439)))
        case = advance(case, moment)
        stage = case.stage if case.procedure else proc.start
        allowed = [k for k, s in sorted(proc.steps.items()) if stage in proc.sources_of(s)
                   and s.role != Role.CALENDAR for _ in range(1 if k == "withdraw" else 6)]
        wild = not allowed or draw(st.integers(0, 4)) == 0
        kind = draw(st.sampled_from(kinds if wild else allowed))
        step = proc.steps.get(kind)
        role = draw(st.sampled_from(list(Role))) if wild or step is None else step.role
        data = draw(data_for(step)) if step is not None else {}
        if case.procedure is None or draw(st.integers(0, 9)) == 0:
            data["path"] = draw(st.sampled_from([proc.name] * 8 + [*names, "shortcut"]))
        event = Event(kind, moment, role, data)
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
        proc = case.procedure
        step = proc.steps[event.kind]
        assert event.role == step.role  # only the role a step belongs to takes it
        assert (before.stage if before.procedure else proc.start) in proc.sources_of(step)
        # No step but the lapse once a lapsing deadline has passed (a late CESREES opinion).
        spec = proc.clock_of(before.stage) if before.procedure else None
        if spec is not None and spec.lapse is not None:
            assert day_of(event.at) <= before.deadline
    # The state is its history replayed: storing the events is enough.
    assert replay(case.history) == case
    if not case.history:
        return
    proc = case.procedure
    kinds = [e.kind for e in case.history]
    # A final stage is final.
    for i, e in enumerate(case.history):
        if replay(case.history[:i]).final:
            pytest.fail(f"{e.kind} applied after a final stage")
    # No clock extended more often than its description allows.
    for name, spec in proc.clocks.items():
        times = spec.extension.times if spec.extension else 0
        assert sum(proc.steps[k].extends == name for k in kinds) <= times
        clock = case.clock_named(name)
        assert clock is None or clock.extensions <= times
        # A stopped clock is exactly the one a stage of the file stops.
        if clock is not None and clock.state == "stopped":
            assert name in proc.stages[case.stage].stops or case.final
    # Every stage with a clock shows its deadline, and one that lapses is on time once the
    # calendar has run.
    assert (case.deadline is not None) == (proc.stages[case.stage].clock is not None)
    now = case.history[-1].at
    current = advance(case, now)
    spec = proc.clock_of(current.stage)
    if spec is not None and spec.lapse is not None:
        assert not current.overdue(day_of(now))
    # The French paths keep their own guarantees: an authorisation went through the secretariat,
    # an opinion (given or deemed) and the CNIL; a declaration of conformity named a reference
    # methodology and saw no committee.
    if case.stage == Stage.AUTHORISED:
        assert case.path == Path.AUTHORISATION and case.opinion is not None
        assert "forward_to_cesrees" in kinds and case.authorised_until > day_of(case.since)
    if case.stage == Stage.DECLARED:
        methodologies = procedures()["reference-methodology"].steps["submit"].needs["methodology"]
        assert case.methodology in methodologies.choice and case.opinion is None
    if case.stage in (Stage.GRANTED, Stage.ANSWERED):
        assert case.path in (Path.EHDS_PERMIT, Path.EHDS_REQUEST)
        assert case.record.get("until", date.max) > day_of(case.since)


AUTHORISED = (SUBMIT, FORWARD,
              ("cesrees_opinion", "2026-02-02", Role.CESREES,
               {"opinion": "favourable-with-recommendations", "reasons": "Add a sensitivity test."}),
              ("cnil_authorisation", "2026-03-02", Role.CNIL,
               {"scope": "T2D adults", "conditions": "None", "until": date(2027, 3, 31)}))


def test_an_amendment_is_reviewed_while_the_authorisation_stays_in_force():
    case = run(*AUTHORISED, ("request_amendment", "2026-06-01", Role.APPLICANT,
                             {"change": "Add the hospital stays of 2025"}))
    assert (case.stage, case.deadline) == (Stage.AMENDMENT, date(2026, 6, 8))
    case = run(*case_events(case), ("amendment_to_cesrees", "2026-06-03", Role.SECRETARIAT, {}))
    assert case.deadline == date(2026, 7, 3)
    case = advance(case, at("2026-07-04"))  # the CESREES did not answer on the change
    assert (case.stage, case.opinion, case.deadline) == ("amendment_cnil", "deemed",
                                                         date(2026, 9, 4))
    case = apply(case, Event("amendment_authorised", at("2026-07-20"), Role.CNIL,
                             {"scope": "T2D adults, with 2025 stays", "conditions": "None",
                              "until": date(2028, 3, 31)}))
    assert (case.stage, case.scope, case.authorised_until) == (
        Stage.AUTHORISED, "T2D adults, with 2025 stays", date(2028, 3, 31))


def test_an_authorisation_ends_on_its_end_date_even_when_suspended():
    case = run(*AUTHORISED)
    assert due(case, at("2027-03-31", 23)) == []
    suspended = run(*AUTHORISED, ("suspend", "2026-09-01", Role.CNIL, {"reason": "Audit"}))
    ended = advance(suspended, at("2027-04-01", 0))
    assert (ended.stage, ended.final, ended.history[-1].kind) == (Stage.EXPIRED, True, "expire")
    assert ended.history[-1].at == datetime(2027, 4, 1, tzinfo=PARIS)
    with pytest.raises(ProcedureError, match="had until 2027-03-31: the authorisation has expired"):
        apply(suspended, Event("lift_suspension", at("2027-04-02"), Role.CNIL))
    with pytest.raises(ProcedureError, match="has until 2027-03-31"):
        apply(suspended, Event("expire", at("2027-03-31"), Role.CALENDAR))
    lifted = apply(suspended, Event("lift_suspension", at("2026-10-01"), Role.CNIL))
    revoked = apply(lifted, Event("revoke", at("2026-11-01"), Role.CNIL, {"reason": "Breach"}))
    assert (lifted.stage, revoked.stage, revoked.final) == (Stage.AUTHORISED, Stage.REVOKED, True)
    assert due(revoked, at("2030-01-01")) == []  # a revoked authorisation has nothing left to end


def test_data_holders_answer_without_moving_the_file():
    case = run(SUBMIT, ("consult_holder", "2026-01-06", Role.SECRETARIAT, {"holder": "CNAM"}),
               ("holder_answer", "2026-01-07", Role.DATA_HOLDER,
                {"holder": "CNAM", "feasibility": "feasible", "cost": "2,400 EUR"}))
    assert (case.stage, case.deadline, case.record["feasibility"]) == (
        Stage.SUBMITTED, date(2026, 1, 12), "feasible")
    with pytest.raises(ProcedureError, match="only a data holder may"):
        apply(case, Event("holder_answer", at("2026-01-08"), Role.SECRETARIAT,
                          {"holder": "CNAM", "feasibility": "feasible", "cost": "0"}))


def case_events(case: Case) -> list[tuple[str, str, Role, dict]]:
    return [(e.kind, day_of(e.at).isoformat(), e.role, dict(e.data)) for e in case.history]
