"""The agent's ticket page: reply and note modes, history in words, tabs, the status menu."""

import re

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import Priority, Ticket
from tickets.services import AGENT_TRANSITIONS

HTMX_TAB = {"HX-Request": "true", "HX-Target": "ticket-tab"}


def page_of(client, ticket, **params) -> str:
    return client.get(reverse("workspace:ticket-detail", args=[ticket.pk]), params).content.decode()


@pytest.mark.parametrize("status", ["new", "open", "pending", "resolved"])
def test_status_menu_on_the_page_offers_only_allowed_moves(client_as, agent, ticket, status):
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    page = page_of(client_as(agent), ticket)
    found = re.search(r'<select [^>]*name="status".*?</select>', page, re.S)
    assert found
    menu = found.group(0)
    offered = set(re.findall(r'<option value="([a-z]+)"', menu))
    assert offered == set(AGENT_TRANSITIONS[status]) | {status}


def test_reply_and_note_are_two_modes_with_buttons_that_say_what_happens(client_as, agent, ticket):
    page = page_of(client_as(agent), ticket)
    found = re.search(r'<input [^>]*value="reply"[^>]*>', page)
    assert found
    reply = found.group(0)
    assert 'name="mode"' in reply and " checked" in reply
    assert 'value="note"' in page
    assert f"Send to {ticket.requester}" in page and "Add internal note" in page
    assert "Only staff see internal notes" in page


def test_a_note_is_internal_and_a_reply_is_public(client_as, agent, ticket):
    client = client_as(agent)
    url = reverse("workspace:ticket-comment", args=[ticket.pk])
    client.post(url, {"body": "Looks like the profile.", "mode": "note"})
    client.post(url, {"body": "Please restart Outlook.", "mode": "reply"})
    assert [(c.body, c.is_internal) for c in ticket.comments.order_by("pk")] == [
        ("Looks like the profile.", True),
        ("Please restart Outlook.", False),
    ]


@pytest.mark.parametrize("mode", ["", "public", "internal"])
def test_a_message_without_a_clear_mode_is_refused_and_nothing_is_sent(
    client_as, agent, ticket, mode
):
    response = client_as(agent).post(
        reverse("workspace:ticket-comment", args=[ticket.pk]), {"body": "Hello", "mode": mode}
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not ticket.comments.exists()


def test_history_shows_labels_not_codes(client_as, agent, ticket):
    services.change_status(
        ticket, status=Ticket.Status.PENDING, question="Which laptop?", by=agent, version=None
    )
    services.update_ticket(
        ticket,
        priority=Priority.P2,
        service=ticket.service,
        team=ticket.team,
        version=None,
        by=agent,
    )
    page = page_of(client_as(agent), ticket, tab="history")
    history = page[page.index('id="ticket-history"') :]
    assert "Waiting on requester" in history and "P2 High" in history
    assert re.search(r"status:</span> <del>New</del>", history)
    assert ">pending<" not in history and "</del> → 2" not in history


@pytest.mark.parametrize("tab", ["conversation", "history"])
def test_tabs_mark_the_active_one_also_in_the_fragment(client_as, agent, ticket, tab):
    client = client_as(agent)
    for body in (
        page_of(client, ticket, tab=tab),
        client.get(
            reverse("workspace:ticket-detail", args=[ticket.pk]), {"tab": tab}, headers=HTMX_TAB
        ).content.decode(),
    ):
        selected = re.findall(r'id="tab-(\w+)" [^>]*aria-selected="true"', body)
        assert selected == [tab]
        assert re.search(rf'class="nav-link active" role="tab" id="tab-{tab}"', body)


def test_a_refused_status_change_keeps_the_question_typed(client_as, agent, ticket):
    stale = ticket.version
    services.take_ticket(ticket, by=agent)  # the ticket moves on: the page's version is stale
    response = client_as(agent).post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "pending", "question": "Which printer, and its asset tag?", "version": stale},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "changed by someone else" in body
    assert "Which printer, and its asset tag?</textarea>" in body
    ticket.refresh_from_db()
    assert re.search(rf'name="version" [^>]*value="{ticket.version}"', body) or (
        f'value="{ticket.version}"' in body
    )
    assert ticket.status != Ticket.Status.PENDING


def test_waiting_on_requester_asks_for_the_question_at_the_field(client_as, agent, ticket):
    page = page_of(client_as(agent), ticket)
    question = page[page.index("sd-extra-question") :]
    assert "What do you need from the requester?" in question
    assert "(optional)" not in question[: question.index("</label>")]
    response = client_as(agent).post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "pending", "question": "  ", "version": ticket.version},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert re.search(r'id="id_question_error">Tell the requester what you need', body)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_taking_a_new_ticket_records_that_work_started(client_as, agent, ticket):
    services.take_ticket(ticket, by=agent)
    event = ticket.events.get(kind="taken")
    assert event.before == {"assignee": None, "status": "new"}
    assert event.after == {"assignee": "Sam Patel", "status": "open"}
    history = page_of(client_as(agent), ticket, tab="history")
    assert re.search(r"status:</span> <del>New</del> → In progress", history)


def test_the_editor_stays_in_the_mode_just_used(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-comment", args=[ticket.pk]),
        {"body": "First note.", "mode": "note"},
        headers={"HX-Request": "true"},
    )
    note = re.search(r'<input [^>]*value="note"[^>]*>', response.content.decode())
    assert note is not None and " checked" in note.group(0)


def test_someone_in_no_team_starts_on_every_open_ticket(client_as, admin_user, ticket):
    page = client_as(admin_user).get(reverse("workspace:queue")).content.decode()
    assert ticket.subject in page and "Nothing waiting in this queue." not in page
