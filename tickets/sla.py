"""The SLA clock: policy matching, pauses, targets met or breached, warnings.

The clock counts business minutes of the policy's calendar from the ticket's creation.
It pauses while the ticket waits on the requester and stops at resolution; a reopen
resumes it. Minutes used before the current running stretch are kept in
`sla_elapsed_minutes`, so a due time is always "running since + what is left", and a
change of priority or service recomputes both targets from the minutes already used.

A policy may also set a next-update target: once the first response is given, each
message from the requester is owed an answer (a public agent reply, or the resolution)
within that many business minutes, counted from the first unanswered message. It does
not pause: an update is owed precisely because the requester has spoken.

These functions change the ticket in memory and return the events to record; the
services in tickets/services.py save the ticket and write the events in their
transaction. `check_due` is the beat task's service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from accounts.models import NotificationKind

from .calendars import Schedule, add_business_minutes, business_minutes_between
from .models import Priority, SLAOutcome, SLAPolicy, Ticket, TicketEvent
from .notifications import notify

UPDATE_FIELDS = ["update_owed_since", "update_due_at", "update_warned_at", "update_breached_at"]
SLA_FIELDS = [
    "sla_policy", "sla_running_since", "sla_elapsed_minutes", "response_due_at", "resolution_due_at",
    "response_outcome", "resolution_outcome", "response_warned_at", "resolution_warned_at",
    "response_breached_at", "resolution_breached_at", "sla_due_at", "next_sla_check_at",
    *UPDATE_FIELDS,
]  # fmt: skip


@dataclass
class Change:
    """An SLA event to record: kind, and what to show in the history."""

    kind: str
    after: dict[str, object]


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
        _clear_update(ticket)
        return
    schedule = schedule or schedule_for(policy)
    running = ticket.sla_running_since
    response_open = not ticket.response_outcome
    resolution_open = not ticket.resolution_outcome

    def due(target: int) -> datetime | None:
        if running is None:
            return None
        return add_business_minutes(schedule, running, target - ticket.sla_elapsed_minutes)

    ticket.response_due_at = (
        due(policy.first_response_minutes) if response_open else ticket.response_due_at
    )
    ticket.resolution_due_at = (
        due(policy.resolution_minutes) if resolution_open else ticket.resolution_due_at
    )
    upcoming = []
    if running is not None:
        for target, opened, warned, breached in (
            (
                policy.first_response_minutes,
                response_open,
                ticket.response_warned_at,
                ticket.response_breached_at,
            ),
            (
                policy.resolution_minutes,
                resolution_open,
                ticket.resolution_warned_at,
                ticket.resolution_breached_at,
            ),
        ):
            if not opened:
                continue
            if warned is None:
                upcoming.append(due(target * policy.warn_at_percent / 100))
            if breached is None:
                upcoming.append(due(target))
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
        _clear_update(ticket)
    nearest = (
        ticket.response_due_at
        if response_open and running
        else ticket.resolution_due_at
        if running
        else None
    )
    ticket.sla_due_at = min(
        (moment for moment in (nearest, ticket.update_due_at) if moment is not None), default=None
    )
    upcoming = [moment for moment in upcoming if moment is not None]
    ticket.next_sla_check_at = max(min(upcoming), now) if upcoming else None


def _clear_update(ticket: Ticket) -> None:
    ticket.update_owed_since = ticket.update_due_at = None
    ticket.update_warned_at = ticket.update_breached_at = None


def start(ticket: Ticket, *, now: datetime) -> list[Change]:
    """Attach the matching policy and start counting from the ticket's creation."""
    ticket.sla_policy = match_policy(ticket)
    ticket.sla_elapsed_minutes = 0
    ticket.sla_running_since = ticket.created_at if ticket.sla_policy else None
    refresh(ticket, now=now)
    if ticket.sla_policy is None:
        return []
    return [Change(TicketEvent.Kind.SLA_POLICY, _policy_summary(ticket))]


