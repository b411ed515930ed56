"""Word search in the open queues: a trigram index over open tickets only.

The whole-table trigram index grows with history, so a search of the open queue
(the default) would read more index every year. This partial one stays as small as
the open backlog, and the planner picks it whenever the query asks for open tickets.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS ticket_open_subject_trgm ON tickets_ticket "
    "USING gin (UPPER(subject) gin_trgm_ops) WHERE status IN ('new', 'open', 'pending')",
]
DROP = ["DROP INDEX IF EXISTS ticket_open_subject_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_team_flow_indexes")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
