"""The surveys services (one module per sub-domain), re-exported for callers."""

from surveys.followups import open_follow_up_if_low

from .answering import check_score, record_answer
from .invitations import (
    cancel_reopened,
    invite_due,
    invite_relationship_due,
    keep_invitations_current,
    remind_due,
)

__all__ = [
    "cancel_reopened",
    "check_score",
    "invite_due",
    "invite_relationship_due",
    "keep_invitations_current",
    "open_follow_up_if_low",
    "record_answer",
    "remind_due",
]
