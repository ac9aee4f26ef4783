from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0003_alter_problem_category_alter_problem_deadline_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="problemkind",
            name="self_close_allowed",
            field=models.BooleanField(
                default=False,
                verbose_name="may be closed out by whoever raised it or submitted its evidence",
            ),
        ),
    ]
