"""The spans of a file's stages (`hygie.access.durations`) on histories written by hand, with the
expected days and deadlines counted by hand: a stage left on its last day is met and the day after
is not, a stopped clock's days are not counted, a CESREES opinion deemed given is not met."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from hygie.access import Case, Event, Role, advance, apply, load
from hygie.access.durations import Span, spans, timed
from hygie.access.procedure import procedures

PARIS = ZoneInfo("Europe/Paris")
A, S, CES, CNIL = Role.APPLICANT, Role.SECRETARIAT, Role.CESREES, Role.CNIL


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=PARIS)


def run(*steps: tuple[str, str, Role, dict], among: dict | None = None,
        until: str | None = None) -> Case:
    """The case after the steps (each one after what the calendar did by then), advanced to
    `until` when given."""
    case = Case()
    for kind, day, role, data in steps:
        case = apply(advance(case, at(day)), Event(kind, at(day), role, data), among)
    return advance(case, at(until, 0)) if until else case


def only(found: list[Span], stage: str) -> Span:
    matching = [s for s in found if s.stage == stage]
    assert len(matching) == 1, matching
    return matching[0]


SUBMIT = ("submit", "2026-01-05", A, {"path": "authorisation"})  # a Monday
OPINION = {"opinion": "favourable", "reasons": "Sound design."}


def test_a_stage_left_on_its_last_day_is_met_and_the_day_after_is_not():
    on_time = spans(run(SUBMIT, ("forward_to_cesrees", "2026-01-12", S, {})))
    late = spans(run(SUBMIT, ("forward_to_cesrees", "2026-01-13", S, {})))
    first = only(on_time, "submitted")
    assert (first.entered, first.left, first.clock, first.deadline) == (
        at("2026-01-05"), at("2026-01-12"), "forward", date(2026, 1, 12))  # 7 days
    assert (first.met, first.days, first.working_days, first.stopped) == (True, 7, None, ())
    assert (only(late, "submitted").met, only(late, "submitted").days) == (False, 8)
    # The CESREES stage that followed is still open: no leaving, no verdict, its deadline so far.
    open_ = only(on_time, "cesrees")
    assert (open_.left, open_.met, open_.days, open_.deadline) == (None, None, None,
                                                                   date(2026, 2, 12))


def test_the_cesrees_month_met_on_its_last_day_and_a_deemed_opinion_not_met():
    forward = ("forward_to_cesrees", "2026-01-12", S, {})
    answered = spans(run(SUBMIT, forward, ("cesrees_opinion", "2026-02-12", CES, OPINION)))
    cesrees = only(answered, "cesrees")
    assert (cesrees.deadline, cesrees.met, cesrees.days, cesrees.lapsed) == (
        date(2026, 2, 12), True, 31, False)
    # Silence: the calendar deems the opinion given the day after the month, at midnight.
    deemed = spans(run(SUBMIT, forward, until="2026-02-13"))
    cesrees = only(deemed, "cesrees")
    assert (cesrees.left, cesrees.deadline, cesrees.met, cesrees.days, cesrees.lapsed) == (
        at("2026-02-13", 0), date(2026, 2, 12), False, 32, True)
    assert only(deemed, "cnil").entered == at("2026-02-13", 0)


def test_the_deadline_that_applied_is_the_extended_one():
    case = run(SUBMIT, ("forward_to_cesrees", "2026-01-12", S, {}),
               ("cesrees_opinion", "2026-02-02", CES, OPINION),  # CNIL: until 2 April
               ("cnil_extension", "2026-03-20", CNIL, {}),  # until 2 June
               ("cnil_authorisation", "2026-05-11", CNIL,
                {"scope": "T2D", "conditions": "On the platform", "until": date(2029, 5, 10)}))
    cnil = only(spans(case), "cnil")
    assert (cnil.deadline, cnil.met, cnil.days) == (date(2026, 6, 2), True, 98)
    # An authorisation in force is a span too, but no wait that the dashboard counts.
    authorised = only(spans(case), "authorised")
    assert (authorised.left, authorised.clock, authorised.met) == (None, None, None)
    proc = procedures()["authorisation"]
    assert not timed(proc, "authorised") and timed(proc, "amendment_cnil")
    assert timed(proc, "incomplete") and not timed(proc, "refused")


def test_a_stopped_clock_is_one_span_and_its_stop_is_not_counted():
    """EHDS permit: 10 days with the access body, 20 with the applicant (the decision clock
    stopped), then back until the decision: Apr 2 to Sep 1 is 152 days, 132 of them counted."""
    submit = ("submit", "2029-04-02", A, {"path": "ehds-permit"})
    case = run(submit, ("request_completion", "2029-04-12", S, {"reason": "Ethics approval"}),
               ("submit", "2029-05-02", A, {}),
               ("extend_decision", "2029-07-01", S, {"reason": "Linkage"}),
               ("grant_permit", "2029-09-01", S,
                {"scope": "DCIR", "conditions": "SPE", "until": date(2031, 12, 31)}))
    found = spans(case)
    assert [s.stage for s in found] == ["submitted", "incomplete", "granted"]  # in force
    decision = found[0]
    assert (decision.entered, decision.left) == (at("2029-04-02"), at("2029-09-01"))
    assert decision.stopped == ((date(2029, 4, 12), date(2029, 5, 2)),)
    assert (decision.days, decision.deadline, decision.met) == (132, date(2029, 10, 22), True)
    completion = found[1]
    assert (completion.clock, completion.deadline, completion.days, completion.met) == (
        "completion", date(2029, 5, 10), 20, True)


def test_a_file_that_ends_while_its_clock_is_stopped():
    """Refused while with the applicant: the access body's span ended when it sent it back."""
    case = run(("submit", "2029-04-02", A, {"path": "ehds-permit"}),
               ("request_completion", "2029-04-12", S, {"reason": "Ethics approval"}),
               ("refuse", "2029-05-15", S, {"reason": "Not completed in four weeks"}))
    decision, completion = spans(case)
    assert (decision.left, decision.days, decision.deadline, decision.met) == (
        at("2029-04-12"), 10, date(2029, 7, 2), True)
    assert (completion.days, completion.deadline, completion.met) == (33, date(2029, 5, 10),
                                                                       False)
    # Still with the applicant: the access body's span is open, waiting for the file to return.
    waiting = spans(run(("submit", "2029-04-02", A, {"path": "ehds-permit"}),
                        ("request_completion", "2029-04-12", S, {"reason": "x"})))
    assert (waiting[0].left, waiting[0].met, waiting[0].days) == (None, None, None)


