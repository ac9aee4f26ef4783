"""Person pages: scoped lists, masked personal data, audited reveal."""

from __future__ import annotations

import pytest

from taizhang.core.models import AuditEvent
from taizhang.people.tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return {
        "a": make_person(tree.grid_a, "张三", member=True),
        "b": make_person(tree.community_b, "李四", mobile="13600002222"),
    }


def test_list_is_scoped_and_masked(client, tree, personas, people):
    """street_a sees her person with a masked number, and not B's person."""
    client.force_login(personas.street_a)
    body = client.get("/people/").content.decode()
    assert "张三" in body and "李四" not in body
    assert "138****5678" in body and "13812345678" not in body


def test_detail_404_outside_scope(client, personas, people):
    """B's person is a 404 for street_a, whatever the id."""
    client.force_login(personas.street_a)
    assert client.get(f"/people/{people['b'].pk}/").status_code == 404
    assert client.get(f"/people/{people['a'].pk}/").status_code == 200


def test_reveal_needs_the_right(client, personas, people):
    """The clerk gets 403 on reveal; the personnel officer sees the number, audited."""
    client.force_login(personas.street_a)
    assert client.post(f"/people/{people['a'].pk}/reveal/").status_code == 403
    client.force_login(personas.personnel)
    detail = client.get(f"/people/{people['a'].pk}/").content.decode()
    assert "13812345678" not in detail
    response = client.post(f"/people/{people['a'].pk}/reveal/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert AuditEvent.objects.filter(action="person.reveal", actor=personas.personnel).exists()


def test_org_filter_cannot_widen(client, tree, personas, people):
    """Filtering by B's organization is a 404, not a way in."""
    client.force_login(personas.street_a)
    assert client.get(f"/people/?org={tree.street_b.pk}").status_code == 404


def test_list_queries_are_bounded(client, tree, personas, django_assert_max_num_queries):
    """The list costs the same number of queries for 2 or 40 persons."""
    for index in range(40):
        make_person(tree.grid_a, f"居民{index}", member=index % 2 == 0)
    client.force_login(personas.street_a)
    with django_assert_max_num_queries(10):
        response = client.get("/people/")
    assert response.status_code == 200


def test_clerk_records_an_external_person(client, tree, personas):
    """The form offers her organizations only, records 外部人员 with 所在单位, and the
    pages show both."""
    from taizhang.people.models import Person

    client.force_login(personas.street_a)
    form = client.get("/people/new/")
    assert form.status_code == 200
    choices = {org.pk for org in form.context["form"].fields["organization"].queryset}
    assert choices == {tree.street_a.pk, tree.community_a.pk, tree.grid_a.pk}
    response = client.post(
        "/people/new/",
        {
            "organization": tree.community_a.pk,
            "name": "钱讲师",
            "gender": "F",
            "mobile": "13500001111",
            "is_external": "on",
            "affiliation": "市委党校",
        },
    )
    person = Person.objects.get(name="钱讲师")
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/"
    assert person.is_external and person.affiliation == "市委党校"
    detail = client.get(f"/people/{person.pk}/").content.decode()
    assert "外部人员" in detail and "所在单位" in detail and "市委党校" in detail
    assert "135****1111" in detail and "13500001111" not in detail
    listed = client.get("/people/?external=1").content.decode()
    assert "钱讲师" in listed
    refused = client.post(
        "/people/new/", {"organization": tree.community_b.pk, "name": "x", "gender": "M"}
    )
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not Person.objects.filter(name="x").exists()


def test_community_clerk_records_and_ends_a_report_on_the_page(client, tree, personas):
    """A1's clerk records a member of B's organ by name and mobile, sees them listed
    (masked), and ends the report; B's clerk gets a 404 on A1's page."""
    from taizhang.accounts.models import ScopeKind
    from taizhang.organizations.models import OrgKind
    from taizhang.people.models import CommunityReport
    from tests.support import make_org, make_user

    organ = make_org(tree.street_b, "BJ", OrgKind.ORGAN)
    make_person(organ, "林报到", mobile="13700007777")
    make_person(organ, "林同事", mobile="13700008888")
    clerk = make_user("clerk_a1", ("clerk", ScopeKind.ORG, tree.community_a))
    client.force_login(clerk)
    url = f"/people/reports/{tree.community_a.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and page.context["can_record"]
    response = client.post(
        url, {"name": "林报到", "mobile": "13700007777", "reported_on": "2020-05-04"}
    )
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "林报到" in body and "137****7777" in body and "13700007777" not in body
    assert "林同事" not in client.get("/people/").content.decode()
    wrong = client.post(
        url, {"name": "林同事", "mobile": "13700000000", "reported_on": "2020-05-04"}
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors
    report = CommunityReport.objects.get()
    assert client.post(f"/people/reports/end/{report.pk}/").status_code == 302
    assert "林报到" not in client.get(url).content.decode()
    client.force_login(personas.street_b)
    assert client.get(url).status_code == 404
    assert client.post(f"/people/reports/end/{report.pk}/").status_code == 404


def test_organization_page_links_to_its_reports(client, tree, personas):
    """The tree page leads to the 双报到 list of the unit."""
    client.force_login(personas.street_a)
    page = client.get(f"/organizations/?org={tree.community_a.pk}").content.decode()
    assert f"/people/reports/{tree.community_a.pk}/" in page


def test_person_page_appoints_and_ends_positions(client, tree, personas, people):
    """street_a appoints 张三 in A1 from the person page, sees the position with its
    document number, then ends it with a reason; both are audited."""
    client.force_login(personas.street_a)
    person = people["a"]
    response = client.post(
        f"/people/{person.pk}/positions/",
        {
            "organization": tree.community_a.pk,
            "title": "secretary",
            "start_date": "2024-01-01",
            "document_number": "A委〔2024〕3号",
        },
    )
    assert response.status_code == 302
    body = client.get(f"/people/{person.pk}/").content.decode()
    assert "A委〔2024〕3号" in body
    position = person.positions.get()
    response = client.post(
        f"/people/{person.pk}/positions/{position.pk}/end/",
        {"end_date": "2024-12-31", "reason": "换届"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="position.assign").count() == 1
    assert AuditEvent.objects.filter(action="position.end").count() == 1


def test_appoint_outside_scope_is_a_form_error_and_hidden_person_404(
    client, tree, personas, people
):
    """An organization in B is not a choice for street_a (form error, nothing written);
    B's person is a 404 for appointing and ending alike."""
    client.force_login(personas.street_a)
    response = client.post(
        f"/people/{people['a'].pk}/positions/",
        {"organization": tree.community_b.pk, "title": "secretary", "start_date": "2024-01-01"},
    )
    assert response.status_code == 422
    assert not people["a"].positions.exists()
    response = client.post(
        f"/people/{people['b'].pk}/positions/",
        {"organization": tree.community_a.pk, "title": "secretary", "start_date": "2024-01-01"},
    )
    assert response.status_code == 404


def test_transfer_page(client, tree, personas, people):
    """The transfer page offers only organizations street_a manages; the move shows in
    the history on the person page; street_b gets 404."""
    client.force_login(personas.street_b)
    assert client.get(f"/people/{people['a'].pk}/transfer/").status_code == 404
    client.force_login(personas.street_a)
    page = client.get(f"/people/{people['a'].pk}/transfer/").content.decode()
    assert tree.community_b.name not in page
    response = client.post(
        f"/people/{people['a'].pk}/transfer/",
        {"organization": tree.street_a.pk, "transferred_on": "2025-03-01", "reason": "工作需要"},
    )
    assert response.status_code == 302
    body = client.get(f"/people/{people['a'].pk}/").content.decode()
    assert "工作需要" in body and 'id="transfers"' in body


def test_list_filters_by_subtree_and_external(client, tree, personas, people):
    """The organization picker narrows to a subtree and offers only units street_a
    sees; the external flag keeps external persons; a hidden unit is a 404."""
    make_person(tree.street_a, "外聘专家", is_external=True, affiliation="某大学")
    client.force_login(personas.street_a)
    page = client.get("/people/").content.decode()
    assert f'value="{tree.community_a.pk}"' in page
    assert f'value="{tree.community_b.pk}"' not in page
    body = client.get(f"/people/?org={tree.community_a.pk}").content.decode()
    assert "张三" in body and "外聘专家" not in body
    body = client.get("/people/?external=1").content.decode()
    assert "外聘专家" in body and "张三" not in body
    assert client.get(f"/people/?org={tree.community_b.pk}").status_code == 404
