"""An office's briefing style and Word template (issue 15 §1): inherited down the tree,
an edited template round-trips, a broken one is refused, scope and audit."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from docx import Document

from taizhang.core.models import AuditEvent
from taizhang.statistics import services
from taizhang.statistics.documents import briefing_docx, style_values
from taizhang.statistics.models import BriefingStyle
from taizhang.statistics.periods import Period
from tests.support import PASSWORD

MARCH = Period.month(2026, 3)


def _xml(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read("word/document.xml").decode()


def test_a_unit_inherits_the_nearest_style(tree, personas):
    """A street without its own style uses the district's; without any, the defaults."""
    with translation.override("zh-hans"):
        assert style_values(tree.street_a)["masthead"] == f"{tree.street_a.short_name}工作简报"
        services.briefing_style_save(
            acting_user=personas.district, org=tree.district, masthead="青岚区委工作简报"
        )
        assert style_values(tree.street_a)["masthead"] == "青岚区委工作简报"
        assert style_values(tree.street_a)["issuer"] == f"{tree.street_a.short_name}办公室"


def test_edited_template_round_trips(client, tree, personas):
    """Download the template, change it with python-docx, upload it: the next Word file
    carries the change; the write is audited."""
    client.login(username="street_a", password=PASSWORD)
    url = f"/statistics/briefings/style/{tree.street_a.pk}/"
    template = client.get(url + "template/")
    assert template.status_code == 200
    document = Document(io.BytesIO(template.content))
    document.add_paragraph("（内部资料 注意保存）")
    buffer = io.BytesIO()
    document.save(buffer)
    upload = SimpleUploadedFile("mine.docx", buffer.getvalue())
    response = client.post(url, {"masthead": "临溪街道简报", "template": upload})
    assert response.status_code == 302
    style = BriefingStyle.objects.get(org=tree.street_a)
    assert style.template.name
    event = AuditEvent.objects.get(action="statistics.briefing_style_create")
    assert event.changes["masthead"] == [None, "临溪街道简报"] and "template" in event.changes
    with translation.override("zh-hans"):
        briefing = services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=MARCH
        )
        xml = _xml(briefing_docx(briefing))
    assert "内部资料 注意保存" in xml and "临溪街道简报" in xml


def test_broken_upload_is_refused(client, tree, personas):
    """A file that is not a renderable .docx is refused in Chinese; nothing is stored."""
    client.login(username="street_a", password=PASSWORD)
    url = f"/statistics/briefings/style/{tree.street_a.pk}/"
    upload = SimpleUploadedFile("broken.docx", b"not a word file")
    response = client.post(
        url, {"masthead": "X", "template": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 422
    assert "不是可用于生成简报的Word模板" in response.content.decode()
    assert not BriefingStyle.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="statistics.briefing_style").exists()


def test_another_street_cannot_edit_the_style(client, tree, personas):
    """Street B's clerk gets 404 for street A's style page and template."""
    client.login(username="street_b", password=PASSWORD)
    url = f"/statistics/briefings/style/{tree.street_a.pk}/"
    assert client.get(url).status_code == 404
    assert client.get(url + "template/").status_code == 404
    assert client.post(url, {"masthead": "X"}).status_code == 404
    assert not BriefingStyle.objects.exists()


def test_the_list_links_the_style_page_for_those_who_may_edit_it(client, tree, personas):
    """A clerk finds her organization's style page from the briefings list; a leader, who
    reads briefings but does not write them, gets no link."""
    from taizhang.accounts.models import ScopeKind
    from tests.support import make_user

    client.login(username="street_a", password=PASSWORD)
    page = client.get("/statistics/briefings/").content.decode()
    assert f'href="/statistics/briefings/style/{tree.street_a.pk}/"' in page
    make_user("reader", ("leader", ScopeKind.SUBTREE, tree.street_a))
    client.login(username="reader", password=PASSWORD)
    page = client.get("/statistics/briefings/").content.decode()
    assert "/statistics/briefings/style/" not in page
