"""The applicant's side of the guichet and the file page: a draft created and edited in sections,
a save from a stale page refused, the scope checked against the catalogue and the applicant's own
cohorts, the team reading the file, attachments checked by content and served only to those who
may read the file, internal notes kept from the applicant (page and e-mail), the timeline and the
clock, and the pages in French. Runs on SQLite and, with HYGIE_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from hygie.access import procedures
from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.models import Dataset
from hygie.web.feasibility.models import SavedCohort
from hygie.web.guichet import labels
from hygie.web.guichet.models import Application, Attachment, Message, TeamMember, private_storage
from hygie.web.guichet.workflow import act
from tests.web.guichet_files import at, complete_file, make_desk, minimal_pdf
from tests.web.helpers import login, run_jobs, sign_in

pytestmark = pytest.mark.django_db
DEFINITION = "name: t2d\nperiod: {start: 2019-01-01, end: 2022-12-31}\n"


@pytest.fixture
def desk(make_user):
    return make_desk(make_user)


@pytest.fixture(autouse=True)
def private_files(tmp_path, monkeypatch):
    """Attachments written under the test's own folder."""
    monkeypatch.setattr(private_storage, "_wrapped", FileSystemStorage(location=tmp_path))
    return tmp_path


def form_data(client: Client, pk: int, **changes: Any) -> dict[str, Any]:
    """The edit form as the page renders it (its version included), with `changes`."""
    response = client.get(f"/guichet/{pk}/edit/")
    assert response.status_code == 200
    form = response.context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if name == "datasets":
            data[name] = [str(v) for v in value or []]
        elif name == "linkage":
            if value:
                data[name] = "on"
        else:
            value = field.prepare_value(value) if name == "variables" else value
            data[name] = "" if value is None else value
    data.update(changes)
    return data


def submit(application: Application, user: Any, day: str = "2026-11-30") -> None:
    act(application.pk, user, "submit", now=at(day))
    application.refresh_from_db()


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


# --- a new file, my files -------------------------------------------------------------------------


def test_a_new_file_is_a_draft_of_the_chosen_procedure(desk):
    client = login(desk.applicant)
    page = text(client.get("/guichet/new/"))
    for name in procedures():
        assert labels.procedure_title(name) in page
    assert "MR-003 to MR-006" in page and "anonymised statistics only" in page
    assert client.post("/guichet/new/", {"procedure": "nonsense", "title": "X"}).status_code == 400
    response = client.post("/guichet/new/", {"procedure": "ehds-permit",
                                             "title": "Diabetes in the EU"})
    file = Application.objects.get(applicant=desk.applicant)
    assert response.status_code == 302 and response["Location"] == f"/guichet/{file.pk}/edit/"
    assert (file.procedure, file.stage, file.title) == ("ehds-permit", "draft",
                                                        "Diabetes in the EU")
    created = AuditEvent.objects.get(action=Action.GUICHET_CREATED.value)
    assert (created.actor, created.target_id) == (desk.applicant, str(file.pk))

    assert "Created the file" in text(client.get(f"/guichet/{file.pk}/"))
    listing = text(client.get("/guichet/"))
    assert file.reference in listing and "Diabetes in the EU" in listing
    assert "EHDS data permit" in listing and "Draft" in listing and "the applicant" in listing
    assert file.reference not in text(login(desk.outsider).get("/guichet/"))


def test_my_files_shows_the_stage_its_deadline_and_who_holds_it(desk):
    file = complete_file(desk.applicant)
    submit(file, desk.applicant)
    for user in (desk.applicant, desk.secretariat):
        page = text(login(user).get("/guichet/"))
        assert file.reference in page and "Submitted, under review" in page
        assert "the secretariat" in page and file.deadline.isoformat() in page


# --- editing --------------------------------------------------------------------------------------


def test_a_draft_is_saved_without_required_fields_and_the_edit_names_the_fields(desk):
    file = Application.objects.create(procedure="authorisation", applicant=desk.applicant,
                                      title="Metformin")
    client = login(desk.applicant)
    data = form_data(client, file.pk, purpose="Estimate the risk.", acronym="MET")
    response = client.post(f"/guichet/{file.pk}/edit/", data)
    assert response.status_code == 302, response.content[:3000]
    file.refresh_from_db()
    assert (file.purpose, file.acronym, file.public_interest) == ("Estimate the risk.", "MET", "")
    edited = AuditEvent.objects.get(action=Action.GUICHET_EDITED.value)
    assert sorted(edited.detail["fields"]) == ["acronym", "purpose"]
    assert "Estimate" not in str(edited.detail)  # names, never values
    # Saving again without a change records nothing new.
    client.post(f"/guichet/{file.pk}/edit/", form_data(client, file.pk))
    assert AuditEvent.objects.filter(action=Action.GUICHET_EDITED.value).count() == 1


