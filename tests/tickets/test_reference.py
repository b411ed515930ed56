"""Reference data kept per process for busy lists: no query per row, never stale for long."""

import pytest

from accounts.models import User
from tests.factories import ServiceFactory, TicketFactory, UserFactory
from tickets import reference
from tickets.models import BusinessCalendar, SLAPolicy, Ticket


@pytest.fixture
def policy(db) -> SLAPolicy:  # type: ignore[no-untyped-def]
    calendar = BusinessCalendar.objects.create(name="Always", is_24x7=True)
    return SLAPolicy.objects.create(
        name="Standard",
        calendar=calendar,
        first_response_minutes=60,
        resolution_minutes=480,
        is_default=True,
    )


def rows(*tickets: Ticket) -> list[Ticket]:
    """Tickets as a list reads them: without their related rows."""
    return list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk"))


def test_attaches_related_rows_without_a_query_per_kind(
    agent, ticket, policy, django_assert_num_queries
):
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent, sla_policy=policy)
    reference.current()
    listed = rows(ticket)
    with django_assert_num_queries(0):
        reference.attach(listed)
        assert (listed[0].service.name, listed[0].team.name) == ("Email & Calendar", "Service Desk")
        assert listed[0].assignee == agent
        assert listed[0].sla_policy.calendar.schedule().always


def test_ids_it_has_not_seen_cost_one_query_per_kind_not_per_row(
    agent, service, django_assert_num_queries
):
    reference.current()
    newcomers = [ServiceFactory(owner_team=service.owner_team) for _ in range(3)]
    former_agent = UserFactory(role=User.Role.END_USER)  # assigned, then left the staff
    tickets = [TicketFactory(service=s, assignee=former_agent) for s in newcomers]
    listed = rows(*tickets)
    with django_assert_num_queries(2):  # the new services, the person no longer staff
        reference.attach(listed)
        assert [t.service.name for t in listed] == [s.name for s in newcomers]
        assert {t.assignee for t in listed} == {former_agent}


def test_someone_no_longer_staff_does_not_reload_it_on_every_page(
    time_machine, agent, ticket, django_assert_num_queries
):
    time_machine.move_to("2026-11-24 09:00", tick=False)
    agent.role = User.Role.END_USER  # moved to another job, still named on the ticket
    agent.save(update_fields=["role"])
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    loaded = reference.current()
    time_machine.shift(2)
    reference.attach(rows(ticket))  # reloads once and reads them on their own
    assert reference.current() is not loaded
    for _ in range(3):
        time_machine.shift(2)
        listed = rows(ticket)
        with django_assert_num_queries(0):  # no reload, no lookup: it is kept
            reference.attach(listed)
        assert listed[0].assignee == agent


def test_reloads_when_an_unknown_id_appears_after_a_second(time_machine, service):
    time_machine.move_to("2026-11-24 09:00", tick=False)
    first = reference.current()
    added = TicketFactory(service=ServiceFactory(owner_team=service.owner_team))
    time_machine.shift(2)
    reference.attach(rows(added))
    assert reference.current() is not first
    assert added.service_id in reference.current().by_field["service"]


def test_a_renamed_service_shows_within_a_minute(time_machine, ticket, service):
    time_machine.move_to("2026-11-24 09:00", tick=False)
    reference.current()
    service.name = "Mail"
    service.save(update_fields=["name"])
    listed = rows(ticket)
    reference.attach(listed)
    assert listed[0].service.name == "Email & Calendar"  # kept for up to a minute
    time_machine.shift(reference.MAX_AGE_SECONDS + 1)
    listed = rows(ticket)
    reference.attach(listed)
    assert listed[0].service.name == "Mail"
