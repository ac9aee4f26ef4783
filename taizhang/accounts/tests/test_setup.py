"""``taizhang setup`` on an empty database, its refusals, and no superuser path."""

from __future__ import annotations

import io
import json

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from taizhang.accounts.models import Grant, ScopeKind, User
from taizhang.core.models import AuditEvent
from taizhang.organizations.models import Organization

pytestmark = pytest.mark.django_db

SPEC = """\
[root]
name = "中共示范区委员会"
short_name = "示范区委"
code = "SF"
kind = "district_committee"

[system_admin]
username = "sys"
display_name = "系统管理员"
password = "Sys-Admin-Initial-2026"

[security_admin]
username = "sec"
password = "Sec-Admin-Initial-2026"

[audit_admin]
username = "aud"
"""


def _run(tmp_path, text: str = SPEC, suffix: str = ".toml") -> str:
    path = tmp_path / f"district{suffix}"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("setup", "--from", str(path), stdout=out)
    return out.getvalue()


def test_setup_creates_the_root_and_three_administrators(tmp_path):
    """One root, three accounts each holding its admin role on the root's subtree and
    nothing else, each with an initial password to change; all of it audited, and the
    generated password printed."""
    out = _run(tmp_path)
    root = Organization.objects.get()
    assert (root.code, root.name, root.short_name, root.kind) == (
        "SF",
        "中共示范区委员会",
        "示范区委",
        "district_committee",
    )
    users = {u.username: u for u in User.objects.all()}
    assert set(users) == {"sys", "sec", "aud"}
    roles = {"sys": "system_admin", "sec": "security_admin", "aud": "audit_admin"}
    for username, role in roles.items():
        grants = list(Grant.objects.filter(user=users[username]))
        assert [(g.role, g.organization_id, g.scope_kind, g.is_active) for g in grants] == [
            (role, root.pk, ScopeKind.SUBTREE, True)
        ]
        assert users[username].must_change_password
        assert not users[username].is_superuser and not users[username].is_staff
    assert users["sys"].display_name == "系统管理员"
    assert users["sys"].check_password("Sys-Admin-Initial-2026")
    actions = sorted(AuditEvent.objects.values_list("action", flat=True))
    assert actions == sorted(["organization.create"] + ["user.create", "grant.create"] * 3)
    assert not AuditEvent.objects.filter(actor__isnull=False).exists()  # the system acted
    generated = next(line for line in out.splitlines() if " aud " in f" {line} ")
    password = generated.split()[-1]
    assert users["aud"].check_password(password)
    assert "Sys-Admin-Initial-2026" not in out  # a given password is not echoed
    assert "Next steps" in out and "sys" in out


def test_setup_reads_json_too(tmp_path):
    """The same answers as JSON; missing usernames take the defaults."""
    spec = {"root": {"name": "中共某市委员会", "code": "C"}}
    _run(tmp_path, json.dumps(spec), ".json")
    assert set(User.objects.values_list("username", flat=True)) == {
        "sysadmin",
        "secadmin",
        "auditadmin",
    }
    assert Organization.objects.get().short_name == "中共某市委员会"


def test_second_run_is_refused(tmp_path):
    """Once anything exists, setup refuses (exit code 1) and changes nothing."""
    _run(tmp_path)
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="runs once") as raised:
        _run(tmp_path, SPEC.replace('"SF"', '"SF2"'))
    assert raised.value.returncode == 1
    assert Organization.objects.count() == 1 and User.objects.count() == 3
    assert AuditEvent.objects.count() == before


