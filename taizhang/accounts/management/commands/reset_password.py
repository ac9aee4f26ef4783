"""``taizhang reset_password USERNAME``: the console's way to give an account a new
password, for the accounts the pages refuse (the three administrators) and for a
forgotten password of the only security administrator. Runs as the system actor and
is audited like the page's reset."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.accounts.models import User
from taizhang.accounts.services import user_reset_password, user_set_active
from taizhang.core.actors import SYSTEM


class Command(BaseCommand):
    help = (
        "Give an account a new generated password (printed once, to change at next login); "
        "--enable also enables a disabled account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--enable", action="store_true", help="Enable the account too.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No account {options['username']!r}.")
        try:
            if options["enable"] and not user.is_active:
                user_set_active(user=user, active=True, acting_user=SYSTEM)
            password = user_reset_password(user=user, acting_user=SYSTEM)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"New password for {user.username} (shown once): {password}")
        self.stdout.write("It must be changed at the next login.")
