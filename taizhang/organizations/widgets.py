"""The organization picker: a form field any module can use where a code was typed.

``OrganizationPickField(purpose="module.function")`` renders a text input that asks
``/organizations/pick/`` for suggestions as the user types (htmx) and a hidden id
filled when one is chosen. Without JavaScript the text alone is enough: a code, or an
exact name or short name, is resolved on the server. Either way the organization is
looked up among those where the form's viewer holds ``purpose`` (through the
ORGANIZATION policy), so an unknown value and one outside the scope read the same.
The form sets the viewer: ``self.fields["org"].viewer = viewer`` (or ``bind_viewer``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.core.widgets import picker_omitted, picker_value, render_picker
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.organizations.selectors import organization_pick_one


class OrganizationPickerWidget(forms.Widget):
    """A text input with htmx suggestions and a hidden id; see the module docstring."""

    def __init__(self, purpose: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.purpose = purpose

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
        return render_picker(
            name=name,
            element_id=element_id,
            text=text,
            pk=pk,
            url=url,
            placeholder=_("Code or name"),
        )


class OrganizationPickField(forms.Field):
    """An organization where the viewer holds ``purpose``; closed ones are refused
    unless ``open_only=False``. ``clean`` returns the Organization."""

    default_error_messages = {
        "unknown": _("No such organization in your data scope."),
        "ambiguous": _("Several organizations have this name: choose one from the list."),
    }

    def __init__(self, *, purpose: str, open_only: bool = True, **kwargs: Any) -> None:
        self.purpose = purpose
        self.open_only = open_only
        self.viewer: Actor | None = None
        kwargs.setdefault("widget", OrganizationPickerWidget(purpose))
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


def bind_viewer(form: forms.BaseForm, viewer: Actor) -> None:
    """Give every picker field of ``form`` its viewer (call in the form's __init__)."""
    for field in form.fields.values():
        if isinstance(field, OrganizationPickField):
            field.viewer = viewer
