"""Trigram (pg_trgm GIN) indexes for the searches, on PostgreSQL only (issue 20;
``core/trigram.py``)."""

from django.db import migrations

from taizhang.core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("activities", "0007_evidence_speakers_sessions")]

    operations = [
        trigram_indexes(
            ("activities_activity", "title", "activities_activity_title_trgm"),
        )
    ]
