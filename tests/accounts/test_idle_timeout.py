"""Sessions end after a while without activity, sooner for staff, tested at a fixed clock."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

START = "2026-12-01 09:00:00+00:00"
LOGIN = reverse("accounts:login")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.SESSION_IDLE_MINUTES = 8 * 60
    settings.STAFF_SESSION_IDLE_MINUTES = 60


def log_in(email: str) -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": email, "password": "correct horse battery staple"})
    assert response.status_code == 302
    return client


def test_staff_are_signed_out_after_an_idle_hour_and_sent_to_sign_in_with_a_message(clock, agent):
    browser = log_in(agent.email)
    clock.shift(timedelta(minutes=59))
    assert browser.get(reverse("workspace:queue")).status_code == 200
    clock.shift(timedelta(minutes=61))
    response = browser.get(reverse("workspace:queue") + "?page=2")
    assert response.status_code == 302
    assert response["Location"] == LOGIN + "?next=%2Fworkspace%2F%3Fpage%3D2"
    page = browser.get(response["Location"]).content.decode()
    assert "You were signed out after 60 minutes without activity." in page
    # Signed out for good: the old session is gone, not only turned away once.
    assert browser.get(reverse("workspace:queue")).status_code == 302


def test_end_users_keep_their_session_for_a_working_day(clock, requester):
    browser = log_in(requester.email)
    clock.shift(timedelta(hours=7, minutes=59))
    assert browser.get(reverse("portal:home")).status_code == 200
    clock.shift(timedelta(hours=8, minutes=1))
    response = browser.get(reverse("portal:home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "You were signed out after 8 hours without activity." in response.content.decode()


def test_activity_keeps_the_session_alive(clock, agent):
    browser = log_in(agent.email)
    for _ in range(6):  # three hours, a request every half hour
        clock.shift(timedelta(minutes=30))
        assert browser.get(reverse("workspace:queue")).status_code == 200


def session_writes(browser: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return sum(
        1
        for query in queries.captured_queries
        if "django_session" in query["sql"] and not query["sql"].lstrip().startswith("SELECT")
    )


def test_the_session_is_saved_at_most_once_a_minute(clock, agent):
    """Page speed: recording activity must not write the session on every request."""
    browser = log_in(agent.email)
    queue = reverse("workspace:queue")
    assert session_writes(browser, queue) == 0  # the sign-in itself recorded the time
    clock.shift(timedelta(seconds=30))
    assert session_writes(browser, queue) == 0
    clock.shift(timedelta(seconds=31))
    assert session_writes(browser, queue) == 1
    assert session_writes(browser, queue) == 0


def test_an_idle_htmx_request_gets_a_full_redirect_not_a_sign_in_fragment(clock, agent):
    browser = log_in(agent.email)
    clock.shift(timedelta(minutes=61))
    response = browser.get(
        reverse("workspace:queue") + "?page=2",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/workspace/?status=open",
        },
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == LOGIN + "?next=%2Fworkspace%2F%3Fstatus%3Dopen"
    assert b"<form" not in response.content
    page = browser.get(response["HX-Redirect"]).content.decode()
    assert "You were signed out after 60 minutes without activity." in page


def test_an_htmx_request_with_no_session_at_all_gets_a_full_redirect(client, ticket):
    response = client.post(
        reverse("workspace:ticket-take", args=[ticket.pk]),
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver/workspace/tickets/{ticket.pk}/",
        },
    )
    assert response["HX-Redirect"] == LOGIN + f"?next=%2Fworkspace%2Ftickets%2F{ticket.pk}%2F"


def test_an_idle_api_call_is_refused_as_for_anyone_signed_out(clock, agent):
    browser = log_in(agent.email)
    clock.shift(timedelta(minutes=61))
    assert browser.get(reverse("api:ticket-list")).status_code == 403
    clock.shift(timedelta(minutes=1))
    assert browser.get(reverse("workspace:queue")).status_code == 302  # and stays out


def test_a_limit_of_zero_turns_the_timeout_off(clock, agent, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 0
    browser = log_in(agent.email)
    clock.shift(timedelta(days=3))
    assert browser.get(reverse("workspace:queue")).status_code == 200
