"""Seed the kind dictionary; administrators extend it with ``problem_kind_create``."""

from django.db import migrations

KINDS = [
    ("problem", "问题", 10),
    ("tackling", "攻关事项", 20),
    ("survey_topic", "调研课题", 30),
    ("practical_matter", "为民办实事项目", 40),
    ("secretary_led", "书记领跑项目", 50),
]


def seed(apps, schema_editor):
    ProblemKind = apps.get_model("problems", "ProblemKind")
    for code, name, order in KINDS:
        ProblemKind.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
