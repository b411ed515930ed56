"""The clock's arithmetic: the policy that matches, minutes used, due times, the history.

Minutes used before the current running stretch are kept in `sla_elapsed_minutes`, so a
due time is "running since + what is left". A target the clock has already passed (a
stricter policy applied late, or a pause the beat did not see) is due at the moment the
count passed it, found from the clock's history: never at the moment of the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from django.db.models import Q

from tickets.calendars import Schedule, add_business_minutes, business_minutes_between
from tickets.models import SLAPolicy, Ticket, TicketEvent

UPDATE_FIELDS = ["update_owed_since", "update_due_at", "update_warned_at", "update_breached_at"]
SLA_FIELDS = [
    "sla_policy",
    "sla_running_since",
    "sla_elapsed_minutes",
    "response_due_at",
    "resolution_due_at",
    "response_outcome",
    "resolution_outcome",
    "response_warned_at",
    "resolution_warned_at",
    "response_breached_at",
    "resolution_breached_at",
    "sla_due_at",
    "next_sla_check_at",
    *UPDATE_FIELDS,
]
# Statuses at which the clock stops for good (until a reopen resumes it).
STOPPED_AT = (Ticket.Status.RESOLVED, Ticket.Status.CANCELLED)


@dataclass
class Change:
    """An event for the audit trail: its kind, and what the history shows of it."""

    kind: str
    after: dict[str, object]
    before: dict[str, object] = field(default_factory=dict)


def schedule_for(policy: SLAPolicy) -> Schedule:
    return policy.calendar.schedule()


def match_policy(ticket: Ticket) -> SLAPolicy | None:
    """The most specific active policy for the ticket's priority, service and department."""
    department_id = ticket.requester.department_id if ticket.requester_id else None
    candidates = (
        SLAPolicy.objects.filter(is_active=True)
        .filter(Q(priority=ticket.priority) | Q(priority__isnull=True))
        .filter(Q(service_id=ticket.service_id) | Q(service__isnull=True))
        .filter(Q(department_id=department_id) | Q(department__isnull=True))
        .select_related("calendar")
    )
    # Most specific first; between equals, a named policy before the default one.
    pool = list(candidates)
    if not pool:
        pool = list(
            SLAPolicy.objects.filter(is_default=True, is_active=True).select_related("calendar")
        )
    return max(pool, key=lambda p: (p.specificity, not p.is_default, -p.pk), default=None)


def used_minutes(ticket: Ticket, *, now: datetime, schedule: Schedule) -> float:
    """Business minutes the clock has counted so far."""
    running = 0.0
    if ticket.sla_running_since is not None:
        running = business_minutes_between(schedule, ticket.sla_running_since, now)
    return ticket.sla_elapsed_minutes + running


def refresh(ticket: Ticket, *, now: datetime, schedule: Schedule | None = None) -> None:
    """Recompute due times, the nearest target and the next check from the clock's state."""
    policy = ticket.sla_policy
    if policy is None:
        ticket.response_due_at = ticket.resolution_due_at = None
        ticket.sla_due_at = ticket.next_sla_check_at = None
        clear_update(ticket)
        return
    schedule = schedule or schedule_for(policy)
    running = ticket.sla_running_since
    upcoming: list[datetime] = []
    for which, target in (
        ("response", policy.first_response_minutes),
        ("resolution", policy.resolution_minutes),
    ):
        if getattr(ticket, f"{which}_outcome"):
            continue  # judged: the due time stays as it was, for the record
        if running is None:
            setattr(ticket, f"{which}_due_at", None)
            continue
        due = _due(ticket, which, target, now=now, schedule=schedule)
        setattr(ticket, f"{which}_due_at", due)
        if getattr(ticket, f"{which}_warned_at") is None:
            warn = target * policy.warn_at_percent / 100
            left = warn - ticket.sla_elapsed_minutes
            upcoming.append(add_business_minutes(schedule, running, left) if left > 0 else now)
        if getattr(ticket, f"{which}_breached_at") is None:
            upcoming.append(due)
    owed_since = ticket.update_owed_since
    if owed_since is not None and policy.next_update_minutes:
        target = policy.next_update_minutes
        ticket.update_due_at = add_business_minutes(schedule, owed_since, target)
        if ticket.update_warned_at is None:
            warn = target * policy.warn_at_percent / 100
            upcoming.append(add_business_minutes(schedule, owed_since, warn))
        if ticket.update_breached_at is None:
            upcoming.append(ticket.update_due_at)
    else:
        clear_update(ticket)
    nearest = None
    if running is not None:
        nearest = ticket.resolution_due_at if ticket.response_outcome else ticket.response_due_at
    ticket.sla_due_at = min(
        (moment for moment in (nearest, ticket.update_due_at) if moment is not None), default=None
    )
    ticket.next_sla_check_at = max(min(upcoming), now) if upcoming else None


