"""The notification outbox: record messages in the transaction, deliver after commit.

`notify()` is called by services inside their transaction and inserts one row per
recipient and event. After commit, the dispatcher task is nudged; beat's sweep picks up
anything the nudge missed (a broker outage, a crashed worker). `deliver()` claims its row
with a conditional update, so two workers racing on one row send it once.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import NotificationKind, NotificationPreference, User

from .models import Comment, OutboxMessage, TicketEvent

logger = logging.getLogger(__name__)

# Errors worth trying again later: the mail server or the network had a bad moment.
TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)
STALE_CLAIM = timedelta(minutes=5)


def wants(user: User, kind: str) -> bool:
    return not NotificationPreference.objects.filter(user=user, kind=kind, enabled=False).exists()


def notify(
    recipient: User, *, kind: str, event: TicketEvent, comment: Comment | None = None
) -> OutboxMessage | None:
    """Queue one email to one person about a ticket event, unless they opted out."""
    if not recipient.is_active or not recipient.email or not wants(recipient, kind):
        return None
    message, created = OutboxMessage.objects.get_or_create(
        event=event,
        recipient=recipient,
        kind=kind,
        defaults={
            "ticket_id": event.ticket_id,
            "comment": comment,
            "created_at": event.created_at,
        },
    )
    if created:
        transaction.on_commit(lambda: nudge(message.pk))
    return message


def nudge(message_id: int) -> None:
    """Ask a worker to deliver now; if the broker is down, the sweep delivers later."""
    from .tasks import deliver_outbox_message

    try:
        deliver_outbox_message.apply_async((message_id,), retry=False)
    except Exception:  # The broker being unreachable must never fail the request.
        logger.warning("Broker unavailable; outbox message %s waits for the sweep", message_id)


def render(message: OutboxMessage) -> EmailMultiAlternatives:
    ticket = message.ticket
    recipient = message.recipient
    staff_view = recipient.is_staff_member and recipient != ticket.requester
    path = ticket.get_workspace_url() if staff_view else ticket.get_absolute_url()
    context = {
        "message": message,
        "ticket": ticket,
        "recipient": recipient,
        "event": message.event,
        "comment": message.comment,
        "ticket_url": f"{settings.SITE_URL}{path}",
        "preferences_url": f"{settings.SITE_URL}/accounts/profile/",
        "site_url": settings.SITE_URL,
        "auto_close_days": settings.AUTO_CLOSE_AFTER_DAYS,
    }
    base = f"emails/{message.kind}"
    subject = " ".join(render_to_string(f"{base}.subject.txt", context).split())
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{base}.txt", context),
        to=[recipient.email],
        headers={
            "Message-ID": message.message_id,
            "References": f"<ticket-{ticket.pk}@servicedesk>",
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(render_to_string(f"{base}.html", context), "text/html")
    return email


def claim(message_id: int, *, now: datetime) -> bool:
    """Take a due row for sending; only one caller can win."""
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
        ).update(
            status=OutboxMessage.Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    )


def deliver(message_id: int, *, now: datetime | None = None) -> bool:
    """Send one outbox row if it is due and unclaimed. Returns True when sent."""
    now = now or timezone.now()
    if not claim(message_id, now=now):
        return False
    message = OutboxMessage.objects.select_related(
        "ticket__requester", "ticket__service", "ticket__team", "ticket__assignee",
        "recipient", "event__actor", "comment__author",
    ).get(pk=message_id)  # fmt: skip
    if not message.recipient.is_active or not wants(message.recipient, message.kind):
        message.status = OutboxMessage.Status.SKIPPED
        message.save(update_fields=["status"])
        return False
    try:
        render(message).send()
    except TRANSIENT_ERRORS + (smtplib.SMTPException,) as exc:
        give_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS or (
            isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
        ) or isinstance(exc, smtplib.SMTPRecipientsRefused)  # fmt: skip
        message.status = OutboxMessage.Status.FAILED if give_up else OutboxMessage.Status.PENDING
        message.next_attempt_at = now + timedelta(seconds=30 * 2**message.attempts)
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        message.save(update_fields=["status", "next_attempt_at", "last_error"])
        logger.warning("Outbox message %s not sent (%s)", message_id, message.last_error)
        return False
    message.status = OutboxMessage.Status.SENT
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "last_error"])
    return True


def sweep(*, now: datetime, limit: int = 200) -> int:
    """Deliver due rows the nudges missed, and release claims of crashed workers."""
    OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=OutboxMessage.Status.PENDING)
    due = list(
        OutboxMessage.objects.due(now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(pk, now=now) for pk in due)


KIND_LABELS = dict(NotificationKind.choices)
