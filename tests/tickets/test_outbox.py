import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import NotificationKind
from tickets import notifications, services, tasks
from tickets.models import OutboxMessage, Ticket

Status = OutboxMessage.Status


def create(requester, service) -> Ticket:
    return services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="VPN drops",
        description="Every 5 minutes.",
    )


def received(ticket: Ticket) -> OutboxMessage:
    return OutboxMessage.objects.get(ticket=ticket, kind=NotificationKind.TICKET_RECEIVED)


def test_commit_nudges_the_dispatcher_with_the_row(
    requester, service, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.deliver_event_messages, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = create(requester, service)
    apply_async.assert_called_once_with((received(ticket).event_id,), retry=False)


def test_message_is_delivered_once_even_if_the_task_runs_twice(requester, service):
    message = received(create(requester, service))
    assert tasks.deliver_event_messages(message.event_id) == 1
    assert tasks.deliver_event_messages(message.event_id) == 0
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    sent = mail.outbox[0]
    assert isinstance(sent, EmailMultiAlternatives)
    assert sent.to == ["ella@example.com"]
    assert sent.extra_headers["Message-ID"] == f"<outbox-{message.pk}@servicedesk.test>"
    assert "VPN drops" in sent.subject
    assert f"http://servicedesk.test/portal/tickets/{message.ticket_id}/" in sent.body
    _, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"


def test_broker_outage_delays_but_does_not_lose_the_message(
    requester, service, agent, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(
            tasks.deliver_event_messages,
            "apply_async",
            side_effect=OperationalError("broker down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = create(requester, service)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert mail.outbox == []
    assert received(ticket).status == Status.PENDING

    sent = tasks.sweep_outbox()

    assert sent == 2  # the requester's receipt and the team member's queue notice
    assert received(ticket).status == Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ella@example.com",
        "sam@example.com",
    ]


def test_rolled_back_ticket_sends_nothing(requester, service, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.deliver_event_messages, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create(requester, service)
        raise RuntimeError("something later in the request failed")
    assert callbacks == []
    apply_async.assert_not_called()
    assert not OutboxMessage.objects.exists()
    assert notifications.sweep(now=timezone.now()) == 0
    assert mail.outbox == []


def test_transient_smtp_error_retries_later_with_backoff(requester, service):
    message = received(create(requester, service))
    now = timezone.now()
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send",
        side_effect=smtplib.SMTPServerDisconnected("gone"),
    ):
        assert notifications.deliver(message.pk, now=now) is False
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.next_attempt_at == now + timedelta(seconds=60)
    assert "SMTPServerDisconnected" in message.last_error
    # Not due yet: the sweep leaves it alone; once due, it goes out.
    assert notifications.deliver(message.pk, now=now) is False
    assert notifications.deliver(message.pk, now=now + timedelta(seconds=61)) is True


def test_permanent_smtp_error_marks_the_row_failed(requester, service):
    message = received(create(requester, service))
    refused = smtplib.SMTPRecipientsRefused({"ella@example.com": (550, b"no such user")})
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        notifications.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_gives_up_after_the_configured_attempts(requester, service, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = received(create(requester, service))
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("network")):
        for _ in range(2):
            OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
            notifications.deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 2)


def test_sweep_releases_claims_of_a_crashed_worker_after_about_a_minute(requester, service):
    message = received(create(requester, service))
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_at=timezone.now() - timedelta(seconds=61)
    )
    notifications.sweep(now=timezone.now())
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_recent_claim_is_not_stolen_by_the_sweep(requester, service):
    message = received(create(requester, service))
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_at=timezone.now()
    )
    notifications.sweep(now=timezone.now())
    message.refresh_from_db()
    assert message.status == Status.SENDING


def test_a_claim_is_stamped_when_it_is_taken_not_when_the_sweep_began(requester, service):
    """A long sweep claims its last rows late; their claims must not look stale already."""
    message = received(create(requester, service))
    sweep_began = timezone.now() - timedelta(minutes=2)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=sweep_began)
    assert notifications.deliver(message.pk, now=sweep_began) is True
    message.refresh_from_db()
    assert message.claimed_at is not None
    assert message.claimed_at > timezone.now() - timedelta(seconds=5)


def test_a_released_claim_is_not_released_again_from_its_new_owner(requester, service):
    """Release is conditional on the stale stamp: a row claimed anew since then stays claimed."""
    message = received(create(requester, service))
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_at=now - timedelta(seconds=61)
    )
    assert notifications.release_stale_claims(now=now) == 1
    assert notifications.claim(message.pk, now=now)
    assert notifications.release_stale_claims(now=now + timedelta(seconds=30)) == 0
    message.refresh_from_db()
    assert message.status == Status.SENDING


