"""Every change to a ticket happens here, in a transaction, with its audit event.

Split by sub-domain; import from `tickets.services`, as views and tasks do.
"""

from tickets.limits import SubmissionLimitReached

from .assignment import assign_ticket, take_ticket
from .conversation import add_comment
from .editing import ConflictError
from .intake import create_ticket
from .lifecycle import (
    AGENT_TRANSITIONS,
    cancel_ticket,
    change_status,
    close_resolved_tickets,
    confirm_resolution,
    reopen_ticket,
)
from .sla_checks import check_sla
from .triage import update_ticket

__all__ = [
    "AGENT_TRANSITIONS",
    "ConflictError",
    "SubmissionLimitReached",
    "add_comment",
    "assign_ticket",
    "cancel_ticket",
    "check_sla",
    "change_status",
    "close_resolved_tickets",
    "confirm_resolution",
    "create_ticket",
    "reopen_ticket",
    "take_ticket",
    "update_ticket",
]
