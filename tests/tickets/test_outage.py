"""A Redis that is down or hung slows no request, and every message still goes out once.

The broker is a redis-server of the test's own (own_redis), stopped (connections refused) or
paused with SIGSTOP (connections accepted by the kernel, nothing answers: the worse case).
"""

import base64
import contextlib
import json
import signal
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.portal.test_views import submit_data
from tickets import notifications, tasks
from tickets.models import OutboxMessage

PROMPTLY_SECONDS = 1.5
# Past this a submission is stuck, not slow: the test says so instead of hanging.
STUCK_SECONDS = 15


class Stuck(BaseException):
    """Not an Exception: the code under test must not be able to catch it and carry on."""


@contextlib.contextmanager
def stuck_after(seconds: float) -> Iterator[None]:
    def give_up(signum, frame):
        raise Stuck(f"no answer in {seconds} s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def nudges_queued(redis) -> list[int]:
    """The events of the nudges that reached the broker's queue, as a worker would take them."""
    events = []
    while raw := redis.rpop(settings.CELERY_TASK_DEFAULT_QUEUE):
        body = json.loads(base64.b64decode(json.loads(raw)["body"]))
        events.append(body[0][0])
    return events


@pytest.mark.parametrize("outage", ["stop", "pause"])
def test_submissions_answer_promptly_while_redis_is_out_and_mail_goes_out_once_after(
    client_as, requester, agent, service, own_redis, broker_at, outage,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    broker_at(own_redis.url)
    client = client_as(requester)

    def submit() -> float:
        started = time.monotonic()
        with stuck_after(STUCK_SECONDS), django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("portal:ticket-create"), submit_data(service))
        assert response.status_code == 302
        return time.monotonic() - started

    getattr(own_redis, outage)()
    during = [submit() for _ in range(3)]
    assert max(during) < PROMPTLY_SECONDS, during
    if outage == "stop":
        own_redis.start()
    else:
        own_redis.resume()
    after = submit()
    assert after < PROMPTLY_SECONDS

    # A worker runs the nudges that reached Redis (at least the one sent after it returned),
    # then the sweep sends the rest: each message once.
    nudged = nudges_queued(own_redis.client())
    assert nudged
    for event_id in nudged:
        tasks.deliver_event_messages(event_id)
    notifications.sweep(now=timezone.now())
    rows = OutboxMessage.objects.all()
    assert rows.count() == 8  # four tickets: the requester's receipt and the agent's notice
    assert set(rows.values_list("status", "attempts")) == {(OutboxMessage.Status.SENT, 1)}
    message_ids = sorted(m.extra_headers["Message-ID"] for m in mail.outbox)
    assert message_ids == sorted(
        f"<outbox-{pk}@servicedesk.test>" for pk in rows.values_list("pk", flat=True)
    )
