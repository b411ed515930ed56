"""The monthly agent pulse: one invitation per person and round, anonymous answers, groups of
five or more shown, and only once the round has closed."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from accounts.models import User
from surveys import pulse
from surveys.models import PulseParticipation, PulseResponse, PulseRound
from tests.factories import TeamFactory, UserFactory
from tickets import notifications
from tickets.models import OutboxMessage

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def staff_team(size: int, name: str):
    team = TeamFactory.create(name=name)
    people = UserFactory.create_batch(size, role=User.Role.AGENT)
    team.members.set(people)
    return team, people


@pytest.fixture
def this_round(db) -> PulseRound:
    pulse_round, created = pulse.open_round(NOW)
    assert created
    return pulse_round


def answer_all(pulse_round, people, scores, *, team=None, now=NOW):
    for person, (enps, workload) in zip(people, scores, strict=True):
        pulse.record_pulse_answer(
            pulse_round, person=person, enps=enps, workload=workload, team=team, now=now
        )


def test_no_column_of_a_response_ties_it_to_a_person_or_a_moment():
    columns = PulseResponse._meta.get_fields()
    assert not [f for f in columns if f.is_relation and f.related_model is User]
    assert not [f for f in columns if isinstance(f, models.DateField | models.TimeField)]
    assert isinstance(PulseResponse._meta.pk, models.UUIDField)
    # The participation row says who answered, and nothing of the answer.
    assert {f.name for f in PulseParticipation._meta.get_fields()} == {"id", "round", "person"}


def test_the_round_opens_once_a_month_until_the_month_ends(this_round):
    assert this_round.month == date(2026, 11, 1)
    assert (this_round.opens_at, this_round.closes_at) == (NOW, datetime(2026, 12, 1, tzinfo=UTC))
    assert pulse.open_round(NOW + timedelta(days=3)) == (this_round, False)
    assert pulse.current_round(NOW + timedelta(days=3)) == this_round
    assert pulse.current_round(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) is None


def test_every_active_staff_member_is_invited_once_per_round(db, agent, manager, requester):
    leaver = UserFactory.create(role=User.Role.AGENT, is_active=False)
    assert pulse.open_and_invite(NOW) == 2  # Sam and Maria; not Ella, not the leaver
    assert pulse.open_and_invite(NOW + timedelta(hours=1)) == 0
    newcomer = UserFactory.create(role=User.Role.AGENT)
    assert pulse.open_and_invite(NOW + timedelta(hours=2)) == 1
    invited = set(
        OutboxMessage.objects.filter(kind=pulse.INVITATION).values_list("recipient", flat=True)
    )
    assert invited == {agent.pk, manager.pk, newcomer.pk}
    assert leaver.pk not in invited and requester.pk not in invited


def test_the_invitation_email_links_to_the_pulse_and_promises_anonymity(db, agent):
    pulse.open_and_invite(NOW)
    message = OutboxMessage.objects.get(kind=pulse.INVITATION)
    assert notifications.deliver(message.pk, now=NOW) is True
    [email] = mail.outbox
    assert email.subject == "Team pulse for November: two questions, anonymous"
    assert "http://servicedesk.test/workspace/pulse/" in email.body
    assert "without your name or the time" in email.body


def test_an_answer_is_stored_without_the_person_and_counted_once(this_round, agent, service_desk):
    pulse.record_pulse_answer(this_round, person=agent, enps=9, workload=2, now=NOW)
    response = PulseResponse.objects.get()
    assert (response.team, response.enps, response.workload) == (service_desk, 9, 2)
    assert PulseParticipation.objects.get().person == agent
    assert pulse.has_answered(this_round, agent)
    with pytest.raises(ValidationError, match="already answered"):
        pulse.record_pulse_answer(this_round, person=agent, enps=0, workload=5, now=NOW)
    assert PulseResponse.objects.count() == 1


def test_someone_answered_is_not_invited_again(this_round, agent):
    pulse.record_pulse_answer(this_round, person=agent, enps=9, workload=4, now=NOW)
    assert pulse.open_and_invite(NOW) == 0


@pytest.mark.parametrize(("enps", "workload"), [(11, 3), (-1, 3), (5, 0), (5, 6)])
def test_scores_outside_the_scales_are_refused(this_round, agent, enps, workload):
    with pytest.raises(ValidationError):
        pulse.record_pulse_answer(this_round, person=agent, enps=enps, workload=workload, now=NOW)
    assert not PulseParticipation.objects.exists() and not PulseResponse.objects.exists()


def test_someone_in_two_teams_says_which_one_they_answer_for(this_round, agent, service_desk):
    other = TeamFactory.create(name="Desktop")
    other.members.add(agent)
    with pytest.raises(ValidationError) as refused:
        pulse.record_pulse_answer(this_round, person=agent, enps=8, workload=4, now=NOW)
    assert "team" in refused.value.error_dict
    stranger = TeamFactory.create(name="Not theirs")
    with pytest.raises(ValidationError):
        pulse.record_pulse_answer(
            this_round, person=agent, enps=8, workload=4, team=stranger, now=NOW
        )
    pulse.record_pulse_answer(this_round, person=agent, enps=8, workload=4, team=other, now=NOW)
    assert PulseResponse.objects.get().team == other


def test_a_closed_round_and_an_end_user_are_refused(this_round, agent, requester):
    with pytest.raises(ValidationError, match="closed"):
        pulse.record_pulse_answer(
            this_round, person=agent, enps=8, workload=4, now=this_round.closes_at
        )
    with pytest.raises(PermissionDenied):
        pulse.record_pulse_answer(this_round, person=requester, enps=8, workload=4, now=NOW)


def test_groups_of_five_or_more_are_reported_smaller_ones_are_not(this_round):
    five, five_people = staff_team(5, "Service Desk")
    three, three_people = staff_team(3, "Network")
    six, six_people = staff_team(6, "Apps")
    # eNPS of the five: promoters 10, 9; passive 8; detractors 6, 0: (2 - 2) / 5 = 0.
    answer_all(this_round, five_people, [(10, 5), (9, 4), (8, 3), (6, 2), (0, 1)])
    answer_all(this_round, three_people, [(10, 5), (10, 5), (10, 5)])
    answer_all(this_round, six_people, [(9, 4)] * 6)
    assert pulse.report([this_round], now=NOW) == []  # open: nothing yet
    [report] = pulse.report([this_round], now=this_round.closes_at)
    shown = report.team(five.pk)
    assert shown.shown and shown.enps is not None and shown.workload is not None
    assert (shown.enps.promoters, shown.enps.passives, shown.enps.detractors) == (2, 1, 2)
    assert shown.enps.score == 0
    assert shown.workload.mean == 3 and shown.workload.agreeing_percent == 40
    hidden = report.team(three.pk)
    assert not hidden.shown and hidden.enps is None and hidden.workload is None
    six_shown = report.team(six.pk).enps
    assert six_shown is not None and six_shown.score == 100
    # The three hidden answers would be everyone minus the teams shown: everyone is hidden too.
    assert not report.overall.shown


def test_everyone_is_shown_when_the_hidden_teams_together_are_five_or_more(this_round):
    _, big = staff_team(5, "Service Desk")
    _, small_a = staff_team(3, "Network")
    _, small_b = staff_team(2, "Apps")
    answer_all(this_round, big + small_a + small_b, [(9, 4)] * 10)
    [report] = pulse.report([this_round], now=this_round.closes_at)
    assert report.overall.enps is not None and report.overall.enps.n == 10


def test_the_next_round_shuffles_the_closed_round_responses(this_round):
    _, people = staff_team(6, "Service Desk")
    answer_all(this_round, people, [(n, 1 + n % 5) for n in range(6)])
    before = set(PulseResponse.objects.values_list("pk", "enps"))
    december, created = pulse.open_round(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert created and december.month == date(2026, 12, 1)
    after = set(PulseResponse.objects.values_list("pk", "enps"))
    # The same answers, under new ids (new rows, written together).
    assert sorted(e for _, e in after) == sorted(e for _, e in before)
    assert not {pk for pk, _ in after} & {pk for pk, _ in before}


def test_the_beat_task_opens_the_round_and_invites(db, agent, time_machine):
    from servicedesk.celery import app
    from surveys.pulse_tasks import open_pulse_round

    time_machine.move_to(NOW, tick=False)
    assert open_pulse_round() == 1
    assert open_pulse_round() == 0
    # Beat names the task as the worker registers it.
    app.loader.import_default_modules()
    assert "surveys.pulse_tasks.open_pulse_round" in app.tasks
