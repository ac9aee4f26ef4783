"""The organization tree in Excel: template round trip, export back in, parent codes in
any order, circles, scope row by row, undo while nothing uses the new units."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import load_workbook

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from taizhang.organizations.models import Organization, OrganizationVersion, OrgKind
from taizhang.organizations.services import (
    OrganizationIn,
    organization_close,
    organization_import,
    organization_rename,
)
from taizhang.organizations.tests.tree_file import tree_file, tree_rows
from taizhang.people.services import person_create
from tests.support import make_org, make_user
from tests.xlsx import errors, fill, run

pytestmark = pytest.mark.django_db

KIND = "organizations.organization"
BRANCH = OrgKind.BRANCH


@pytest.fixture(autouse=True)
def english_messages():
    """Messages are asserted in English (msgids); the catalogue test checks the Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin_a(tree):
    """The system administrator of subdistrict A: manages A's part of the tree only."""
    return make_user("sys_a", ("system_admin", ScopeKind.SUBTREE, tree.street_a))


def _unit(code: str, parent: str, kind: Any = OrgKind.BRANCH, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "parent_code": parent,
        "name": f"{code}党支部",
        "short_name": code,
        "kind": str(kind.label),
        **extra,
    }


def _path_ok(org: Organization) -> bool:
    if org.parent is None:
        return org.depth == 1
    return org.path.startswith(org.parent.path) and org.depth == org.parent.depth + 1


