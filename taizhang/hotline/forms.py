"""The work order as the platform posts it, and the administrator's endpoint form."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from taizhang.accounts.models import AccountKind, User
from taizhang.core.actors import Actor
from taizhang.core.webhooks import mask_secret
from taizhang.demands.models import DemandCategory
from taizhang.hotline.models import HotlineEndpoint
from taizhang.hotline.permissions import ENDPOINT

ORDER_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$")
PHONE = re.compile(r"^[0-9+\-() ]{3,20}$")
SIX = Decimal("0.000001")


class WorkOrderForm(forms.Form):
    """The JSON body, flattened (``requester.name`` → ``requester_name``)."""

    order_no = forms.CharField(max_length=64)
    title = forms.CharField(max_length=200, required=False)
    content = forms.CharField(max_length=4000)
    category_code = forms.CharField(max_length=40, required=False)
    requester_name = forms.CharField(max_length=100, required=False)
    requester_phone = forms.CharField(max_length=20, required=False)
    address = forms.CharField(max_length=200, required=False)
    lat = forms.DecimalField(min_value=-90, max_value=90, required=False)
    long = forms.DecimalField(min_value=-180, max_value=180, required=False)
    area_code = forms.CharField(max_length=32, required=False)

    def clean_order_no(self) -> str:
        value = str(self.cleaned_data["order_no"]).strip()
        if not ORDER_NO.match(value):
            raise ValidationError(
                _("A work-order number is letters, digits, '-', '_' or '.' (at most 64).")
            )
        return value

    def clean_requester_phone(self) -> str:
        # The value is never repeated in an answer: it is personal data.
        value = str(self.cleaned_data.get("requester_phone") or "").strip()
        if value and not PHONE.match(value):
            raise ValidationError(_("Enter a phone number of digits."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, long = data.get("lat"), data.get("long")
        if (lat is None) != (long is None) and "lat" not in self.errors:
            self.add_error("lat", _("Give both the latitude and the longitude."))
        for name in ("lat", "long"):
            if data.get(name) is not None:
                data[name] = Decimal(data[name]).quantize(SIX, rounding=ROUND_HALF_UP)
        return data


def flatten(body: dict[str, Any]) -> dict[str, Any]:
    """The form's data from the posted JSON object (numbers as text, as a form gets them)."""
    data: dict[str, Any] = {}
    requester = body.get("requester")
    if isinstance(requester, dict):
        data["requester_name"] = requester.get("name")
        data["requester_phone"] = requester.get("phone")
    for name in WorkOrderForm.base_fields:
        if name in body and not name.startswith("requester_"):
            data[name] = body[name]
    return {
        key: ("" if value is None else value if isinstance(value, str) else json_scalar(value))
        for key, value in data.items()
    }


def json_scalar(value: Any) -> str:
    if isinstance(value, (bool, dict, list)):
        return "\u0000"  # not a scalar: every field refuses it
    return str(value)


class EndpointForm(forms.Form):
    org = forms.ModelChoiceField(
        label=_("Receiving organization"), queryset=HotlineEndpoint.objects.none()
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(
        label=_("Key id"),
        max_length=40,
        help_text=_("Sent by the platform in X-Key-Id, e.g. qinglan-12345."),
    )
    account = forms.ModelChoiceField(
        label=_("Service account"),
        queryset=User.objects.none(),
        help_text=_(
            "The demands are recorded by this account: it needs the right to record "
            "demands on the organization."
        ),
    )
    push_url = forms.URLField(label=_("Push-back URL"), max_length=500, assume_scheme="https")
    default_category = forms.ModelChoiceField(
        label=_("Default demand category"),
        queryset=DemandCategory.objects.filter(is_active=True),
        help_text=_("For an order whose category code is neither mapped nor a category code."),
    )
    mapping = forms.CharField(
        label=_("Category mapping"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One per line: the platform's category code, a space, the demand category code."
        ),
    )
    shared_key = forms.CharField(
        label=_("Shared key"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to have one made; it is shown once."),
    )
    new_key = forms.BooleanField(label=_("Make a new shared key"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, *args: Any, viewer: Actor, endpoint: HotlineEndpoint | None = None, **kwargs: Any
    ) -> None:
        if endpoint is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "org": endpoint.org_id,
                "name": endpoint.name,
                "code": endpoint.code,
                "account": endpoint.account_id,
                "push_url": endpoint.push_url,
                "default_category": endpoint.default_category_id,
                "mapping": "\n".join(
                    f"{code} {category}"
                    for code, category in endpoint.mappings.values_list(
                        "platform_code", "category__code"
                    )
                ),
                "active": endpoint.active,
            }
        super().__init__(*args, **kwargs)
        orgs = ENDPOINT.org_choices(viewer)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["account"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(
                kind=AccountKind.SERVICE,
                is_active=True,
                grants__is_active=True,
                grants__organization__in=orgs,
            )
            .distinct()
            .order_by("username")
        )
        if endpoint is None:
            del self.fields["new_key"]
        else:
            self.fields["shared_key"].help_text = _(
                "Stored: %(masked)s. Leave empty to keep it."
            ) % {"masked": mask_secret(endpoint.shared_key)}

    def clean_mapping(self) -> dict[str, DemandCategory]:
        mapping: dict[str, DemandCategory] = {}
        categories = {c.code: c for c in DemandCategory.objects.filter(is_active=True)}
        for number, line in enumerate(str(self.cleaned_data.get("mapping") or "").splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or len(parts[0]) > 40 or parts[1] not in categories:
                raise ValidationError(
                    _("Line %(line)s: write a platform code and a demand category code.")
                    % {"line": number}
                )
            mapping[parts[0]] = categories[parts[1]]
        return mapping
