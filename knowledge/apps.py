from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KnowledgeConfig(AppConfig):
    name = "knowledge"

    def ready(self) -> None:
        from . import sqlite_index

        # Schema upkeep, not domain logic: SQLite drops a table's triggers when Django
        # rebuilds the table, and the full-text index needs them back.
        post_migrate.connect(sqlite_index.ensure_after_migrate, sender=self)
