"""Who works a ticket: taking it, assigning it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import NotificationKind, Team, User
from tickets.models import Ticket, TicketEvent
from tickets.notifications import notify

from .editing import (
    ConflictError,
    lock_for_edit,
    record_event,
    require_staff,
    save_changes,
)

Status = Ticket.Status


@transaction.atomic
def take_ticket(ticket: Ticket, *, by: User) -> Ticket:
    """Assign an unassigned ticket to the agent who clicked "Take".

    A conditional update: when two agents click at once, exactly one row update
    succeeds and the other agent is told who has it.
    """
    require_staff(by, ticket)
    now = timezone.now()
    old_status = ticket.status
    new_status = Status.OPEN if ticket.status == Status.NEW else ticket.status
    won = Ticket.objects.filter(
        pk=ticket.pk, assignee__isnull=True, status__in=Ticket.OPEN_STATUSES
    ).update(assignee=by, status=new_status, updated_at=now, version=F("version") + 1)
    ticket.refresh_from_db()
    if not won:
        if ticket.assignee_id == by.pk:
            return ticket
        if ticket.assignee is not None:
            raise ConflictError(f"{ticket.assignee} has already taken this ticket.")
        raise ConflictError(
            f"This ticket is {ticket.get_status_display().lower()} and can't be taken."
        )
    # Taking a new ticket also starts work on it: the history says so, with both moves.
    before: dict[str, object] = {"assignee": None}
    after: dict[str, object] = {"assignee": str(by)}
    if new_status != old_status:
        before["status"], after["status"] = old_status, new_status
    record_event(ticket, TicketEvent.Kind.TAKEN, by=by, before=before, after=after, now=now)
    return ticket


@transaction.atomic
def assign_ticket(ticket: Ticket, *, agent: User | None, by: User, version: int | None) -> Ticket:
    """Assign a ticket to a member of its team, or unassign it (agent=None)."""
    require_staff(by, ticket)
    ticket = lock_for_edit(ticket, version)
    if ticket.is_final:
        raise ValidationError("A closed or cancelled ticket can't be reassigned.")
    if agent is not None:
        if not agent.is_active or not agent.is_staff_member:
            raise ValidationError({"assignee": "Only active service desk staff can be assigned."})
        if not Team.objects.of(agent).filter(pk=ticket.team_id).exists():
            raise ValidationError({"assignee": f"{agent} is not a member of {ticket.team}."})
    if ticket.assignee_id == (agent.pk if agent else None):
        return ticket
    now = timezone.now()
    before = {"assignee": str(ticket.assignee) if ticket.assignee else None}
    ticket.assignee = agent
    fields = ["assignee"]
    if agent is not None and ticket.status == Status.NEW:
        ticket.status = Status.OPEN
        fields.append("status")
    save_changes(ticket, fields, now=now)
    event = record_event(
        ticket,
        TicketEvent.Kind.ASSIGNED,
        by=by,
        before=before,
        after={"assignee": str(agent) if agent else None},
        now=now,
    )
    if agent is not None and agent != by:
        notify([agent], kind=NotificationKind.TICKET_ASSIGNED, event=event)
    return ticket
