"""Races that only a real database with row locks can show: run on Postgres."""

import threading

import pytest
from django.db import connections

from tickets import services
from tickets.models import Ticket, TicketEvent
from tickets.services import ConflictError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.needs("postgres"),
]


def race(*calls):
    """Run the calls at the same moment in their own threads and connections."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("attempt", range(5))
def test_two_agents_taking_at_once_exactly_one_wins(ticket, agent, second_agent, attempt):
    copy_a, copy_b = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)
    outcomes = race(
        lambda: services.take_ticket(copy_a, by=agent),
        lambda: services.take_ticket(copy_b, by=second_agent),
    )
    winners = [o for o in outcomes if isinstance(o, Ticket)]
    losers = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    winner = Ticket.objects.get(pk=ticket.pk).assignee
    assert f"{winner} has already taken this ticket." in losers[0].messages
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TAKEN).count() == 1


def test_concurrent_edits_with_the_same_version_one_conflicts(ticket, agent, second_agent):
    version = ticket.version
    copy_a, copy_b = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)
    outcomes = race(
        lambda: services.update_ticket(copy_a, priority=1, by=agent, version=version),
        lambda: services.update_ticket(copy_b, priority=4, by=second_agent, version=version),
    )
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1, outcomes
    assert Ticket.objects.get(pk=ticket.pk).version == version + 1


def test_overlapping_sla_checks_send_each_message_once(requester, agent, service):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import UserFactory
    from tickets.calendars import BusinessCalendar
    from tickets.models import OutboxMessage, SLAPolicy

    lead = UserFactory.create(email="lead@example.com", role="manager")
    service.owner_team.lead = lead
    service.owner_team.save()
    SLAPolicy.objects.create(
        name="Tight",
        calendar=BusinessCalendar.objects.create(name="24x7", is_24x7=True),
        first_response_minutes=10,
        resolution_minutes=20,
        is_default=True,
    )
    for _ in range(6):
        services.create_ticket(
            requester=requester, by=requester, service=service, subject="s", description="d"
        )
    later = timezone.now() + timedelta(hours=1)
    handled = race(*[lambda: services.check_sla(now=later) for _ in range(3)])
    assert all(isinstance(count, int) for count in handled), handled
    breaches = OutboxMessage.objects.filter(kind="sla_breached")
    # Two targets (response, resolution) per ticket, one message each to the lead.
    assert breaches.count() == 12
    assert TicketEvent.objects.filter(kind="sla_breached").count() == 12
