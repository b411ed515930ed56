"""How a service edits a ticket: permission, row lock and version, save, audit event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import F

from accounts.models import NotificationKind, User
from tickets import attachments as attachment_rules
from tickets.models import Attachment, Comment, Ticket, TicketEvent
from tickets.notifications import notify
from tickets.sla import Change


class ConflictError(ValidationError):
    """The ticket changed since the person loaded it, or someone else got there first."""


def require_staff(user: User, ticket: Ticket | None = None) -> None:
    if not user.is_staff_member:
        raise PermissionDenied("Only service desk staff can do this.")
    if ticket is not None and not Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists():
        raise PermissionDenied("This ticket is not in your teams.")


def lock_for_edit(ticket: Ticket, version: int | None) -> Ticket:
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


def save_changes(ticket: Ticket, fields: Iterable[str], *, now: datetime) -> None:
    """Save changed fields and touch updated_at; only a field change bumps the version."""
    fields = list(fields)
    ticket.updated_at = now
    if fields:
        ticket.version = F("version") + 1
        fields.append("version")
    ticket.save(update_fields=[*fields, "updated_at"])
    if fields:
        ticket.refresh_from_db(fields=["version"])


def record_event(
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


def record_clock_events(
    ticket: Ticket, changes: Iterable[Change], *, by: User | None, now: datetime
) -> list[TicketEvent]:
    """Record the events an SLA rule returned, as every other change is recorded."""
    return [
        record_event(ticket, c.kind, by=by, before=c.before, after=c.after, now=now)
        for c in changes
    ]


def store_attachments(
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
    if stored:
        Ticket.objects.filter(pk=ticket.pk).update(
            attachment_count=F("attachment_count") + len(stored)
        )
        ticket.attachment_count += len(stored)
    return stored


def notify_team(
    ticket: Ticket,
    event: TicketEvent,
    *,
    exclude: User | None,
    kind: str = NotificationKind.TICKET_IN_QUEUE,
    comment: Comment | None = None,
) -> None:
    members = ticket.team.members.filter(is_active=True)
    if exclude:
        members = members.exclude(pk=exclude.pk)
    notify(members, kind=kind, event=event, comment=comment)


def notify_owner(
    ticket: Ticket, event: TicketEvent, *, kind: str, by: User, comment: Comment | None = None
) -> None:
    """Tell whoever works the ticket: its assignee, or its whole team while nobody has taken it."""
    if ticket.assignee is None:
        notify_team(ticket, event, exclude=by, kind=kind, comment=comment)
    elif ticket.assignee != by:
        notify([ticket.assignee], kind=kind, event=event, comment=comment)
