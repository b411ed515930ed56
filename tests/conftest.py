"""Personas shared by every test, named for their role.

Ella asks for help; Oscar is another requester; Sam is an agent in the Service Desk
team, Dana an agent in another team; Maria manages the Service Desk; Ada is an admin.
"""

import contextlib
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.test import Client

from accounts.models import Team, User
from tests.factories import ServiceFactory, TeamFactory, TicketFactory, UserFactory
from tickets import reference
from tickets.models import Service

# Fixtures of a Redis server of a test's own, to stop and pause (own_redis, broker_at).
pytest_plugins = ["tests.redis_server"]

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# browser tests make between page actions are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# The parts some tests need beyond Python. On a bare machine a test whose part is missing
# is skipped; CI says every part must be there (REQUIRE_E2E=1), and a run on Postgres
# (DATABASE_URL) must run the Postgres tests, so there a missing part fails the test.
PARTS: dict[str, Callable[[], bool]] = {
    "postgres": lambda: connection.vendor == "postgresql",
    "redis": lambda: bool(os.environ.get("REDIS_URL")),
    "chromium": lambda: Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")).exists(),
}


def required(part: str) -> bool:
    return bool(os.environ.get("REQUIRE_E2E")) or (
        part == "postgres" and bool(os.environ.get("DATABASE_URL"))
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("needs"):
        for part in marker.args:
            if PARTS[part]():
                continue
            if required(part):
                pytest.fail(f"{part} is required here but missing", pytrace=False)
            pytest.skip(f"needs {part} (CI provides it)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every Hypothesis example that uses the database starts from its fixtures' state.

    Function-scoped fixtures and the test's transaction are shared by all the examples of
    one test, so each example runs in a savepoint that is rolled back when it ends, with
    the caches emptied as `_fast_and_isolated` empties them for a test.
    """
    for item in items:
        test: Any = getattr(item, "obj", None)
        uses_database = item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
            getattr(item, "fixturenames", ())
        )
        if not getattr(test, "is_hypothesis_test", False) or not uses_database:
            continue
        if not getattr(test.hypothesis.inner_test, "rolls_back", False):
            test.hypothesis.inner_test = rolled_back_per_example(test.hypothesis.inner_test)


def rolled_back_per_example(example: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(example)
    def run(*args, **kwargs) -> None:
        clear_own_cache()
        reference.forget()
        with transaction.atomic():
            example(*args, **kwargs)
            transaction.set_rollback(True)

    run.rolls_back = True  # type: ignore[attr-defined]
    return run


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


def clear_own_cache() -> None:
    """Delete this test process's keys only.

    On Redis `cache.clear()` empties the whole database, which other test runs share with
    this one (each under its own KEY_PREFIX, see tests/settings.py).
    """
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]  # its private client
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "http://servicedesk.test"
    # Cached fragments and versions must not leak from one test's data into the next.
    clear_own_cache()
    reference.forget()
    # Tests don't run collectstatic, so serve static files from their sources.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def service_desk(db) -> Team:
    return TeamFactory.create(name="Service Desk")


@pytest.fixture
def agent(service_desk: Team) -> User:
    user = UserFactory.create(full_name="Sam Patel", email="sam@example.com", role=User.Role.AGENT)
    service_desk.members.add(user)
    return user


@pytest.fixture
def second_agent(service_desk: Team) -> User:
    user = UserFactory.create(
        full_name="Chloe Martin", email="chloe@example.com", role=User.Role.AGENT
    )
    service_desk.members.add(user)
    return user


@pytest.fixture
def other_agent(db) -> User:
    """An agent of another team, who must not see the Service Desk's tickets."""
    user = UserFactory.create(
        full_name="Dana Reyes", email="dana@example.com", role=User.Role.AGENT
    )
    TeamFactory.create(name="Network").members.add(user)
    return user


@pytest.fixture
def manager(service_desk: Team) -> User:
    user = UserFactory.create(
        full_name="Maria Jones", email="maria@example.com", role=User.Role.MANAGER
    )
    service_desk.lead = user
    service_desk.save(update_fields=["lead"])
    return user


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory.create(full_name="Ada Admin", email="ada@example.com", role=User.Role.ADMIN)


@pytest.fixture
def requester(db) -> User:
    return UserFactory.create(full_name="Ella Morgan", email="ella@example.com")


@pytest.fixture
def other_requester(db) -> User:
    return UserFactory.create(full_name="Oscar Dubois", email="oscar@example.com")


@pytest.fixture
def service(service_desk: Team) -> Service:
    return ServiceFactory.create(name="Email & Calendar", owner_team=service_desk)


@pytest.fixture
def lead(service: Service) -> User:
    """Lea leads the team that owns the service: she hears of SLA breaches."""
    person = UserFactory.create(
        email="lead@example.com", full_name="Lea Lead", role=User.Role.MANAGER
    )
    service.owner_team.lead = person
    service.owner_team.save(update_fields=["lead"])
    return person


@pytest.fixture
def ticket(requester: User, service: Service):
    return TicketFactory.create(
        requester=requester,
        service=service,
        subject="Outlook keeps asking for my password",
    )


@pytest.fixture
def client_as() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def smtp_sink(settings):
    """Point Django's SMTP backend at a real, local SMTP server and collect what it receives."""
    from tests.smtp import start_sink

    controller, sink = start_sink()
    settings.EMAIL_BACKEND = "tickets.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    controller.stop()


@pytest.fixture(scope="session", autouse=True)
def _empty_the_test_queue():
    """Nudges published during the run go to this run's own queue; drop them at the end."""
    yield
    clear_own_cache()
    from servicedesk.celery import app

    # A broker that is gone has nothing left to purge.
    with contextlib.suppress(Exception):
        app.control.purge()
