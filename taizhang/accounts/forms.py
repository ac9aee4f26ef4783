from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.accounts.permissions import MANAGE_GRANTS
from taizhang.core.actors import Actor
from taizhang.organizations.widgets import OrganizationPickField, bind_viewer


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
    """A new grant; the organization is picked (or typed: code or exact name) among
    those where the security administrator holds the grant function, so an unknown one
    and one outside her part of the tree read the same."""

    role = forms.ChoiceField(label=_("Role"))
    scope_kind = forms.ChoiceField(
        label=_("Scope"),
        help_text=_(
            "Own records only: the role applies to the records this user created, in the "
            "ledgers that keep who created a record; the organization is the user's own."
        ),
    )
    # The field keeps its old name: API clients and scripts post a code under it.
    organization_code = OrganizationPickField(
        label=_("Organization"), purpose=MANAGE_GRANTS, tree=True
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        from taizhang.accounts.models import ScopeKind
        from taizhang.core.registry import ROLES, role_choices

        super().__init__(*args, **kwargs)
        self.viewer = viewer
        bind_viewer(self, viewer)
        # The audit role is given on the console only (accounts.services.grant_create).
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            (code, label) for code, label in role_choices() if ROLES[code].admin_kind != "audit"
        ]
        self.fields["scope_kind"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in ScopeKind.choices if value != ScopeKind.LISTED
        ]


class AccountForm(forms.Form):
    """A new account. A person's account may be linked to a person kept by an
    organization the security administrator manages (the ``PERSON`` policy's booking,
    read with ``accounts.manage``) who has no account yet."""

    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    kind = forms.ChoiceField(label=_("Kind"))
    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Person"),
        queryset=None,
        required=False,
        help_text=_("Optional: the person this account belongs to."),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        from taizhang.accounts.models import AccountKind
        from taizhang.accounts.permissions import MANAGE_ACCOUNTS
        from taizhang.people.permissions import PERSON

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = AccountKind.choices  # type: ignore[attr-defined]
        self.fields["person"].queryset = (  # type: ignore[attr-defined]
            PERSON.queryset(viewer, MANAGE_ACCOUNTS)
            .filter(user__isnull=True)
            .select_related("organization")
            .order_by("organization__path", "name")
        )
        self.fields["person"].label_from_instance = (  # type: ignore[attr-defined]
            lambda p: f"{p.name} · {p.organization.short_name}"
        )

    def clean(self) -> dict[str, Any]:
        from taizhang.accounts.models import AccountKind

        data = super().clean() or {}
        if data.get("kind") == AccountKind.SERVICE and data.get("person"):
            self.add_error("person", _("A service account belongs to no person."))
        return data


class ServiceTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What uses it, e.g. the data exchange with the city platform."),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3660, initial=365)