def test_a_save_from_a_stale_page_is_refused_not_written_over(desk):
    file = Application.objects.create(procedure="authorisation", applicant=desk.applicant,
                                      title="Metformin")
    client = login(desk.applicant)
    first = form_data(client, file.pk, purpose="From the first tab")
    second = form_data(client, file.pk, purpose="From the second tab")
    assert client.post(f"/guichet/{file.pk}/edit/", first).status_code == 302
    response = client.post(f"/guichet/{file.pk}/edit/", second)
    assert response.status_code == 409
    assert "changed elsewhere" in text(response) and "not saved" in text(response)
    assert "From the second tab" in text(response)  # still there to copy
    file.refresh_from_db()
    assert file.purpose == "From the first tab"


def test_a_save_after_the_file_was_submitted_elsewhere_is_refused(desk):
    file = complete_file(desk.applicant)
    client = login(desk.applicant)
    data = form_data(client, file.pk, purpose="Too late")
    submit(file, desk.applicant)
    response = client.post(f"/guichet/{file.pk}/edit/", data)
    assert response.status_code == 409 and "changed elsewhere" in text(response)
    file.refresh_from_db()
    assert file.purpose == "Estimate the association."
    # The edit page now sends the applicant to the file; others may not edit at all.
    assert client.get(f"/guichet/{file.pk}/edit/")["Location"] == f"/guichet/{file.pk}/"
    assert login(desk.secretariat).get(f"/guichet/{file.pk}/edit/").status_code == 403
    assert login(desk.outsider).get(f"/guichet/{file.pk}/edit/").status_code == 404


def test_variables_are_checked_against_the_chosen_datasets_published_description(desk):
    snds = Dataset.objects.get(slug="snds")
    file = Application.objects.create(procedure="authorisation", applicant=desk.applicant,
                                      title="Metformin")
    client = login(desk.applicant)
    response = client.post(f"/guichet/{file.pk}/edit/", form_data(
        client, file.pk, datasets=[str(snds.pk)],
        variables="ER_PRS_F.PRS_NAT_REF\nER_PRS_F.NO_SUCH_VAR, NO_TABLE.X"))
    assert response.status_code == 400
    page = text(response)
    assert "ER_PRS_F.NO_SUCH_VAR, NO_TABLE.X" in page and "ER_PRS_F.PRS_NAT_REF," not in page
    response = client.post(f"/guichet/{file.pk}/edit/", form_data(
        client, file.pk, datasets=[], variables="ER_PRS_F.PRS_NAT_REF"))
    assert "Choose the datasets that hold these variables" in text(response)
    response = client.post(f"/guichet/{file.pk}/edit/", form_data(
        client, file.pk, datasets=[str(snds.pk)], variables="not-a-variable"))
    assert "Write each as TABLE.VARIABLE: not-a-variable" in text(response)
    file.refresh_from_db()
    assert file.variables == []
    # Accepted as the catalogue spells them.
    response = client.post(f"/guichet/{file.pk}/edit/", form_data(
        client, file.pk, datasets=[str(snds.pk)], variables="er_prs_f.prs_nat_ref"))
    assert response.status_code == 302
    file.refresh_from_db()
    assert file.variables == ["ER_PRS_F.PRS_NAT_REF"]
    assert list(file.datasets.all()) == [snds]


