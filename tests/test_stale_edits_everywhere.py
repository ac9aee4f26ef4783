"""Optimistic locking on every edit page and PATCH (issue 19: stale edit forms
overwrote each other silently).

For each record that has an edit page: user A opens the page, user B changes the record
through its service, A sends the page. A is shown B's change (who, and the field) with
what she typed kept, and nothing of hers is saved; sending again (she has now seen it)
saves hers. Over the API: a PATCH with the ``If-Match`` read before B's change is a 409
naming B's change; with the current version it is a 200.

The page is read as a browser would send it (``FormFields``: every input, select and
textarea of the form that carries the version), so a page that lost its hidden
``version`` input, or a view that does not pass it on, fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from taizhang.accounts.models import ScopeKind
from taizhang.core.versions import version_of
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db

STALE_ZH = "修改了这条记录"  # "… changed this record at … after you opened it"


class FormFields(HTMLParser):
    """The fields a browser sends for the form holding ``name="version"``: text and
    hidden inputs, checked boxes, selected options, textareas (files left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._form: list[tuple[str, str]] | None = None
        self._select: tuple[str, bool] | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: tuple[str | None, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = []
            return
        if self._form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self._form.append((name, a.get("value", "on")))
                return
            self._form.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_first, self._select_chosen = None, False
        elif tag == "option" and self._select is not None:
            # An option without a value sends its text.
            self._option = (a.get("value") if "value" in a else None, "selected" in a)
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "option" and self._select is not None and self._option is not None:
            value, selected = self._option
            value = self._option_text.strip() if value is None else value
            if self._select_first is None:
                self._select_first = value
            if selected:
                self._form.append((self._select[0], value))
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            if not self._select_chosen and not multiple and self._select_first is not None:
                self._form.append((name, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


def posted_form(html: str) -> dict[str, Any]:
    """The data of the page's form with the hidden version, as a browser would post it."""
    parser = FormFields()
    parser.feed(html)
    forms = [f for f in parser.forms if any(name == "version" for name, _ in f)]
    assert forms, "the edit page carries no hidden version input"
    data: dict[str, Any] = {}
    for name, value in forms[0]:
        data.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}


@dataclass
class Case:
    """One kind of record with an edit page (and maybe a PATCH)."""

    name: str
    make: Callable[[Any, Any], Any]  # (tree, A) -> the record
    edit_url: Callable[[Any], str]
    field: str  # the form field both change
    b_writes: Callable[[Any, Any, str], None]  # (record, B, value)
    saved: Callable[[Any], Any]  # the record's value of that field, from the database
    admin: bool = False  # A and B are system administrators, not street clerks
    page_url: Callable[[Any], str] | None = None  # where the form is, if not its action
    api_get: Callable[[Any], str] | None = None
    api_patch: Callable[[Any], str] | None = None
    api_method: str = "patch"
    api_body: Callable[[Any, str], dict[str, Any]] | None = None
    htmx: bool = False
    values: tuple[Any, Any] = ("乙改的值", "甲填的值")  # B's, then A's


def _reload(obj: Any) -> Any:
    return type(obj)._default_manager.get(pk=obj.pk)


# --- the records ---------------------------------------------------------------------


def _project(tree: Any, a: Any) -> Any:
    from taizhang.projects.tests.factories import make_project

    return make_project(tree.street_a, "临溪项目")


def _problem(tree: Any, a: Any) -> Any:
    from taizhang.problems.tests.factories import make_problem

    return make_problem(tree.street_a, acting_user=a)


def _activity(tree: Any, a: Any) -> Any:
    from taizhang.activities.tests.factories import make_activity

    return make_activity(tree.street_a, acting_user=a, headcount=12)


def _lead(tree: Any, a: Any) -> Any:
    from taizhang.investment.tests.factories import make_lead

    return make_lead(tree.street_a, "新材料")


def _notice(tree: Any, a: Any) -> Any:
    from taizhang.notices.tests.factories import make_notice

    return make_notice(tree.street_a, acting_user=a)


def _task(tree: Any, a: Any) -> Any:
    from taizhang.reporting.tests.factories import make_task

    return make_task(tree.street_a, acting_user=a)


def _indicator(tree: Any, a: Any) -> Any:
    from taizhang.statistics.tests.factories import make_indicator

    return make_indicator(a, tree.street_a)


def _problem_kind(tree: Any, a: Any) -> Any:
    from taizhang.problems.models import ProblemKind

    return ProblemKind.objects.get(code="tackling")


def _activity_kind(tree: Any, a: Any) -> Any:
    from taizhang.activities.tests.factories import kind

    return kind()


def _category(tree: Any, a: Any) -> Any:
    from taizhang.demands.tests.factories import make_category

    return make_category(tree.street_a)


def _policy(tree: Any, a: Any) -> Any:
    from taizhang.investment.tests.factories import subsidy_policy

    return subsidy_policy()


# --- B's writes, through the services ------------------------------------------------


def _b_project(obj: Any, b: Any, value: str) -> None:
    from taizhang.projects.services import project_update

    project_update(project=obj, location=value, acting_user=b)


def _b_problem(obj: Any, b: Any, value: str) -> None:
    from taizhang.problems.services import problem_update

    problem_update(problem=obj, title=value, acting_user=b)


def _b_activity(obj: Any, b: Any, value: str) -> None:
    from taizhang.activities.services import activity_update

    activity_update(activity=obj, title=value, acting_user=b)


def _b_lead(obj: Any, b: Any, value: str) -> None:
    from taizhang.investment.services import lead_update

    lead_update(lead=obj, project_name=value, acting_user=b)


def _b_notice(obj: Any, b: Any, value: str) -> None:
    from taizhang.notices.services import notice_update

    notice_update(notice=obj, changes={"title": value}, acting_user=b)


def _b_task(obj: Any, b: Any, value: str) -> None:
    from taizhang.reporting.services import task_update
    from taizhang.reporting.tests.factories import default_fields

    task_update(
        task=obj,
        title=value,
        instructions=obj.instructions,
        period_start=obj.period_start,
        period_end=obj.period_end,
        deadline=obj.deadline,
        fields=default_fields(),
        acting_user=b,
    )


def _b_indicator(obj: Any, b: Any, value: str) -> None:
    from taizhang.statistics.services import indicator_update

    indicator_update(indicator=obj, name=value, acting_user=b)


def _b_rename(obj: Any, b: Any, value: str) -> None:
    from taizhang.organizations.services import organization_rename

    organization_rename(organization=obj, name=value, short_name=value, acting_user=b)


def _b_problem_kind(obj: Any, b: Any, value: str) -> None:
    from taizhang.problems.services import problem_kind_update

    problem_kind_update(kind=obj, changes={"name": value}, acting_user=b)


def _b_activity_kind(obj: Any, b: Any, value: str) -> None:
    from taizhang.activities.services import activity_kind_update

    activity_kind_update(kind=obj, changes={"name": value}, acting_user=b)


def _b_category(obj: Any, b: Any, value: str) -> None:
    from taizhang.demands.services import demand_category_update

    demand_category_update(category=obj, changes={"name": value}, acting_user=b)


def _b_policy(obj: Any, b: Any, value: str) -> None:
    from taizhang.investment.services import subsidy_policy_update

    subsidy_policy_update(policy=obj, changes={"name": value}, acting_user=b)


def _rule(tree: Any, a: Any) -> Any:
    from taizhang.reminders.manifest import DUE_SOON
    from taizhang.reminders.services import rule_for

    return rule_for(DUE_SOON)


def _b_rule(obj: Any, b: Any, value: Any) -> None:
    from taizhang.reminders.services import reminder_rule_update

    reminder_rule_update(
        rule=obj, enabled=obj.enabled, days_before=value, to_webhook=obj.to_webhook, acting_user=b
    )


def _webhook(tree: Any, a: Any) -> Any:
    from taizhang.reminders.tests.factories import make_endpoint

    return make_endpoint(tree.street_a)


def _b_webhook(obj: Any, b: Any, value: str) -> None:
    from taizhang.reminders.services import webhook_endpoint_update

    webhook_endpoint_update(endpoint=obj, name=value, acting_user=b)


def _hotline(tree: Any, a: Any) -> Any:
    from taizhang.hotline.tests.factories import make_endpoint

    return make_endpoint(tree.street_a)


def _b_hotline(obj: Any, b: Any, value: str) -> None:
    from taizhang.hotline.services import hotline_endpoint_update

    hotline_endpoint_update(endpoint=obj, name=value, acting_user=b)


def _api(path: str) -> Callable[[Any], str]:
    return lambda obj: f"/api/v1/{path.format(pk=obj.pk)}"


def _body(name: str) -> Callable[[Any, str], dict[str, Any]]:
    return lambda obj, value: {name: value}


CASES = [
    Case(
        "project",
        _project,
        lambda o: reverse("projects:edit", args=[o.pk]),
        "location",
        _b_project,
        lambda o: _reload(o).location,
        api_get=_api("projects/{pk}"),
        api_body=_body("location"),
    ),
    Case(
        "problem",
        _problem,
        lambda o: reverse("problems:edit", args=[o.pk]),
        "title",
        _b_problem,
        lambda o: _reload(o).title,
        api_get=_api("problems/{pk}"),
    ),
    Case(
        "activity",
        _activity,
        lambda o: reverse("activities:edit", args=[o.pk]),
        "title",
        _b_activity,
        lambda o: _reload(o).title,
        api_get=_api("activities/{pk}"),
        api_body=_body("title"),
    ),
    Case(
        "lead",
        _lead,
        lambda o: reverse("investment:lead_edit", args=[o.pk]),
        "project_name",
        _b_lead,
        lambda o: _reload(o).project_name,
        api_get=_api("investment/leads/{pk}"),
        api_body=_body("project_name"),
    ),
    Case(
        "notice",
        _notice,
        lambda o: reverse("notices:edit", args=[o.pk]),
        "title",
        _b_notice,
        lambda o: _reload(o).title,
    ),
    Case(
        "reporting task",
        _task,
        lambda o: reverse("reporting:edit", args=[o.pk]),
        "title",
        _b_task,
        lambda o: _reload(o).title,
    ),
    Case(
        "indicator",
        _indicator,
        lambda o: reverse("statistics:indicator_edit", args=[o.pk]),
        "name",
        _b_indicator,
        lambda o: _reload(o).name,
        api_get=_api("statistics/indicators/{pk}"),
        api_body=_body("name"),
    ),
    Case(
        "organization",
        lambda tree, a: tree.community_a,
        lambda o: reverse("organizations:rename", args=[o.pk]),
        "rename-name",
        _b_rename,
        lambda o: _reload(o).name,
        admin=True,
        page_url=lambda o: reverse("organizations:detail", args=[o.pk]),
        api_get=_api("organizations/{pk}"),
        htmx=True,
    ),
    Case(
        "problem kind",
        _problem_kind,
        lambda o: reverse("problems:kind_edit", args=[o.pk]),
        "name",
        _b_problem_kind,
        lambda o: _reload(o).name,
        admin=True,
        api_patch=_api("problems/kinds/{pk}/"),
        api_body=_body("name"),
    ),
    Case(
        "activity kind",
        _activity_kind,
        lambda o: reverse("activities:dictionary_edit", args=["kind", o.pk]),
        "name",
        _b_activity_kind,
        lambda o: _reload(o).name,
        admin=True,
        api_patch=_api("activities/dictionaries/kinds/{pk}"),
        api_body=_body("name"),
    ),
    Case(
        "demand category",
        _category,
        lambda o: reverse("demands:category_edit", args=[o.pk]),
        "name",
        _b_category,
        lambda o: _reload(o).name,
        admin=True,
        api_patch=_api("demands/dictionaries/categories/{pk}"),
        api_body=_body("name"),
    ),
    Case(
        "subsidy policy",
        _policy,
        lambda o: reverse("investment:policy_edit", args=[o.pk]),
        "name",
        _b_policy,
        lambda o: _reload(o).name,
        admin=True,
        api_patch=_api("investment/subsidy-policies/{pk}"),
        api_body=_body("name"),
    ),
    Case(
        "reminder rule",
        _rule,
        lambda o: reverse("reminders:rule_edit", args=[o.pk]),
        "days_before",
        _b_rule,
        lambda o: _reload(o).days_before,
        admin=True,
        values=(3, 5),
    ),
    Case(
        "webhook endpoint",
        _webhook,
        lambda o: reverse("reminders:endpoint_edit", args=[o.pk]),
        "name",
        _b_webhook,
        lambda o: _reload(o).name,
        admin=True,
    ),
    Case(
        "hotline endpoint",
        _hotline,
        lambda o: reverse("hotline:endpoint_edit", args=[o.pk]),
        "name",
        _b_hotline,
        lambda o: _reload(o).name,
        admin=True,
    ),
]


@pytest.fixture
def writers(tree, personas):
    """A and B: two clerks of street A, and two system administrators."""
    sub = ScopeKind.SUBTREE
    return {
        False: (personas.street_a, make_user("street_a2", ("clerk", sub, tree.street_a))),
        True: (
            make_user("sysadmin", ("system_admin", sub, tree.district)),
            make_user("sysadmin2", ("system_admin", sub, tree.district)),
        ),
    }


def _pair(case: Case, writers: Any) -> tuple[Any, Any]:
    return writers[case.admin]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_edit_page_shows_the_other_change_and_saves_nothing_of_hers(
    client, tree, writers, case
):
    a, b = _pair(case, writers)
    record = case.make(tree, a)
    client.login(username=a.username, password=PASSWORD)
    page_url = (case.page_url or case.edit_url)(record)
    extra = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
    page = client.get(page_url, HTTP_ACCEPT_LANGUAGE="zh-hans", **extra)
    assert page.status_code == 200
    data = posted_form(page.content.decode())
    assert int(data["version"]) == version_of(record)
    # Meanwhile B changes the same field.
    theirs, hers = case.values
    case.b_writes(_reload(record), b, theirs)
    data[case.field] = str(hers)
    answer = client.post(
        case.edit_url(record), data, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=case.htmx
    )
    text = answer.content.decode()
    assert STALE_ZH in text and b.username in text, text[:3000]
    assert case.saved(record) == theirs  # nothing of A's is saved
    if not case.htmx:  # the page again: what she typed is kept, with the current version
        assert answer.status_code in (200, 422)
        again = posted_form(text)
        assert again[case.field] == str(hers)
        assert int(again["version"]) == version_of(record)
        data = again
    else:  # the form lives on the tree page: she opens it again
        page = client.get(page_url, **extra)
        data = {**posted_form(page.content.decode()), case.field: str(hers)}
    # Sending again (she has seen B's change) keeps hers.
    done = client.post(case.edit_url(record), data)
    assert done.status_code == 302, done.content.decode()[:3000]
    assert case.saved(record) == hers


API_CASES = [c for c in CASES if c.api_body is not None]


@pytest.mark.parametrize("case", API_CASES, ids=[c.name for c in API_CASES])
def test_a_patch_with_an_old_if_match_is_a_409_naming_the_other_change(client, tree, writers, case):
    a, b = _pair(case, writers)
    record = case.make(tree, a)
    headers = bearer(client, a)
    url = (case.api_patch or case.api_get)(record)  # type: ignore[misc]
    if case.api_get is not None:
        read = client.get(case.api_get(record), **headers)
        assert read.status_code == 200
        old = read["ETag"]
        assert old == f'"{version_of(record)}"'
    else:  # no GET of one entry: the version the client saw before B's change
        old = f'"{version_of(record)}"'
    case.b_writes(_reload(record), b, "乙改的值")
    assert case.api_body is not None
    stale = client.generic(
        case.api_method.upper(),
        url,
        data=json.dumps(case.api_body(record, "甲填的值")),
        content_type="application/json",
        HTTP_IF_MATCH=old,
        **headers,
    )
    assert stale.status_code == 409, stale.content
    error = stale.json()["error"]
    assert error["code"] == "stale_edit"
    assert error["changed_by"] == b.username
    assert error["version"] == version_of(record)
    assert case.saved(record) == "乙改的值"
    ok = client.generic(
        case.api_method.upper(),
        url,
        data=json.dumps(case.api_body(record, "甲填的值")),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{error["version"]}"',
        **headers,
    )
    assert ok.status_code == 200, ok.content
    assert case.saved(record) == "甲填的值"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.api_get], ids=[c.name for c in CASES if c.api_get]
)
def test_a_get_of_one_record_sends_its_version_as_etag(client, tree, writers, case):
    a, b = _pair(case, writers)
    record = case.make(tree, a)
    headers = bearer(client, a)
    assert case.api_get is not None
    first = client.get(case.api_get(record), **headers)["ETag"]
    case.b_writes(_reload(record), b, "乙改的值")
    second = client.get(case.api_get(record), **headers)["ETag"]
    assert first != second and second == f'"{version_of(record)}"'


def test_a_version_that_is_not_a_number_is_refused_on_the_page(client, tree, writers):
    """A tampered hidden input cannot switch the check off: it reads as stale."""
    a, b = writers[False]
    record = _activity(tree, a)
    client.login(username=a.username, password=PASSWORD)
    url = reverse("activities:edit", args=[record.pk])
    data = posted_form(client.get(url).content.decode())
    data.update(version="abc", title="甲填的值")
    answer = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code in (200, 422)
    assert STALE_ZH in answer.content.decode()
    assert _reload(record).title != "甲填的值"


def test_a_target_set_by_someone_else_since_the_page_was_opened_is_not_overwritten(
    client, tree, writers
):
    """The ranking table has a target form per unit: each carries the version of that
    unit's target (0 where none was set yet)."""
    from decimal import Decimal

    from taizhang.statistics.models import IndicatorTarget
    from taizhang.statistics.periods import Period
    from taizhang.statistics.services import target_set
    from taizhang.statistics.tests.factories import make_indicator

    a, b = writers[False]
    indicator = make_indicator(a, tree.street_a)
    url = reverse("statistics:indicator_detail", args=[indicator.pk])
    client.login(username=a.username, password=PASSWORD)
    page = client.get(url, {"period": "2026"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    data = posted_form(page.content.decode())
    assert data["action"] == "target" and int(data["unit"]) == tree.community_a.pk
    assert data["version"] == "0"  # no target yet
    target_set(
        acting_user=b,
        indicator=indicator,
        org=tree.community_a,
        period=Period.parse("2026", today=dt.date(2026, 12, 1)),
        target=Decimal(10),
    )

    def target() -> Decimal:
        return IndicatorTarget.objects.get(indicator=indicator, org=tree.community_a).target

    data["target"] = "20"
    answer = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    text = answer.content.decode()
    assert STALE_ZH in text and b.username in text
    assert target() == Decimal(10)
    # The page again shows her B's target and its version; setting now keeps hers.
    again = posted_form(text)
    assert int(again["version"]) > 0
    again["target"] = "20"
    client.post(url, again)
    assert target() == Decimal(20)
