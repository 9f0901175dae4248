"""The staff's side of the guichet through the web: each step's form (built from the procedure's
`needs`), who may open it (404 for who may not see the file, 403 for who may see it but not take
the step), the procedure's refusals shown translated with nothing stored, the dashboard's
deadlines, the CESREES sessions with interests and recusal, and the consultation of data holders.
Runs on SQLite and, with HYGIE_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import re
from collections import deque
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from hygie.access import Role, procedures
from hygie.access.description import Choice
from hygie.access.procedure import day_of
from hygie.web.audit.models import AuditEvent
from hygie.web.guichet import wording
from hygie.web.guichet.models import AgendaItem, Application, Interest, Session
from hygie.web.guichet.permissions import Permission, allowed, visible
from hygie.web.guichet.workflow import FROM_THE_FILE, act
from tests.web.guichet_files import complete_file, make_desk, on_agenda
from tests.web.helpers import login, sign_in

pytestmark = pytest.mark.django_db

UNTIL = date.today() + timedelta(days=730)  # an end date after any day these tests act on


@pytest.fixture
def desk(make_user):
    return make_desk(make_user)


def step_url(file: Application, kind: str) -> str:
    return f"/guichet/desk/{file.pk}/step/{kind}/"


def page(response: Any) -> str:
    return unescape(response.content.decode())


def take(client: Client, file: Application, kind: str, **data: Any) -> Any:
    """Open the step's form, as a person does, and post it with `data`: the response."""
    form = client.get(step_url(file, kind))
    assert form.status_code == 200, (kind, form.status_code)
    seen = form.context["form"]["seen"].value()
    return client.post(step_url(file, kind), {"seen": seen, **data})


def done(response: Any, file: Application) -> None:
    assert response.status_code == 302, page(response)[:3000]
    assert response["Location"] == file.get_absolute_url()


# --- driving a file to a stage, through the workflow (time set a few hours back) ----------------


class Driver:
    """Takes the steps that lead a file to a stage, as the people of `desk`, one minute apart."""

    def __init__(self, desk: Any) -> None:
        self.desk = desk
        self.now = timezone.now() - timedelta(hours=6)

    def person(self, role: Role) -> Any:
        return {Role.APPLICANT: self.desk.applicant, Role.SECRETARIAT: self.desk.secretariat,
                Role.CESREES: self.desk.cesrees, Role.CNIL: self.desk.cnil,
                Role.DATA_HOLDER: self.desk.holder}[role]

    def act(self, file: Application, kind: str, **data: Any) -> None:
        step = procedures()[file.procedure].steps[kind]
        if step.role == Role.CESREES and not AgendaItem.objects.filter(application=file).exists():
            on_agenda(file, self.desk.cesrees)
        if step.role == Role.DATA_HOLDER:
            self.act(file, "consult_holder", holder="cnam")
        self.now += timedelta(minutes=1)
        act(file.pk, self.person(step.role), kind, {**fake_needs(step), **data}, now=self.now)
        file.refresh_from_db()

    def to(self, procedure: str, stage: str) -> Application:
        file = complete_file(self.desk.applicant, procedure)
        for kind in route(procedure, stage):
            self.act(file, kind)
        assert file.stage == stage
        return file


