from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import NotificationKind
from tests.factories import DepartmentFactory, ServiceFactory, UserFactory
from tickets import services, sla, sla_reports
from tickets.calendars import (
    BusinessCalendar,
    Holiday,
    WorkingHours,
    add_business_minutes,
    business_minutes_between,
    find_overlaps,
)
from tickets.models import Level, OutboxMessage, Priority, SLAPolicy, Ticket, TicketEvent

LONDON = ZoneInfo("Europe/London")
Status = Ticket.Status


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def make_office(name: str = "London office") -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name=name, time_zone="Europe/London")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=time(9), end=time(12, 30)
        )
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=time(13, 30), end=time(17, 30)
        )
    for day, label in [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (substitute)"),
        (date(2027, 1, 1), "New Year's Day"),
        (date(2026, 4, 3), "Good Friday"),
    ]:
        Holiday.objects.create(calendar=calendar, date=day, name=label)
    return calendar


@pytest.fixture
def office(db):
    return make_office()


@pytest.fixture
def default_policy(office):
    return SLAPolicy.objects.create(
        name="Standard",
        calendar=office,
        first_response_minutes=240,
        resolution_minutes=2400,
        is_default=True,
    )


@pytest.fixture
def p2_policy(office):
    return SLAPolicy.objects.create(
        name="P2",
        priority=Priority.P2,
        calendar=office,
        first_response_minutes=60,
        resolution_minutes=480,
    )


# --- Business-time arithmetic ---------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2026, 3, 1), max_value=datetime(2027, 11, 30), timezones=st.just(UTC)
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=moments, minutes=st.integers(min_value=0, max_value=20_000))
def test_adding_then_counting_business_minutes_round_trips(office, start, minutes):
    schedule = office.schedule()
    end = add_business_minutes(schedule, start, minutes)
    assert end >= start
    assert business_minutes_between(schedule, start, end) == pytest.approx(minutes, abs=1e-6)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=moments, first=st.integers(0, 5000), second=st.integers(0, 5000))
def test_adding_in_two_steps_equals_adding_once(office, start, first, second):
    schedule = office.schedule()
    once = add_business_minutes(schedule, start, first + second)
    twice = add_business_minutes(schedule, add_business_minutes(schedule, start, first), second)
    assert once == twice


def test_friday_evening_rolls_to_monday_morning(office):
    schedule = office.schedule()
    assert add_business_minutes(schedule, local(2026, 6, 5, 17, 0), 60) == local(2026, 6, 8, 9, 30)
    assert add_business_minutes(schedule, local(2026, 6, 5, 12, 0), 60) == local(
        2026, 6, 5, 14, 0
    )  # lunch


def test_holidays_are_skipped(office):
    schedule = office.schedule()
    # Thursday 24 December 17:00 + 1h: Christmas (Fri), weekend, substitute Boxing Day (Mon): Tuesday.
    assert add_business_minutes(schedule, local(2026, 12, 24, 17, 0), 60) == local(
        2026, 12, 29, 9, 30
    )


def test_working_hours_follow_the_wall_clock_across_daylight_saving(office):
    schedule = office.schedule()
    # Clocks go forward on Sunday 29 March 2026: Friday 17:30 GMT to Monday 09:00 BST.
    monday = add_business_minutes(schedule, local(2026, 3, 27, 17, 0), 30 + 60)
    assert monday == local(2026, 3, 30, 10, 0)
    assert monday.astimezone(UTC).hour == 9
    assert (
        business_minutes_between(schedule, local(2026, 3, 27, 9), local(2026, 3, 30, 17, 30))
        == 2 * 7.5 * 60
    )


def test_24x7_calendar_counts_every_minute(db):
    schedule = BusinessCalendar.objects.create(name="Always", is_24x7=True).schedule()
    start = local(2026, 12, 25, 3, 0)
    assert add_business_minutes(schedule, start, 90) == start + timedelta(minutes=90)


def test_overlapping_intervals_are_reported():
    rows = [(0, time(9), time(12)), (0, time(11), time(13)), (1, time(9), time(12))]
    assert find_overlaps(rows) == ["Monday: 09:00–12:00 overlaps 11:00–13:00."]


# --- Policy matching ------------------------------------------------------------------


