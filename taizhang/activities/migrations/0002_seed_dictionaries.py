"""Seed the kind and venue dictionaries; administrators extend them through the services."""

from django.db import migrations

KINDS = [
    ("group_study", "集中学习", 10),
    ("party_lecture", "主题党课", 20),
    ("party_day", "主题党日", 30),
    ("outreach_talk", "宣讲", 40),
    ("meeting", "会议", 50),
    ("survey", "调研/考察", 60),
    ("site_teaching", "现场教学", 70),
    ("volunteer", "志愿服务", 80),
]
VENUES = [
    ("enterprise", "企业", 10),
    ("organ", "机关", 20),
    ("campus", "校园", 30),
    ("community", "社区", 40),
    ("village", "农村", 50),
    ("online", "网络", 60),
    ("other", "其他", 90),
]


def seed(apps, schema_editor):
    ActivityKind = apps.get_model("activities", "ActivityKind")
    VenueCategory = apps.get_model("activities", "VenueCategory")
    for code, name, order in KINDS:
        ActivityKind.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})
    for code, name, order in VENUES:
        VenueCategory.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
