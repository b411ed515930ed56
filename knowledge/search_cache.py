"""What search keeps between searches, in the shared cache: the weights of a query's terms,
and the ranking they gave, with its titles and snippets marked.

Weighing a query (how many readable articles hold each term, and a spelling fix for a term
none holds) costs one to three queries, and ranking the articles one more; both give the
same answer for every reader who may read the same articles, until an article changes. So,
as a search engine keeps its query results until its index changes, the answers are kept
under the query's terms, the reader's condition and the articles' version, which the
knowledge services bump whenever what readers may find changes (an article created,
edited, submitted, approved, published, retired, restored, or refiled under other services
or tags). Changes made behind the services' back (a shell, a data load) count once the
entries run out: RANKING_SECONDS for rankings, WEIGHTS_SECONDS for weights. Votes move an
article's helpfulness boost without a bump; a ranking catches up within RANKING_SECONDS.

Nothing kept here decides what a reader may see: the articles shown are read afresh,
through `Article.objects.for_readers(user)`, every time, so an article retired or hidden by
any road is never shown from a kept ranking. And a query with a term no article holds is
not kept at all, so an article published by any road is found by its new words at once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection

from servicedesk import versions

from .querying import Term

logger = logging.getLogger(__name__)
WEIGHTS_SECONDS = 600
RANKING_SECONDS = 120
KEY = "knowledge-search:{kind}:{version}:{digest}"

Sql = tuple[str, list]


@dataclass(frozen=True)
class Counted:
    corpus: int
    frequencies: list[int]
    # The spelling fix found for each term (None: none needed, or none found).
    fixes: list[str | None]

    @property
    def all_known(self) -> bool:
        return all(self.frequencies)


@dataclass(frozen=True)
class Ranked:
    ids: list[int]
    total: int
    scores: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class KeptRanking:
    counted: Counted
    ranked: Ranked
    # Each article's title and snippet with the searched words marked (escaped HTML).
    marks: dict[int, tuple[str, str]] = field(default_factory=dict)


def changed() -> None:
    """What readers may find has changed: weigh and rank searches afresh once this
    transaction commits."""
    versions.bump(versions.ARTICLES)


def articles_version() -> str:
    """The articles' version (one cache read): read it once per search, for all its keys."""
    return versions.read(versions.ARTICLES)


def key(
    kind: str, terms: list[Term], readable: Sql, *extra: Any, version: str | None = None
) -> str:
    """The cache key of what `kind` works out for these terms among what `readable` lets a
    reader read (and `extra`: the page of results), at the articles' `version`."""
    where, params = readable
    described = repr(
        (
            connection.vendor,
            where,
            [str(param) for param in params],
            [(term.text, term.strong, term.weak) for term in terms],
            extra,
        )
    )
    digest = hashlib.sha256(described.encode()).hexdigest()[:32]
    return KEY.format(kind=kind, version=version or articles_version(), digest=digest)


def read(key: str, kind: type) -> Any:
    """What was kept under `key`, if it is still kept and of the kind expected."""
    try:
        found = cache.get(key)
    except versions.CACHE_ERRORS:
        logger.warning("Cache unavailable; searching afresh")
        return None
    return found if isinstance(found, kind) else None


def keep(key: str, value: Counted | KeptRanking) -> None:
    timeout = WEIGHTS_SECONDS if isinstance(value, Counted) else RANKING_SECONDS
    try:
        cache.set(key, value, timeout=timeout)
    except versions.CACHE_ERRORS:
        logger.warning("Cache unavailable; search results not kept")
