from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.accounts.permissions import GRANT
from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
    new_password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class GrantForm(forms.Form):
    """A new grant; the organization is chosen by its code among those the security
    administrator manages (``GRANT`` policy), so an unknown code and one outside her
    part of the tree read the same."""

    role = forms.ChoiceField(label=_("Role"))
    scope_kind = forms.ChoiceField(
        label=_("Scope"),
        help_text=_(
            "Own records only: the role applies to the records this user created, in the "
            "ledgers that keep who created a record; the organization is the user's own."
        ),
    )
    organization_code = forms.CharField(label=_("Organization code"), max_length=32)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        from taizhang.accounts.models import ScopeKind
        from taizhang.core.registry import role_choices

        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["role"].choices = role_choices()  # type: ignore[attr-defined]
        self.fields["scope_kind"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in ScopeKind.choices if value != ScopeKind.LISTED
        ]

    def clean_organization_code(self) -> Organization:
        code = self.cleaned_data["organization_code"]
        org = GRANT.org_choices(self.viewer).filter(code=code).first()
        if org is None:
            raise forms.ValidationError(_("No organization with this code in your scope."))
        return org
