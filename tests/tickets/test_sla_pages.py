"""The SLA where people see it: queue, ticket page, portal, admin."""

from datetime import time, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import portal_url, workspace_url
from tickets import services
from tickets.calendars import BusinessCalendar, WorkingHours
from tickets.models import Level, SLAPolicy


@pytest.fixture
def always(db):
    return BusinessCalendar.objects.create(name="24x7", is_24x7=True)


@pytest.fixture
def policy(always):
    return SLAPolicy.objects.create(
        name="Standard",
        calendar=always,
        first_response_minutes=60,
        resolution_minutes=480,
        is_default=True,
    )


def create(requester, service, *, ago: timedelta):
    with time_machine.travel(timezone.now() - ago, tick=False):
        return services.create_ticket(
            requester=requester,
            by=requester,
            service=service,
            subject=f"Ticket {ago}",
            description="d",
            impact=Level.LOW,
            urgency=Level.LOW,
        )


def test_queue_shows_time_left_and_sorts_by_nearest_due(
    client_as, agent, requester, service, policy
):
    fresh = create(requester, service, ago=timedelta(minutes=5))
    late = create(requester, service, ago=timedelta(hours=2))
    page = (
        client_as(agent)
        .get(reverse("workspace:queue"), {"queue": "all", "sort": "due"})
        .content.decode()
    )
    assert "sd-sla-breached" in page and "1h late" in page
    assert "sd-sla-ok" in page and "55m left" in page
    assert page.index(late.subject) < page.index(fresh.subject)


def test_queue_query_count_does_not_grow_with_sla_rows(
    client_as, agent, requester, service, policy, django_assert_num_queries
):
    client = client_as(agent)
    create(requester, service, ago=timedelta(minutes=5))
    client.get(reverse("workspace:queue"), {"queue": "all"})
    with django_assert_num_queries(6) as few:  # the filter bar and reference data are kept
        client.get(reverse("workspace:queue"), {"queue": "all"})
    for minutes in range(10):
        create(requester, service, ago=timedelta(minutes=minutes * 13))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("workspace:queue"), {"queue": "all"})


def test_ticket_page_shows_targets_and_timeline(client_as, agent, requester, service, policy):
    ticket = create(requester, service, ago=timedelta(minutes=30))
    services.change_status(
        ticket, status="pending", question="Which laptop do you use?", by=agent, version=None
    )
    page = client_as(agent).get(workspace_url(ticket)).content.decode()
    assert 'id="sla"' in page and "Paused" in page and "Standard" in page
    assert "SLA clock paused" in page


def test_portal_tells_the_requester_what_to_expect(client_as, agent, requester, service, policy):
    ticket = create(requester, service, ago=timedelta(minutes=1))
    page = client_as(requester).get(portal_url(ticket)).content.decode()
    assert "We aim to reply by" in page and "We aim to resolve it by" in page
    services.change_status(
        ticket, status="pending", question="Which laptop do you use?", by=agent, version=None
    )
    page = client_as(requester).get(portal_url(ticket)).content.decode()
    assert "paused while we wait for your reply" in page


def test_ticket_without_policy_says_so(client_as, agent, ticket):
    page = client_as(agent).get(workspace_url(ticket)).content.decode()
    assert "No SLA policy applies" in page


