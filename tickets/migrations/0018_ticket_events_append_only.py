"""The audit trail is append-only in the database (Postgres).

A row trigger refuses every UPDATE and DELETE on tickets_ticketevent, whatever issues it: the
ORM, a raw cursor, a cascade from a deleted ticket. Inserting stays allowed. TRUNCATE fires no
row trigger, so Django's test flush and the benchmark seed, which empty whole tables, still work.

A deleted person's events would have their actor set to NULL, an UPDATE the trigger refuses,
so the actor is now protected: deactivate people who acted on tickets, don't delete them.
SQLite (the embedded development database) has no trigger.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# schema_editor.execute() always interpolates parameters, hence %% for plpgsql's own %.
FORWARD = [
    "CREATE OR REPLACE FUNCTION tickets_ticketevent_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'the audit trail is append-only: %% on tickets_ticketevent refused', TG_OP "
    "USING ERRCODE = 'restrict_violation', "
    "HINT = 'Ticket events are never changed or deleted; record a new event instead.'; "
    "END $$",
    "DROP TRIGGER IF EXISTS tickets_ticketevent_append_only ON tickets_ticketevent",
    "CREATE TRIGGER tickets_ticketevent_append_only BEFORE UPDATE OR DELETE "
    "ON tickets_ticketevent FOR EACH ROW EXECUTE FUNCTION tickets_ticketevent_append_only()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_ticketevent_append_only ON tickets_ticketevent",
    "DROP FUNCTION IF EXISTS tickets_ticketevent_append_only()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0017_ticket_token_per_requester"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticketevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False),
    ]
