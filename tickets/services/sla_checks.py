"""The beat's SLA checks: warnings and breaches that have come due, written like any change."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.models import NotificationKind
from tickets import sla
from tickets.models import Ticket, TicketEvent
from tickets.notifications import notify

from .editing import record_clock_events


def check_sla(*, now: datetime, limit: int = 500, notify_people: bool = True) -> int:
    """Send warnings and breaches that have come due, each exactly once.

    Reads only tickets whose `next_sla_check_at` has passed (an indexed column), locks
    each with SKIP LOCKED so overlapping runs never handle the same ticket, and marks
    what it sent on the ticket in the same transaction as the events and outbox rows. A
    reply or resolution that judged a target first leaves the beat nothing to record.
    """
    due_ids = list(
        Ticket.objects.filter(next_sla_check_at__lte=now)
        .order_by("next_sla_check_at")
        .values_list("pk", flat=True)[:limit]
    )
    handled = 0
    for ticket_id in due_ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("sla_policy__calendar", "team__lead", "assignee")
                .filter(pk=ticket_id, next_sla_check_at__lte=now)
                .first()
            )
            if ticket is not None:
                _check_ticket(ticket, now=now, notify_people=notify_people)
                handled += 1
    return handled


def _check_ticket(ticket: Ticket, *, now: datetime, notify_people: bool) -> None:
    clock = sla.on_check(ticket, now=now)
    ticket.save(update_fields=clock.fields)
    events = record_clock_events(ticket, clock.events, by=None, now=now)
    if notify_people:
        for event in events:
            _notify(ticket, event)


def _notify(ticket: Ticket, event: TicketEvent) -> None:
    if event.kind == TicketEvent.Kind.SLA_WARNING:
        people = (
            [ticket.assignee]
            if ticket.assignee
            else list(ticket.team.members.filter(is_active=True))
        )
        notify(people, kind=NotificationKind.SLA_WARNING, event=event)
    elif event.kind == TicketEvent.Kind.SLA_BREACHED:
        lead = ticket.team.lead
        notify([lead] if lead else [], kind=NotificationKind.SLA_BREACHED, event=event)
