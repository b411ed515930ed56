"""Agents' links from the demo's tickets to the articles that answer them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from knowledge.models import Article, TicketLink
from tickets.models import Ticket

from .files import ArticleSpec
from .writing import written_from


def published_at(article: Article, at: datetime) -> bool:
    """Readers could find the article at that moment."""
    return (
        article.published_at is not None
        and article.published_at <= at
        and (article.retired_at is None or at < article.retired_at)
    )


def ticket_links(
    rng: random.Random, *, now: datetime, specs: list[ArticleSpec], articles: dict[str, Article]
) -> list[TicketLink]:
    """Agents linked the article that answers a ticket; and a ticket an article came from."""
    answering = {
        subject: articles[spec.slug]
        for spec in specs
        if spec.status == Article.Status.PUBLISHED
        for subject in spec.answers
    }
    links: dict[tuple[int, int], TicketLink] = {}
    tickets = (
        Ticket.objects.filter(subject__in=answering, assignee__isnull=False)
        .exclude(status__in=[Ticket.Status.NEW, Ticket.Status.CANCELLED])
        .select_related("assignee")
        .order_by("pk")
    )
    for ticket in tickets:
        article = answering[ticket.subject]
        done = ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        if rng.random() > (0.5 if done else 0.3):
            continue
        at = ticket.resolved_at if done and ticket.resolved_at else ticket.updated_at
        at = min(max(at - timedelta(minutes=rng.randint(1, 30)), ticket.created_at), now)
        if ticket.assignee is None or not published_at(article, at):
            continue
        links[(ticket.pk, article.pk)] = TicketLink(
            ticket=ticket,
            article=article,
            relation=TicketLink.Relation.ANSWERS,
            linked_by=ticket.assignee,
            created_at=at,
        )
    for spec in specs:
        source = written_from(spec.written_from) if spec.written_from else None
        if source is not None:
            article = articles[spec.slug]
            links[(source.pk, article.pk)] = TicketLink(
                ticket=source,
                article=article,
                relation=TicketLink.Relation.CREATED_FROM,
                linked_by=article.owner,
                created_at=article.created_at,
            )
    return list(links.values())
