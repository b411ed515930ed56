"""Keep word search fast as tickets change: Postgres upkeep settings for the tickets table.

- The trigram indexes take new entries straight into the index (`fastupdate = off`).
  With the default, new entries wait in a pending list that every search reads in full
  until a vacuum merges it; tickets are written a few times a minute and searched all
  day, so the writes can pay.
- Every ticket change writes new index entries; autovacuum clears the old ones after 2 %
  of the table has changed rather than 20 %, and always cleans the indexes too, so a
  search does not wade through thousands of dead entries.
"""

from django.db import migrations

TRIGRAM_INDEXES = ["ticket_subject_trgm", "ticket_open_subject_trgm"]
FORWARD = [
    *(f"ALTER INDEX IF EXISTS {name} SET (fastupdate = off)" for name in TRIGRAM_INDEXES),
    *(f"SELECT gin_clean_pending_list('{name}'::regclass)" for name in TRIGRAM_INDEXES),
    "ALTER TABLE tickets_ticket SET (autovacuum_vacuum_scale_factor = 0.02, vacuum_index_cleanup = on)",
]
BACKWARD = [
    *(f"ALTER INDEX IF EXISTS {name} RESET (fastupdate)" for name in TRIGRAM_INDEXES),
    "ALTER TABLE tickets_ticket RESET (autovacuum_vacuum_scale_factor, vacuum_index_cleanup)",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_sla_next_update")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
