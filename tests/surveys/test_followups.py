"""Closing the loop: low answers open a follow-up for the team lead, due in business time; the
lead records the contact and the outcome; "you told us, we did" is queued once."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import NotificationKind, NotificationPreference, User
from surveys import followups, services
from surveys.models import FollowUp, Instrument, Invitation, SurveySettings
from tests.factories import TeamFactory, UserFactory
from tickets import notifications
from tickets.calendars import BusinessCalendar, Schedule, WorkingHours
from tickets.models import OutboxMessage, SLAPolicy, TicketEvent

from .builders import answer, invite
from .conftest import NOW

pytestmark = pytest.mark.usefixtures("default_rule")

# NOW is Tuesday 24 November 2026, 10:00 UTC (10:00 in London).
ANSWERED = NOW + timedelta(hours=1)


@pytest.fixture
def team_lead(service):
    """Tom leads the team that owns the service (an agent, not a manager)."""
    lead = UserFactory.create(full_name="Tom Lead", email="tom@example.com", role=User.Role.AGENT)
    service.owner_team.lead = lead
    service.owner_team.save(update_fields=["lead"])
    return lead


@pytest.fixture
def resolved(resolve, requester, service, team_lead):
    return resolve(requester=requester, service=service)


def follow_up_after(ticket, instrument, score, *, asks_ces=False, ces=None):
    invitation = invite(ticket, instrument=instrument, asks_ces=asks_ces, at=NOW)
    answer(invitation, score, ces=ces, at=ANSWERED)
    return FollowUp.objects.filter(answer__invitation=invitation).first()


@pytest.mark.parametrize(
    ("score", "opens"), [(1, True), (2, True), (3, False), (4, False), (5, False)]
)
def test_a_csat_of_one_or_two_opens_a_follow_up(resolved, score, opens):
    assert (follow_up_after(resolved, Instrument.CSAT, score) is not None) is opens


@pytest.mark.parametrize(
    ("score", "opens"), [(0, True), (6, True), (7, False), (8, False), (9, False), (10, False)]
)
def test_an_nps_detractor_opens_a_follow_up(resolve, requester, service, team_lead, score, opens):
    resolve(requester=requester, service=service)  # the team that served them last
    invitation = invite(person=requester, instrument=Instrument.NPS, at=NOW)
    answer(invitation, score, at=ANSWERED)
    follow_up = FollowUp.objects.filter(answer__invitation=invitation).first()
    assert (follow_up is not None) is opens
    if opens:
        assert follow_up is not None
        # About no ticket: the lead of the team of the person's latest ticket hears of it.
        assert (follow_up.ticket, follow_up.team, follow_up.owner) == (
            None,
            service.owner_team,
            team_lead,
        )


@pytest.mark.parametrize(("ces", "opens"), [(1, True), (3, True), (4, False), (7, False)])
def test_a_ces_of_three_or_less_opens_a_follow_up_even_after_a_good_csat(resolved, ces, opens):
    follow_up = follow_up_after(resolved, Instrument.CSAT, 5, asks_ces=True, ces=ces)
    assert (follow_up is not None) is opens
    if opens:
        assert follow_up is not None and follow_up.answer.instrument == Instrument.CES


def test_the_low_thresholds_come_from_the_settings(resolved):
    SurveySettings.objects.filter(pk=1).update(csat_low_at_most=3)
    assert follow_up_after(resolved, Instrument.CSAT, 3) is not None


def test_the_follow_up_goes_to_the_lead_of_the_ticket_team_with_an_audit_line(
    resolved, requester, team_lead
):
    follow_up = follow_up_after(resolved, Instrument.CSAT, 1)
    assert follow_up is not None
    assert (follow_up.person, follow_up.ticket, follow_up.team, follow_up.owner) == (
        requester,
        resolved,
        resolved.team,
        team_lead,
    )
    assert (follow_up.status, follow_up.created_at) == (FollowUp.Status.OPEN, ANSWERED)
    event = TicketEvent.objects.get(ticket=resolved, kind=TicketEvent.Kind.UPDATED)
    assert event.after["follow_up"].startswith("opened on a low")
    assert event.after["owner"] == "Tom Lead"


def test_a_team_without_a_lead_leaves_the_follow_up_to_its_managers(resolve, requester, service):
    ticket = resolve(requester=requester, service=service)
    follow_up = follow_up_after(ticket, Instrument.CSAT, 1)
    assert follow_up is not None and follow_up.owner is None and follow_up.team == ticket.team


def test_one_follow_up_per_invitation_and_a_changed_answer_keeps_it(resolved):
    invitation = invite(resolved, asks_ces=True, at=NOW)
    answer(invitation, 1, ces=2, at=ANSWERED)  # both low: one follow-up
    invitation.refresh_from_db()
    answer(invitation, 2, ces=1, at=ANSWERED + timedelta(minutes=5))  # changed in the window
    assert FollowUp.objects.count() == 1
    answer_row = FollowUp.objects.get().answer
    assert answer_row.instrument == Instrument.CSAT


def test_the_due_date_counts_business_days_of_the_ticket_sla_calendar(resolved, settings):
    settings.SURVEY_FOLLOW_UP_BUSINESS_DAYS = 2
    office = BusinessCalendar.objects.create(name="Office", time_zone="Europe/London")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=office, weekday=weekday, start=time(9), end=time(17))
    policy = SLAPolicy.objects.create(
        name="Office hours", calendar=office, first_response_minutes=60, resolution_minutes=480
    )
    resolved.sla_policy = policy
    resolved.save(update_fields=["sla_policy"])
    friday_afternoon = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 15:00 in London
    invitation = invite(resolved, at=NOW)
    answer(invitation, 1, at=friday_afternoon)
    # Two working days of eight hours: Friday's last two, Monday's eight, Tuesday's first six.
    assert FollowUp.objects.get().due_at == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_the_due_date_without_any_calendar_counts_calendar_days(resolved):
    invitation = invite(resolved, at=NOW)
    answer(invitation, 1, at=ANSWERED)
    # One business day by default (settings.SURVEY_FOLLOW_UP_BUSINESS_DAYS).
    assert FollowUp.objects.get().due_at == ANSWERED + timedelta(days=1)


def test_an_answer_changed_to_a_good_score_withdraws_the_follow_up_nobody_worked(
    resolved, team_lead
):
    invitation = invite(resolved, at=NOW)
    answer(invitation, 1, at=ANSWERED)
    invitation.refresh_from_db()
    answer(invitation, 4, at=ANSWERED + timedelta(minutes=5))
    assert not FollowUp.objects.exists()
    assert TicketEvent.objects.filter(
        ticket=resolved, after__follow_up="withdrawn: the answer was changed to 4"
    ).exists()


def test_a_follow_up_already_worked_stays_when_the_answer_changes(resolved, team_lead):
    invitation = invite(resolved, at=NOW)
    answer(invitation, 1, at=ANSWERED)
    follow_up = FollowUp.objects.get()
    followups.record_contact(
        follow_up,
        contacted_at=ANSWERED + timedelta(minutes=2),
        by=team_lead,
        now=ANSWERED + timedelta(minutes=3),
    )
    invitation.refresh_from_db()
    answer(invitation, 5, at=ANSWERED + timedelta(minutes=5))
    assert FollowUp.objects.get().is_open


def test_business_days_from_a_weekend_end_with_the_second_working_day():
    schedule = Schedule(
        tz=ZoneInfo("Europe/London"),
        days={d: [(time(8, 30), time(17, 30))] if d < 5 else [] for d in range(7)},
    )
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert followups.business_days_after(schedule, saturday, 2) == datetime(
        2026, 12, 1, 17, 30, tzinfo=UTC
    )


@pytest.fixture
def open_follow_up(resolved):
    follow_up = follow_up_after(resolved, Instrument.CSAT, 1)
    assert follow_up is not None
    return follow_up


def test_the_lead_records_the_contact_then_closes_with_an_outcome(open_follow_up, team_lead):
    contacted = ANSWERED + timedelta(hours=2)
    followups.record_contact(open_follow_up, contacted_at=contacted, by=team_lead, now=contacted)
    closed = followups.close_follow_up(
        open_follow_up,
        outcome=FollowUp.Outcome.RECOVERED,
        action_taken="Reset the mailbox rules for the whole floor.",
        by=team_lead,
        now=contacted + timedelta(minutes=10),
    )
    closed.refresh_from_db()
    assert (closed.status, closed.outcome, closed.closed_by, closed.contacted_at) == (
        FollowUp.Status.CLOSED,
        FollowUp.Outcome.RECOVERED,
        team_lead,
        contacted,
    )
    history = [e.after.get("follow_up") for e in TicketEvent.objects.filter(kind="updated")]
    assert history[1:] == ["contact recorded", "closed"]
    # Closed with no message asked for: nothing is sent.
    assert not OutboxMessage.objects.filter(kind=followups.WE_DID).exists()


@pytest.mark.parametrize(
    ("outcome", "reached"),
    [
        (FollowUp.Outcome.RECOVERED, True),
        (FollowUp.Outcome.NOT_RECOVERED, True),
        (FollowUp.Outcome.COULD_NOT_REACH, False),
    ],
)
def test_an_outcome_that_means_they_were_reached_takes_now_as_the_contact_when_none_is_given(
    open_follow_up, team_lead, outcome, reached
):
    closing = ANSWERED + timedelta(hours=3)
    followups.close_follow_up(open_follow_up, outcome=outcome, by=team_lead, now=closing)
    open_follow_up.refresh_from_db()
    assert open_follow_up.outcome == outcome
    assert open_follow_up.contacted_at == (closing if reached else None)


def test_closing_keeps_the_contact_recorded_earlier(open_follow_up, team_lead):
    contacted = ANSWERED + timedelta(hours=1)
    followups.record_contact(open_follow_up, contacted_at=contacted, by=team_lead, now=contacted)
    followups.close_follow_up(
        open_follow_up,
        outcome=FollowUp.Outcome.NOT_RECOVERED,
        by=team_lead,
        now=ANSWERED + timedelta(days=1),
    )
    open_follow_up.refresh_from_db()
    assert open_follow_up.contacted_at == contacted


@pytest.mark.parametrize("outcome", ["", "solved", "RECOVERED"])
def test_an_unknown_outcome_is_refused(open_follow_up, team_lead, outcome):
    with pytest.raises(ValidationError):
        followups.close_follow_up(open_follow_up, outcome=outcome, by=team_lead, now=ANSWERED)


def test_a_contact_in_the_future_or_before_the_answer_is_refused(open_follow_up, team_lead):
    for moment in (ANSWERED + timedelta(days=1), ANSWERED - timedelta(days=1)):
        with pytest.raises(ValidationError):
            followups.record_contact(
                open_follow_up, contacted_at=moment, by=team_lead, now=ANSWERED
            )
    open_follow_up.refresh_from_db()
    assert open_follow_up.contacted_at is None


def test_a_closed_follow_up_cannot_be_closed_again(open_follow_up, team_lead, manager):
    followups.close_follow_up(
        open_follow_up, outcome=FollowUp.Outcome.COULD_NOT_REACH, by=team_lead, now=ANSWERED
    )
    with pytest.raises(ValidationError, match="already closed by Tom Lead"):
        followups.close_follow_up(
            open_follow_up, outcome=FollowUp.Outcome.RECOVERED, by=manager, now=ANSWERED
        )


def test_a_lead_of_another_team_may_not_act(open_follow_up):
    other_lead = UserFactory.create(role=User.Role.AGENT)
    TeamFactory.create(lead=other_lead)
    with pytest.raises(PermissionDenied):
        followups.close_follow_up(
            open_follow_up, outcome=FollowUp.Outcome.COULD_NOT_REACH, by=other_lead, now=ANSWERED
        )
    with pytest.raises(PermissionDenied):
        followups.record_contact(open_follow_up, contacted_at=ANSWERED, by=other_lead)


def test_you_told_us_we_did_is_queued_once_and_says_what_changed(
    open_follow_up, team_lead, requester, django_capture_on_commit_callbacks
):
    followups.close_follow_up(
        open_follow_up,
        outcome=FollowUp.Outcome.RECOVERED,
        contacted_at=ANSWERED + timedelta(hours=1),
        action_taken="We now check the shared calendar first.",
        tell_requester=True,
        by=team_lead,
        now=ANSWERED + timedelta(hours=2),
    )
    [message] = OutboxMessage.objects.filter(kind=followups.WE_DID)
    assert (message.recipient, message.ticket, message.key) == (
        requester,
        open_follow_up.ticket,
        f"survey-we-did:{open_follow_up.pk}",
    )
    # Once: a second close is refused, and the key would queue nothing anyway.
    with pytest.raises(ValidationError):
        followups.close_follow_up(
            open_follow_up,
            outcome=FollowUp.Outcome.RECOVERED,
            tell_requester=True,
            action_taken="Again",
            by=team_lead,
        )
    assert OutboxMessage.objects.filter(kind=followups.WE_DID).count() == 1
    assert notifications.deliver(message.pk, now=ANSWERED + timedelta(hours=3)) is True
    [email] = mail.outbox
    ticket = open_follow_up.ticket
    assert email.subject == f"[{ticket.number}] You told us, we did: {ticket.subject}"
    assert "We now check the shared calendar first." in email.body
    html = email.alternatives[0][0]  # type: ignore[attr-defined]  # an EmailMultiAlternatives
    assert "We now check the shared calendar first." in html and "<script" not in html


def test_telling_needs_something_to_tell_and_someone_who_gets_survey_mail(
    open_follow_up, team_lead, requester
):
    closing = {
        "outcome": FollowUp.Outcome.COULD_NOT_REACH,
        "tell_requester": True,
        "by": team_lead,
        "now": ANSWERED,
    }
    with pytest.raises(ValidationError) as refused:
        followups.close_follow_up(open_follow_up, **closing)
    assert "action_taken" in refused.value.error_dict
    NotificationPreference.objects.create(
        user=requester, kind=NotificationKind.SURVEY_INVITATION, enabled=False
    )
    with pytest.raises(ValidationError) as refused:
        followups.close_follow_up(open_follow_up, action_taken="New laptop pool.", **closing)
    assert "tell_requester" in refused.value.error_dict
    assert not OutboxMessage.objects.filter(kind=followups.WE_DID).exists()
    open_follow_up.refresh_from_db()
    assert open_follow_up.is_open


def test_the_requester_is_not_invited_while_a_follow_up_is_open(
    open_follow_up, resolve, requester, service, team_lead
):
    assert followups.has_open_follow_up(requester)
    later = NOW + timedelta(days=20)  # past the 14-day budget
    ticket = resolve(timedelta(days=-20) + timedelta(hours=2), requester=requester, service=service)
    assert services.invite_due(later) == 0
    assert Invitation.objects.get(ticket=ticket).skip_reason == Invitation.SkipReason.FOLLOW_UP_OPEN
    followups.close_follow_up(
        open_follow_up, outcome=FollowUp.Outcome.COULD_NOT_REACH, by=team_lead, now=later
    )
    assert not followups.has_open_follow_up(requester)
    again = resolve(timedelta(days=-20) + timedelta(hours=1), requester=requester, service=service)
    assert services.invite_due(later) == 1
    assert Invitation.objects.get(ticket=again).status == Invitation.Status.PENDING
