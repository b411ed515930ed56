"""What readers do with articles: read them, vote on them, say one solved their problem,
and what agents do with them: link them to the tickets they answer.

Every function is a service: it checks who may act, changes the rows in one transaction
and keeps the article's counters right, so lists and reports read counters, not rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from servicedesk.versions import CACHE_ERRORS
from tickets.models import Service, Ticket, TicketEvent

from . import searchlog
from .models import Article, Deflection, Feedback, SearchLog, TicketLink

logger = logging.getLogger(__name__)

# A person reading an article again within this window (a reload, back from a tab) is one view.
VIEW_WINDOW = timedelta(minutes=30)
# A second "This solved it" on the same article this soon (a double click) is the same one.
DEFLECTION_WINDOW = timedelta(minutes=30)
COMMENT_MAX_LENGTH = Feedback._meta.get_field("comment").max_length or 1000


def _require_reader(article: Article, user: User) -> None:
    if not Article.objects.for_readers(user).filter(pk=article.pk).exists():
        raise PermissionDenied("This article is not available to you.")


@transaction.atomic
def record_view(article: Article, user: User) -> bool:
    """Count a reading of the article, once per person per half hour; True if counted.

    The shared cache remembers who read what recently, so a view costs one cache call and
    at most one UPDATE; with the cache away every view counts (a count a little high is
    better than an error page).
    """
    if not user.is_authenticated:
        return False
    key = f"knowledge:viewed:{user.pk}:{article.pk}"
    try:
        first = cache.add(key, 1, timeout=int(VIEW_WINDOW.total_seconds()))
    except CACHE_ERRORS:
        logger.warning("Cache unavailable; an article view counted without deduplication")
        first = True
    if first:
        Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    return bool(first)


@transaction.atomic
def vote(
    article: Article,
    user: User,
    helpful: bool,
    comment: str = "",
    *,
    now: datetime | None = None,
) -> Feedback:
    """Record a reader's answer to "Did this solve your problem?"; a later answer replaces it.

    One vote per reader (a unique constraint); changing it moves one count from one counter
    to the other, and answering the same again only updates what they wrote.
    """
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "comment": f"Please keep it under {COMMENT_MAX_LENGTH} characters "
                f"(this is {len(comment)})."
            }
        )
    _require_reader(article, user)
    now = now or timezone.now()
    # The reader's own row, locked: two answers sent at once are applied one after the other.
    existing = Feedback.objects.select_for_update().filter(article=article, user=user).first()
    if existing is None:
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    article=article,
                    user=user,
                    helpful=helpful,
                    comment=comment,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # The same reader's other request created the row first: change that one.
            existing = Feedback.objects.select_for_update().get(article=article, user=user)
        else:
            _count(article, helpful=+1 if helpful else 0, unhelpful=0 if helpful else +1)
            return feedback
    was_helpful = existing.helpful
    if was_helpful != helpful or comment:
        # A changed answer drops what the old one said; the same answer again keeps it.
        existing.comment = comment
    existing.helpful, existing.updated_at = helpful, now
    existing.save(update_fields=["helpful", "comment", "updated_at"])
    if was_helpful != helpful:
        _count(article, helpful=+1 if helpful else -1, unhelpful=-1 if helpful else +1)
    return existing


def _count(article: Article, *, helpful: int, unhelpful: int) -> None:
    Article.objects.filter(pk=article.pk).update(
        helpful_count=F("helpful_count") + helpful,
        unhelpful_count=F("unhelpful_count") + unhelpful,
    )


@transaction.atomic
def record_deflection(
    user: User,
    article: Article,
    search_ids: Sequence[int] = (),
    service: Service | None = None,
    *,
    now: datetime | None = None,
) -> Deflection:
    """The person said the article solved their problem: no ticket needed.

    Their searches that led here are marked solved. A second click within half an hour is
    the same deflection, not another one.
    """
    _require_reader(article, user)
    now = now or timezone.now()
    # Only the person's own searches: ids come from the page and could name anyone's.
    own = list(
        SearchLog.objects.filter(pk__in=list(search_ids), user=user)
        .order_by("-created_at")
        .values_list("pk", flat=True)
    )
    searchlog.record_solved(own, user)
    recent = (
        Deflection.objects.select_for_update()
        .filter(user=user, article=article, created_at__gte=now - DEFLECTION_WINDOW)
        .first()
    )
    if recent is not None:
        return recent
    return Deflection.objects.create(
        user=user,
        article=article,
        search_id=own[0] if own else None,
        service=service,
        kind=Deflection.Kind.SOLVED,
        created_at=now,
    )


def _require_agent_on(ticket: Ticket, article: Article, by: User) -> None:
    if not by.is_staff_member:
        raise PermissionDenied("Only service desk staff link articles to tickets.")
    if not Ticket.objects.visible_to(by).filter(pk=ticket.pk).exists():
        raise PermissionDenied("This ticket is not in your teams.")
    if not Article.objects.visible_to(by).filter(pk=article.pk).exists():
        raise PermissionDenied("This article is not available to you.")


@transaction.atomic
def link_article(
    ticket: Ticket,
    article: Article,
    by: User,
    relation: str = TicketLink.Relation.ANSWERS,
    *,
    now: datetime | None = None,
) -> TicketLink:
    """Link an article to a ticket (it answers it, or was written from it); once only.

    Linking it again returns the link there is. The ticket's history records who linked it.
    """
    _require_agent_on(ticket, article, by)
    now = now or timezone.now()
    existing = TicketLink.objects.filter(ticket=ticket, article=article).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            link = TicketLink.objects.create(
                ticket=ticket, article=article, relation=relation, linked_by=by, created_at=now
            )
    except IntegrityError:
        # Another agent linked it at the same moment: theirs is the link.
        return TicketLink.objects.get(ticket=ticket, article=article)
    TicketEvent.objects.create(
        ticket=ticket,
        actor=by,
        kind=TicketEvent.Kind.UPDATED,
        after={"article": article.title},
        created_at=now,
    )
    return link


@transaction.atomic
def unlink_article(
    ticket: Ticket, article: Article, by: User, *, now: datetime | None = None
) -> bool:
    """Remove an article's link from a ticket; False if it was not linked."""
    _require_agent_on(ticket, article, by)
    deleted, _ = TicketLink.objects.filter(ticket=ticket, article=article).delete()
    if deleted:
        TicketEvent.objects.create(
            ticket=ticket,
            actor=by,
            kind=TicketEvent.Kind.UPDATED,
            before={"article": article.title},
            after={"article": None},
            created_at=now or timezone.now(),
        )
    return bool(deleted)
