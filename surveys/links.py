"""The answer links in survey emails: signed, scoped to one invitation and instrument, expiring.

A link is `/portal/surveys/<invitation id>/<token>/?score=N`. The token signs the
invitation id, the instrument and the invitation's nonce with the survey salt, so a token
cannot be forged, read for another purpose (another salt), moved to another invitation
(the id in the path must match), or kept working once the invitation gets a new nonce.
The score stays outside the token: each button of the email is the same link with its score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from tickets.models import Ticket

from .models import Invitation

SALT = "surveys.answer-link"
# Past the longest expiry a rule allows the signature itself refuses the token, whatever the
# database says, so an old email never reaches an invitation row at all.
MAX_AGE = timedelta(days=120)


class LinkRefused(Exception):
    """A link that cannot record an answer, and the page that says why."""

    INVALID = "invalid"
    EXPIRED = "expired"
    ANSWERED = "answered"
    CANCELLED = "cancelled"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_for(invitation: Invitation, instrument: str) -> str:
    return signing.dumps(
        {"i": invitation.pk, "s": instrument, "n": invitation.nonce}, salt=SALT, compress=True
    )


def answer_url(invitation: Invitation, *, score: int | None = None) -> str:
    """The absolute link of the email's button for `score` (or of the page without a score)."""
    token = token_for(invitation, invitation.instrument)
    url = settings.SITE_URL + reverse("portal:survey-answer", args=[invitation.pk, token])
    return url if score is None else f"{url}?score={score}"


@dataclass(frozen=True)
class Link:
    invitation: Invitation
    instrument: str


def read_token(token: str, *, invitation_id: int) -> tuple[str, str]:
    """The instrument and nonce a token signs for this invitation, or LinkRefused.

    Checked before any query: a forged or foreign token costs no database read.
    """
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired as error:
        raise LinkRefused(LinkRefused.EXPIRED) from error
    except signing.BadSignature as error:
        raise LinkRefused(LinkRefused.INVALID) from error
    if (
        not isinstance(data, dict)
        or data.get("i") != invitation_id
        or not isinstance(data.get("s"), str)
        or not isinstance(data.get("n"), str)
    ):
        raise LinkRefused(LinkRefused.INVALID)
    return data["s"], data["n"]


def open_link(invitation_id: int, token: str) -> Link:
    """The invitation a link stands for, whatever its state; a bad link is LinkRefused(INVALID).

    This is the anonymous road to an invitation: the signed token is the permission, as
    `visible_to(user)` is for signed-in people.
    """
    instrument, nonce = read_token(token, invitation_id=invitation_id)
    invitation = (
        Invitation.objects.select_related("ticket")
        .only(*INVITATION_FIELDS)
        .filter(pk=invitation_id)
        .first()
    )
    if (
        invitation is None
        or invitation.status == Invitation.Status.SKIPPED
        or instrument != invitation.instrument
        or not invitation.nonce
        or nonce != invitation.nonce
    ):
        raise LinkRefused(LinkRefused.INVALID)
    return Link(invitation=invitation, instrument=instrument)


def refusal_for(invitation: Invitation, *, now: datetime, change_window: timedelta) -> str | None:
    """Why this invitation can no longer take (or change) an answer at `now`, or None."""
    status = invitation.status
    if status == Invitation.Status.ANSWERED:
        answered_at = invitation.answered_at
        if answered_at is None or now >= answered_at + change_window:
            return LinkRefused.ANSWERED
        return None
    if status == Invitation.Status.CANCELLED or not still_resolved(invitation):
        return LinkRefused.CANCELLED
    if status == Invitation.Status.EXPIRED or (
        invitation.expires_at is not None and now >= invitation.expires_at
    ):
        return LinkRefused.EXPIRED
    return None


def still_resolved(invitation: Invitation) -> bool:
    """Whether the ticket still has the resolution the invitation asks about (not reopened)."""
    ticket = invitation.ticket
    if ticket is None:
        return True
    return (
        ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        and ticket.resolved_at == invitation.resolved_at
    )


# What the answer page and the answering service read of an invitation and its ticket.
INVITATION_FIELDS = (
    "instrument",
    "asks_ces",
    "status",
    "nonce",
    "person_id",
    "resolved_at",
    "expires_at",
    "answered_at",
    "ticket__subject",
    "ticket__category",
    "ticket__status",
    "ticket__resolved_at",
)
