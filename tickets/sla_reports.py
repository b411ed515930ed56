"""Reading the SLA: where a ticket stands, attainment and breach lists.

The clock itself is in tickets/sla.py; these functions only read what it stored, for
the queues, the ticket page and the managers' dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from tickets.calendars import Schedule, business_minutes_between
from tickets.models import SLAOutcome, Ticket, TicketEvent
from tickets.sla import schedule_for


@dataclass
class Standing:
    """Where a ticket stands against its nearest target, for the queue and ticket page."""

    state: str  # ok, warning, breached, paused, met, none
    minutes_left: float | None
    label: str


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
    schedule = schedule or schedule_for(ticket.sla_policy)
    if now >= due:
        late = business_minutes_between(schedule, due, now)
        return Standing("breached", -late, f"{format_minutes(late)} late")
    left = business_minutes_between(schedule, now, due)
    policy = ticket.sla_policy
    if due == ticket.update_due_at:
        target = policy.next_update_minutes or 0
    elif not ticket.response_outcome:
        target = policy.first_response_minutes
    else:
        target = policy.resolution_minutes
    warn = left <= target * (100 - policy.warn_at_percent) / 100
    return Standing("warning" if warn else "ok", left, f"{format_minutes(left)} left")


def format_minutes(minutes: float) -> str:
    minutes = int(round(minutes))
    if minutes < 60:
        return f"{minutes}m"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {rest:02d}m" if rest else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def attainment(tickets: QuerySet[Ticket], *, by: str | None = None) -> list[dict[str, object]]:
    """Met / (met + breached) for response, resolution and updates, overall or per `by`.

    `by` is a field to group on: "service__name", "team__name" or "priority"; filter
    `tickets` to the period first (created_at or resolved_at ranges are indexed). A ticket
    is judged once for response and resolution but may owe several updates: those are
    counted from the events that judged each.
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
    judged_updates = TicketEvent.objects.filter(
        ticket__in=tickets.values("pk"),
        kind__in=[TicketEvent.Kind.SLA_MET, TicketEvent.Kind.SLA_BREACHED],
        after__target="update",
        after__has_key="answered",
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
        Q(response_outcome=SLAOutcome.BREACHED) | Q(resolution_outcome=SLAOutcome.BREACHED)
        | Q(response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
        | Q(update_breached_at__isnull=False)
    ).order_by("-resolution_breached_at", "-response_breached_at")  # fmt: skip
