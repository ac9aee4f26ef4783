"""Late entries (补录) on steps, and the day of the last follow-up on the demand."""

from typing import Any

from django.db import migrations, models
from django.utils import timezone


def fill_followed_up_on(apps: Any, schema_editor: Any) -> None:
    """The last follow-up (concluding or reopening) of each demand already recorded."""
    Demand = apps.get_model("demands", "Demand")
    DemandStep = apps.get_model("demands", "DemandStep")
    last: dict[int, Any] = {}
    steps = DemandStep.objects.filter(action__in=["follow_up", "reopen"]).order_by("occurred_at")
    for demand_id, occurred_at in steps.values_list("demand_id", "occurred_at").iterator():
        last[demand_id] = timezone.localtime(occurred_at).date()
    for demand_id, day in last.items():
        Demand.objects.filter(pk=demand_id).update(followed_up_on=day)


class Migration(migrations.Migration):
    dependencies = [
        ("demands", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="demand",
            name="followed_up_on",
            field=models.DateField(blank=True, null=True, verbose_name="followed up on"),
        ),
        migrations.AddField(
            model_name="demandstep",
            name="entered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="demandstep",
            name="late_reason",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="reason for the late entry"
            ),
        ),
        migrations.RunPython(fill_followed_up_on, migrations.RunPython.noop),
    ]
