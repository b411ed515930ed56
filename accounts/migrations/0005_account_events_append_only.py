"""People's access changes are an append-only audit trail in the database (Postgres).

As tickets/migrations/0018_ticket_events_append_only.py does for ticket events: a row trigger
refuses every UPDATE and DELETE on accounts_accountevent, whatever issues it (the ORM, a raw
cursor, a cascade). Inserting stays allowed; TRUNCATE fires no row trigger, so Django's test
flush still works. The people and teams an event names are protected (PROTECT), since setting
them to NULL would be an UPDATE. SQLite (the embedded development database) has no trigger.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# schema_editor.execute() always interpolates parameters, hence %% for plpgsql's own %.
FORWARD = [
    "CREATE OR REPLACE FUNCTION accounts_accountevent_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'the audit trail is append-only: %% on accounts_accountevent refused', TG_OP "
    "USING ERRCODE = 'restrict_violation', "
    "HINT = 'Account events are never changed or deleted; record a new event instead.'; "
    "END $$",
    "DROP TRIGGER IF EXISTS accounts_accountevent_append_only ON accounts_accountevent",
    "CREATE TRIGGER accounts_accountevent_append_only BEFORE UPDATE OR DELETE "
    "ON accounts_accountevent FOR EACH ROW EXECUTE FUNCTION accounts_accountevent_append_only()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS accounts_accountevent_append_only ON accounts_accountevent",
    "DROP FUNCTION IF EXISTS accounts_accountevent_append_only()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_session_epoch"),
    ]

    operations = [
        migrations.CreateModel(
            name='AccountEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('role_changed', 'Role changed'), ('deactivated', 'Deactivated'), ('reactivated', 'Reactivated'), ('team_added', 'Added to a team'), ('team_removed', 'Removed from a team'), ('team_lead_changed', 'Team lead changed')], max_length=32)),
                ('before', models.JSONField(default=dict)),
                ('after', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_events', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='account_events', to='accounts.team')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['person', '-created_at'], name='account_event_person')],
            },
        ),
        migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False),
    ]
