"""Journey: a real district from nothing, as its IT team and first clerk would go."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from taizhang.accounts.models import ScopeKind, User
from taizhang.core.models import AuditEvent
from taizhang.organizations.models import Organization, OrgKind
from taizhang.people.models import Person, Position, PositionTitle

from .conftest import enrol_second_factor

SYSADMIN_FIRST = "Sys-Initial-2026!"  # noqa: S105 - test passwords
SYSADMIN_OWN = "Sys-Chosen-Kite-77"  # noqa: S105
SECADMIN_FIRST = "Sec-Initial-2026!"  # noqa: S105
SECADMIN_OWN = "Sec-Chosen-Lamp-88"  # noqa: S105
CLERK_OWN = "Clerk-Chosen-Reed-99"  # noqa: S105

SETUP = {
    "root": {"name": "中共云岭区委员会", "code": "YL", "short_name": "云岭区委"},
    "system_admin": {
        "username": "sysadmin",
        "display_name": "系统管理员",
        "password": SYSADMIN_FIRST,
    },
    "security_admin": {"username": "secadmin", "password": SECADMIN_FIRST},
    "audit_admin": {"username": "auditadmin", "password": "Audit-Initial-2026!"},
}


def log_in_first_time(page, base_url: str, username: str, password: str, new_password: str):
    """Log in with an initial password: the product sends the user to choose her own
    before anything else, then (an administrator) to set up her second factor, then to
    the home page."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/accounts/password/")
    # Anything else is refused until the password is changed.
    page.goto(f"{base_url}/organizations/")
    page.wait_for_url(f"{base_url}/accounts/password/")
    page.fill("#id_old_password", password)
    page.fill("#id_new_password", new_password)
    page.fill("#id_new_password_again", new_password)
    page.click("form.stack button[type=submit]")
    # An administrator then sets up her second factor before anything else.
    page.wait_for_url(re.compile(f"^{re.escape(base_url)}/(accounts/second-factor/)?$"))
    if page.url.endswith("/accounts/second-factor/"):
        enrol_second_factor(page, base_url)
    assert not User.objects.get(username=username).must_change_password


