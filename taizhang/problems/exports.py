"""The problem list as an Excel 挂账销号台账, in the columns its import reads back."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import Column, Export, Sheet
from taizhang.organizations.policy import scope_title
from taizhang.problems.imports import FIELDS, problem_row, row_labels, with_started
from taizhang.problems.permissions import VIEW
from taizhang.problems.selectors import problem_list


def columns() -> list[Column]:
    return [f.column for f in FIELDS]


def headers() -> list[str]:
    return [column.title for column in columns()]


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    """The rows the list page shows for ``params`` (its tab and filters), in scope."""
    from taizhang.problems.views import list_filters

    filters = list_filters(viewer, params)
    qs = with_started(problem_list(viewer=viewer, **filters).prefetch_related("co_units"))

    def rows() -> Iterator[list[Any]]:
        labels = row_labels()
        for index, problem in enumerate(qs.iterator(chunk_size=2000), start=1):
            yield problem_row(index, problem, labels)

    return Sheet(
        columns=columns(),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


EXPORT = Export(
    kind="problems.problem",
    title=_("Problem ledger"),
    permission=VIEW,
    ascii_name="problems",
    build=build,
)
