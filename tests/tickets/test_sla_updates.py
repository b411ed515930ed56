"""The next-update target: each message from the requester after the first response is
owed an answer within the policy's business minutes."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import NotificationKind
from tests.factories import portal_url, workspace_url
from tests.tickets.test_sla import create, local, make_office
from tickets import services, sla_reports
from tickets.calendars import add_business_minutes
from tickets.models import OutboxMessage, Priority, SLAPolicy, Ticket, TicketEvent

Status = Ticket.Status


@pytest.fixture
def policy(db) -> SLAPolicy:
    return SLAPolicy.objects.create(
        name="P2 with updates",
        priority=Priority.P2,
        calendar=make_office(),
        is_default=True,
        first_response_minutes=60,
        resolution_minutes=960,
        next_update_minutes=120,
    )


def answered(requester, agent, service) -> Ticket:
    """A Monday-morning ticket with its first response given at 9:30."""
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    with time_machine.travel(local(2026, 6, 1, 9, 30), tick=False):
        services.add_comment(ticket, body="Looking at it.", by=agent)
    ticket.refresh_from_db()
    return ticket


def write(ticket: Ticket, person, body: str, at) -> Ticket:
    with time_machine.travel(at, tick=False):
        services.add_comment(ticket, body=body, by=person)
    ticket.refresh_from_db()
    return ticket


def update_judgements(ticket: Ticket) -> list[str]:
    return list(
        ticket.events.filter(after__target="update", after__has_key="answered")
        .order_by("created_at", "pk")
        .values_list("kind", flat=True)
    )


def test_a_message_after_the_first_response_is_owed_an_answer_in_business_time(
    policy, requester, agent, service
):
    ticket = answered(requester, agent, service)
    assert ticket.update_owed_since is None
    ticket = write(ticket, requester, "Still slow.", local(2026, 6, 1, 17, 0))
    assert ticket.update_owed_since == local(2026, 6, 1, 17, 0)
    # 30 minutes on Monday evening, 90 on Tuesday morning.
    assert ticket.update_due_at == local(2026, 6, 2, 10, 30)
    assert ticket.sla_due_at == ticket.update_due_at  # nearer than the resolution
    ticket = write(ticket, requester, "Hello?", local(2026, 6, 2, 9, 0))
    assert ticket.update_owed_since == local(2026, 6, 1, 17, 0)  # the first unanswered counts
    ticket = write(ticket, agent, "Fixed the cache.", local(2026, 6, 2, 10, 0))
    assert (ticket.update_owed_since, ticket.update_due_at) == (None, None)
    assert ticket.sla_due_at == ticket.resolution_due_at
    assert update_judgements(ticket) == ["sla_met"]
    owed = ticket.events.get(kind=TicketEvent.Kind.SLA_UPDATE_OWED)
    assert owed.get_kind_display() == "SLA update owed"


def test_a_late_answer_is_a_breach_and_notes_do_not_answer(policy, requester, agent, service):
    ticket = answered(requester, agent, service)
    ticket = write(ticket, requester, "Any news?", local(2026, 6, 1, 10, 0))
    with time_machine.travel(local(2026, 6, 1, 11, 0), tick=False):
        services.add_comment(ticket, body="Ask networking", by=agent, internal=True)
    ticket.refresh_from_db()
    assert ticket.update_owed_since is not None
    ticket = write(ticket, agent, "Sorry for the wait.", local(2026, 6, 1, 15, 0))
    assert update_judgements(ticket) == ["sla_breached"]


def test_no_target_before_the_first_response_or_without_one_in_the_policy(
    policy, requester, agent, service
):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    ticket = write(ticket, requester, "Also the printer.", local(2026, 6, 1, 9, 10))
    assert ticket.update_owed_since is None  # the first response target covers it
    SLAPolicy.objects.filter(pk=policy.pk).update(next_update_minutes=None)
    ticket = answered(requester, agent, service)
    ticket = write(ticket, requester, "Thanks, one more thing.", local(2026, 6, 1, 10, 0))
    assert ticket.update_owed_since is None


def test_resolving_answers_and_cancelling_drops_what_is_owed(policy, requester, agent, service):
    ticket = answered(requester, agent, service)
    ticket = write(ticket, requester, "Still slow.", local(2026, 6, 1, 10, 0))
    with time_machine.travel(local(2026, 6, 1, 11, 0), tick=False):
        services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    ticket.refresh_from_db()
    assert ticket.update_owed_since is None and update_judgements(ticket) == ["sla_met"]

    other = answered(requester, agent, service)
    other = write(other, requester, "Never mind.", local(2026, 6, 1, 10, 0))
    with time_machine.travel(local(2026, 6, 1, 10, 5), tick=False):
        services.cancel_ticket(other, by=requester)
    other.refresh_from_db()
    assert (other.update_owed_since, other.next_sla_check_at) == (None, None)
    assert update_judgements(other) == []


def test_warning_and_breach_of_an_update_are_sent_once(policy, requester, agent, lead, service):
    ticket = answered(requester, agent, service)
    services.take_ticket(ticket, by=agent)
    ticket = write(ticket, requester, "Any news?", local(2026, 6, 1, 10, 0))
    # The resolution target warns much later; the update warns at 90 of 120 minutes.
    at_warning = local(2026, 6, 1, 11, 30)
    assert ticket.next_sla_check_at == at_warning
    services.check_sla(now=at_warning)
    services.check_sla(now=at_warning)
    breach = local(2026, 6, 1, 12, 0)  # 120 business minutes after 10:00
    services.check_sla(now=breach)
    services.check_sla(now=breach)
    ticket.refresh_from_db()
    assert (ticket.update_warned_at, ticket.update_breached_at) == (at_warning, breach)
    messages = sorted(
        OutboxMessage.objects.filter(ticket=ticket, kind__startswith="sla_").values_list(
            "kind", "recipient__email"
        )
    )
    assert messages == [
        (NotificationKind.SLA_BREACHED, "lead@example.com"),
        (NotificationKind.SLA_WARNING, "sam@example.com"),
    ]
    standing = sla_reports.standing(ticket, now=breach + timedelta(minutes=30))
    assert (standing.state, standing.label) == ("breached", "30m late")
    assert list(sla_reports.breaches(Ticket.objects.all())) == [ticket]
    ticket = write(ticket, agent, "Here is the fix.", local(2026, 6, 1, 13, 45))
    # The beat's breach is the one record: the late answer adds no second breach.
    breaches = ticket.events.filter(kind=TicketEvent.Kind.SLA_BREACHED, after__target="update")
    assert breaches.count() == 1 and update_judgements(ticket) == []
    [overall] = sla_reports.attainment(Ticket.objects.all())
    assert (overall["update_met"], overall["update_breached"]) == (0, 1)


def test_queue_and_ticket_page_show_the_update_due(policy, client_as, requester, agent, service):
    ticket = answered(requester, agent, service)
    with time_machine.travel(local(2026, 6, 1, 10, 0), tick=False):
        services.add_comment(ticket, body="Any news?", by=requester)
        standing = sla_reports.standing(
            Ticket.objects.get(pk=ticket.pk), now=local(2026, 6, 1, 11, 45)
        )
        assert (standing.state, standing.label) == ("warning", "15m left")
        page = client_as(agent).get(workspace_url(ticket)).content.decode()
        assert 'id="sla-update"' in page and "Next update: due Mon 1 Jun 12:00" in page
        portal = client_as(requester).get(portal_url(ticket)).content.decode()
        assert (
            "We aim to answer your last message by <strong>Monday 1 June, 12:00</strong>" in portal
        )
    with time_machine.travel(local(2026, 6, 1, 12, 30), tick=False):
        portal = client_as(requester).get(portal_url(ticket)).content.decode()
        assert "We owe you an answer to your last message since Monday 1 June, 12:00" in portal


def test_attainment_counts_every_update_judged(policy, requester, agent, service):
    ticket = answered(requester, agent, service)
    write(ticket, requester, "One", local(2026, 6, 1, 10, 0))
    write(ticket, agent, "Answer one", local(2026, 6, 1, 10, 30))  # met
    write(ticket, requester, "Two", local(2026, 6, 1, 11, 0))
    write(ticket, agent, "Answer two", local(2026, 6, 2, 11, 0))  # breached
    [overall] = sla_reports.attainment(Ticket.objects.all())
    assert (overall["update_met"], overall["update_breached"], overall["update_attainment"]) == (
        1,
        1,
        50.0,
    )
    [by_priority] = sla_reports.attainment(Ticket.objects.all(), by="priority")
    assert by_priority["update_met"] == 1


def test_admin_refuses_an_update_target_of_zero(client_as, admin_user, policy):
    page = client_as(admin_user).post(
        reverse("admin:tickets_slapolicy_change", args=[policy.pk]),
        {
            "name": policy.name,
            "priority": policy.priority,
            "calendar": policy.calendar_id,
            "first_response_minutes": 60,
            "resolution_minutes": 960,
            "next_update_minutes": 0,
            "warn_at_percent": 75,
            "is_default": "on",
            "is_active": "on",
        },
    )
    assert "A target must be more than zero minutes." in page.content.decode()
    policy.refresh_from_db()
    assert policy.next_update_minutes == 120


# --- Property: the owed update always equals a recomputation from its start -----------

actions = st.lists(
    st.tuples(
        st.sampled_from(["requester", "agent", "note", "pending", "resolve", "reopen", "priority"]),
        st.integers(1, 60 * 20),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=actions, start_day=st.integers(0, 240))
def test_an_owed_update_is_always_due_its_target_after_the_first_unanswered_message(
    policy, requester, agent, service, plan, start_day
):
    start = local(2026, 3, 20, 9, 0) + timedelta(days=start_day)  # across the October DST change
    ticket = create(requester, service, at=start)
    moment = start
    unanswered_since = None
    for action, gap in plan:
        moment += timedelta(minutes=gap)
        ticket.refresh_from_db()
        with time_machine.travel(moment, tick=False):
            if action == "requester" and ticket.status in (Status.NEW, Status.OPEN, Status.PENDING):
                services.add_comment(ticket, body="more", by=requester)
                if ticket.response_outcome and unanswered_since is None:
                    unanswered_since = moment
            elif action == "agent" and ticket.is_open:
                services.add_comment(ticket, body="answer", by=agent)
                unanswered_since = None
            elif action == "note" and ticket.is_open:
                services.add_comment(ticket, body="note", by=agent, internal=True)
            elif action == "pending" and ticket.status in (Status.NEW, Status.OPEN):
                services.change_status(
                    ticket, status=Status.PENDING, question="Which laptop?", by=agent, version=None
                )
            elif action == "resolve" and ticket.is_open:
                services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
                unanswered_since = None
            elif action == "reopen" and ticket.status == Status.RESOLVED:
                services.reopen_ticket(ticket, reason="again", by=requester)
            elif action == "priority" and ticket.is_open:
                priority = Priority.P4 if ticket.priority == Priority.P2 else Priority.P2
                services.update_ticket(ticket, priority=priority, by=agent, version=None)
    ticket.refresh_from_db()
    target = ticket.sla_policy.next_update_minutes if ticket.sla_policy else None
    if not target:
        unanswered_since = None  # a policy without the target owes nothing
    assert ticket.update_owed_since == unanswered_since
    if unanswered_since is None:
        assert ticket.update_due_at is None
    else:
        assert ticket.sla_policy is not None and target is not None
        assert ticket.sla_due_at is not None and ticket.update_due_at is not None
        schedule = ticket.sla_policy.calendar.schedule()
        assert ticket.update_due_at == add_business_minutes(schedule, unanswered_since, target)
        assert ticket.sla_due_at <= ticket.update_due_at
        assert ticket.next_sla_check_at is not None
