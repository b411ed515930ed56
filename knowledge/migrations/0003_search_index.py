"""Articles' words for search, kept by the database itself (see knowledge/fulltext.py).

Postgres: a `tag_words` column holds the names of the article's tags, kept by triggers on the
tags' many-to-many table and on tag renames; a stored `words` tsvector (title A, summary and
tag words B, body C, English configuration) and `head_words` (title and summary with tags
only, a small document that finds the likeliest articles first) are set by a trigger on every
insert and on every change of those columns, each with a GIN index; trigram indexes on titles and tag names serve the
spelling fixes. Neither column is a model field: Django never reads or writes them, so a
stale copy of an article saved later cannot overwrite its tag words.

SQLite: published articles are copied into an FTS5 table (title, head = summary and tag
names, body; porter stemmer) by triggers on the same changes, with an fts5vocab view for the
spelling fixes. `knowledge.sqlite_index.ensure()` creates all of it, and runs again after
every migrate, because SQLite loses a table's triggers when Django rebuilds the table.
"""

from django.db import migrations

from knowledge import sqlite_index

TAG_WORDS = (
    "coalesce((SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM knowledge_article_tags x "
    "JOIN knowledge_tag t ON t.id = x.tag_id WHERE x.article_id = {id}), '')"
)
HEAD = (
    "setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(NEW.summary, '') || ' ' || coalesce(NEW.tag_words, '')), 'B')"
)
BODY = "setweight(to_tsvector('english'::regconfig, coalesce(NEW.body, '')), 'C')"
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE knowledge_article ADD COLUMN IF NOT EXISTS tag_words text NOT NULL DEFAULT ''",
    "ALTER TABLE knowledge_article ADD COLUMN IF NOT EXISTS words tsvector",
    "ALTER TABLE knowledge_article ADD COLUMN IF NOT EXISTS head_words tsvector",
    "CREATE OR REPLACE FUNCTION knowledge_article_words() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN NEW.head_words := {HEAD}; NEW.words := NEW.head_words || {BODY}; RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS knowledge_article_words ON knowledge_article",
    "CREATE TRIGGER knowledge_article_words BEFORE INSERT OR UPDATE OF title, summary, body, tag_words "
    "ON knowledge_article FOR EACH ROW EXECUTE FUNCTION knowledge_article_words()",
    "CREATE OR REPLACE FUNCTION knowledge_article_tag_words() RETURNS trigger LANGUAGE plpgsql AS $$ "  # nosec B608  # constants
    "DECLARE article bigint; BEGIN "
    "IF TG_OP = 'DELETE' THEN article := OLD.article_id; ELSE article := NEW.article_id; END IF; "
    f"UPDATE knowledge_article SET tag_words = {TAG_WORDS.format(id='article')} WHERE id = article; "
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS knowledge_article_tag_words ON knowledge_article_tags",
    "CREATE TRIGGER knowledge_article_tag_words AFTER INSERT OR DELETE ON knowledge_article_tags "
    "FOR EACH ROW EXECUTE FUNCTION knowledge_article_tag_words()",
    "CREATE OR REPLACE FUNCTION knowledge_tag_renamed() RETURNS trigger LANGUAGE plpgsql AS $$ "  # nosec B608  # constants
    f"BEGIN UPDATE knowledge_article a SET tag_words = {TAG_WORDS.format(id='a.id')} "
    "WHERE a.id IN (SELECT x.article_id FROM knowledge_article_tags x WHERE x.tag_id = NEW.id); "
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS knowledge_tag_renamed ON knowledge_tag",
    "CREATE TRIGGER knowledge_tag_renamed AFTER UPDATE OF name ON knowledge_tag FOR EACH ROW "
    "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION knowledge_tag_renamed()",
    # Articles that exist already: their tag words, which sets their words too.
    f"UPDATE knowledge_article SET tag_words = {TAG_WORDS.format(id='knowledge_article.id')}",  # nosec B608  # constants
    "CREATE INDEX IF NOT EXISTS article_words ON knowledge_article USING gin (words)",
    "CREATE INDEX IF NOT EXISTS article_head_words ON knowledge_article USING gin (head_words)",
    "CREATE INDEX IF NOT EXISTS article_title_trgm ON knowledge_article USING gin (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS tag_name_trgm ON knowledge_tag USING gin (name gin_trgm_ops)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS tag_name_trgm",
    "DROP INDEX IF EXISTS article_title_trgm",
    "DROP INDEX IF EXISTS article_words",
    "DROP INDEX IF EXISTS article_head_words",
    "DROP TRIGGER IF EXISTS knowledge_tag_renamed ON knowledge_tag",
    "DROP FUNCTION IF EXISTS knowledge_tag_renamed()",
    "DROP TRIGGER IF EXISTS knowledge_article_tag_words ON knowledge_article_tags",
    "DROP FUNCTION IF EXISTS knowledge_article_tag_words()",
    "DROP TRIGGER IF EXISTS knowledge_article_words ON knowledge_article",
    "DROP FUNCTION IF EXISTS knowledge_article_words()",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS words",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS head_words",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS tag_words",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "sqlite":
        sqlite_index.ensure(schema_editor.connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_REVERSE:
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "sqlite":
        sqlite_index.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_editor")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
