"""The survey demo history: loaded once, could have happened, and shows the trends it promises."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from surveys import pulse, scores, services
from surveys.models import Answer, FollowUp, Invitation, PulseRound
from tickets.models import Service


@pytest.fixture
def history(db, time_machine) -> str:
    time_machine.move_to("2026-11-24 10:30:00+00:00", tick=True)
    call_command("seed_demo", tickets=80, stdout=StringIO())
    out = StringIO()
    call_command("seed_surveys", per_month=150, people=200, stdout=out)
    return out.getvalue()


def test_the_history_loads_once(history):
    assert "Loaded survey history" in history
    counts = (Invitation.objects.count(), Answer.objects.count(), FollowUp.objects.count())
    again = StringIO()
    call_command("seed_surveys", stdout=again)
    assert "already loaded" in again.getvalue()
    assert (Invitation.objects.count(), Answer.objects.count(), FollowUp.objects.count()) == counts


def test_the_history_could_have_happened(history):
    now = timezone.now()
    assert not Answer.objects.filter(answered_at__gt=now).exists()
    assert not Answer.objects.filter(answered_at__lt=F("invitation__created_at")).exists()
    assert not Invitation.objects.filter(created_at__lt=F("ticket__resolved_at")).exists()
    # Tickets resolved in the last days are left to the invitation beat.
    assert not Invitation.objects.filter(ticket__resolved_at__gt=now - timedelta(days=3)).exists()
    # One budget per person: no two invitations of one person within 14 days.
    sent = (
        Invitation.objects.counted_in_budget()
        .filter(ticket__isnull=False)
        .order_by("person_id", "created_at")
        .values_list("person_id", "created_at")
    )
    previous: dict[int, datetime] = {}
    for person, at in sent:
        if person in previous:
            assert at - previous[person] >= timedelta(days=14)
        previous[person] = at
    # Follow-ups belong to low answers, and the old ones are closed with an outcome.
    for follow_up in FollowUp.objects.select_related("answer"):
        low = {"csat": 2, "nps": 6, "ces": 3}[follow_up.answer.instrument]
        assert follow_up.answer.score <= low
    assert FollowUp.objects.filter(status="closed").exclude(outcome="").exists()
    assert FollowUp.objects.filter(status="open", team__name="Service Desk").count() >= 1


def test_the_live_invitations_of_make_run_still_go_out(history, default_rule):
    """seed_demo leaves tickets just resolved for the beat; the history keeps their way clear."""
    assert services.invite_due(timezone.now()) >= 4
    assert Invitation.objects.filter(
        person__email="ella.morgan@example.com", status="pending"
    ).exists()


def test_the_trends_go_the_way_the_demo_says(history):
    now = timezone.now()
    year_ago = now - timedelta(days=365)

    def csat(service_name, start, end):
        service = Service.objects.get(name=service_name)
        return scores.overall(start=start, end=end, where={"service": service.pk}).csat.score

    early, late = (year_ago, year_ago + timedelta(days=120)), (now - timedelta(days=124), now)
    assert csat("Laptops & Desktops", *late) > csat("Laptops & Desktops", *early) + 10
    assert csat("VPN & Remote Access", *late) < csat("VPN & Remote Access", *early) - 10


def test_the_pulse_shows_some_teams_and_hides_one(history):
    rounds = list(PulseRound.objects.order_by("month"))
    assert len(rounds) == 6
    reports = pulse.report(rounds, now=timezone.now())
    assert len(reports) == 5  # this month's round is still open
    shown = {team for r in reports for team, group in r.teams.items() if group.shown}
    hidden = {team for r in reports for team, group in r.teams.items() if not group.shown}
    assert shown and hidden - shown
