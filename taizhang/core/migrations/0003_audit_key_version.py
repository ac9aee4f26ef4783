# Audit key versions (issue 12): every event records the key version that sealed it.

from django.db import migrations, models
from django.db.models import Max


def mark_legacy_events(apps, schema_editor):
    """Events sealed before this migration keep their original digest, which does not
    cover key_version; the head records where they end so verify reads them that way."""
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditHead = apps.get_model("core", "AuditHead")
    newest = AuditEvent.objects.aggregate(newest=Max("id"))["newest"] or 0
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        if newest:
            AuditHead.objects.create(pk=1, legacy_through=newest)
        return
    head.legacy_through = max(newest, head.last_event_id)
    head.save(update_fields=["legacy_through"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_workdayoverride"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="audithead",
            name="legacy_through",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(mark_legacy_events, migrations.RunPython.noop),
    ]
