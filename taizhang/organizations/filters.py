"""The filters every ledger list shares: "my units" and "mine", and a date range.

Every ledger list page and its API list endpoint read the same four parameters:

* ``org``: an organization id. The list narrows to that organization and its subtree,
  on the organization fields that count for the ledger (its scope policy's
  ``org_fields``: a problem's owning organization *or* its lead unit). The id is looked
  up among the organizations where the viewer holds the list's view function, so an
  organization outside the scope reads exactly like an unknown one: the page shows the
  filter error and an empty list, the API answers 422 (``core.schemas.ErrorOut``).
  Pages also send ``org_name``, the text typed into the searchable picker (a code, or an
  exact name, resolved on the server when no id was chosen).
* ``date_from`` and ``date_to``: inclusive, on the list's natural date (each list says
  which in its label). A bad date, or ``date_from`` after ``date_to``, is an error.
* ``mine=1``: the records where the viewer is the responsible person, linked leader or
  creator: each ledger says what "mine" means (its selector passes ``mine_q``).

A view calls ``ledger_filter_from_query(viewer, request.GET, permission=…, date_label=…)``
and hands the result to its selector (``ledger=``), which calls ``ledger.narrow(qs,
org_fields=…, date_field=…, mine_q=…)``; the template includes
``organizations/_ledger_filter.html`` with ``ledger``. An API endpoint takes
``filters: Query[LedgerQuery]`` and calls ``ledger_filter_for_api``. Nothing here is
built from request text: the organization comes from the scope policy, the fields from
the module's code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from taizhang.core.actors import Actor
from taizhang.core.registry import Label
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import SELF, unknown_message
from taizhang.organizations.scope import scope_for
from taizhang.organizations.widgets import OrganizationPickField

M = TypeVar("M", bound=models.Model)

# The query-string names, the same on every list page and API list endpoint.
PARAMS = ("org", "org_name", "date_from", "date_to", "mine")
DATE_FORMAT_HELP = "YYYY-MM-DD"


def subtree_q(org: Organization, org_fields: tuple[str, ...]) -> Q:
    """Rows whose organization (any of ``org_fields``) is ``org`` or below it: one range
    predicate on the materialized path per field."""
    lower, upper = org.subtree_bounds
    q = Q(pk__in=[])
    for org_field in org_fields:
        prefix = "" if org_field == SELF else f"{org_field}__"
        q |= Q(**{f"{prefix}path__gte": lower, f"{prefix}path__lt": upper})
    return q


@dataclass(frozen=True)
class LedgerFilter:
    """The shared filters of one list request, already checked against the scope.

    ``refused`` means the request named a bad date or an organization the viewer may
    not filter by: the list shows nothing (and the page the ``form``'s errors)."""

    org: Organization | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mine: bool = False
    # Records written at or after this moment (the API's ``updated_since``).
    updated_since: dt.datetime | None = None
    refused: bool = False
    # What the page needs to draw the filter bar; not part of the filter itself.
    form: Any = field(default=None, compare=False, repr=False)
    date_label: Label | str = field(default="", compare=False, repr=False)
    my_unit_id: int | None = field(default=None, compare=False, repr=False)
    my_unit_query: str = field(default="", compare=False, repr=False)
    clear_query: str = field(default="", compare=False, repr=False)
    picker_url: str = field(default="", compare=False, repr=False)
    org_text: str = field(default="", compare=False, repr=False)

    @property
    def active(self) -> bool:
        return bool(self.org or self.date_from or self.date_to or self.mine or self.refused)

    @property
    def on_my_unit(self) -> bool:
        return self.org is not None and self.org.pk == self.my_unit_id

    def narrow(
        self,
        qs: QuerySet[M],
        *,
        org_fields: tuple[str, ...],
        date_field: str,
        mine_q: Q | None = None,
    ) -> QuerySet[M]:
        """``qs`` narrowed by these filters (filters only narrow: ``qs`` is in scope).

        ``date_field`` is a lookup path to a date (``"created_at__date"`` for a
        timestamp); ``mine_q`` is what "mine" means for the ledger (None: nothing is)."""
        if self.refused:
            return qs.none()
        if self.org is not None:
            qs = qs.filter(subtree_q(self.org, org_fields))
        if self.date_from is not None:
            qs = qs.filter(**{f"{date_field}__gte": self.date_from})
        if self.date_to is not None:
            qs = qs.filter(**{f"{date_field}__lte": self.date_to})
        if self.mine:
            qs = qs.filter(mine_q) if mine_q is not None else qs.none()
        if self.updated_since is not None:
            from taizhang.core.versions import written_since

            qs = qs.filter(written_since(qs.model, self.updated_since))
        return qs


NO_FILTER = LedgerFilter()


class _FilterPickerWidget(forms.Widget):
    """Reads the picker's two inputs: the typed text (``org_name``) and the chosen id
    (``org``). The template draws them (``organizations/_ledger_filter.html``)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, str]:
        return str(data.get("org_name", "")), str(data.get("org", ""))

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return "org" not in data and "org_name" not in data


class LedgerFilterForm(forms.Form):
    """The shared filter fields of a list; ``permission`` is the list's view function."""

    org = OrganizationPickField(
        purpose="", open_only=False, required=False, widget=_FilterPickerWidget()
    )
    date_from = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Enter the start date as YYYY-MM-DD.")},
    )
    date_to = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Enter the end date as YYYY-MM-DD.")},
    )
    mine = forms.BooleanField(required=False)

    def __init__(self, *args: Any, viewer: Actor, permission: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        picker = self.fields["org"]
        assert isinstance(picker, OrganizationPickField)
        picker.viewer = viewer
        picker.purpose = permission

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The start date is after the end date."), code="date_order"
            )
        return data


