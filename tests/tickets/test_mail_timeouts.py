"""One SMTP conversation ends before an outbox claim is released as stale, so nothing is sent twice."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tickets import checks, notifications, services
from tickets.models import OutboxMessage
from tickets.notifications import STALE_CLAIM

Status = OutboxMessage.Status


def test_the_defaults_fit_a_whole_conversation_inside_a_claim(settings):
    settings.EMAIL_BACKEND = "tickets.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT, settings.EMAIL_CONVERSATION_SECONDS = 10, 40
    assert checks.check_email_timeouts() == []
    longest = checks.longest_send_seconds()
    assert longest is not None
    assert longest + checks.MARGIN_SECONDS <= STALE_CLAIM.total_seconds()


def test_raising_the_step_timeout_on_djangos_own_backend_reopens_the_window(settings):
    """Django bounds each wait, not the conversation: 13 waits of 10 s outlast a 1-minute claim."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 10
    [error] = checks.check_email_timeouts()
    assert error.id == "tickets.E002"
    assert "130 s" in error.msg
    settings.EMAIL_TIMEOUT = 3
    assert checks.check_email_timeouts() == []


def test_a_conversation_allowed_to_outlast_the_claim_fails_the_check(settings):
    settings.EMAIL_BACKEND = "tickets.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT, settings.EMAIL_CONVERSATION_SECONDS = 10, 55
    assert [error.id for error in checks.check_email_timeouts()] == ["tickets.E002"]
    settings.EMAIL_TIMEOUT = 0
    assert [error.id for error in checks.check_email_timeouts()] == ["tickets.E001"]


def test_manage_py_check_refuses_such_settings(settings):
    settings.EMAIL_BACKEND = "tickets.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT, settings.EMAIL_CONVERSATION_SECONDS = 60, 600
    with pytest.raises(SystemCheckError, match="tickets.E002"):
        call_command("check")


def test_backends_that_send_no_smtp_are_not_checked(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_TIMEOUT = 600
    assert checks.check_email_timeouts() == []


@pytest.fixture
def message(requester, service) -> OutboxMessage:
    services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="."
    )
    return OutboxMessage.objects.get(recipient=requester)


def test_a_server_that_answers_each_step_in_time_is_still_cut_off_at_the_deadline(
    settings, smtp_sink, message
):
    """Every reply comes within EMAIL_TIMEOUT, but the conversation as a whole takes too long."""
    settings.EMAIL_TIMEOUT, settings.EMAIL_CONVERSATION_SECONDS = 1, 1
    smtp_sink.delays = {"mail": 0.6, "rcpt": 0.6}
    assert notifications.deliver(message.pk) is False
    message.refresh_from_db()
    assert message.status == Status.PENDING  # tried again later
    assert "ConversationTimeout: the SMTP conversation took longer than 1 s" in message.last_error
    assert smtp_sink.messages == []


@pytest.mark.parametrize(
    ("conversation", "delays"),
    [(2, {"quit": 3}), (1, {"data": 0.8, "quit": 3})],
    ids=["step-timeout-at-quit", "deadline-at-quit"],
)
def test_a_server_slow_to_say_goodbye_after_taking_the_message_does_not_get_it_twice(
    settings, smtp_sink, message, conversation, delays
):
    settings.EMAIL_TIMEOUT, settings.EMAIL_CONVERSATION_SECONDS = 1, conversation
    smtp_sink.delays = delays
    assert notifications.deliver(message.pk) is True
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert notifications.sweep(now=message.next_attempt_at + STALE_CLAIM * 2) == 0
    assert len(smtp_sink.messages) == 1