def test_person_who_opted_out_after_queueing_is_skipped(requester, service):
    from accounts.services import set_notification_preferences

    message = received(create(requester, service))
    set_notification_preferences(requester, enabled=[], by=requester)
    assert notifications.deliver(message.pk) is False
    message.refresh_from_db()
    assert message.status == Status.SKIPPED
    assert mail.outbox == []


def test_delivery_over_real_smtp_has_html_text_and_message_id(requester, service, agent, smtp_sink):
    ticket = create(requester, service)
    notifications.sweep(now=timezone.now())
    by_recipient = {m["To"]: m for m in smtp_sink.messages}
    assert set(by_recipient) == {"ella@example.com", "sam@example.com"}
    receipt = by_recipient["ella@example.com"]
    assert receipt["Message-ID"] == f"<outbox-{received(ticket).pk}@servicedesk.test>"
    assert receipt.get_body(("plain",)).get_content().startswith("Hello Ella")
    assert ticket.number in receipt.get_body(("html",)).get_content()
    queue_notice = by_recipient["sam@example.com"]
    assert (
        queue_notice["Subject"]
        == f"[{ticket.number}] New P5 Planning ticket in Service Desk: VPN drops"
    )


SMTP_STEPS = ["connect", "mail", "rcpt", "data"]


@pytest.mark.parametrize("step", SMTP_STEPS)
@pytest.mark.parametrize(
    "reply",
    ["421 Try again later", "450 Mailbox busy", "451 Greylisted", "452 Too many recipients"],
)
def test_smtp_refusal_for_now_at_any_step_is_retried_later(
    requester, service, smtp_sink, step, reply
):
    """A 4xx reply (greylisting, rate limits, a full disk) means later, wherever it comes."""
    smtp_sink.refuse(step, reply)
    message = received(create(requester, service))
    now = timezone.now()
    assert notifications.deliver(message.pk, now=now) is False
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.next_attempt_at == now + timedelta(seconds=60)
    assert reply[:3] in message.last_error
    smtp_sink.replies.clear()
    assert notifications.deliver(message.pk, now=now + timedelta(seconds=61)) is True
    assert [m["To"] for m in smtp_sink.messages] == ["ella@example.com"]


@pytest.mark.parametrize("step", SMTP_STEPS)
@pytest.mark.parametrize("reply", ["550 No such user", "554 Transaction failed"])
def test_smtp_refusal_for_good_at_any_step_fails_the_row_at_once(
    requester, service, smtp_sink, step, reply
):
    smtp_sink.refuse(step, reply)
    message = received(create(requester, service))
    assert notifications.deliver(message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert reply[:3] in message.last_error


def test_smtp_refusal_for_now_fails_the_row_after_the_configured_attempts(
    requester, service, smtp_sink, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    smtp_sink.refuse("rcpt", "421 Rate limited")
    message = received(create(requester, service))
    for _ in range(3):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        notifications.deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert "421" in message.last_error


def test_unreachable_smtp_server_is_retried_later(requester, service, settings):
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "tickets.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    message = received(create(requester, service))
    assert notifications.deliver(message.pk) is False
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert "ConnectionRefusedError" in message.last_error


def test_recipient_refused_for_now_among_others_refused_for_good_is_retried(requester, service):
    """One 4xx among the refused recipients: the server may yet take the message."""
    refused = smtplib.SMTPRecipientsRefused(
        {"ella@example.com": (451, b"greylisted"), "old@example.com": (550, b"no such user")}
    )
    message = received(create(requester, service))
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        notifications.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == Status.PENDING


@pytest.mark.parametrize(
    "kind", [kind for kind in NotificationKind.values if kind not in notifications.RENDERERS]
)
def test_every_kind_of_message_renders(kind, ticket, agent):
    from tickets.models import TicketEvent

    event = TicketEvent.objects.create(ticket=ticket, actor=agent, kind=TicketEvent.Kind.UPDATED)
    comment = services.add_comment(ticket, body="We changed the setting.", by=agent)
    message = OutboxMessage.objects.create(
        kind=kind,
        recipient=ticket.requester,
        event=event,
        ticket=ticket,
        comment=comment,
    )
    email = notifications.render(message)
    assert ticket.number in email.subject or ticket.subject in email.subject
    assert "http://servicedesk.test/" in email.body


def test_subject_lines_are_not_html_escaped(requester, agent):
    from tests.factories import ServiceFactory, TeamFactory

    team = TeamFactory.create(name="Network & Infrastructure", members=[agent])
    vpn = ServiceFactory.create(name="VPN & Remote Access", owner_team=team)
    ticket = services.create_ticket(
        requester=requester, by=requester, service=vpn, subject="Can't <connect>", description="d"
    )
    message = OutboxMessage.objects.get(ticket=ticket, kind=NotificationKind.TICKET_IN_QUEUE)
    assert notifications.render(message).subject.startswith(
        f"[{ticket.number}] New P5 Planning ticket in Network & Infrastructure: "
    )
    assert notifications.render(message).subject.endswith("Can't <connect>")
