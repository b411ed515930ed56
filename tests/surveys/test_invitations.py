"""The invitation beat: which resolved tickets are invited, once, with their email."""

from datetime import timedelta

import pytest
from django.core import mail

from accounts.models import NotificationKind, NotificationPreference
from surveys import rules, services
from surveys.models import Answer, FollowUp, Instrument, Invitation, SurveyRule, SurveySettings
from tests.factories import DepartmentFactory, ServiceFactory, UserFactory
from tickets import notifications
from tickets import services as ticket_services
from tickets.models import OutboxMessage, Ticket

from .conftest import NOW

Skip = Invitation.SkipReason


def message_of(invitation: Invitation) -> int:
    assert invitation.message_id is not None
    return invitation.message_id


pytestmark = pytest.mark.usefixtures("default_rule")


def test_a_ticket_resolved_past_the_delay_gets_one_invitation_and_one_email(resolve):
    ticket = resolve(timedelta(minutes=61))
    assert services.invite_due(NOW) == 1
    invitation = Invitation.objects.get(ticket=ticket)
    assert (invitation.status, invitation.instrument, invitation.person) == (
        "pending",
        "csat",
        ticket.requester,
    )
    assert invitation.expires_at == NOW + timedelta(days=14)
    assert invitation.remind_at == NOW + timedelta(days=3)
    assert (invitation.service_id, invitation.team_id) == (ticket.service_id, ticket.team_id)
    message = OutboxMessage.objects.get(kind=NotificationKind.SURVEY_INVITATION)
    assert (invitation.message, message.ticket, message.recipient) == (
        message,
        ticket,
        ticket.requester,
    )
    # Weighed once: the next run finds nothing to do.
    assert services.invite_due(NOW + timedelta(minutes=1)) == 0
    assert Invitation.objects.count() == OutboxMessage.objects.count() == 1


def test_a_ticket_inside_the_delay_waits(resolve):
    resolve(timedelta(minutes=59))
    assert services.invite_due(NOW) == 0
    assert not Invitation.objects.exists()


def test_tickets_resolved_long_before_the_window_are_never_invited(resolve):
    resolve(timedelta(days=4))
    assert services.invite_due(NOW) == 0
    assert not Invitation.objects.exists()


def test_open_and_cancelled_tickets_are_not_invited(resolve):
    resolve(status=Ticket.Status.OPEN)
    resolve(status=Ticket.Status.CANCELLED)
    closed = resolve(status=Ticket.Status.CLOSED)
    assert services.invite_due(NOW) == 1
    assert Invitation.objects.get().ticket == closed


def test_one_budget_per_person_across_instruments(resolve, requester):
    Invitation.objects.create(
        person=requester,
        instrument=Instrument.NPS,
        created_at=NOW - timedelta(days=13),
        expires_at=NOW,
        nonce="x",
    )
    ticket = resolve(requester=requester)
    assert services.invite_due(NOW) == 0
    decision = Invitation.objects.get(ticket=ticket)
    assert (decision.status, decision.skip_reason) == ("skipped", Skip.BUDGET)
    assert not OutboxMessage.objects.exists()


def test_the_budget_holds_inside_one_batch(resolve, requester):
    first = resolve(timedelta(hours=5), requester=requester)
    second = resolve(timedelta(hours=3), requester=requester)
    assert services.invite_due(NOW) == 1
    assert Invitation.objects.get(ticket=first).status == "pending"
    assert Invitation.objects.get(ticket=second).skip_reason == Skip.BUDGET


def test_the_budget_frees_the_person_after_n_days(resolve, requester):
    resolve(timedelta(hours=2), requester=requester)
    services.invite_due(NOW)
    later = NOW + timedelta(days=14)
    ticket = resolve(-timedelta(days=14) + timedelta(hours=2), requester=requester)
    assert ticket.resolved_at == later - timedelta(hours=2)
    assert services.invite_due(later) == 1


def test_a_budget_of_n_days_is_the_settings_row(resolve, requester):
    SurveySettings.objects.filter(pk=1).update(budget_days=2)
    Invitation.objects.create(
        person=requester,
        instrument=Instrument.NPS,
        created_at=NOW - timedelta(days=3),
        expires_at=NOW,
        nonce="x",
    )
    resolve(requester=requester)
    assert services.invite_due(NOW) == 1


def test_sampling_takes_exactly_the_hashed_share(default_rule, resolve):
    default_rule.sample_percent = 30
    default_rule.save()
    tickets = [resolve(requester=UserFactory.create()) for _ in range(40)]
    expected = {t.pk for t in tickets if rules.in_sample(t.pk, 30)}
    assert services.invite_due(NOW) == len(expected)
    invited = set(Invitation.objects.exclude(status="skipped").values_list("ticket_id", flat=True))
    assert invited == expected
    assert (
        set(
            Invitation.objects.filter(skip_reason=Skip.NOT_SAMPLED).values_list(
                "ticket_id", flat=True
            )
        )
        == {t.pk for t in tickets} - expected
    )


