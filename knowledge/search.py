"""Finding articles for a reader's words.

`search()` is the one entry point: the portal's search page, the suggestions while typing
and the agent's suggestions all call it (or `search_results()`, which also counts), and it
only ever returns what `Article.objects.for_readers(user)` allows: the ranking runs inside
that queryset's SQL, so what a reader may not read is neither found nor counted.

How a query becomes terms is in `knowledge.querying`, how the database ranks them in
`knowledge.fulltext`, how snippets are marked in `knowledge.snippets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from markupsafe import Markup

from accounts.models import User
from tickets.models import Service

from . import fulltext, querying, search_cache, snippets
from .models import Article
from .querying import normalise

__all__ = ["Hit", "Results", "normalise", "search", "search_results"]

MAX_LIMIT = 50


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: Markup
    rank: float
    # The title with the searched words marked (escaped, like the snippet).
    title: Markup = field(default_factory=Markup)


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    # How many articles the reader may read match in all (for "21 articles" and pages); on
    # Postgres at most fulltext.MAX_CANDIDATES: beyond it, read "at least".
    total: int
    # Whether the query held words worth searching for (not only "the" or "please help").
    searched: bool = True


def search(
    user: User,
    query: str,
    *,
    service: Service | None = None,
    limit: int = 10,
    offset: int = 0,
    audience: str | None = None,
    bodies: bool = True,
) -> list[Hit]:
    """The articles `user` may read that best match `query`, best first.

    `service` keeps the articles filed under it; `audience` ("everyone") keeps articles an
    agent may share with a requester.
    """
    return search_results(
        user, query, service=service, limit=limit, offset=offset, audience=audience, bodies=bodies
    ).hits


def search_results(
    user: User,
    query: str,
    *,
    service: Service | None = None,
    limit: int = 10,
    offset: int = 0,
    audience: str | None = None,
    bodies: bool = True,
) -> Results:
    """`search()`'s hits and the number of matching articles the reader may read.

    `bodies=False` is for pages that show only titles and snippets: a repeated search then
    does not read the articles' bodies (each hit's `body` is deferred; reading it is a query).
    """
    terms = querying.terms(query)
    if not terms:
        return Results(hits=[], total=0, searched=False)
    readable = _readable(user, service=service, audience=audience)
    if readable is None or limit <= 0:
        return Results(hits=[], total=0)
    found = _ranked(terms, readable, limit=min(limit, MAX_LIMIT), offset=max(offset, 0))
    ranked = found.ranked
    if not ranked.ids:
        return Results(hits=[], total=ranked.total)
    # The same road again: the rows shown come from the reader's own queryset. With the
    # marked titles and snippets kept, the bodies they were marked in are not read.
    readers = Article.objects.for_readers(user)
    lean = found.marks and not bodies
    articles = (readers.defer("body") if lean else readers).in_bulk(ranked.ids)
    marker = snippets.Highlighter(terms)
    marks = dict(found.marks)
    for pk, article in articles.items():
        if pk not in marks:  # not kept: marked here, in the body if it was read
            body = "" if lean else article.body
            marks[pk] = (marker.mark(article.title)[0], marker.snippet(article.summary, body))
    if not found.marks:
        found.keep(marks)
    hits = [
        Hit(
            article=articles[pk],
            snippet=Markup(marks[pk][1]),  # nosec B704  # escaped by the Highlighter
            rank=ranked.scores[pk],
            title=Markup(marks[pk][0]),  # nosec B704  # escaped by the Highlighter
        )
        for pk in ranked.ids
        if pk in articles
    ]
    return Results(hits=hits, total=ranked.total)


@dataclass
class _Found:
    """A page of ranked ids, with what was kept of it (its marked titles and snippets)."""

    ranked: search_cache.Ranked
    marks: dict[int, tuple[str, str]]
    key: str = ""
    counted: search_cache.Counted | None = None

    def keep(self, marks: dict[int, tuple[str, str]]) -> None:
        """Keep the ranking and its marks for the next reader, if it may be kept."""
        if self.counted is not None and self.counted.all_known:
            kept = search_cache.KeptRanking(
                counted=self.counted,
                ranked=self.ranked,
                marks={pk: (str(title), str(snippet)) for pk, (title, snippet) in marks.items()},
            )
            search_cache.keep(self.key, kept)


def _ranked(
    terms: list[querying.Term], readable: tuple[str, list], *, limit: int, offset: int
) -> _Found:
    """The ranked page of article ids, as the database ranks them, or as it ranked them for
    the same terms and readers since the articles last changed (`knowledge.search_cache`);
    either way the terms get their spelling fixes and weights, which the snippets mark."""
    engine = fulltext.backend()
    version = search_cache.articles_version()  # one read for both keys
    key = search_cache.key("ranking", terms, readable, limit, offset, version=version)
    kept = search_cache.read(key, search_cache.KeptRanking)
    if kept is not None and len(kept.counted.frequencies) == len(terms):
        engine.apply(terms, kept.counted)
        return _Found(ranked=kept.ranked, marks=kept.marks)
    counted = engine.weigh(terms, readable, version=version)
    ranked = engine.rank(terms, readable, limit=limit, offset=offset)
    return _Found(ranked=ranked, marks={}, key=key, counted=counted)


def _readable(
    user: User, *, service: Service | None, audience: str | None
) -> tuple[str, list] | None:
    """What `user` may read (through `for_readers`), as a condition on the articles' table
    (`knowledge_article`) for the ranking's SQL; None when the reader may read nothing."""
    articles = Article.objects.for_readers(user)
    if audience is not None:
        articles = articles.filter(audience=audience)
    query = articles.query
    try:
        if len(query.alias_map) == 1:
            # Conditions on the article's own columns, checked on the row being ranked.
            where, params = query.get_compiler(connection=connection).compile(query.where)
        else:
            where, params = articles.order_by().values("pk").query.sql_with_params()
            where = f'"knowledge_article"."id" IN ({where})'
    except EmptyResultSet:
        return None
    except FullResultSet:
        where, params = "1 = 1", []
    params = list(params)
    if service is not None:
        where += (
            " AND EXISTS (SELECT 1 FROM knowledge_article_services s "
            'WHERE s.article_id = "knowledge_article"."id" AND s.service_id = %s)'
        )
        params.append(service.pk)
    return f"({where})", params