def test_most_specific_policy_wins(office, default_policy, p2_policy, requester, service):
    finance = requester.department
    vip = SLAPolicy.objects.create(
        name="Finance P2",
        priority=Priority.P2,
        department=finance,
        calendar=office,
        first_response_minutes=30,
        resolution_minutes=240,
    )
    mail = SLAPolicy.objects.create(
        name="Email",
        service=service,
        calendar=office,
        first_response_minutes=120,
        resolution_minutes=960,
    )
    ticket = Ticket(requester=requester, service=service, priority=Priority.P2)
    assert sla.match_policy(ticket) == mail  # service beats department and priority
    other_service = ServiceFactory.create(owner_team=service.owner_team)
    assert (
        sla.match_policy(Ticket(requester=requester, service=other_service, priority=Priority.P2))
        == vip
    )
    outsider = UserFactory.create(department=DepartmentFactory.create(name="Sales"))
    assert (
        sla.match_policy(Ticket(requester=outsider, service=other_service, priority=Priority.P2))
        == p2_policy
    )
    assert (
        sla.match_policy(Ticket(requester=outsider, service=other_service, priority=Priority.P4))
        == default_policy
    )


def test_inactive_policies_are_ignored(office, default_policy, p2_policy, requester, service):
    p2_policy.is_active = False
    p2_policy.save()
    assert (
        sla.match_policy(Ticket(requester=requester, service=service, priority=Priority.P2))
        == default_policy
    )


# --- The clock through the ticket's life ----------------------------------------------


def create(requester, service, *, at: datetime, impact=Level.HIGH, urgency=Level.MEDIUM) -> Ticket:
    with time_machine.travel(at, tick=False):
        return services.create_ticket(
            requester=requester,
            by=requester,
            service=service,
            subject="VPN",
            description="d",
            impact=impact,
            urgency=urgency,
        )


def test_new_ticket_gets_due_times_in_business_time(p2_policy, default_policy, requester, service):
    ticket = create(requester, service, at=local(2026, 6, 5, 16, 30))  # Friday
    assert ticket.sla_policy == p2_policy
    assert ticket.response_due_at == local(2026, 6, 5, 17, 30)
    assert ticket.resolution_due_at == local(
        2026, 6, 8, 17, 0
    )  # 8 business hours: 1 on Friday, 7 on Monday
    assert ticket.sla_due_at == ticket.response_due_at
    assert ticket.next_sla_check_at == local(2026, 6, 5, 17, 15)  # 75 % of the first hour
    event = ticket.events.get(kind=TicketEvent.Kind.SLA_POLICY)
    assert event.after["policy"] == "P2"


