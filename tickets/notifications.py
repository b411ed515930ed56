"""The notification outbox: record messages in the transaction, deliver after commit.

`notify()` is called by services inside their transaction and inserts one row per
recipient and event. After commit, a worker is nudged to deliver that event's rows; beat's sweep picks up
anything the nudge missed (a broker outage, a crashed worker). `deliver()` claims its row
with a conditional update, so two workers racing on one row send it once.

Messages that are not about a ticket event (a password reset, a survey invitation) are
queued with `enqueue()` under a unique key, and rendered by the function their app
registered for the kind with `@renders(kind)`: the outbox is the one road to a person's
inbox, whichever app has something to say.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind, NotificationPreference, User

from .models import Comment, OutboxMessage, Ticket, TicketEvent

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-delivery. It must outlast one SMTP
# conversation, or a slow send could be released and sent twice: tickets/smtp.py ends each
# conversation within EMAIL_CONVERSATION_SECONDS, and tickets/checks.py checks that it fits.
STALE_CLAIM = timedelta(minutes=1)


def wants(user: User, kind: str) -> bool:
    """False when the person switched this kind of message off.

    Only the kinds in NotificationKind can be switched off; the others (a password reset)
    are sent to whoever asked, whatever their preferences say.
    """
    if kind not in NotificationKind.values:
        return True
    return not NotificationPreference.objects.filter(user=user, kind=kind, enabled=False).exists()


def notify(
    recipients: Iterable[User], *, kind: str, event: TicketEvent, comment: Comment | None = None
) -> int:
    """Queue one email per person about a ticket event, skipping those who opted out.

    One query for the opt-outs and one insert for all rows, however many people; the
    unique key (event, recipient, kind) makes a repeated call insert nothing.
    """
    people = {person.pk: person for person in recipients if person.is_active and person.email}
    if not people:
        return 0
    opted_out = set(
        NotificationPreference.objects.filter(
            user_id__in=people, kind=kind, enabled=False
        ).values_list("user_id", flat=True)
    )
    rows = [
        OutboxMessage(
            kind=kind,
            recipient_id=pk,
            event=event,
            ticket_id=event.ticket_id,
            comment=comment,
            created_at=event.created_at,
            next_attempt_at=event.created_at,
        )
        for pk in people
        if pk not in opted_out
    ]
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(lambda: nudge(event.pk))
    return len(rows)


def nudge(event_id: int) -> None:
    """Ask a worker to deliver an event's messages now; if the broker is down, the sweep will."""
    from .tasks import deliver_event_messages

    try:
        deliver_event_messages.apply_async((event_id,), retry=False)
    except Exception as error:  # The broker being unreachable must never fail the request.
        logger.warning(
            "Broker unavailable (%s); messages of event %s wait for the sweep", error, event_id
        )


