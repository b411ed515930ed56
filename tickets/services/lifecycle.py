"""The status lifecycle: moves, confirmation, reopening, withdrawal, auto-close."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import NotificationKind, User
from tickets import sla
from tickets.models import Comment, Ticket, TicketEvent
from tickets.notifications import notify

from .editing import (
    lock_for_edit,
    notify_owner,
    record_clock_events,
    record_event,
    require_staff,
    save_changes,
)

Status = Ticket.Status


# Which status an agent may move a ticket to from each status.
AGENT_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def _set_status(
    ticket: Ticket,
    status: str,
    *,
    by: User | None,
    now: datetime,
    comment: Comment | None = None,
) -> TicketEvent:
    """Move the status, its clock and timestamps, and record the move (and the comment it carries)."""
    before = ticket.status
    ticket.status = status
    fields = ["status"]
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif status == Status.OPEN and before == Status.RESOLVED:
        ticket.resolved_at = None
        fields.append("resolved_at")
    clock = sla.on_status_change(ticket, before, status, now=now)
    save_changes(ticket, [*fields, *clock.fields], now=now)
    record_clock_events(ticket, clock.events, by=by, now=now)
    after: dict[str, object] = {"status": status}
    if comment is not None:
        after["comment"] = comment.pk
    return record_event(
        ticket,
        TicketEvent.Kind.STATUS_CHANGED,
        by=by,
        before={"status": before},
        after=after,
        now=now,
    )


@transaction.atomic
def change_status(
    ticket: Ticket, *, status: str, by: User, version: int | None, question: str = ""
) -> Ticket:
    """Move a ticket through its lifecycle as an agent.

    Waiting on the requester needs the question they must answer: it goes into the
    conversation as a public comment and to the requester by email, since a ticket that
    waits on someone who doesn't know what for waits for ever.
    """
    require_staff(by, ticket)
    ticket = lock_for_edit(ticket, version)
    if status not in Status.values:
        raise ValidationError({"status": "Unknown status."})
    if status == ticket.status:
        return ticket
    if status not in AGENT_TRANSITIONS[ticket.status]:
        raise ValidationError(
            f"A ticket that is {ticket.get_status_display().lower()} can't be moved to "
            f"{Status(status).label.lower()}."
        )
    question = question.strip()
    if status == Status.PENDING and not question:
        raise ValidationError({"question": "Tell the requester what you need from them."})
    if status != Status.PENDING and question:
        raise ValidationError(
            {"question": "A question goes with “waiting on requester”; send it as a reply instead."}
        )
    now = timezone.now()
    asked = None
    if status == Status.PENDING:
        # The move only pauses the clock; whether the question also counts as the response
        # is for the SLA rules (tickets/sla/rules.py) to say.
        asked = Comment.objects.create(ticket=ticket, author=by, body=question, created_at=now)
    reopened = ticket.status == Status.RESOLVED and status == Status.OPEN
    event = _set_status(ticket, status, by=by, now=now, comment=asked)
    if asked is not None and ticket.requester != by:
        notify([ticket.requester], kind=NotificationKind.TICKET_WAITING, event=event, comment=asked)
    if status == Status.RESOLVED and ticket.requester != by:
        notify([ticket.requester], kind=NotificationKind.TICKET_RESOLVED, event=event)
    if reopened and ticket.assignee is not None and ticket.assignee != by:
        notify([ticket.assignee], kind=NotificationKind.TICKET_REOPENED, event=event)
    return ticket


@transaction.atomic
def confirm_resolution(ticket: Ticket, *, by: User) -> Ticket:
    """The requester agrees the ticket is solved: it closes."""
    if by != ticket.requester:
        raise PermissionDenied("Only the requester can confirm the resolution.")
    ticket = lock_for_edit(ticket, None)
    if ticket.status != Status.RESOLVED:
        raise ValidationError("Only a resolved ticket can be confirmed.")
    _set_status(ticket, Status.CLOSED, by=by, now=timezone.now())
    return ticket


@transaction.atomic
def reopen_ticket(ticket: Ticket, *, reason: str, by: User) -> Ticket:
    """The requester says the fix did not work: back to in progress, with their reason."""
    if by != ticket.requester:
        raise PermissionDenied("Only the requester can reopen this ticket.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Tell us what is still not working."})
    ticket = lock_for_edit(ticket, None)
    if ticket.status != Status.RESOLVED:
        raise ValidationError("Only a resolved ticket can be reopened.")
    now = timezone.now()
    comment = Comment.objects.create(ticket=ticket, author=by, body=reason, created_at=now)
    event = _set_status(ticket, Status.OPEN, by=by, now=now, comment=comment)
    notify_owner(ticket, event, kind=NotificationKind.TICKET_REOPENED, by=by, comment=comment)
    return ticket


@transaction.atomic
def cancel_ticket(ticket: Ticket, *, by: User) -> Ticket:
    """The requester withdraws a ticket they no longer need; whoever works it is told."""
    if by != ticket.requester:
        raise PermissionDenied("Only the requester can withdraw this ticket.")
    ticket = lock_for_edit(ticket, None)
    if not ticket.is_open:
        raise ValidationError("Only an open ticket can be withdrawn.")
    event = _set_status(ticket, Status.CANCELLED, by=by, now=timezone.now())
    notify_owner(ticket, event, kind=NotificationKind.TICKET_WITHDRAWN, by=by)
    return ticket


def close_resolved_tickets(*, now: datetime, after: timedelta, limit: int = 500) -> int:
    """Close tickets resolved longer ago than `after` that nobody confirmed or reopened.

    Requesters who never answer should not leave tickets resolved for ever; the email
    that announced the resolution says how long they have to reopen.
    """
    closed = 0
    due = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=now - after)
    for ticket_id in due.order_by("resolved_at").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            # skip_locked: a ticket someone is reopening right now is left for the next run.
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=ticket_id, status=Status.RESOLVED)
                .first()
            )
            if ticket is not None:
                _set_status(ticket, Status.CLOSED, by=None, now=now)
                closed += 1
    return closed
