"""``taizhang totp_reset USERNAME``: remove an administrator's second factor (a lost
phone), so that she enrols a new one at her next sign-in. Only on the console: the three
administrators must not reset each other on a page (三员分立). Runs as the system actor
and is audited (``totp.reset``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.accounts.models import User
from taizhang.accounts.totp import totp_reset
from taizhang.core.actors import SYSTEM


class Command(BaseCommand):
    help = "Remove an account's second-factor device; it enrols again at the next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No account {options['username']!r}.")
        if totp_reset(user=user, acting_user=SYSTEM):
            self.stdout.write(f"The second factor of {user.username} is removed: it enrols again.")
        else:
            self.stdout.write(f"{user.username} had no second factor.")
