"""Finding articles for a reader's words.

`search()` is the one entry point: the portal's search page, the suggestions while typing
and the agent's suggestions all call it, and it only ever returns what `for_readers(user)`
allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from markupsafe import Markup, escape

from accounts.models import User
from tickets.models import Service

from .models import Article


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: Markup
    rank: float


def normalise(query: str) -> str:
    """The form of a query that reports group by: lower case, single spaces."""
    return " ".join(query.lower().split())[:200]


def search(user: User, query: str, *, service: Service | None = None, limit: int = 10) -> list[Hit]:
    """The articles `user` may read that best match `query`, best first.

    A first, plain version (every word somewhere in the title, summary or body); the
    ranked full-text search replaces its body and keeps its signature.
    """
    words = normalise(query).split()
    if not words:
        return []
    articles = Article.objects.for_readers(user)
    for word in words:
        articles = articles.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    if service is not None:
        articles = articles.filter(services=service)
    return [
        Hit(article=article, snippet=escape(article.summary), rank=1.0)
        for article in articles.order_by("-helpful_count", "title")[:limit]
    ]
