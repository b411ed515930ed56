"""The SLA clock: policy matching, pauses, targets met or breached, warnings.

The clock counts business minutes of the policy's calendar from the ticket's creation.
It pauses while the ticket waits on the requester and stops at resolution; a reopen
resumes it. A change of priority or service applies the policy that now matches to the
minutes already used.

A policy may also set a next-update target: once the first response is given, each
message from the requester is owed an answer (a public agent reply, or the resolution)
within that many business minutes, counted from the first unanswered message. It does
not pause: an update is owed precisely because the requester has spoken.

Each target is warned once and its breach recorded once, by whichever sees it first:
the beat (`on_check`) or the reply or resolution that judges it.

- `rules`: what each change does (`on_create`, `on_reply`, `on_status_change`,
  `on_reclassify`), as an `Effect`: the fields to save and the events to record.
- `checks`: what the beat's look at a ticket does (`on_check`).
- `clock`: the arithmetic under both, and the replay of a ticket's history.

Nothing here writes to the database: the services in tickets/services/ save the ticket
and record the events, in their transaction.
"""

from .checks import on_check
from .clock import (
    SLA_FIELDS,
    UPDATE_FIELDS,
    Change,
    format_minutes,
    match_policy,
    moment_reached,
    replay,
    schedule_for,
)
from .rules import (
    Effect,
    on_create,
    on_reclassify,
    on_reply,
    on_status_change,
    owe_update,
    pause,
    record_response,
    start,
    stop,
)

__all__ = [
    "SLA_FIELDS",
    "UPDATE_FIELDS",
    "Change",
    "Effect",
    "format_minutes",
    "match_policy",
    "moment_reached",
    "on_check",
    "on_create",
    "on_reclassify",
    "on_reply",
    "on_status_change",
    "owe_update",
    "pause",
    "record_response",
    "replay",
    "schedule_for",
    "start",
    "stop",
]
