"""The demo data `make run` loads: every state to try, and a history that could have happened."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tickets import sla_reports
from tickets.models import Comment, Ticket, TicketEvent


@pytest.fixture
def demo(db, time_machine) -> str:
    # A working Tuesday morning, so business-hours targets are running as on most demos.
    time_machine.move_to("2026-11-24 10:30:00+00:00", tick=True)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_shows_every_status_and_every_sla_state(demo):
    assert "Demo logins" in demo
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
    now = timezone.now()
    open_tickets = list(Ticket.objects.open().select_related("sla_policy__calendar"))
    states = {sla_reports.standing(ticket, now=now).state for ticket in open_tickets}
    assert {"ok", "warning", "breached", "paused"} <= states


def test_demo_history_could_have_happened(demo):
    now = timezone.now()
    assert not Comment.objects.filter(created_at__gt=now).exists()
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()
    assert not Ticket.objects.filter(updated_at__gt=now).exists()
    # A ticket waiting on its requester has not had their answer yet.
    for ticket in Ticket.objects.filter(status=Ticket.Status.PENDING):
        last = ticket.comments.filter(is_internal=False).order_by("created_at", "pk").last()
        assert last is None or last.author_id != ticket.requester_id, ticket.number


def test_loading_the_demo_twice_changes_nothing(demo):
    count = Ticket.objects.count()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Ticket.objects.count() == count
