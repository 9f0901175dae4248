"""E-mail notifications: who is told of what, sent by the worker after the commit, one message per
person, in French then English, with a link and without the content they announce."""

from __future__ import annotations

import pytest
from django.db import transaction

from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec
from hygie.web.catalogue import workflow
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, Status
from hygie.web.feasibility import services
from hygie.web.notify import notify
from tests.web.helpers import run_jobs

pytestmark = pytest.mark.django_db
QUESTION = "Is 2018 covered for the Val-de-Marne patients?"


@pytest.fixture
def snds():
    return Dataset.objects.get(slug="snds")


@pytest.fixture
def people(make_user, snds):
    return {"alice": make_user("alice", first_name="Alice", last_name="Martin"),
            "editor": make_user("editor", holder=snds.holder.slug),
            "editor2": make_user("editor2", holder=snds.holder.slug),
            "other": make_user("other", holder="other-holder"),
            "team": make_user("team", role="catalogue-team")}


def sent(mailoutbox, capture) -> dict[str, str]:
    """Run the commit callbacks and the mail queue; {recipient: subject + body}."""
    for callback in capture:
        callback()
    run_jobs("mail")
    out = {}
    for message in mailoutbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc
        out[message.to[0]] = f"{message.subject}\n{message.body}"
    mailoutbox.clear()
    return out


