"""The report intake's API: bring a report in (202 with the job), read its drafts; the
scope and the one error shape, as the pages."""

from __future__ import annotations

import base64

import pytest
from django.test import TestCase

from taizhang.extraction.models import ReportIntake
from taizhang.extraction.tests.factories import SAMPLE, make_draft
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/ingest/reports"


def _post(client, headers, body):
    return client.post(URL, body, content_type="application/json", **headers)


def test_a_pasted_report_is_queued_then_read_with_its_drafts(client, tree, personas):
    headers = bearer(client, personas.street_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = _post(
            client,
            headers,
            {"org_id": tree.street_a.pk, "title": "临河街道工作简报", "text": SAMPLE},
        )
    assert response.status_code == 202, response.content
    body = response.json()
    intake = ReportIntake.objects.get(pk=body["id"])
    assert body["job"]["id"] == intake.job_id
    read = client.get(f"{URL}/{intake.pk}", **headers)
    assert read.status_code == 200
    report = read.json()
    assert report["state"] == "ready" and report["job"]["status"] == "succeeded"
    kinds = {d["kind"] for d in report["drafts"]}
    assert {"activity", "person", "reported_figure"} <= kinds
    for draft in report["drafts"]:
        assert report["text"][draft["start"] : draft["end"]] == draft["sentence"]
        assert draft["state"] == "pending"


def test_a_file_in_base64_is_read(client, tree, personas):
    headers = bearer(client, personas.street_a)
    content = base64.b64encode(SAMPLE.encode("gb18030")).decode()
    response = _post(
        client,
        headers,
        {
            "org_id": tree.street_a.pk,
            "title": "上传的简报",
            "file_name": "简报.txt",
            "file_base64": content,
        },
    )
    assert response.status_code == 202, response.content
    assert "临河街道" in ReportIntake.objects.get().source_text
    bad = _post(
        client,
        headers,
        {"org_id": tree.street_a.pk, "title": "x", "file_name": "a.pdf", "file_base64": content},
    )
    assert bad.status_code == 422
    assert "file_base64" in bad.json()["error"]["fields"]


def test_scope_and_errors_are_in_the_one_shape(client, tree, personas):
    headers = bearer(client, personas.street_a)
    outside = _post(client, headers, {"org_id": tree.street_b.pk, "title": "x", "text": SAMPLE})
    assert outside.status_code == 422
    assert "org_id" in outside.json()["error"]["fields"]
    empty = _post(client, headers, {"org_id": tree.street_a.pk, "title": "x"})
    assert empty.status_code == 422 and "text" in empty.json()["error"]["fields"]
    assert not ReportIntake.objects.exists()

    mine = _post(client, headers, {"org_id": tree.street_a.pk, "title": "x", "text": SAMPLE})
    intake = ReportIntake.objects.get(pk=mine.json()["id"])
    make_draft(intake)
    neighbour = bearer(client, personas.street_b)
    hidden = client.get(f"{URL}/{intake.pk}", **neighbour)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    assert client.get(f"{URL}/{intake.pk}").status_code == 401
    nobody = bearer(client, personas.nobody)
    refused = _post(client, nobody, {"org_id": tree.street_a.pk, "title": "x", "text": SAMPLE})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_the_operations_are_in_the_openapi_document(client, personas):
    document = client.get("/api/v1/openapi.json", **bearer(client, personas.district)).json()
    post = document["paths"][URL]["post"]
    get = document["paths"][URL + "/{report_id}"]["get"]
    assert {"202", "401", "403", "422"} <= set(post["responses"])
    assert {"200", "401", "403", "404", "422"} <= set(get["responses"])