def _due(ticket: Ticket, which: str, target: int, *, now: datetime, schedule: Schedule) -> datetime:
    """When a running target is due: ahead of the clock, or when the clock passed it."""
    left = target - ticket.sla_elapsed_minutes
    if left > 0:
        running = cast(datetime, ticket.sla_running_since)  # only asked while the clock runs
        return add_business_minutes(schedule, running, left)
    breached_at = getattr(ticket, f"{which}_breached_at")
    if breached_at is not None:
        return breached_at
    return moment_reached(ticket, target, now=now, schedule=schedule)


def clear_update(ticket: Ticket) -> None:
    ticket.update_owed_since = ticket.update_due_at = None
    ticket.update_warned_at = ticket.update_breached_at = None


def stretches(ticket: Ticket) -> Iterator[tuple[datetime, datetime | None, Schedule]]:
    """The stretches the clock ran, from its event history, each with the calendar it used.

    The stretch still running, if any, comes last with no end. The events of a change being
    made are not written yet, so this is the clock as that change found it.
    """
    events = ticket.events.filter(
        Q(kind__startswith="sla_") | Q(kind=TicketEvent.Kind.STATUS_CHANGED)
    ).order_by("created_at", "pk")
    policies = {p.pk: p for p in SLAPolicy.objects.select_related("calendar")}
    schedule: Schedule | None = None
    running: datetime | None = None
    for event in events:
        kind, at = event.kind, event.created_at
        if kind == TicketEvent.Kind.SLA_POLICY:
            # A new policy counts from here on, in its own calendar, on top of what was used.
            if schedule is not None and running is not None:
                yield running, at, schedule
                running = at
            elif schedule is None:
                running = at
            schedule = schedule_for(policies[event.after["policy_id"]])
        elif kind == TicketEvent.Kind.SLA_PAUSED and running is not None and schedule:
            yield running, at, schedule
            running = None
        elif kind == TicketEvent.Kind.SLA_RESUMED and running is None:
            running = at
        elif (
            kind == TicketEvent.Kind.STATUS_CHANGED
            and event.after.get("status") in STOPPED_AT
            and running is not None
            and schedule
        ):
            yield running, at, schedule
            running = None
    if running is not None and schedule is not None:
        yield running, None, schedule


def replay(ticket: Ticket) -> tuple[float, datetime | None]:
    """The clock's state (minutes used, running since) recomputed from the event history.

    The stored columns are a cache of this; tests check the two always agree.
    """
    if ticket.sla_policy is None:
        return 0.0, None
    used, running = 0.0, None
    for start, end, schedule in stretches(ticket):
        if end is None:
            running = start
        else:
            used += business_minutes_between(schedule, start, end)
    return used, running


def moment_reached(
    ticket: Ticket, minutes: float, *, now: datetime, schedule: Schedule
) -> datetime:
    """The moment the clock's count reached `minutes`, which it has already passed.

    Without a history to read (a ticket loaded in bulk), it is the ticket's start plus
    those minutes in business time.
    """
    counted = 0.0
    for start, end, stretch_schedule in stretches(ticket):
        span = business_minutes_between(stretch_schedule, start, end or now)
        if counted + span >= minutes:
            return add_business_minutes(stretch_schedule, start, minutes - counted)
        counted += span
    return min(add_business_minutes(schedule, ticket.created_at, minutes), now)


def policy_summary(ticket: Ticket) -> dict[str, object]:
    """What a history line shows when a policy applies or the clock resumes: each target's due
    time, or why it has none (judged, or the clock is paused)."""
    policy = ticket.sla_policy
    summary: dict[str, object] = {
        "policy": policy.name if policy else None,
        "policy_id": policy.pk if policy else None,
    }
    if policy is None:
        return summary
    for which, target in (
        ("response", policy.first_response_minutes),
        ("resolution", policy.resolution_minutes),
    ):
        outcome = getattr(ticket, f"{which}_outcome")
        due = getattr(ticket, f"{which}_due_at")
        if outcome:
            summary[which] = outcome
        elif due is not None:
            summary[f"{which} due"] = due.isoformat()
        else:
            left = target - ticket.sla_elapsed_minutes
            summary[which] = (
                f"paused, {format_minutes(left)} left" if left > 0 else "paused, target passed"
            )
    return summary


def format_minutes(minutes: float) -> str:
    if 0 < minutes < 0.5:  # "0m late" reads as not late at all
        return "<1m"
    minutes = int(round(minutes))
    if minutes < 60:
        return f"{minutes}m"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {rest:02d}m" if rest else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"
