"""The public register: files from their receipt (never a draft) with their decisions and reasons,
nothing personal in any of its outputs (pages, JSON, CSV, Atom), search and filters, the CSV
export's defence against formulas, the results and their 18-month deadline, and the delay
dashboard's figures, on files walked through the workflow at chosen dates. Runs on SQLite and,
with HYGIE_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client

from hygie.web.audit.models import AuditEvent
from hygie.web.guichet.models import Application, Message, Result, TeamMember
from hygie.web.guichet.workflow import act, catch_up_all
from hygie.web.register import delays
from hygie.web.register.entries import public, summary
from tests.web.guichet_files import at, complete_file, make_desk, on_agenda
from tests.web.helpers import login

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def desk(make_user):
    return make_desk(make_user)


@pytest.fixture
def visitor() -> Client:
    """Someone not signed in, reading in English."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    return client


def day(text: str, days: int = 0, hour: int = 10):
    return at(text, hour) + timedelta(days=days)


def submitted(desk, applicant=None, on: str = "2026-01-05", **fields) -> Application:
    file = complete_file(applicant or desk.applicant, **fields)
    act(file.pk, applicant or desk.applicant, "submit", now=at(on))
    file.refresh_from_db()
    return file


def authorised(desk, applicant=None, on: str = "2026-01-05", until: date = date(2030, 6, 30),
               reasons: str = "Sound design; publish the analysis code.", **fields) -> Application:
    """Submitted on `on`, forwarded the next day, a favourable opinion with recommendations a
    week later, authorised by the CNIL two weeks after that."""
    file = submitted(desk, applicant, on, **fields)
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=day(on, 1))
    on_agenda(file, desk.cesrees)
    act(file.pk, desk.cesrees, "cesrees_opinion",
        {"opinion": "favourable-with-recommendations", "reasons": reasons}, now=day(on, 8))
    act(file.pk, desk.cnil, "cnil_authorisation",
        {"scope": "Adults with type 2 diabetes, 2019-2022", "conditions": "On the platform only",
         "until": until}, now=day(on, 22))
    file.refresh_from_db()
    return file


def outputs(client: Client, file: Application | None = None) -> dict[str, str]:
    """Every public output of the register, as text: list, entry, overdue, delays, JSON, CSV,
    Atom."""
    found = {
        "list": client.get("/register/").content.decode(),
        "api": client.get("/api/register/files").content.decode(),
        "csv": b"".join(client.get("/register/register.csv").streaming_content).decode(),
        "atom": client.get("/register/feed/").content.decode(),
        "overdue": client.get("/register/overdue/").content.decode(),
        "delays": client.get("/api/register/delays").content.decode()}
    if file is not None:
        found["entry"] = client.get(f"/register/{file.pk}/").content.decode()
        found["api-entry"] = client.get(f"/api/register/files/{file.pk}").content.decode()
    return found


