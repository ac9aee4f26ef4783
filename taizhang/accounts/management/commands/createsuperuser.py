"""``createsuperuser`` is refused: a superuser flag grants nothing here (every function
comes from a grant), so the command would only make an account that gets 403
everywhere. The first accounts come from ``taizhang setup``.

Django runs the command of the first app in ``INSTALLED_APPS`` that has one, and
``django.contrib.auth`` comes before accounts: until the settings list accounts first,
Django's own command runs and meets ``AccountManager.create_superuser``, which refuses
with the same message."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.accounts.models import NO_SUPERUSER


class Command(BaseCommand):
    help = "Refused: use `taizhang setup` on an empty database, then the accounts pages."

    def add_arguments(self, parser: CommandParser) -> None:
        # Accept whatever Django's own command takes, so scripts get the message below
        # rather than an argument error.
        parser.add_argument("args", nargs="*")
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--noinput", "--no-input", action="store_true")
        parser.add_argument("--database")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(NO_SUPERUSER)
