"""The whole review of a file, stored and replayed, with time travel (`now`): each procedure from
draft to its end, the CESREES's silence, the CNIL's extension, the clock stopped while the
applicant completes the file, public holidays, the EHDS 3 + 3 months, and an authorisation's end
date. Runs on SQLite and, with HYGIE_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from hygie.access import ProcedureError
from hygie.web.guichet.models import Application, ApplicationEvent
from hygie.web.guichet.workflow import Conflict, Incomplete, act, case_of, catch_up_all
from tests.web.guichet_files import at, complete_file, make_desk, on_agenda

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_user):
    return make_desk(make_user)


def stored(application: Application) -> list[tuple[str, str, str]]:
    return [(e.kind, e.stage_before, e.stage_after) for e in application.events.order_by("seq")]


def test_the_authorisation_path_from_draft_to_its_end(desk):
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-04-30"))  # before 1 May and 8 May
    file.refresh_from_db()
    assert (file.stage, file.deadline, file.received) == ("submitted", date(2026, 5, 7),
                                                          at("2026-04-30"))
    # Complements asked: the file goes back, and a new submission gives 7 new days.
    act(file.pk, desk.secretariat, "request_complements", {"reason": "Add the DMP."},
        now=at("2026-05-04"))
    act(file.pk, desk.applicant, "submit", now=at("2026-05-20"))
    file.refresh_from_db()
    assert (file.stage, file.deadline) == ("submitted", date(2026, 5, 27))
    act(file.pk, desk.secretariat, "consult_holder", {"holder": "cnam"}, now=at("2026-05-21"))
    act(file.pk, desk.holder, "holder_answer",
        {"holder": "cnam", "feasibility": "feasible", "cost": "1,200 EUR"}, now=at("2026-05-22"))
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-05-26"))
    on_agenda(file, desk.cesrees)
    # The CESREES says nothing for a month: its opinion is deemed given the day after.
    assert catch_up_all(at("2026-06-26", 12)) == 0
    assert catch_up_all(at("2026-06-27", 0)) == 1
    file.refresh_from_db()
    deemed = file.events.get(kind="cesrees_deemed")
    assert (file.stage, deemed.at, deemed.actor, case_of(file).opinion) == (
        "cnil", at("2026-06-27", 0), None, "deemed")
    with pytest.raises(ProcedureError, match="cannot give the CESREES opinion"):
        act(file.pk, desk.cesrees, "cesrees_opinion",
            {"opinion": "favourable", "reasons": "Late"}, now=at("2026-06-28"))
    # The CNIL extends its two months once.
    act(file.pk, desk.cnil, "cnil_extension", now=at("2026-08-20"))
    file.refresh_from_db()
    assert file.deadline == date(2026, 10, 27)
    with pytest.raises(ProcedureError, match="once only"):
        act(file.pk, desk.cnil, "cnil_extension", now=at("2026-08-21"))
    act(file.pk, desk.cnil, "cnil_authorisation",
        {"scope": "T2D adults", "conditions": "On the platform", "until": date(2028, 6, 30)},
        now=at("2026-10-01"))
    file.refresh_from_db()
    assert (file.stage, file.ends, file.decided) == ("authorised", date(2028, 6, 30),
                                                     at("2026-10-01"))
    # Its end date passes: the calendar ends it, dated the day after.
    catch_up_all(at("2028-07-03"))
    file.refresh_from_db()
    assert file.stage == "expired"
    assert stored(file)[-1] == ("expire", "authorised", "expired")
    assert file.events.get(kind="expire").at == at("2028-07-01", 0)
    assert case_of(file).stage == "expired"  # the projection is the replay's


def test_the_applicant_sees_each_missing_item_and_cannot_submit(desk):
    from django.utils import translation

    file = complete_file(desk.applicant, public_interest="", duration_months=None)
    with translation.override("en"), pytest.raises(Incomplete) as refused:
        act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    assert refused.value.items == ["the public interest", "the duration of the processing"]
    assert not ApplicationEvent.objects.filter(application=file).exists()


def test_only_the_role_the_procedure_names_may_act(desk):
    file = complete_file(desk.applicant)
    with pytest.raises(PermissionDenied):
        act(file.pk, desk.secretariat, "submit", now=at("2026-01-05"))
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    for person in (desk.applicant, desk.cesrees, desk.cnil, desk.outsider):
        with pytest.raises(PermissionDenied):
            act(file.pk, person, "forward_to_cesrees", now=at("2026-01-06"))
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-01-06"))
    with pytest.raises(PermissionDenied):  # a CESREES member of no session holding the file
        act(file.pk, desk.cesrees, "cesrees_opinion",
            {"opinion": "favourable", "reasons": "x"}, now=at("2026-01-07"))


def test_a_second_agent_is_refused_cleanly(desk):
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    file.refresh_from_db()
    seen = file.seq
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-01-06"), seen=seen)
    with pytest.raises(Conflict):
        act(file.pk, desk.secretariat2, "request_complements", {"reason": "x"},
            now=at("2026-01-06", 11), seen=seen)
    with pytest.raises(ProcedureError, match="the application is cesrees"):
        act(file.pk, desk.secretariat2, "forward_to_cesrees", now=at("2026-01-06", 11))
    assert [k for k, _, _ in stored(file)] == ["submit", "forward_to_cesrees"]


def test_the_ehds_permit_three_plus_three_months_with_the_clock_stopped(desk):
    file = complete_file(desk.applicant, "ehds-permit")
    act(file.pk, desk.applicant, "submit", now=at("2029-04-02"))
    file.refresh_from_db()
    assert file.deadline == date(2029, 7, 2)
    act(file.pk, desk.secretariat, "request_completion", {"reason": "Ethics approval"},
        now=at("2029-04-12"))
    file.refresh_from_db()
    assert (file.stage, file.deadline) == ("incomplete", date(2029, 5, 10))  # 4 weeks
    act(file.pk, desk.applicant, "submit", now=at("2029-05-02"))
    file.refresh_from_db()
    assert file.deadline == date(2029, 7, 22)  # the 20 days it stood still are given back
    act(file.pk, desk.secretariat, "extend_decision", {"reason": "Complex linkage"},
        now=at("2029-07-01"))
    file.refresh_from_db()
    assert file.deadline == date(2029, 10, 22)
    act(file.pk, desk.secretariat, "grant_permit",
        {"scope": "DCIR", "conditions": "SPE only", "until": "2031-12-31"}, now=at("2029-09-01"))
    file.refresh_from_db()
    assert (file.stage, file.ends) == ("granted", date(2031, 12, 31))


def test_the_reference_methodology_and_the_health_data_request(desk):
    mr = complete_file(desk.applicant, "reference-methodology")
    act(mr.pk, desk.applicant, "submit", now=at("2026-03-02"))
    act(mr.pk, desk.secretariat, "record_conformity", now=at("2026-03-03"))
    mr.refresh_from_db()
    assert (mr.stage, case_of(mr).methodology) == ("declared", "MR-004")
    from hygie.web.catalogue.models import Dataset
    from hygie.web.feasibility.models import SavedCohort

    cohort = SavedCohort.objects.create(owner=desk.applicant, dataset=Dataset.objects.get(
        slug="snds"), name="T2D", definition="name: t2d", count_state="none")
    request = complete_file(desk.applicant, "ehds-request", methodology="", funding="",
                            cohort=cohort)
    act(request.pk, desk.applicant, "submit", now=at("2029-03-02"))
    with pytest.raises(ProcedureError, match="must be counted first"):
        act(request.pk, desk.secretariat, "approve_result", now=at("2029-03-05"))
    cohort.counts, cohort.count_state, cohort.counted = [["Entry", "1,240"]], "done", at(
        "2029-03-04")
    cohort.save()
    act(request.pk, desk.secretariat, "approve_result", {"result": "made up"},
        now=at("2029-03-05"))
    request.refresh_from_db()
    assert request.stage == "answered"
    answer = request.events.get(kind="approve_result").data["result"]
    assert '"counts": [["Entry", "1,240"]]' in answer and "made up" not in answer


def test_the_unique_event_order_refuses_a_lost_update_even_without_the_lock(desk):
    """A writer that read the file before another stored its event cannot store one beside it."""
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    file.refresh_from_db()
    ApplicationEvent.objects.create(  # another agent's event, its projection not yet written
        application=file, seq=file.seq + 1, kind="forward_to_cesrees", at=at("2026-01-06"),
        role="secretariat", actor=desk.secretariat2, stage_before="submitted",
        stage_after="cesrees")
    with pytest.raises(Conflict):  # a step both stages allow: only the order refuses it
        act(file.pk, desk.secretariat, "consult_holder", {"holder": "cnam"},
            now=at("2026-01-06", 11))
    assert file.events.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_agents_at_once_one_result_one_clear_refusal(make_user):
    """Two secretariat agents act on one file at the same moment, on two connections."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: SQLite's single writer serialises by itself")
    desk = make_desk(make_user)
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    start, outcomes = threading.Barrier(2), {}

    def agent(person, kind, data):
        try:
            start.wait()
            act(file.pk, person, kind, data, now=at("2026-01-06"))
            outcomes[kind] = "done"
        except Exception as e:  # the outcome is what the test compares
            outcomes[kind] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=agent, args=(desk.secretariat, "forward_to_cesrees", {})),
               threading.Thread(target=agent, args=(desk.secretariat2, "request_complements",
                                                    {"reason": "Add the DMP"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [k for k, v in outcomes.items() if v == "done"]
    refused = [v for v in outcomes.values() if v != "done"]
    assert len(done) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], (ProcedureError, Conflict))
    assert "cannot" in str(refused[0]) or isinstance(refused[0], Conflict)
    file.refresh_from_db()
    assert [e.kind for e in file.events.order_by("seq")] == ["submit", done[0]]
    assert file.stage == {"forward_to_cesrees": "cesrees", "request_complements": "incomplete"}[
        done[0]]
