"""The audit trail is append-only: the database itself refuses to change or delete an event."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from tests.factories import UserFactory
from tickets.models import Ticket, TicketEvent

# The trigger is Postgres; SQLite (the embedded development database) has none.
postgres_only = pytest.mark.needs("postgres")


@pytest.fixture
def event(ticket, agent) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=agent, kind=TicketEvent.Kind.STATUS_CHANGED, after={"status": "open"}
    )


def refused(sql: str, params: list) -> str:
    with pytest.raises(IntegrityError) as raised, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(raised.value)


@postgres_only
def test_an_update_through_a_raw_cursor_is_refused(event):
    message = refused("UPDATE tickets_ticketevent SET kind = 'created' WHERE id = %s", [event.pk])
    assert "the audit trail is append-only: UPDATE on tickets_ticketevent refused" in message
    event.refresh_from_db()
    assert event.kind == TicketEvent.Kind.STATUS_CHANGED


@postgres_only
def test_a_delete_through_a_raw_cursor_is_refused(event):
    message = refused("DELETE FROM tickets_ticketevent WHERE id = %s", [event.pk])
    assert "the audit trail is append-only: DELETE on tickets_ticketevent refused" in message
    assert TicketEvent.objects.filter(pk=event.pk).exists()


@postgres_only
def test_the_orm_can_neither_update_nor_delete_an_event(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(after={})
    with pytest.raises(IntegrityError), transaction.atomic():
        event.delete()
    assert TicketEvent.objects.get(pk=event.pk).after == {"status": "open"}


@postgres_only
def test_deleting_a_ticket_with_events_is_refused(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=event.ticket_id).delete()
    assert Ticket.objects.filter(pk=event.ticket_id).exists()


@postgres_only
def test_new_events_are_still_recorded(event, ticket):
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.REPLIED)
    assert list(ticket.events.values_list("kind", flat=True)) == ["status_changed", "replied"]


def test_a_person_who_acted_on_a_ticket_cannot_be_deleted(event, agent):
    """Deleting them would set their events' actor to NULL: a rewrite of the trail."""
    with pytest.raises(ProtectedError):
        agent.delete()
    UserFactory.create().delete()  # someone who never acted still can be


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_still_empties_the_trail(event):
    """Django's flush (and the benchmark seed) empties tables with TRUNCATE, which fires no row trigger."""
    call_command("flush", interactive=False, verbosity=0)
    assert not TicketEvent.objects.exists()