def fake_needs(step: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, need in step.needs.items():
        if key == "holder":
            data[key] = "cnam"
        elif isinstance(need, Choice):
            data[key] = need.choice[0]
        elif need == "future_date":
            data[key] = UNTIL
        else:
            data[key] = f"Some {key}."
    return data


def route(procedure: str, target: str) -> list[str]:
    """The shortest list of steps from a draft to `target` (no calendar step, no final stage)."""
    proc = procedures()[procedure]
    seen, queue = {"draft": []}, deque(["draft"])
    while queue:
        here = queue.popleft()
        if here == target:
            return seen[here]
        for kind, step in proc.steps.items():
            if (step.role == Role.CALENDAR or step.to is None or step.to in proc.final
                    or here not in proc.sources_of(step) or step.to in seen):
                continue
            seen[step.to] = [*seen[here], kind]
            queue.append(step.to)
    raise AssertionError(f"no way to {target} in {procedure}")


def nearest_source(procedure: str, kind: str) -> str:
    proc = procedures()[procedure]
    sources = [s for s in proc.sources_of(proc.steps[kind]) if s not in proc.final]
    return min(sources, key=lambda s: (len(route(procedure, s)), s))


# --- every step's form ----------------------------------------------------------------------------


@pytest.mark.parametrize("procedure", sorted(procedures()))
def test_every_step_form_renders_for_the_right_person_and_is_refused_to_others(desk, procedure):
    proc = procedures()[procedure]
    driver = Driver(desk)
    people = {"applicant": desk.applicant, "secretariat": desk.secretariat,
              "secretariat2": desk.secretariat2, "cesrees": desk.cesrees, "cnil": desk.cnil,
              "holder": desk.holder, "outsider": desk.outsider}
    clients = {name: login(user) for name, user in people.items()}
    takers = {Role.APPLICANT: {"applicant"}, Role.SECRETARIAT: {"secretariat", "secretariat2"},
              Role.CESREES: {"cesrees"}, Role.CNIL: {"cnil"}, Role.DATA_HOLDER: {"holder"}}
    checked = 0
    for kind, step in proc.steps.items():
        if step.role == Role.CALENDAR:
            continue
        file = driver.to(procedure, nearest_source(procedure, kind))
        if step.role == Role.CESREES:
            on_agenda(file, desk.cesrees)
        if step.role == Role.DATA_HOLDER:
            driver.act(file, "consult_holder", holder="cnam")
        for name, client in clients.items():
            response = client.get(step_url(file, kind))
            if name in takers[step.role]:
                assert response.status_code == 200, (kind, name, file.stage)
                html = page(response)
                for key, need in step.needs.items():
                    if key in FROM_THE_FILE.get(kind, ()):  # the file gives them
                        assert f'name="{key}"' not in html
                    elif isinstance(need, Choice) and key != "holder":
                        assert html.count(f'type="radio" name="{key}"') == len(need.choice), key
                    elif need == "future_date":
                        assert re.search(f'<input type="date" name="{key}"', html), key
                    elif key == "holder":
                        assert re.search(r'<select name="holder"', html)
                    else:
                        assert f'<textarea name="{key}"' in html, key
                assert ('name="confirm"' in html) == (step.to in proc.final or kind in (
                    "withdraw_amendment", "suspend", "amendment_refused")), kind
                assert f'name="seen" value="{file.seq}"' in html
            else:
                expected = 403 if allowed(people[name], Permission.VIEW, file) else 404
                assert response.status_code == expected, (kind, name, file.stage)
        checked += 1
    assert checked == sum(1 for s in proc.steps.values() if s.role != Role.CALENDAR)


def test_a_calendar_step_or_an_unknown_one_has_no_form(desk):
    file = Driver(desk).to("authorisation", "cesrees")
    client = login(desk.secretariat)
    assert client.get(step_url(file, "cesrees_deemed")).status_code == 404
    assert client.get(step_url(file, "no_such_step")).status_code == 404
    assert client.get("/guichet/desk/999999/step/submit/").status_code == 404


def test_a_step_not_open_in_the_file_s_stage_is_refused_with_the_stage(desk):
    file = Driver(desk).to("authorisation", "cesrees")
    response = login(desk.secretariat).get(step_url(file, "forward_to_cesrees"))
    assert response.status_code == 403
    assert "Before the CESREES" in page(response)


def test_the_steps_block_groups_the_buttons_by_role(desk, make_user):
    from django.template.loader import render_to_string

    from hygie.web.guichet.workflow import steps_for

    file = Driver(desk).to("authorisation", "submitted")
    html = render_to_string("guichet/desk/_steps.html", {
        "application": file, "steps": steps_for(desk.secretariat, file)})
    assert "As the secretariat" in html and "As the applicant" not in html
    for kind, label in (("forward_to_cesrees", "Forward the file to the CESREES"),
                        ("request_complements", "Ask for complements"),
                        ("consult_holder", "Consult a data holder")):
        assert f'href="{step_url(file, kind)}"' in html and label in html
    html = render_to_string("guichet/desk/_steps.html", {
        "application": file, "steps": steps_for(desk.applicant, file)})
    assert "As the applicant" in html and "Withdraw the application" in html
    assert "fr-btn--secondary" in html  # withdrawing cannot be undone
    assert render_to_string("guichet/desk/_steps.html", {
        "application": file, "steps": []}).strip() == ""


# --- the authorisation path, through the web ------------------------------------------------------


def test_the_authorisation_path_through_the_web(desk):
    file = complete_file(desk.applicant)
    applicant, agent, member, cnil, holder = (login(p) for p in (
        desk.applicant, desk.secretariat, desk.cesrees, desk.cnil, desk.holder))
    done(take(applicant, file, "submit"), file)
    file.refresh_from_db()
    assert file.stage == "submitted"
    # The secretariat consults the holder of the scope's data: a list, not free text.
    form = agent.get(step_url(file, "consult_holder"))
    assert '<option value="cnam">' in page(form)
    refused = take(agent, file, "consult_holder", holder="someone-else")
    assert refused.status_code == 200 and "Select a valid choice" in page(refused)
    assert file.events.count() == 1
    done(take(agent, file, "consult_holder", holder="cnam"), file)
    on_the_file = page(agent.get(file.get_absolute_url()))  # the file page offers the steps
    assert f'href="{step_url(file, "forward_to_cesrees")}"' in on_the_file
    assert step_url(file, "submit") not in on_the_file
    # The holder now sees the file on their desk, and answers.
    assert file.reference in page(holder.get("/guichet/desk/"))
    done(take(holder, file, "holder_answer", holder="cnam", feasibility="feasible-with-conditions",
              cost="1,200 EUR"), file)
    done(take(agent, file, "forward_to_cesrees"), file)
    # A session, its member, the file on its agenda with its rapporteur.
    response = agent.post("/guichet/desk/sessions/new/", {
        "date": "2026-12-15", "title": "December plenary", "members": [desk.cesrees.pk]})
    session = Session.objects.get(title="December plenary")
    assert response.status_code == 302 and list(session.members.all()) == [desk.cesrees]
    assert file.reference in page(agent.get(f"/guichet/desk/sessions/{session.pk}/"))
    response = agent.post(f"/guichet/desk/sessions/{session.pk}/agenda/", {
        "application": file.pk, "rapporteur": desk.cesrees.pk})
    assert response.status_code == 302
    assert AgendaItem.objects.get(session=session).rapporteur == desk.cesrees
    # The member sees the session and the file, declares no conflict, gives the opinion.
    assert "December plenary" in page(member.get("/guichet/desk/sessions/"))
    item = AgendaItem.objects.get(session=session)
    response = member.post(f"/guichet/desk/agenda/{item.pk}/interest/", {"conflict": "no"})
    assert response.status_code == 302
    assert Interest.objects.get(item=item, member=desk.cesrees).conflict is False
    done(take(member, file, "cesrees_opinion", opinion="favourable-with-recommendations",
              reasons="Sound protocol; publish the code."), file)
    file.refresh_from_db()
    assert file.stage == "cnil"
    # The CNIL extends its period once, then authorises.
    done(take(cnil, file, "cnil_extension"), file)
    done(take(cnil, file, "cnil_authorisation", scope="Adults with type 2 diabetes",
              conditions="On the platform only", until=UNTIL.isoformat()), file)
    file.refresh_from_db()
    assert (file.stage, file.ends) == ("authorised", UNTIL)
    assert [e.kind for e in file.events.order_by("seq")] == [
        "submit", "consult_holder", "holder_answer", "forward_to_cesrees", "cesrees_opinion",
        "cnil_extension", "cnil_authorisation"]
    opinion = file.events.get(kind="cesrees_opinion")
    assert (opinion.actor, opinion.data["reasons"]) == (desk.cesrees,
                                                        "Sound protocol; publish the code.")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"guichet.session_changed", "guichet.scheduled", "guichet.interest_declared",
            "guichet.step"} <= actions