REVIEW = """
name: review-in-working-days
title: A review in working days
sources: [made up for the test]
stages:
  draft: {}
  review: {clock: review}
  incomplete: {stops: [review]}
  decided: {final: true}
clocks:
  review: {length: 10, unit: working_days}
steps:
  submit: {role: applicant, from: [draft, incomplete], to: review, what: submit}
  ask: {role: secretariat, from: [review], to: incomplete, what: ask for complements}
  decide: {role: secretariat, from: [review], to: decided, what: decide}
"""


def test_working_days_skip_weekends_and_public_holidays_and_the_stop():
    """Submitted Thursday 30 April 2026: 1 and 8 May (Fridays) and Ascension (14 May) are
    holidays, so the 10 working days are 4-7, 11-13, 15, 18 and 19 May."""
    among = {"review-in-working-days": load(REVIEW)}
    submit = ("submit", "2026-04-30", A, {"path": "review-in-working-days"})
    span = spans(run(submit, ("decide", "2026-05-19", S, {}), among=among))[0]
    assert (span.deadline, span.met, span.days, span.working_days) == (date(2026, 5, 19), True,
                                                                        19, 10)
    late = spans(run(submit, ("decide", "2026-05-20", S, {}), among=among))[0]
    assert (late.met, late.working_days) == (False, 11)
    # Stopped on Wed 6 May (3 used, 7 left), resumed Mon 11 May: 7 more end on Thu 21 May.
    stopped = run(submit, ("ask", "2026-05-06", S, {}), ("submit", "2026-05-11", A, {}),
                  ("decide", "2026-05-21", S, {}), among=among)
    span = only(spans(stopped), "review")
    assert span.stopped == ((date(2026, 5, 6), date(2026, 5, 11)),)
    assert (span.deadline, span.met) == (date(2026, 5, 21), True)
    assert (span.days, span.working_days) == (21 - 5, 12 - 2)  # 7 and 11 May are the stop's


def test_a_case_without_events_has_no_span():
    assert spans(Case()) == []
