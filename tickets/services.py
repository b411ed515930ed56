"""Every change to a ticket happens here, in a transaction, with its audit event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import NotificationKind, Team, User

from . import attachments as attachment_rules
from . import sla
from .models import (
    Attachment,
    Comment,
    Level,
    Service,
    Ticket,
    TicketEvent,
    priority_for,
)
from .notifications import notify

Status = Ticket.Status


class ConflictError(ValidationError):
    """The ticket changed since the person loaded it, or someone else got there first."""


# Which status an agent may move a ticket to from each status.
AGENT_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def _require_staff(user: User, ticket: Ticket | None = None) -> None:
    if not user.is_staff_member:
        raise PermissionDenied("Only service desk staff can do this.")
    if ticket is not None and not Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists():
        raise PermissionDenied("This ticket is not in your teams.")


def _lock(ticket: Ticket, version: int | None) -> Ticket:
    """Reload the row under a lock and check the version the person saw.

    The row lock makes concurrent edits queue up; the version check turns an edit
    based on an old page into a conflict instead of silently overwriting.
    """
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("team", "assignee")
        .get(pk=ticket.pk)
    )
    if version is not None and locked.version != version:
        raise ConflictError(
            "This ticket was changed by someone else while you were looking at it. "
            "The page now shows the latest version; please check and try again."
        )
    return locked


def _save(ticket: Ticket, fields: Iterable[str], *, now: datetime) -> None:
    """Save changed fields and touch updated_at; only a field change bumps the version."""
    fields = list(fields)
    ticket.updated_at = now
    if fields:
        ticket.version = F("version") + 1
        fields.append("version")
    ticket.save(update_fields=[*fields, "updated_at"])
    if fields:
        ticket.refresh_from_db(fields=["version"])


def _record(
    ticket: Ticket,
    kind: str,
    *,
    by: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=by,
        kind=kind,
        before=before or {},
        after=after or {},
        created_at=now,
    )


def _store_attachments(
    ticket: Ticket,
    files: Sequence[UploadedFile],
    *,
    by: User,
    comment: Comment | None,
    now: datetime,
) -> list[Attachment]:
    stored = []
    for upload in files:
        name = attachment_rules.clean_filename(upload.name or "attachment")
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            original_name=name,
            content_type=attachment_rules.guess_content_type(name),
            size=upload.size or 0,
            uploaded_by=by,
            created_at=now,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _notify_team(ticket: Ticket, event: TicketEvent, *, exclude: User | None) -> None:
    members = ticket.team.members.filter(is_active=True).exclude(pk=exclude.pk if exclude else None)
    notify(members, kind=NotificationKind.TICKET_IN_QUEUE, event=event)


@transaction.atomic
def create_ticket(
    *,
    requester: User,
    service: Service,
    subject: str,
    description: str,
    impact: str = Level.LOW,
    urgency: str = Level.LOW,
    category: str = Ticket.Category.INCIDENT,
    files: Sequence[UploadedFile] = (),
    submission_token: uuid.UUID | None = None,
    by: User,
) -> Ticket:
    """Log a ticket for a requester and tell them and the owning team.

    A repeated submission token returns the ticket the first submission created, so a
    double click or a resubmitted form never makes two tickets.
    """
    if by != requester and not by.is_staff_member:
        raise PermissionDenied("You can only log tickets for yourself.")
    if not service.is_active:
        raise ValidationError({"service": "This service is no longer offered."})
    subject, description = subject.strip(), description.strip()
    if not subject:
        raise ValidationError({"subject": "Give the ticket a short subject."})
    if not description:
        raise ValidationError({"description": "Describe the problem or request."})
    attachment_rules.validate_uploads(list(files))
    if submission_token is not None:
        existing = Ticket.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return existing

    now = timezone.now()
    ticket = Ticket(
        subject=subject[:200],
        description=description,
        requester=requester,
        service=service,
        category=category,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        team=service.owner_team,
        created_at=now,
        updated_at=now,
        submission_token=submission_token,
    )
    clock = sla.start(ticket, now=now)
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError:
        # A concurrent request with the same token won the race.
        return Ticket.objects.get(submission_token=submission_token)
    event = _record(
        ticket,
        TicketEvent.Kind.CREATED,
        by=by,
        after={
            "status": ticket.status,
            "priority": ticket.priority,
            "team": ticket.team.name,
        },
        now=now,
    )
    sla.record(ticket, clock, by=None, now=now)
    _store_attachments(ticket, files, by=by, comment=None, now=now)
    notify([requester], kind=NotificationKind.TICKET_RECEIVED, event=event)
    _notify_team(ticket, event, exclude=by)
    return ticket


@transaction.atomic
def take_ticket(ticket: Ticket, *, by: User) -> Ticket:
    """Assign an unassigned ticket to the agent who clicked "Take".

    A conditional update: when two agents click at once, exactly one row update
    succeeds and the other agent is told who has it.
    """
    _require_staff(by, ticket)
    now = timezone.now()
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
    _record(ticket, TicketEvent.Kind.TAKEN, by=by, after={"assignee": str(by)}, now=now)
    return ticket


@transaction.atomic
def assign_ticket(ticket: Ticket, *, agent: User | None, by: User, version: int | None) -> Ticket:
    """Assign a ticket to a member of its team, or unassign it (agent=None)."""
    _require_staff(by, ticket)
    ticket = _lock(ticket, version)
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
    _save(ticket, fields, now=now)
    event = _record(
        ticket, TicketEvent.Kind.ASSIGNED, by=by, before=before,
        after={"assignee": str(agent) if agent else None}, now=now,
    )  # fmt: skip
    if agent is not None and agent != by:
        notify([agent], kind=NotificationKind.TICKET_ASSIGNED, event=event)
    return ticket


@transaction.atomic
def add_comment(
    ticket: Ticket,
    *,
    body: str,
    by: User,
    internal: bool = False,
    files: Sequence[UploadedFile] = (),
) -> Comment:
    """Add a public reply or an internal note, and move the clock the way it implies.

    A requester's reply to a ticket waiting on them puts it back in progress; the
    first public reply from staff records the first response.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a message first."})
    is_staff = by.is_staff_member and by != ticket.requester
    if internal and not is_staff:
        raise PermissionDenied("Only staff can add internal notes.")
    if is_staff:
        _require_staff(by, ticket)
    elif by != ticket.requester:
        raise PermissionDenied("You can only reply to your own tickets.")
    attachment_rules.validate_uploads(list(files))
    ticket = _lock(ticket, None)
    if ticket.is_final:
        raise ValidationError("This ticket is closed. Please log a new ticket instead.")
    if ticket.status == Status.RESOLVED and not is_staff:
        raise ValidationError("This ticket is resolved: reopen it to add a reply.")

    now = timezone.now()
    comment = Comment.objects.create(
        ticket=ticket, author=by, body=body, is_internal=internal, created_at=now
    )
    stored = _store_attachments(ticket, files, by=by, comment=comment, now=now)
    fields: list[str] = []
    clock: list[sla.Change] = []
    before_status = ticket.status
    if not internal and is_staff:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            fields.append("first_responded_at")
            clock += sla.record_response(ticket, now=now)
        if ticket.status == Status.NEW:
            ticket.status = Status.OPEN
            fields.append("status")
    if not is_staff and ticket.status == Status.PENDING:
        ticket.status = Status.OPEN
        fields.append("status")
        clock += sla.resume(ticket, now=now)
    if clock:
        fields += sla.SLA_FIELDS
    _save(ticket, fields, now=now)
    sla.record(ticket, clock, by=by, now=now)

    kind = TicketEvent.Kind.NOTE_ADDED if internal else TicketEvent.Kind.REPLIED
    after: dict[str, Any] = {
        "comment": comment.pk,
        "attachments": [a.original_name for a in stored],
    }
    before: dict[str, Any] = {}
    if before_status != ticket.status:
        before["status"], after["status"] = before_status, ticket.status
    event = _record(ticket, kind, by=by, before=before, after=after, now=now)
    if not internal:
        recipient = ticket.requester if is_staff else ticket.assignee
        if recipient is not None and recipient != by:
            notify(
                [recipient],
                kind=NotificationKind.PUBLIC_REPLY,
                event=event,
                comment=comment,
            )
    return comment