def _policy_summary(ticket: Ticket) -> dict[str, object]:
    policy = ticket.sla_policy
    return {
        "policy": policy.name if policy else None,
        "policy_id": policy.pk if policy else None,
        "response due": ticket.response_due_at.isoformat() if ticket.response_due_at else None,
        "resolution due": ticket.resolution_due_at.isoformat()
        if ticket.resolution_due_at
        else None,
    }


def pause(ticket: Ticket, *, now: datetime) -> list[Change]:
    """The ticket waits on the requester: bank the minutes used and stop counting."""
    if ticket.sla_policy is None or ticket.sla_running_since is None:
        return []
    schedule = schedule_for(ticket.sla_policy)
    ticket.sla_elapsed_minutes = used_minutes(ticket, now=now, schedule=schedule)
    ticket.sla_running_since = None
    refresh(ticket, now=now, schedule=schedule)
    return [
        Change(TicketEvent.Kind.SLA_PAUSED, {"used minutes": round(ticket.sla_elapsed_minutes)})
    ]


def resume(ticket: Ticket, *, now: datetime) -> list[Change]:
    """Count again from now: the requester answered, or the ticket was reopened."""
    if ticket.sla_policy is None or ticket.sla_running_since is not None:
        return []
    ticket.sla_running_since = now
    # A reopened ticket is judged again at its next resolution; a breach stays recorded
    # in resolution_breached_at and makes that judgement a breach again.
    ticket.resolution_outcome = ""
    refresh(ticket, now=now)
    return [Change(TicketEvent.Kind.SLA_RESUMED, _policy_summary(ticket))]


def _judge(ticket: Ticket, which: str, *, now: datetime) -> Change:
    due = getattr(ticket, f"{which}_due_at")
    breached = getattr(ticket, f"{which}_breached_at") is not None or (
        due is not None and now > due
    )
    outcome = SLAOutcome.BREACHED if breached else SLAOutcome.MET
    setattr(ticket, f"{which}_outcome", outcome)
    kind = TicketEvent.Kind.SLA_BREACHED if breached else TicketEvent.Kind.SLA_MET
    return Change(kind, {"target": which, "due": due.isoformat() if due else None})


def record_response(ticket: Ticket, *, now: datetime) -> list[Change]:
    """The first public reply: the response target is met or was breached."""
    if ticket.sla_policy is None or ticket.response_outcome:
        return []
    change = _judge(ticket, "response", now=now)
    refresh(ticket, now=now)
    return [change]


def owe_update(ticket: Ticket, *, now: datetime) -> list[Change]:
    """The requester wrote after the first response: an answer is owed, if the policy says so.

    A message while an answer is already owed changes nothing: the first unanswered one counts.
    """
    policy = ticket.sla_policy
    if (
        policy is None
        or not policy.next_update_minutes
        or not ticket.response_outcome
        or ticket.update_owed_since is not None
        or not ticket.is_open
    ):
        return []
    ticket.update_owed_since = now
    refresh(ticket, now=now)
    return [Change(TicketEvent.Kind.SLA_UPDATE_OWED, {"due": ticket.update_due_at.isoformat()})]


def record_update(ticket: Ticket, *, now: datetime) -> list[Change]:
    """A public agent reply (or the resolution) answers what was owed: met or breached."""
    if ticket.update_owed_since is None:
        return []
    due = ticket.update_due_at
    breached = ticket.update_breached_at is not None or (due is not None and now > due)
    kind = TicketEvent.Kind.SLA_BREACHED if breached else TicketEvent.Kind.SLA_MET
    _clear_update(ticket)
    refresh(ticket, now=now)
    # "answered" tells this judgement from the beat's breach notice, for attainment.
    judged = {
        "target": "update",
        "due": due.isoformat() if due else None,
        "answered": now.isoformat(),
    }
    return [Change(kind, judged)]


