"""Reading the SLA: where a ticket stands, attainment and breach lists.

The clock itself is in tickets/sla/; these functions only read what it stored, for
the queues, the ticket page and the managers' dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.db.models import Count, Q, QuerySet

from tickets.calendars import Schedule, business_minutes_between
from tickets.models import SLAOutcome, SLAPolicy, Ticket, TicketEvent
from tickets.sla import format_minutes, schedule_for


@dataclass
class Standing:
    """Where a ticket stands against its nearest target, for the queue and ticket page.

    A late target has `breached_at` (when it was passed: its due time, in business time
    from the clock's start) and `late_minutes`, the business minutes since then.
    """

    state: str  # ok, warning, breached, paused, met, none
    minutes_left: float | None
    label: str
    due_at: datetime | None = None
    breached_at: datetime | None = None
    late_minutes: float | None = None

    @property
    def late_by(self) -> str:
        """ "2h 30m" when late, else ""."""
        return format_minutes(self.late_minutes) if self.late_minutes is not None else ""


@dataclass
class TargetReading:
    """One line of the ticket page's SLA list: first response, resolution or next update.

    state: met, breached (judged late), overdue (open and past due), due, paused.
    """

    name: str
    state: str
    due_at: datetime | None
    breached_at: datetime | None
    late_minutes: float | None = None
    judged_at: datetime | None = None

    @property
    def late_by(self) -> str:
        return format_minutes(self.late_minutes) if self.late_minutes is not None else ""


def standings(tickets: list[Ticket], *, now: datetime) -> None:
    """Attach `sla` (a Standing) to each ticket, computing each calendar's schedule once."""
    schedules: dict[int, Schedule] = {}
    for ticket in tickets:
        policy = ticket.sla_policy
        schedule = None
        if policy is not None:
            if policy.calendar_id not in schedules:
                schedules[policy.calendar_id] = policy.calendar.schedule()
            schedule = schedules[policy.calendar_id]
        ticket.sla = standing(ticket, now=now, schedule=schedule)


def standing(ticket: Ticket, *, now: datetime, schedule: Schedule | None = None) -> Standing:
    if ticket.sla_policy_id is None:
        return Standing("none", None, "No SLA")
    if not ticket.is_open:
        outcome = ticket.resolution_outcome or ticket.response_outcome
        return Standing(
            "breached" if outcome == SLAOutcome.BREACHED else "met",
            None,
            (outcome or "stopped").capitalize(),
        )
    if ticket.sla_running_since is None and ticket.update_owed_since is None:
        return Standing("paused", None, "Paused")
    due = ticket.sla_due_at
    if due is None:
        return Standing("none", None, "No target")
    schedule = schedule or schedule_for(cast(SLAPolicy, ticket.sla_policy))
    if now >= due:
        late = business_minutes_between(schedule, due, now)
        return Standing(
            "breached",
            -late,
            f"{format_minutes(late)} late",
            due_at=due,
            breached_at=due,
            late_minutes=late,
        )
    left = business_minutes_between(schedule, now, due)
    policy = cast(SLAPolicy, ticket.sla_policy)  # sla_policy_id is set
    if due == ticket.update_due_at:
        target = policy.next_update_minutes or 0
    elif not ticket.response_outcome:
        target = policy.first_response_minutes
    else:
        target = policy.resolution_minutes
    warn = left <= target * (100 - policy.warn_at_percent) / 100
    return Standing("warning" if warn else "ok", left, f"{format_minutes(left)} left", due_at=due)


def targets(ticket: Ticket, *, now: datetime) -> list[TargetReading]:
    """Each target of the ticket's policy as the ticket page lists it (not for lists: it
    reads the breach columns a queue row does not load)."""
    policy = ticket.sla_policy
    if policy is None:
        return []
    schedule = schedule_for(policy)
    readings = []
    for which, name, judged_at in (
        ("response", "First response", ticket.first_responded_at),
        ("resolution", "Resolution", ticket.resolved_at),
    ):
        due = getattr(ticket, f"{which}_due_at")
        outcome = getattr(ticket, f"{which}_outcome")
        breached_at = getattr(ticket, f"{which}_breached_at")
        if outcome:
            late = None
            if outcome == SLAOutcome.BREACHED and breached_at and judged_at:
                late = business_minutes_between(schedule, breached_at, judged_at)
            readings.append(TargetReading(name, outcome, due, breached_at, late, judged_at))
        elif due is None:
            readings.append(TargetReading(name, "paused", None, breached_at))
        else:
            readings.append(_open_reading(name, due, breached_at, now=now, schedule=schedule))
    if ticket.update_due_at is not None:
        readings.append(
            _open_reading(
                "Next update",
                ticket.update_due_at,
                ticket.update_breached_at,
                now=now,
                schedule=schedule,
            )
        )
    return readings


def _open_reading(
    name: str, due: datetime, breached_at: datetime | None, *, now: datetime, schedule: Schedule
) -> TargetReading:
    if now < due and breached_at is None:
        return TargetReading(name, "due", due, None)
    passed = breached_at or due
    late = business_minutes_between(schedule, passed, now)
    return TargetReading(name, "overdue", due, passed, late)


def attainment(tickets: QuerySet[Ticket], *, by: str | None = None) -> list[dict[str, object]]:
    """Met / (met + breached) for response, resolution and updates, overall or per `by`.

    `by` is a field to group on: "service__name", "team__name" or "priority"; filter
    `tickets` to the period first (created_at or resolved_at ranges are indexed). A ticket
    is judged once for response and resolution but may owe several updates: those are
    counted from the one event that met or breached each.
    """
    counts = {
        "response_met": Count("pk", filter=Q(response_outcome=SLAOutcome.MET)),
        "response_breached": Count("pk", filter=Q(response_outcome=SLAOutcome.BREACHED)),
        "resolution_met": Count("pk", filter=Q(resolution_outcome=SLAOutcome.MET)),
        "resolution_breached": Count("pk", filter=Q(resolution_outcome=SLAOutcome.BREACHED)),
    }
    rows = (
        [tickets.aggregate(**counts)]
        if by is None
        else list(tickets.values(by).annotate(**counts).order_by(by))
    )
    # Each owed update is met once (at its answer) or breached once (by the beat, or by a
    # late answer the beat had not seen yet).
    judged_updates = TicketEvent.objects.filter(
        ticket__in=tickets.values("pk"),
        kind__in=[TicketEvent.Kind.SLA_MET, TicketEvent.Kind.SLA_BREACHED],
        after__target="update",
    )
    update_counts = {
        "update_met": Count("pk", filter=Q(kind=TicketEvent.Kind.SLA_MET)),
        "update_breached": Count("pk", filter=Q(kind=TicketEvent.Kind.SLA_BREACHED)),
    }
    if by is None:
        updates = {None: judged_updates.aggregate(**update_counts)}
    else:
        grouped = judged_updates.values(f"ticket__{by}").annotate(**update_counts).order_by()
        updates = {row[f"ticket__{by}"]: row for row in grouped}
    for row in rows:
        found = updates.get(None if by is None else row[by], {})
        row["update_met"] = found.get("update_met", 0)
        row["update_breached"] = found.get("update_breached", 0)
        for which in ("response", "resolution", "update"):
            judged = row[f"{which}_met"] + row[f"{which}_breached"]
            row[f"{which}_attainment"] = (
                round(100 * row[f"{which}_met"] / judged, 1) if judged else None
            )
    return rows


def breaches(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets that breached a target (or owe an overdue update), most recent breach first."""
    return tickets.filter(
        Q(response_outcome=SLAOutcome.BREACHED)
        | Q(resolution_outcome=SLAOutcome.BREACHED)
        | Q(response_breached_at__isnull=False)
        | Q(resolution_breached_at__isnull=False)
        | Q(update_breached_at__isnull=False)
    ).order_by("-resolution_breached_at", "-response_breached_at")
