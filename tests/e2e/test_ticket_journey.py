"""The whole journey in a real browser: submit, take, reply, read, confirm."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import portal_url
from tickets import notifications
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def deliver_mail() -> None:
    notifications.sweep(now=timezone.now())


def test_end_user_and_agent_work_a_ticket_to_resolution(
    live_server, new_page, login, requester, agent, service
):
    from tickets.calendars import BusinessCalendar
    from tickets.models import SLAPolicy

    always = BusinessCalendar.objects.create(name="24x7", is_24x7=True)
    SLAPolicy.objects.create(
        name="Standard",
        calendar=always,
        first_response_minutes=240,
        resolution_minutes=1440,
        is_default=True,
    )
    ella = new_page()
    login(ella, "ella@example.com")
    expect(ella.get_by_role("heading", name=re.compile("how can we help"))).to_be_visible()

    # Ella reports a problem, in plain words.
    ella.get_by_role("link", name=re.compile("Report a problem")).click()
    ella.get_by_label("Which service is it about?").select_option(label="Email & Calendar")
    ella.get_by_label("Summary").fill("Outlook keeps asking for my password")
    ella.get_by_label("Details").fill("Since this morning, every few minutes.")
    ella.get_by_label("Now: I can't work").check()
    ella.get_by_role("button", name="Send to the service desk").click()
    expect(ella.get_by_text("Thanks, we have your ticket")).to_be_visible()
    expect(ella.locator("#expectations")).to_contain_text("We aim to reply by")
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.priority) == (requester, 3)

    deliver_mail()
    assert {m.to[0] for m in mail.outbox} == {"ella@example.com", "sam@example.com"}

    # Sam finds it in the unassigned queue, takes it and replies.
    sam = new_page()
    login(sam, "sam@example.com")
    expect(sam.get_by_role("link", name="Outlook keeps asking for my password")).to_be_visible()
    expect(sam.locator("#ticket-list .sd-sla-ok")).to_contain_text(re.compile(r"\d+h.* left"))
    sam.get_by_role("link", name="Outlook keeps asking for my password").click()
    sam.get_by_role("button", name="Take").click()
    expect(sam.locator("#ticket-sidebar")).to_contain_text("You have this ticket now.")
    expect(sam.locator("#assignee")).to_contain_text("Sam Patel")
    # An internal note first: the editor turns the note colour and the button says so.
    reply_button = sam.get_by_role("button", name="Send to Ella Morgan")
    note_button = sam.get_by_role("button", name="Add internal note")
    expect(reply_button).to_be_visible()
    expect(note_button).to_be_hidden()
    sam.get_by_text("Internal note", exact=True).click()
    expect(note_button).to_be_visible()
    expect(reply_button).to_be_hidden()
    expect(sam.get_by_text("Only staff see internal notes")).to_be_visible()
    sam.get_by_label("Message").fill("Mail profile looks corrupt; resetting it.")
    note_button.click()
    expect(sam.locator("#ticket-tab .sd-msg-note")).to_contain_text("Mail profile looks corrupt")
    # The editor stays a note editor (notes often come in a row) until Sam picks a reply.
    expect(sam.get_by_role("button", name="Add internal note")).to_be_visible()
    sam.get_by_text("Reply to requester", exact=True).click()
    expect(sam.get_by_role("button", name="Send to Ella Morgan")).to_be_visible()
    sam.get_by_label("Message").fill("I have reset your mail profile; please restart Outlook.")
    sam.get_by_role("button", name="Send to Ella Morgan").click()
    expect(sam.locator("#ticket-tab")).to_contain_text("I have reset your mail profile")
    # The sidebar comes back with the reply (out of band): the first response is recorded.
    expect(sam.locator("#sla")).to_contain_text("First response: Met")
    sam.get_by_label("Status", exact=True).select_option("resolved")
    sam.locator("#ticket-sidebar").get_by_role("button", name="Change status").click()
    expect(sam.locator("#ticket-sidebar")).to_contain_text("Status changed.")
    expect(sam.locator("#ticket-sidebar .sd-status")).to_have_text("Resolved")
    expect(sam.locator("#sla")).to_contain_text("Resolution: Met")

    deliver_mail()
    to_ella = [m.subject for m in mail.outbox if m.to == ["ella@example.com"]]
    subject = "Outlook keeps asking for my password"
    assert f"[{ticket.number}] New reply from Sam Patel: {subject}" in to_ella
    assert f"[{ticket.number}] Resolved: {subject}" in to_ella

    # Ella reads the reply in the portal and confirms the fix.
    ella.goto(f"{live_server.url}{portal_url(ticket)}")
    expect(ella.get_by_text("I have reset your mail profile")).to_be_visible()
    ella.get_by_role("button", name="Yes, it's solved").click()
    expect(ella.get_by_text("Thanks for confirming. The ticket is closed.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_queue_filters_update_in_place(live_server, new_page, login, agent, service):
    from tests.factories import TicketFactory

    TicketFactory.create(service=service, subject="Payroll export fails", priority=1)
    TicketFactory.create(service=service, subject="New mouse please", priority=4)
    sam = new_page()
    login(sam, "sam@example.com")
    sam.get_by_label("Search").fill("payroll")
    sam.get_by_label("Search").press("Enter")
    expect(sam.locator("#ticket-list")).not_to_contain_text("New mouse please")
    expect(sam.locator("#ticket-list")).to_contain_text("Payroll export fails")
    assert "q=payroll" in sam.url
