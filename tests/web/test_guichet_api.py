"""The guichet API (/api/guichet/): drafts written and changed, every step of the review as one
operation, the timeline, messages and attachments; 404 for a file one may not view, 403 for what
one may not do on a file one views, 409 on a stale version, 422 with the reasons in the request's
language. schemathesis finds no server error, anonymous or signed in. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hygie.access import ProcedureError, procedures
from hygie.web.audit.models import AuditEvent
from hygie.web.guichet.completeness import missing
from hygie.web.guichet.models import Application, Message
from hygie.web.guichet.wording import refusal
from hygie.web.guichet.workflow import act
from tests.web.guichet_files import complete_file, make_desk, minimal_pdf, on_agenda
from tests.web.helpers import login, run_jobs

pytestmark = pytest.mark.django_db
API = "/api/guichet"


@pytest.fixture
def desk(make_user):
    return make_desk(make_user)


def post(client, url, body=None, **environ):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **environ)


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def french(user):
    client = login(user)
    client.cookies["django_language"] = "fr"
    return client


def submitted(desk, procedure="authorisation", **fields):
    file = complete_file(desk.applicant, procedure, **fields)
    act(file.pk, desk.applicant, "submit")
    file.refresh_from_db()
    return file


# --- drafts --------------------------------------------------------------------------------------


def test_an_applicant_writes_a_draft_reads_and_lists_it(desk):
    client = login(desk.applicant)
    response = post(client, f"{API}/files", {
        "procedure": "authorisation", "title": "Statins and dementia", "datasets": ["snds"],
        "period_start": "2019-01-01", "period_end": "2022-12-31",
        "team": [{"name": "Dr B", "email": "outsider@example.org", "role": "investigator"}]})
    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["stage"], made["seq"], made["roles"]) == ("draft", 0, ["applicant"])
    assert made["steps"] == ["submit", "withdraw"]
    assert "the public interest" in made["missing"]
    assert made["datasets"] == ["snds"] and made["team"][0]["role"] == "investigator"
    file = Application.objects.get(pk=made["id"])
    assert file.applicant == desk.applicant and file.team.get().user == desk.outsider
    assert AuditEvent.objects.filter(action="guichet.file_created",
                                     target_id=str(file.pk)).exists()
    assert client.get(f"{API}/files/{file.pk}").json()["title"] == "Statins and dementia"
    listing = client.get(f"{API}/files").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == file.pk
    # Named in the team, with an account: may read it, not change it.
    team = login(desk.outsider)
    assert team.get(f"{API}/files/{file.pk}").json()["roles"] == ["team"]
    assert patch(team, f"{API}/files/{file.pk}", {"title": "Mine"}).status_code == 403
    # The secretariat does not see a draft, nor does anyone else.
    for person in (desk.secretariat, desk.cnil, desk.holder):
        other = login(person)
        assert other.get(f"{API}/files/{file.pk}").status_code == 404
        assert other.get(f"{API}/files").json()["count"] == 0


def test_a_draft_is_changed_field_by_field_and_bad_values_are_refused(desk):
    file = complete_file(desk.applicant)
    client = login(desk.applicant)
    response = patch(client, f"{API}/files/{file.pk}", {"purpose": "A new purpose", "seq": 0})
    assert response.status_code == 200, response.content
    file.refresh_from_db()
    assert file.purpose == "A new purpose" and file.title.startswith("Metformin")
    response = patch(client, f"{API}/files/{file.pk}", {
        "title": "Two\nlines", "processing": "cloud", "datasets": ["no-such-dataset"]})
    assert response.status_code == 422
    refused = response.json()
    assert set(refused["fields"]) == {"title", "processing", "datasets"}
    file.refresh_from_db()
    assert file.title.startswith("Metformin") and file.processing == "platform"
    assert patch(client, f"{API}/files/{file.pk}", {"duration_months": -3}).status_code == 422
    assert patch(client, f"{API}/files/{file.pk}", {"cohort": 999}).status_code == 422
    # Another's file: as if it did not exist.
    assert patch(login(desk.outsider), f"{API}/files/{file.pk}",
                 {"title": "x"}).status_code == 404


def test_a_stale_version_is_refused_and_a_submitted_file_is_no_longer_editable(desk):
    file = complete_file(desk.applicant)
    client = login(desk.applicant)
    assert post(client, f"{API}/files/{file.pk}/steps/submit", {"seq": 0}).status_code == 200
    response = patch(client, f"{API}/files/{file.pk}", {"title": "Late", "seq": 0})
    assert response.status_code == 409 and "version 0, now 1" in response.json()["detail"]
    assert patch(client, f"{API}/files/{file.pk}", {"title": "Late"}).status_code == 403
    file.refresh_from_db()
    assert file.title.startswith("Metformin")


def test_writes_need_a_session_and_the_csrf_token(desk):
    file = complete_file(desk.applicant)
    anonymous = Client()
    assert anonymous.get(f"{API}/files").status_code == 401
    assert anonymous.get(f"{API}/files/{file.pk}").status_code == 401
    assert post(anonymous, f"{API}/files/{file.pk}/steps/submit").status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(desk.applicant)
    assert post(strict, f"{API}/files/{file.pk}/steps/submit").status_code == 403
    strict.get("/")  # the pages set the token's cookie
    token = strict.cookies["csrftoken"].value
    response = post(strict, f"{API}/files/{file.pk}/steps/submit", {}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    # A staff member past the password but not the second factor reads nothing.
    half = Client()
    half.post("/accounts/login/", {"username": desk.secretariat.username,
                                   "password": "correct horse battery staple"})
    assert half.get(f"{API}/files/{file.pk}").status_code == 403


# --- steps ---------------------------------------------------------------------------------------


def test_the_review_through_the_api_with_each_answer(desk):
    file = complete_file(desk.applicant, public_interest="")
    applicant, agent = login(desk.applicant), login(desk.secretariat)
    response = post(applicant, f"{API}/files/{file.pk}/steps/submit")
    assert response.status_code == 422
    assert response.json()["missing"] == ["the public interest"]
    assert patch(applicant, f"{API}/files/{file.pk}",
                 {"public_interest": "Safety"}).status_code == 200
    response = post(applicant, f"{API}/files/{file.pk}/steps/submit", {"seq": 0})
    assert response.status_code == 200, response.content
    state = response.json()
    assert (state["stage"], state["seq"], state["steps"]) == ("submitted", 1, ["withdraw"])
    assert state["clock"]["name"] == "forward" and state["clock"]["state"] == "running"
    assert state["deadline"] == (timezone.localdate() + timedelta(days=7)).isoformat() or \
        state["deadline"] is not None
    seen = agent.get(f"{API}/files/{file.pk}").json()
    assert seen["roles"] == ["secretariat"]
    assert {"request_complements", "forward_to_cesrees", "consult_holder"} <= set(seen["steps"])
    # The applicant may view the file, not take the secretariat's step: 403.
    assert post(applicant, f"{API}/files/{file.pk}/steps/forward_to_cesrees").status_code == 403
    # A step without what it needs: 422 naming it.
    response = post(agent, f"{API}/files/{file.pk}/steps/request_complements", {"data": {}})
    assert response.status_code == 422 and response.json()["missing"] == ["reason"]
    # The calendar's steps are nobody's.
    assert post(agent, f"{API}/files/{file.pk}/steps/cesrees_deemed").status_code == 403
    # A step of another procedure, and no step at all.
    assert post(agent, f"{API}/files/{file.pk}/steps/grant_permit").status_code == 422
    assert post(agent, f"{API}/files/{file.pk}/steps/dance").status_code == 422
    # Two agents on the version they read: one acts, the other is told the file changed.
    first = post(agent, f"{API}/files/{file.pk}/steps/forward_to_cesrees", {"seq": 1})
    assert first.status_code == 200 and first.json()["stage"] == "cesrees"
    second = post(login(desk.secretariat2), f"{API}/files/{file.pk}/steps/request_complements",
                  {"data": {"reason": "DMP"}, "seq": 1})
    assert second.status_code == 409
    # Without a version, the procedure refuses a step the stage does not allow, saying why.
    again = post(agent, f"{API}/files/{file.pk}/steps/forward_to_cesrees")
    assert again.status_code == 422 and "Before the CESREES" in again.json()["detail"]
    file.refresh_from_db()
    assert [e.kind for e in file.events.order_by("seq")] == ["submit", "forward_to_cesrees"]
    assert AuditEvent.objects.filter(action="guichet.step_refused").count() >= 6
    # The CESREES member sitting on the file's session gives the opinion; the CNIL decides.
    on_agenda(file, desk.cesrees)
    response = post(login(desk.cesrees), f"{API}/files/{file.pk}/steps/cesrees_opinion", {
        "data": {"opinion": "favourable", "reasons": "Sound"}})
    assert response.status_code == 200 and response.json()["opinion"] == "favourable"
    cnil = login(desk.cnil)
    until = (timezone.localdate() + timedelta(days=700)).isoformat()
    response = post(cnil, f"{API}/files/{file.pk}/steps/cnil_authorisation", {
        "data": {"scope": "T2D", "conditions": "On the platform", "until": "not a date"}})
    assert response.status_code == 422 and "YYYY-MM-DD" in response.json()["detail"]
    response = post(cnil, f"{API}/files/{file.pk}/steps/cnil_authorisation", {
        "data": {"scope": "T2D", "conditions": "On the platform", "until": until}})
    assert response.status_code == 200, response.content
    assert (response.json()["stage"], response.json()["ends"]) == ("authorised", until)


def test_refusals_are_in_the_language_of_the_request(desk):
    file = complete_file(desk.applicant, public_interest="")
    client = french(desk.applicant)
    response = post(client, f"{API}/files/{file.pk}/steps/submit")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Le dossier est incomplet")
    with translation.override("fr"):
        assert response.json()["missing"] == missing(file)
    file = submitted(desk)
    agent = login(desk.secretariat)
    post(agent, f"{API}/files/{file.pk}/steps/forward_to_cesrees")
    english = post(agent, f"{API}/files/{file.pk}/steps/forward_to_cesrees").json()["detail"]
    agent.cookies["django_language"] = "fr"
    translated = post(agent, f"{API}/files/{file.pk}/steps/forward_to_cesrees").json()["detail"]
    refused = ProcedureError("cannot forward the file to the CESREES: the application is cesrees")
    with translation.override("en"):
        assert english == refusal(refused).message
    with translation.override("fr"):
        assert translated == refusal(refused).message
    # Without a language cookie, Accept-Language chooses.
    other = login(desk.secretariat2)
    del other.cookies["django_language"]
    response = post(other, f"{API}/files/{file.pk}/steps/forward_to_cesrees",
                    HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["detail"] == translated
    response = post(other, f"{API}/files/{file.pk}/steps/consult_holder", {"seq": 0},
                    HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 409 and "a changé" in response.json()["detail"]


def test_the_description_lists_every_step_of_every_procedure(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"][f"{API}/files/{{file_id}}/steps/{{kind}}"]["post"]
    kinds = next(p for p in operation["parameters"] if p["name"] == "kind")
    enum = kinds["schema"].get("enum") or schema["components"]["schemas"][
        kinds["schema"]["$ref"].rsplit("/", 1)[1]]["enum"]
    every = {kind for p in procedures().values() for kind in p.steps}
    assert set(enum) == every
    for name, proc in procedures().items():
        assert f"**{name}**" in operation["description"]
        for kind, step in proc.steps.items():
            assert f"`{kind}`" in operation["description"]
            for key in step.needs:
                if kind not in ("submit", "approve_result"):
                    assert f"`{key}`" in operation["description"], (kind, key)
    assert {"200", "403", "404", "409", "422"} <= set(operation["responses"])
    listing = client.get(f"{API}/procedures").json()
    assert {p["name"] for p in listing} == set(procedures())


# --- timeline, messages, attachments ------------------------------------------------------------


def test_the_timeline_names_the_staff_to_the_staff_only(desk):
    file = submitted(desk)
    act(file.pk, desk.secretariat, "request_complements", {"reason": "Add the DMP"})
    for_applicant = login(desk.applicant).get(f"{API}/files/{file.pk}/timeline").json()
    assert [e["kind"] for e in for_applicant] == ["submit", "request_complements"]
    assert for_applicant[1]["data"] == {"reason": "Add the DMP"}
    assert for_applicant[1]["actor"] is None and for_applicant[1]["role"] == "secretariat"
    for_staff = login(desk.secretariat).get(f"{API}/files/{file.pk}/timeline").json()
    assert for_staff[1]["actor"] == "agent"
    assert login(desk.outsider).get(f"{API}/files/{file.pk}/timeline").status_code == 404


def test_messages_and_internal_notes(desk, mailoutbox, django_capture_on_commit_callbacks):
    draft = complete_file(desk.applicant)
    applicant, agent = login(desk.applicant), login(desk.secretariat)
    assert post(applicant, f"{API}/files/{draft.pk}/messages", {"body": "Hello"}).status_code == 422
    file = submitted(desk)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(applicant, f"{API}/files/{file.pk}/messages",
                    {"body": "When will it be reviewed?"}).status_code == 201
        assert post(agent, f"{API}/files/{file.pk}/messages",
                    {"body": "Within 7 days."}).status_code == 201
        assert post(agent, f"{API}/files/{file.pk}/messages",
                    {"body": "Protocol looks thin", "internal": True}).status_code == 201
    run_jobs("mail")
    told = sorted(m.to[0] for m in mailoutbox)
    assert told == ["agent2@example.org", "agent@example.org", "applicant@example.org"]
    assert not any("thin" in m.body or "reviewed" in m.body for m in mailoutbox)
    # The applicant cannot write a note, nor a member of the team write at all.
    assert post(applicant, f"{API}/files/{file.pk}/messages",
                {"body": "x", "internal": True}).status_code == 403
    assert post(agent, f"{API}/files/{file.pk}/messages", {"body": "   "}).status_code == 422
    assert [m["body"] for m in applicant.get(f"{API}/files/{file.pk}/messages").json()] == [
        "When will it be reviewed?", "Within 7 days."]
    assert len(agent.get(f"{API}/files/{file.pk}/messages").json()) == 3
    assert Message.objects.filter(internal=True).count() == 1
    assert login(desk.outsider).get(f"{API}/files/{file.pk}/messages").status_code == 404
    # The CESREES writes notes only: not to the applicant.
    act(file.pk, desk.secretariat, "forward_to_cesrees")
    on_agenda(file, desk.cesrees)
    member = login(desk.cesrees)
    assert post(member, f"{API}/files/{file.pk}/messages", {"body": "x"}).status_code == 403
    assert post(member, f"{API}/files/{file.pk}/messages",
                {"body": "Rapporteur's note", "internal": True}).status_code == 201


def test_attachments_are_checked_by_content_while_the_file_is_with_the_applicant(desk):
    file = complete_file(desk.applicant)
    client = login(desk.applicant)
    url = f"{API}/files/{file.pk}/attachments"
    response = client.post(url, {"kind": "dmp", "file": SimpleUploadedFile(
        "plan.pdf", minimal_pdf(), content_type="application/pdf")})
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["name"], added["content_type"]) == ("plan.pdf", "application/pdf")
    response = client.post(url, {"kind": "dmp", "file": SimpleUploadedFile(
        "plan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")})
    assert response.status_code == 422 and response.json()["code"]
    client.cookies["django_language"] = "fr"
    response = client.post(url, {"kind": "dmp", "file": SimpleUploadedFile(
        "plan.pdf", b"", content_type="application/pdf")})
    assert response.status_code == 422 and "vide" in response.json()["detail"]
    kinds = [a["kind"] for a in client.get(url).json()]
    assert sorted(kinds) == ["dmp", "protocol"]
    assert client.delete(f"{url}/{added['id']}").status_code == 204
    assert [a["kind"] for a in client.get(url).json()] == ["protocol"]
    assert client.delete(f"{url}/{added['id']}").status_code == 404
    act(file.pk, desk.applicant, "submit")
    response = client.post(url, {"kind": "dmp", "file": SimpleUploadedFile(
        "plan.pdf", minimal_pdf(), content_type="application/pdf")})
    assert response.status_code == 403
    assert login(desk.outsider).get(url).status_code == 404
    assert login(desk.secretariat).get(url).status_code == 200


def test_the_listing_filters_by_stage(desk):
    submitted(desk)
    complete_file(desk.applicant)
    client = login(desk.applicant)
    assert client.get(f"{API}/files").json()["count"] == 2
    assert client.get(f"{API}/files?stage=draft").json()["count"] == 1
    assert login(desk.secretariat).get(f"{API}/files").json()["count"] == 1
    assert client.get(f"{API}/files?limit=0").status_code == 422


def test_a_date_need_is_a_date_after_the_day(desk):
    file = submitted(desk, "ehds-permit")
    agent = login(desk.secretariat)
    response = post(agent, f"{API}/files/{file.pk}/steps/grant_permit", {
        "data": {"scope": "DCIR", "conditions": "SPE", "until": str(date(2000, 1, 1))}})
    assert response.status_code == 422 and "after" in response.json()["detail"]
    response = post(agent, f"{API}/files/{file.pk}/steps/grant_permit", {
        "data": {"scope": ["DCIR"], "conditions": "SPE", "until": "2099-01-01"}})
    assert response.status_code == 422 and "text" in response.json()["detail"]


# --- schemathesis: no server error, anonymous or signed in ---------------------------------------


def _guichet_schema():
    from hygie.web.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
        path_regex="^/api/guichet/")


fuzzed = _guichet_schema()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def wsgi_calls():
    """Calls go to the WSGI application directly: keep Django from closing the connection that
    holds the test's transaction at the end of each request (as test_api_fuzz does)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def applicant_session(make_user):
    """A signed-in applicant with a draft: the session cookie, the CSRF token, the draft's id.
    (Before `wsgi_calls`: the test client puts back what that fixture takes away.)"""
    applicant = make_user("fuzzer")
    file = complete_file(applicant)
    client = login(applicant)
    client.get("/")
    token = client.cookies["csrftoken"].value
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    return {"X-CSRFToken": token, "Accept-Language": "fr"}, cookies, file.pk


@fuzzed.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_anonymous_calls_get_no_server_error(case, wsgi_calls):
    case.call_and_validate(checks=CHECKS)


@fuzzed.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_an_applicant_s_calls_get_no_server_error(case, applicant_session, wsgi_calls):
    headers, cookies, draft = applicant_session
    ids = case.path_parameters or {}
    if isinstance(ids.get("file_id"), int) and ids["file_id"] % 2 == 0:
        ids["file_id"] = draft  # half the calls on a real file of theirs
    response = case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
    if case.method == "GET" and ids.get("file_id") == draft:  # signed in: not a vacuous run
        assert response.status_code == 200