def stop(ticket: Ticket, *, now: datetime, resolved: bool) -> list[Change]:
    """Resolution (judged) or cancellation (not judged): the clock stops."""
    if ticket.sla_policy is None:
        return []
    changes = []
    if resolved and not ticket.response_outcome:
        changes += record_response(ticket, now=now)  # the resolution answers the requester
    if resolved:
        changes += record_update(ticket, now=now)  # and whatever they asked since
        changes.append(_judge(ticket, "resolution", now=now))
    else:
        _clear_update(ticket)  # cancelled: nothing is owed any more
    if ticket.sla_running_since is not None:
        ticket.sla_elapsed_minutes = used_minutes(
            ticket, now=now, schedule=schedule_for(ticket.sla_policy)
        )
        ticket.sla_running_since = None
    refresh(ticket, now=now)
    return changes


def rematch(ticket: Ticket, *, now: datetime) -> list[Change]:
    """Priority or service changed: apply the policy that now matches to the minutes used."""
    policy = match_policy(ticket)
    if policy == ticket.sla_policy:
        return []
    if ticket.sla_policy is not None and ticket.sla_running_since is not None:
        ticket.sla_elapsed_minutes = used_minutes(
            ticket, now=now, schedule=schedule_for(ticket.sla_policy)
        )
        ticket.sla_running_since = now
    ticket.sla_policy = policy
    if (
        policy is not None
        and ticket.sla_running_since is None
        and ticket.is_open
        and ticket.status != Ticket.Status.PENDING
    ):
        ticket.sla_running_since = now
    refresh(ticket, now=now)
    return [Change(TicketEvent.Kind.SLA_POLICY, _policy_summary(ticket))]


def check_due(*, now: datetime, limit: int = 500, notify_people: bool = True) -> int:
    """Send warnings and breaches that have come due, each exactly once.

    Reads only tickets whose `next_sla_check_at` has passed (an indexed column), locks
    each with SKIP LOCKED so overlapping runs never handle the same ticket, and marks
    what it sent on the ticket in the same transaction as the outbox rows.
    """
    due_ids = list(
        Ticket.objects.filter(next_sla_check_at__lte=now)
        .order_by("next_sla_check_at")
        .values_list("pk", flat=True)[:limit]
    )
    handled = 0
    for ticket_id in due_ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("sla_policy__calendar", "team__lead", "assignee")
                .filter(pk=ticket_id, next_sla_check_at__lte=now)
                .first()
            )
            if ticket is not None:
                _check_ticket(ticket, now=now, notify_people=notify_people)
                handled += 1
    return handled


def _check_ticket(ticket: Ticket, *, now: datetime, notify_people: bool = True) -> None:
    policy = ticket.sla_policy
    fields = ["next_sla_check_at", "sla_due_at", "response_due_at", "resolution_due_at"]
    running = ticket.sla_running_since is not None
    owed = ticket.update_owed_since is not None
    if policy is not None and (running or owed):
        schedule = schedule_for(policy)
        # (target, its business minutes, the minutes counted towards it so far)
        targets = []
        if running:
            used = used_minutes(ticket, now=now, schedule=schedule)
            if not ticket.response_outcome:
                targets.append(("response", policy.first_response_minutes, used))
            if not ticket.resolution_outcome:
                targets.append(("resolution", policy.resolution_minutes, used))
        if owed and policy.next_update_minutes:
            # Its own clock: business minutes since the first unanswered message.
            since = business_minutes_between(schedule, ticket.update_owed_since, now)
            targets.append(("update", policy.next_update_minutes, since))
        if owed:
            fields += UPDATE_FIELDS
        for which, target, used in targets:
            breached = getattr(ticket, f"{which}_breached_at") is None and used >= target
            warn_at = target * policy.warn_at_percent / 100
            if getattr(ticket, f"{which}_warned_at") is None and used >= warn_at:
                setattr(ticket, f"{which}_warned_at", now)
                fields.append(f"{which}_warned_at")
                if not breached:  # past the target already: the breach message says it all
                    _event_and_notify(
                        ticket,
                        TicketEvent.Kind.SLA_WARNING,
                        which,
                        now=now,
                        notify_people=notify_people,
                    )
            if breached:
                setattr(ticket, f"{which}_breached_at", now)
                fields.append(f"{which}_breached_at")
                _event_and_notify(
                    ticket,
                    TicketEvent.Kind.SLA_BREACHED,
                    which,
                    now=now,
                    notify_people=notify_people,
                )
                if (
                    which == "resolution"
                    and policy.escalate_on_breach
                    and ticket.priority > Priority.P1
                ):
                    _escalate(ticket, now=now)
                    fields += ["priority", "version"]
        refresh(ticket, now=now, schedule=schedule)
    else:
        ticket.next_sla_check_at = None
    ticket.save(update_fields=fields)


