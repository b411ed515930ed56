"""Database helpers the pages share."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def custom_plans(when: bool = True) -> Iterator[None]:
    """Plan the queries inside for the values they carry, not once for any value.

    On Postgres, statements a connection repeats are prepared and, after a few runs,
    planned once for all values (see DB_PREPARED_STATEMENTS in settings). A free-text
    search is the exception: its best plan depends on the words. A rare word reads a few
    rows through the full-text index; a plan made for any word walks the queue in order and
    filters, reading most of a million closed tickets to fill a page.
    """
    options = connection.settings_dict.get("OPTIONS", {})
    if not when or connection.vendor != "postgresql" or not options.get("server_side_binding"):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        if not connection.needs_rollback:  # else the transaction's rollback undoes the SET
            with connection.cursor() as cursor:
                cursor.execute("RESET plan_cache_mode")


@contextmanager
def unhurried_commit() -> Iterator[None]:
    """Commit the writes inside without waiting for the disk (Postgres' asynchronous commit).

    For records worth little one by one and written on busy pages (a search logged): the
    page does not wait for the log's flush to disk, and a crash in the next fraction of a
    second could lose the last few records, never corrupt anything. Only for a transaction
    of its own: inside another, the outer commit keeps its own durability.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
