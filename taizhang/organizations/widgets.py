"""The organization picker: a form field any module can use where a code was typed.

``OrganizationPickField(purpose="module.function")`` renders a text input that asks
``/organizations/pick/`` for suggestions as the user types (htmx) and a hidden id
filled when one is chosen. Without JavaScript the text alone is enough: a code, or an
exact name or short name, is resolved on the server. Either way the organization is
looked up among those where the form's viewer holds ``purpose`` (through the
ORGANIZATION policy), so an unknown value and one outside the scope read the same.
The form sets the viewer: ``self.fields["org"].viewer = viewer`` (or ``bind_viewer``).
``tree=True`` adds a button that opens the tree level by level (``/organizations/pick/
tree/``), for the forms where where a unit sits matters: a move, a grant.

``OrganizationMultiPickField(source="problems.co_units")`` chooses several among a
module's own set (``core.registry.OrgSource``): the chosen ones are ticked boxes, and
names or codes typed without JavaScript (separated by 、 or commas) are resolved among
the candidates.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.forms.renderers import BaseRenderer
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.core.registry import ORG_SOURCES

# Forms import bind_viewer from here as well as from core.
from taizhang.core.widgets import bind_viewer as bind_viewer
from taizhang.core.widgets import (
    multi_picker_changed,
    multi_picker_ids,
    multi_picker_omitted,
    multi_picker_value,
    picker_omitted,
    picker_value,
    render_multi_picker,
    render_picker,
    split_names,
)
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.organizations.selectors import organization_pick_one


class OrganizationPickerWidget(forms.Widget):
    """A text input with htmx suggestions and a hidden id; see the module docstring."""

    def __init__(
        self, purpose: str, attrs: dict[str, Any] | None = None, *, tree: bool = False
    ) -> None:
        super().__init__(attrs)
        self.purpose = purpose
        self.tree = tree

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, str]:
        return picker_value(data, name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return picker_omitted(data, name)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        text, pk = "", ""
        if isinstance(value, Organization):
            text, pk = value.code, str(value.pk)
        elif isinstance(value, tuple | list):
            text, pk = str(value[0] or ""), str(value[1] or "")
        elif value:
            text = str(value)
        element_id = (attrs or {}).get("id") or f"id_{name}"
        url = (
            reverse("organizations:pick")
            + "?"
            + urlencode({"purpose": self.purpose, "field": name, "target": element_id})
        )
        browse_url = (
            reverse("organizations:pick_tree")
            + "?"
            + urlencode({"purpose": self.purpose, "target": element_id})
            if self.tree
            else ""
        )
        return render_picker(
            name=name,
            element_id=element_id,
            text=text,
            pk=pk,
            url=url,
            placeholder=_("Code or name"),
            browse_url=browse_url,
            browse_label=_("Browse the tree"),
        )


class OrganizationPickField(forms.Field):
    """An organization where the viewer holds ``purpose``; closed ones are refused
    unless ``open_only=False``. ``clean`` returns the Organization."""

    needs_viewer = True

    default_error_messages = {
        "unknown": _("No such organization in your data scope."),
        "ambiguous": _("Several organizations have this name: choose one from the list."),
    }

    def __init__(
        self, *, purpose: str, open_only: bool = True, tree: bool = False, **kwargs: Any
    ) -> None:
        self.purpose = purpose
        self.open_only = open_only
        self.viewer: Actor | None = None
        kwargs.setdefault("widget", OrganizationPickerWidget(purpose, tree=tree))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Organization | None:
        text, pk = value if isinstance(value, tuple | list) else (str(value or ""), "")
        text, pk = text.strip(), str(pk).strip()
        if not text and not pk:
            return None
        if self.viewer is None:
            raise TypeError("OrganizationPickField needs the form's viewer")
        if pk:
            qs = ORGANIZATION.queryset(self.viewer, self.purpose).filter(
                pk=pk if pk.isdigit() else 0
            )
            if self.open_only:
                qs = qs.filter(closed_on__isnull=True)
            found = qs.first()
            if found is None:
                raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
            return found
        matches = organization_pick_one(
            viewer=self.viewer, text=text, permission=self.purpose, open_only=self.open_only
        )
        if not matches:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        if len(matches) > 1:
            raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous")
        return matches[0]


class OrganizationMultiPickerWidget(forms.Widget):
    """Ticked boxes for the chosen units and a search input. It renders what
    ``OrganizationMultiPickField.prepare_value`` gives: ([(id, label)], text)."""

    def __init__(self, source: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.source = source

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[list[str], str]:
        return multi_picker_value(data, name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return multi_picker_omitted(data, name)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        chosen, text = value if isinstance(value, tuple) else ([], "")
        element_id = (attrs or {}).get("id") or f"id_{name}"
        url = (
            reverse("organizations:pick")
            + "?"
            + urlencode({"source": self.source, "field": f"{name}_text", "target": element_id})
        )
        return render_multi_picker(
            name=name,
            element_id=element_id,
            chosen=chosen,
            text=text,
            url=url,
            placeholder=_("Type a name or code to add"),
            label=_("Chosen"),
        )


class OrganizationMultiPickField(forms.Field):
    """Organizations among the candidates of ``source``; ``clean`` returns a list."""

    needs_viewer = True

    default_error_messages = {
        "unknown": _("No such organization among those you may choose here."),
        "unknown_names": _("No organization of this name or code to choose here: %(names)s"),
        "ambiguous": _(
            "Several organizations are called %(names)s: choose the one you mean from the list."
        ),
    }

    def __init__(self, *, source: str, **kwargs: Any) -> None:
        self.source = source
        self.viewer: Actor | None = None
        kwargs.setdefault("widget", OrganizationMultiPickerWidget(source))
        super().__init__(**kwargs)

    def candidates(self) -> QuerySet[Organization]:
        if self.viewer is None:
            raise TypeError("OrganizationMultiPickField needs the form's viewer")
        return ORG_SOURCES[self.source].candidates(self.viewer)

    def prepare_value(self, value: Any) -> tuple[list[tuple[int, str]], str]:
        """The chosen units with their short names, looked up among the candidates only,
        and the text as typed."""
        pks, text = multi_picker_ids(value) or ([], "")
        if not pks or self.viewer is None:
            return [], text
        names = dict(self.candidates().filter(pk__in=pks).values_list("pk", "short_name"))
        return [(pk, names[pk]) for pk in pks if pk in names], text

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            chosen = self.to_python(data)
        except forms.ValidationError:
            return True
        return multi_picker_changed(initial, chosen)

    def to_python(self, value: Any) -> list[Organization]:
        parsed = multi_picker_ids(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        pks, text = parsed
        candidates = self.candidates()
        found = {o.pk: o for o in candidates.filter(pk__in=pks)} if pks else {}
        if len(found) != len(set(pks)):
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        result = [found[pk] for pk in pks]
        missing: list[str] = []
        ambiguous: list[str] = []
        for entry in split_names(text):
            matches = list(candidates.filter(code=entry)) or list(
                candidates.filter(Q(name=entry) | Q(short_name=entry))[:2]
            )
            if not matches:
                missing.append(entry)
            elif len(matches) > 1:
                ambiguous.append(entry)
            elif matches[0] not in result:
                result.append(matches[0])
        errors = []
        if missing:
            errors.append(
                forms.ValidationError(
                    self.error_messages["unknown_names"],
                    code="unknown",
                    params={"names": "、".join(missing)},
                )
            )
        if ambiguous:
            errors.append(
                forms.ValidationError(
                    self.error_messages["ambiguous"],
                    code="ambiguous",
                    params={"names": "、".join(ambiguous)},
                )
            )
        if errors:
            raise forms.ValidationError(errors)
        return result
