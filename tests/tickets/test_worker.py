"""The outbox end to end on real parts: Postgres, Redis, a Celery worker process, an SMTP server."""

import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from tickets import services, tasks
from tickets.models import OutboxMessage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
        reason="needs Postgres and Redis (CI provides both)",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(smtp_sink):
    """A real `celery worker` process on this test run's own Redis queue."""
    tasks.deliver_event_messages.app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": settings.EMAIL_HOST,
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "SITE_URL": "http://servicedesk.test",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "--pool=solo", "--loglevel=INFO", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    for line in process.stdout:  # type: ignore[union-attr]
        if " ready." in line or time.monotonic() > deadline:
            break
    yield smtp_sink
    process.terminate()
    process.wait(timeout=20)


def wait_for(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_delivers_each_message_once_after_commit(requester, agent, service, worker):
    ticket = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="VPN drops",
        description="d",
    )
    assert wait_for(lambda: len(worker.messages) == 2)
    assert sorted(m["To"] for m in worker.messages) == [
        "ella@example.com",
        "sam@example.com",
    ]
    assert set(OutboxMessage.objects.filter(ticket=ticket).values_list("status", flat=True)) == {
        "sent"
    }
    # A second nudge for a sent row (a redelivered task) sends nothing.
    tasks.deliver_event_messages.delay(OutboxMessage.objects.filter(ticket=ticket).first().event_id)
    time.sleep(1)
    assert len(worker.messages) == 2


def test_message_whose_nudge_was_lost_goes_out_with_the_sweep(requester, service, worker):
    with mock.patch.object(
        tasks.deliver_event_messages,
        "apply_async",
        side_effect=ConnectionError("broker down"),
    ):
        ticket = services.create_ticket(
            requester=requester,
            by=requester,
            service=service,
            subject="VPN",
            description="d",
        )
    time.sleep(0.5)
    assert worker.messages == []
    tasks.sweep_outbox.delay()
    assert wait_for(lambda: len(worker.messages) == 1)
    assert OutboxMessage.objects.get(ticket=ticket).status == "sent"