def _move_clock(ticket: Ticket, before: str, after: str, *, now: datetime) -> list[sla.Change]:
    """What a status change does to the SLA clock."""
    if after == Status.PENDING:
        return sla.pause(ticket, now=now)
    if after == Status.RESOLVED:
        return sla.stop(ticket, now=now, resolved=True)
    if after == Status.CANCELLED:
        return sla.stop(ticket, now=now, resolved=False)
    if after == Status.OPEN and before in (Status.PENDING, Status.RESOLVED):
        return sla.resume(ticket, now=now)
    return []


def _set_status(ticket: Ticket, status: str, *, by: User | None, now: datetime) -> TicketEvent:
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
    clock = _move_clock(ticket, before, status, now=now)
    if ticket.sla_policy_id:
        fields += sla.SLA_FIELDS
    _save(ticket, fields, now=now)
    sla.record(ticket, clock, by=by, now=now)
    return _record(
        ticket, TicketEvent.Kind.STATUS_CHANGED, by=by,
        before={"status": before}, after={"status": status}, now=now,
    )  # fmt: skip


@transaction.atomic
def change_status(ticket: Ticket, *, status: str, by: User, version: int | None) -> Ticket:
    """Move a ticket through its lifecycle as an agent."""
    _require_staff(by, ticket)
    ticket = _lock(ticket, version)
    if status not in Status.values:
        raise ValidationError({"status": "Unknown status."})
    if status == ticket.status:
        return ticket
    if status not in AGENT_TRANSITIONS[ticket.status]:
        raise ValidationError(
            f"A ticket that is {ticket.get_status_display().lower()} can't be moved to "
            f"{Status(status).label.lower()}."
        )
    reopened = ticket.status == Status.RESOLVED and status == Status.OPEN
    event = _set_status(ticket, status, by=by, now=timezone.now())
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
    ticket = _lock(ticket, None)
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
    ticket = _lock(ticket, None)
    if ticket.status != Status.RESOLVED:
        raise ValidationError("Only a resolved ticket can be reopened.")
    now = timezone.now()
    Comment.objects.create(ticket=ticket, author=by, body=reason, created_at=now)
    event = _set_status(ticket, Status.OPEN, by=by, now=now)
    if ticket.assignee is not None:
        notify([ticket.assignee], kind=NotificationKind.TICKET_REOPENED, event=event)
    else:
        _notify_team(ticket, event, exclude=by)
    return ticket


