"""The demo `make run` loads: within a beat cycle, real invitations reach the dev mailbox."""

from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from surveys import services
from surveys.models import Invitation
from tickets import notifications


def test_the_demo_has_resolved_tickets_past_the_delay_that_the_first_beat_invites(
    db, time_machine, default_rule
):
    time_machine.move_to("2026-11-24 10:30:00+00:00", tick=False)
    call_command("seed_demo", tickets=40, stdout=StringIO())
    now = timezone.now()
    invited = services.invite_due(now)
    assert invited >= 4
    ella = Invitation.objects.get(person__email="ella.morgan@example.com", status="pending")
    assert ella.ticket is not None and ella.ticket.status == "resolved"
    notifications.sweep(now=now)
    subjects = [m.subject for m in mail.outbox if m.to == ["ella.morgan@example.com"]]
    assert any("Tell us how we did:" in subject for subject in subjects)
