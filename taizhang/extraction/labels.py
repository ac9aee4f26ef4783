"""Names of the draft kinds as a person reads them (the command's summary, the review
page). Event kinds are Chinese words of the documented list and are shown as they are."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# One context for the module: these words must not take another module's translation.

DRAFT_KINDS = {
    "person": pgettext_lazy("report extraction", "Person"),
    "organization": pgettext_lazy("report extraction", "Organization to add (external)"),
    "activity": pgettext_lazy("report extraction", "Activity"),
    "training": pgettext_lazy("report extraction", "Training class"),
    "signing": pgettext_lazy("report extraction", "Investment signing or agreement"),
    "workstation": pgettext_lazy("report extraction", "Plaque unveiled (workstation)"),
    "award": pgettext_lazy("report extraction", "Award"),
    "project": pgettext_lazy("report extraction", "Key project"),
    "reported_figure": pgettext_lazy("report extraction", "Reported figure"),
}
SECTIONS = {
    "persons": pgettext_lazy("report extraction", "Persons"),
    "organizations": pgettext_lazy("report extraction", "Organizations"),
    "projects": pgettext_lazy("report extraction", "Projects"),
    "money": pgettext_lazy("report extraction", "Money"),
    "quantities": pgettext_lazy("report extraction", "Quantities"),
    "dates": pgettext_lazy("report extraction", "Dates"),
    "events": pgettext_lazy("report extraction", "Events"),
    "figures": pgettext_lazy("report extraction", "Figures"),
    "drafts": pgettext_lazy("report extraction", "Drafts"),
}
