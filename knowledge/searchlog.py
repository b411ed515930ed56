"""The search log: what people asked the knowledge base, and what they did next.

One row per settled search. A suggestion box sends a request each time the person pauses
typing; all of them carry the box's id and update one row, so the row holds the query the
person settled on and a report counts it once. The common case is one UPDATE; only a box's
first query inserts. A database constraint allows one open row per person and box (not yet
opened, followed by a ticket or solved), so two requests racing from one box cannot both
insert: the loser updates the winner's row.

Everything here comes from the browser (the query, the box's id, the search id of an
opened result), so it is trimmed to the columns' sizes, stripped of control characters
(Postgres refuses a NUL in text), and only ever touches the person's own rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from servicedesk.database import unhurried_commit
from tickets.models import Service, Ticket

from .models import Article, SearchLog
from .search import normalise

# A ticket submitted this soon after a search "followed" it: the search did not help.
TICKET_FOLLOWS_WITHIN = timedelta(minutes=30)
MAX_QUERY = SearchLog._meta.get_field("query").max_length or 200
MAX_BOX = SearchLog._meta.get_field("box").max_length or 40
# A single character is a person starting to type, not a search.
MIN_QUERY = 2
MAX_SOLVED_IDS = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean(text: str, length: int) -> str:
    """Text from a browser as a column can hold it: no control characters, trimmed, cut."""
    return " ".join(_CONTROL.sub(" ", text).split())[:length]


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
    """Log one search; a suggestion box's later queries update its row instead.

    Nothing is logged for someone signed out, or for a query of less than MIN_QUERY
    characters. Returns the row (for a box, the one row it keeps), or None.
    """
    query = clean(query, MAX_QUERY)
    normalised = normalise(query)
    if len(normalised) < MIN_QUERY or not user.is_authenticated:
        return None
    if source not in SearchLog.Source.values:
        raise ValueError(f"Unknown search source: {source!r}")
    fields = {
        "query": query,
        "normalised": normalised,
        "results_count": max(0, results_count),
        "service": service,
        "created_at": now or timezone.now(),
    }
    box = clean(box, MAX_BOX)
    if not box:
        with unhurried_commit():  # a search's record is not worth a wait for the disk
            return SearchLog.objects.create(user=user, source=source, **fields)
    with unhurried_commit(), transaction.atomic():
        row = _update_open_row(user, box, fields)
        if row is not None:
            return row
        try:
            with transaction.atomic():
                return SearchLog.objects.create(user=user, box=box, source=source, **fields)
        except IntegrityError:
            # Another request from the same box inserted first: its row is the box's row.
            row = _update_open_row(user, box, fields)
            if row is None:
                raise
            return row


def _update_open_row(user: User, box: str, fields: dict) -> SearchLog | None:
    rows = SearchLog.objects.filter(
        user=user, box=box, opened_article__isnull=True, ticket__isnull=True, solved=False
    )
    if not rows.update(**fields):
        return None
    return rows.first()


def record_open(
    search_id: int | None, user: User, article: Article, *, now: datetime | None = None
) -> bool:
    """Note which result a person opened from their own search (the first one counts)."""
    if search_id is None or not user.is_authenticated:
        return False
    return bool(
        SearchLog.objects.filter(pk=search_id, user=user, opened_article__isnull=True).update(
            opened_article=article, opened_at=now or timezone.now()
        )
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
    """The person said an article solved it: their searches ended well."""
    ids = [pk for pk in search_ids if isinstance(pk, int)][:MAX_SOLVED_IDS]
    if not ids or not user.is_authenticated:
        return 0
    return SearchLog.objects.filter(pk__in=ids, user=user).update(solved=True)