def test_rules_differ_per_service_and_department(resolve):
    email = ServiceFactory.create(name="Email")
    finance = DepartmentFactory.create(name="Finance")
    SurveyRule.objects.create(name="Email", service=email, ask_ces=True)
    SurveyRule.objects.create(
        name="Finance", department=finance, ask_csat=False, ask_ces=True, delay_minutes=24 * 60
    )
    SurveyRule.objects.create(
        name="Email for finance", service=email, department=finance, sample_percent=0
    )
    plain = resolve()
    on_email = resolve(service=email)
    in_finance = resolve(requester=UserFactory.create(department=finance))
    finance_on_email = resolve(service=email, requester=UserFactory.create(department=finance))
    services.invite_due(NOW)
    by_ticket = {i.ticket_id: i for i in Invitation.objects.all()}
    assert (by_ticket[plain.pk].instrument, by_ticket[plain.pk].asks_ces) == ("csat", False)
    assert (by_ticket[on_email.pk].instrument, by_ticket[on_email.pk].asks_ces) == ("csat", True)
    assert in_finance.pk not in by_ticket  # its rule waits a day
    assert by_ticket[finance_on_email.pk].skip_reason == Skip.NOT_SAMPLED
    services.invite_due(NOW + timedelta(days=1))
    assert Invitation.objects.get(ticket=in_finance).instrument == "ces"


def test_people_who_turned_survey_mail_off_are_not_invited(resolve, requester):
    NotificationPreference.objects.create(
        user=requester, kind=NotificationKind.SURVEY_INVITATION, enabled=False
    )
    ticket = resolve(requester=requester)
    assert services.invite_due(NOW) == 0
    assert Invitation.objects.get(ticket=ticket).skip_reason == Skip.OPTED_OUT
    assert not OutboxMessage.objects.exists()


def test_survey_mail_is_a_choice_end_users_see(requester):
    from accounts.services import kinds_for

    assert NotificationKind.SURVEY_INVITATION in dict(kinds_for(requester))


def test_turning_survey_mail_off_after_the_invitation_skips_the_email_and_cancels_it(
    resolve, requester
):
    resolve(requester=requester)
    services.invite_due(NOW)
    NotificationPreference.objects.create(
        user=requester, kind=NotificationKind.SURVEY_INVITATION, enabled=False
    )
    invitation = Invitation.objects.get()
    assert notifications.deliver(message_of(invitation), now=NOW) is False
    assert mail.outbox == []
    services.keep_invitations_current(NOW)
    invitation.refresh_from_db()
    assert invitation.status == "cancelled"


def test_inactive_people_are_recorded_unreachable(resolve):
    ticket = resolve(requester=UserFactory.create(is_active=False))
    assert services.invite_due(NOW) == 0
    assert Invitation.objects.get(ticket=ticket).skip_reason == Skip.UNREACHABLE


def test_a_person_with_an_open_follow_up_is_not_surveyed_again(resolve, requester):
    old = resolve(timedelta(days=30), requester=requester)
    invitation = Invitation.objects.create(
        ticket=old,
        person=requester,
        instrument="csat",
        status="answered",
        created_at=NOW - timedelta(days=29),
        expires_at=NOW,
        nonce="x",
    )
    answer = Answer.objects.create(invitation=invitation, instrument="csat", score=1)
    FollowUp.objects.create(answer=answer, person=requester, ticket=old, due_at=NOW)
    ticket = resolve(requester=requester)
    assert services.invite_due(NOW) == 0
    assert Invitation.objects.get(ticket=ticket).skip_reason == Skip.FOLLOW_UP_OPEN


def test_the_email_goes_out_and_the_invitation_is_marked_sent(resolve):
    ticket = resolve()
    services.invite_due(NOW)
    invitation = Invitation.objects.get()
    assert notifications.deliver(message_of(invitation), now=NOW) is True
    assert services.keep_invitations_current(NOW)["sent"] == 1
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert invitation.sent_at == OutboxMessage.objects.get().sent_at
    [email] = mail.outbox
    assert email.subject == f"[{ticket.number}] Tell us how we did: {ticket.subject}"
    assert email.to == [ticket.requester.email]