def test_an_enquiry_tells_the_holder_side_then_each_side_of_the_other(
        people, snds, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as capture:
        enquiry = services.open_enquiry(people["alice"], snds, "Years", QUESTION)
    mails = sent(mailoutbox, capture)
    assert sorted(mails) == ["editor2@example.org", "editor@example.org"]  # not other, not alice
    mail = mails["editor@example.org"]
    assert mail.startswith("[Hygie] Nouvelle question sur ")
    assert "New question about " in mail  # French, then English
    assert "Alice Martin a posé une question" in mail
    assert f"http://127.0.0.1:8000/feasibility/enquiries/{enquiry.pk}/" in mail
    assert QUESTION not in mail and "Years" not in mail  # the content stays behind the sign-in

    with django_capture_on_commit_callbacks() as capture:
        services.reply(enquiry, people["editor"], "From 2019 only.")
    mails = sent(mailoutbox, capture)
    assert list(mails) == ["alice@example.org"]
    assert "From 2019" not in mails["alice@example.org"]
    assert "editor replied in the thread." in mails["alice@example.org"]

    with django_capture_on_commit_callbacks() as capture:
        services.reply(enquiry, people["alice"], "Thanks", close=True)
    mails = sent(mailoutbox, capture)
    assert sorted(mails) == ["editor2@example.org", "editor@example.org"]
    assert "Alice Martin closed the thread." in mails["editor@example.org"]


def test_a_holder_without_editors_has_the_catalogue_team_told(make_user, people, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    holder = DataHolder.objects.create(slug="lonely", name="Lonely")
    dataset = Dataset.objects.create(slug="lonely-base", holder=holder, title_fr="Base isolée")
    with django_capture_on_commit_callbacks() as capture:
        services.open_enquiry(people["alice"], dataset, "Hello", "A question")
    assert list(sent(mailoutbox, capture)) == ["team@example.org"]


def test_nothing_is_sent_when_the_change_rolls_back(people, snds, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with (django_capture_on_commit_callbacks(execute=True) as capture,
          pytest.raises(RuntimeError), transaction.atomic()):
        services.open_enquiry(people["alice"], snds, "Years", QUESTION)
        raise RuntimeError("the request fails after the enquiry")
    assert capture == [] and run_jobs("mail") == 0 and mailoutbox == []
    assert not DBTaskResult.objects.filter(queue_name="mail").exists()


def test_inactive_people_those_without_address_and_the_actor_are_left_out(make_user, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    actor = make_user("actor")
    gone = make_user("gone", is_active=False)
    silent = make_user("silent")
    silent.email = ""
    kept = make_user("kept")
    with django_capture_on_commit_callbacks() as capture:
        addresses = notify([actor, gone, silent, kept], "enquiry_opened",
                           {"enquiry": None, "writer": "x"}, actor=actor)
    assert addresses == ["kept@example.org"]
    assert list(sent(mailoutbox, capture)) == ["kept@example.org"]
    with django_capture_on_commit_callbacks() as capture:
        assert notify([actor, gone], "enquiry_opened", {}, actor=actor) == []
    assert capture == []


def test_the_publication_workflow_tells_the_team_then_the_editors(
        make_user, mailoutbox, django_capture_on_commit_callbacks):
    holder = DataHolder.objects.create(slug="holder-a", name="Holder A")
    dataset = Dataset.objects.create(slug="base-a", holder=holder, title_fr="Base A")
    version = import_version(dataset, VersionSpec(tables=(TableSpec("VISITS", variables=(
        VariableSpec("id"),)),)))
    editor = make_user("edith", holder="holder-a")
    team = make_user("tess", role="catalogue-team")
    make_user("otto", holder="holder-b")

    with django_capture_on_commit_callbacks() as capture:
        workflow.submit(version, editor)
    mails = sent(mailoutbox, capture)
    assert list(mails) == ["tess@example.org"]
    assert "Base A, version 1, attend une relecture" in mails["tess@example.org"]
    assert "http://127.0.0.1:8000/catalogue/base-a/v1/" in mails["tess@example.org"]

    comment = "Describe the age variable in English too."
    with django_capture_on_commit_callbacks() as capture:
        workflow.send_back(version, team, comment)
    mails = sent(mailoutbox, capture)
    assert list(mails) == ["edith@example.org"]
    assert "sent back to draft" in mails["edith@example.org"]
    assert comment not in mails["edith@example.org"]

    version.refresh_from_db()
    workflow.submit(version, editor)
    with django_capture_on_commit_callbacks() as capture:
        workflow.publish(version, team)
    mails = sent(mailoutbox, capture)
    assert list(mails) == ["edith@example.org"]
    assert "Base A, version 1, est publiée" in mails["edith@example.org"]
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED


def test_the_default_backend_writes_files_under_the_home(tmp_path, settings):
    """Without HYGIE_SMTP_HOST, messages are files a laptop user can read."""
    from hygie.web.notify import send

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    assert send.call(["a@example.org", "b@example.org"], "Sujet", "Corps") == 2
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1  # one file per connection, holding both messages
    text = files[0].read_text()
    assert text.count("Subject: [Hygie] Sujet") == 2 and "To: a@example.org" in text


def test_people_read_the_language_they_chose_on_the_site(people, snds, signed_in, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    client = signed_in(people["editor"])
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    people["editor"].refresh_from_db()
    assert people["editor"].language == "en"
    assert client.post("/i18n/setlang/", {"language": "xx", "next": "/"}).status_code == 302
    people["editor"].refresh_from_db()
    assert people["editor"].language == "en"  # an unknown language changes nothing

    with django_capture_on_commit_callbacks() as capture:
        services.open_enquiry(people["alice"], snds, "Years", QUESTION)
    mails = sent(mailoutbox, capture)
    english, both = mails["editor@example.org"], mails["editor2@example.org"]
    assert english.startswith("[Hygie] New question about ") and "Nouvelle" not in english
    assert "Nouvelle question" in both and "New question" in both  # no choice: both


# --- header and line injection -----------------------------------------------------------------

EVIL = "Base\nURGENT: sign in again at https://evil.example/login\r\n\u202eX"


class Evil:
    """Whatever a template asks of it (a title, a number, a URL, a name), it answers EVIL."""

    def __getattr__(self, name: str) -> Evil:
        if name.startswith("_"):
            raise AttributeError(name)
        return Evil()

    def __call__(self) -> Evil:
        return self

    def __str__(self) -> str:
        return EVIL


def assert_lines_are_ours(mail: str) -> None:
    """No stored value started a line of its own, in the subject or anywhere in the body."""
    assert mail.startswith("[Hygie] ")
    assert "\r" not in mail and "\u202e" not in mail
    # The title is in the text, flattened, but it starts no line (the body's first included).
    assert not any(line.lstrip().startswith("URGENT") for line in mail.splitlines()), mail


def test_no_stored_value_can_start_a_line_in_any_mail(make_user, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    from pathlib import Path

    import hygie.web

    people = [make_user("french", language="fr"), make_user("english", language="en"),
              make_user("undecided")]
    context = {"enquiry": Evil(), "version": Evil(), "user": Evil(), "writer": EVIL,
               "path": "/accounts/enrol/x/", "hours": 72, "closed": False}
    templates = sorted(p.stem for p in
                       (Path(hygie.web.__file__).parent / "templates" / "mail").glob("*.txt"))
    assert len(templates) >= 8
    for template in templates:
        with django_capture_on_commit_callbacks() as capture:
            notify(people, template, context)
        mails = sent(mailoutbox, capture)
        assert len(mails) == 3, template
        for mail in mails.values():
            assert_lines_are_ours(mail)


def test_a_title_with_a_line_break_stored_in_the_database_stays_on_its_line(
        make_user, mailoutbox, django_capture_on_commit_callbacks):
    holder = DataHolder.objects.create(slug="holder-x", name="Holder X")
    dataset = Dataset.objects.create(slug="base-x", holder=holder, title_fr="Base X")
    version = import_version(dataset, VersionSpec(tables=(TableSpec("T", variables=(
        VariableSpec("id"),)),)))
    # Straight into the database, past every form and validator.
    Dataset.objects.filter(pk=dataset.pk).update(title_fr=EVIL, title_en=EVIL)
    editor = make_user("edith", holder="holder-x", first_name="Edith\nURGENT: call +33 1 00")
    make_user("tess", role="catalogue-team")
    version.refresh_from_db()
    with django_capture_on_commit_callbacks() as capture:
        workflow.submit(version, editor)
    mails = sent(mailoutbox, capture)
    assert list(mails) == ["tess@example.org"]
    mail = mails["tess@example.org"]
    assert_lines_are_ours(mail)
    subject = mail.partition("\n")[0]
    assert "Base URGENT: sign in again at https://evil.example/login" in subject  # flattened
    assert "Edith URGENT: call +33 1 00" in mail


def test_the_sender_flattens_a_subject_as_a_last_line_of_defence(mailoutbox):
    from hygie.web.notify import send

    assert send.call(["a@example.org"], "Sujet\r\nBcc: victim@example.org\u202e", "Corps") == 1
    message = mailoutbox[0]
    assert message.subject == "[Hygie] Sujet Bcc: victim@example.org"
    assert message.bcc == [] and message.to == ["a@example.org"]
    assert "victim" not in str(message.message()["Bcc"] or "")


def test_an_address_with_a_line_break_is_left_out_not_the_others(
        make_user, mailoutbox, django_capture_on_commit_callbacks):
    from hygie.web.accounts.models import User

    good = make_user("good")
    bad = make_user("bad")
    User.objects.filter(pk=bad.pk).update(email="bad@example.org\nBcc: victim@example.org")
    bad.refresh_from_db()
    with django_capture_on_commit_callbacks() as capture:
        addresses = notify([good, bad], "version_published", {"version": Evil()})
    assert addresses == ["good@example.org"]
    assert list(sent(mailoutbox, capture)) == ["good@example.org"]
