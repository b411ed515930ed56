"""Logging a new ticket."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import NotificationKind, User
from tickets import attachments as attachment_rules
from tickets import limits, sla
from tickets.models import Level, Service, Ticket, TicketEvent, priority_for
from tickets.notifications import notify

from .editing import (
    notify_team,
    record_clock_events,
    record_event,
    store_attachments,
)


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

    A repeated submission token returns the ticket the first submission created for the
    same requester, so a double click or a resubmitted form never makes two tickets, and
    someone else's token only ever logs a ticket of their own. Past the person's
    submission limit it raises `SubmissionLimitReached` before anything is written.
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
        existing = Ticket.objects.filter(
            requester=requester, submission_token=submission_token
        ).first()
        if existing is not None:
            return existing

    now = timezone.now()
    retry_after = limits.allow_submission(by, now=now)
    if retry_after is not None:
        raise limits.SubmissionLimitReached(retry_after)
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
    clock = sla.on_create(ticket, now=now)
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError:
        # A concurrent request with the same token won the race.
        return Ticket.objects.get(requester=requester, submission_token=submission_token)
    event = record_event(
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
    record_clock_events(ticket, clock.events, by=None, now=now)
    store_attachments(ticket, files, by=by, comment=None, now=now)
    notify([requester], kind=NotificationKind.TICKET_RECEIVED, event=event)
    notify_team(ticket, event, exclude=by)
    return ticket
