"""The SLA rules in one place: a breach is recorded once, a late stricter policy is breached
when its target was passed, history lines carry real due times, the priority says where it
comes from."""

from datetime import datetime, timedelta

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import NotificationKind
from tests.factories import workspace_url
from tests.tickets import test_sla
from tests.tickets.test_sla import create, local
from tickets import services, sla, sla_reports
from tickets.models import Level, OutboxMessage, Priority, Ticket, TicketEvent

Status = Ticket.Status
office, default_policy, p2_policy = test_sla.office, test_sla.default_policy, test_sla.p2_policy


def at(moment: datetime, action, *args, **kwargs):
    with time_machine.travel(moment, tick=False):
        return action(*args, **kwargs)


def breaches(ticket: Ticket, target: str) -> int:
    return ticket.events.filter(kind=TicketEvent.Kind.SLA_BREACHED, after__target=target).count()


def breach_messages(ticket: Ticket) -> int:
    return OutboxMessage.objects.filter(ticket=ticket, kind=NotificationKind.SLA_BREACHED).count()


# --- A breach is recorded once, whoever sees it first -------------------------------------


def test_a_response_breach_the_beat_saw_is_not_recorded_again_by_the_reply(
    p2_policy, requester, agent, lead, service
):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))  # response due 10:00
    services.check_sla(now=local(2026, 6, 1, 10, 5))
    services.check_sla(now=local(2026, 6, 1, 10, 5))
    at(local(2026, 6, 1, 10, 30), services.add_comment, ticket, body="Sorry", by=agent)
    ticket.refresh_from_db()
    assert ticket.response_outcome == "breached"
    assert breaches(ticket, "response") == 1
    assert ticket.response_breached_at == local(2026, 6, 1, 10, 0)
    assert breach_messages(ticket) == 1


def test_a_response_breach_the_reply_saw_first_is_not_recorded_again_by_the_beat(
    p2_policy, requester, agent, lead, service
):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    at(local(2026, 6, 1, 10, 0, 20), services.add_comment, ticket, body="Sorry", by=agent)
    for _ in range(2):
        services.check_sla(now=local(2026, 6, 1, 10, 1))
    ticket.refresh_from_db()
    assert ticket.response_outcome == "breached"
    assert ticket.response_breached_at == local(2026, 6, 1, 10, 0)  # the breach moment is kept
    assert breaches(ticket, "response") == 1


def test_a_resolution_breach_is_recorded_once_in_either_order(
    p2_policy, requester, agent, lead, service
):
    # P2: 480 business minutes to resolve from Monday 9:00, due Tuesday 9:30.
    beat_first = create(requester, service, at=local(2026, 6, 1, 9, 0))
    resolved_first = create(requester, service, at=local(2026, 6, 1, 9, 0))
    for ticket in (beat_first, resolved_first):
        at(local(2026, 6, 1, 9, 10), services.add_comment, ticket, body="On it", by=agent)
    services.check_sla(now=local(2026, 6, 1, 16, 0))  # the warnings
    Ticket.objects.filter(pk=resolved_first.pk).update(next_sla_check_at=None)  # beat is late
    for _ in range(2):
        services.check_sla(now=local(2026, 6, 2, 9, 45))
    for ticket in (resolved_first, beat_first):
        at(
            local(2026, 6, 2, 10, 0),
            services.change_status,
            ticket,
            status=Status.RESOLVED,
            by=agent,
            version=None,
        )
    Ticket.objects.filter(pk=resolved_first.pk).update(next_sla_check_at=local(2026, 6, 2, 9, 0))
    services.check_sla(now=local(2026, 6, 2, 10, 5))
    for ticket in (beat_first, resolved_first):
        ticket.refresh_from_db()
        assert ticket.resolution_outcome == "breached"
        assert breaches(ticket, "resolution") == 1
        assert ticket.resolution_breached_at == local(2026, 6, 2, 9, 30)
    assert breach_messages(beat_first) == 1


def test_an_update_breach_the_answer_saw_first_is_recorded_once(
    requester, agent, lead, service, office
):
    from tickets.models import SLAPolicy

    SLAPolicy.objects.create(
        name="With updates",
        calendar=office,
        is_default=True,
        first_response_minutes=60,
        resolution_minutes=960,
        next_update_minutes=60,
    )
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    at(local(2026, 6, 1, 9, 10), services.add_comment, ticket, body="On it", by=agent)
    at(local(2026, 6, 1, 9, 20), services.add_comment, ticket, body="News?", by=requester)
    at(local(2026, 6, 1, 10, 30), services.add_comment, ticket, body="Here", by=agent)
    services.check_sla(now=local(2026, 6, 1, 10, 31))
    ticket.refresh_from_db()
    assert breaches(ticket, "update") == 1
    [overall] = sla_reports.attainment(Ticket.objects.all())
    assert (overall["update_met"], overall["update_breached"]) == (0, 1)


# --- A stricter policy applied late -----------------------------------------------------


