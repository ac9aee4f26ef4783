"""ID numbers and mobiles encrypted at rest, with keyed hashes for equality (ADR 0058).

The data step encrypts every existing row in batches of 1,000 by primary key (a million
persons never load at once) under the current data key, so TAIZHANG_DATA_KEYS must be
set before migrating (production refuses to start without it anyway). Reversing writes
the plaintext back."""

from django.db import migrations

import taizhang.core.crypto


def encrypt_rows(apps, schema_editor):
    taizhang.core.crypto.reencrypt(apps.get_model("people", "Person"))


def decrypt_rows(apps, schema_editor):
    taizhang.core.crypto.decrypt_all(apps.get_model("people", "Person"))


class Migration(migrations.Migration):
    dependencies = [("people", "0004_verbose_names")]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="mobile",
            field=taizhang.core.crypto.EncryptedCharField(
                blank=True, max_length=20, verbose_name="mobile number"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="id_number",
            field=taizhang.core.crypto.EncryptedCharField(
                blank=True, max_length=18, verbose_name="ID number"
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="mobile_hash",
            field=taizhang.core.crypto.BlindIndexField(
                blank=True,
                db_default="",
                db_index=True,
                default="",
                editable=False,
                max_length=64,
                source="mobile",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="id_number_hash",
            field=taizhang.core.crypto.BlindIndexField(
                blank=True,
                db_default="",
                db_index=True,
                default="",
                editable=False,
                max_length=64,
                normalize="upper",
                source="id_number",
            ),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