def test_only_the_applicant_s_own_saved_cohort_can_be_chosen(desk):
    snds = Dataset.objects.get(slug="snds")
    theirs = SavedCohort.objects.create(owner=desk.outsider, dataset=snds, name="Theirs",
                                        definition=DEFINITION)
    mine = SavedCohort.objects.create(owner=desk.applicant, dataset=snds, name="Mine",
                                      definition=DEFINITION)
    file = Application.objects.create(procedure="authorisation", applicant=desk.applicant,
                                      title="Metformin")
    client = login(desk.applicant)
    page = text(client.get(f"/guichet/{file.pk}/edit/"))
    assert "Mine" in page and "Theirs" not in page
    response = client.post(f"/guichet/{file.pk}/edit/", form_data(
        client, file.pk, datasets=[str(snds.pk)], cohort=str(theirs.pk)))
    assert response.status_code == 400
    file.refresh_from_db()
    assert file.cohort is None
    response = client.post(f"/guichet/{file.pk}/edit/", form_data(
        client, file.pk, datasets=[], cohort=str(mine.pk)))
    assert response.status_code == 400 and "add that dataset to the scope" in text(response)
    response = client.post(f"/guichet/{file.pk}/edit/", form_data(
        client, file.pk, datasets=[str(snds.pk)], cohort=str(mine.pk)))
    assert response.status_code == 302
    file.refresh_from_db()
    assert file.cohort == mine


def test_a_team_member_with_an_account_reads_the_file_and_changes_nothing(desk, make_user):
    colleague = make_user("colleague")
    asleep = make_user("asleep", is_active=False)
    file = complete_file(desk.applicant)
    client = login(desk.applicant)
    response = client.post(f"/guichet/{file.pk}/team/", {
        "name": "Dr Colleague", "email": "Colleague@Example.org", "organisation": "CHU",
        "role": "member"})
    assert response.status_code == 302
    client.post(f"/guichet/{file.pk}/team/", {"name": "Asleep", "email": "asleep@example.org",
                                               "role": "member"})
    twice = client.post(f"/guichet/{file.pk}/team/", {"name": "Again",
                                                       "email": "colleague@example.org",
                                                       "role": "member"})
    assert twice.status_code == 400 and "already in the team" in text(twice)
    member = TeamMember.objects.get(application=file, name="Dr Colleague")
    assert member.user == colleague
    assert TeamMember.objects.get(application=file, name="Asleep").user is None
    assert asleep.pk  # an inactive account is not linked
    assert AuditEvent.objects.filter(action=Action.GUICHET_EDITED.value,
                                     detail__fields=["team"]).count() == 2

    theirs = login(colleague)
    assert theirs.get(f"/guichet/{file.pk}/").status_code == 200
    assert file.reference in text(theirs.get("/guichet/"))
    assert theirs.get(f"/guichet/{file.pk}/edit/").status_code == 403
    assert theirs.post(f"/guichet/{file.pk}/team/", {"name": "X", "email": "x@example.org",
                                                      "role": "member"}).status_code == 403
    # Another file's member cannot be removed through this one (no IDOR).
    other = complete_file(desk.outsider)
    stranger = other.team.get()
    assert client.post(f"/guichet/{file.pk}/team/{stranger.pk}/remove/").status_code == 404
    assert client.post(f"/guichet/{file.pk}/team/{member.pk}/remove/").status_code == 302
    assert theirs.get(f"/guichet/{file.pk}/").status_code == 404


# --- attachments ----------------------------------------------------------------------------------


def upload(client: Client, pk: int, name: str, data: bytes, kind: str = "protocol") -> Any:
    return client.post(f"/guichet/{pk}/attachments/",
                       {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_a_pdf_is_attached_and_served_only_to_those_who_read_the_file(desk, private_files):
    file = complete_file(desk.applicant)
    client = login(desk.applicant)
    pdf = minimal_pdf() + b"% the applicant's own\n"
    response = upload(client, file.pk, "../My plan.pdf", pdf, kind="dmp")
    assert response.status_code == 302, text(response)[:3000]
    attachment = Attachment.objects.get(application=file, kind="dmp")
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "My plan.pdf", "application/pdf", len(pdf))
    assert "plan" not in attachment.file.name  # stored under a name of ours
    assert (private_files / attachment.file.name).read_bytes() == pdf
    assert AuditEvent.objects.filter(action=Action.GUICHET_ATTACHED.value).exists()
    url = f"/guichet/{file.pk}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 200
    assert login(desk.outsider).get(url).status_code == 404
    secretariat = login(desk.secretariat)
    assert secretariat.get(url).status_code == 404  # a draft is its author's alone
    other = complete_file(desk.outsider).attachments.get()
    assert client.get(f"/guichet/{file.pk}/attachments/{other.pk}/").status_code == 404

    submit(file, desk.applicant)
    response = secretariat.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert "My plan.pdf" in response["Content-Disposition"]
    downloads = AuditEvent.objects.filter(action=Action.GUICHET_DOWNLOADED.value).order_by("id")
    assert list(downloads.values_list("actor", flat=True)) == [desk.applicant.pk,
                                                               desk.secretariat.pk]
    assert login(desk.outsider).get(url).status_code == 404
    # Once submitted, nothing is attached or removed.
    assert upload(client, file.pk, "more.pdf", pdf).status_code == 302
    assert client.post(f"{url}remove/").status_code == 302
    assert Attachment.objects.filter(application=file).count() == 2
    assert upload(secretariat, file.pk, "more.pdf", pdf).status_code == 403


@pytest.mark.parametrize(("name", "data", "message"), [
    ("protocol.docx", minimal_pdf(), "The file's name ends in .docx"),
    ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "not accepted"),
    ("protocol.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R", "The PDF is damaged"),
])
def test_a_refused_document_is_named_in_the_form_and_nothing_is_stored(
        desk, private_files, name, data, message):
    file = Application.objects.create(procedure="authorisation", applicant=desk.applicant,
                                      title="Metformin")
    response = upload(login(desk.applicant), file.pk, name, data)
    assert response.status_code == 400
    assert message in text(response)
    assert not Attachment.objects.exists() and not list(private_files.rglob("*.*"))