def test_a_success_message_names_the_step_and_the_new_stage(desk):
    file = Driver(desk).to("authorisation", "submitted")
    client = login(desk.secretariat)
    response = take(client, file, "request_complements", reason="Add the data management plan.")
    done(response, file)
    shown = [str(m) for m in response.wsgi_request._messages]
    assert shown == ["“Ask for complements”: done. The file is now at the stage “Returned to "
                     "the applicant for completion”."]


# --- refusals: stale forms, two agents, the procedure's own -----------------------------------


def test_a_stale_form_is_refused_with_a_clear_message_and_nothing_stored(desk):
    file = Driver(desk).to("authorisation", "submitted")
    client = login(desk.secretariat)
    form = client.get(step_url(file, "request_complements"))
    seen = form.context["form"]["seen"].value()
    act(file.pk, desk.secretariat2, "consult_holder", {"holder": "cnam"})  # the file changes
    response = client.post(step_url(file, "request_complements"),
                           {"seen": seen, "reason": "Add the protocol's version 2."})
    assert response.status_code == 200
    assert "The file changed since you opened this form" in page(response)
    file.refresh_from_db()
    assert (file.stage, [e.kind for e in file.events.order_by("seq")][-1]) == (
        "submitted", "consult_holder")
    refusal = AuditEvent.objects.get(action="guichet.step_refused")
    assert refusal.detail == {"step": "request_complements", "reason": "conflict"}