def test_a_stricter_policy_already_exceeded_is_breached_at_start_plus_target(
    p2_policy, default_policy, requester, agent, lead, service
):
    # Standard (240 min to respond) from Monday 9:00; at 11:00 the agent makes it P2 (60 min).
    ticket = create(
        requester, service, at=local(2026, 6, 1, 9, 0), impact=Level.LOW, urgency=Level.LOW
    )
    at(
        local(2026, 6, 1, 11, 0),
        services.update_ticket,
        ticket,
        priority=Priority.P2,
        by=agent,
        version=None,
    )
    ticket.refresh_from_db()
    assert ticket.response_due_at == local(2026, 6, 1, 10, 0)  # not 11:00, the change
    standing = sla_reports.standing(ticket, now=local(2026, 6, 1, 11, 0))
    assert (standing.state, standing.label) == ("breached", "1h late")
    assert (standing.breached_at, standing.late_by) == (local(2026, 6, 1, 10, 0), "1h")
    services.check_sla(now=local(2026, 6, 1, 11, 0, 30))
    ticket.refresh_from_db()
    assert ticket.response_breached_at == local(2026, 6, 1, 10, 0)
    assert breach_messages(ticket) == 1
    [response, resolution] = sla_reports.targets(ticket, now=local(2026, 6, 1, 11, 30))
    assert (response.state, response.breached_at, response.late_by) == (
        "overdue",
        local(2026, 6, 1, 10, 0),
        "1h 30m",
    )
    assert resolution.state == "due"


def test_a_target_passed_while_paused_is_due_when_it_was_passed_not_at_the_resume(
    p2_policy, default_policy, requester, agent, service
):
    ticket = create(
        requester, service, at=local(2026, 6, 1, 9, 0), impact=Level.LOW, urgency=Level.LOW
    )
    at(
        local(2026, 6, 1, 10, 30),
        services.change_status,
        ticket,
        status=Status.PENDING,
        question="Which laptop?",
        by=agent,
        version=None,
    )
    at(
        local(2026, 6, 1, 11, 0),
        services.update_ticket,
        ticket,
        priority=Priority.P2,
        by=agent,
        version=None,
    )
    at(local(2026, 6, 1, 14, 0), services.add_comment, ticket, body="Back", by=requester)
    ticket.refresh_from_db()
    assert ticket.sla_running_since == local(2026, 6, 1, 14, 0)
    assert ticket.response_due_at == local(2026, 6, 1, 10, 0)
    # Late by the business time since the target was passed (10:00 to 14:00, less lunch).
    assert sla_reports.standing(ticket, now=local(2026, 6, 1, 14, 0)).label == "3h late"


# --- History lines carry real due times ------------------------------------------------


def test_a_policy_applied_while_paused_says_paused_and_what_is_left_not_none(
    p2_policy, default_policy, requester, agent, service, client_as
):
    ticket = create(
        requester, service, at=local(2026, 6, 1, 9, 0), impact=Level.LOW, urgency=Level.LOW
    )
    at(
        local(2026, 6, 1, 9, 30),
        services.change_status,
        ticket,
        status=Status.PENDING,
        question="Which laptop?",
        by=agent,
        version=None,
    )
    at(
        local(2026, 6, 1, 10, 0),
        services.update_ticket,
        ticket,
        priority=Priority.P2,
        by=agent,
        version=None,
    )
    applied = ticket.events.filter(kind=TicketEvent.Kind.SLA_POLICY).last()
    assert applied is not None
    assert applied.after == {
        "policy": "P2",
        "policy_id": p2_policy.pk,
        "response": "paused, 30m left",
        "resolution": "paused, 7h 30m left",
    }
    at(local(2026, 6, 1, 10, 30), services.add_comment, ticket, body="Back", by=requester)
    resumed = ticket.events.filter(kind=TicketEvent.Kind.SLA_RESUMED).get()
    assert datetime.fromisoformat(resumed.after["response due"]) == local(2026, 6, 1, 11, 0)
    page = client_as(agent).get(workspace_url(ticket), {"tab": "history"}).content.decode()
    assert "due:</span> none" not in page and "paused, 7h 30m left" in page


def test_no_sla_event_ever_shows_a_due_time_of_none(p2_policy, requester, agent, service):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    at(
        local(2026, 6, 1, 9, 30),
        services.change_status,
        ticket,
        status=Status.PENDING,
        question="Which laptop?",
        by=agent,
        version=None,
    )
    at(
        local(2026, 6, 1, 9, 40),
        services.change_status,
        ticket,
        status=Status.RESOLVED,
        by=agent,
        version=None,
    )
    at(local(2026, 6, 1, 9, 50), services.reopen_ticket, ticket, reason="No", by=requester)
    for event in ticket.events.filter(kind__startswith="sla_"):
        assert None not in event.after.values(), (event.kind, event.after)


