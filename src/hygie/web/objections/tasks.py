"""The news of a decision, to the address the person gave, which is erased once it is sent.

The job carries only the request's id: the address stays in one place (the request) and leaves
it with the message, not in the task queue's rows.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django_tasks import task

from hygie.web.notify import LANGUAGES, _render
from hygie.web.objections.models import ObjectionRequest
from hygie.web.validators import forbidden_in_line

log = logging.getLogger(__name__)


@task(queue_name="mail")
def send_news(request_pk: int) -> bool:
    """Send the news of request `request_pk`'s decision and erase its address, sent or not."""
    with transaction.atomic():
        request = ObjectionRequest.objects.select_for_update().filter(pk=request_pk).first()
        if request is None or not request.email:
            return False
        address, request.email = request.email, ""
        request.save(update_fields=["email"])
        # A withdrawal is followed under its objection's receipt.
        followed = request.objection or request
        languages = (request.language,) if request.language in LANGUAGES else LANGUAGES
    if forbidden_in_line(address):
        return False
    subject, body = _render("objection_news", {"receipt": followed.receipt, "site": settings.SITE_URL,
                                               "path": reverse("objections:follow")}, languages)
    message = EmailMessage(f"[Hygie] {subject}", body, settings.DEFAULT_FROM_EMAIL, [address])
    try:
        with get_connection() as connection:
            return bool(connection.send_messages([message]))
    except OSError:
        log.warning("the news of objection request %s could not be sent", request_pk)
        return False