def test_two_agents_posting_the_same_step_one_succeeds_the_other_is_told(desk):
    file = Driver(desk).to("authorisation", "submitted")
    first, second = login(desk.secretariat), login(desk.secretariat2)
    forms = [c.get(step_url(file, "forward_to_cesrees")) for c in (first, second)]
    seen = [f.context["form"]["seen"].value() for f in forms]
    assert seen[0] == seen[1]
    done(first.post(step_url(file, "forward_to_cesrees"), {"seen": seen[0]}), file)
    response = second.post(step_url(file, "forward_to_cesrees"), {"seen": seen[1]})
    assert response.status_code == 200
    assert "someone else acted on it. Nothing was recorded" in page(response)
    assert file.events.filter(kind="forward_to_cesrees").count() == 1


def test_the_procedure_s_refusal_is_shown_translated_and_audited_by_its_code(desk):
    file = Driver(desk).to("authorisation", "cnil")
    client = login(desk.cnil)
    past = day_of(timezone.now()) - timedelta(days=1)
    response = take(client, file, "cnil_authorisation", scope="Secret scope text",
                    conditions="c", until=past.isoformat())
    assert response.status_code == 200
    assert "“End date” must be a date after" in page(response)
    file.refresh_from_db()
    assert file.stage == "cnil"
    refusal = AuditEvent.objects.get(action="guichet.step_refused")
    assert refusal.detail == {"step": "cnil_authorisation", "reason": "date"}
    assert "Secret" not in str(refusal.detail)
    # The CNIL's period is extended once only; the second time says so.
    done(take(client, file, "cnil_extension"), file)
    response = take(client, file, "cnil_extension")
    assert response.status_code == 200
    assert "This period can be extended once only." in page(response)
    assert file.events.filter(kind="cnil_extension").count() == 1


