"""The search log: what people asked the knowledge base, and what they did next.

One row per settled search. A suggestion box sends a request each time the person pauses
typing; all of them carry the box's id and update one row, so the row holds the query the
person settled on and a report counts it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tickets.models import Service, Ticket

from .models import Article, SearchLog
from .search import normalise

# A ticket submitted this soon after a search "followed" it: the search did not help.
TICKET_FOLLOWS_WITHIN = timedelta(minutes=30)


@transaction.atomic
def record_search(
    user: User,
    query: str,
    *,
    results_count: int,
    source: str = SearchLog.Source.PORTAL,
    service: Service | None = None,
    box: str = "",
    now: datetime | None = None,
) -> SearchLog | None:
    """Log one search; a suggestion box's later queries update its row instead."""
    normalised = normalise(query)
    if not normalised or not user.is_authenticated:
        return None
    now = now or timezone.now()
    fields = {
        "query": query.strip()[:200],
        "normalised": normalised,
        "results_count": results_count,
        "service": service,
        "created_at": now,
    }
    if box:
        row = (
            SearchLog.objects.select_for_update()
            .filter(user=user, box=box, opened_article__isnull=True, ticket__isnull=True)
            .first()
        )
        if row is not None:
            for name, value in fields.items():
                setattr(row, name, value)
            row.save(update_fields=list(fields))
            return row
    return SearchLog.objects.create(user=user, box=box[:40], source=source, **fields)


def record_open(
    search_id: int | None, user: User, article: Article, *, now: datetime | None = None
) -> None:
    """Note which result a person opened (the first one counts)."""
    if search_id is None:
        return
    SearchLog.objects.filter(pk=search_id, user=user, opened_article__isnull=True).update(
        opened_article=article, opened_at=now or timezone.now()
    )


def record_ticket(user: User, ticket: Ticket, *, now: datetime | None = None) -> int:
    """Mark the person's searches of the last half hour as followed by this ticket anyway."""
    now = now or timezone.now()
    return SearchLog.objects.filter(
        user=user,
        created_at__gte=now - TICKET_FOLLOWS_WITHIN,
        created_at__lte=now,
        ticket__isnull=True,
        solved=False,
    ).update(ticket=ticket)


def record_solved(search_ids: Sequence[int], user: User) -> int:
    """The person said an article solved it: their search ended well."""
    return SearchLog.objects.filter(pk__in=list(search_ids), user=user).update(solved=True)
