"""Surveys waiting for you: the person's invitations still open, each linking to its answer page."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import User
from servicedesk.http import AuthedHtmxRequest
from servicedesk.rendering import render
from surveys import links
from surveys.models import Invitation
from surveys.questions import QUESTIONS
from tickets.models import Ticket


@dataclass(frozen=True)
class Waiting:
    invitation: Invitation
    question: str
    url: str


def waiting_for(user: User, *, limit: int = 20) -> list[Waiting]:
    """The person's open invitations not past their date, about a ticket still resolved (a
    reopened one's survey is withdrawn), newest first; one query, and none for a person
    with no invitation open (`User.surveys_open_until`, read with the person)."""
    now = timezone.now()
    if user.surveys_open_until is None or user.surveys_open_until <= now:
        return []
    still_resolved = Q(ticket__isnull=True) | Q(
        ticket__status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED],
        ticket__resolved_at=F("resolved_at"),
    )
    invitations = (
        Invitation.objects.visible_to(user)
        .filter(person=user, expires_at__gt=now)
        .open()
        .filter(still_resolved)
        .select_related("ticket")
        .order_by("-created_at")[:limit]
    )
    return [
        Waiting(
            invitation=invitation,
            question=QUESTIONS[invitation.instrument],
            url=reverse(
                "portal:survey-answer",
                args=[invitation.pk, links.token_for(invitation, invitation.instrument)],
            ),
        )
        for invitation in invitations
    ]


@login_required
@require_GET
def surveys_waiting(request: AuthedHtmxRequest) -> HttpResponse:
    context = {"nav": "surveys", "waiting": waiting_for(request.user)}
    return render(request, "portal/surveys_waiting.html", context)
