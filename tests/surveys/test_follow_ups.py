"""Closing the loop: a low answer opens one follow-up for the lead of the ticket's team."""

from datetime import time, timedelta

import pytest

from surveys import links, services
from surveys.models import FollowUp, SurveySettings
from tickets.calendars import BusinessCalendar, WorkingHours
from tickets.models import SLAPolicy

from .conftest import NOW


@pytest.fixture
def answer(invite):
    def record(score: int, *, ces: int | None = None, at=NOW, **ticket_fields):
        invitation = invite(**ticket_fields)
        link = links.open_link(invitation.pk, links.token_for(invitation, invitation.instrument))
        return services.record_answer(link, score=score, ces=ces, now=at)

    return record


def test_a_low_csat_opens_a_follow_up_for_the_team_lead(answer, service, lead):
    [low] = answer(2, service=service)
    follow_up = FollowUp.objects.get()
    assert (follow_up.answer, follow_up.ticket, follow_up.team, follow_up.owner) == (
        low,
        low.invitation.ticket,
        service.owner_team,
        lead,
    )
    assert (follow_up.status, follow_up.person) == ("open", low.invitation.person)


def test_a_good_answer_opens_none(answer):
    answer(3)
    assert not FollowUp.objects.exists()


def test_the_threshold_is_a_setting(answer):
    SurveySettings.objects.filter(pk=1).update(csat_low_at_most=3)
    answer(3)
    assert FollowUp.objects.count() == 1


def test_a_low_ces_after_a_good_csat_opens_one_and_low_both_open_one(default_rule, answer):
    default_rule.ask_ces = True
    default_rule.save()
    answer(5, ces=2)
    answer(1, ces=1)
    assert FollowUp.objects.count() == 2
    assert sorted(FollowUp.objects.values_list("answer__instrument", flat=True)) == ["ces", "csat"]


def test_changing_to_a_good_score_withdraws_the_follow_up_not_yet_worked(answer, invite):
    [low] = answer(1)
    link = links.open_link(low.invitation_id, links.token_for(low.invitation, "csat"))
    services.record_answer(link, score=5, now=NOW + timedelta(minutes=5))
    assert not FollowUp.objects.exists()


def test_the_follow_up_is_due_one_working_day_later_in_the_tickets_calendar(answer, service):
    office = BusinessCalendar.objects.create(name="Office", time_zone="UTC")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=office, weekday=weekday, start=time(9), end=time(17))
    policy = SLAPolicy.objects.create(
        name="Standard",
        calendar=office,
        first_response_minutes=60,
        resolution_minutes=480,
        is_default=True,
    )
    # NOW is a Tuesday at 10:00 UTC: eight working hours later is Wednesday at 10:00.
    answer(1, service=service, sla_policy=policy)
    assert FollowUp.objects.get().due_at == NOW + timedelta(days=1)