def my_unit_id(viewer: Actor | None, permission: str) -> int | None:
    """The viewer's own unit for a list: the organization of her first grant carrying
    the list's view function (no query beyond the grants already read)."""
    for fact in scope_for(viewer, permission).grants:
        if fact.org_id:
            return fact.org_id
    return None


def _without(get: Mapping[str, Any], *names: str) -> QueryDict:
    query = QueryDict(mutable=True)
    if isinstance(get, QueryDict):
        for key, values in get.lists():
            if key not in names:
                query.setlist(key, values)
    else:
        for key, value in get.items():
            if key not in names:
                query[key] = value
    return query


def ledger_filter_from_query(
    viewer: Actor,
    get: Mapping[str, Any],
    *,
    permission: str,
    date_label: Label | str = "",
) -> LedgerFilter:
    """The shared filters of a list page (or its export) from the query string."""
    data = {name: str(get.get(name, "")) for name in PARAMS}
    data["mine"] = "1" if data["mine"].lower() in {"1", "true", "on"} else ""
    form = LedgerFilterForm(data, viewer=viewer, permission=permission)
    unit = my_unit_id(viewer, permission)
    mine_unit = _without(get, "org", "org_name", "page")
    if unit is not None:
        mine_unit["org"] = str(unit)
    picker_url = (
        reverse("organizations:pick")
        + "?"
        + urlencode({"purpose": permission, "field": "org_name", "target": "ledger-org"})
    )
    common: dict[str, Any] = {
        "form": form,
        "date_label": date_label,
        "my_unit_id": unit,
        "my_unit_query": mine_unit.urlencode(),
        "clear_query": _without(get, *PARAMS, "page").urlencode(),
        "picker_url": picker_url,
    }
    if not form.is_valid():
        return LedgerFilter(refused=True, org_text=str(get.get("org_name", ""))[:60], **common)
    cleaned = form.cleaned_data
    org = cleaned["org"]
    return LedgerFilter(
        org=org,
        date_from=cleaned["date_from"],
        date_to=cleaned["date_to"],
        mine=bool(cleaned["mine"]),
        org_text=(org.short_name or org.name) if org is not None else "",
        **common,
    )


class LedgerQuery(Schema):
    """The shared filters of every API list endpoint (``filters: Query[LedgerQuery]``)."""

    org: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mine: bool = False
    updated_since: dt.datetime | None = Field(
        None,
        description=(
            "Only records created or changed at or after this moment (ISO 8601 with its "
            "time zone, e.g. 2026-12-01T08:00:00+08:00), as the audit trail records every "
            "write: a sync keeps the time of its last pull and asks for what changed since."
        ),
    )


def ledger_filter_for_api(
    viewer: Actor, query: LedgerQuery | None, *, permission: str
) -> LedgerFilter:
    """The shared filters of an API list request: an organization that does not exist
    and one outside the viewer's scope get the same 422, and so does a range whose
    start is after its end (``ValidationError``, rendered as ``ErrorOut``)."""
    if query is None:
        return NO_FILTER
    org = None
    if query.org is not None:
        from taizhang.organizations.permissions import ORGANIZATION

        org = ORGANIZATION.queryset(viewer, permission).filter(pk=query.org).first()
        if org is None:
            raise ValidationError({"org": unknown_message()})
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise ValidationError({"date_to": str(_("The start date is after the end date."))})
    since = query.updated_since
    if since is not None:
        from taizhang.core.schemas import checked_moment

        since = checked_moment(since, "updated_since")
    return LedgerFilter(
        org=org,
        date_from=query.date_from,
        date_to=query.date_to,
        mine=query.mine,
        updated_since=since,
    )
