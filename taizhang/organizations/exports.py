"""The organization tree as an Excel list, in the columns its import reads back."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import Export, Sheet
from taizhang.organizations.imports import FIELDS, organization_row
from taizhang.organizations.models import OrgKind
from taizhang.organizations.permissions import VIEW
from taizhang.organizations.policy import scope_title
from taizhang.organizations.selectors import organization_table


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.organizations.views import list_filters

    filters = list_filters(viewer, params)
    # Tree order puts every parent before its children, so the file imports back as is.
    qs = organization_table(viewer=viewer, **filters).select_related("parent")

    kinds = {code: str(label) for code, label in OrgKind.choices}

    def rows() -> Iterator[list[Any]]:
        for org in qs.iterator(chunk_size=2000):
            yield organization_row(org, kinds)

    return Sheet(
        columns=[f.column for f in FIELDS],
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["subtree_of"]),
    )


EXPORT = Export(
    kind="organizations.organization",
    title=_("Organization list"),
    permission=VIEW,
    ascii_name="organizations",
    build=build,
)