def test_a_filled_template_creates_the_tree_in_one_audited_write(tree, admin_a):
    """Template → fill → import: every unit exists with its path, depth and first
    version, and the creation is one ``organization.import`` event."""
    rows = [
        _unit("A2", "A", OrgKind.COMMITTEE),
        _unit("A21", "A2", OrgKind.GENERAL_BRANCH),
        _unit("A211", "A21"),
        _unit("A12", "A1", short_name=""),
    ]
    batch = run(KIND, fill(KIND, rows), admin_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (4, 0, 0)
    created = {
        o.code: o for o in Organization.objects.filter(code__in=["A2", "A21", "A211", "A12"])
    }
    assert created["A211"].parent == created["A21"] and created["A21"].parent == created["A2"]
    assert created["A2"].parent_id == tree.street_a.pk
    assert created["A211"].depth == tree.street_a.depth + 3
    assert all(_path_ok(o) for o in created.values())
    assert created["A21"].kind == OrgKind.GENERAL_BRANCH
    assert created["A12"].short_name == "A12党支部"  # an empty short name is the name
    assert OrganizationVersion.objects.filter(organization__in=created.values()).count() == 4
    event = AuditEvent.objects.get(action="organization.import")
    assert event.changes["count"] == 4 and event.actor_id == admin_a.pk
    assert not AuditEvent.objects.filter(action="organization.create", actor_id=admin_a.pk)


def test_a_parent_later_in_the_file_is_put_first(tree, admin_a):
    """Rows may name a parent that comes further down: the units are created parents
    first, and siblings keep the order of the file."""
    rows = [
        _unit("X111", "X11"),
        _unit("X12", "X1"),
        _unit("X11", "X1", OrgKind.GENERAL_BRANCH),
        _unit("X1", "A1", OrgKind.COMMITTEE),
    ]
    batch = run(KIND, fill(KIND, rows), admin_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    units = {o.code: o for o in Organization.objects.filter(code__startswith="X")}
    assert units["X111"].parent == units["X11"] and units["X11"].parent == units["X1"]
    assert units["X1"].parent_id == tree.community_a.pk
    assert all(_path_ok(o) for o in units.values())
    siblings = Organization.objects.filter(parent=units["X1"]).order_by("sort_order", "path")
    assert [o.code for o in siblings] == ["X12", "X11"]


def test_a_circle_of_parent_codes_is_an_error_naming_the_codes(tree, admin_a):
    """Two rows each naming the other as parent (and one naming itself) are refused on
    those rows, with the circle spelled out; nothing is written."""
    rows = [
        _unit("C1", "A"),
        _unit("C2", "C3"),
        _unit("C3", "C2"),
        _unit("C4", "C4"),
    ]
    batch = run(KIND, fill(KIND, rows), admin_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [5, 6, 7]
    assert "C2 → C3 → C2" in batch.errors[0]["message"]
    assert "C4 → C4" in batch.errors[2]["message"]
    assert {e["column"] for e in batch.errors} == {"parent organization code"}
    assert not Organization.objects.filter(code__startswith="C").exists()


def test_a_parent_found_nowhere_is_an_error_naming_the_code(tree, admin_a):
    """A parent code neither recorded in the scope nor in the file is refused."""
    batch = run(KIND, fill(KIND, [_unit("M1", "NOPE")]), admin_a)
    assert batch.status == BatchStatus.REFUSED
    assert "“NOPE”" in batch.errors[0]["message"]


def test_one_bad_row_in_the_middle_writes_nothing_and_names_row_and_column(tree, admin_a):
    """A kind that is not one of the list, on the third of five rows: nothing written,
    the error names row 6 and the kind column."""
    rows = [_unit(f"E{i}", "A") for i in range(5)]
    rows[2]["kind"] = "居委会"
    batch = run(KIND, fill(KIND, rows), admin_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "organization kind")]
    assert not Organization.objects.filter(code__startswith="E").exists()


def test_too_long_a_name_or_a_duplicate_code_is_refused_on_its_row(tree, admin_a):
    rows = [_unit("L1", "A", name="长" * 121), _unit("L2", "A"), _unit("L2", "A")]
    batch = run(KIND, fill(KIND, rows), admin_a)
    assert batch.status == BatchStatus.REFUSED
    found = [(e["row"], e["column"]) for e in batch.errors]
    assert found == [(4, "organization name"), (6, "organization code")]
    assert "row 5" in batch.errors[1]["message"]


def test_an_organization_outside_the_scope_is_refused_row_by_row(tree, admin_a):
    """A's administrator cannot hang units under B, nor reuse B's code: those rows are
    refused and the rows under A are not written either."""
    rows = [_unit("S1", "A"), _unit("S2", "B1"), _unit("S3", "S2"), _unit("B1", "A")]
    batch = run(KIND, fill(KIND, rows), admin_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [5, 7]
    assert "within your scope" in batch.errors[0]["message"]
    assert "outside your scope" in batch.errors[1]["message"]
    assert not Organization.objects.filter(code__startswith="S").exists()


def test_a_kind_that_may_not_sit_under_its_parent_is_refused(tree, admin_a):
    """The kind rules of ``organization_create`` hold for imported rows."""
    batch = run(KIND, fill(KIND, [_unit("K1", "A", OrgKind.CITY_COMMITTEE)]), admin_a)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["column"] == "organization kind"


def test_a_row_without_a_parent_is_refused_for_anyone_but_the_system(tree, admin_a):
    batch = run(KIND, fill(KIND, [_unit("R1", "")]), admin_a)
    assert batch.status == BatchStatus.REFUSED
    assert "only the root" in batch.errors[0]["message"]


def _export(client: Any, user: Any, query: str = "") -> bytes:
    client.force_login(user)
    response = client.get(f"/organizations/export/{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    translation.activate("en")  # the request left its language active
    return bytes(response.content)


def _edit(content: bytes, row: int, header: str, value: Any) -> bytes:
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_export_imported_back_is_a_no_op_and_an_edit_is_an_update(tree, admin_a, client):
    """The export re-imported changes nothing (A's parent D is outside the scope but
    unchanged; the closed grid is as recorded); a renamed unit and a corrected kind go
    through the services and the other rows stay unchanged."""
    organization_close(
        organization=tree.grid_a,
        closed_on=tree.grid_a.versions.get().valid_from + dt.timedelta(days=1),
        reason="撤并",
        acting_user=admin_a,
    )
    exported = _export(client, admin_a)
    batch = run(KIND, exported, admin_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)
    sheet = load_workbook(io.BytesIO(exported)).worksheets[0]
    assert [c.value for c in sheet[2]][:5] == [
        "组织编码",
        "上级组织编码",
        "组织名称",
        "简称",
        "组织类型",
    ]
    assert [c.value for c in sheet[4]][0] == "A1"
    closed_column = [c.value for c in sheet[2]].index("撤销日期")
    assert sheet.cell(row=5, column=closed_column + 1).value is not None  # A1G, closed
    refused = run(KIND, _edit(exported, 5, "组织名称", "撤了还改"), admin_a)
    assert refused.status == BatchStatus.REFUSED
    assert "closed organization cannot be changed" in refused.errors[0]["message"]
    edited = _edit(exported, 4, "组织名称", "改过的社区党委")
    edited = _edit(edited, 4, "组织类型", str(OrgKind.GENERAL_BRANCH.label))
    batch = run(KIND, edited, admin_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 2)
    community = Organization.objects.get(pk=tree.community_a.pk)
    assert (community.name, community.kind) == ("改过的社区党委", OrgKind.GENERAL_BRANCH)
    assert community.short_name == tree.community_a.short_name
    assert AuditEvent.objects.filter(action="organization.rename", object_id=str(community.pk))
    assert AuditEvent.objects.filter(action="organization.change_kind")
    assert not AuditEvent.objects.filter(action="organization.import")  # nothing was new
    assert "organization name" in str(batch.preview)


def test_a_changed_parent_is_refused_with_where_to_move(tree, admin_a, client):
    """Moves are tree operations done on the unit's page: an export with another parent
    code for A1 is refused on that row."""
    exported = _export(client, admin_a)
    batch = run(KIND, _edit(exported, 4, "上级组织编码", "A1G"), admin_a)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["row"] == 4
    assert "Move an organization on its page" in batch.errors[0]["message"]


def test_a_reupload_of_an_imported_file_is_a_no_op(tree, admin_a):
    content = fill(KIND, [_unit("U1", "A")])
    assert run(KIND, content, admin_a).status == BatchStatus.IMPORTED
    with pytest.raises(AlreadyImported):
        batch_upload(kind=KIND, file_name="again.xlsx", content=content, acting_user=admin_a)
    assert Organization.objects.filter(code="U1").count() == 1


def test_the_same_units_in_another_file_are_counted_unchanged(tree, admin_a):
    """A new row whose code is already recorded, as recorded, is not created again."""
    run(KIND, fill(KIND, [_unit("U1", "A"), _unit("U2", "U1")]), admin_a)
    batch = run(KIND, fill(KIND, [_unit("U2", "U1"), _unit("U3", "U2")]), admin_a, commit=False)
    assert (batch.to_create, batch.unchanged) == (1, 1)


def test_undo_removes_the_created_units(tree, admin_a):
    """Undoing the batch removes its units and their versions, audited."""
    batch = run(KIND, fill(KIND, [_unit("V1", "A"), _unit("V2", "V1"), _unit("V3", "V2")]), admin_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    batch_undo(batch=batch, acting_user=admin_a)
    assert not Organization.objects.filter(code__startswith="V").exists()
    assert not OrganizationVersion.objects.filter(name__startswith="V").exists()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert AuditEvent.objects.filter(action="organization.import_undo").get().changes["count"] == 3


def test_undo_is_refused_once_a_person_was_added_to_an_imported_unit(tree, admin_a):
    """A person booked on a new unit keeps it: the undo is refused saying why, and
    every unit stays."""
    batch = run(KIND, fill(KIND, [_unit("P1", "A"), _unit("P2", "P1")]), admin_a)
    person_create(
        organization=Organization.objects.get(code="P2"),
        name="李明",
        gender="M",
        acting_user=make_user("clerk_a", ("clerk", ScopeKind.SUBTREE, tree.street_a)),
    )
    with pytest.raises(ValidationError) as refused:
        batch_undo(batch=batch, acting_user=admin_a)
    assert "in use" in refused.value.messages[0]
    assert Organization.objects.filter(code__in=["P1", "P2"]).count() == 2
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED


def test_undo_is_refused_once_a_unit_was_renamed(tree, admin_a):
    """A later change of an imported unit is a later event: the batch is no longer undone."""
    batch = run(KIND, fill(KIND, [_unit("W1", "A")]), admin_a)
    organization_rename(
        organization=Organization.objects.get(code="W1"),
        name="后来改名",
        short_name="",
        acting_user=admin_a,
    )
    with pytest.raises(ValidationError):
        batch_undo(batch=batch, acting_user=admin_a)
    assert Organization.objects.filter(code="W1").exists()


def test_a_generated_tree_imports_parent_first(tree, admin_a):
    """The bench's generated file (here 300 units, five levels) imports with every path
    consistent with its parent."""
    rows = tree_rows(300, parent_code="A1", fanout=3)
    rows.reverse()  # children before parents: the import orders them
    batch = run(KIND, tree_file(rows), admin_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    units = list(Organization.objects.filter(code__startswith="N").select_related("parent"))
    assert len(units) == 300
    assert all(_path_ok(o) for o in units)
    assert max(o.depth for o in units) - tree.community_a.depth == 5


def test_export_follows_the_page_filters_and_the_scope(tree, personas, client):
    """The export lists the viewer's units in tree order, within the opened unit and
    matching the search; B's clerk sees none of A's."""

    def codes(content: bytes) -> list[str]:
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        return [r[0] for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]]

    assert codes(_export(client, personas.district)) == ["D", "A", "A1", "A1G", "B", "B1"]
    assert codes(_export(client, personas.district, f"?org={tree.street_a.pk}")) == [
        "A",
        "A1",
        "A1G",
    ]
    assert codes(_export(client, personas.district, "?q=B1")) == ["B1"]
    assert codes(_export(client, personas.street_b)) == ["B", "B1"]
    client.force_login(personas.street_b)
    assert client.get(f"/organizations/export/?org={tree.street_a.pk}").status_code == 404
    assert AuditEvent.objects.filter(action="organizations.export").count() == 4


def test_export_queries_do_not_grow_with_rows(
    tree, personas, client, django_assert_max_num_queries
):
    """Parents come with the rows: 6 or 66 units cost the same queries."""
    client.force_login(personas.district)
    client.get("/organizations/export/")
    with django_assert_max_num_queries(20) as small:
        client.get("/organizations/export/")
    for index in range(60):
        make_org(tree.community_b, f"MORE{index}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/organizations/export/")


def test_the_tree_page_offers_export_to_all_and_import_to_managers(tree, personas, admin_a, client):
    client.force_login(personas.street_a)
    body = client.get("/organizations/?q=A1").content.decode()
    assert "/organizations/export/?q=A1" in body
    assert "/ingest/organizations.organization/" not in body
    client.force_login(admin_a)
    assert "/ingest/organizations.organization/" in client.get("/organizations/").content.decode()


@pytest.mark.parametrize("range_lookups", [50, 0], ids=["by path range", "by ids"])
def test_undo_looks_for_references_either_way(tree, admin_a, monkeypatch, range_lookups):
    """References are found by path range for a few subtrees and by ids for many: a
    grant on an imported unit blocks the undo both ways, and without it the undo runs."""
    from taizhang.accounts.services import grant_create
    from taizhang.organizations import services

    monkeypatch.setattr(services, "RANGE_LOOKUPS", range_lookups)
    batch = run(KIND, fill(KIND, [_unit("G1", "A"), _unit("G2", "G1"), _unit("G3", "A")]), admin_a)
    grant_create(
        user=make_user("g_user"),
        role="viewer",
        scope_kind=ScopeKind.SUBTREE,
        organization=Organization.objects.get(code="G2"),
        acting_user=SYSTEM,
    )
    with pytest.raises(ValidationError) as refused:
        batch_undo(batch=batch, acting_user=admin_a)
    assert "in use" in refused.value.messages[0]
    assert Organization.objects.filter(code__startswith="G").count() == 3
    batch = run(KIND, fill(KIND, [_unit("J1", "A"), _unit("J2", "J1"), _unit("J3", "A")]), admin_a)
    batch_undo(batch=batch, acting_user=admin_a)
    assert not Organization.objects.filter(code__startswith="J").exists()


def test_a_unit_created_below_an_imported_one_blocks_the_undo(tree, admin_a):
    batch = run(KIND, fill(KIND, [_unit("H1", "A")]), admin_a)
    make_org(Organization.objects.get(code="H1"), "H11")
    with pytest.raises(ValidationError) as refused:
        batch_undo(batch=batch, acting_user=admin_a)
    assert "in use" in refused.value.messages[0]


def test_the_service_creates_a_root_only_for_the_system_actor_on_an_empty_tree(db):
    """``organization_import`` holds the rules of ``organization_create``: the system
    actor may bring a whole chart with its root into an empty database, parents first."""
    rows = [
        OrganizationIn(code="R", name="市委", kind=OrgKind.CITY_COMMITTEE),
        OrganizationIn(code="R1", name="区委", kind=OrgKind.DISTRICT_COMMITTEE, parent_code="R"),
    ]
    ids = organization_import(rows=rows, source="chart.xlsx", acting_user=SYSTEM)
    root, district = Organization.objects.get(pk=ids[0]), Organization.objects.get(pk=ids[1])
    assert root.parent is None and root.depth == 1
    assert district.parent == root and district.path.startswith(root.path)
    with pytest.raises(ValidationError):
        organization_import(
            rows=[OrganizationIn(code="R2", name="又一个根", kind=OrgKind.COMMITTEE)],
            source="x.xlsx",
            acting_user=SYSTEM,
        )


def test_the_service_refuses_a_child_before_its_parent_and_a_taken_code(tree):
    with pytest.raises(ValidationError) as early:
        organization_import(
            rows=[
                OrganizationIn(code="Q2", name="子", kind=OrgKind.BRANCH, parent_code="Q1"),
                OrganizationIn(
                    code="Q1", name="父", kind=OrgKind.BRANCH, parent_id=tree.street_a.pk
                ),
            ],
            source="x.xlsx",
            acting_user=SYSTEM,
        )
    assert "must come before" in early.value.messages[0]
    with pytest.raises(ValidationError) as taken:
        organization_import(
            rows=[
                OrganizationIn(
                    code="A1", name="重", kind=OrgKind.BRANCH, parent_id=tree.street_a.pk
                )
            ],
            source="x.xlsx",
            acting_user=SYSTEM,
        )
    assert "already in use" in taken.value.messages[0]
    assert not Organization.objects.filter(code__startswith="Q").exists()


def test_the_service_refuses_a_parent_outside_the_scope(tree, admin_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        organization_import(
            rows=[
                OrganizationIn(
                    code="Z1", name="越", kind=OrgKind.BRANCH, parent_id=tree.street_b.pk
                )
            ],
            source="x.xlsx",
            acting_user=admin_a,
        )


def test_ids_taken_ahead_are_never_reused_after_an_undo(tree, admin_a):
    """The new units take ids after every id ever given (SQLite's AUTOINCREMENT too), so
    a later unit does not inherit an undone unit's audit history."""
    batch = run(KIND, fill(KIND, [_unit("I1", "A")]), admin_a)
    first = Organization.objects.get(code="I1").pk
    batch_undo(batch=batch, acting_user=admin_a)
    run(KIND, fill(KIND, [_unit("I2", "A")]), admin_a)
    assert Organization.objects.get(code="I2").pk > first
    assert make_org(tree.street_a, "I3").pk > Organization.objects.get(code="I2").pk


def test_the_template_offers_the_kinds_and_the_export_columns(tree, admin_a, client):
    """下载模板: the export's columns in Chinese, the kinds as a drop-down, examples."""
    client.force_login(admin_a)
    assert client.get(f"/ingest/{KIND}/").status_code == 200
    response = client.get(f"/ingest/{KIND}/template.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    translation.activate("en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]] == [
        "组织编码",
        "上级组织编码",
        "组织名称",
        "简称",
        "组织类型",
        "上级组织",
        "层级",
        "撤销日期",
    ]
    assert sheet.data_validations.dataValidation  # the kinds' list
    assert "党委" in [c.value for c in book.worksheets[1]["E"]]
    examples = [r for r in book.worksheets[2].iter_rows(min_row=2, values_only=True) if r[0]]
    assert examples[1][1] == examples[0][0]  # the second example hangs from the first
