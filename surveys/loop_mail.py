"""The emails of closing the loop and of the pulse, rendered from their outbox rows.

Registered with the outbox when the app loads (SurveysConfig.ready), so every process that
sends mail can render them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from tickets.models import OutboxMessage
from tickets.notifications import compose, renders

from .followups import WE_DID
from .models import FollowUp, PulseRound
from .pulse import ENPS_QUESTION, INVITATION, WORKLOAD_QUESTION


@renders(WE_DID)
def render_we_did(message: OutboxMessage) -> EmailMultiAlternatives:
    """ "You told us, we did": what changed after the person's low answer."""
    follow_up = FollowUp.objects.select_related("answer", "ticket", "team", "closed_by").get(
        pk=message.payload["follow_up"]
    )
    ticket = follow_up.ticket
    subject = "You told us, we did"
    if ticket is not None:
        subject = f"[{ticket.number}] {subject}: {ticket.subject}"
    return compose(
        message,
        template="emails/survey_we_did",
        context={
            "follow_up": follow_up,
            "answer": follow_up.answer,
            "ticket": ticket,
            "portal_url": settings.SITE_URL + reverse("portal:home"),
        },
        subject=subject,
    )


@renders(INVITATION)
def render_pulse_invitation(message: OutboxMessage) -> EmailMultiAlternatives:
    """The monthly pulse's invitation: two questions, anonymous, in the workspace."""
    pulse_round = PulseRound.objects.get(pk=message.payload["round"])
    return compose(
        message,
        template="emails/pulse_invitation",
        context={
            "round": pulse_round,
            "pulse_url": settings.SITE_URL + reverse("workspace:pulse"),
            "enps_question": ENPS_QUESTION,
            "workload_question": WORKLOAD_QUESTION,
        },
        subject=f"Team pulse for {pulse_round.month:%B}: two questions, anonymous",
    )
