"""The tickets API: status codes and payloads for limits and lost races."""

import time_machine
from django.urls import reverse

from tickets import services
from tickets.models import Ticket


def new_ticket(service):
    return {"service": service.pk, "subject": "VPN", "description": "d"}


@time_machine.travel("2026-11-24 10:00:00+00:00", tick=False)
def test_api_past_the_submission_limit_is_a_429_with_retry_after(
    client_as, requester, other_requester, service, settings
):
    settings.TICKET_SUBMISSION_LIMITS = [(1, 600)]
    client = client_as(requester)
    url = reverse("api:ticket-list")
    assert client.post(url, new_ticket(service), content_type="application/json").status_code == 201
    response = client.post(url, new_ticket(service), content_type="application/json")
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "try again in 10 minutes" in response.json()["detail"]
    assert Ticket.objects.count() == 1
    others = client_as(other_requester).post(
        url, new_ticket(service), content_type="application/json"
    )
    assert others.status_code == 201


def test_api_take_gives_the_ticket_to_the_agent(client_as, agent, ticket):
    response = client_as(agent).post(reverse("api:ticket-take", args=[ticket.pk]))
    assert response.status_code == 200
    assert response.json()["assignee"] == "Sam Patel"


def test_api_take_lost_to_another_agent_is_a_409_naming_the_winner(
    client_as, agent, second_agent, ticket
):
    services.take_ticket(ticket, by=agent)
    response = client_as(second_agent).post(reverse("api:ticket-take", args=[ticket.pk]))
    assert response.status_code == 409
    assert response.json() == {"detail": "Sam Patel has already taken this ticket."}
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_api_take_is_for_staff_who_see_the_ticket(client_as, requester, other_agent, ticket):
    assert (
        client_as(requester).post(reverse("api:ticket-take", args=[ticket.pk])).status_code == 403
    )
    assert (
        client_as(other_agent).post(reverse("api:ticket-take", args=[ticket.pk])).status_code == 404
    )


def test_api_assign_on_a_stale_version_is_a_409(client_as, agent, second_agent, ticket):
    url = reverse("api:ticket-assign", args=[ticket.pk])
    client = client_as(agent)
    seen = ticket.version
    first = client.post(
        url, {"assignee": second_agent.pk, "version": seen}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json()["assignee"] == "Chloe Martin"
    stale = client.post(
        url, {"assignee": agent.pk, "version": seen}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]


def test_api_assign_explains_who_cannot_be_assigned(client_as, agent, requester, ticket):
    response = client_as(agent).post(
        reverse("api:ticket-assign", args=[ticket.pk]),
        {"assignee": requester.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "assignee" in response.json()
