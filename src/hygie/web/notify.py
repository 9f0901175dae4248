"""E-mail notifications: a short message that something happened, with the link to read it.

A notification never carries the content it announces (a question, a reviewer's comment): reading
that takes signing in, where permissions and the audit trail apply. Messages are written in the
language a person chose on the site (French then English when they have not chosen) and sent one
per recipient, so that nobody sees another's address. They leave from the job worker (queue
"mail") once the transaction that caused them has committed: a slow or failing mail server
neither blocks nor undoes the change, and a change that rolls back sends nothing.

A template (`templates/mail/<name>.txt`) has a `subject` block and a `body` block, rendered
apart, so that nothing a person typed can move text from the subject into the body. Every value
from the database goes through the `one_line` filter (`{% load notify %}`): a dataset title
holding a line break cannot start a line of its own ("URGENT ... https://evil.example/login").
The subject is flattened once more when the message is built, as a last line of defence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django import template as templates
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.template import Context
from django.template.base import Template
from django.template.loader import get_template
from django.template.loader_tags import BlockNode
from django.utils import translation
from django_tasks import task

from hygie.web.accounts.models import Role
from hygie.web.validators import forbidden_in_line, one_line

log = logging.getLogger(__name__)
LANGUAGES = ("fr", "en")

register = templates.Library()  # the `notify` template library (settings.TEMPLATES)


register.filter("one_line", one_line)  # {% load notify %} in the mail templates


def holder_editors(holder_id: int) -> QuerySet[Any]:
    """The people who answer for a data holder's entries."""
    return get_user_model().objects.filter(memberships__holder_id=holder_id)


def catalogue_team() -> QuerySet[Any]:
    return get_user_model().objects.filter(groups__name=str(Role.CATALOGUE_TEAM))


def display_name(user: Any) -> str:
    return one_line(user.get_full_name() or user.username)


def notify(people: Iterable[Any], template: str, context: dict[str, Any], *,
           actor: Any = None) -> list[str]:
    """Queue `mail/<template>.txt` for `people` (but not the `actor`) once the current
    transaction commits; the addresses written to. The template's first line is the subject.
    Each person reads it in the language they chose on the site, or in French then English."""
    actor_pk = getattr(actor, "pk", None)
    by_language: dict[str, set[str]] = {}
    for p in people:
        if p.email and forbidden_in_line(p.email):  # stored past the forms: not a header
            log.warning("notification not sent to user %s: malformed address", p.pk)
            continue
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
    mail = get_template(f"mail/{template}.txt").template
    subjects, bodies = [], []
    for language in languages:
        with translation.override(language):
            subjects.append(one_line(_block(mail, "subject", context)))
            bodies.append(_block(mail, "body", context).strip())
    subject = " / ".join(dict.fromkeys(subjects))  # one subject when both read the same
    return subject, "\n\n-- \n\n".join(bodies) + "\n"


def _block(mail: Template, name: str, context: dict[str, Any]) -> str:
    """The block `name` of a mail template rendered on its own, as plain text (no escaping)."""
    node = next(n for n in mail.nodelist.get_nodes_by_type(BlockNode) if n.name == name)
    plain = Context(context, autoescape=False)
    with plain.bind_template(mail):
        return str(node.render(plain))


@task(queue_name="mail")
def send(addresses: list[str], subject: str, body: str) -> int:
    """Send one message per address over one connection; the number sent."""
    # Headers carry nothing from people but their address: no display names, no Reply-To.
    messages = [EmailMessage(f"[Hygie] {one_line(subject)}", body, settings.DEFAULT_FROM_EMAIL,
                             [address]) for address in addresses if not forbidden_in_line(address)]
    with get_connection() as connection:
        sent = connection.send_messages(messages) or 0
    log.info("notification sent to %d of %d recipients", sent, len(addresses))
    return sent
