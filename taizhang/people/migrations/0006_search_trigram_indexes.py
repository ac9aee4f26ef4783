"""Trigram (pg_trgm GIN) indexes for the searches, on PostgreSQL only (issue 20;
``core/trigram.py``)."""

from django.db import migrations

from taizhang.core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("people", "0005_personal_data_encrypted")]

    operations = [
        trigram_indexes(
            ("people_person", "name", "people_person_name_trgm"),
        )
    ]