def test_submitting_an_incomplete_draft_lists_each_missing_item(desk):
    file = complete_file(desk.applicant, public_interest="", duration_months=None)
    client = login(desk.applicant)
    form = client.get(step_url(file, "submit"))
    assert "the public interest" in page(form)  # named before trying
    response = take(client, file, "submit")
    html = page(response)
    assert response.status_code == 200
    assert "The file cannot be submitted yet" in html
    assert re.search(r"<li>the public interest</li>\s*<li>the duration of the processing</li>",
                     html)
    file.refresh_from_db()
    assert (file.stage, file.seq) == ("draft", 0)
    assert AuditEvent.objects.get(action="guichet.step_refused").detail["reason"] == "incomplete"


def test_a_step_that_cannot_be_undone_asks_for_confirmation(desk):
    file = Driver(desk).to("authorisation", "submitted")
    client = login(desk.applicant)
    response = take(client, file, "withdraw")
    assert response.status_code == 200 and "This field is required" in page(response)
    file.refresh_from_db()
    assert file.stage == "submitted"
    done(take(client, file, "withdraw", confirm="on"), file)
    file.refresh_from_db()
    assert file.stage == "withdrawn"


def test_a_step_form_reads_in_french(desk):
    file = Driver(desk).to("authorisation", "cesrees")
    on_agenda(file, desk.cesrees)
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.cookies["django_language"] = "fr"
    sign_in(client, desk.cesrees)
    text = page(client.get(step_url(file, "cesrees_opinion")))
    assert '<html lang="fr"' in text
    for french in ("Donner l’avis du CESREES", "Avis", "Motifs", "Favorable",
                   "Favorable, avec recommandations", "Défavorable", "Revenir au dossier"):
        assert french in text, french
    assert "Give the CESREES opinion" not in text and "Reasons" not in text
    # A refusal in French: another member already gave the opinion.
    seen = re.search(r'name="seen" value="(\d+)"', text).group(1)
    act(file.pk, desk.cesrees, "cesrees_opinion", {"opinion": "favourable", "reasons": "x"})
    response = client.post(step_url(file, "cesrees_opinion"),
                           {"seen": seen, "opinion": "favourable", "reasons": "Bien."})
    assert "Le dossier a changé depuis" in page(response)


# --- the engine's words ---------------------------------------------------------------------------


def in_french(label: Any) -> bool:
    """Whether the text (a msgid, or a lazy label) has a French translation."""
    from django.utils.translation import trans_real

    with override("en"):
        msgid = str(label)
    with override("fr"):
        return msgid in trans_real.catalog()._catalog  # type: ignore[attr-defined]


def test_every_packaged_step_stage_choice_and_field_has_french_wording():
    found = wording.words_of(procedures().values())
    assert found["what"] and found["choice"] and found["field"] and found["stage"]
    lacking = [english for english in sorted(
        found["what"] | found["says"] | found["choice_label"] | found["title"])
        if not in_french(english)]
    for kind, mapping in (("stage", wording.STAGES), ("choice", wording.CHOICES),
                          ("field", wording.FIELDS)):
        for name in sorted(found[kind]):
            if name not in mapping or not in_french(mapping[name]):
                lacking.append(f"{kind} {name}")
    lacking += [str(label) for label in [*wording.AS_ROLE.values(), *wording.ONLY.values()]
                if not in_french(label)]
    assert not lacking, lacking


