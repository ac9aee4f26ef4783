"""Trigram (pg_trgm GIN) indexes for the searches, on PostgreSQL only (issue 20;
``core/trigram.py``)."""

from django.db import migrations

from taizhang.core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("problems", "0009_problem_newest")]

    operations = [
        trigram_indexes(
            ("problems_problem", "title", "problems_problem_title_trgm"),
            ("problems_problem", "description", "problems_problem_description_trgm"),
        )
    ]
