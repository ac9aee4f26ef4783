"""On PostgreSQL the database itself keeps the audit trail append-only (issue 19): a row
trigger refuses every UPDATE and DELETE of ``core_auditevent``, except the one update
``audit_record`` makes to seal a row it has just inserted (the digest covers the id, so
the row is inserted with a ``pending-…`` digest and sealed right after; nothing else may
change). Tampering then needs the table owner's rights to disable the trigger, which a
deployment keeps from the application role (docs/deploy.md). SQLite has no roles, so
there the chain and the head (``audit verify``) are the protection.

``TRUNCATE`` is left to the table owner: test runs and ``flush`` empty tables with it.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION taizhang_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.digest LIKE 'pending-%%'
       AND (to_jsonb(NEW) - 'digest') = (to_jsonb(OLD) - 'digest') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only: %% refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION taizhang_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS taizhang_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_audit_review")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
