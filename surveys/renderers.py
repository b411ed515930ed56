"""The survey emails: an invitation, or its one reminder, with one-click answer buttons."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q

from accounts.models import NotificationKind
from tickets.models import OutboxMessage
from tickets.notifications import compose, renders

from . import links
from .models import Instrument, Invitation
from .questions import QUESTIONS, SCALES


@renders(NotificationKind.SURVEY_INVITATION)
def render_invitation(message: OutboxMessage) -> EmailMultiAlternatives:
    invitation = Invitation.objects.select_related("ticket").get(
        Q(message=message) | Q(reminder_message=message)
    )
    reminder = invitation.reminder_message_id == message.pk
    ticket = invitation.ticket
    choices = [
        {
            "score": c.score,
            "label": c.label,
            "face": c.face,
            "url": links.answer_url(invitation, score=c.score),
        }
        for c in SCALES[invitation.instrument]
    ]
    if ticket is not None:
        # The house format of every ticket's email: `[INC-000123] <what>: <ticket subject>`.
        what = "Reminder, tell us how we did" if reminder else "Tell us how we did"
        subject = f"[{ticket.number}] {what}: {ticket.subject}"
    else:
        subject = "Reminder: one question" if reminder else "One question about the service desk"
    return compose(
        message,
        template="emails/survey_invitation",
        subject=subject,
        context={
            "invitation": invitation,
            "ticket": ticket,
            "reminder": reminder,
            "question": QUESTIONS[invitation.instrument],
            "choices": choices,
            "is_nps": invitation.instrument == Instrument.NPS,
            "page_url": links.answer_url(invitation),
        },
    )
