"""The shared cache is an optimisation: with its Redis away, pages still answer, promptly."""

import time

import pytest
from django.urls import reverse

from tests.portal.test_views import submit_data
from tickets import reference
from tickets.models import Ticket

# Nothing listens on this port: every cache command fails at once, as with Redis stopped.
AWAY = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6399/1",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@pytest.fixture
def cache_away(settings):
    settings.CACHES = AWAY
    reference.forget()
    yield
    reference.forget()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_queue_and_ticket_pages_answer_without_the_cache(cache_away, client_as, agent, ticket):
    client = client_as(agent)
    for url in (
        reverse("workspace:queue"),
        reverse("workspace:ticket-detail", args=[ticket.pk]),
    ):
        response, seconds = timed(lambda url=url: client.get(url))
        assert response.status_code == 200 and seconds < 3
        assert ticket.subject in response.content.decode()


def test_a_ticket_is_logged_without_the_cache(cache_away, client_as, requester, service):
    response, seconds = timed(
        lambda: client_as(requester).post(reverse("portal:ticket-create"), submit_data(service))
    )
    assert response.status_code == 302 and seconds < 3
    assert Ticket.objects.filter(requester=requester).count() == 1


def test_an_admin_edit_is_saved_without_the_cache(cache_away, client_as, admin_user, service):
    response = client_as(admin_user).post(
        reverse("admin:tickets_service_change", args=[service.pk]),
        {"name": "Mail and calendars", "owner_team": service.owner_team_id, "is_active": "on"},
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.name == "Mail and calendars"
