"""The outbox end to end on real parts: Postgres, Redis, a Celery worker process, an SMTP server."""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from tickets import services, tasks
from tickets.models import OutboxMessage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs("postgres", "redis")]
ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_SECONDS = 60
STOPPED_WITHIN_SECONDS = 20
# The worker logs every task it finishes at INFO, with what the task returned.
FINISHED = re.compile(
    r"Task \S+\[(?P<id>[0-9a-f-]+)\] (?:succeeded in \S+: (?P<result>.*)|(?P<error>raised .*))"
)


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A `celery worker` process whose log is read as it is written."""

    def __init__(self, process: subprocess.Popen[str], sink) -> None:
        self.process = process
        self.messages = sink.messages
        self.log: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None  # stdout=PIPE
        for line in self.process.stdout:
            self.log.append(line)
            if " ready." in line:
                self.ready.set()

    def output(self) -> str:
        return "".join(self.log[-40:])

    def result_of(self, task_id: str, timeout: float = 30) -> str:
        """What the worker says the task returned, once it has run it; an error fails the test."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.log):
                found = FINISHED.search(line)
                if found and found["id"] == task_id:
                    assert not found["error"], self.output()
                    return found["result"].strip()
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.05)
        pytest.fail(f"The worker did not finish task {task_id} in {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        """Warm shutdown; a worker that will not stop is killed and fails the test."""
        self.process.terminate()
        try:
            self.process.wait(timeout=STOPPED_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"The worker did not stop in {STOPPED_WITHIN_SECONDS} s:\n{self.output()}")
        finally:
            self._reader.join(timeout=5)


@pytest.fixture
def worker(smtp_sink):
    """A real `celery worker` process on this test process's own Redis queue."""
    tasks.deliver_event_messages.app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "TEST_WORKER_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "EMAIL_BACKEND": "tickets.smtp.EmailBackend",
        "EMAIL_HOST": settings.EMAIL_HOST,
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "SITE_URL": "http://servicedesk.test",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "servicedesk",
        "worker",
        f"--queues={settings.CELERY_TASK_DEFAULT_QUEUE}",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    running = Worker(process, smtp_sink)
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while not running.ready.wait(timeout=0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            running.stop()
            why = (
                f"exited ({process.returncode})" if process.returncode else "was not ready in time"
            )
            pytest.fail(f"The worker {why}:\n{running.output()}", pytrace=False)
    yield running
    running.stop()


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
    rows = OutboxMessage.objects.filter(ticket=ticket)
    assert rows.count() == 2
    assert wait_for(lambda: set(rows.values_list("status", flat=True)) == {"sent"})
    assert sorted(m["To"] for m in worker.messages) == ["ella@example.com", "sam@example.com"]
    # Both are the first message about the ticket to their person: the thread's start.
    for message in worker.messages:
        assert message["Subject"].startswith(f"[{ticket.number}] ")
        assert message["References"] == f"<ticket-{ticket.pk}@servicedesk.test>"
    # A second nudge for a sent row (a redelivered task) sends nothing.
    first = rows.first()
    assert first is not None
    redelivered = tasks.deliver_event_messages.delay(first.event_id)
    assert worker.result_of(redelivered.id) == "0"
    assert len(worker.messages) == 2
    assert set(rows.values_list("attempts", flat=True)) == {1}


def test_message_whose_nudge_was_lost_goes_out_with_the_sweep(requester, service, worker):
    with mock.patch.object(
        tasks.deliver_event_messages,
        "apply_async",
        side_effect=ConnectionError("broker down"),
    ) as nudge:
        ticket = services.create_ticket(
            requester=requester,
            by=requester,
            service=service,
            subject="VPN",
            description="d",
        )
    assert nudge.called
    message = OutboxMessage.objects.get(ticket=ticket)
    assert (message.status, message.attempts) == ("pending", 0)
    # The sweep is what sends it: the worker says it sent one message.
    assert worker.result_of(tasks.sweep_outbox.delay().id) == "1"
    assert [m["To"] for m in worker.messages] == ["ella@example.com"]
    message.refresh_from_db()
    assert message.status == "sent"