def enqueue(
    recipient: User,
    *,
    kind: str,
    key: str | None = None,
    payload: Mapping[str, object] | None = None,
    ticket: Ticket | None = None,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue one message that is not about a ticket event, inside the caller's transaction.

    A message with a `key` is queued once: a second call with the same key returns the
    first row and queues nothing. The kind's renderer (see `renders`) reads `payload`.
    Returns None for a person who cannot receive mail or opted out of the kind.
    """
    if kind not in RENDERERS:
        raise ValueError(f"No renderer is registered for outbox messages of kind {kind!r}.")
    if not recipient.is_active or not recipient.email or not wants(recipient, kind):
        return None
    now = now or timezone.now()
    fields = {
        "kind": kind,
        "recipient": recipient,
        "ticket": ticket,
        "payload": dict(payload or {}),
        "created_at": now,
        "next_attempt_at": now,
    }
    if key is None:
        message = OutboxMessage.objects.create(**fields)
    else:
        existing = OutboxMessage.objects.filter(key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(key=key, **fields)
        except IntegrityError:  # another transaction queued the same key first
            return OutboxMessage.objects.get(key=key)
    transaction.on_commit(lambda: nudge_message(message.pk))
    return message


@dataclass(frozen=True)
class Draft:
    """One message for `enqueue_many`: to whom, under which unique key, about what."""

    recipient_id: int
    key: str
    ticket_id: int | None = None
    payload: Mapping[str, object] = field(default_factory=dict)


# A batch nudges this many of its rows after commit; the sweep sends the rest, so a beat run
# that queues thousands never publishes thousands of tasks while holding a web-sized budget.
NUDGED_PER_BATCH = 50


def enqueue_many(drafts: Sequence[Draft], *, kind: str, now: datetime) -> dict[str, OutboxMessage]:
    """Queue many keyed messages of one kind in a few queries, inside the caller's transaction.

    `enqueue()` for a beat run's thousands of survey invitations: the same rules (people who
    cannot receive mail or opted out of the kind get nothing; a key already queued is not
    queued again) in three reads and one bulk insert. Returns the rows queued, by key.
    """
    if kind not in RENDERERS:
        raise ValueError(f"No renderer is registered for outbox messages of kind {kind!r}.")
    if not drafts:
        return {}
    people = {draft.recipient_id for draft in drafts}
    reachable = set(
        User.objects.filter(pk__in=people, is_active=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    opted_out = set(
        NotificationPreference.objects.filter(
            user_id__in=people, kind=kind, enabled=False
        ).values_list("user_id", flat=True)
    )
    keys = [draft.key for draft in drafts]
    taken = set(OutboxMessage.objects.filter(key__in=keys).values_list("key", flat=True))
    rows = [
        OutboxMessage(
            kind=kind,
            recipient_id=draft.recipient_id,
            ticket_id=draft.ticket_id,
            key=draft.key,
            payload=dict(draft.payload),
            created_at=now,
            next_attempt_at=now,
        )
        for draft in drafts
        if draft.recipient_id in reachable
        and draft.recipient_id not in opted_out
        and draft.key not in taken
    ]
    OutboxMessage.objects.bulk_create(rows, batch_size=1000)
    first = [row.pk for row in rows[:NUDGED_PER_BATCH]]
    if first:
        transaction.on_commit(lambda: nudge_messages(first))
    return {str(row.key): row for row in rows}


def nudge_messages(message_ids: Sequence[int]) -> None:
    """Nudge each message; after the first the broker refuses, leave the rest to the sweep."""
    for message_id in message_ids:
        if not nudge_message(message_id):
            return


def nudge_message(message_id: int) -> bool:
    """Ask a worker to send one message now; if the broker is down, the sweep will."""
    from .tasks import deliver_message

    try:
        deliver_message.apply_async((message_id,), retry=False)
    except Exception as error:  # The broker being unreachable must never fail the request.
        logger.warning("Broker unavailable (%s); message %s waits for the sweep", error, message_id)
        return False
    return True


Renderer = Callable[[OutboxMessage], EmailMultiAlternatives]
RENDERERS: dict[str, Renderer] = {}


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that turns an outbox row of `kind` into an email.

    Apps register theirs when they load (their `renderers` module, imported by AppConfig.ready),
    so a worker can send every kind without tickets knowing the other apps.
    """

    def register(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return register


def compose(
    message: OutboxMessage, *, template: str, context: Mapping[str, object], subject: str
) -> EmailMultiAlternatives:
    """An email from `<template>.txt` and `<template>.html`, with Servicedesk's headers."""
    context = {
        "message": message,
        "recipient": message.recipient,
        "site_url": settings.SITE_URL,
        "preferences_url": f"{settings.SITE_URL}{reverse('accounts:profile')}",
        **context,
    }
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"{template}.txt", context, using="jinja2"),
        to=[message.recipient.email],
        headers={**thread_headers(message), "Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(
        render_to_string(f"{template}.html", context, using="jinja2"), "text/html"
    )
    return email


# Where a person follows a ticket: staff in the agent workspace, requesters in the portal.
# The audience apps own these pages; the outbox only names them to build absolute links.
TICKET_PAGES = {"staff": "workspace:ticket-detail", "requester": "portal:ticket-detail"}


def ticket_link(ticket: Ticket, recipient: User) -> str:
    audience = (
        "staff" if recipient.is_staff_member and recipient != ticket.requester else "requester"
    )
    return f"{settings.SITE_URL}{reverse(TICKET_PAGES[audience], args=[ticket.pk])}"


def mail_domain() -> str:
    """The right-hand side of the Message-IDs: the site's host, so they are globally unique."""
    return urlsplit(settings.SITE_URL).hostname or str(DNS_NAME)


