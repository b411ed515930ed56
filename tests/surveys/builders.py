"""Survey rows for the closing-the-loop, scores and page tests: invitations as the invitation
beat writes them, and answers recorded through the answering service (its real hook)."""

from __future__ import annotations

from datetime import datetime, timedelta

from surveys import services
from surveys.links import Link
from surveys.models import Answer, Instrument, Invitation
from surveys.services.invitations import note_waiting
from tickets.models import Ticket


def invite(
    ticket: Ticket | None = None,
    *,
    person=None,
    instrument: str = Instrument.CSAT,
    asks_ces: bool = False,
    at: datetime,
    status: str = Invitation.Status.SENT,
    **fields,
) -> Invitation:
    """An invitation sent at `at` about a resolved ticket (or the relationship NPS: no ticket)."""
    if person is None:
        assert ticket is not None, "an invitation goes to someone"
        person = ticket.requester
    values = {
        "ticket": ticket,
        "person": person,
        "instrument": instrument,
        "asks_ces": asks_ces,
        "status": status,
        "created_at": at,
        "sent_at": at,
        "expires_at": at + timedelta(days=14),
        "nonce": "n0nce",
    }
    if ticket is not None:
        values.update(
            resolved_at=ticket.resolved_at,
            service_id=ticket.service_id,
            team_id=ticket.team_id,
            agent_id=ticket.assignee_id,
            department_id=ticket.requester.department_id,
        )
    else:
        values["department_id"] = person.department_id
    invitation = Invitation.objects.create(**{**values, **fields})
    note_waiting([invitation])  # as every road that writes an open invitation does
    return invitation


def answer(
    invitation: Invitation, score: int, *, comment: str = "", ces: int | None = None, at: datetime
) -> list[Answer]:
    """Answer through the answering service, as the answer page's POST does."""
    link = Link(invitation=invitation, instrument=invitation.instrument)
    return services.record_answer(link, score=score, comment=comment, ces=ces, now=at)
