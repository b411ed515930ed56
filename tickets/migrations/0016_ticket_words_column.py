"""A ticket's words stored in a column, kept by a trigger, with its GIN indexes (Postgres).

Migration 0014 indexed the document as an expression. Where the planner reads rows rather
than the index alone (a common word in closed history; a last word matched as a prefix,
which Postgres rechecks), an expression is rebuilt for every row read: 15-40 us a row,
about 2 s for "morning" over a million tickets. A stored document is read, not rebuilt.

The column is added without a default (no table rewrite), filled in batches of ids, each
batch its own transaction, and kept by a trigger on every insert and every change of the
subject or description. Measured on the million-ticket benchmark database: see
docs/benchmarks.md. SQLite (the embedded development database) has none of this.
"""

from django.db import migrations

DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, translate(coalesce({row}subject, ''), '-', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce({row}description, ''), '-', ' ')), 'B')"
)
BATCH = 50_000
OLD_INDEXES = ("ticket_words", "ticket_open_words")
INDEXES = {
    "ticket_words_doc": "",
    "ticket_open_words_doc": "WHERE status IN ('new', 'open', 'pending')",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS words tsvector")
    run(
        "CREATE OR REPLACE FUNCTION tickets_ticket_words() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN NEW.words := {DOCUMENT.format(row='NEW.')}; RETURN NEW; END $$"
    )
    run("DROP TRIGGER IF EXISTS tickets_ticket_words ON tickets_ticket")
    run(
        "CREATE TRIGGER tickets_ticket_words BEFORE INSERT OR UPDATE OF subject, description "
        "ON tickets_ticket FOR EACH ROW EXECUTE FUNCTION tickets_ticket_words()"
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM tickets_ticket")
        low, high = cursor.fetchone()
    for start in range(low, high + 1, BATCH):
        run(
            f"UPDATE tickets_ticket SET words = {DOCUMENT.format(row='')} "  # nosec B608  # constants; ids are parameters
            "WHERE id >= %s AND id < %s AND words IS NULL",
            [start, start + BATCH],
        )
    for name in OLD_INDEXES:
        run(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    for name, condition in INDEXES.items():
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
            )
            row = cursor.fetchone()
        if row and row[0]:
            run(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        run(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON tickets_ticket "
            f"USING gin (words) WITH (fastupdate = off) {condition}"
        )
    run("ANALYZE tickets_ticket")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    for name in INDEXES:
        run(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    run("DROP TRIGGER IF EXISTS tickets_ticket_words ON tickets_ticket")
    run("DROP FUNCTION IF EXISTS tickets_ticket_words()")
    run("ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS words")
    # 0014's expression indexes come back with 0014 itself when migrating further back.


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction; each batch commits alone.
    atomic = False

    dependencies = [("tickets", "0015_notification_kinds")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
