"""E-mail notifications: a short message that something happened, with the link to read it.

A notification never carries the content it announces (a question, a reviewer's comment): reading
that takes signing in, where permissions and the audit trail apply. Messages are written in the
language a person chose on the site (French then English when they have not chosen) and sent one
per recipient, so that nobody sees another's address. They leave from the job worker (queue
"mail") once the transaction that caused them has committed: a slow or failing mail server
neither blocks nor undoes the change, and a change that rolls back sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from hygie.web.accounts.models import Role

log = logging.getLogger(__name__)
LANGUAGES = ("fr", "en")


def holder_editors(holder_id: int) -> QuerySet[Any]:
    """The people who answer for a data holder's entries."""
    return get_user_model().objects.filter(memberships__holder_id=holder_id)


def catalogue_team() -> QuerySet[Any]:
    return get_user_model().objects.filter(groups__name=str(Role.CATALOGUE_TEAM))


def display_name(user: Any) -> str:
    return user.get_full_name() or user.username


def notify(people: Iterable[Any], template: str, context: dict[str, Any], *,
           actor: Any = None) -> list[str]:
    """Queue `mail/<template>.txt` for `people` (but not the `actor`) once the current
    transaction commits; the addresses written to. The template's first line is the subject.
    Each person reads it in the language they chose on the site, or in French then English."""
    actor_pk = getattr(actor, "pk", None)
    by_language: dict[str, set[str]] = {}
    for p in people:
        if p.is_active and p.email and p.pk != actor_pk:
            chosen = getattr(p, "language", "")
            by_language.setdefault(chosen if chosen in LANGUAGES else "", set()).add(p.email)
    context = {**context, "site": settings.SITE_URL}
    for chosen, addresses in sorted(by_language.items()):
        subject, body = _render(template, context, (chosen,) if chosen else LANGUAGES)
        recipients = sorted(addresses)
        transaction.on_commit(lambda r=recipients, s=subject, b=body: send.enqueue(r, s, b))
    return sorted(set().union(*by_language.values()))


def _render(template: str, context: dict[str, Any], languages: Iterable[str]) -> tuple[str, str]:
    subjects, bodies = [], []
    for language in languages:
        with translation.override(language):
            subject, _, body = render_to_string(f"mail/{template}.txt", context).strip().partition(
                "\n")
        subjects.append(" ".join(subject.split()))  # names typed by people: one line
        bodies.append(body.strip())
    subject = " / ".join(dict.fromkeys(subjects))  # one subject when both read the same
    return subject, "\n\n-- \n\n".join(bodies) + "\n"


@task(queue_name="mail")
def send(addresses: list[str], subject: str, body: str) -> int:
    """Send one message per address over one connection; the number sent."""
    messages = [EmailMessage(f"[Hygie] {subject}", body, settings.DEFAULT_FROM_EMAIL, [address])
                for address in addresses]
    with get_connection() as connection:
        sent = connection.send_messages(messages) or 0
    log.info("notification sent to %d of %d recipients", sent, len(addresses))
    return sent
