"""`hygie manage invite_enrolment USERNAME [--print]`: invite a person to enrol a second factor.

By e-mail by default. `--print` writes the link on standard output instead, for the first
administrator of an install that has no mail server yet: hand it over as a secret.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from hygie.web.accounts.enrolment import invite, issue


class Command(BaseCommand):
    help = "Invite a person to enrol a two-factor authenticator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--print", action="store_true", dest="print_link",
                            help="write the link here instead of e-mailing it")

    def handle(self, *args: Any, username: str, print_link: bool, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no active account named {username!r}") from None
        if user.totpdevice_set.filter(confirmed=True).exists():
            raise CommandError(f"{username} already has an authenticator; delete it in the "
                               "admin first if it was lost")
        with transaction.atomic():
            if print_link:
                self.stdout.write(f"{settings.SITE_URL}{issue(user, via='command line')}")
            elif not invite(user):
                raise CommandError(f"{username} has no e-mail address: use --print")
            else:
                self.stdout.write(f"invitation e-mailed to {user.email}")
