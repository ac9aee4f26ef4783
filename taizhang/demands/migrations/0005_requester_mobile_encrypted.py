"""Requesters' mobiles encrypted at rest, with a keyed hash for equality (ADR 0058).

The data step encrypts every existing row in batches of 1,000 by primary key under the
current data key (TAIZHANG_DATA_KEYS must be set before migrating). Reversing writes the
plaintext back."""

from django.db import migrations

import taizhang.core.crypto


def encrypt_rows(apps, schema_editor):
    taizhang.core.crypto.reencrypt(apps.get_model("demands", "DemandRequester"))


def decrypt_rows(apps, schema_editor):
    taizhang.core.crypto.decrypt_all(apps.get_model("demands", "DemandRequester"))


class Migration(migrations.Migration):
    dependencies = [("demands", "0004_verbose_names")]

    operations = [
        migrations.AlterField(
            model_name="demandrequester",
            name="mobile",
            field=taizhang.core.crypto.EncryptedCharField(
                blank=True, max_length=20, verbose_name="contact mobile"
            ),
        ),
        migrations.AddField(
            model_name="demandrequester",
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
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