def test_a_lone_user_is_enough_to_refuse(tmp_path):
    """A user without any organization also counts as a database in use."""
    User.objects.create(username="leftover")
    with pytest.raises(CommandError, match="runs once"):
        _run(tmp_path)
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"Sec-Admin-Initial-2026"', '"12345678"', "password"),
        ('"Sec-Admin-Initial-2026"', '"password123"', "password"),
        ('username = "aud"', 'username = "sys"', "must differ"),
        ('kind = "district_committee"', 'kind = "community"', "kind"),
        ('code = "SF"', 'code = ""', "code"),
    ],
)
def test_bad_answers_are_refused_before_anything_is_written(tmp_path, old, new, message):
    """A weak password, twice the same username, a root kind that is no root, or a
    missing code: refused with the reason, and the database stays empty."""
    with pytest.raises(CommandError, match=message):
        _run(tmp_path, SPEC.replace(old, new))
    assert not Organization.objects.exists() and not User.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unreadable_file_is_refused(tmp_path):
    with pytest.raises(CommandError):
        _run(tmp_path, "[root\nname=", ".toml")


def test_each_administrator_logs_in_and_must_change_the_password(tmp_path, client):
    """Each administrator logs in with the initial password, is sent to change it,
    and then reaches the home page."""
    out = _run(tmp_path)
    printed = next(line for line in out.splitlines() if " aud " in f" {line} ").split()[-1]
    for username, password in (
        ("sys", "Sys-Admin-Initial-2026"),
        ("sec", "Sec-Admin-Initial-2026"),
        ("aud", printed),
    ):
        client.post("/accounts/login/", {"username": username, "password": password})
        response = client.get("/")
        assert response.status_code == 302 and response["Location"] == "/accounts/password/"
        new = f"{username}-Chosen-Secret-31"
        response = client.post(
            "/accounts/password/",
            {"old_password": password, "new_password": new, "new_password_again": new},
        )
        assert response.status_code == 302
        # Then the second factor: enrolled once with the key the page shows.
        response = client.get("/")
        assert response.status_code == 302 and response["Location"] == "/accounts/second-factor/"
        secret = client.get("/accounts/second-factor/").context["secret"]
        client.post("/accounts/second-factor/", {"code": pyotp.TOTP(secret).now()})
        assert client.get("/").status_code == 200
        client.post("/accounts/logout/")


def test_security_admin_from_setup_reaches_the_accounts_pages(tmp_path, client):
    """The security administrator holds the account functions on the whole tree."""
    _run(tmp_path)
    sec = User.objects.get(username="sec")
    User.objects.filter(pk=sec.pk).update(must_change_password=False)
    client.force_login(sec)
    assert client.get("/accounts/users/").status_code == 200


def test_createsuperuser_is_refused():
    """No superuser path: the command refuses and points to taizhang setup."""
    with pytest.raises(CommandError, match="taizhang setup"):
        call_command(
            "createsuperuser", "--noinput", "--username", "root", "--email", "r@example.org"
        )
    assert not User.objects.exists()


def test_a_superuser_flag_grants_nothing(client, tree):
    """An account flagged superuser (as a database edit could make it) with no grants
    gets 403 on pages and holds no function."""
    user = User.objects.create(
        username="super", is_superuser=True, is_staff=True, must_change_password=False
    )
    assert not user.has_function("grants.manage") and user.functions() == []
    client.force_login(user)
    for url in ("/accounts/users/", "/audit/", "/organizations/"):
        assert client.get(url).status_code == 403, url


def test_interactive_answers(monkeypatch):
    """Asked on a terminal: empty answers take the defaults, passwords are generated."""
    from taizhang.accounts.management.commands.setup import Command

    answers = iter(["中共问答区委员会", "", "WD", "", "", "", "", "", "", ""])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr(Command, "stdin_is_interactive", lambda self: True)
    out = io.StringIO()
    call_command("setup", stdout=out)
    root = Organization.objects.get()
    assert (root.code, root.short_name) == ("WD", "中共问答区委员会")
    assert root.kind == "district_committee"
    assert User.objects.count() == 3 and "shown this once" in out.getvalue()


def test_without_a_terminal_setup_asks_for_a_file(monkeypatch):
    from taizhang.accounts.management.commands.setup import Command

    monkeypatch.setattr(Command, "stdin_is_interactive", lambda self: False)
    with pytest.raises(CommandError, match="--from"):
        call_command("setup")
