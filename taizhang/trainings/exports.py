"""Training classes as Excel 台账: the class ledger and the rosters with their graduates,
in the columns their imports read back, by the list's filters and the viewer's scope."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import Export, Sheet
from taizhang.organizations.policy import scope_title
from taizhang.trainings.imports import CLASS_FIELDS, ROSTER_FIELDS, class_row, roster_row
from taizhang.trainings.permissions import VIEW
from taizhang.trainings.selectors import roster_list, training_class_list

CHUNK = 2000
SUMMED = {"capacity", "trainees", "graduates"}


def build_classes(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.trainings.views import class_filters

    filters = class_filters(viewer, params)
    filters.pop("klass")
    qs = training_class_list(viewer=viewer, **filters)

    def rows() -> Iterator[list[Any]]:
        for klass in qs.iterator(chunk_size=CHUNK):
            yield class_row(klass)

    return Sheet(
        columns=[dataclasses.replace(f.column, summed=f.key in SUMMED) for f in CLASS_FIELDS],
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_roster(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.trainings.views import class_filters

    filters = class_filters(viewer, params)
    filters.pop("sort")
    qs = roster_list(viewer=viewer, **filters)
    klass = filters["klass"]

    def rows() -> Iterator[list[Any]]:
        for enrollment in qs.iterator(chunk_size=CHUNK):
            yield roster_row(enrollment)

    return Sheet(
        columns=[f.column for f in ROSTER_FIELDS],
        rows=rows(),
        count=qs.count(),
        organization_name=str(klass) if klass is not None else scope_title(viewer, VIEW),
    )


CLASS_EXPORT = Export(
    kind="trainings.training_class",
    title=_("Training class ledger"),
    permission=VIEW,
    ascii_name="training-classes",
    build=build_classes,
)
ROSTER_EXPORT = Export(
    kind="trainings.enrollment",
    title=_("Training rosters and graduates"),
    permission=VIEW,
    ascii_name="training-rosters",
    build=build_roster,
)
