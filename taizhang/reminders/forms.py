"""Forms of the administrator's pages: a rule, an endpoint."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.reminders.channels import mask_secret
from taizhang.reminders.models import WebhookEndpoint, WebhookKind
from taizhang.reminders.permissions import ENDPOINT


class RuleForm(forms.Form):
    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    days_before = forms.IntegerField(
        label=_("Working days before the deadline"), required=False, min_value=0, max_value=30
    )
    to_webhook = forms.BooleanField(label=_("Also to the chat-tool robots"), required=False)

    def __init__(self, *args: Any, deadline_rule: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not deadline_rule:
            del self.fields["days_before"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data.setdefault("days_before", None)
        return data


class EndpointForm(forms.Form):
    org = forms.ModelChoiceField(label=_("Organization"), queryset=WebhookEndpoint.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=WebhookKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(
        label=_("Webhook URL"),
        max_length=500,
        help_text=_("The robot's address, with its key or access token."),
        assume_scheme="https",
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk robots with 加签 only. Leave empty to keep the stored one."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(
        self, *args: Any, viewer: Actor, endpoint: WebhookEndpoint | None = None, **kwargs: Any
    ) -> None:
        if endpoint is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "org": endpoint.org_id,
                "kind": endpoint.kind,
                "name": endpoint.name,
                "enabled": endpoint.enabled,
            }
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = ENDPOINT.org_choices(viewer)  # type: ignore[attr-defined]
        if endpoint is not None:
            # The stored URL carries the robot's key: it is never sent back to the page.
            self.fields["url"].required = False
            self.fields["url"].help_text = _("Leave empty to keep the stored address.")
            if endpoint.secret:
                self.fields["secret"].help_text = _(
                    "Stored: %(masked)s. Leave empty to keep it."
                ) % {"masked": mask_secret(endpoint.secret)}
