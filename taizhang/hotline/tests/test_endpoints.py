"""The system administrator's endpoint pages and services: scoped, audited, the shared
key shown once and never written to the trail."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.core.models import AuditEvent
from taizhang.hotline.models import CategoryMapping, HotlineEndpoint
from taizhang.hotline.tests.factories import KEY, default_category, make_account, make_endpoint
from tests.support import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(tree):
    return make_user("sys_a", ("system_admin", ScopeKind.SUBTREE, tree.street_a))


@pytest.fixture
def admin_b(tree):
    return make_user("sys_b", ("system_admin", ScopeKind.SUBTREE, tree.street_b))


def test_creating_an_endpoint_is_audited_without_its_key(tree):
    endpoint = make_endpoint(tree.street_a, push_url="https://12345.example/cb?token=abcdef123456")
    event = AuditEvent.objects.get(action="hotline_endpoint.create")
    assert event.changes["shared_key"] == [None, "***"]
    assert event.changes["push_url"] == [None, "https://12345.example/cb?token=abcd****"]
    assert KEY not in str(event.changes)
    assert event.object_id == str(endpoint.pk)


def test_the_page_creates_an_endpoint_and_shows_a_made_key_once(client, tree, admin_a):
    account = make_account(tree.street_a)
    category = default_category(tree.district)
    client.force_login(admin_a)
    response = client.post(
        "/hotline/endpoints/new/",
        {
            "org": tree.street_a.pk,
            "name": "A街道12345",
            "code": "qinglan-a",
            "account": account.pk,
            "push_url": "https://12345.example/callback",
            "default_category": category.pk,
            "mapping": f"0203 {category.code}\n",
            "active": "on",
        },
    )
    assert response.status_code == 200, response.content
    endpoint = HotlineEndpoint.objects.get()
    assert len(endpoint.shared_key) >= 32 and endpoint.shared_key in response.content.decode()
    assert CategoryMapping.objects.get().platform_code == "0203"
    listing = client.get("/hotline/endpoints/").content.decode()
    assert "qinglan-a" in listing and endpoint.shared_key not in listing


def test_another_streets_administrator_gets_404(client, tree, admin_b):
    endpoint = make_endpoint(tree.street_a)
    client.force_login(admin_b)
    assert client.get(f"/hotline/endpoints/{endpoint.pk}/").status_code == 404
    assert endpoint.name not in client.get("/hotline/endpoints/").content.decode()


def test_a_clerk_may_not_configure(client, personas):
    client.force_login(personas.district)
    assert client.get("/hotline/endpoints/").status_code == 403


def test_editing_keeps_the_key_unless_a_new_one_is_asked_for(client, tree, admin_a):
    endpoint = make_endpoint(tree.street_a)
    client.force_login(admin_a)
    form = {
        "org": tree.street_a.pk,
        "name": "改名",
        "code": endpoint.code,
        "account": endpoint.account_id,
        "push_url": endpoint.push_url,
        "default_category": endpoint.default_category_id,
        "active": "on",
    }
    assert client.post(f"/hotline/endpoints/{endpoint.pk}/", form).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.name == "改名" and endpoint.shared_key == KEY
    response = client.post(f"/hotline/endpoints/{endpoint.pk}/", {**form, "new_key": "on"})
    endpoint.refresh_from_db()
    assert endpoint.shared_key != KEY and endpoint.shared_key in response.content.decode()
    changed = AuditEvent.objects.filter(action="hotline_endpoint.update").latest("pk")
    assert changed.changes["shared_key"] == ["***", "***"]


def test_a_mapping_line_naming_no_category_is_refused(client, tree, admin_a):
    endpoint = make_endpoint(tree.street_a)
    client.force_login(admin_a)
    response = client.post(
        f"/hotline/endpoints/{endpoint.pk}/",
        {
            "org": tree.street_a.pk,
            "name": endpoint.name,
            "code": endpoint.code,
            "account": endpoint.account_id,
            "push_url": endpoint.push_url,
            "default_category": endpoint.default_category_id,
            "mapping": "0203 no-such-category",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("mapping")