def test_the_check_of_wording_can_fail():
    from hygie.access import load

    extra = load("""
name: extra
title: An unworded procedure
sources: [nothing]
stages: {draft: {}, pondering: {}, done: {final: true}}
steps:
  submit: {role: applicant, from: [draft], to: pondering, what: ponder the unponderable}
  close: {role: secretariat, from: [pondering], to: done, what: close it,
          needs: {mood: {choice: [sunny]}}}
""")
    found = wording.words_of([extra])
    assert {"ponder the unponderable", "close it"} == found["what"]
    assert not any(in_french(w) for w in found["what"])
    assert "pondering" in found["stage"] and "pondering" not in wording.STAGES
    assert "sunny" in found["choice"] and "sunny" not in wording.CHOICES
    assert "mood" in found["field"] and "mood" not in wording.FIELDS
    assert in_french("give the CESREES opinion") and in_french(wording.FIELDS["reasons"])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_engine_s_refusals_have_a_code_and_read_in_the_language(desk, language):
    from hygie.access import ProcedureError

    file = Driver(desk).to("authorisation", "cesrees")
    refusals = []
    for who, kind, data in ((desk.secretariat, "forward_to_cesrees", {}),
                            (desk.secretariat, "request_complements", {"reason": "  "})):
        with pytest.raises(ProcedureError) as e:
            act(file.pk, who, kind, data)
        refusals.append(e.value)
    file2 = Driver(desk).to("authorisation", "cnil")
    with pytest.raises(ProcedureError) as e:
        act(file2.pk, desk.cnil, "cnil_authorisation",
            {"scope": "s", "conditions": "c", "until": date(2020, 1, 1)})
    refusals.append(e.value)
    made = [ProcedureError("only the CNIL may authorise the processing"),
            ProcedureError("'maybe' is not an opinion of the CESREES: choose favourable, "
                           "favourable-with-recommendations or unfavourable"),
            ProcedureError("the CESREES had until 2026-02-05: its opinion is deemed given"),
            ProcedureError("opinion needs 'reasons'"),
            ProcedureError("cesrees_opinion needs 'reasons'")]
    with override(language):
        read = [wording.refusal(r) for r in refusals + made]
    assert [r.code for r in read] == ["stage", "stage", "date", "role", "choice", "late",
                                      "missing", "missing"]
    if language == "fr":
        assert read[0].message == ("« Transmettre le dossier au CESREES » n’est pas possible "
                                   "maintenant\u00a0: le dossier est à l’étape « Devant le "
                                   "CESREES ».")
        assert "Favorable, avec recommandations" in read[4].message
        assert "réputé" in read[5].message and "5 février 2026" in read[5].message
        assert all(r.message != str(e) for r, e in zip(read, refusals + made, strict=True))
    else:
        assert read[0].message == ("“Forward the file to the CESREES” is not possible now: "
                                   "the file is at the stage “Before the CESREES”.")
        assert read[3].message == "Only the CNIL may take the step “Authorise the processing”."
    assert wording.refusal(ProcedureError("something new")).code == "other"


# --- the dashboard --------------------------------------------------------------------------------


def submitted_at(desk: Any, when: Any, procedure: str = "authorisation", **fields: Any) -> Any:
    file = complete_file(desk.applicant, procedure, **fields)
    act(file.pk, desk.applicant, "submit", now=when)
    file.refresh_from_db()
    return file


def rows(response: Any) -> list[str]:
    """The references listed, in order."""
    return re.findall(r'<tr data-file="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', page(response))


def test_the_dashboard_s_late_and_due_this_week_filters(desk):
    now = timezone.now()
    today = day_of(now)
    late = submitted_at(desk, now - timedelta(days=10), title="Late file")  # 7 days: 3 late
    soon = submitted_at(desk, now - timedelta(days=3), title="Soon file")  # 4 days left
    edge = submitted_at(desk, now - timedelta(minutes=5), title="Edge file")  # 7 days left
    far = submitted_at(desk, now - timedelta(days=1), "ehds-permit", title="Far file")
    draft = complete_file(desk.applicant, title="Draft file")
    assert (late.deadline, soon.deadline) == (today - timedelta(days=3),
                                              today + timedelta(days=4))
    assert edge.deadline == day_of(now - timedelta(minutes=5)) + timedelta(days=7)
    client = login(desk.secretariat)
    everything = client.get("/guichet/desk/")
    assert rows(everything) == [late.reference, soon.reference, edge.reference, far.reference]
    html = page(everything)
    assert draft.title not in html
    assert "3 days late" in html and "4 days" in html
    assert "1 late file" in html and "2 files due within 7 days" in html
    assert rows(client.get("/guichet/desk/?due=late")) == [late.reference]
    assert rows(client.get("/guichet/desk/?due=week")) == [soon.reference, edge.reference]
    assert rows(client.get("/guichet/desk/?procedure=ehds-permit")) == [far.reference]
    act(soon.pk, desk.secretariat, "forward_to_cesrees")
    assert rows(client.get("/guichet/desk/?stage=cesrees")) == [soon.reference]
    assert rows(client.get("/guichet/desk/?due=week")) == [edge.reference]
    assert rows(client.get("/guichet/desk/?stage=nonsense")) == []
    # A file past its deadline but decided is not late.
    act(late.pk, desk.applicant, "withdraw")
    assert rows(client.get("/guichet/desk/?due=late")) == []


