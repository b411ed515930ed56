"""Closing the loop in a real browser: a low answer recorded by the answering service shows on
the agent's ticket page and in the team lead's follow-ups, where the lead closes it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from surveys.models import FollowUp, Invitation
from tests.factories import TicketFactory, UserFactory
from tests.surveys.builders import answer, invite
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_low_answer_reaches_the_agent_and_the_team_lead(
    live_server, new_page, login, requester, agent, service
):
    lead = UserFactory.create(full_name="Tom Lead", email="tom@example.com", role=User.Role.AGENT)
    service.owner_team.lead = lead
    service.owner_team.save(update_fields=["lead"])
    now = timezone.now()
    ticket = TicketFactory.create(
        requester=requester,
        service=service,
        assignee=agent,
        status=Ticket.Status.RESOLVED,
        resolved_at=now - timedelta(hours=3),
        subject="Shared mailbox missing",
    )
    invitation = invite(ticket, at=now - timedelta(hours=2), status=Invitation.Status.SENT)
    answer(
        invitation, 2, comment="Two days without the shared mailbox.", at=now - timedelta(hours=1)
    )

    sam = new_page()
    login(sam, "sam@example.com")
    sam.goto(f"{live_server.url}/workspace/tickets/{ticket.pk}/")
    survey = sam.locator("#survey-answers")
    expect(survey).to_contain_text("CSAT 2/5")
    expect(survey).to_contain_text("Two days without the shared mailbox.")
    expect(survey).to_contain_text("Follow-up open")

    tom = new_page()
    login(tom, "tom@example.com")
    tom.get_by_role("link", name="Follow-ups").click()
    expect(tom.locator("table")).to_contain_text("Two days without the shared mailbox.")
    tom.get_by_role("link", name="Ella Morgan").click()
    tom.get_by_label("Could not reach").check()
    tom.get_by_role("textbox", name="What changed").fill(
        "Shared mailboxes are now restored the same day."
    )
    tom.get_by_role("button", name="Close follow-up").click()
    expect(tom.locator("#follow-up-panel")).to_contain_text("Closed: Could not reach")
    follow_up = FollowUp.objects.get()
    assert (follow_up.status, follow_up.closed_by) == (FollowUp.Status.CLOSED, lead)

    sam.reload()
    expect(sam.locator("#survey-answers")).to_contain_text("Follow-up closed: could not reach")
