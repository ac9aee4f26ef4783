"""The people register as an Excel 台账, in the columns its import reads back.

Mobile and ID numbers leave masked unless the viewer holds ``people.view_personal`` on
the person's organization. When an export carries any in clear, that is a reveal like
the person page's: one ``person.reveal`` event names the export and how many persons'
data it showed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from taizhang.core.audit import audit_record
from taizhang.core.exports import Export, Sheet
from taizhang.organizations.policy import scope_title
from taizhang.people.imports import FIELDS, KIND, person_row
from taizhang.people.models import Position
from taizhang.people.permissions import PERSON, VIEW, VIEW_PERSONAL
from taizhang.people.selectors import person_list


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.people.views import list_filters

    filters = list_filters(viewer, params)
    qs = (
        person_list(viewer=viewer, **filters)
        .order_by("organization__path", "name", "pk")
        .prefetch_related(
            Prefetch(
                "positions",
                queryset=Position.objects.filter(end_date__isnull=True)
                .select_related("organization")
                .order_by("start_date", "pk"),
                to_attr="current_positions",
            )
        )
    )
    personal = PERSON.scope(viewer, VIEW_PERSONAL)

    def rows() -> Iterator[list[Any]]:
        revealed = 0
        for person in qs.iterator(chunk_size=2000):
            reveal = personal.covers(person.organization) and bool(
                person.mobile or person.id_number
            )
            revealed += reveal
            yield person_row(person, reveal=reveal)
        if revealed:
            with transaction.atomic():
                audit_record(
                    actor=viewer,
                    action="person.reveal",
                    object_type="people.person",
                    object_repr=str(EXPORT.title),
                    changes={
                        "fields": ["mobile", "id_number"],
                        "export": KIND,
                        "persons": revealed,
                        "filters": dict(params),
                    },
                )

    return Sheet(
        # Several positions share a cell: those cells wrap, dates included.
        columns=[replace(f.column, wrap=True) if f.many else f.column for f in FIELDS],
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["subtree_of"]),
    )


EXPORT = Export(
    kind=KIND,
    title=_("People register"),
    permission=VIEW,
    ascii_name="people",
    build=build,
)
