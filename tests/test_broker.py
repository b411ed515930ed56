"""The embedded broker lets a worker stop within a few seconds (`make run`'s Ctrl-C)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection

ROOT = Path(__file__).resolve().parents[1]


def folders(var: Path) -> dict[str, str]:
    queue = var / "broker" / "queue"
    for folder in (queue, var / "broker" / "processed", var / "broker" / "control"):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(var / "broker" / "processed"),
        "control_folder": str(var / "broker" / "control"),
    }


def test_a_turn_of_the_workers_loop_ends_soon_when_no_message_comes(tmp_path):
    """Celery asks for up to 2 s and checks for a stop request only between turns."""
    transport = "servicedesk.broker:FilesystemTransport"
    with Connection(
        "filesystem://", transport=transport, transport_options=folders(tmp_path)
    ) as conn:
        conn.default_channel  # noqa: B018 - open the channel, as a worker does
        started = time.monotonic()
        with pytest.raises(socket.timeout):
            conn.drain_events(timeout=2.0)
        assert time.monotonic() - started < 1.0


def test_development_settings_use_the_prompt_transport(settings):
    env = {**os.environ, "DEBUG": "1", "CELERY_BROKER_URL": "", "REDIS_URL": ""}
    script = "from servicedesk import settings as s; print(s.CELERY_BROKER_URL, s.CELERY_BROKER_TRANSPORT)"
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["filesystem://", "servicedesk.broker:FilesystemTransport"]


def test_a_worker_on_the_embedded_broker_stops_within_seconds_of_sigterm(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_BROKER_URL": "filesystem://",
        "VAR_DIR": str(tmp_path),
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    folders(tmp_path)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "servicedesk",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert worker.stdout is not None  # stdout=PIPE
    try:
        for line in worker.stdout:
            if " ready." in line:
                break
        time.sleep(1)  # well into the loop's waiting
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
        stopped_in = time.monotonic() - started
        assert stopped_in < 4  # 5 to 6 s before the transport ended its turns early
    finally:
        worker.kill()
        worker.wait()
