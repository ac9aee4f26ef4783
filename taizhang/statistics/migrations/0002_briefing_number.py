"""Briefings get their issue number (第X期), per organization and year of the period;
existing briefings are numbered in the order they were generated."""

from django.db import migrations, models


def number_existing(apps, schema_editor):
    Briefing = apps.get_model("statistics", "Briefing")
    counters: dict[tuple[int, int], int] = {}
    for briefing in Briefing.objects.order_by("created_at", "pk"):
        key = (briefing.org_id, briefing.period_start.year)
        counters[key] = counters.get(key, 0) + 1
        briefing.year, briefing.number = key[1], counters[key]
        briefing.save(update_fields=["year", "number"])


class Migration(migrations.Migration):
    dependencies = [("statistics", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="briefing",
            name="year",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="briefing",
            name="number",
            field=models.PositiveIntegerField(null=True, verbose_name="issue number"),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="briefing",
            name="year",
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(
            model_name="briefing",
            name="number",
            field=models.PositiveIntegerField(verbose_name="issue number"),
        ),
        migrations.AddConstraint(
            model_name="briefing",
            constraint=models.UniqueConstraint(
                fields=("org", "year", "number"), name="statistics_briefing_number_unique"
            ),
        ),
    ]
