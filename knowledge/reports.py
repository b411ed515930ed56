"""What the knowledge base did for people, for the staff who keep it (dashboards read these).

Each report takes the person asking (reports are for staff: anyone else gets nothing) and a
date window, and is one or two indexed queries whatever the volume: the search log's
partial indexes cover the searches that found nothing, those a ticket followed and those
that opened an article (migration 0004), so a window reads its own rows, never the whole log.

Deflection follows the product's definition: a person who viewed an article and did not
submit a ticket within half an hour, or who said "this solved it". It counts the Deflection
rows, and the searches whose opened article was not followed by a ticket once the half hour
has passed and that no Deflection row already counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import User
from tickets.models import Service

from .models import Article, Deflection, Feedback, SearchLog, TicketLink
from .searchlog import TICKET_FOLLOWS_WITHIN

# "Needs review": past its review date, or at least this many No votes making up at least
# this share of its votes.
NEEDS_REVIEW_NO_VOTES = 5
NEEDS_REVIEW_NO_PERCENT = 40
PERIODS: dict[str, Callable[..., Any]] = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Window:
    """From `start` (included) to `end` (excluded)."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, *, now: datetime | None = None) -> Window:
        now = now or timezone.now()
        return cls(start=now - timedelta(days=days), end=now)


def _staff(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff_member


def _searches(user: User, window: Window) -> QuerySet[SearchLog]:
    return SearchLog.objects.visible_to(user).filter(
        created_at__gte=window.start, created_at__lt=window.end
    )


def summary(user: User, window: Window) -> dict[str, int]:
    """How many searches, and how many found nothing, opened an article, or a ticket followed.

    Four counts, each read from its own index (the window's rows alone), rather than one
    pass over every row of the window.
    """
    searches = _searches(user, window)
    return {
        "searches": searches.count(),
        "found_nothing": searches.filter(results_count=0).count(),
        "opened": searches.filter(opened_article__isnull=False).count(),
        "ticket_followed": searches.filter(ticket__isnull=False).count(),
    }


def found_nothing(user: User, window: Window, *, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """Searches that found nothing, grouped by normalised query, most asked first."""
    return list(
        _searches(user, window)
        .filter(results_count=0)
        .values("normalised")
        .annotate(searches=Count("*"), last_at=Max("created_at"))
        .order_by("-searches", "normalised")[:limit]
    )


def content_gaps(user: User, window: Window, *, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """Searches followed by a ticket anyway, grouped by normalised query, most tickets first.

    `found_nothing` counts those that had no result at all: the gap is missing content;
    the others found articles that did not answer.
    """
    return list(
        _searches(user, window)
        .filter(ticket__isnull=False)
        .values("normalised")
        .annotate(
            searches=Count("*"),
            tickets=Count("ticket", distinct=True),
            found_nothing=Count("pk", filter=Q(results_count=0)),
            last_at=Max("created_at"),
        )
        .order_by("-tickets", "-searches", "normalised")[:limit]
    )


def opened_from_search(user: User, window: Window, *, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """The articles people opened from their searches in the window, most opened first.

    Counted from the index of opened searches alone; the titles of the few shown are read
    after.
    """
    rows = list(
        _searches(user, window)
        .filter(opened_article__isnull=False)
        .values("opened_article")
        .annotate(opens=Count("*"))
        .order_by("-opens", "opened_article")[:limit]
    )
    articles = Article.objects.visible_to(user).in_bulk([row["opened_article"] for row in rows])
    return [
        {
            **row,
            "opened_article__title": articles[row["opened_article"]].title,
            "opened_article__slug": articles[row["opened_article"]].slug,
        }
        for row in rows
        if row["opened_article"] in articles
    ]


def most_viewed(user: User, *, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """Published articles by views (the counter, since publication), most viewed first."""
    if not _staff(user):
        return []
    rows = (
        Article.objects.visible_to(user)
        .published()
        .order_by("-view_count", "pk")
        .values("pk", "title", "slug", "view_count", "helpful_count", "unhelpful_count")[:limit]
    )
    return [dict(row) for row in rows]


def helpfulness(user: User, window: Window, *, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Yes and No answers to "Did this solve your problem?" in the window: in all, and per
    article (most answered first), each with the share of Yes in percent (None: no votes)."""
    if not _staff(user):
        return {"yes": 0, "no": 0, "share": None, "articles": []}
    votes = Feedback.objects.filter(created_at__gte=window.start, created_at__lt=window.end)
    counts = {
        "yes": Count("pk", filter=Q(helpful=True)),
        "no": Count("pk", filter=Q(helpful=False)),
    }
    totals = votes.aggregate(**counts)
    articles = list(
        votes.values("article", "article__title", "article__slug")
        .annotate(**counts, votes=Count("*"))
        .order_by("-votes", "article")[:limit]
    )
    for row in [totals, *articles]:
        row["share"] = _percent(row["yes"], row["yes"] + row["no"])
    return {**totals, "articles": articles}


def deflections(
    user: User, window: Window, *, period: str = "day", service: Service | None = None
) -> list[dict]:
    """Deflections per period and service, oldest period first: `solved` (the person said
    so), `no_ticket` (read an article, no ticket followed) and `total`."""
    if not _staff(user) or period not in PERIODS:
        return []
    trunc = PERIODS[period]
    rows: dict[tuple, dict] = {}

    def add(queryset: QuerySet[Any], kind: str | None) -> None:
        if service is not None:
            queryset = queryset.filter(service=service)
        grouped = (
            queryset.annotate(period=trunc("created_at"))
            .values("period", "service", "service__name", *(["kind"] if kind is None else []))
            .annotate(count=Count("*"))
            .order_by()
        )
        for row in grouped:
            key = (row["period"], row["service"])
            entry = rows.setdefault(
                key,
                {
                    "period": row["period"],
                    "service": row["service"],
                    "service_name": row["service__name"] or "",
                    "solved": 0,
                    "no_ticket": 0,
                },
            )
            entry[kind or row["kind"]] += row["count"]

    add(
        Deflection.objects.filter(created_at__gte=window.start, created_at__lt=window.end),
        None,
    )
    # A search's half hour must have passed before "no ticket followed" is true.
    settled = min(window.end, timezone.now() - TICKET_FOLLOWS_WITHIN)
    add(
        SearchLog.objects.filter(
            created_at__gte=window.start,
            created_at__lt=settled,
            opened_article__isnull=False,
            ticket__isnull=True,
            solved=False,
        ).filter(
            # A search's Deflection row is written after the search: within the window too.
            ~Exists(Deflection.objects.filter(search=OuterRef("pk"), created_at__gte=window.start))
        ),
        Deflection.Kind.NO_TICKET,
    )
    result = sorted(rows.values(), key=lambda r: (r["period"], r["service_name"]))
    for row in result:
        row["total"] = row["solved"] + row["no_ticket"]
    return result


def tickets_linked(user: User, window: Window, *, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """Articles by the tickets linked to them in the window (those the person may see)."""
    if not _staff(user):
        return []
    return list(
        TicketLink.objects.visible_to(user)
        .filter(created_at__gte=window.start, created_at__lt=window.end)
        .values("article", "article__title", "article__slug")
        .annotate(
            tickets=Count("*"),
            answered=Count("pk", filter=Q(relation=TicketLink.Relation.ANSWERS)),
            written_from=Count("pk", filter=Q(relation=TicketLink.Relation.CREATED_FROM)),
        )
        .order_by("-tickets", "article")[:limit]
    )


def needs_review(
    user: User, *, today: date | None = None, limit: int = DEFAULT_LIMIT
) -> list[dict]:
    """Published articles past their review date, or with many No votes, most overdue first."""
    if not _staff(user):
        return []
    today = today or timezone.localdate()
    many_no = Q(unhelpful_count__gte=NEEDS_REVIEW_NO_VOTES) & Q(
        unhelpful_count__gte=(F("helpful_count") + F("unhelpful_count"))
        * NEEDS_REVIEW_NO_PERCENT
        / 100.0
    )
    found = (
        Article.objects.visible_to(user)
        .published()
        .filter(Q(review_by__lt=today) | many_no)
        .order_by(F("review_by").asc(nulls_last=True), "-unhelpful_count", "pk")
        .values("pk", "title", "slug", "review_by", "helpful_count", "unhelpful_count")[:limit]
    )
    rows: list[dict[str, Any]] = [dict(row) for row in found]
    for row in rows:
        votes = row["helpful_count"] + row["unhelpful_count"]
        row["overdue"] = row["review_by"] is not None and row["review_by"] < today
        row["many_no"] = (
            row["unhelpful_count"] >= NEEDS_REVIEW_NO_VOTES
            and row["unhelpful_count"] * 100 >= votes * NEEDS_REVIEW_NO_PERCENT
        )
        row["no_share"] = _percent(row["unhelpful_count"], votes)
    return rows


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
