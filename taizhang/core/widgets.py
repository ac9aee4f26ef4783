"""The markup every searchable picker shares (organizations, persons): a text input that
asks a scoped htmx endpoint for suggestions as the user types, a hidden id filled when
one is chosen (``static/taizhang/app.js``: ``data-pick``, ``data-clears``), and the list
the suggestions go into. Only phrasing content, so a picker is valid inside a form's
``<p>``. Each module's widget decides the URL, the shown text and the id."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

ID_SUFFIX = "_id"


def picker_value(data: Any, name: str) -> tuple[str, str]:
    """The typed text and the chosen id a picker posts."""
    return str(data.get(name, "")), str(data.get(name + ID_SUFFIX, ""))


def picker_omitted(data: Any, name: str) -> bool:
    return name not in data and name + ID_SUFFIX not in data


def render_picker(
    *, name: str, element_id: str, text: str, pk: str, url: str, placeholder: Any, kind: str = ""
) -> SafeString:
    return format_html(
        '<span class="org-picker{kind}">'
        '<input type="text" name="{name}" id="{id}" value="{text}" autocomplete="off"'
        ' placeholder="{placeholder}" role="combobox" aria-autocomplete="list"'
        ' aria-controls="{id}-list" aria-expanded="false"'
        ' hx-get="{url}" hx-trigger="input changed delay:250ms, focus"'
        ' hx-target="#{id}-list" hx-swap="innerHTML"'
        ' data-clears="{id}{suffix}">'
        '<input type="hidden" name="{name}{suffix}" id="{id}{suffix}" value="{pk}">'
        '<span class="org-picker-list" id="{id}-list" role="listbox"></span>'
        "</span>",
        kind=f" {kind}" if kind else "",
        name=name,
        id=element_id,
        text=text,
        pk=pk,
        url=url,
        suffix=ID_SUFFIX,
        placeholder=placeholder,
    )
