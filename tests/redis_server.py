"""A Redis server of the test's own, to stop and pause without touching the shared one."""

import os
import shutil
import signal
import subprocess
import time

import pytest
import redis
from kombu import pools

from tests.smtp import free_port


class OwnRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.fail(f"redis-server on port {self.port} did not start")
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        """Gone: connections are refused."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)  # A paused server cannot act on SIGTERM.
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """Hung: the kernel still accepts connections, but nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)


@pytest.fixture
def own_redis():
    """A redis-server process on OWN_REDIS_PORT (or a free port), gone after the test."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server program")
    server = OwnRedis(int(os.environ.get("OWN_REDIS_PORT") or free_port()))
    server.start()
    yield server
    if server.process is not None:
        server.stop()


@pytest.fixture
def broker_at(monkeypatch):
    """Point this process's Celery app at another broker, with fresh connection pools."""
    from servicedesk.celery import app

    def reset_pools() -> None:
        # kombu keeps its pools by broker address, for the whole process.
        pools.reset()
        app._pool = app.amqp._producer_pool = None

    def point(url: str) -> None:
        reset_pools()
        # Celery reads the broker's address from the environment before its own settings.
        monkeypatch.setenv("CELERY_BROKER_URL", url)

    yield point
    reset_pools()
