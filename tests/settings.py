"""Environment defaults for the test run, then the one real settings module.

pytest-django imports settings before any conftest runs, so the environment the
tests need (no HTTPS redirect, an in-memory broker unless Redis is given, a queue and
cache keys of their own) is set here. Nothing below changes a setting in code.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("DEV_MAIL_PAGE", "1")
os.environ.setdefault("CELERY_BROKER_URL", os.environ.get("REDIS_URL") or "memory://")
# A queue of this process's own, set rather than defaulted: xdist's workers inherit the
# environment of the process that started them.
# A Celery worker a test starts (tests/tickets/test_worker.py) is told that test's queue, so
# the tasks it publishes itself (a beat task's nudges) reach it rather than a queue of its own.
os.environ["CELERY_QUEUE"] = (
    os.environ.get("TEST_WORKER_QUEUE") or f"servicedesk-tests-{os.getpid()}"
)
# Each test process (an xdist worker, another engineer's run) keeps to its own cache keys.
os.environ["CACHE_KEY_PREFIX"] = f"servicedesk-tests-{os.getpid()}"

from servicedesk.settings import *  # noqa: E402, F403

VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405 - the SQLite test database lives there
