"""Ticket submission is limited per person: past a window's count nothing is created."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import NotificationKind
from tickets import services
from tickets.limits import RetryAfter, allow_submission
from tickets.models import OutboxMessage, Ticket, TicketEvent

START = "2026-11-24 10:00:00+00:00"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.TICKET_SUBMISSION_LIMITS = [(2, 600), (3, 24 * 60 * 60)]


def log(person, service, **extra):
    return services.create_ticket(
        requester=person, by=person, service=service, subject="s", description="d", **extra
    )


@time_machine.travel(START, tick=False)
def test_past_the_limit_nothing_is_created_and_the_wait_is_given(requester, service):
    log(requester, service)
    log(requester, service)
    with pytest.raises(services.SubmissionLimitReached) as limited:
        log(requester, service)
    assert limited.value.retry_after == RetryAfter(seconds=600)
    assert "try again in 10 minutes" in str(limited.value)
    assert Ticket.objects.count() == 2
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED).count() == 2
    assert OutboxMessage.objects.filter(kind=NotificationKind.TICKET_RECEIVED).count() == 2


@time_machine.travel(START, tick=False)
def test_the_limit_is_per_person(requester, other_requester, service):
    log(requester, service)
    log(requester, service)
    with pytest.raises(services.SubmissionLimitReached):
        log(requester, service)
    assert log(other_requester, service).requester == other_requester


def test_the_short_window_opens_again_and_the_day_still_counts(requester, service):
    with time_machine.travel(START, tick=False) as traveller:
        log(requester, service)
        traveller.shift(timedelta(minutes=4))
        log(requester, service)
        with pytest.raises(services.SubmissionLimitReached) as limited:
            log(requester, service)
        assert limited.value.retry_after.seconds == 6 * 60
        traveller.shift(timedelta(minutes=6))
        log(requester, service)
        with pytest.raises(services.SubmissionLimitReached) as limited:
            log(requester, service)
        # The day's window began at midnight UTC.
        assert limited.value.retry_after.seconds == 14 * 60 * 60 - 10 * 60
    assert Ticket.objects.count() == 3


@time_machine.travel(START, tick=False)
def test_a_repeated_submission_at_the_limit_still_returns_its_ticket(requester, service):
    token = uuid.uuid4()
    first = log(requester, service, submission_token=token)
    log(requester, service)
    assert log(requester, service, submission_token=token) == first


def test_a_window_of_zero_is_no_limit(settings, requester):
    settings.TICKET_SUBMISSION_LIMITS = [(0, 600)]
    now = timezone.now()
    assert all(allow_submission(requester, now=now) is None for _ in range(20))
