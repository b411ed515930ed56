"""Replies and internal notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import NotificationKind, User
from tickets import attachments as attachment_rules
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
    store_attachments,
)

Status = Ticket.Status


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
        require_staff(by, ticket)
    elif by != ticket.requester:
        raise PermissionDenied("You can only reply to your own tickets.")
    attachment_rules.validate_uploads(list(files))
    ticket = lock_for_edit(ticket, None)
    if ticket.is_final:
        raise ValidationError("This ticket is closed. Please log a new ticket instead.")
    if ticket.status == Status.RESOLVED and not is_staff:
        raise ValidationError("This ticket is resolved: reopen it to add a reply.")

    now = timezone.now()
    comment = Comment.objects.create(
        ticket=ticket, author=by, body=body, is_internal=internal, created_at=now
    )
    stored = store_attachments(ticket, files, by=by, comment=comment, now=now)
    fields: list[str] = []
    before_status = ticket.status
    # A public reply from staff takes a new ticket on; the requester's answer ends the wait.
    if (not internal and is_staff and ticket.status == Status.NEW) or (
        not is_staff and ticket.status == Status.PENDING
    ):
        ticket.status = Status.OPEN
        fields.append("status")
    moved = sla.on_status_change(ticket, before_status, ticket.status, now=now)
    replied = sla.on_reply(ticket, comment, from_staff=is_staff, now=now)
    save_changes(ticket, {*fields, *moved.fields, *replied.fields}, now=now)
    record_clock_events(ticket, [*moved.events, *replied.events], by=by, now=now)

    kind = TicketEvent.Kind.NOTE_ADDED if internal else TicketEvent.Kind.REPLIED
    after: dict[str, Any] = {
        "comment": comment.pk,
        "attachments": [a.original_name for a in stored],
    }
    before: dict[str, Any] = {}
    if before_status != ticket.status:
        before["status"], after["status"] = before_status, ticket.status
    event = record_event(ticket, kind, by=by, before=before, after=after, now=now)
    if internal:
        return comment
    if is_staff:
        notify([ticket.requester], kind=NotificationKind.PUBLIC_REPLY, event=event, comment=comment)
    else:
        notify_owner(ticket, event, kind=NotificationKind.PUBLIC_REPLY, by=by, comment=comment)
    return comment
