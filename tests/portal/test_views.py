import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import ServiceFactory, TicketFactory, portal_url, workspace_url
from tickets import services
from tickets.models import Ticket


def submit_data(chosen_service, **overrides):
    return {
        "category": "incident",
        "service": chosen_service.pk,
        "subject": "VPN drops",
        "description": "Every five minutes since Monday.",
        "impact": "medium",
        "urgency": "high",
        "submission_token": str(uuid.uuid4()),
        **overrides,
    }


def test_login_required_for_the_portal(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_shows_my_open_tickets_only(client_as, requester, other_requester, ticket):
    TicketFactory.create(requester=other_requester, subject="Someone else's laptop")
    page = client_as(requester).get(reverse("portal:home")).content.decode()
    assert "Outlook keeps asking for my password" in page
    assert "Someone else" not in page
    assert 'action="/portal/search/"' in page


def test_search_finds_my_tickets_and_offers_to_ask(client_as, requester, ticket):
    page = client_as(requester).get(reverse("portal:search"), {"q": "outlook"}).content.decode()
    assert ticket.number in page
    assert "Ask the service desk" in page


def test_submit_creates_ticket_and_redirects_to_it(client_as, requester, service):
    response = client_as(requester).post(reverse("portal:ticket-create"), submit_data(service))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == portal_url(ticket)
    assert (ticket.requester, ticket.priority) == (requester, 2)


def test_submit_with_attachment(client_as, requester, service):
    data = submit_data(
        service,
        files=[
            SimpleUploadedFile("error.png", b"\x89PNG..."),
            SimpleUploadedFile("log.txt", b"trace"),
        ],
    )
    client_as(requester).post(reverse("portal:ticket-create"), data)
    ticket = Ticket.objects.get()
    assert sorted(ticket.attachments.values_list("original_name", flat=True)) == [
        "error.png",
        "log.txt",
    ]
    assert ticket.attachment_count == 2


def test_files_show_with_the_message_they_came_with(client_as, requester, agent, service):
    client = client_as(requester)
    client.post(
        reverse("portal:ticket-create"),
        submit_data(service, files=[SimpleUploadedFile("error.png", b"png")]),
    )
    ticket = Ticket.objects.get()
    reply = {"body": "Here is the log.", "files": [SimpleUploadedFile("vpn.log", b"trace")]}
    client.post(reverse("portal:ticket-reply", args=[ticket.pk]), reply)
    ticket.refresh_from_db()
    assert ticket.attachment_count == 2
    for person, url in (
        (requester, portal_url(ticket)),
        (agent, workspace_url(ticket)),
    ):
        page = client_as(person).get(url).content.decode()
        opened, replied = page.index("opened the ticket"), page.index("Here is the log.")
        assert opened < page.index("error.png") < replied < page.index("vpn.log")


def test_double_submit_creates_one_ticket(client_as, requester, service):
    client = client_as(requester)
    data = submit_data(service)
    first = client.post(reverse("portal:ticket-create"), data)
    second = client.post(reverse("portal:ticket-create"), data)
    assert Ticket.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_past_the_submission_limit_the_form_comes_back_with_the_wait(
    client_as, requester, other_requester, service, settings
):
    settings.TICKET_SUBMISSION_LIMITS = [(1, 600)]
    client = client_as(requester)
    client.post(reverse("portal:ticket-create"), submit_data(service))
    response = client.post(
        reverse("portal:ticket-create"), submit_data(service, subject="Printer on fire")
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    page = response.content.decode()
    assert "You have sent a lot of tickets in a short time" in page
    assert 'value="Printer on fire"' in page
    assert Ticket.objects.count() == 1
    others = client_as(other_requester).post(reverse("portal:ticket-create"), submit_data(service))
    assert others.status_code == 302


def test_someone_elses_form_token_logs_my_own_ticket(
    client_as, requester, other_requester, service
):
    data = submit_data(service)
    client_as(requester).post(reverse("portal:ticket-create"), data)
    theirs = Ticket.objects.get()
    response = client_as(other_requester).post(
        reverse("portal:ticket-create"), {**data, "subject": "Mine"}, follow=True
    )
    mine = Ticket.objects.exclude(pk=theirs.pk).get()
    assert (mine.requester, mine.subject) == (other_requester, "Mine")
    assert response.redirect_chain == [(portal_url(mine), 302)]
    page = response.content.decode()
    assert mine.number in page
    assert theirs.number not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject": ""}, "This field is required."),
        ({"service": ""}, "This field is required."),
        ({"impact": "enormous"}, "Select a valid choice."),
        ({"files": [SimpleUploadedFile("virus.exe", b"MZ")]}, "this type of file can"),
    ],
)
def test_bad_input_is_shown_in_place_and_nothing_is_saved(
    client_as, requester, service, overrides, message
):
    response = client_as(requester).post(
        reverse("portal:ticket-create"), submit_data(service, **overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_rejected_form_keeps_every_answer(client_as, requester, service):
    response = client_as(requester).post(
        reverse("portal:ticket-create"), submit_data(service, subject="")
    )
    page = response.content.decode()
    assert f'<option value="{service.pk}" selected>Email &amp; Calendar</option>' in page
    assert re.search(r'<input [^>]*name="impact" [^>]*value="medium" checked', page)
    assert re.search(r'<input [^>]*name="urgency" [^>]*value="high" checked', page)
    assert (
        '<label class="form-check-label" for="id_urgency_2">Now: I can&#x27;t work</label>' in page
    )
    assert "This field is required." in page


def test_retired_service_is_not_offered(client_as, requester, service):
    retired = ServiceFactory.create(name="Fax machines", is_active=False)
    page = client_as(requester).get(reverse("portal:ticket-create")).content.decode()
    assert "Fax machines" not in page
    response = client_as(requester).post(reverse("portal:ticket-create"), submit_data(retired))
    assert "Select a valid choice" in response.content.decode()


def test_detail_shows_public_thread_but_no_internal_notes(client_as, requester, agent, ticket):
    services.add_comment(ticket, body="We are on it.", by=agent)
    services.add_comment(ticket, body="Probably the switch again.", internal=True, by=agent)
    page = client_as(requester).get(portal_url(ticket)).content.decode()
    assert "We are on it." in page
    assert "Probably the switch" not in page
    assert "Internal note" not in page


def test_other_peoples_tickets_are_404(client_as, other_requester, ticket):
    client = client_as(other_requester)
    assert client.get(portal_url(ticket)).status_code == 404
    assert (
        client.post(reverse("portal:ticket-reply", args=[ticket.pk]), {"body": "hi"}).status_code
        == 404
    )
    assert client.post(reverse("portal:ticket-cancel", args=[ticket.pk])).status_code == 404


def test_reply_from_the_portal(client_as, requester, ticket):
    response = client_as(requester).post(
        reverse("portal:ticket-reply", args=[ticket.pk]), {"body": "More details."}
    )
    assert response.status_code == 302
    assert ticket.comments.get().body == "More details."


def test_empty_reply_shows_an_error(client_as, requester, ticket):
    response = client_as(requester).post(
        reverse("portal:ticket-reply", args=[ticket.pk]), {"body": ""}
    )
    assert "This field is required." in response.content.decode()
    assert not ticket.comments.exists()


def test_confirm_and_reopen_resolved_ticket(client_as, requester, agent, ticket):
    services.change_status(ticket, status=Ticket.Status.RESOLVED, by=agent, version=None)
    client = client_as(requester)
    page = client.get(portal_url(ticket)).content.decode()
    assert "Yes, it's solved" in page
    client.post(reverse("portal:ticket-reopen", args=[ticket.pk]), {"reason": "Still broken."})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    services.change_status(ticket, status=Ticket.Status.RESOLVED, by=agent, version=None)
    client.post(reverse("portal:ticket-confirm", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_confirming_an_open_ticket_says_why_not(client_as, requester, ticket):
    response = client_as(requester).post(
        reverse("portal:ticket-confirm", args=[ticket.pk]), follow=True
    )
    assert "Only a resolved ticket can be confirmed." in response.content.decode()


def test_my_tickets_list_filters_by_state(client_as, requester, ticket):
    TicketFactory.create(requester=requester, subject="Old closed one", status=Ticket.Status.CLOSED)
    client = client_as(requester)
    assert "Old closed one" not in client.get(reverse("portal:ticket-list")).content.decode()
    assert (
        "Old closed one"
        in client.get(reverse("portal:ticket-list"), {"show": "closed"}).content.decode()
    )


def test_my_tickets_query_count_does_not_grow(
    client_as, requester, service, django_assert_max_num_queries
):
    client = client_as(requester)
    TicketFactory.create_batch(3, requester=requester, service=service)
    client.get(reverse("portal:ticket-list"))
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("portal:ticket-list"))
    TicketFactory.create_batch(15, requester=requester, service=service)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("portal:ticket-list"))


def test_ticket_text_is_escaped_everywhere(client_as, requester, agent, service):
    ticket = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="<script>alert(1)</script>",
        description="<img src=x onerror=alert(2)>",
    )
    for client, url in (
        (client_as(requester), portal_url(ticket)),
        (client_as(agent), workspace_url(ticket)),
    ):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<img src=x" not in page


def test_ticket_page_query_count_does_not_grow_with_the_thread(
    client_as, requester, agent, ticket, django_assert_max_num_queries
):
    client = client_as(requester)
    services.add_comment(ticket, body="first", by=agent)
    client.get(portal_url(ticket))
    with django_assert_max_num_queries(10) as few:
        client.get(portal_url(ticket))
    for n in range(8):
        services.add_comment(ticket, body=f"reply {n}", by=agent if n % 2 else requester)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(portal_url(ticket))


def test_withdrawing_asks_for_confirmation_first(client_as, requester, ticket):
    client = client_as(requester)
    page = client.get(reverse("portal:ticket-detail", args=[ticket.pk])).content.decode()
    withdraw = page[page.index('id="withdraw"') :]
    assert "I don&#39;t need this any more" in withdraw or "I don't need this any more" in withdraw
    assert "Yes, withdraw it" in withdraw and 'name="confirm" value="yes"' in withdraw
    # A bare POST (no confirmation) changes nothing and says why.
    response = client.post(reverse("portal:ticket-cancel", args=[ticket.pk]), follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert "confirm that you want to withdraw" in response.content.decode()
    client.post(reverse("portal:ticket-cancel", args=[ticket.pk]), {"confirm": "yes"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