@pytest.mark.parametrize("over", [10_000, 200_000])  # caught as it arrives; announced, unread
def test_an_oversized_file_is_refused_with_the_limit(desk, private_files, settings, over):
    settings.HYGIE_ATTACHMENT_MAX_BYTES = 100 * 1024
    file = Application.objects.create(procedure="authorisation", applicant=desk.applicant,
                                      title="Metformin")
    big = minimal_pdf() + b"%" * (100 * 1024 + over)
    response = upload(login(desk.applicant), file.pk, "big.pdf", big)
    assert response.status_code == 413
    assert "larger than the limit of 100 kB" in text(response)
    assert not Attachment.objects.exists() and not list(private_files.rglob("*.*"))


def test_an_attachment_is_removed_while_the_file_is_a_draft(desk, private_files):
    file = Application.objects.create(procedure="authorisation", applicant=desk.applicant,
                                      title="Metformin")
    client = login(desk.applicant)
    upload(client, file.pk, "protocol.pdf", minimal_pdf())
    attachment = Attachment.objects.get()
    stored = private_files / attachment.file.name
    other = complete_file(desk.outsider).attachments.get()
    assert client.post(f"/guichet/{file.pk}/attachments/{other.pk}/remove/").status_code == 404
    assert login(desk.outsider).post(
        f"/guichet/{file.pk}/attachments/{attachment.pk}/remove/").status_code == 404
    from django.test import TestCase
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/guichet/{file.pk}/attachments/{attachment.pk}/remove/")
    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists() and not stored.exists()
    assert AuditEvent.objects.filter(action=Action.GUICHET_DETACHED.value).exists()


# --- the file page --------------------------------------------------------------------------------


def test_a_draft_s_page_is_its_author_s_alone_and_lists_what_is_missing(desk):
    file = complete_file(desk.applicant, public_interest="", duration_months=None)
    page = text(login(desk.applicant).get(f"/guichet/{file.pk}/"))
    assert "Before submitting, add:" in page
    assert "<li>the public interest</li>" in page
    assert "<li>the duration of the processing</li>" in page
    assert 'data-step="submit"' in page  # the desk's step block, included
    assert "<li>ER_PRS_F.PRS_NAT_REF</li>" in page and "CHU de Lille" in page
    for user in (desk.secretariat, desk.outsider, desk.cesrees):
        assert login(user).get(f"/guichet/{file.pk}/").status_code == 404
    assert login(desk.outsider).get("/guichet/999999/").status_code == 404


def test_the_page_shows_the_clock_the_holder_and_the_timeline(desk):
    file = complete_file(desk.applicant)
    client = login(desk.applicant)
    client.post(f"/guichet/{file.pk}/edit/", form_data(client, file.pk, acronym="MET"))
    submit(file, desk.applicant, "2026-11-02")
    page = text(client.get(f"/guichet/{file.pk}/"))
    assert "Submitted, under review" in page and "the secretariat" in page
    assert file.deadline.isoformat() in page and "Overdue" in page  # 7 days, long past
    assert "Before submitting" not in page and "Edit the file" not in page
    act(file.pk, desk.secretariat, "request_complements", {"reason": "Add the DMP please."},
        now=at("2026-11-03"))
    page = text(client.get(f"/guichet/{file.pk}/"))
    assert "Clock stopped" in page and "Returned to the applicant for completion" in page
    assert "Edit the file" in page
    timeline = page[page.index('id="timeline"'):page.index('id="messages"')]
    assert "Edited: acronym" in timeline
    assert "Submit the application" in timeline and "Ask for complements" in timeline
    assert "Add the DMP please." in timeline and "<strong>agent</strong> (secretariat)" in timeline
    assert "(Submitted, under review → Returned to the applicant for completion)" in timeline
    assert timeline.index("Submit the application") < timeline.index("Ask for complements")


