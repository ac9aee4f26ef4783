"""Trigram (pg_trgm GIN) indexes for the searches, on PostgreSQL only (issue 20;
``core/trigram.py``)."""

from django.db import migrations

from taizhang.core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("people", "0004_verbose_names")]

    operations = [
        trigram_indexes(
            ("people_person", "name", "people_person_name_trgm"),
        )
    ]
