"""Survey fixtures: the default rule, resolved tickets at a fixed clock, answer links."""

from datetime import UTC, datetime, timedelta

import pytest

from surveys.models import SurveyRule, SurveySettings
from tests.factories import TicketFactory
from tickets.models import Ticket

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def default_rule(db) -> SurveyRule:
    """The migration's default rule (a transactional test's flush removes it: made anew)."""
    SurveySettings.load()
    rule, _ = SurveyRule.objects.update_or_create(
        name="Default",
        defaults={
            "is_default": True,
            "ask_csat": True,
            "ask_ces": False,
            "delay_minutes": 60,
            "sample_percent": 100,
            "remind_after_days": 3,
            "expire_after_days": 14,
        },
    )
    return rule


@pytest.fixture
def resolve():
    """A resolved ticket (made with the factory): resolved `ago` before NOW."""

    def make(ago: timedelta = timedelta(hours=2), **fields) -> Ticket:
        defaults = {
            "status": Ticket.Status.RESOLVED,
            "resolved_at": NOW - ago,
            "created_at": NOW - ago * 2,
            "updated_at": NOW - ago,
        }
        return TicketFactory.create(**{**defaults, **fields})

    return make


@pytest.fixture
def clock(time_machine):
    """The clock stopped at NOW; `clock.move_to(NOW + ...)` moves it."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def invite(default_rule, resolve, clock):
    """An invitation of a resolved ticket, written by the beat at NOW."""
    from surveys import services
    from surveys.models import Invitation

    def make(**fields) -> Invitation:
        ticket = resolve(**fields)
        services.invite_due(NOW)
        return Invitation.objects.select_related("ticket", "person").get(ticket=ticket)

    return make
