"""Versions, in the shared cache, of data that processes keep a copy of.

A process that keeps rarely changing rows (the reference data of busy lists), or a fragment
cached from them, remembers the version it built its copy at and compares it with the one here
on its next read. The change that makes the copy stale bumps the version once its transaction
commits. So every web worker and every replica sees an edit on its next request, instead of
when a timeout runs out. With the local cache (no Redis) this holds within one process only.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
# Errors of the cache's server (Redis down, hung or refusing): the cache is an optimisation.
CACHE_ERRORS = (RedisError, OSError)
KEY = "version:{}"
# What each version covers; the app that owns the rows bumps it.
PEOPLE = "people"  # users (role, active, name), teams and their members: accounts
CATALOGUE = "catalogue"  # services, SLA policies, calendars with hours and holidays: tickets
SYNONYMS = "synonyms"  # the synonym groups search widens queries with: knowledge
ARTICLES = "articles"  # what readers may find in the articles, for search's weights: knowledge


def read(*names: str) -> str:
    """The current version of these data as one string, in one cache round trip."""
    keys = [KEY.format(name) for name in names]
    try:
        found = cache.get_many(keys)
    except CACHE_ERRORS:
        # No shared version to compare with: a version of its own makes every copy reload,
        # so nothing stale is shown while the cache is away.
        logger.warning("Cache unavailable; reference data read afresh")
        return _new()
    for key in keys:
        if key not in found:
            # Never bumped, or evicted: start a new version. Every process holding a copy sees
            # a version it did not build at, and reloads.
            cache.add(key, _new(), timeout=None)
            found[key] = cache.get(key) or _new()
    return ".".join(found[key] for key in keys)


def bump(*names: str) -> None:
    """Mark these data as changed once the current transaction commits.

    Not before: a process that read the new version while the change was still uncommitted
    would reload the old rows and keep them under the new version.
    """
    # Robust: a cache that is away must not turn a saved change into an error page.
    transaction.on_commit(
        lambda: cache.set_many({KEY.format(name): _new() for name in names}, timeout=None),
        robust=True,
    )


def _new() -> str:
    return uuid.uuid4().hex[:16]
