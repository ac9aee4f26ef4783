"""Forms of statistics."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import ScopePolicy
from taizhang.statistics.briefings import SLOT_MAX_LENGTH, SLOTS
from taizhang.statistics.figures import visible_metrics
from taizhang.statistics.indicators import FIXED_FIELDS
from taizhang.statistics.models import Direction, IndicatorSource
from taizhang.statistics.periods import Period, PeriodError
from taizhang.statistics.permissions import BRIEFING, COMPOSITE, INDICATOR

# Briefings are written for committees, subdistricts, organs and communities, not for
# grids and buildings: the choice lists the top levels of the viewer's scope.
BRIEFING_DEPTH = 3


def top_levels(viewer: Actor, policy: ScopePolicy[Any]) -> tuple[Any, int | None]:
    """The active organizations where ``policy`` lets the viewer create rows, limited
    to the top ``BRIEFING_DEPTH`` levels of them, and the depth of the highest."""
    choices = policy.org_choices(viewer).filter(is_active=True)
    top = choices.values_list("depth", flat=True).first()
    if top is not None:
        choices = choices.filter(depth__lte=top + BRIEFING_DEPTH - 1)
    return choices, top


class BriefingForm(forms.Form):
    org = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organization"))
    period = forms.CharField(
        label=_("Reporting period"),
        max_length=30,
        help_text=_("2026-11, 2026-Q3, 2026 or 2026-01-05..2026-03-20"),
    )
    include_empty = forms.BooleanField(
        label=_("Include empty sections"),
        required=False,
        help_text=_("Also the sections of the organization's level that have no records."),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices, top = top_levels(viewer, BRIEFING)
        self.fields["org"].queryset = choices  # type: ignore[attr-defined]
        self.fields["org"].label_from_instance = lambda org: (  # type: ignore[attr-defined]
            "　" * max(org.depth - (top or 0), 0) + org.name
        )

    def clean_period(self) -> Period:
        try:
            period = Period.parse(self.cleaned_data["period"], today=timezone.localdate())
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if period.start > timezone.localdate():
            raise forms.ValidationError(_("The period has not begun yet."))
        return period


class IndicatorForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Defined by"))
    name = forms.CharField(label=_("Indicator"), max_length=120)
    unit = forms.CharField(label=_("Unit of measure"), max_length=20, required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    source = forms.ChoiceField(
        label=pgettext_lazy("indicator", "Source"), choices=IndicatorSource.choices
    )
    metric = forms.ChoiceField(label=_("Metric"), required=False)
    min_cases = forms.IntegerField(
        label=_("Minimum cases to be ranked"),
        min_value=0,
        max_value=100_000,
        initial=3,
        help_text=_("A unit with fewer records in the period is listed but not ranked."),
    )
    description = forms.CharField(
        label=_("Indicator description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners, _top = top_levels(viewer, INDICATOR)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["metric"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (metric.name, metric.label) for metric in visible_metrics(viewer)
        ]


class IndicatorEditForm(IndicatorForm):
    """The wording and ranking rule of an indicator. Who set it and what it measures
    stay as they are: targets and actuals were given for that."""

    FIXED = ("owner", *FIXED_FIELDS)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        for name in self.FIXED:
            del self.fields[name]


class TargetForm(forms.Form):
    target = forms.DecimalField(
        label=pgettext_lazy("indicator", "Target"), min_value=0, max_digits=22, decimal_places=2
    )


class ActualForm(forms.Form):
    value = forms.DecimalField(
        label=_("Actual value"), min_value=0, max_digits=22, decimal_places=2
    )
    cases = forms.IntegerField(label=pgettext_lazy("indicator", "Cases"), min_value=0, initial=1)
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=_("Evidence file"), required=False)


class BriefingStyleForm(forms.Form):
    masthead = forms.CharField(label=_("Masthead"), max_length=60, required=False)
    issuer = forms.CharField(label=_("Issuing office"), max_length=60, required=False)
    bao = forms.CharField(label=_("Reported to (报)"), max_length=300, required=False)
    song = forms.CharField(label=_("Sent to (送)"), max_length=300, required=False)
    fa = forms.CharField(label=_("Issued to (发)"), max_length=300, required=False)
    template = forms.FileField(label=_("Word template (.docx)"), required=False)


class BriefingDraftForm(forms.Form):
    """The narrative of a draft, per section: ``<module>-<slot>`` text areas, and
    ``<module>-figures``, the figures' sentence as shown (hidden, sent back so the
    service can refuse a changed one)."""

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                f"{row.module}-{slot}": value
                for row in rows
                for slot, value in [
                    *((s, getattr(row, s)) for s in SLOTS),
                    ("figures", row.figures_text),
                ]
            },
        )
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"{row.module}-figures"] = forms.CharField(
                required=False, strip=False, widget=forms.HiddenInput
            )
            for slot, label in SLOTS.items():
                self.fields[f"{row.module}-{slot}"] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=SLOT_MAX_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def sections(self) -> dict[str, dict[str, str]]:
        """What the service takes: ``{module: {slot: text, "figures": sentence}}``."""
        return {
            row.module: {
                name: self.cleaned_data[f"{row.module}-{name}"] for name in [*SLOTS, "figures"]
            }
            for row in self.rows
        }


class BriefingCorrectionForm(forms.Form):
    section = forms.ChoiceField(label=pgettext_lazy("briefing", "Section"), required=False)
    text = forms.CharField(
        label=_("What it should say"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=_("Why it is corrected"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [  # type: ignore[attr-defined]
            ("", _("The whole briefing")),
            *((row.module, row.title) for row in rows),
        ]


class CompositeForm(forms.Form):
    """A composite score (综合考评) set up for an organization's units and a year."""

    owner = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Defined by"))
    name = forms.CharField(label=_("Composite name"), max_length=120)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners, _top = top_levels(viewer, COMPOSITE)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["year"].initial = timezone.localdate().year


class WeightsForm(forms.Form):
    """One weight (%) per indicator the composite may weigh, ``w<id>``; empty leaves the
    indicator out. The service checks the sum (100) and the count (two at least)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, indicators: list[Any], current: dict[int, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        for indicator in indicators:
            self.fields[f"w{indicator.pk}"] = forms.DecimalField(
                label=f"{indicator.name}（{indicator.owner.short_name or indicator.owner.name}）",
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=100,
                required=False,
                initial=current.get(indicator.pk),
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )

    def weights(self) -> dict[Any, Any]:
        return {
            indicator: self.cleaned_data[f"w{indicator.pk}"]
            for indicator in self.indicators
            if self.cleaned_data.get(f"w{indicator.pk}")
        }