@transaction.atomic
def cancel_ticket(ticket: Ticket, *, by: User) -> Ticket:
    """The requester withdraws a ticket they no longer need."""
    if by != ticket.requester:
        raise PermissionDenied("Only the requester can withdraw this ticket.")
    ticket = _lock(ticket, None)
    if not ticket.is_open:
        raise ValidationError("Only an open ticket can be withdrawn.")
    _set_status(ticket, Status.CANCELLED, by=by, now=timezone.now())
    return ticket


@transaction.atomic
def update_ticket(
    ticket: Ticket,
    *,
    by: User,
    version: int | None,
    priority: int | None = None,
    service: Service | None = None,
    team: Team | None = None,
) -> Ticket:
    """Change the triage fields an agent owns: priority, service and team.

    Moving a ticket to another team unassigns it unless the assignee is in that team
    too, and tells the new team.
    """
    _require_staff(by, ticket)
    ticket = _lock(ticket, version)
    if ticket.is_final:
        raise ValidationError("A closed or cancelled ticket can't be changed.")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    fields: list[str] = []
    if priority is not None and priority != ticket.priority:
        before["priority"], after["priority"] = ticket.priority, priority
        ticket.priority = priority
        fields.append("priority")
    if service is not None and service.pk != ticket.service_id:
        before["service"], after["service"] = str(ticket.service), str(service)
        ticket.service = service
        fields.append("service")
    team_changed = team is not None and team.pk != ticket.team_id
    if team is not None and team_changed:
        before["team"], after["team"] = str(ticket.team), str(team)
        ticket.team = team
        fields.append("team")
        if ticket.assignee and not Team.objects.of(ticket.assignee).filter(pk=team.pk).exists():
            before["assignee"], after["assignee"] = str(ticket.assignee), None
            ticket.assignee = None
            fields.append("assignee")
    if not fields:
        return ticket
    now = timezone.now()
    rematch = {"priority", "service"} & set(fields)
    clock = sla.rematch(ticket, now=now) if rematch else []
    if rematch:
        fields += sla.SLA_FIELDS
    _save(ticket, fields, now=now)
    event = _record(ticket, TicketEvent.Kind.UPDATED, by=by, before=before, after=after, now=now)
    sla.record(ticket, clock, by=by, now=now)
    if team_changed:
        _notify_team(ticket, event, exclude=by)
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
