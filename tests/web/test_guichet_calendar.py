"""The guichet's calendar job, with time travel (`now`): lapses stored, reminders of deadlines to
the secretariat and the CNIL, of completion to the applicant, of the results to publish; each
sent once, in each person's language, without the content of messages or notes. The command runs
it once; `hygie serve` runs it in the background."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from hygie.web.audit.models import AuditEvent
from hygie.web.guichet.calendar_job import run
from hygie.web.guichet.models import Message, Reminder, Result
from hygie.web.guichet.wording import stage
from hygie.web.guichet.workflow import act
from tests.web.guichet_files import at, complete_file, make_desk, on_agenda
from tests.web.helpers import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_user):
    desk = make_desk(make_user)
    desk.secretariat.language = "fr"
    desk.secretariat.save()
    desk.secretariat2.language = "en"
    desk.secretariat2.save()
    return desk


@pytest.fixture
def mails(mailoutbox, django_capture_on_commit_callbacks):
    """calendar(now): run the job, send its mails; {recipient: subject + body} of those sent."""

    def calendar(now):
        with django_capture_on_commit_callbacks(execute=True):
            ran = run(now)
        run_jobs("mail")
        out = {}
        for message in mailoutbox:
            assert len(message.to) == 1
            out[message.to[0]] = f"{message.subject}\n{message.body}"
        mailoutbox.clear()
        calendar.ran = ran
        return out

    return calendar


def test_deadlines_remind_the_secretariat_then_the_cnil_once_each_and_lapses_are_stored(
        desk, mails):
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))  # forward by 12 January
    assert mails(at("2026-01-06")) == {}  # 6 days ahead: not yet
    sent = mails(at("2026-01-07"))
    assert sorted(sent) == ["agent2@example.org", "agent@example.org"]
    french, english = sent["agent@example.org"], sent["agent2@example.org"]
    assert french.startswith(f"[Hygie] Échéance le 12 janvier 2026 : dossier {file.reference}")
    assert "« Metformin and cancer in type 2 diabetes »" in french
    assert english.startswith(f"[Hygie] Deadline on Jan. 12, 2026: file {file.reference}")
    assert f"http://127.0.0.1:8000/guichet/{file.pk}/" in english
    assert mails(at("2026-01-08")) == {} and mails(at("2026-01-20")) == {}  # once only
    assert Reminder.objects.get(application=file).what == "forward"
    assert AuditEvent.objects.filter(action="guichet.reminder_sent",
                                     target_id=str(file.pk)).count() == 1
    # Before the CESREES: the secretariat is reminded of the month; nobody acts: it lapses.
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-01-09"))
    on_agenda(file, desk.cesrees)
    sent = mails(at("2026-02-05"))
    assert sorted(sent) == ["agent2@example.org", "agent@example.org"]
    assert mails.ran.stored == 0
    mails(at("2026-02-10", 1))
    assert mails.ran.stored == 1
    file.refresh_from_db()
    assert file.stage == "cnil" and file.events.last().kind == "cesrees_deemed"
    # Before the CNIL: its agents too, for its two months.
    sent = mails(at("2026-04-06"))
    assert sorted(sent) == ["agent2@example.org", "agent@example.org", "cnilagent@example.org"]
    assert "10 avril 2026" in sent["agent@example.org"]
    with translation.override("fr"):
        assert f"à l’étape « {stage('cnil')} »" in sent["agent@example.org"]
    assert 'at the stage "Before the CNIL"' in sent["agent2@example.org"]
    assert "April 10, 2026" in sent["cnilagent@example.org"]  # no language chosen: both
    assert "10 avril 2026" in sent["cnilagent@example.org"]
    # Extended: a new due date, a new reminder.
    act(file.pk, desk.cnil, "cnil_extension", now=at("2026-04-07"))
    assert mails(at("2026-04-08")) == {}
    assert len(mails(at("2026-06-08"))) == 3


def test_a_file_back_with_the_applicant_reminds_them(desk, mails):
    permit = complete_file(desk.applicant, "ehds-permit")
    act(permit.pk, desk.applicant, "submit", now=at("2029-04-02"))
    act(permit.pk, desk.secretariat, "request_completion", {"reason": "Ethics approval"},
        now=at("2029-04-12"))  # 4 weeks: 10 May
    sent = mails(at("2029-05-06"))
    assert sorted(sent) == ["agent2@example.org", "agent@example.org", "applicant@example.org"]
    to_applicant = sent["applicant@example.org"]
    assert "is waiting to be completed" in to_applicant
    assert "attend d’être complété" in to_applicant
    assert "au plus tard le 10 mai 2029" in to_applicant
    assert "Ethics approval" not in to_applicant  # what is asked stays behind the sign-in
    # Without a period to complete it (authorisation): after two weeks, once.
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-03-02"))
    act(file.pk, desk.secretariat, "request_complements", {"reason": "Add the DMP"},
        now=at("2026-03-03"))
    assert mails(at("2026-03-16")) == {}
    sent = mails(at("2026-03-17"))
    assert list(sent) == ["applicant@example.org"]
    assert "3 mars 2026" in sent["applicant@example.org"]  # French first, then English
    assert "March 3, 2026" in sent["applicant@example.org"]
    assert mails(at("2026-03-30")) == {}


def test_results_are_reminded_a_month_before_the_18_months_and_once_overdue(desk, mails):
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-01-06"))
    on_agenda(file, desk.cesrees)
    act(file.pk, desk.cesrees, "cesrees_opinion", {"opinion": "favourable", "reasons": "Sound"},
        now=at("2026-01-20"))
    act(file.pk, desk.cnil, "cnil_authorisation",
        {"scope": "T2D", "conditions": "Platform", "until": date(2026, 12, 31)},
        now=at("2026-02-02"))
    Message.objects.create(application=file, author=desk.secretariat, body="SECRET-NOTE",
                           internal=True)
    Message.objects.create(application=file, author=desk.secretariat, body="SECRET-MESSAGE")
    other = complete_file(desk.applicant)  # authorised too, with a result: never reminded
    for kind, person, data, day in [
            ("submit", desk.applicant, {}, "2026-01-05"),
            ("forward_to_cesrees", desk.secretariat, {}, "2026-01-06")]:
        act(other.pk, person, kind, data, now=at(day))
    on_agenda(other, desk.cesrees)
    act(other.pk, desk.cesrees, "cesrees_opinion", {"opinion": "favourable", "reasons": "x"},
        now=at("2026-01-20"))
    act(other.pk, desk.cnil, "cnil_authorisation",
        {"scope": "x", "conditions": "x", "until": date(2026, 12, 31)}, now=at("2026-02-02"))
    Result.objects.create(application=other, kind="publication", title="A paper",
                          published=date(2027, 5, 1), added_by=desk.applicant)
    mails(at("2028-05-29"))
    assert mails.ran.stored == 2  # both ended on 31 December 2026
    assert mails(at("2028-05-30")) != {}
    sent = mails(at("2028-05-31"))
    assert sent == {}
    overdue = mails(at("2028-07-01"))
    assert list(overdue) == ["applicant@example.org"]
    text = overdue["applicant@example.org"]
    assert f"Les résultats du projet {file.reference} sont en retard" in text
    assert "30 juin 2028" in text and "SECRET" not in text
    assert mails(at("2028-08-01")) == {}
    assert sorted(Reminder.objects.filter(application=file).values_list("what", flat=True)) == [
        "results", "results-overdue"]
    assert not Reminder.objects.filter(application=other).exists()


def test_no_reminder_carries_a_message_or_a_note(desk, mails):
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    Message.objects.create(application=file, author=desk.secretariat, body="SECRET-NOTE",
                           internal=True)
    Message.objects.create(application=file, author=desk.applicant, body="SECRET-MESSAGE")
    sent = mails(at("2026-01-12"))
    assert sent and not any("SECRET" in text for text in sent.values())


def test_the_command_runs_the_calendar_once(desk):
    file = complete_file(desk.applicant)
    act(file.pk, desk.applicant, "submit", now=at("2026-01-05"))
    act(file.pk, desk.secretariat, "forward_to_cesrees", now=at("2026-01-06"))
    out = StringIO()
    call_command("guichet_calendar", "--now", "2026-02-07T00:00+01:00", stdout=out)
    assert out.getvalue().strip() == "1 calendar event(s) stored, 0 reminder(s) sent"
    file.refresh_from_db()
    assert file.stage == "cnil"
    with pytest.raises(CommandError, match="time zone"):
        call_command("guichet_calendar", "--now", "2026-02-07T00:00")
    with pytest.raises(CommandError, match="without --now"):
        call_command("guichet_calendar", "--every", "5", "--now", "2026-02-07T00:00+01:00")


@pytest.mark.server
def test_serve_runs_the_calendar_in_the_background(site):
    """`hygie serve` starts the calendar's loop beside its job workers (every 60 minutes)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            env = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"guichet_calendar" in cmd and f"HYGIE_HOME={site.home}\0".encode() in env:
            found.append(cmd)
    assert len(found) == 1 and found[0][-3:] == [b"--every", b"60", b""]