def csv_rows(client: Client, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/register/register.csv{query}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_drafts_never_appear(desk, visitor):
    draft = complete_file(desk.applicant, title="Unsubmitted draft on statins")
    received = submitted(desk, title="Received study on insulin")
    seen = outputs(visitor)
    for name, text in seen.items():
        assert "Unsubmitted draft on statins" not in text, name
    for name in ("list", "api", "csv", "atom"):
        assert "Received study on insulin" in seen[name], name
    assert visitor.get(f"/register/{draft.pk}/").status_code == 404
    assert visitor.get(f"/api/register/files/{draft.pk}").status_code == 404
    assert visitor.get(f"/register/{received.pk}/").status_code == 200
    assert [r["title"] for r in csv_rows(visitor)] == ["Received study on insulin"]
    assert json.loads(seen["api"])["count"] == 1


def test_an_authorised_file_appears_with_its_decision_and_reasons(desk, visitor):
    file = authorised(desk, title="Metformin and cancer")
    page = visitor.get(f"/register/{file.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    for shown in ("Metformin and cancer", "CHU de Lille", "Estimate the association.",
                  "Drug safety.", "Le diabète et le cancer.", "Authorised", file.reference,
                  "Favourable with recommendations", "Sound design; publish the analysis code.",
                  "Adults with type 2 diabetes, 2019-2022", "On the platform only",
                  "2030-06-30", f"{file.reference}-A1", "Results due by Dec. 30, 2031"):
        assert shown in text, shown
    detail = visitor.get(f"/api/register/files/{file.pk}").json()
    assert (detail["stage"], detail["ends"], detail["authorisation_reference"]) == (
        "authorised", "2030-06-30", f"{file.reference}-A1")
    assert detail["opinion"]["facts"] == [
        {"key": "opinion", "label": "Opinion", "value": "Favourable with recommendations"},
        {"key": "reasons", "label": "Reasons", "value": "Sound design; publish the analysis code."}]
    assert detail["decision"]["step"] == "cnil_authorisation"
    assert {f["key"]: f["value"] for f in detail["decision"]["facts"]} == {
        "scope": "Adults with type 2 diabetes, 2019-2022", "conditions": "On the platform only",
        "until": "2030-06-30"}
    assert [m["step"] for m in detail["history"]] == [
        "submit", "forward_to_cesrees", "cesrees_opinion", "cnil_authorisation"]
    assert detail["datasets"] == [{"slug": "snds", "title": detail["datasets"][0]["title"]}]
    assert detail["results_due"] == "2031-12-30" and detail["overdue"] is False
    (row,) = csv_rows(visitor)
    assert (row["opinion"], row["authorisation_reference"], row["stage"]) == (
        "Favourable with recommendations", f"{file.reference}-A1", "authorised")
    assert "Scope authorised: Adults with type 2 diabetes" in row["decision_reasons"]


def test_a_refusal_shows_its_reasons_and_the_complements_asked_stay_inside(desk, visitor):
    file = submitted(desk, title="Refused project")
    act(file.pk, desk.secretariat, "request_complements",
        {"reason": "Send the data management plan signed by Dr Secret."}, now=at("2026-01-06"))
    act(file.pk, desk.applicant, "submit", now=at("2026-01-08"))
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-01-09"))
    on_agenda(file, desk.cesrees)
    act(file.pk, desk.cesrees, "cesrees_opinion",
        {"opinion": "unfavourable", "reasons": "No justification of the sample."},
        now=at("2026-01-20"))
    act(file.pk, desk.cnil, "cnil_refusal", {"reason": "Disproportionate data."},
        now=at("2026-02-02"))
    detail = visitor.get(f"/api/register/files/{file.pk}").json()
    assert detail["decision"]["facts"] == [
        {"key": "reason", "label": "Reasons", "value": "Disproportionate data."}]
    assert (detail["stage"], detail["authorisation_reference"], detail["results_due"]) == (
        "refused", "", None)
    assert "Complements requested" in [m["label"] for m in detail["history"]]
    for name, text in outputs(visitor, file).items():
        assert "Dr Secret" not in text, name


def test_nothing_personal_in_any_output(desk, make_user, visitor):
    applicant = make_user("zoe.marchand", first_name="Zoé", last_name="Marchandeau")
    file = submitted(desk, applicant, title="Statins in the elderly")
    TeamMember.objects.create(application=file, name="Dr Bérénice Quillard",
                              email="b.quillard@example.org", role="member")
    act(file.pk, desk.secretariat, "consult_holder", {"holder": "cnam"}, now=at("2026-01-06"))
    act(file.pk, desk.holder, "holder_answer",
        {"holder": "cnam", "feasibility": "feasible", "cost": "4,321 EUR"}, now=at("2026-01-07"))
    Message.objects.create(application=file, author=desk.secretariat, internal=True,
                           body="Internal: the rapporteur doubts the sample size.")
    Message.objects.create(application=file, author=desk.secretariat,
                           body="Dear applicant, your file is complete.")
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-01-08"))
    private = ["zoe.marchand", "Zoé", "Marchandeau", "Dr A. Investigator", "pi@example.org",
               "Bérénice", "Quillard", "4,321 EUR", "sample size", "your file is complete",
               "protocol.pdf", "agent@example.org", "rapporteur@example.org", "cnam"]
    seen = outputs(visitor, file)
    assert "Statins in the elderly" in seen["entry"] and "Statins in the elderly" in seen["csv"]
    for name, text in seen.items():
        for secret in private:
            assert secret not in text, (name, secret)


def test_search_and_filters_on_the_pages_the_api_and_the_csv(desk, visitor):
    a = submitted(desk, title="Metformin and cancer", controller="CHU de Lille")
    b = submitted(desk, on="2025-03-03", title="Asthma in children", controller="Inserm")
    c = complete_file(desk.applicant, "reference-methodology", title="Hip fracture registry",
                      controller="AP-HP")
    act(c.pk, desk.applicant, "submit", now=at("2026-02-02"))
    act(c.pk, desk.secretariat, "record_conformity", now=at("2026-02-03"))
    b.datasets.clear()

    def api(query: str) -> list[str]:
        return [i["title"] for i in visitor.get(f"/api/register/files?{query}").json()["items"]]

    def page(query: str) -> list[str]:
        return [f for f in (a.title, b.title, "Hip fracture registry")
                if f in visitor.get(f"/register/?{query}").content.decode()]

    cases = {
        "q=metformin": ["Metformin and cancer"],
        "q=inserm": ["Asthma in children"],
        "q=cancer+lille": ["Metformin and cancer"],
        "q=cancer+inserm": [],
        f"q={b.reference}": ["Asthma in children"],
        "procedure=reference-methodology": ["Hip fracture registry"],
        "stage=declared": ["Hip fracture registry"],
        "stage=submitted": ["Metformin and cancer", "Asthma in children"],
        "year=2025": ["Asthma in children"],
        "dataset=snds": ["Hip fracture registry", "Metformin and cancer"],
        "year=2026&procedure=authorisation": ["Metformin and cancer"],
    }
    for query, expected in cases.items():
        assert sorted(api(query)) == sorted(expected), query
        assert sorted(page(query)) == sorted(expected), query
        assert sorted(r["title"] for r in csv_rows(visitor, "?" + query)) == sorted(expected), \
            query
    # A value no filter offers: the page says so and lists nothing, the CSV refuses it.
    response = visitor.get("/register/?stage=nonsense")
    assert response.status_code == 200 and "These filters are not valid" in \
        response.content.decode()
    assert page("stage=nonsense") == []
    assert visitor.get("/register/register.csv?stage=nonsense").status_code == 400
    assert visitor.get("/api/register/files?year=abc").status_code == 422
    assert visitor.get("/api/register/files?limit=501").status_code == 422
    assert visitor.get("/api/register/files?q=" + "x" * 201).status_code == 422


def test_the_list_is_paginated(desk, visitor):
    for i in range(27):
        submitted(desk, title=f"Study number {i:02d}")
    first = visitor.get("/register/").content.decode()
    second = visitor.get("/register/?page=2").content.decode()
    assert "27 files" in first and "Page 1 of 2" in first
    assert first.count('<tr id="file-') == 25 and second.count('<tr id="file-') == 2
    body = visitor.get("/api/register/files?limit=10&offset=20").json()
    assert (body["count"], len(body["items"])) == (27, 7)


def test_the_csv_neutralises_formulas(desk, visitor):
    submitted(desk, title='=HYPERLINK("http://evil.example","Click")', controller="+33 cmd",
              acronym="@SUM(A1)", purpose="-2+3", public_interest="\tTabbed")
    (row,) = csv_rows(visitor)
    assert row["title"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert (row["controller"], row["acronym"], row["purpose"], row["public_interest"]) == (
        "'+33 cmd", "'@SUM(A1)", "'-2+3", "'\tTabbed")
    assert row["reference"].startswith("HYG-")  # ordinary cells are left as they are


def test_the_atom_feed_lists_receipts_and_decisions(desk, visitor):
    file = authorised(desk, title="Metformin and cancer")
    submitted(desk, on="2026-03-02", title="<script>alert(1)</script> study",
              lay_summary="<b>Gras</b> et <i>italique</i>")
    response = visitor.get("/register/feed/")
    assert response.status_code == 200 and "atom" in response["Content-Type"]
    feed = ElementTree.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == ["Received: <script>alert(1)</script> study",
                      "Authorised by the CNIL: Metformin and cancer",
                      "Received: Metformin and cancer"]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 3 and ids[1].endswith(f"/register/{file.pk}/#decided")
    summaries = [e.findtext(f"{ATOM}summary") for e in entries]
    # The summary is HTML for the reader: the texts in it are escaped, never markup.
    assert "&lt;b&gt;Gras&lt;/b&gt;" in summaries[0] and "<b>" not in summaries[0]
    assert "Scope authorised: Adults with type 2 diabetes, 2019-2022" in summaries[1]


def test_results_form_permissions(desk, make_user):
    file = authorised(desk)
    url = f"/register/{file.pk}/results/add/"
    member = make_user("teammate")
    TeamMember.objects.filter(application=file).update(user=member)
    assert Client().get(url).status_code == 302  # to the sign-in page
    assert login(desk.outsider).get(url).status_code == 404
    assert login(member).get(url).status_code == 403
    assert login(desk.holder).get(url).status_code == 404  # never consulted on this file
    reviewing = submitted(desk, title="Still under review")
    applicant = login(desk.applicant)
    assert applicant.get(f"/register/{reviewing.pk}/results/add/").status_code == 403
    assert applicant.get("/register/999999/results/add/").status_code == 404
    # The applicant adds a result; the register shows it, and the audit trail records it.
    page = applicant.get(f"/register/{file.pk}/")
    assert "Add a result" in page.content.decode()
    response = applicant.post(url, {"kind": "publication", "title": "Metformin and cancer, BMJ",
                                    "link": "https://doi.org/10.1136/bmj.x", "published":
                                    "2026-11-02"})
    assert response.status_code == 302 and response["Location"] == f"/register/{file.pk}/"
    result = Result.objects.get(application=file)
    assert (result.kind, result.added_by, result.published) == (
        "publication", desk.applicant, date(2026, 11, 2))
    assert AuditEvent.objects.filter(action="guichet.result_added",
                                     target_id=str(file.pk)).count() == 1
    entry = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/register/{file.pk}/").content.decode()
    assert 'href="https://doi.org/10.1136/bmj.x"' in entry
    assert "Add a result" not in entry  # not to a visitor
    # The secretariat may add one too.
    secretariat = login(desk.secretariat)
    assert secretariat.get(url).status_code == 200


@pytest.mark.parametrize(("field", "value", "message"), [
    ("link", "javascript:alert(1)", "Enter a valid URL"),
    ("link", "ftp://example.org/paper.pdf", "Enter a valid URL"),
    ("published", "2999-01-01", "not in the future"),
    ("title", "", "This field is required"),
])
def test_a_result_refused_with_a_clear_message(desk, field, value, message):
    file = authorised(desk)
    data = {"kind": "report", "title": "Final report", "link": "https://example.org/r.pdf",
            "published": "2026-11-02", field: value}
    response = login(desk.applicant).post(f"/register/{file.pk}/results/add/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Result.objects.exists()


def test_results_are_due_18_months_after_the_end_and_then_overdue(desk, visitor):
    """Authorised in 2023 until 30 June 2024: results due by 30 December 2025 (18 months to the
    day), overdue the day after. A revoked one: 18 months after the revocation."""
    ended = authorised(desk, on="2023-01-09", until=date(2024, 6, 30), title="Ended project")
    revoked = authorised(desk, on="2023-02-06", until=date(2027, 6, 30), title="Revoked project")
    act(revoked.pk, desk.cnil, "revoke", {"reason": "Data exported outside the platform."},
        now=at("2023-09-12"))
    current = authorised(desk, title="Current project")
    catch_up_all(at("2026-12-01"))  # the first one expired on its end date
    files = {a.title: a for a in public()}
    assert files["Ended project"].stage == "expired"
    ended_entry = summary(files["Ended project"], date(2025, 12, 30))
    assert (ended_entry.results_due, ended_entry.overdue) == (date(2025, 12, 30), False)
    assert summary(files["Ended project"], date(2025, 12, 31)).overdue
    assert summary(files["Revoked project"], date(2025, 3, 12)).results_due == date(2025, 3, 12)
    assert not summary(files["Current project"], date(2026, 12, 5)).overdue
    # Today (after 2025): both are publicly marked overdue, on their entry and on the list.
    page = visitor.get(f"/register/{ended.pk}/").content.decode()
    assert "Results overdue" in page and "Results due by Dec. 30, 2025" in page
    late = visitor.get("/register/overdue/").content.decode()
    assert "Ended project" in late and "Revoked project" in late and "Current project" not in late
    assert late.index("Revoked project") < late.index("Ended project")  # the longest late first
    assert visitor.get(f"/api/register/files/{current.pk}").json()["overdue"] is False
    # A result published, and the project is no longer overdue.
    Result.objects.create(application=ended, kind="report", title="Final report",
                          published=date(2026, 2, 1), added_by=desk.applicant)
    late = visitor.get("/register/overdue/").content.decode()
    assert "Ended project" not in late and "Revoked project" in late
    assert visitor.get(f"/api/register/files/{ended.pk}").json()["overdue"] is False


# --- the delay dashboard --------------------------------------------------------------------------

FORWARDED_AFTER = [1, 2, 3, 5, 8, 10]  # days after a Monday 5 January 2026 submission


def walked(desk) -> None:
    """Six authorisation files submitted on 5 January 2026 and forwarded after 1 to 10 days (the
    7-day deadline is 12 January: 4 met, 2 late); the CESREES then says nothing, so each opinion
    is deemed given the day after its month. Two declarations of conformity (fewer than 5)."""
    for after in FORWARDED_AFTER:
        file = submitted(desk)
        act(file.pk, desk.secretariat, "forward_to_cesrees", now=day("2026-01-05", after))
    for recorded in ("2026-03-03", "2026-03-06"):
        mr = complete_file(desk.applicant, "reference-methodology")
        act(mr.pk, desk.applicant, "submit", now=at("2026-03-02"))
        act(mr.pk, desk.secretariat, "record_conformity", now=at(recorded))


def test_delay_dashboard_figures(desk):
    walked(desk)
    tables = {t.name: t for t in delays.dashboard(at("2026-01-31"))}
    (submitted_row,) = [r for r in tables["authorisation"].stages]  # the CESREES still has time
    (cell,) = submitted_row.cells
    assert (submitted_row.stage, submitted_row.period, cell.year, cell.files) == (
        "submitted", "7 days", 2026, 6)
    assert (cell.median, cell.p90, round(cell.met_share, 3)) == (4.0, 10, 0.667)  # (3+5)/2
    (mr,) = tables["reference-methodology"].stages
    assert (mr.cells[0].files, mr.cells[0].shown, mr.cells[0].median) == (2, False, None)
    # Later, every CESREES month has run out: each stay lasted 32 days, none met.
    later = {t.name: t for t in delays.dashboard(at("2026-03-01"))}
    cesrees = next(r for r in later["authorisation"].stages if r.stage == "cesrees")
    assert (cesrees.cells[0].files, cesrees.cells[0].median, cesrees.cells[0].p90,
            cesrees.cells[0].met_share) == (6, 32.0, 32, 0.0)


def test_delay_dashboard_page_and_api(desk, visitor):
    walked(desk)
    page = visitor.get("/register/delays/").content.decode()
    row = page[page.index('data-stage="submitted" data-year="2026"'):]
    row = row[:row.index("</tr>")]
    assert '<td class="files">6</td>' in row and '<td class="median">4</td>' in row
    assert '<td class="p90">10</td>' in row and '<td class="met">67%</td>' in row
    mr = page[page.index('id="delays-reference-methodology"'):]
    assert "fewer than 5 files" in mr[:mr.index("</table>")]
    body = visitor.get("/api/register/delays").json()
    assert body["minimum_files"] == 5
    auth = next(p for p in body["procedures"] if p["procedure"] == "authorisation")
    stages = {s["stage"]: s for s in auth["stages"]}
    assert stages["submitted"]["years"] == [{
        "year": 2026, "files": 6, "fewer_than_minimum": False, "median_days": 4.0,
        "p90_days": 10, "deadlines_met": 0.667}]
    assert stages["cesrees"]["years"][0]["deadlines_met"] == 0.0  # all deemed, by today
    mr_api = next(p for p in body["procedures"] if p["procedure"] == "reference-methodology")
    assert mr_api["stages"][0]["years"] == [{
        "year": 2026, "files": None, "fewer_than_minimum": True, "median_days": None,
        "p90_days": None, "deadlines_met": None}]


def test_the_register_is_described_in_openapi(visitor):
    schema = visitor.get("/api/openapi.json").json()
    for path in ("/api/register/files", "/api/register/files/{pk}", "/api/register/delays"):
        assert path in schema["paths"], path
        assert "200" in schema["paths"][path]["get"]["responses"]
    for name in ("EntryPage", "EntryDetail", "Delays"):
        assert name in schema["components"]["schemas"], name


def test_the_pages_read_in_french(desk):
    """No English text of the project on the register's French pages, and a space before the
    colon (the checks of test_french_pages)."""
    from tests.web.test_french_pages import english_texts, glued_signs, untranslated, visible

    file = authorised(desk, reasons="Protocole solide.")  # typed in French
    walked(desk)
    Result.objects.create(application=file, kind="publication", title="Metformin, BMJ",
                          published=date(2026, 11, 2), added_by=desk.applicant)
    english = english_texts()
    pages = {url: french_client(None).get(url) for url in (
        "/register/", "/register/?stage=nonsense", f"/register/{file.pk}/", "/register/delays/",
        "/register/overdue/")}
    pages["add"] = login_in_french(desk.applicant).get(f"/register/{file.pk}/results/add/")
    for url, response in pages.items():
        assert response.status_code == 200, url
        text = visible(response.content.decode())
        assert untranslated(text, english) == [], url
        assert glued_signs(text) == [], url
    text = visible(pages["/register/"].content.decode())
    assert "Registre des demandes d’accès" in text and "Autorisé" in text
    entry = visible(pages[f"/register/{file.pk}/"].content.decode())
    assert "Favorable avec recommandations" in entry and "Résultats attendus au plus tard le " \
        "30 décembre 2031" in entry
    delays_page = visible(pages["/register/delays/"].content.decode())
    assert "71\u00a0%" in delays_page  # with the authorised file: 5 of 7 forwarded in time
    assert "moins de 5 dossiers" in delays_page


def french_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.cookies["django_language"] = "fr"
    return client


def login_in_french(user) -> Client:
    from tests.web.helpers import sign_in

    return sign_in(french_client(None), user)
