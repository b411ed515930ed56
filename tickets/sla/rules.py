"""What each change to a ticket does to its SLA clock.

The services call one of the `on_*` functions after changing the ticket in memory, save
the fields it returns and record its events with `record_event`, in their transaction.
The smaller steps below them are public for the demo loader, which replays a seeded life.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from tickets.models import Comment, SLAOutcome, Ticket, TicketEvent

from .clock import (
    SLA_FIELDS,
    Change,
    clear_update,
    match_policy,
    policy_summary,
    refresh,
    schedule_for,
    used_minutes,
)

Status = Ticket.Status


@dataclass
class Effect:
    """What a change did to the clock: the ticket fields to save and the events to record."""

    fields: list[str] = field(default_factory=list)
    events: list[Change] = field(default_factory=list)

    @classmethod
    def of(cls, ticket: Ticket, events: list[Change]) -> Effect:
        # The clock's columns move together: a change that touched one saves them all.
        return cls(fields=list(SLA_FIELDS) if ticket.sla_policy_id or events else [], events=events)


def on_create(ticket: Ticket, *, now: datetime) -> Effect:
    """A new ticket: the matching policy applies and the clock counts from its creation."""
    return Effect.of(ticket, start(ticket, now=now))


def on_reply(ticket: Ticket, comment: Comment, *, from_staff: bool, now: datetime) -> Effect:
    """A message on the ticket. Notes change nothing; a public reply from staff is the first
    response or answers what the requester asked; a requester's message is owed an answer."""
    if comment.is_internal:
        return Effect()
    if not from_staff:
        events = owe_update(ticket, now=now)
        return Effect.of(ticket, events) if events else Effect()
    fields = []
    events = []
    # A judgement may record no event (the beat recorded the breach) yet still set the outcome.
    judged = ticket.sla_policy_id is not None and (
        ticket.first_responded_at is None or ticket.update_owed_since is not None
    )
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        fields.append("first_responded_at")
        events += record_response(ticket, now=now)
    events += record_update(ticket, now=now)
    if judged:
        fields += SLA_FIELDS
    return Effect(fields=fields, events=events)


def on_status_change(ticket: Ticket, before: str, after: str, *, now: datetime) -> Effect:
    """Waiting on the requester pauses; resolution stops and judges; cancellation stops
    without judgement; back in progress from waiting or resolved resumes."""
    if after == Status.PENDING:
        events = pause(ticket, now=now)
    elif after == Status.RESOLVED:
        events = stop(ticket, now=now, resolved=True)
    elif after == Status.CANCELLED:
        events = stop(ticket, now=now, resolved=False)
    elif after == Status.OPEN and before in (Status.PENDING, Status.RESOLVED):
        events = resume(ticket, now=now)
    else:
        return Effect()
    return Effect.of(ticket, events)


def on_reclassify(ticket: Ticket, *, now: datetime) -> Effect:
    """Priority or service changed: the policy that now matches applies to the minutes used."""
    return Effect.of(ticket, rematch(ticket, now=now))


def start(ticket: Ticket, *, now: datetime) -> list[Change]:
    """Attach the matching policy and start counting from the ticket's creation."""
    ticket.sla_policy = match_policy(ticket)
    ticket.sla_elapsed_minutes = 0
    ticket.sla_running_since = ticket.created_at if ticket.sla_policy else None
    refresh(ticket, now=now)
    if ticket.sla_policy is None:
        return []
    return [Change(TicketEvent.Kind.SLA_POLICY, policy_summary(ticket))]


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
    return [Change(TicketEvent.Kind.SLA_RESUMED, policy_summary(ticket))]


def _judge(ticket: Ticket, which: str, *, now: datetime) -> list[Change]:
    """Met or breached. A breach the beat already recorded is not recorded again; one the
    beat has not seen yet is recorded here, at the moment the target was passed."""
    due = getattr(ticket, f"{which}_due_at")
    breached_at = getattr(ticket, f"{which}_breached_at")
    if breached_at is not None:
        setattr(ticket, f"{which}_outcome", SLAOutcome.BREACHED)
        return []
    if due is not None and now > due:
        setattr(ticket, f"{which}_outcome", SLAOutcome.BREACHED)
        setattr(ticket, f"{which}_breached_at", due)
        return [Change(TicketEvent.Kind.SLA_BREACHED, {"target": which, "due": due.isoformat()})]
    setattr(ticket, f"{which}_outcome", SLAOutcome.MET)
    judged: dict[str, object] = {"target": which}
    if due is not None:
        judged["due"] = due.isoformat()
    return [Change(TicketEvent.Kind.SLA_MET, judged)]


def record_response(ticket: Ticket, *, now: datetime) -> list[Change]:
    """The first public reply: the response target is met or was breached."""
    if ticket.sla_policy is None or ticket.response_outcome:
        return []
    changes = _judge(ticket, "response", now=now)
    refresh(ticket, now=now)
    return changes


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
    due = cast(datetime, ticket.update_due_at)  # set by refresh: an update is owed
    return [Change(TicketEvent.Kind.SLA_UPDATE_OWED, {"due": due.isoformat()})]


def record_update(ticket: Ticket, *, now: datetime) -> list[Change]:
    """A public agent reply (or the resolution) answers what was owed: met or breached."""
    if ticket.update_owed_since is None:
        return []
    due = ticket.update_due_at
    changes: list[Change] = []
    # "answered" says when the answer came; a breach the beat recorded stays the only one.
    answered: dict[str, object] = {
        "target": "update",
        "due": due.isoformat() if due else None,
        "answered": now.isoformat(),
    }
    if ticket.update_breached_at is None:
        late = due is not None and now > due
        kind = TicketEvent.Kind.SLA_BREACHED if late else TicketEvent.Kind.SLA_MET
        changes.append(Change(kind, answered))
    clear_update(ticket)
    refresh(ticket, now=now)
    return changes


def stop(ticket: Ticket, *, now: datetime, resolved: bool) -> list[Change]:
    """Resolution (judged) or cancellation (not judged): the clock stops."""
    if ticket.sla_policy is None:
        return []
    changes = []
    if resolved and not ticket.response_outcome:
        changes += record_response(ticket, now=now)  # the resolution answers the requester
    if resolved:
        changes += record_update(ticket, now=now)  # and whatever they asked since
        changes += _judge(ticket, "resolution", now=now)
    else:
        clear_update(ticket)  # cancelled: nothing is owed any more
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
        and ticket.status != Status.PENDING
    ):
        ticket.sla_running_since = now
    refresh(ticket, now=now)
    return [Change(TicketEvent.Kind.SLA_POLICY, policy_summary(ticket))]