def _escalate(ticket: Ticket, *, now: datetime) -> None:
    """Raise the priority one level, so the breach rises in every queue sorted by priority."""
    TicketEvent.objects.create(
        ticket=ticket, actor=None, kind=TicketEvent.Kind.UPDATED, created_at=now,
        before={"priority": ticket.priority}, after={"priority": ticket.priority - 1, "reason": "SLA breach"},
    )  # fmt: skip
    ticket.priority -= 1
    # Agents editing this ticket from an older page get a conflict, not a silent overwrite.
    ticket.version = F("version") + 1


def _event_and_notify(
    ticket: Ticket, kind: str, which: str, *, now: datetime, notify_people: bool
) -> None:
    due = getattr(ticket, f"{which}_due_at")
    event = TicketEvent.objects.create(
        ticket=ticket, actor=None, kind=kind, created_at=now,
        after={"target": which, "due": due.isoformat() if due else None},
    )  # fmt: skip
    if not notify_people:
        return
    if kind == TicketEvent.Kind.SLA_WARNING:
        people = (
            [ticket.assignee]
            if ticket.assignee
            else list(ticket.team.members.filter(is_active=True))
        )
        notify(people, kind=NotificationKind.SLA_WARNING, event=event)
    else:
        lead = ticket.team.lead
        notify([lead] if lead else [], kind=NotificationKind.SLA_BREACHED, event=event)


def record(ticket: Ticket, changes: list[Change], *, by: object, now: datetime) -> None:
    """Write the SLA events the clock produced (called by the services)."""
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(ticket=ticket, actor=by, kind=c.kind, after=c.after, created_at=now)
            for c in changes
        ]
    )


def replay(ticket: Ticket) -> tuple[float, datetime | None]:
    """Recompute the clock's state (minutes used, running since) from the event history.

    The stored columns are a cache of this; tests check the two always agree.
    """
    events = ticket.events.filter(kind__startswith="sla_").order_by("created_at", "pk")
    if ticket.sla_policy is None:
        return 0.0, None
    policies = {p.pk: p for p in SLAPolicy.objects.select_related("calendar")}
    schedule = None
    used, running = 0.0, None
    for event in events:
        if event.kind == TicketEvent.Kind.SLA_POLICY:
            # A new policy counts from here on, in its own calendar, on top of what was used.
            if schedule is None:
                running = event.created_at
            elif running is not None:
                used += business_minutes_between(schedule, running, event.created_at)
                running = event.created_at
            schedule = schedule_for(policies[event.after["policy_id"]])
        elif event.kind == TicketEvent.Kind.SLA_PAUSED and running is not None:
            used += business_minutes_between(schedule, running, event.created_at)
            running = None
        elif event.kind == TicketEvent.Kind.SLA_RESUMED and running is None:
            running = event.created_at
        elif (
            event.kind in (TicketEvent.Kind.SLA_MET, TicketEvent.Kind.SLA_BREACHED)
            and event.after.get("target") == "resolution"
        ):
            if running is not None:
                used += business_minutes_between(schedule, running, event.created_at)
            running = None
    return used, running
