"""Pages: scoped lists with bounded queries; the organizer runs a class to 结业."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.trainings import services
from taizhang.trainings.models import Enrollment, TrainingClass
from taizhang.trainings.tests.factories import make_class, make_person, make_sessions
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db
TEXT = "通过培训，我对支部建设有了更深的认识，回去后要把学到的方法用到工作中。"


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_list_scoped(client, tree, personas):
    make_class(tree.street_a, title="A的班")
    make_class(tree.street_b, title="B的班")
    body = login(client, personas.street_a).get(reverse("trainings:list")).content.decode()
    assert "A的班" in body and "B的班" not in body


def test_list_and_detail_query_counts(client, tree, personas):
    """List and class page cost the same few queries for 2 trainees as for 30."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    klass = make_class(tree.district, capacity=40)
    make_sessions(klass, 3)
    login(client, personas.district)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    people = [make_person(tree.community_a, f"学员{i}") for i in range(30)]
    services.enrollment_create(training_class=klass, persons=people[:2], acting_user=SYSTEM)
    detail = reverse("trainings:detail", args=[klass.pk])
    few = (count(reverse("trainings:list")), count(detail))
    services.enrollment_create(training_class=klass, persons=people[2:], acting_user=SYSTEM)
    assert (count(reverse("trainings:list")), count(detail)) == few
    assert few[1] <= 20


def test_detail_404_for_b(client, tree, personas):
    klass = make_class(tree.street_a)
    login(client, personas.street_b)
    for name in ("detail", "report", "reflections"):
        assert client.get(reverse(f"trainings:{name}", args=[klass.pk])).status_code == 404
    response = client.post(reverse("trainings:complete", args=[klass.pk]))
    assert response.status_code == 404


def test_run_a_class_through_pages(client, tree, personas):
    """Open, add a session, enroll by names, sign in, hand in a reflection, complete."""
    make_person(tree.community_a, "王学员")
    make_person(tree.community_a, "李学员")
    login(client, personas.district)
    response = client.post(
        reverse("trainings:create"),
        {
            "org": tree.district.pk,
            "number": 22,
            "title": "书记培训班",
            "start_date": "2026-09-15",
            "end_date": "2026-09-18",
            "capacity": 140,
            "min_attendance_pct": 80,
            "reflection_required": "on",
        },
    )
    assert response.status_code == 302
    klass = TrainingClass.objects.get()
    response = client.post(
        reverse("trainings:session_create", args=[klass.pk]),
        {
            "kind": "lecture",
            "title": "专题课",
            "day": "2026-09-15",
            "start_time": "09:00",
            "end_time": "11:00",
            "speaker_note": "市委党校教授",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("trainings:enroll", args=[klass.pk]), {"names": "王学员、李学员"}
    )
    assert response.status_code == 302 and klass.enrollments.count() == 2
    response = client.post(reverse("trainings:enroll", args=[klass.pk]), {"names": "王学员"})
    assert response.status_code == 422
    session = klass.sessions.get()
    wang = Enrollment.objects.get(person__name="王学员")
    response = client.post(
        reverse("trainings:sheet", args=[klass.pk, session.pk]), {"present": [wang.pk]}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("trainings:reflections", args=[klass.pk]),
        {"enrollment": wang.pk, "title": "体会", "text": TEXT},
    )
    assert response.status_code == 302
    response = client.post(reverse("trainings:complete", args=[klass.pk]))
    assert response.status_code == 302
    graduates = list(
        Enrollment.objects.filter(graduated=True).values_list("person__name", flat=True)
    )
    assert graduates == ["王学员"]
    body = client.get(reverse("trainings:report", args=[klass.pk])).content.decode()
    assert "1名学员顺利结业" in body
    trainee = client.get(reverse("trainings:trainee", args=[wang.person_id]))
    assert trainee.status_code == 200 and "书记培训班" in trainee.content.decode()


def test_viewer_cannot_write(client, tree, personas):
    """street_a sees her class but the district's class is not hers to run."""
    klass = make_class(tree.district)
    login(client, personas.street_a)
    assert client.post(reverse("trainings:complete", args=[klass.pk])).status_code == 404


def test_pages_are_chinese(client, tree, personas):
    make_class(tree.street_a)
    login(client, personas.street_a)
    body = client.get(reverse("trainings:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "培训班" in body and "开班" in body


def test_withdraw_frees_a_place(client, tree, personas):
    klass = make_class(tree.district, capacity=1)
    (row,) = services.enrollment_create(
        training_class=klass, persons=[make_person(tree.community_a)], acting_user=SYSTEM
    )
    login(client, personas.district)
    response = client.post(reverse("trainings:withdraw", args=[klass.pk, row.pk]))
    assert response.status_code == 302 and klass.enrollments.count() == 0


def test_sheet_and_report_query_counts(client, tree, personas):
    """The sign-in sheet and the report cost the same queries for 2 trainees as for 30."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    klass = make_class(tree.district, capacity=40)
    session = make_sessions(klass, 2)[0]
    people = [make_person(tree.community_a, f"学员{i}") for i in range(30)]
    services.enrollment_create(training_class=klass, persons=people[:2], acting_user=SYSTEM)
    login(client, personas.district)
    urls = [
        reverse("trainings:sheet", args=[klass.pk, session.pk]),
        reverse("trainings:report", args=[klass.pk]),
        reverse("trainings:reflections", args=[klass.pk]),
    ]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    few = counts()
    services.enrollment_create(training_class=klass, persons=people[2:], acting_user=SYSTEM)
    assert counts() == few


def test_home_shows_classes_to_run(client, tree, personas):
    """The home page lists open classes the viewer runs, never B's."""
    make_class(tree.street_a, title="A的班")
    make_class(tree.street_b, title="B的班")
    body = login(client, personas.street_a).get("/").content.decode()
    assert "A的班" in body and "B的班" not in body