def test_notes_never_reach_the_applicant_nor_the_team(desk, make_user, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    colleague = make_user("colleague")
    file = complete_file(desk.applicant)
    TeamMember.objects.create(application=file, name="C", email="colleague@example.org",
                              user=colleague)
    applicant = login(desk.applicant)
    draft = applicant.post(f"/guichet/{file.pk}/messages/", {"body": "Hello?"})
    assert draft.status_code == 302 and not Message.objects.exists()  # nobody reads a draft
    submit(file, desk.applicant)
    secretariat = login(desk.secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        assert secretariat.post(f"/guichet/{file.pk}/notes/",
                                {"body": "SECRET NOTE: weak methods"}).status_code == 302
        assert secretariat.post(f"/guichet/{file.pk}/messages/",
                                {"body": "Please add the DMP."}).status_code == 302
    run_jobs("mail")
    assert sorted(m.to[0] for m in mailoutbox) == ["applicant@example.org",
                                                   "colleague@example.org"]
    for mail in mailoutbox:
        assert "SECRET" not in mail.body + mail.subject
        assert "Please add" not in mail.body  # the content stays behind the sign-in
        assert file.reference in mail.subject and f"/guichet/{file.pk}/" in mail.body
    for client in (applicant, login(colleague)):
        page = text(client.get(f"/guichet/{file.pk}/"))
        assert "Please add the DMP." in page
        assert "SECRET" not in page and "Internal notes" not in page
    assert "SECRET NOTE" in text(secretariat.get(f"/guichet/{file.pk}/"))
    assert applicant.post(f"/guichet/{file.pk}/notes/", {"body": "x"}).status_code == 403
    assert login(colleague).post(f"/guichet/{file.pk}/messages/",
                                 {"body": "x"}).status_code == 403
    audit = set(AuditEvent.objects.values_list("action", flat=True))
    assert {Action.GUICHET_NOTE.value, Action.GUICHET_MESSAGE.value} <= audit

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        applicant.post(f"/guichet/{file.pk}/messages/", {"body": "Done."})
    run_jobs("mail")
    assert sorted(m.to[0] for m in mailoutbox) == ["agent2@example.org", "agent@example.org"]


# --- words ----------------------------------------------------------------------------------------


def test_every_packaged_stage_and_procedure_has_its_words():
    for name, proc in procedures().items():
        assert name in labels.PROCEDURES and name in labels.PROCEDURE_HINTS
        assert str(labels.PROCEDURES[name]) == proc.title
        for stage, spec in proc.stages.items():
            assert stage in labels.STAGES, (name, stage)
            if not spec.final and stage != proc.start:
                assert spec.label in labels.HOLDERS or spec.label in labels.NO_HOLDER, spec.label


def test_the_pages_read_in_french(desk):
    file = complete_file(desk.applicant, public_interest="")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    sign_in(client, desk.applicant)
    listing = text(client.get("/guichet/"))
    assert "Mes dossiers" in listing and "Nouveau dossier" in listing
    new = text(client.get("/guichet/new/"))
    assert "Autorisation (avis du CESREES, décision de la CNIL)" in new
    page = text(client.get(f"/guichet/{file.pk}/"))
    assert "Avant de déposer, ajoutez" in page and "Brouillon" in page
    edit = text(client.get(f"/guichet/{file.pk}/edit/"))
    assert "Enregistrer le brouillon" in edit and "Pièces jointes" in edit
    response = client.post(f"/guichet/{file.pk}/attachments/", {
        "kind": "protocol", "file": SimpleUploadedFile("tool.exe", b"MZ" + bytes(100))})
    assert "Ce type de fichier n’est pas accepté" in text(response)
    with translation.override("fr"):
        assert labels.stage_label("cesrees") == "Devant le CESREES"