def test_one_reminder_after_n_days_then_expiry(resolve):
    ticket = resolve()
    services.invite_due(NOW)
    invitation = Invitation.objects.get()
    notifications.deliver(message_of(invitation), now=NOW)
    services.keep_invitations_current(NOW)
    assert services.remind_due(NOW + timedelta(days=2, hours=23)) == 0
    assert services.remind_due(NOW + timedelta(days=3)) == 1
    assert services.remind_due(NOW + timedelta(days=4)) == 0
    invitation.refresh_from_db()
    assert invitation.reminded_at == NOW + timedelta(days=3)
    reminder = invitation.reminder_message
    assert reminder is not None and reminder.payload == {"reminder": True}
    assert notifications.deliver(reminder.pk, now=NOW + timedelta(days=3)) is True
    assert mail.outbox[-1].subject.startswith(f"[{ticket.number}] Reminder, tell us how we did: ")
    assert services.keep_invitations_current(NOW + timedelta(days=13))["expired"] == 0
    assert services.keep_invitations_current(NOW + timedelta(days=14))["expired"] == 1
    invitation.refresh_from_db()
    assert invitation.status == "expired"


def test_an_answered_invitation_gets_no_reminder(resolve):
    resolve()
    services.invite_due(NOW)
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(status="answered", answered_at=NOW)
    assert services.remind_due(NOW + timedelta(days=3)) == 0


def test_reopening_the_ticket_cancels_the_invitation_and_its_unsent_email(resolve, requester):
    ticket = resolve(requester=requester)
    services.invite_due(NOW)
    ticket_services.reopen_ticket(ticket, reason="Still broken", by=requester)
    assert services.keep_invitations_current(NOW)["cancelled"] == 1
    invitation = Invitation.objects.get()
    assert invitation.status == "cancelled"
    assert OutboxMessage.objects.get(pk=message_of(invitation)).status == "skipped"


def test_a_ticket_reopened_and_resolved_again_cancels_the_invitation_about_the_first_resolution(
    resolve, requester, agent, service
):
    ticket = resolve(requester=requester, service=service)
    services.invite_due(NOW)
    ticket_services.reopen_ticket(ticket, reason="Still broken", by=requester)
    ticket.refresh_from_db()
    ticket_services.change_status(ticket, status="resolved", by=agent, version=None)
    assert services.keep_invitations_current(NOW)["cancelled"] == 1


def test_a_ticket_resolved_again_long_after_its_invitation_is_not_invited_twice(resolve, requester):
    ticket = resolve(timedelta(days=20), requester=requester)
    Invitation.objects.create(
        ticket=ticket,
        person=requester,
        instrument="csat",
        status="cancelled",
        created_at=NOW - timedelta(days=20),
        expires_at=NOW,
        nonce="x",
    )
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=NOW - timedelta(hours=2))
    assert services.invite_due(NOW) == 0
    assert Invitation.objects.count() == 1


def test_resolved_and_closed_tickets_keep_their_invitation(resolve, requester):
    ticket = resolve(requester=requester)
    services.invite_due(NOW)
    ticket_services.confirm_resolution(ticket, by=requester)
    assert services.keep_invitations_current(NOW)["cancelled"] == 0
    assert Invitation.objects.get().status == "pending"


def test_the_beat_reads_a_fixed_number_of_queries_however_many_tickets(
    resolve, django_assert_max_num_queries
):
    for _ in range(30):
        resolve(requester=UserFactory.create())
    # 13: the reads and writes, and one UPDATE of the people's `surveys_open_until` per
    # expiry time (one here).
    with django_assert_max_num_queries(13):
        assert services.invite_due(NOW) == 30


def test_relationship_nps_asks_a_sample_of_active_requesters_once_per_cadence(resolve):
    SurveySettings.objects.filter(pk=1).update(nps_sample_percent=100, budget_days=14)
    active = resolve(timedelta(days=20)).requester
    UserFactory.create()  # never logged a ticket: not asked
    assert services.invite_relationship_due(NOW) == 1
    invitation = Invitation.objects.get(instrument="nps")
    assert (invitation.person, invitation.ticket) == (active, None)
    assert services.invite_relationship_due(NOW + timedelta(days=60)) == 0
    # A quarter on, no longer active: asked again only after logging another ticket.
    assert services.invite_relationship_due(NOW + timedelta(days=111)) == 0
    resolve(-timedelta(days=100), requester=active)
    assert services.invite_relationship_due(NOW + timedelta(days=111)) == 1


def test_relationship_nps_respects_the_budget_and_the_sample(resolve, requester):
    SurveySettings.objects.filter(pk=1).update(nps_sample_percent=100)
    resolve(requester=requester)
    services.invite_due(NOW)  # a CSAT invitation now: the budget is used
    assert services.invite_relationship_due(NOW + timedelta(days=1)) == 0
    SurveySettings.objects.filter(pk=1).update(nps_sample_percent=0)
    assert services.invite_relationship_due(NOW + timedelta(days=20)) == 0
