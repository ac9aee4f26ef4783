"""Issue 15 §2: an activity's evidence files, co-hosts inside and outside the tree,
external speakers and an entry for repeated sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from taizhang.activities import services
from taizhang.activities.models import ActivityAttachment
from taizhang.activities.tests.factories import DAY, kind, make_activity
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.registry import METRICS
from taizhang.organizations.models import OrgKind
from tests.files import pdf_bytes, png_bytes
from tests.support import PASSWORD, make_org

pytestmark = pytest.mark.django_db


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def png(name="合影.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


# --- attachments -------------------------------------------------------------------------


def test_attachments_pass_the_upload_policy_and_are_audited(tree, personas):
    activity = make_activity(tree.community_a, headcount=5, acting_user=personas.street_a)
    rows = services.activity_attachments_add(
        activity=activity,
        kind="photo",
        files=[png(), SimpleUploadedFile("签到表.pdf", pdf_bytes())],
        acting_user=personas.street_a,
    )
    assert [r.original_name for r in rows] == ["合影.png", "签到表.pdf"]
    assert not rows[0].file.name.endswith("合影.png")  # stored under a generated name
    event = AuditEvent.objects.get(action="activity.attachments_add")
    assert [a["name"] for a in event.changes["attachments"]["added"]] == ["合影.png", "签到表.pdf"]
    # A script dressed as a photo, and an unknown kind, are refused; nothing is kept.
    fake = SimpleUploadedFile("照片.png", b"<script>alert(1)</script>")
    with pytest.raises(ValidationError, match="does not look like"):
        services.activity_attachments_add(
            activity=activity, kind="photo", files=[fake], acting_user=personas.street_a
        )
    with pytest.raises(ValidationError, match="Unknown kind"):
        services.activity_attachments_add(
            activity=activity, kind="selfie", files=[png()], acting_user=personas.street_a
        )
    with pytest.raises(ValidationError, match="at least one file"):
        services.activity_attachments_add(
            activity=activity, kind="minutes", files=[], acting_user=personas.street_a
        )
    assert activity.attachments.count() == 2


def test_a_sibling_subdistrict_neither_attaches_nor_downloads(client, tree, personas):
    activity = make_activity(tree.community_a, headcount=5)
    with pytest.raises(PermissionDenied):
        services.activity_attachments_add(
            activity=activity, kind="photo", files=[png()], acting_user=personas.street_b
        )
    (row,) = services.activity_attachments_add(
        activity=activity, kind="sign_in", files=[png()], acting_user=SYSTEM
    )
    with pytest.raises(PermissionDenied):
        services.activity_attachment_remove(attachment=row, acting_user=personas.street_b)
    url = reverse("activities:attachment", args=[activity.pk, row.pk])
    assert login(client, personas.street_b).get(url).status_code == 404
    remove = reverse("activities:attachment_remove", args=[activity.pk, row.pk])
    assert client.post(remove).status_code == 404
    assert ActivityAttachment.objects.filter(pk=row.pk).exists()


def test_the_page_uploads_and_serves_a_download(client, tree, personas):
    activity = make_activity(tree.community_a, headcount=5)
    client = login(client, personas.street_a)
    response = client.post(
        reverse("activities:attachments", args=[activity.pk]),
        {"kind": "minutes", "attachments": [SimpleUploadedFile("会议记录.pdf", pdf_bytes())]},
    )
    assert response.status_code == 302
    (row,) = activity.attachments.all()
    assert row.kind == "minutes" and row.uploaded_by == personas.street_a
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "会议记录.pdf" in page
    download = client.get(reverse("activities:attachment", args=[activity.pk, row.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # Another activity's id in the path does not reach the file.
    other = make_activity(tree.community_a, headcount=1, title="另一场")
    assert client.get(reverse("activities:attachment", args=[other.pk, row.pk])).status_code == 404
    refused = client.post(
        reverse("activities:attachments", args=[activity.pk]),
        {"kind": "photo", "attachments": [SimpleUploadedFile("x.exe", b"MZ")]},
    )
    assert refused.status_code == 422
    response = client.post(reverse("activities:attachment_remove", args=[activity.pk, row.pk]))
    assert response.status_code == 302
    assert not activity.attachments.exists()
    assert AuditEvent.objects.filter(action="activity.attachment_remove").count() == 1


# --- co-hosts, speakers ------------------------------------------------------------------


def test_co_hosts_inside_and_outside_the_tree(tree, personas):
    organ = make_org(tree.district, "ORG1", OrgKind.ORGAN)
    activity = make_activity(
        tree.community_a,
        headcount=30,
        co_orgs=[organ],
        co_host_names="区检察院、\n锦绣小学\n锦绣小学",
        acting_user=personas.street_a,
    )
    assert list(activity.co_orgs.all()) == [organ]
    assert activity.outside_co_hosts == ["区检察院", "锦绣小学"]
    event = AuditEvent.objects.get(action="activity.create")
    assert event.changes["co_orgs"] == [[], [organ.pk]]
    assert event.changes["co_host_names"] == [None, "区检察院\n锦绣小学"]
    # A unit the clerk neither records in nor counts among the district's units is refused.
    with pytest.raises(ValidationError) as refused:
        make_activity(
            tree.community_a, headcount=1, co_orgs=[tree.community_b], acting_user=personas.street_a
        )
    assert "co_orgs" in refused.value.message_dict
    # Co-hosts do not widen who sees the activity.
    from taizhang.activities.permissions import ACTIVITY

    assert not ACTIVITY.queryset(personas.street_b).filter(pk=activity.pk).exists()
    services.activity_update(
        activity=activity, co_orgs=[], co_host_names="锦绣小学", acting_user=personas.street_a
    )
    event = AuditEvent.objects.filter(action="activity.update").latest("pk")
    assert event.changes["co_orgs"] == [[organ.pk], []]
    assert event.changes["co_host_names"] == ["区检察院\n锦绣小学", "锦绣小学"]


def test_external_speaker_or_a_person_of_the_registry(tree, personas):
    from taizhang.activities.tests.factories import make_person

    activity = make_activity(
        tree.community_a,
        headcount=40,
        kind=kind("outreach_talk"),
        speaker_name="王教授",
        speaker_title="区委党校副教授",
    )
    assert (activity.speaker_name, activity.speaker_title) == ("王教授", "区委党校副教授")
    person = make_person(tree.community_a, "李书记")
    with pytest.raises(ValidationError, match="not both"):
        make_activity(tree.community_a, headcount=1, speaker=person, speaker_name="王教授")
    with pytest.raises(ValidationError, match="not both"):
        services.activity_update(activity=activity, speaker=person, acting_user=SYSTEM)


# --- repeated sessions -------------------------------------------------------------------


def test_an_entry_for_repeated_sessions_counts_each_session(tree, personas):
    from taizhang.statistics.figures import compute
    from taizhang.statistics.periods import Period

    make_activity(tree.community_a, headcount=300, kind=kind("outreach_talk"), sessions=7)
    make_activity(tree.community_a, headcount=20, kind=kind("outreach_talk"))
    with pytest.raises(ValidationError, match="at least one session"):
        make_activity(tree.community_a, headcount=1, sessions=0)
    period = Period(kind="year", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    figure = {
        name: compute(SYSTEM, METRICS[name], tree.district, period)
        for name in ("activities.count", "activities.outreach_talk", "activities.entries")
    }
    assert figure == {"activities.count": 8, "activities.outreach_talk": 8, "activities.entries": 2}
    # The headcount stays the participants reported, whatever the sessions.
    assert compute(SYSTEM, METRICS["activities.headcount"], tree.district, period) == 320


def test_the_form_records_the_new_elements(client, tree, personas):
    organ = make_org(tree.district, "ORG2", OrgKind.ORGAN)
    client = login(client, personas.street_a)
    response = client.post(
        reverse("activities:create"),
        {
            "org": tree.community_a.pk,
            "kind": kind("outreach_talk").pk,
            "title": "党的创新理论进社区",
            "held_on": DAY.isoformat(),
            "mode": "offline",
            "speaker_name": "王教授",
            "speaker_title": "区委党校副教授",
            "co_orgs": [organ.pk],
            "co_host_names": "锦绣小学",
            "sessions": 7,
            "attendance_mode": "headcount",
            "headcount": 280,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    activity = tree.community_a.activities.get(title="党的创新理论进社区")
    assert (activity.sessions, activity.speaker_name) == (7, "王教授")
    assert list(activity.co_orgs.all()) == [organ]
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "王教授" in page and "锦绣小学" in page and "区委党校副教授" in page
    edit = client.get(reverse("activities:edit", args=[activity.pk]))
    assert edit.status_code == 200


# --- Excel ---------------------------------------------------------------------------------


def test_excel_columns_round_trip(tree, personas, client):
    from taizhang.activities.models import Activity
    from taizhang.ingest.models import BatchStatus
    from tests.xlsx import errors, fill, run

    row = {
        "org_code": "A1",
        "kind": kind("outreach_talk").name,
        "title": "党的创新理论宣讲",
        "held_on": dt.date(2026, 3, 5),
        "speaker_name": "王教授",
        "speaker_title": "区委党校副教授",
        "co_host_names": ["锦绣小学", "区检察院"],
        "participants": 300,
        "sessions": 7,
    }
    batch = run("activities.activity", fill("activities.activity", [row]), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    activity = Activity.objects.get(title="党的创新理论宣讲")
    assert (activity.sessions, activity.speaker_name, activity.outside_co_hosts) == (
        7,
        "王教授",
        ["锦绣小学", "区检察院"],
    )
    client.force_login(personas.street_a)
    content = client.get("/activities/export/?year=2026", HTTP_ACCEPT_LANGUAGE="en").content
    again = run("activities.activity", content, personas.street_a, commit=False)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 1), errors(again)
    refused = run(
        "activities.activity",
        fill("activities.activity", [{**row, "title": "另一场", "sessions": 0}]),
        personas.street_a,
    )
    assert refused.status == BatchStatus.REFUSED


def test_api_reads_and_writes_the_new_elements(client, tree, personas):
    from tests.support import bearer

    organ = make_org(tree.district, "ORG3", OrgKind.ORGAN)
    headers = bearer(client, personas.street_a)
    body = {
        "org_id": tree.community_a.pk,
        "kind_code": "outreach_talk",
        "title": "理论宣讲",
        "held_on": "2026-05-12",
        "headcount": 200,
        "sessions": 5,
        "speaker_name": "王教授",
        "speaker_title": "区委党校副教授",
        "co_org_ids": [organ.pk],
        "co_host_names": ["锦绣小学"],
    }
    created = client.post("/api/v1/activities", body, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["sessions"], data["speaker_name"], data["co_host_names"]) == (
        5,
        "王教授",
        ["锦绣小学"],
    )
    assert data["co_org_ids"] == [organ.pk] and data["attachments"] == []
    url = f"/api/v1/activities/{data['id']}"
    patched = client.patch(
        url, {"sessions": 6, "co_org_ids": []}, content_type="application/json", **headers
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["sessions"], patched.json()["co_org_ids"]) == (6, [])
    hidden = client.patch(
        url, {"co_org_ids": [tree.community_b.pk]}, content_type="application/json", **headers
    )
    missing = client.patch(
        url, {"co_org_ids": [9_999_999]}, content_type="application/json", **headers
    )
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json() == missing.json()
