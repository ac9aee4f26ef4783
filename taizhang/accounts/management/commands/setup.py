"""``taizhang setup``: a real district from nothing (see ``taizhang/accounts/setup.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.accounts.setup import (
    ADMIN_ROLES,
    DEFAULT_ROOT_KIND,
    DEFAULT_USERNAMES,
    AdminSpec,
    SetupRefused,
    SetupSpec,
    database_is_empty,
    district_setup,
    load_spec,
    root_kinds,
)

ROLE_TITLES = {
    "system_admin": "System administrator",
    "security_admin": "Security administrator",
    "audit_admin": "Audit administrator",
}

NEXT_STEPS = """\
Next steps:
  1. Start the site and log in as {system_admin} (system administrator). Change the
     initial password when asked, then build the organization tree under {root}
     (subdistricts, communities, ...) and the dictionaries.
  2. Log in as {security_admin} (security administrator): create the accounts of the
     people who will work in taizhang and grant them roles on their part of the tree
     (Accounts and grants). Service accounts for integrations get their tokens there.
  3. Log in as {audit_admin} (audit administrator) to read the audit trail; every
     step above is already recorded in it.
Each administrator must change the initial password at first login. The three duties
stay apart (三员分立): none of them can be given another's role or a business role.
"""


class Command(BaseCommand):
    help = (
        "Set up a real district on an empty database: the root organization and the "
        "system, security and audit administrators (三员分立). Runs once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            metavar="FILE",
            help="Read the answers from a .toml or .json file instead of asking.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not database_is_empty():
            raise CommandError(
                "This database already has organizations or users; taizhang setup runs "
                "once, on an empty database. Nothing was changed."
            )
        source = options.get("source")
        try:
            spec = load_spec(Path(source)) if source else self._ask()
            result = district_setup(spec)
        except SetupRefused as refused:
            raise CommandError(f"Setup refused, nothing was changed:\n{refused}") from refused
        except ValidationError as error:
            lines = "\n".join(f"  {m}" for m in error.messages)
            raise CommandError(f"Setup refused, nothing was changed:\n{lines}") from error
        write = self.stdout.write
        write(self.style.SUCCESS(f"Set up {result.root.name} ({result.root.code})."))
        write("Administrators (each holds its role on the whole tree):")
        for admin, user in result.users:
            password = admin.password if admin.generated else "(the password from the file)"
            write(f"  {ROLE_TITLES[admin.role]:<24} {user.username:<16} {password}")
        if any(admin.generated for admin, _ in result.users):
            write(
                self.style.WARNING(
                    "The generated passwords are shown this once: hand each to its "
                    "administrator now."
                )
            )
        names = {admin.role: user.username for admin, user in result.users}
        write("")
        write(NEXT_STEPS.format(root=result.root.name, **names))

    def _ask(self) -> SetupSpec:
        if not self.stdin_is_interactive():
            raise CommandError("No terminal to ask on: give the answers with --from FILE.")
        self.stdout.write("Set up a new district. Press Enter to accept a [default].")
        name = self._prompt("Name of the root organization (e.g. 中共某某区委员会)")
        short_name = self._prompt("Short name", default=name)
        code = self._prompt("Code of the root organization")
        kinds = root_kinds()
        kind = self._prompt(f"Kind ({' / '.join(kinds)})", default=str(DEFAULT_ROOT_KIND))
        admins = []
        for role in ADMIN_ROLES:
            username = self._prompt(
                f"{ROLE_TITLES[role]}: username", default=DEFAULT_USERNAMES[role]
            )
            display = self._prompt(f"{ROLE_TITLES[role]}: display name", default="")
            admins.append(AdminSpec(role=role, username=username, display_name=display))
        self.stdout.write("Strong passwords will be generated and shown once.")
        return SetupSpec(name=name, code=code, short_name=short_name, kind=kind, admins=admins)

    def stdin_is_interactive(self) -> bool:
        import sys

        return sys.stdin.isatty()

    def _prompt(self, question: str, *, default: str | None = None) -> str:
        suffix = f" [{default}]" if default else ""
        while True:
            answer = input(f"{question}{suffix}: ").strip()
            if answer:
                return answer
            if default is not None:
                return default
            self.stdout.write("  An answer is needed.")
