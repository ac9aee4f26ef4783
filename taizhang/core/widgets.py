"""The markup every searchable picker shares (organizations, persons): a text input that
asks a scoped htmx endpoint for suggestions as the user types, a hidden id filled when
one is chosen (``static/taizhang/app.js``: ``data-pick``, ``data-clears``), and the list
the suggestions go into. Only phrasing content, so a picker is valid inside a form's
``<p>``. Each module's widget decides the URL, the shown text and the id.

A multiple picker (``render_multi_picker``: co-units, team members) shows what is chosen
as ticked checkboxes named after the field, so the form posts them with or without
JavaScript; a choice from the suggestions adds one (``data-multi``), unticking drops it.
Its text input is ``<name>_text``: names typed there without JavaScript, separated by
、 or commas, are resolved on the server."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

ID_SUFFIX = "_id"
TEXT_SUFFIX = "_text"


def picker_value(data: Any, name: str) -> tuple[str, str]:
    """The typed text and the chosen id a picker posts."""
    return str(data.get(name, "")), str(data.get(name + ID_SUFFIX, ""))


def picker_omitted(data: Any, name: str) -> bool:
    return name not in data and name + ID_SUFFIX not in data


def render_picker(
    *,
    name: str,
    element_id: str,
    text: str,
    pk: str,
    url: str,
    placeholder: Any,
    kind: str = "",
    browse_url: str = "",
    browse_label: Any = "",
) -> SafeString:
    """``browse_url`` adds a button that opens the choices as a tree, level by level,
    in the same list (organizations, where the tree matters: a move, a grant)."""
    browse = (
        format_html(
            '<button type="button" class="btn secondary small pick-browse" hx-get="{}"'
            ' hx-target="#{}-list" hx-swap="innerHTML" aria-controls="{}-list">{}</button>',
            browse_url,
            element_id,
            element_id,
            browse_label,
        )
        if browse_url
        else ""
    )
    return format_html(
        '<span class="org-picker{kind}">'
        '<input type="text" name="{name}" id="{id}" value="{text}" autocomplete="off"'
        ' placeholder="{placeholder}" role="combobox" aria-autocomplete="list"'
        ' aria-controls="{id}-list" aria-expanded="false"'
        ' hx-get="{url}" hx-trigger="input changed delay:250ms, focus"'
        ' hx-target="#{id}-list" hx-swap="innerHTML"'
        ' data-clears="{id}{suffix}">'
        '<input type="hidden" name="{name}{suffix}" id="{id}{suffix}" value="{pk}">'
        "{browse}"
        '<span class="org-picker-list" id="{id}-list" role="listbox"></span>'
        "</span>",
        kind="".join(f" {k}" for k in (kind, "browsable" if browse_url else "") if k),
        browse=browse,
        name=name,
        id=element_id,
        text=text,
        pk=pk,
        url=url,
        suffix=ID_SUFFIX,
        placeholder=placeholder,
    )


def multi_picker_value(data: Any, name: str) -> tuple[list[str], str]:
    """The ids a multiple picker posts (its ticked choices) and the names typed."""
    ids = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
    if isinstance(ids, str | int):
        ids = [ids]
    return [str(i) for i in ids if str(i).strip()], str(data.get(name + TEXT_SUFFIX, ""))


def multi_picker_omitted(data: Any, name: str) -> bool:
    # An empty multiple choice posts nothing: like a checkbox list, never "omitted".
    return False


def multi_picker_ids(value: Any) -> tuple[list[int], str] | None:
    """A multiple picker field's value as (ids in the order chosen, each once; the typed
    text): from what the widget posts, or from an initial list of objects or ids. None
    when a posted id is not a number (the field reports it like an unknown one)."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        ids, text = value
    else:
        ids, text = value or [], ""
    pks = [str(getattr(i, "pk", i)).strip() for i in ids]
    if not all(pk.isdigit() for pk in pks):
        return None
    return list(dict.fromkeys(int(pk) for pk in pks)), text


def multi_picker_changed(initial: Any, chosen: Any) -> bool:
    """Whether a multiple picker's choice differs from ``initial`` (objects or ids),
    whatever the order."""
    before = multi_picker_ids(initial or [])
    after = multi_picker_ids(chosen or [])
    return before is None or after is None or set(before[0]) != set(after[0])


def split_names(text: str) -> list[str]:
    """Names typed into a multiple picker: separated by 、 , ， ; ； or new lines."""
    return [part.strip() for part in re.split(r"[、,，;；\n\r]+", text or "") if part.strip()]


def render_multi_picker(
    *,
    name: str,
    element_id: str,
    chosen: Iterable[tuple[Any, str]],
    text: str,
    url: str,
    placeholder: Any,
    label: Any,
    kind: str = "",
) -> SafeString:
    """``chosen`` is (id, label) of what is picked so far."""
    chips = format_html_join(
        "",
        '<label class="chip"><input type="checkbox" name="{}" value="{}" checked> {}</label>',
        ((name, pk, shown) for pk, shown in chosen),
    )
    return format_html(
        '<span class="org-picker multi-picker{kind}" data-multi="{name}">'
        '<span class="chips" id="{id}-chosen" aria-label="{label}">{chips}</span>'
        '<input type="text" name="{name}{text_suffix}" id="{id}" value="{text}"'
        ' autocomplete="off" placeholder="{placeholder}" role="combobox"'
        ' aria-autocomplete="list" aria-controls="{id}-list" aria-expanded="false"'
        ' hx-get="{url}" hx-trigger="input changed delay:250ms, focus"'
        ' hx-target="#{id}-list" hx-swap="innerHTML">'
        '<span class="org-picker-list" id="{id}-list" role="listbox"></span>'
        "</span>",
        kind=f" {kind}" if kind else "",
        name=name,
        id=element_id,
        label=label,
        chips=chips,
        text=text,
        text_suffix=TEXT_SUFFIX,
        url=url,
        placeholder=placeholder,
    )


def bind_viewer(form: Any, viewer: Any) -> None:
    """Give every picker field of ``form`` (one whose class says ``needs_viewer``) the
    viewer its candidates are scoped to; call it in the form's ``__init__``."""
    for field in form.fields.values():
        if getattr(field, "needs_viewer", False):
            field.viewer = viewer
