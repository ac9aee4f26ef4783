# Subsidy policies become a dictionary (issue 12): every policy text already paid under
# becomes an entry, and each payment points to its entry.

import django.db.models.deletion
from django.db import migrations, models


def texts_to_policies(apps, schema_editor):
    Subsidy = apps.get_model("investment", "Subsidy")
    SubsidyPolicy = apps.get_model("investment", "SubsidyPolicy")
    names = Subsidy.objects.order_by("policy_text").values_list("policy_text", flat=True).distinct()
    for order, name in enumerate(names, start=1):
        policy = SubsidyPolicy.objects.create(name=name, sort_order=order * 10)
        Subsidy.objects.filter(policy_text=name).update(policy=policy)


def policies_to_texts(apps, schema_editor):
    Subsidy = apps.get_model("investment", "Subsidy")
    for subsidy in Subsidy.objects.select_related("policy"):
        subsidy.policy_text = subsidy.policy.name
        subsidy.save(update_fields=["policy_text"])


class Migration(migrations.Migration):

    dependencies = [
        ("investment", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SubsidyPolicy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=120, unique=True, verbose_name="policy name")),
                ("issued_by", models.CharField(blank=True, max_length=120, verbose_name="issued by")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                ("sort_order", models.IntegerField(default=100, verbose_name="sort order")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
            ],
            options={
                "verbose_name": "subsidy policy",
                "verbose_name_plural": "subsidy policies",
                "ordering": ["sort_order", "name"],
            },
        ),
        migrations.RenameField(model_name="subsidy", old_name="policy", new_name="policy_text"),
        migrations.AddField(
            model_name="subsidy",
            name="policy",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subsidies",
                to="investment.subsidypolicy",
                verbose_name="policy",
            ),
        ),
        migrations.RunPython(texts_to_policies, policies_to_texts),
        migrations.AlterField(
            model_name="subsidy",
            name="policy",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subsidies",
                to="investment.subsidypolicy",
                verbose_name="policy",
            ),
        ),
        migrations.RemoveField(model_name="subsidy", name="policy_text"),
    ]
