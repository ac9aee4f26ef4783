"""The trainings API: scoped, 404/403/422 where they belong."""

from __future__ import annotations

import pytest

from taizhang.trainings.models import TrainingClass
from taizhang.trainings.tests.factories import make_class, make_person, make_sessions
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/trainings"
TEXT = "通过培训，我对支部建设有了更深的认识，回去后要把学到的方法用到工作中。"


def _body(org_id, **extra):
    return {
        "org_id": org_id,
        "number": 5,
        "title": "书记培训班",
        "start_date": "2026-09-15",
        "end_date": "2026-09-18",
        "capacity": 2,
        **extra,
    }


def test_list_scoped_and_404(client, tree, personas):
    klass = make_class(tree.street_a, title="A的班")
    make_class(tree.street_b, title="B的班")
    headers = bearer(client, personas.street_b)
    assert [c["title"] for c in client.get(URL, **headers).json()["items"]] == ["B的班"]
    assert client.get(f"{URL}/{klass.pk}", **headers).status_code == 404
    assert client.get(f"{URL}/{klass.pk}/report", **headers).status_code == 404


def test_create_and_out_of_scope_org_refused(client, tree, personas):
    headers = bearer(client, personas.street_a)
    ok = client.post(URL, _body(tree.street_a.pk), content_type="application/json", **headers)
    assert ok.status_code == 201, ok.content
    refused = client.post(URL, _body(tree.street_b.pk), content_type="application/json", **headers)
    assert refused.status_code == 422
    assert TrainingClass.objects.count() == 1


def test_auditor_gets_403(client, tree, personas):
    headers = bearer(client, personas.auditor)
    assert client.get(URL, **headers).status_code == 403


def test_enroll_check_in_reflect_complete(client, tree, personas):
    """Capacity refused with 422; an outsider person refused; the run ends in a report."""
    klass = make_class(tree.street_a, capacity=2)
    session = make_sessions(klass, 1)[0]
    people = [make_person(tree.community_a, f"学员{i}") for i in range(3)]
    outsider = make_person(tree.community_b, "外人")
    headers = bearer(client, personas.street_a)
    url = f"{URL}/{klass.pk}/enrollments"
    response = client.post(
        url, {"person_ids": [p.pk for p in people]}, content_type="application/json", **headers
    )
    assert response.status_code == 422
    response = client.post(
        url, {"person_ids": [outsider.pk]}, content_type="application/json", **headers
    )
    assert response.status_code == 422
    response = client.post(
        url, {"person_ids": [p.pk for p in people[:2]]}, content_type="application/json", **headers
    )
    assert response.status_code == 201
    enrollment_ids = [e["id"] for e in response.json()]
    response = client.post(
        f"{URL}/{klass.pk}/sessions/{session.pk}/check-ins",
        {"enrollment_ids": enrollment_ids},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200 and response.json()["present"] == 2
    for pk in enrollment_ids:
        response = client.post(
            f"{URL}/{klass.pk}/enrollments/{pk}/reflection",
            {"title": "体会", "text": TEXT},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 201
    response = client.post(f"{URL}/{klass.pk}/complete", **headers)
    assert response.status_code == 200, response.content
    assert response.json()["graduates"] == 2
    response = client.post(f"{URL}/{klass.pk}/complete", **headers)
    assert response.status_code == 403  # completed: nothing left to do
    b_headers = bearer(client, personas.street_b)
    assert client.post(f"{URL}/{klass.pk}/complete", **b_headers).status_code == 404
    record = client.get(f"{URL}/trainees/{people[0].pk}", **headers).json()
    assert record[0]["graduated"] is True


def test_missing_and_hidden_ids_get_the_same_422(client, tree, personas):
    """Every id in a body: a hidden one and a missing one answer alike (422, one message)."""
    from taizhang.core.actors import SYSTEM
    from taizhang.organizations.policy import unknown_message
    from taizhang.trainings import services

    headers = bearer(client, personas.street_a)
    klass = make_class(tree.street_a, number=3)
    session = make_sessions(klass, 1)[0]
    hidden_person = make_person(tree.community_b, "B的学员")
    elsewhere = make_class(tree.street_b, number=4)
    hidden_enrollment = services.enrollment_create(
        training_class=elsewhere, persons=[hidden_person], acting_user=SYSTEM
    )[0]
    missing = 9_999_999
    cases = [
        (URL, lambda pk: _body(pk), tree.street_b.pk),
        (f"{URL}/{klass.pk}/quotas", lambda pk: {"org_id": pk, "quota": 1}, tree.street_b.pk),
        (
            f"{URL}/{klass.pk}/sessions",
            lambda pk: {
                "kind": "lecture",
                "title": "专题课",
                "day": "2026-09-15",
                "start_time": "09:00",
                "end_time": "11:00",
                "speaker_id": pk,
            },
            hidden_person.pk,
        ),
        (f"{URL}/{klass.pk}/enrollments", lambda pk: {"person_ids": [pk]}, hidden_person.pk),
        (
            f"{URL}/{klass.pk}/sessions/{session.pk}/check-ins",
            lambda pk: {"enrollment_ids": [pk]},
            hidden_enrollment.pk,
        ),
    ]
    for url, body, hidden in cases:
        answers = []
        for pk in (hidden, missing):
            response = client.post(url, body(pk), content_type="application/json", **headers)
            assert response.status_code == 422, (url, pk, response.content)
            answers.append(response.json()["error"]["fields"])
        assert answers[0] == answers[1], url
        assert str(unknown_message()) in str(answers[0]), (url, answers[0])
    assert klass.enrollments.count() == 0
