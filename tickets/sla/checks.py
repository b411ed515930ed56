"""What the beat's look at a ticket does to its clock: warnings, breaches, escalation."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from tickets.calendars import business_minutes_between
from tickets.catalogue import Priority
from tickets.models import Ticket, TicketEvent

from .clock import UPDATE_FIELDS, Change, refresh, schedule_for, used_minutes
from .rules import Effect


def on_check(ticket: Ticket, *, now: datetime) -> Effect:
    """Warn at the policy's threshold and record a breach, each once per target.

    A breach is dated when the target was passed, not when the beat noticed it, so a
    late run (or a stricter policy applied late) reads the same as a punctual one. A
    breached resolution raises the priority, when the policy says so.
    """
    policy = ticket.sla_policy
    fields = ["next_sla_check_at", "sla_due_at", "response_due_at", "resolution_due_at"]
    running = ticket.sla_running_since is not None
    owed_since = ticket.update_owed_since
    owed = owed_since is not None
    if policy is None or not (running or owed):
        ticket.next_sla_check_at = None
        return Effect(fields=fields)
    schedule = schedule_for(policy)
    # (target, its business minutes, the minutes counted towards it so far)
    targets = []
    if running:
        used = used_minutes(ticket, now=now, schedule=schedule)
        if not ticket.response_outcome:
            targets.append(("response", policy.first_response_minutes, used))
        if not ticket.resolution_outcome:
            targets.append(("resolution", policy.resolution_minutes, used))
    if owed_since is not None and policy.next_update_minutes:
        # Its own clock: business minutes since the first unanswered message.
        since = business_minutes_between(schedule, owed_since, now)
        targets.append(("update", policy.next_update_minutes, since))
    if owed:
        fields += UPDATE_FIELDS
    events: list[Change] = []
    for which, target, used in targets:
        breached = getattr(ticket, f"{which}_breached_at") is None and used >= target
        due = getattr(ticket, f"{which}_due_at")
        summary = {"target": which, "due": due.isoformat() if due else None}
        warn_at = target * policy.warn_at_percent / 100
        if getattr(ticket, f"{which}_warned_at") is None and used >= warn_at:
            setattr(ticket, f"{which}_warned_at", now)
            fields.append(f"{which}_warned_at")
            if not breached:  # past the target already: the breach message says it all
                events.append(Change(TicketEvent.Kind.SLA_WARNING, summary))
        if breached:
            setattr(ticket, f"{which}_breached_at", min(due, now) if due else now)
            fields.append(f"{which}_breached_at")
            events.append(Change(TicketEvent.Kind.SLA_BREACHED, summary))
            if (
                which == "resolution"
                and policy.escalate_on_breach
                and ticket.priority > Priority.P1
            ):
                events.append(_escalate(ticket))
                fields += ["priority", "priority_source", "version"]
    refresh(ticket, now=now, schedule=schedule)
    return Effect(fields=fields, events=events)


def _escalate(ticket: Ticket) -> Change:
    """Raise the priority one level, so the breach rises in every queue sorted by priority."""
    change = Change(
        TicketEvent.Kind.UPDATED,
        before={"priority": ticket.priority},
        after={"priority": ticket.priority - 1, "reason": "SLA breach"},
    )
    ticket.priority -= 1
    ticket.priority_source = Ticket.PrioritySource.ESCALATED
    # Agents editing this ticket from an older page get a conflict, not a silent overwrite.
    ticket.version = F("version") + 1
    return change
