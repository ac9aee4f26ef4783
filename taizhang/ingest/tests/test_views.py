"""The import pages as a clerk uses them, and what others are refused."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from openpyxl import load_workbook

from taizhang.activities.models import Activity
from taizhang.activities.tests.factories import kind
from taizhang.ingest.models import BatchStatus, ImportBatch
from tests.xlsx import fill

KIND = "activities.activity"


def _upload(client, content: bytes, name: str = "活动.xlsx"):
    """Upload; the check runs once the request's transaction commits (as the worker
    would, right after), then the batch page is read again."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/ingest/{KIND}/", {"file": SimpleUploadedFile(name, content)})
    if response.status_code != 302:
        return response
    return client.get(response["Location"], follow=True)


def _rows(count: int = 2) -> list[dict[str, object]]:
    return [
        {
            "org_code": "A1",
            "kind": kind().name,
            "title": f"学习{i}",
            "held_on": dt.date(2026, 3, 1),
            "participants": 3,
        }
        for i in range(count)
    ]


def test_the_hub_lists_only_the_ledgers_the_viewer_may_import(client, personas):
    client.force_login(personas.street_a)
    page = client.get("/ingest/").content.decode()
    assert f"/ingest/{KIND}/" in page
    client.force_login(personas.nobody)
    page = client.get("/ingest/").content.decode()
    assert f"/ingest/{KIND}/" not in page


def test_the_template_downloads_with_a_chinese_file_name(client, personas):
    client.force_login(personas.street_a)
    response = client.get(f"/ingest/{KIND}/template.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.worksheets[0]["A3"].value.startswith("【填写说明】")


def test_a_person_without_the_function_cannot_open_an_import(client, personas):
    client.force_login(personas.nobody)
    assert client.get(f"/ingest/{KIND}/").status_code == 403
    assert client.get(f"/ingest/{KIND}/template.xlsx").status_code == 403
    client.force_login(personas.street_a)
    assert client.get("/ingest/no.such/").status_code == 404


def test_upload_shows_the_preview_then_imports_on_confirmation(client, personas):
    client.force_login(personas.street_a)
    response = _upload(client, fill(KIND, _rows(2)))
    page = response.content.decode()
    batch = ImportBatch.objects.get()
    assert response.request["PATH_INFO"] == f"/ingest/batches/{batch.pk}/"
    assert batch.status == BatchStatus.CHECKED
    assert "学习0" in page and Activity.objects.count() == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/ingest/batches/{batch.pk}/import/")
    response = client.get(f"/ingest/batches/{batch.pk}/")
    assert Activity.objects.count() == 2
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED
    assert f"/ingest/batches/{batch.pk}/undo/" in response.content.decode()


def test_errors_are_listed_by_row_and_column_in_chinese(client, personas):
    client.force_login(personas.street_a)
    rows = _rows(3)
    rows[1]["held_on"] = "2026-02-30"
    page = _upload(client, fill(KIND, rows)).content.decode()
    assert "该日期不存在。" in page
    assert "<td>5</td>" in page  # the second data row is row 5 of the template
    assert "确认导入" not in page


def test_a_file_that_is_not_excel_is_refused_on_the_form(client, personas):
    client.force_login(personas.street_a)
    page = _upload(client, b"a,b\n1,2\n", name="data.csv").content.decode()
    assert "请上传Excel .xlsx文件。" in page
    assert not ImportBatch.objects.exists()


def test_a_broken_xlsx_is_refused_whole_and_nothing_is_written(client, personas):
    client.force_login(personas.street_a)
    page = _upload(client, b"PK\x03\x04 not really a zip", name="坏.xlsx").content.decode()
    assert ImportBatch.objects.get().status == BatchStatus.REFUSED
    assert "这不是Excel .xlsx文件。" in page


def test_a_second_upload_of_an_imported_file_says_so(client, personas):
    client.force_login(personas.street_a)
    content = fill(KIND, _rows(1))
    _upload(client, content)
    batch = ImportBatch.objects.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/ingest/batches/{batch.pk}/import/")
    page = _upload(client, content).content.decode()
    assert "未重复导入" in page
    assert ImportBatch.objects.count() == 1 and Activity.objects.count() == 1


def test_another_persons_batch_is_not_found(client, personas):
    client.force_login(personas.street_a)
    _upload(client, fill(KIND, _rows(1)))
    batch = ImportBatch.objects.get()
    client.force_login(personas.district)
    assert client.get(f"/ingest/batches/{batch.pk}/").status_code == 404
    assert client.post(f"/ingest/batches/{batch.pk}/import/").status_code == 404
    assert client.post(f"/ingest/batches/{batch.pk}/undo/").status_code == 404
    assert Activity.objects.count() == 0


def test_the_batch_page_polls_while_the_worker_has_not_run(client, personas, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(personas.street_a)
    page = _upload(client, fill(KIND, _rows(1))).content.decode()
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.CHECKING
    assert 'hx-trigger="every 1s"' in page
    assert "等待后台进程处理" in page


def test_the_home_page_offers_the_imports_to_whoever_may_import(client, personas):
    client.force_login(personas.street_a)
    assert f"/ingest/{KIND}/" in client.get("/").content.decode()
    client.force_login(personas.auditor)
    assert "/ingest/" not in client.get("/").content.decode()
