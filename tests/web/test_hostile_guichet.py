"""Hostile input for the guichet, the register and the applicants' accounts: no page answers a
server error (5xx), whatever the fields hold (see test_hostile_inputs for the attacks). The same
generated texts go to every form of a file's life: the draft's sections, its team, attachments,
messages and notes, every step's form, the CESREES's sessions, interests and rapporteurs, the
register's search, filters, CSV and results, sign-up, verification and password reset."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from hygie.access import procedures
from tests.web.guichet_files import complete_file, make_desk, on_agenda
from tests.web.helpers import login
from tests.web.test_hostile_inputs import FEW, TEXT, no_server_error

pytestmark = pytest.mark.django_db

FIELDS = st.dictionaries(st.sampled_from([
    "title", "acronym", "controller", "purpose", "public_interest", "lay_summary", "methodology",
    "reference_methodology", "funding", "conflicts_of_interest", "publication_plan", "datasets",
    "variables", "cohort", "program", "period_start", "period_end", "linkage", "linkage_detail",
    "processing", "processing_detail", "outputs", "duration_months", "seq", "updated"]), TEXT,
    max_size=10)
STEP_DATA = st.dictionaries(st.sampled_from([
    "reason", "reasons", "scope", "conditions", "until", "change", "holder", "feasibility", "cost",
    "result", "opinion", "confirm", "seen", "methodology"]), TEXT, max_size=6)
ALL_STEPS = sorted({kind for p in procedures().values() for kind in p.steps})


@pytest.fixture
def people(make_user):
    desk = make_desk(make_user)
    draft = complete_file(desk.applicant)
    submitted = complete_file(desk.applicant, title="Submitted")
    from hygie.web.guichet.workflow import act

    act(submitted.pk, desk.applicant, "submit")
    act(submitted.pk, desk.secretariat, "forward_to_cesrees")
    item = on_agenda(submitted, desk.cesrees)
    return {"applicant": login(desk.applicant), "secretariat": login(desk.secretariat),
            "cesrees": login(desk.cesrees), "draft": draft, "submitted": submitted,
            "item": item}


@FEW
@given(fields=FIELDS, procedure=TEXT)
def test_the_applicants_forms(people, fields, procedure):
    applicant, pk = people["applicant"], people["draft"].pk
    no_server_error(applicant.post("/guichet/new/", {"procedure": procedure, "title": procedure}))
    no_server_error(applicant.post(f"/guichet/{pk}/edit/", fields))
    no_server_error(applicant.post(f"/guichet/{pk}/team/", {
        "name": fields.get("title", ""), "email": fields.get("acronym", ""),
        "organisation": fields.get("controller", ""), "role": fields.get("purpose", "")}))
    no_server_error(applicant.post(f"/guichet/{pk}/messages/", {"body": procedure}))
    no_server_error(applicant.post(f"/guichet/{people['submitted'].pk}/messages/",
                                   {"body": procedure}))


@FEW
@given(data=st.binary(max_size=2000), name=TEXT, kind=TEXT)
def test_attachments(people, data, name, kind):
    applicant, pk = people["applicant"], people["draft"].pk
    upload = SimpleUploadedFile(name.replace("\x00", "")[:200] or "x", data)
    no_server_error(applicant.post(f"/guichet/{pk}/attachments/", {"kind": kind, "file": upload}))
    no_server_error(applicant.post(f"/guichet/{pk}/attachments/", {"kind": "protocol"}))


@FEW
@given(kind=st.sampled_from(ALL_STEPS), data=STEP_DATA)
def test_every_step_form(people, kind, data):
    for who, file in (("applicant", "draft"), ("secretariat", "submitted"),
                      ("cesrees", "submitted")):
        no_server_error(people[who].post(f"/guichet/desk/{people[file].pk}/step/{kind}/", data))


@FEW
@given(date=TEXT, title=TEXT, member=TEXT, conflict=TEXT, detail=TEXT)
def test_sessions_interests_and_notes(people, date, title, member, conflict, detail):
    secretariat, item = people["secretariat"], people["item"]
    no_server_error(secretariat.post("/guichet/desk/sessions/new/",
                                     {"date": date, "title": title, "members": member}))
    no_server_error(secretariat.post(f"/guichet/desk/sessions/{item.session_id}/members/",
                                     {"date": date, "title": title, "members": member}))
    no_server_error(secretariat.post(f"/guichet/desk/sessions/{item.session_id}/agenda/",
                                     {"application": member, "rapporteur": conflict}))
    no_server_error(secretariat.post(f"/guichet/desk/agenda/{item.pk}/rapporteur/",
                                     {"rapporteur": member}))
    no_server_error(people["cesrees"].post(f"/guichet/desk/agenda/{item.pk}/interest/",
                                           {"conflict": conflict, "detail": detail}))
    no_server_error(secretariat.post(f"/guichet/{people['submitted'].pk}/notes/",
                                     {"body": detail}))
    no_server_error(secretariat.get("/guichet/desk/", {"filter": title, "stage": member,
                                                       "procedure": date}))


@FEW
@given(q=TEXT, procedure=TEXT, stage=TEXT, year=TEXT, dataset=TEXT, page=TEXT)
def test_the_register_search_filters_exports_and_results(people, q, procedure, stage, year,
                                                         dataset, page):
    query = {"q": q, "procedure": procedure, "stage": stage, "year": year, "dataset": dataset,
             "page": page}
    visitor = Client()
    for url in ("/register/", "/register/register.csv", "/register/feed/", "/register/overdue/",
                "/register/delays/"):
        no_server_error(visitor.get(url, query))
    no_server_error(people["applicant"].post(
        f"/register/{people['submitted'].pk}/results/add/",
        {"kind": procedure, "title": q, "link": dataset, "published": year}))


@FEW
@given(email=TEXT, first=TEXT, orcid=TEXT, password=TEXT, token=TEXT)
def test_sign_up_verification_and_password_reset(db, email, first, orcid, password, token):
    visitor = Client()
    no_server_error(visitor.post("/accounts/signup/", {
        "email": email, "first_name": first, "last_name": first, "organisation": first,
        "orcid": orcid, "password1": password, "password2": password}))
    no_server_error(visitor.post("/accounts/signup/resend/", {"email": email}))
    no_server_error(visitor.post("/accounts/password-reset/", {"email": email}))
    safe = "".join(c for c in token if c.isalnum())[:40] or "x"
    no_server_error(visitor.get(f"/accounts/signup/verify/{safe}/{safe}-{safe}/"))
    no_server_error(visitor.post(f"/accounts/password-reset/{safe}/{safe}-{safe}/",
                                 {"new_password1": password, "new_password2": password}))
    for url in ("/accounts/signup/sent/", "/accounts/password-reset/sent/",
                "/accounts/password-reset/done/"):
        no_server_error(visitor.get(url))
