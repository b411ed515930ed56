"""Word search over subject and description: full-text GIN indexes on Postgres.

A ticket's words are one weighted document (subject A, description B, english
configuration); the expression is the one `tickets.search.DOCUMENT` writes, so the
planner matches the two. As with the trigram indexes, one covers every ticket and a
partial one only open tickets, which keeps the queue's default search as small as the
backlog. New entries go straight into the index (`fastupdate = off`, see 0012).

The indexes are built CONCURRENTLY, so tickets are read and written as usual while they
build (no table rewrite, unlike a stored generated column: that took 7.4 s of exclusive
lock at 100,000 tickets). Measured on a seeded 100,000-ticket table on a busy 2-core
machine: 2.0-3.3 s for the whole-table index, 0.2 s for the open one, 0.9-1.4 s for the
ANALYZE; at a million tickets the builds grow with the table (about 20-35 s) and the
ANALYZE, which samples a fixed number of rows, stays at a few seconds. A build that was
interrupted leaves an invalid index behind, which is dropped and rebuilt. SQLite (the
embedded development database) has no such index and needs none.
"""

from django.db import migrations

DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, translate(subject, '-', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(description, '-', ' ')), 'B'))"
)
INDEXES = {
    "ticket_words": "",
    "ticket_open_words": "WHERE status IN ('new', 'open', 'pending')",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, condition in INDEXES.items():
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
            )
            row = cursor.fetchone()
        if row and row[0]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON tickets_ticket "
            f"USING gin ({DOCUMENT}) WITH (fastupdate = off) {condition}"
        )
    # Statistics on the indexed document tell the planner how common each word is; until
    # the next autoanalyze it would guess, and a guess can walk a million rows.
    schema_editor.execute("ANALYZE tickets_ticket")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("tickets", "0013_ticket_priority_source")]

    operations = [migrations.RunPython(create, drop)]