def log_out(page):
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/login/**")


def create_child(page, base_url: str, parent: Organization, kind: str, code: str, name: str):
    """Open ``parent`` in the tree and create a subordinate unit with its form."""
    page.goto(f"{base_url}/organizations/?org={parent.pk}")
    page.locator("#org-detail h2", has_text=parent.name).wait_for()
    form = page.locator(f"form[action='/organizations/{parent.pk}/create-child/']")
    form.locator("#id_child-kind").select_option(kind)
    form.locator("#id_child-code").fill(code)
    form.locator("#id_child-name").fill(name)
    form.locator("#id_child-short_name").fill(name.removeprefix("中共").removesuffix("委员会"))
    form.locator("button[type=submit]").click()
    page.locator("#org-detail h2", has_text=name).wait_for()
    child = Organization.objects.get(code=code)
    assert child.parent_id == parent.pk and child.kind == kind
    assert page.url.endswith(f"?org={child.pk}")
    return child


def audited(action: str, actor: User, **filters) -> bool:
    return AuditEvent.objects.filter(action=action, actor=actor, **filters).exists()


@pytest.mark.django_db(transaction=True)
def test_sysadmin_sets_up_a_new_district(live_server, page, tmp_path):
    """Setup on an empty database; the system administrator builds a subdistrict and two
    communities; the security administrator creates a clerk's account and grants it the
    subdistrict's subtree; the clerk appoints a community secretary and sees exactly her
    part of the tree, the district above her being a 404."""
    base = live_server.url

    # 1. Set-up from nothing: the root and the three administrators.
    assert not Organization.objects.exists() and not User.objects.exists()
    answers = tmp_path / "district.json"
    answers.write_text(json.dumps(SETUP, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("setup", "--from", str(answers), stdout=out)
    assert "Set up 中共云岭区委员会 (YL)." in out.getvalue()
    assert SYSADMIN_FIRST not in out.getvalue()  # a given password is never printed
    root = Organization.objects.get(code="YL")
    assert root.parent_id is None and root.kind == OrgKind.DISTRICT_COMMITTEE
    sysadmin = User.objects.get(username="sysadmin")
    secadmin = User.objects.get(username="secadmin")
    assert sysadmin.must_change_password and secadmin.must_change_password

    # 2. The system administrator builds the tree under the root.
    log_in_first_time(page, base, "sysadmin", SYSADMIN_FIRST, SYSADMIN_OWN)
    page.click("nav.mainnav >> text=组织架构")
    page.wait_for_url(f"{base}/organizations/")
    page.locator("#org-detail h2", has_text=root.name).wait_for()
    street = create_child(page, base, root, OrgKind.SUBDISTRICT, "YL-SH", "石湖街道工作委员会")
    east = create_child(page, base, street, OrgKind.COMMUNITY, "YL-SH-01", "东岸社区党委")
    west = create_child(page, base, street, OrgKind.COMMUNITY, "YL-SH-02", "西岸社区党委")
    page.goto(f"{base}/organizations/?org={street.pk}")
    children = page.locator("#org-detail table.data").first
    assert east.name in children.inner_text() and west.name in children.inner_text()
    for org in (street, east, west):
        assert audited("organization.create", sysadmin, object_id=str(org.pk))
    log_out(page)

    # 3. The security administrator creates the clerk's account and grants her the
    # subdistrict with its subtree.
    log_in_first_time(page, base, "secadmin", SECADMIN_FIRST, SECADMIN_OWN)
    page.goto(f"{base}/accounts/users/new/")
    page.fill("#id_username", "shihu_clerk")
    page.fill("#id_display_name", "石湖街道办事员")
    page.select_option("#id_kind", "person")
    page.click("form.stack button[type=submit]")
    secret = page.locator("strong.masked")
    secret.wait_for()
    clerk_password = secret.inner_text().strip()
    assert len(clerk_password) >= 10
    clerk = User.objects.get(username="shihu_clerk")
    assert clerk.must_change_password
    assert audited("user.create", secadmin, object_id=str(clerk.pk))

    page.click("section.panel a.btn >> text=完成")
    page.wait_for_url(f"{base}/accounts/users/{clerk.pk}/")
    page.select_option("#id_role", "clerk")
    page.select_option("#id_scope_kind", ScopeKind.SUBTREE)
    page.fill("#id_organization_code", street.code)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/accounts/users/{clerk.pk}/")
    page.locator("table.data td", has_text=street.name).wait_for()
    grant = clerk.grants.get(is_active=True)
    assert (grant.role, grant.scope_kind, grant.organization_id) == (
        "clerk",
        ScopeKind.SUBTREE,
        street.pk,
    )
    assert grant.granted_by_id == secadmin.pk
    assert audited("grant.create", secadmin, object_id=str(grant.pk))
    log_out(page)

    # 4. The clerk logs in with the password shown once, records a person in the first
    # community and appoints her its secretary.
    log_in_first_time(page, base, "shihu_clerk", clerk_password, CLERK_OWN)
    page.goto(f"{base}/people/new/")
    page.select_option("#id_organization", str(east.pk))
    page.fill("#id_name", "林晓岚")
    page.select_option("#id_gender", "F")
    page.fill("#id_mobile", "13900001234")
    page.click("form.stack button[type=submit]")
    page.locator("h1", has_text="林晓岚").wait_for()
    person = Person.objects.get(name="林晓岚")
    assert person.organization_id == east.pk
    assert page.url.endswith(f"/people/{person.pk}/")

    appoint = page.locator("#appoint")
    appoint.locator("#id_organization").select_option(str(east.pk))
    appoint.locator("#id_title").select_option(PositionTitle.SECRETARY)
    appoint.locator("button[type=submit]").click()
    page.locator("#positions td", has_text="书记").first.wait_for()
    assert east.short_name in page.locator("#positions").inner_text()
    position = Position.objects.get(person=person)
    assert (position.organization_id, position.title, position.end_date) == (
        east.pk,
        PositionTitle.SECRETARY,
        None,
    )
    assert audited("person.create", clerk, object_id=str(person.pk))
    assert audited("position.assign", clerk, object_id=str(position.pk))

    # 5. Her tree starts at the subdistrict: both communities are there, the district
    # above her is nowhere and its page is the same 404 as a missing one.
    page.click("nav.mainnav >> text=组织架构")
    page.wait_for_url(f"{base}/organizations/")
    tree_panel = page.locator("nav.panel")
    page.locator("#org-detail h2", has_text=street.name).wait_for()
    assert tree_panel.get_by_text(root.short_name).count() == 0
    page.click("button.toggle")  # expand the subdistrict
    east_link = tree_panel.get_by_role("link", name=east.short_name)
    east_link.wait_for()
    assert tree_panel.get_by_role("link", name=west.short_name).count() == 1
    east_link.click()
    page.locator("#org-detail h2", has_text=east.name).wait_for()
    detail = page.locator("#org-detail").inner_text()
    assert "林晓岚" in detail and "书记" in detail
    assert root.short_name not in detail  # not even in the breadcrumbs

    response = page.goto(f"{base}/organizations/?org={root.pk}")
    assert response is not None and response.status == 404
    response = page.goto(f"{base}/organizations/{root.pk}/children/")
    assert response is not None and response.status == 404
