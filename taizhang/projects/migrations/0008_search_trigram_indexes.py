"""Trigram (pg_trgm GIN) indexes for the searches, on PostgreSQL only (issue 20;
``core/trigram.py``)."""

from django.db import migrations

from taizhang.core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_start_batches")]

    operations = [
        trigram_indexes(
            ("projects_project", "name", "projects_project_name_trgm"),
            ("projects_project", "location", "projects_project_location_trgm"),
        )
    ]