def test_admin_refuses_overlapping_hours(client_as, admin_user):
    client = client_as(admin_user)
    data = {
        "name": "Office", "time_zone": "Europe/London",
        "hours-TOTAL_FORMS": "2", "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0", "hours-0-start": "09:00", "hours-0-end": "13:00",
        "hours-1-weekday": "0", "hours-1-start": "12:00", "hours-1-end": "17:00",
        "holidays-TOTAL_FORMS": "0", "holidays-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = client.post(reverse("admin:tickets_businesscalendar_add"), data)
    assert "Monday: 09:00–13:00 overlaps 12:00–17:00." in response.content.decode()
    assert not BusinessCalendar.objects.exists()
    data["hours-1-start"] = "13:30"
    assert client.post(reverse("admin:tickets_businesscalendar_add"), data).status_code == 302


def test_admin_rejects_an_interval_that_ends_before_it_starts(db):
    from django.core.exceptions import ValidationError

    calendar = BusinessCalendar.objects.create(name="Office")
    with pytest.raises(ValidationError):
        WorkingHours(calendar=calendar, weekday=0, start=time(17), end=time(9)).full_clean()


def test_admin_policy_validation(client_as, admin_user, always):
    client = client_as(admin_user)
    base = {
        "name": "Gold",
        "calendar": always.pk,
        "first_response_minutes": 0,
        "resolution_minutes": 60,
        "warn_at_percent": 75,
        "is_active": "on",
    }
    page = client.post(reverse("admin:tickets_slapolicy_add"), base).content.decode()
    assert "A target must be more than zero minutes." in page
    assert "Keep one active default policy" in page
    ok = client.post(
        reverse("admin:tickets_slapolicy_add"),
        {**base, "first_response_minutes": 30, "is_default": "on"},
    )
    assert ok.status_code == 302 and SLAPolicy.objects.get().is_default


def test_admin_policy_needs_a_calendar_with_hours(client_as, admin_user):
    empty = BusinessCalendar.objects.create(name="Empty")
    page = (
        client_as(admin_user)
        .post(
            reverse("admin:tickets_slapolicy_add"),
            {
                "name": "X",
                "calendar": empty.pk,
                "first_response_minutes": 30,
                "resolution_minutes": 60,
                "warn_at_percent": 75,
                "is_default": "on",
                "is_active": "on",
            },
        )
        .content.decode()
    )
    assert "This calendar has no working hours yet." in page


def test_public_holidays_can_be_filled_from_the_holidays_package(db):
    from tickets.calendars import add_country_holidays

    calendar = BusinessCalendar.objects.create(name="UK")
    assert add_country_holidays(calendar, country="GB", year=2027) >= 8
    assert calendar.holidays.filter(date="2027-12-25").exists()
    assert add_country_holidays(calendar, country="GB", year=2027) == 0  # idempotent


def test_closed_ticket_shows_its_outcome(client_as, agent, requester, service, policy):
    ticket = create(requester, service, ago=timedelta(minutes=10))
    services.change_status(ticket, status="resolved", by=agent, version=None)
    page = client_as(agent).get(workspace_url(ticket)).content.decode()
    assert "Resolution: <strong>Met</strong>" in page


def test_portal_owns_up_to_a_missed_target(client_as, requester, service, policy):
    ticket = create(requester, service, ago=timedelta(hours=2))
    page = client_as(requester).get(portal_url(ticket)).content.decode()
    assert "Sorry we are late" in page and "We aim to reply by" not in page
    assert "We aim to resolve it by" in page


def test_portal_ticket_page_reads_the_same_few_rows_in_every_state(
    client_as, agent, requester, service, policy, django_assert_num_queries
):
    """Session, person, ticket, thread: the ticket page reads nothing else, whatever it shows."""
    policy.next_update_minutes = 240
    policy.save()
    ticket = create(requester, service, ago=timedelta(minutes=5))
    client = client_as(requester)
    client.get(portal_url(ticket))  # the reference data (services, teams, policies) is kept
    with django_assert_num_queries(4):
        page = client.get(portal_url(ticket)).content.decode()
    assert "We aim to reply by" in page
    services.add_comment(ticket, body="On it.", by=agent)
    services.add_comment(ticket, body="Still broken.", by=requester)  # an answer is owed
    services.take_ticket(ticket, by=agent)
    with django_assert_num_queries(4):
        page = client.get(portal_url(ticket)).content.decode()
    assert "We aim to answer your last message by" in page and agent.full_name in page
    upload = SimpleUploadedFile("photo.png", b"\x89PNG\r\n", content_type="image/png")
    services.add_comment(ticket, body="Here is a photo.", files=[upload], by=requester)
    with django_assert_num_queries(5):  # its files, in one read
        page = client.get(portal_url(ticket)).content.decode()
    assert "photo.png" in page
    services.change_status(ticket, status="resolved", by=agent, version=None)
    with django_assert_num_queries(5):
        page = client.get(portal_url(ticket)).content.decode()
    assert "Is it?" in page


def test_sidebar_says_where_the_priority_comes_from(client_as, agent, requester, service, policy):
    ticket = create(requester, service, ago=timedelta(minutes=10))
    client = client_as(agent)
    page = client.get(reverse("workspace:ticket-detail", args=[ticket.pk])).content.decode()
    assert f"({ticket.priority_basis})" in page and "impact " in ticket.priority_basis
    services.update_ticket(
        ticket, priority=1, service=ticket.service, team=ticket.team, version=None, by=agent
    )
    page = client.get(reverse("workspace:ticket-detail", args=[ticket.pk])).content.decode()
    assert "(set by hand)" in page and "(impact " not in page
