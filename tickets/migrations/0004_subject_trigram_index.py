"""Word search over ticket subjects: a trigram index on Postgres.

The queue's search is `subject__icontains`, which Django writes as
UPPER(subject) LIKE UPPER('%word%'); a GIN trigram index on UPPER(subject) serves that
expression, so a search over a million tickets reads the index, not the table.
SQLite (the embedded development database) has no such index and needs none.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ticket_subject_trgm ON tickets_ticket USING gin (UPPER(subject) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS ticket_subject_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_queue_indexes")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