def thread_headers(message: OutboxMessage) -> dict[str, str]:
    """Message-ID, In-Reply-To and References that make one ticket's emails one conversation.

    Every message refers to the ticket's root id, `<ticket-N@domain>`, and replies to the
    last message the same person was sent about the ticket, so clients thread them even
    though the root itself is never sent. Message-IDs stay one per row: globally unique,
    and the same when a retry sends the row again.
    """
    domain = mail_domain()
    own_id = f"<outbox-{message.pk}@{domain}>"
    if message.ticket_id is None:
        return {"Message-ID": own_id}
    root = f"<ticket-{message.ticket_id}@{domain}>"
    headers = {"Message-ID": own_id, "References": root}
    previous = (
        OutboxMessage.objects.filter(
            ticket_id=message.ticket_id,
            recipient_id=message.recipient_id,
            status=OutboxMessage.Status.SENT,
            pk__lt=message.pk,
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if previous is not None:
        headers["In-Reply-To"] = f"<outbox-{previous}@{domain}>"
        headers["References"] = f"{root} {headers['In-Reply-To']}"
    return headers


def subject_line(message: OutboxMessage, context: Mapping[str, object]) -> str:
    """Every subject reads `[INC-000123] <what happened>: <ticket subject>`."""
    ticket = message.ticket
    assert ticket is not None, f"{message.kind} messages are about a ticket"  # nosec B101
    what = render_to_string(f"emails/{message.kind}.subject.txt", context, using="jinja2")
    subject = f"[{ticket.number}] {what.strip()}: {ticket.subject}"
    return " ".join(subject.split())


def render(message: OutboxMessage) -> EmailMultiAlternatives:
    """The email for one row: its kind's registered renderer, or a ticket event's message."""
    renderer = RENDERERS.get(message.kind)
    if renderer is not None:
        return renderer(message)
    ticket = message.ticket
    assert ticket is not None, f"{message.kind} messages are about a ticket"  # nosec B101
    recipient = message.recipient
    context: dict[str, object] = {
        "ticket": ticket,
        "event": message.event,
        "comment": message.comment,
        "ticket_url": ticket_link(ticket, recipient),
        "auto_close_days": settings.AUTO_CLOSE_AFTER_DAYS,
    }
    return compose(
        message,
        template=f"emails/{message.kind}",
        context=context,
        subject=subject_line(message, {"message": message, **context}),
    )


def reply_codes(error: OSError) -> list[int]:
    """The SMTP reply codes behind a failed send: one per refused recipient, or the one reply."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in error.recipients.values()]
    if isinstance(error, smtplib.SMTPResponseException):
        return [error.smtp_code]
    return []


def is_permanent(error: OSError) -> bool:
    """Only a 5xx reply says the server will never take the message.

    A 4xx at any step (greeting, MAIL, RCPT, DATA) is what greylisting, rate limits and full
    disks answer, and an error without a reply is the network: both may pass later. A
    message refused at RCPT carries one code per recipient; one 4xx among them is worth a retry.
    """
    codes = reply_codes(error)
    return bool(codes) and all(code >= 500 for code in codes)


def claim(message_id: int, *, now: datetime) -> bool:
    """Take a row due at `now` for sending; only one caller can win.

    The claim is stamped with the clock, not `now`: a sweep that began minutes ago claims its
    last rows late, and their claims must not look stale to the next sweep.
    """
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
        ).update(
            status=OutboxMessage.Status.SENDING,
            claimed_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
    )


def deliver(message_id: int, *, now: datetime | None = None) -> bool:
    """Send one outbox row if it is due and unclaimed. Returns True when sent."""
    now = now or timezone.now()
    if not claim(message_id, now=now):
        return False
    message = OutboxMessage.objects.select_related(
        "ticket__requester",
        "ticket__service",
        "ticket__team",
        "ticket__assignee",
        "recipient",
        "event__actor",
        "comment__author",
    ).get(pk=message_id)
    if not message.recipient.is_active or not wants(message.recipient, message.kind):
        message.status = OutboxMessage.Status.SKIPPED
        message.save(update_fields=["status"])
        return False
    try:
        render(message).send()
    # smtplib's errors are OSErrors, like the network's: every way a send can fail.
    except OSError as exc:
        give_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS or is_permanent(exc)
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


def deliver_for_event(event_id: int, *, now: datetime | None = None) -> int:
    """Send the pending messages one event caused."""
    now = now or timezone.now()
    pending = OutboxMessage.objects.due(now).filter(event_id=event_id).values_list("pk", flat=True)
    return sum(deliver(pk, now=now) for pk in list(pending))


def release_stale_claims(*, now: datetime) -> int:
    """Give rows claimed by workers that died mid-delivery back to the sweep.

    One conditional update: a row is released only while it is still SENDING under its stale
    claim, so a row its worker has since marked sent, or that was claimed anew, is left alone.
    """
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=OutboxMessage.Status.PENDING)


def sweep(*, now: datetime, limit: int = 200) -> int:
    """Deliver due rows the nudges missed, and release claims of crashed workers."""
    release_stale_claims(now=now)
    due = list(
        OutboxMessage.objects.due(now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(pk, now=now) for pk in due)