def test_the_dashboard_of_a_cnil_agent_a_holder_and_a_member(desk, make_user):
    driver = Driver(desk)
    at_cnil = driver.to("authorisation", "cnil")
    consulted = driver.to("authorisation", "submitted")
    driver.act(consulted, "consult_holder", holder="cnam")
    other = driver.to("authorisation", "submitted")
    cnil = rows(login(desk.cnil).get("/guichet/desk/"))
    assert cnil == [at_cnil.reference]
    holder = login(desk.holder)
    assert rows(holder.get("/guichet/desk/")) == [consulted.reference]
    assert rows(holder.get("/guichet/desk/?todo=on")) == [consulted.reference]
    member = login(desk.cesrees)
    assert rows(member.get("/guichet/desk/")) == [at_cnil.reference]  # on its agenda
    assert other.reference not in page(member.get("/guichet/desk/"))
    assert rows(login(desk.secretariat).get("/guichet/desk/?todo=on")) == [
        consulted.reference, other.reference]


def test_only_staff_reach_the_dashboard(desk, client):
    assert login(desk.applicant).get("/guichet/desk/").status_code == 403
    assert login(desk.outsider).get("/guichet/desk/").status_code == 403
    response = client.get("/guichet/desk/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login(desk.secretariat).get("/guichet/desk/").status_code == 200


# --- sessions, interests, recusal -----------------------------------------------------------------


def test_recusal_hides_the_file_and_bars_the_opinion(desk, make_user):
    file = Driver(desk).to("authorisation", "cesrees")
    second = make_user("member2", role="cesrees", totp=True)
    item = on_agenda(file, desk.cesrees)
    item.session.members.add(second)
    recused, other = login(desk.cesrees), login(second)
    assert recused.get(step_url(file, "cesrees_opinion")).status_code == 200
    response = recused.post(f"/guichet/desk/agenda/{item.pk}/interest/",
                            {"conflict": "yes", "detail": "I co-authored the protocol."})
    assert response.status_code == 302
    assert file not in visible(desk.cesrees)
    assert recused.get(step_url(file, "cesrees_opinion")).status_code == 404
    assert recused.get(file.get_absolute_url()).status_code == 404
    session_page = page(recused.get(f"/guichet/desk/sessions/{item.session_id}/"))
    assert "Recused" in session_page and file.get_absolute_url() not in session_page
    assert rows(recused.get("/guichet/desk/")) == []
    # A conflict declared stands: the member cannot take it back.
    response = recused.post(f"/guichet/desk/agenda/{item.pk}/interest/", {"conflict": "no"})
    assert Interest.objects.get(item=item, member=desk.cesrees).conflict is True
    audit = AuditEvent.objects.get(action="guichet.interest_declared")
    assert audit.detail["conflict"] is True and "co-authored" not in str(audit.detail)
    # The secretariat sees the rapporteur is recused, names the other member, who gives it.
    agent = login(desk.secretariat)
    assert "recused: name another rapporteur" in page(
        agent.get(f"/guichet/desk/sessions/{item.session_id}/"))
    response = agent.post(f"/guichet/desk/agenda/{item.pk}/rapporteur/",
                          {f"item{item.pk}-rapporteur": desk.cesrees.pk})
    item.refresh_from_db()
    assert item.rapporteur == desk.cesrees  # a recused member cannot report
    agent.post(f"/guichet/desk/agenda/{item.pk}/rapporteur/",
               {f"item{item.pk}-rapporteur": second.pk})
    item.refresh_from_db()
    assert item.rapporteur == second
    done(take(other, file, "cesrees_opinion", opinion="unfavourable", reasons="Too broad."),
         file)


def test_sessions_are_the_secretariat_s_and_their_members(desk, make_user):
    agent, member, cnil = login(desk.secretariat), login(desk.cesrees), login(desk.cnil)
    assert member.get("/guichet/desk/sessions/new/").status_code == 403
    assert cnil.get("/guichet/desk/sessions/").status_code == 403
    assert login(desk.applicant).get("/guichet/desk/sessions/").status_code == 403
    # Only people with the CESREES role may sit.
    response = agent.post("/guichet/desk/sessions/new/", {
        "date": "2026-12-15", "title": "Plenary", "members": [desk.cnil.pk]})
    assert response.status_code == 200 and not Session.objects.exists()
    agent.post("/guichet/desk/sessions/new/", {"date": "2026-12-15", "title": "Plenary",
                                               "members": [desk.cesrees.pk]})
    mine = Session.objects.get()
    others = Session.objects.create(date=date(2026, 12, 20), title="Another")
    assert member.get(f"/guichet/desk/sessions/{others.pk}/").status_code == 404
    assert "Another" not in page(member.get("/guichet/desk/sessions/"))
    assert member.get(f"/guichet/desk/sessions/{mine.pk}/").status_code == 200
    # Only files before the committee go on the agenda, with a member as rapporteur.
    driver = Driver(desk)
    submitted, before = driver.to("authorisation", "submitted"), driver.to("authorisation",
                                                                           "cesrees")
    url = f"/guichet/desk/sessions/{mine.pk}/agenda/"
    assert agent.post(url, {"application": submitted.pk,
                            "rapporteur": desk.cesrees.pk}).status_code == 400
    assert agent.post(url, {"application": before.pk,
                            "rapporteur": desk.secretariat.pk}).status_code == 400
    assert member.post(url, {"application": before.pk,
                             "rapporteur": desk.cesrees.pk}).status_code == 403
    assert not AgendaItem.objects.exists()
    assert agent.post(url, {"application": before.pk,
                            "rapporteur": desk.cesrees.pk}).status_code == 302
    scheduled = AuditEvent.objects.get(action="guichet.scheduled")
    assert scheduled.detail["rapporteur"] == desk.cesrees.pk
    # A member reporting on a file cannot be taken off the session.
    response = agent.post(f"/guichet/desk/sessions/{mine.pk}/members/", {
        "date": "2026-12-15", "title": "Plenary", "members": []})
    assert response.status_code == 400 and mine.members.count() == 1
    # The interest form is the session's members' only.
    item = AgendaItem.objects.get()
    assert agent.get(f"/guichet/desk/agenda/{item.pk}/interest/").status_code == 404
    assert member.get(f"/guichet/desk/agenda/{item.pk}/interest/").status_code == 200


def test_a_holder_answers_only_for_its_own_consulted_holder(desk, make_user):
    from hygie.web.catalogue.models import DataHolder

    DataHolder.objects.create(slug="atih", name="ATIH")
    file = Driver(desk).to("authorisation", "submitted")
    agent = login(desk.secretariat)
    assert '<option value="atih">' not in page(agent.get(step_url(file, "consult_holder")))
    holder = login(desk.holder)
    assert holder.get(step_url(file, "holder_answer")).status_code == 404  # not consulted
    done(take(agent, file, "consult_holder", holder="cnam"), file)
    form = page(holder.get(step_url(file, "holder_answer")))
    assert '<option value="cnam">' in form and "atih" not in form
    response = take(holder, file, "holder_answer", holder="atih", feasibility="feasible",
                    cost="none")
    assert response.status_code == 200 and not file.events.filter(kind="holder_answer").exists()