def test_pending_pauses_and_reply_resumes_the_clock(p2_policy, requester, agent, service):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))  # Monday
    with time_machine.travel(local(2026, 6, 1, 9, 20), tick=False):
        services.add_comment(ticket, body="Can you send a screenshot?", by=agent)
        services.change_status(
            ticket, status=Status.PENDING, question="Which laptop?", by=agent, version=None
        )
    ticket.refresh_from_db()
    assert (ticket.sla_running_since, ticket.resolution_due_at, ticket.sla_due_at) == (
        None,
        None,
        None,
    )
    assert ticket.sla_elapsed_minutes == 20
    assert ticket.next_sla_check_at is None
    with time_machine.travel(local(2026, 6, 2, 11, 0), tick=False):  # the next day
        services.add_comment(ticket, body="Here it is.", by=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    # 460 minutes left from Tuesday 11:00: 90 before lunch, 240 after, 130 on Wednesday.
    assert ticket.resolution_due_at == local(2026, 6, 3, 11, 10)
    kinds = list(ticket.events.filter(kind__startswith="sla_").values_list("kind", flat=True))
    assert kinds == ["sla_policy", "sla_met", "sla_paused", "sla_resumed"]


def test_first_reply_meets_or_breaches_the_response_target(p2_policy, requester, agent, service):
    quick = create(requester, service, at=local(2026, 6, 1, 9, 0))
    with time_machine.travel(local(2026, 6, 1, 9, 30), tick=False):
        services.add_comment(quick, body="On it", by=agent)
    late = create(requester, service, at=local(2026, 6, 1, 9, 0))
    with time_machine.travel(local(2026, 6, 1, 11, 0), tick=False):
        services.add_comment(late, body="Sorry for the wait", by=agent)
    quick.refresh_from_db()
    late.refresh_from_db()
    assert (quick.response_outcome, late.response_outcome) == ("met", "breached")
    assert quick.sla_due_at == quick.resolution_due_at


def test_resolution_is_judged_and_a_reopen_resumes(p2_policy, requester, agent, service):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    with time_machine.travel(local(2026, 6, 1, 10, 0), tick=False):
        services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    ticket.refresh_from_db()
    assert (ticket.response_outcome, ticket.resolution_outcome) == ("met", "met")
    assert ticket.sla_running_since is None and ticket.next_sla_check_at is None
    with time_machine.travel(local(2026, 6, 1, 11, 0), tick=False):
        services.reopen_ticket(ticket, reason="Still broken", by=requester)
    ticket.refresh_from_db()
    assert ticket.resolution_outcome == ""
    assert ticket.sla_elapsed_minutes == 60
    assert ticket.resolution_due_at == add_business_minutes(
        p2_policy.calendar.schedule(), local(2026, 6, 1, 11, 0), 420
    )


def test_priority_change_rematches_from_minutes_used(
    p2_policy, default_policy, requester, agent, service
):
    ticket = create(
        requester, service, at=local(2026, 6, 1, 9, 0), impact=Level.LOW, urgency=Level.LOW
    )
    assert ticket.sla_policy == default_policy
    with time_machine.travel(local(2026, 6, 1, 10, 0), tick=False):
        services.update_ticket(ticket, priority=Priority.P2, by=agent, version=None)
    ticket.refresh_from_db()
    assert ticket.sla_policy == p2_policy
    assert ticket.sla_elapsed_minutes == 60
    assert ticket.response_due_at == local(2026, 6, 1, 10, 0)  # 60 of 60 minutes used: due now
    assert ticket.resolution_due_at == local(
        2026, 6, 2, 9, 30
    )  # 420 left: 390 on Monday, 30 on Tuesday


def test_cancelled_ticket_stops_without_judgement(p2_policy, requester, service):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    with time_machine.travel(local(2026, 6, 1, 9, 10), tick=False):
        services.cancel_ticket(ticket, by=requester)
    ticket.refresh_from_db()
    assert (ticket.resolution_outcome, ticket.next_sla_check_at, ticket.sla_due_at) == (
        "",
        None,
        None,
    )


# --- Warnings and breaches from the beat task -----------------------------------------


def test_warning_then_breach_each_sent_once_even_if_the_task_runs_twice(
    p2_policy, requester, agent, lead, service
):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    services.take_ticket(ticket, by=agent)
    at_warning = local(2026, 6, 1, 9, 46)
    assert services.check_sla(now=at_warning) == 1
    assert services.check_sla(now=at_warning) == 0  # nothing due any more
    ticket.refresh_from_db()
    assert ticket.response_warned_at == at_warning and ticket.response_breached_at is None
    breach = local(2026, 6, 1, 10, 1)
    services.check_sla(now=breach)
    services.check_sla(now=breach)
    ticket.refresh_from_db()
    assert ticket.response_breached_at == local(2026, 6, 1, 10, 0)  # when passed, not when seen
    messages = list(
        OutboxMessage.objects.filter(ticket=ticket, kind__startswith="sla_").values_list(
            "kind", "recipient__email"
        )
    )
    assert sorted(messages) == [
        (NotificationKind.SLA_BREACHED, "lead@example.com"),
        (NotificationKind.SLA_WARNING, "sam@example.com"),
    ]
    assert ticket.events.filter(kind=TicketEvent.Kind.SLA_BREACHED).count() == 1
    assert ticket.next_sla_check_at is not None
    assert ticket.next_sla_check_at > breach  # now watching the resolution target


def test_resolution_breach_escalates_priority(p2_policy, requester, agent, lead, service):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    with time_machine.travel(local(2026, 6, 1, 9, 10), tick=False):
        services.add_comment(ticket, body="On it", by=agent)
    later = local(2026, 6, 2, 9, 30)
    for _ in range(3):
        services.check_sla(now=later)
    ticket.refresh_from_db()
    assert ticket.resolution_breached_at is not None
    assert ticket.priority == Priority.P1
    assert ticket.version == 3  # created 1, first reply 2, escalation 3
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    ticket.refresh_from_db()
    assert ticket.resolution_outcome == "breached"


def test_paused_tickets_are_not_checked(p2_policy, requester, agent, service):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    with time_machine.travel(local(2026, 6, 1, 9, 5), tick=False):
        services.change_status(
            ticket,
            status=Status.PENDING,
            question="Which laptop do you use?",
            by=agent,
            version=None,
        )
    assert services.check_sla(now=local(2026, 6, 30, 12, 0)) == 0


def test_sla_standing_for_the_queue(p2_policy, requester, service):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    assert sla_reports.standing(ticket, now=local(2026, 6, 1, 9, 10)).state == "ok"
    assert sla_reports.standing(ticket, now=local(2026, 6, 1, 9, 50)).label == "10m left"
    assert sla_reports.standing(ticket, now=local(2026, 6, 1, 9, 50)).state == "warning"
    assert sla_reports.standing(ticket, now=local(2026, 6, 1, 11, 0)).label == "1h late"


def test_attainment_is_met_over_met_plus_breached(p2_policy, requester, agent, service):
    for minutes in (10, 20, 90):
        ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
        with time_machine.travel(local(2026, 6, 1, 9, 0) + timedelta(minutes=minutes), tick=False):
            services.add_comment(ticket, body="Hello", by=agent)
    overall = sla_reports.attainment(Ticket.objects.all())[0]
    assert (
        overall["response_met"],
        overall["response_breached"],
        overall["response_attainment"],
    ) == (2, 1, 66.7)
    assert overall["resolution_attainment"] is None
    by_team = sla_reports.attainment(Ticket.objects.all(), by="team__name")
    assert by_team[0]["team__name"] == "Service Desk"
    assert list(sla_reports.breaches(Ticket.objects.all())) == [
        Ticket.objects.get(response_outcome="breached")
    ]


# --- Property: the stored clock equals a replay of the history -------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(["pending", "reply", "resolve", "reopen", "priority"]),
        st.integers(1, 60 * 30),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 3, 20), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
    ),
    plan=steps,
)
def test_stored_due_times_equal_a_replay_of_the_history(
    p2_policy, default_policy, requester, agent, service, start, plan
):
    ticket = create(requester, service, at=start)
    moment = start
    for action, gap in plan:
        moment += timedelta(minutes=gap)
        ticket.refresh_from_db()
        with time_machine.travel(moment, tick=False):
            if action == "pending" and ticket.status in (Status.NEW, Status.OPEN):
                services.change_status(
                    ticket,
                    status=Status.PENDING,
                    question="Which laptop do you use?",
                    by=agent,
                    version=None,
                )
            elif action == "reply" and ticket.status == Status.PENDING:
                services.add_comment(ticket, body="here", by=requester)
            elif action == "resolve" and ticket.is_open:
                services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
            elif action == "reopen" and ticket.status == Status.RESOLVED:
                services.reopen_ticket(ticket, reason="again", by=requester)
            elif action == "priority" and ticket.is_open:
                services.update_ticket(
                    ticket,
                    priority=Priority.P4 if ticket.priority == Priority.P2 else Priority.P2,
                    by=agent,
                    version=None,
                )
    ticket.refresh_from_db()
    used, running = sla.replay(ticket)
    assert ticket.sla_elapsed_minutes == pytest.approx(used, abs=1e-6)
    assert ticket.sla_running_since == running
    if ticket.resolution_outcome:  # judged: the due time stays as it was, for the record
        due = ticket.resolution_due_at  # None when it was resolved while paused
        late = ticket.resolution_breached_at is not None or (
            due is not None and ticket.resolved_at is not None and ticket.resolved_at > due
        )
        assert ticket.resolution_outcome == ("breached" if late else "met")
    elif running is None:  # paused
        assert ticket.resolution_due_at is None
    else:
        policy = ticket.sla_policy
        assert policy is not None
        schedule = policy.calendar.schedule()
        left = policy.resolution_minutes - used
        if left > 0:
            assert ticket.resolution_due_at == add_business_minutes(schedule, running, left)
        else:  # a stricter policy came late: due when the history's count passed the target
            assert ticket.resolution_due_at is not None
            assert ticket.resolution_due_at < running
            assert ticket.resolution_due_at == sla.moment_reached(
                ticket, policy.resolution_minutes, now=moment, schedule=schedule
            )


def test_a_ticket_found_past_its_target_gets_the_breach_not_also_a_warning(
    p2_policy, requester, agent, lead, service
):
    ticket = create(requester, service, at=local(2026, 6, 1, 9, 0))
    services.check_sla(now=local(2026, 6, 1, 10, 30))
    kinds = sorted(
        OutboxMessage.objects.filter(ticket=ticket, kind__startswith="sla_").values_list(
            "kind", flat=True
        )
    )
    assert kinds == [NotificationKind.SLA_BREACHED]
    ticket.refresh_from_db()
    assert ticket.response_warned_at is not None  # no warning later either


def test_a_moment_late_does_not_read_as_not_late_at_all():
    from tickets.sla.clock import format_minutes

    assert format_minutes(0.2) == "<1m" and format_minutes(0) == "0m"
    assert format_minutes(90) == "1h 30m"