def test_a_policy_applied_to_a_resolved_ticket_shows_its_judgements(
    p2_policy, default_policy, requester, agent, service
):
    ticket = create(
        requester, service, at=local(2026, 6, 1, 9, 0), impact=Level.LOW, urgency=Level.LOW
    )
    at(
        local(2026, 6, 1, 9, 30),
        services.change_status,
        ticket,
        status=Status.RESOLVED,
        by=agent,
        version=None,
    )
    at(
        local(2026, 6, 1, 9, 40),
        services.update_ticket,
        ticket,
        priority=Priority.P2,
        by=agent,
        version=None,
    )
    applied = ticket.events.filter(kind=TicketEvent.Kind.SLA_POLICY).last()
    assert applied is not None
    assert (applied.after["response"], applied.after["resolution"]) == ("met", "met")


# --- Where the priority comes from -----------------------------------------------------


def test_the_priority_says_whether_it_comes_from_impact_and_urgency(
    p2_policy, default_policy, requester, agent, service
):
    ticket = create(
        requester, service, at=local(2026, 6, 1, 9, 0), impact=Level.MEDIUM, urgency=Level.LOW
    )
    assert (ticket.priority, ticket.priority_basis) == (Priority.P4, "impact medium, urgency low")
    at(
        local(2026, 6, 1, 9, 5),
        services.update_ticket,
        ticket,
        priority=Priority.P2,
        by=agent,
        version=None,
    )
    ticket.refresh_from_db()
    assert ticket.priority_basis == "set by hand"
    at(
        local(2026, 6, 1, 9, 10),
        services.update_ticket,
        ticket,
        priority=Priority.P4,
        by=agent,
        version=None,
    )
    ticket.refresh_from_db()
    assert ticket.priority_basis == "impact medium, urgency low"  # back on the matrix


def test_an_escalated_priority_says_it_was_raised_on_a_breach(
    p2_policy, requester, agent, lead, service
):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    at(local(2026, 6, 1, 9, 10), services.add_comment, ticket, body="On it", by=agent)
    services.check_sla(now=local(2026, 6, 2, 9, 30))
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_basis) == (Priority.P1, "raised on SLA breach")


# --- Property: whatever the order, each breach is recorded once --------------------------

plans = st.lists(
    st.tuples(
        st.sampled_from(["beat", "reply", "requester", "pending", "resolve", "reopen", "priority"]),
        st.integers(1, 60 * 6),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=plans, start_day=st.integers(0, 200))
def test_each_target_is_breached_at_most_once_whoever_sees_it(
    p2_policy, default_policy, requester, agent, lead, service, plan, start_day
):
    start = local(2026, 3, 20, 9, 0) + timedelta(days=start_day)
    ticket = create(requester, service, at=start)
    moment = start
    for action, gap in plan:
        moment += timedelta(minutes=gap)
        ticket.refresh_from_db()
        if action == "beat":
            services.check_sla(now=moment)
            services.check_sla(now=moment)
        elif action == "reply" and ticket.is_open:
            at(moment, services.add_comment, ticket, body="answer", by=agent)
        elif action == "requester" and ticket.is_open:
            at(moment, services.add_comment, ticket, body="more", by=requester)
        elif action == "pending" and ticket.status in (Status.NEW, Status.OPEN):
            at(
                moment,
                services.change_status,
                ticket,
                status=Status.PENDING,
                question="Which laptop?",
                by=agent,
                version=None,
            )
        elif action == "resolve" and ticket.is_open:
            at(
                moment,
                services.change_status,
                ticket,
                status=Status.RESOLVED,
                by=agent,
                version=None,
            )
        elif action == "reopen" and ticket.status == Status.RESOLVED:
            at(moment, services.reopen_ticket, ticket, reason="again", by=requester)
        elif action == "priority" and ticket.is_open:
            priority = Priority.P5 if ticket.priority == Priority.P2 else Priority.P2
            at(moment, services.update_ticket, ticket, priority=priority, by=agent, version=None)
    ticket.refresh_from_db()
    for which in ("response", "resolution"):
        recorded = breaches(ticket, which)
        assert recorded <= 1
        breached_at = getattr(ticket, f"{which}_breached_at")
        assert recorded == (breached_at is not None)
        if getattr(ticket, f"{which}_outcome") == "breached":
            assert breached_at is not None
    assert breach_messages(ticket) <= breaches(ticket, "response") + breaches(ticket, "resolution")
    for event in ticket.events.filter(kind=TicketEvent.Kind.SLA_POLICY):
        assert None not in event.after.values()


def test_the_services_leave_the_clock_rules_to_the_sla_module():
    """The rules the services call live in tickets.sla, not inline in the services."""
    import inspect

    from tickets.services import conversation, lifecycle, triage

    for module in (conversation, lifecycle, triage):
        source = inspect.getsource(module)
        for inline in ("sla.pause(", "sla.resume(", "sla.stop(", "sla.rematch(", "sla.record("):
            assert inline not in source, (module.__name__, inline)
    assert callable(sla.on_reply) and callable(sla.on_status_change) and callable(sla.on_reclassify)
