"""SQLite's full-text index of published articles: an FTS5 table kept by triggers.

SQLite is the embedded development database (`make run`). Published articles are copied into
`knowledge_article_fts` (rowid = the article's id; title, head = summary and tag names, body)
by triggers on articles, on their tags and on tag renames, so every way of writing them (the
services, the admin, a data load) keeps the index. Django rebuilds a SQLite table to alter
it, which drops the table's triggers: `ensure()` runs after every migrate, puts back what is
missing and, if anything was, fills the index again from the articles.
"""

from __future__ import annotations

from typing import Any

TABLE = "knowledge_article_fts"
VOCABULARY = "knowledge_article_fts_words"
HEAD = (
    "{row}.summary || ' ' || coalesce((SELECT group_concat(t.name, ' ') FROM knowledge_article_tags x "
    "JOIN knowledge_tag t ON t.id = x.tag_id WHERE x.article_id = {row}.id), '')"
)
COPY = (
    f"INSERT INTO {TABLE} (rowid, title, head, body) SELECT a.id, a.title, {HEAD.format(row='a')}, "  # nosec B608  # constants
    "a.body FROM knowledge_article a WHERE a.status = 'published' AND a.id = {id};"
)
TRIGGERS = {
    "knowledge_article_fts_insert": (
        "AFTER INSERT ON knowledge_article BEGIN " + COPY.format(id="new.id") + " END"
    ),
    "knowledge_article_fts_update": (
        "AFTER UPDATE OF title, summary, body, status ON knowledge_article BEGIN "  # nosec B608  # constants
        f"DELETE FROM {TABLE} WHERE rowid = old.id; " + COPY.format(id="new.id") + " END"
    ),
    "knowledge_article_fts_delete": (
        f"AFTER DELETE ON knowledge_article BEGIN DELETE FROM {TABLE} WHERE rowid = old.id; END"  # nosec B608  # constants
    ),
    "knowledge_article_fts_tag_added": (
        f"AFTER INSERT ON knowledge_article_tags BEGIN DELETE FROM {TABLE} WHERE rowid = new.article_id; "  # nosec B608  # constants
        + COPY.format(id="new.article_id")
        + " END"
    ),
    "knowledge_article_fts_tag_removed": (
        f"AFTER DELETE ON knowledge_article_tags BEGIN DELETE FROM {TABLE} WHERE rowid = old.article_id; "  # nosec B608  # constants
        + COPY.format(id="old.article_id")
        + " END"
    ),
    "knowledge_article_fts_tag_renamed": (
        f"AFTER UPDATE OF name ON knowledge_tag BEGIN "  # nosec B608  # constants
        f"UPDATE {TABLE} SET head = (SELECT {HEAD.format(row='a')} FROM knowledge_article a "
        f"WHERE a.id = {TABLE}.rowid) "
        "WHERE rowid IN (SELECT x.article_id FROM knowledge_article_tags x WHERE x.tag_id = new.id); END"
    ),
}


def ensure(connection: Any) -> bool:
    """Create the index, its vocabulary and its triggers where missing; True if any was."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE 'knowledge_%%'"
        )
        present = {row[0] for row in cursor.fetchall()}
        if "knowledge_article" not in present or "knowledge_article_tags" not in present:
            return False  # migrated back before the articles: nothing to index
        missing = [name for name in TRIGGERS if name not in present]
        if TABLE in present and VOCABULARY in present and not missing:
            return False
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
            "title, head, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {VOCABULARY} USING fts5vocab({TABLE}, 'col')"
        )
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {TRIGGERS[name]}")
        cursor.execute(f"DELETE FROM {TABLE}")  # nosec B608  # constants
        cursor.execute(
            f"INSERT INTO {TABLE} (rowid, title, head, body) SELECT a.id, a.title, "  # nosec B608  # constants
            f"{HEAD.format(row='a')}, a.body FROM knowledge_article a WHERE a.status = 'published'"
        )
    return True


def drop(connection: Any) -> None:
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {VOCABULARY}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def ensure_after_migrate(using: str = "default", **kwargs: object) -> None:
    """post_migrate: a migration that rebuilt the articles' table took their triggers."""
    from django.db import connections

    ensure(connections[using])
